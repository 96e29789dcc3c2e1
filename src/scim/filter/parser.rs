//! nom parser for RFC 7644 §3.4.2.2 filters and §3.5.2 PATCH paths.
//!
//! One function per ABNF rule. Precedence (`not` > `and` > `or`) is "parse one operand, then fold
//! `(operator, operand)` pairs", one level per tier, so no operand is ever parsed twice. Nesting is
//! bounded by [`MAX_DEPTH`] while descending, so hostile input cannot overflow the stack.

use super::ast::{AttrPath, CompValue, CompareOp, Filter, PatchPath};
use crate::scim::schema::{self, ResourceKind};
use crate::scim::ScimError;
use nom::branch::alt;
use nom::bytes::complete::{tag, tag_no_case, take_while, take_while1, take_while_m_n};
use nom::character::complete::{char, one_of, satisfy};
use nom::combinator::{all_consuming, cut, eof, map_opt, not, opt, recognize};
use nom::error::{ErrorKind, ParseError};
use nom::multi::fold_many0;
use nom::sequence::{delimited, preceded, terminated};
use nom::{Err, IResult, Parser};

/// Longest filter text accepted, in bytes.
pub const MAX_LENGTH: usize = 4096;
/// Deepest nesting of parentheses, `not` and value paths accepted.
pub const MAX_DEPTH: usize = 32;

const EXPECTED_OPERAND: &str = "an attribute path, \"(\" or \"not\"";
const EXPECTED_OPERATOR: &str =
    "a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) or \"pr\"";
const EXPECTED_VALUE: &str = "a comparison value (a JSON string, number, true, false or null)";
const EXPECTED_ESCAPE: &str = "an escape sequence (\\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX)";

/// Parse a `filter` query parameter (RFC 7644 §3.4.2.2).
///
/// Beyond the RFC, a comparison value that is not JSON is read as a string up to the next space,
/// parenthesis, bracket or quote (interop(entra): `externalId eq amy.lee`), and Entra's
/// `emails[type eq "work"].value eq "x"` is read as `emails[type eq "work" and value eq "x"]`.
pub fn parse(input: &str) -> Result<Filter, ScimError> {
    if input.len() > MAX_LENGTH {
        return Err(ScimError::invalid_filter(format!(
            "filter is longer than {MAX_LENGTH} bytes"
        )));
    }
    parse_unbounded(input)
}

/// [`parse`] without the length limit (the depth limit still applies).
fn parse_unbounded(input: &str) -> Result<Filter, ScimError> {
    let top = Ctx {
        depth: 0,
        in_value_path: false,
    };
    let mut whole = delimited(ws, |i| filter(i, top), ws);
    let parsed = whole.parse(input).and_then(|(rest, f)| {
        expect("\"and\", \"or\" or the end of the filter", eof)
            .parse(rest)
            .map(|_| f)
    });
    let f = parsed.map_err(|e| ScimError::invalid_filter(describe(input, e, "filter")))?;
    // Canonical text can nest deeper than the input (`(a or b) and c` prints as
    // `((a or b) and c)`); refusing such trees keeps `parse(f.to_string()) == f`.
    if f.depth() > MAX_DEPTH {
        return Err(ScimError::invalid_filter(format!(
            "invalid filter: nesting deeper than {MAX_DEPTH} levels"
        )));
    }
    Ok(f)
}

/// Parse a PATCH operation `path` (RFC 7644 §3.5.2): `PATH = attrPath / valuePath [subAttr]`.
///
/// A bare schema URN (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`) targets the
/// whole extension object and comes back as `PatchPath { urn: None, name: <the URN>, .. }`.
pub fn parse_patch_path(input: &str) -> Result<PatchPath, ScimError> {
    if input.len() > MAX_LENGTH {
        return Err(ScimError::invalid_path(format!(
            "path is longer than {MAX_LENGTH} bytes"
        )));
    }
    let parsed = terminated(
        delimited(ws, patch_path, ws),
        expect("the end of the path", eof),
    )
    .parse(input)
    .map(|(_, p)| p);
    parsed.map_err(|e| ScimError::invalid_path(describe(input, e, "path")))
}

// ---------------------------------------------------------------------------------------------
// Errors

type PResult<'a, T> = IResult<&'a str, T, SyntaxError<'a>>;

/// Where parsing stopped (the unparsed rest of the input) and why.
#[derive(Debug, Clone, PartialEq)]
struct SyntaxError<'a> {
    at: &'a str,
    problem: Problem,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Problem {
    Expected(&'static str),
    TooDeep,
    NestedValuePath,
    SubAttrBeforeFilter,
    LoneSurrogate,
}

impl<'a> ParseError<&'a str> for SyntaxError<'a> {
    fn from_error_kind(input: &'a str, _kind: ErrorKind) -> Self {
        SyntaxError {
            at: input,
            problem: Problem::Expected("valid syntax"),
        }
    }
    fn append(_input: &'a str, _kind: ErrorKind, other: Self) -> Self {
        other
    }
    /// Of two failed alternatives, report the one that got further.
    fn or(self, other: Self) -> Self {
        if other.at.len() <= self.at.len() {
            other
        } else {
            self
        }
    }
}

fn failure<T>(at: &str, problem: Problem) -> PResult<'_, T> {
    Err(Err::Failure(SyntaxError { at, problem }))
}

/// Replace a recoverable error of `parser` by "expected `what`" at the position it started from.
fn expect<'a, O>(
    what: &'static str,
    mut parser: impl Parser<&'a str, Output = O, Error = SyntaxError<'a>>,
) -> impl Parser<&'a str, Output = O, Error = SyntaxError<'a>> {
    move |i: &'a str| match parser.parse(i) {
        Err(Err::Error(_)) => Err(Err::Error(SyntaxError {
            at: i,
            problem: Problem::Expected(what),
        })),
        other => other,
    }
}

fn describe(input: &str, e: Err<SyntaxError<'_>>, what: &str) -> String {
    let e = match e {
        Err::Error(e) | Err::Failure(e) => e,
        Err::Incomplete(_) => return format!("invalid {what}: unexpected end"),
    };
    let offset = input.len().saturating_sub(e.at.len());
    let problem = match e.problem {
        Problem::Expected(x) => format!("expected {x}"),
        Problem::TooDeep => format!(
            "nesting deeper than {MAX_DEPTH} levels of parentheses, \"not\" and value filters"
        ),
        Problem::NestedValuePath => "value filters cannot be nested inside a value filter".into(),
        Problem::SubAttrBeforeFilter => {
            "a value filter \"[...]\" must follow an attribute without a sub-attribute".into()
        }
        Problem::LoneSurrogate => "a \\u escape is an unpaired UTF-16 surrogate".into(),
    };
    format!("invalid {what} at byte {offset}: {problem}")
}

// ---------------------------------------------------------------------------------------------
// Filter grammar

/// Parsing context: how deep we are, and whether we are inside `[...]` (no nested value paths).
#[derive(Debug, Clone, Copy)]
struct Ctx {
    depth: usize,
    in_value_path: bool,
}

impl Ctx {
    /// One level down (parentheses, `not`, value path), or a hard failure past [`MAX_DEPTH`].
    fn descend(self, at: &str) -> Result<Ctx, Err<SyntaxError<'_>>> {
        if self.depth >= MAX_DEPTH {
            return Err(Err::Failure(SyntaxError {
                at,
                problem: Problem::TooDeep,
            }));
        }
        Ok(Ctx {
            depth: self.depth + 1,
            ..self
        })
    }
}

/// `FILTER` (RFC 7644 §3.4.2.2), lowest precedence tier: `and`-expressions joined by `or`,
/// folded left (`a or b or c` = `(a or b) or c`).
fn filter(i: &str, ctx: Ctx) -> PResult<'_, Filter> {
    let (i, first) = and_exp(i, ctx)?;
    fold_many0(
        preceded(log_op("or"), cut(|i| and_exp(i, ctx))),
        move || first.clone(),
        |l, r| Filter::Or(Box::new(l), Box::new(r)),
    )
    .parse(i)
}

/// `logExp` with `and`, which binds tighter than `or`: operands joined by `and`, folded left.
fn and_exp(i: &str, ctx: Ctx) -> PResult<'_, Filter> {
    let (i, first) = operand(i, ctx)?;
    fold_many0(
        preceded(log_op("and"), cut(|i| operand(i, ctx))),
        move || first.clone(),
        |l, r| Filter::And(Box::new(l), Box::new(r)),
    )
    .parse(i)
}

/// `SP ("and" / "or") SP`; spaces are optional next to parentheses and quotes.
fn log_op<'a>(word: &'static str) -> impl Parser<&'a str, Output = (), Error = SyntaxError<'a>> {
    delimited(ws, keyword(word), ws).map(|_| ())
}

/// The non-`logExp` alternatives of `FILTER`: `"not" "(" FILTER ")"`, `"(" FILTER ")"`,
/// and `attrExp` / `valuePath`, which share their leading `attrPath`.
fn operand(i: &str, ctx: Ctx) -> PResult<'_, Filter> {
    expect(
        EXPECTED_OPERAND,
        alt((|i| not_exp(i, ctx), |i| group(i, ctx), |i| path_exp(i, ctx))),
    )
    .parse(i)
}

/// `"not" "(" FILTER ")"`; `not(` without a space is accepted too.
fn not_exp(i: &str, ctx: Ctx) -> PResult<'_, Filter> {
    let (i, _) = terminated(keyword("not"), ws).parse(i)?;
    let (i, inner) = cut(expect("\"(\" after \"not\"", |i| group(i, ctx))).parse(i)?;
    Ok((i, Filter::Not(Box::new(inner))))
}

/// `"(" FILTER ")"`.
fn group(i: &str, ctx: Ctx) -> PResult<'_, Filter> {
    let (rest, _) = char('(').parse(i)?;
    let inner = ctx.descend(i)?;
    let (rest, f) = cut(delimited(ws, |i| filter(i, inner), ws)).parse(rest)?;
    let (rest, _) = cut(expect("\"and\", \"or\" or \")\"", char(')'))).parse(rest)?;
    Ok((rest, f))
}

/// `attrExp / valuePath`: the `attrPath` is parsed once, then what follows decides.
fn path_exp(i: &str, ctx: Ctx) -> PResult<'_, Filter> {
    let (i, path) = attr_path(i)?;
    let (after_bracket, bracket) = opt(preceded(ws, char('['))).parse(i)?;
    match bracket {
        Some(_) => value_path(i, after_bracket, path, ctx),
        None => cut(|i| attr_exp(i, path.clone())).parse(i),
    }
}

/// `attrExp = (attrPath SP "pr") / (attrPath SP compareOp SP compValue)`, after the `attrPath`.
fn attr_exp(i: &str, path: AttrPath) -> PResult<'_, Filter> {
    let operator = alt((keyword("pr").map(|_| None), compare_op.map(Some)));
    let (i, op) = expect(EXPECTED_OPERATOR, preceded(ws1, operator)).parse(i)?;
    match op {
        None => Ok((i, Filter::Present(path))),
        Some(op) => {
            let (i, value) = cut(expect(EXPECTED_VALUE, preceded(ws1, comp_value))).parse(i)?;
            Ok((i, Filter::Compare(path, op, value)))
        }
    }
}

/// `valuePath = attrPath "[" valFilter "]"`, from just after the `[` (`bracket` is where it is).
///
/// interop(entra): `emails[type eq "work"].value eq "x"` (entra-scim.md §2.2 P3) — a sub-attribute
/// and an `attrExp` after the `]` — is the same as `emails[type eq "work" and value eq "x"]`.
fn value_path<'a>(bracket: &'a str, i: &'a str, path: AttrPath, ctx: Ctx) -> PResult<'a, Filter> {
    let bracket = bracket.trim_start_matches([' ', '\t']);
    if ctx.in_value_path {
        return failure(bracket, Problem::NestedValuePath);
    }
    if path.sub.is_some() {
        return failure(bracket, Problem::SubAttrBeforeFilter);
    }
    let (i, inner) = bracketed_filter(bracket, i, ctx)?;
    let (i, tail) = opt(preceded(char('.'), cut(attr_name))).parse(i)?;
    let inner = match tail {
        None => inner,
        Some(name) => {
            let element = AttrPath {
                urn: None,
                name,
                sub: None,
            };
            let (i, tail) = cut(|i| attr_exp(i, element.clone())).parse(i)?;
            return Ok((
                i,
                Filter::ValuePath(path, Box::new(Filter::And(Box::new(inner), Box::new(tail)))),
            ));
        }
    };
    Ok((i, Filter::ValuePath(path, Box::new(inner))))
}

/// `valFilter "]"` after a `[`, one level deeper.
fn bracketed_filter<'a>(bracket: &'a str, i: &'a str, ctx: Ctx) -> PResult<'a, Filter> {
    let inner = ctx.descend(bracket)?;
    let (i, f) = cut(delimited(ws, |i| val_filter(i, inner), ws)).parse(i)?;
    let (i, _) = cut(expect("\"and\", \"or\" or \"]\"", char(']'))).parse(i)?;
    Ok((i, f))
}

/// `valFilter = attrExp / logExp / *1"not" "(" valFilter ")"`: a `FILTER` whose attributes are
/// relative to one element, and which cannot contain another value path.
fn val_filter(i: &str, ctx: Ctx) -> PResult<'_, Filter> {
    filter(
        i,
        Ctx {
            in_value_path: true,
            ..ctx
        },
    )
}

/// `attrPath = [URI ":"] ATTRNAME *1subAttr`.
fn attr_path(i: &str) -> PResult<'_, AttrPath> {
    let (i, urn) = opt(urn_prefix).parse(i)?;
    let mut name_path = (attr_name, opt(sub_attr));
    let (i, (name, sub)) = if urn.is_some() {
        cut(expect("an attribute name after the schema URN", name_path)).parse(i)?
    } else {
        name_path.parse(i)?
    };
    Ok((i, AttrPath { urn, name, sub }))
}

/// `URI ":"` for schema-qualified names (RFC 7644 §3.10): the URN is everything up to the last
/// `:` of the path, because URNs contain `:` and `.` themselves (`…:enterprise:2.0:User:manager.value`).
fn urn_prefix(i: &str) -> PResult<'_, String> {
    let (_, run) = recognize((tag_no_case("urn:"), take_while(is_path_char))).parse(i)?;
    match run.rfind(':') {
        // `urn:x` alone has no attribute name after a URN.
        Some(colon) if colon > 3 => match (i.get(..colon), i.get(colon + 1..)) {
            (Some(urn), Some(rest)) => Ok((rest, urn.to_string())),
            _ => Err(Err::Error(SyntaxError::from_error_kind(
                i,
                ErrorKind::Verify,
            ))),
        },
        _ => Err(Err::Error(SyntaxError::from_error_kind(
            i,
            ErrorKind::Verify,
        ))),
    }
}

/// `ATTRNAME = ALPHA *(nameChar)`, plus `$ref` (RFC 7643 §2.1 and the `$ref` sub-attributes).
fn attr_name(i: &str) -> PResult<'_, String> {
    let name = recognize((
        satisfy(|c| c.is_ascii_alphabetic()),
        take_while(is_name_char),
    ));
    alt((tag_no_case("$ref"), name))
        .map(str::to_string)
        .parse(i)
}

/// `subAttr = "." ATTRNAME`.
fn sub_attr(i: &str) -> PResult<'_, String> {
    preceded(
        char('.'),
        cut(expect("an attribute name after \".\"", attr_name)),
    )
    .parse(i)
}

/// `compareOp = "eq" / "ne" / "co" / "sw" / "ew" / "gt" / "lt" / "ge" / "le"` (any case).
fn compare_op(i: &str) -> PResult<'_, CompareOp> {
    alt((
        keyword("eq").map(|_| CompareOp::Eq),
        keyword("ne").map(|_| CompareOp::Ne),
        keyword("co").map(|_| CompareOp::Co),
        keyword("sw").map(|_| CompareOp::Sw),
        keyword("ew").map(|_| CompareOp::Ew),
        keyword("gt").map(|_| CompareOp::Gt),
        keyword("ge").map(|_| CompareOp::Ge),
        keyword("lt").map(|_| CompareOp::Lt),
        keyword("le").map(|_| CompareOp::Le),
    ))
    .parse(i)
}

/// `compValue = false / null / true / number / string`, plus the legacy unquoted literal.
fn comp_value(i: &str) -> PResult<'_, CompValue> {
    alt((string.map(CompValue::Str), legacy_literal)).parse(i)
}

/// A bare word: `true`/`false`/`null` (any case) or a JSON number when the whole word is one,
/// otherwise the word as a string. interop(entra): `externalId eq amy.lee`, `userName sw O`,
/// `meta.created gt 2015-10-10T14:38:21.8617979-07:00` (Microsoft's SCIM validator).
fn legacy_literal(i: &str) -> PResult<'_, CompValue> {
    let (rest, word) =
        take_while1(|c: char| !c.is_whitespace() && !matches!(c, '(' | ')' | '[' | ']' | '"'))
            .parse(i)?;
    let value = if word.eq_ignore_ascii_case("true") {
        CompValue::Bool(true)
    } else if word.eq_ignore_ascii_case("false") {
        CompValue::Bool(false)
    } else if word.eq_ignore_ascii_case("null") {
        CompValue::Null
    } else if let Ok((_, n)) = all_consuming(number).parse(word) {
        CompValue::Number(n)
    } else {
        CompValue::Str(word.to_string())
    };
    Ok((rest, value))
}

/// JSON `number = [ minus ] int [ frac ] [ exp ]` (RFC 8259 §6); out-of-range values fail.
fn number(i: &str) -> PResult<'_, serde_json::Number> {
    // Not `digit0`: in nom 8.0.0 it returns a remainder that points at the start of its input
    // when it consumes everything, which breaks `recognize`.
    let digits = || take_while1(|c: char| c.is_ascii_digit());
    let int = alt((tag("0"), recognize((one_of("123456789"), opt(digits())))));
    let frac = (char('.'), digits());
    let exp = (one_of("eE"), opt(one_of("+-")), digits());
    let text = recognize((opt(char('-')), int, opt(frac), opt(exp)));
    map_opt(text, json_number).parse(i)
}

/// The number `serde_json` would read, but with correctly rounded floats (its default float
/// parser can be one ULP off, which would break printing and reading back).
fn json_number(text: &str) -> Option<serde_json::Number> {
    if !text.contains(['.', 'e', 'E']) {
        if let Ok(n) = text.parse::<i64>() {
            return Some(n.into());
        }
        if let Ok(n) = text.parse::<u64>() {
            return Some(n.into());
        }
    }
    text.parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
}

/// JSON `string` (RFC 8259 §7) with every escape, including UTF-16 surrogate pairs.
/// Unescaped control characters are tolerated.
fn string(i: &str) -> PResult<'_, String> {
    let (i, _) = char('"').parse(i)?;
    let chunk = alt((
        take_while1(|c| c != '"' && c != '\\').map(Chunk::Text),
        escape.map(Chunk::Char),
    ));
    let (i, s) = fold_many0(chunk, String::new, |mut s, chunk| {
        match chunk {
            Chunk::Text(t) => s.push_str(t),
            Chunk::Char(c) => s.push(c),
        }
        s
    })
    .parse(i)?;
    let (i, _) = cut(expect("a closing '\"'", char('"'))).parse(i)?;
    Ok((i, s))
}

enum Chunk<'a> {
    Text(&'a str),
    Char(char),
}

/// `escape = %x5C ( %x22 / %x5C / %x2F / %x62 / %x66 / %x6E / %x72 / %x74 / %x75 4HEXDIG )`.
fn escape(i: &str) -> PResult<'_, char> {
    let simple = one_of("\"\\/bfnrt").map(|c| match c {
        'b' => '\u{8}',
        'f' => '\u{c}',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        other => other,
    });
    preceded(
        char('\\'),
        cut(expect(EXPECTED_ESCAPE, alt((simple, unicode_escape)))),
    )
    .parse(i)
}

/// `u XXXX`, where a high surrogate must be followed by `\u` and a low surrogate.
fn unicode_escape(i: &str) -> PResult<'_, char> {
    let (rest, high) = preceded(char('u'), hex4).parse(i)?;
    let code = match high {
        0xD800..=0xDBFF => {
            let (after, low) = match preceded(tag("\\u"), hex4).parse(rest) {
                Ok(ok) => ok,
                Err(_) => return failure(i, Problem::LoneSurrogate),
            };
            if !(0xDC00..=0xDFFF).contains(&low) {
                return failure(i, Problem::LoneSurrogate);
            }
            let code = 0x10000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
            return match char::from_u32(code) {
                Some(c) => Ok((after, c)),
                None => failure(i, Problem::LoneSurrogate),
            };
        }
        other => u32::from(other),
    };
    match char::from_u32(code) {
        Some(c) => Ok((rest, c)),
        None => failure(i, Problem::LoneSurrogate),
    }
}

fn hex4(i: &str) -> PResult<'_, u16> {
    map_opt(
        take_while_m_n(4, 4, |c: char| c.is_ascii_hexdigit()),
        |h: &str| u16::from_str_radix(h, 16).ok(),
    )
    .parse(i)
}

/// A case-insensitive keyword that is not the start of a longer name (`and` but not `andrew`).
fn keyword<'a>(
    word: &'static str,
) -> impl Parser<&'a str, Output = &'a str, Error = SyntaxError<'a>> {
    terminated(tag_no_case(word), not(satisfy(is_name_char)))
}

fn ws(i: &str) -> PResult<'_, &str> {
    take_while(|c| c == ' ' || c == '\t').parse(i)
}

fn ws1(i: &str) -> PResult<'_, &str> {
    take_while1(|c| c == ' ' || c == '\t').parse(i)
}

/// RFC 7643 §2.1 `nameChar`.
fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Characters of a URN-qualified attribute path (`urn:…:2.0:User:manager.value`, `$ref`).
fn is_path_char(c: char) -> bool {
    is_name_char(c) || matches!(c, ':' | '.' | '$')
}

// ---------------------------------------------------------------------------------------------
// PATCH path grammar

/// `PATH = attrPath / valuePath [subAttr]` (RFC 7644 §3.5.2), or a bare schema URN.
fn patch_path(i: &str) -> PResult<'_, PatchPath> {
    if let Some((rest, urn)) = schema_urn(i) {
        let bare = PatchPath {
            urn: None,
            name: urn.to_string(),
            filter: None,
            sub: None,
        };
        return Ok((rest, bare));
    }
    let (i, path) = expect("an attribute path", attr_path).parse(i)?;
    let (after_bracket, bracket) = opt(preceded(ws, char('['))).parse(i)?;
    if bracket.is_none() {
        let AttrPath { urn, name, sub } = path;
        return Ok((
            i,
            PatchPath {
                urn,
                name,
                filter: None,
                sub,
            },
        ));
    }
    let top = Ctx {
        depth: 0,
        in_value_path: false,
    };
    let at = i.trim_start_matches([' ', '\t']);
    if path.sub.is_some() {
        return failure(at, Problem::SubAttrBeforeFilter);
    }
    let (i, f) = bracketed_filter(at, after_bracket, top)?;
    // As in `parse`: what is accepted must print as text that is accepted again.
    if 1 + f.inner_depth() > MAX_DEPTH {
        return failure(at, Problem::TooDeep);
    }
    let (i, sub) = opt(sub_attr).parse(i)?;
    let AttrPath { urn, name, .. } = path;
    Ok((
        i,
        PatchPath {
            urn,
            name,
            filter: Some(f),
            sub,
        },
    ))
}

/// A leading run that is a whole schema URN (core, enterprise, or the custom extension shape
/// `urn:ietf:params:scim:schemas:extension:<Name>:2.0:<User|Group>`), rather than an
/// attribute qualified by one; the same URNs `schema::split_urn` recognises.
fn schema_urn(i: &str) -> Option<(&str, &str)> {
    let end = i.find(|c: char| !is_path_char(c)).unwrap_or(i.len());
    let (run, rest) = (i.get(..end)?, i.get(end..)?);
    let kinds = [ResourceKind::User, ResourceKind::Group];
    let known = kinds.iter().any(|&k| {
        k.core().id.eq_ignore_ascii_case(run)
            || schema::extension(k, run).is_some()
            || k.is_custom_extension(run)
    });
    known.then_some((rest, run))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TOP: Ctx = Ctx {
        depth: 0,
        in_value_path: false,
    };

    fn path(name: &str, sub: Option<&str>) -> AttrPath {
        AttrPath {
            urn: None,
            name: name.into(),
            sub: sub.map(Into::into),
        }
    }

    fn eq_str(name: &str, value: &str) -> Filter {
        Filter::Compare(
            path(name, None),
            CompareOp::Eq,
            CompValue::Str(value.into()),
        )
    }

    #[track_caller]
    fn canonical(input: &str) -> String {
        match parse(input) {
            Ok(f) => f.to_string(),
            Err(e) => panic!("{input:?} did not parse: {}", e.detail),
        }
    }

    #[track_caller]
    fn error(input: &str) -> String {
        match parse(input) {
            Ok(f) => panic!("{input:?} parsed as {f}"),
            Err(e) => {
                assert_eq!(e.scim_type, Some(crate::scim::ScimType::InvalidFilter));
                e.detail
            }
        }
    }

    #[test]
    fn filters_print_canonically() {
        let table = [
            ("userName eq \"bjensen\"", "userName eq \"bjensen\""),
            ("  userName   EQ\t\"x\"  ", "userName eq \"x\""),
            ("title pr", "title pr"),
            ("title PR", "title pr"),
            ("userName eq \"a\" or userName eq \"b\" and title pr", "(userName eq \"a\" or (userName eq \"b\" and title pr))"),
            ("userName eq \"a\" and userName eq \"b\" or title pr", "((userName eq \"a\" and userName eq \"b\") or title pr)"),
            ("title pr and (userName eq \"a\" or userName eq \"b\")", "(title pr and (userName eq \"a\" or userName eq \"b\"))"),
            ("title pr and nickName pr and locale pr", "(title pr and nickName pr and locale pr)"),
            ("title pr or nickName pr or locale pr", "(title pr or nickName pr or locale pr)"),
            ("title pr and (nickName pr and locale pr)", "(title pr and (nickName pr and locale pr))"),
            ("not (title pr) and locale pr", "(not (title pr) and locale pr)"),
            ("not(title pr or locale pr)", "not (title pr or locale pr)"),
            ("NOT ( not (title pr) )", "not (not (title pr))"),
            ("((((title pr))))", "title pr"),
            ("( title pr )", "title pr"),
            ("userName EQ \"x\" AND not (title pr)", "(userName eq \"x\" and not (title pr))"),
            ("emails[type eq \"work\" and primary eq true]", "emails[type eq \"work\" and primary eq true]"),
            ("emails [ type eq \"work\" ]", "emails[type eq \"work\"]"),
            ("emails[type eq \"work\"].value eq \"a@b\"", "emails[type eq \"work\" and value eq \"a@b\"]"),
            ("emails[type eq \"work\"].value pr", "emails[type eq \"work\" and value pr]"),
            ("emails[type eq \"work\" or type eq \"home\"].value pr", "emails[(type eq \"work\" or type eq \"home\") and value pr]"),
            ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq \"1\"", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq \"1\""),
            ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq \"x\"", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq \"x\""),
            ("externalId eq amy.lee", "externalId eq \"amy.lee\""),
            ("userName sw O", "userName sw \"O\""),
            ("meta.Created gt 2015-10-10T14:38:21.8617979-07:00", "meta.Created gt \"2015-10-10T14:38:21.8617979-07:00\""),
            ("name.FamilyName eq Employee and (emails.Value co example.com or emails.Value co example.org)", "(name.FamilyName eq \"Employee\" and (emails.Value co \"example.com\" or emails.Value co \"example.org\"))"),
            ("DisplayName eq \"BobIsAmazing\"", "DisplayName eq \"BobIsAmazing\""),
            ("active eq True", "active eq true"),
            ("active eq FALSE", "active eq false"),
            ("manager eq NULL", "manager eq null"),
            ("x eq -1.5e3", "x eq -1500.0"),
            ("x eq 42", "x eq 42"),
            ("x eq 01", "x eq \"01\""),
            ("x eq \"\"", "x eq \"\""),
            ("x eq \"a\\\"b\\\\c\\/d\\n\"", "x eq \"a\\\"b\\\\c/d\\n\""),
            ("members[$ref eq \"u\"]", "members[$ref eq \"u\"]"),
        ];
        for (input, expected) in table {
            assert_eq!(canonical(input), expected, "for {input:?}");
        }
    }

    #[test]
    fn or_binds_looser_than_and() {
        let f = parse("title pr or nickName pr and locale pr").unwrap();
        assert!(
            matches!(&f, Filter::Or(l, r) if matches!(**l, Filter::Present(_)) && matches!(**r, Filter::And(..)))
        );
        let f = parse("title pr and nickName pr or locale pr").unwrap();
        assert!(matches!(&f, Filter::Or(l, _) if matches!(**l, Filter::And(..))));
    }

    #[test]
    fn not_binds_tighter_than_and_and_parentheses_override() {
        let f = parse("not (title pr) and locale pr").unwrap();
        assert!(matches!(&f, Filter::And(l, _) if matches!(**l, Filter::Not(_))));
        let f = parse("title pr and (nickName pr or locale pr)").unwrap();
        assert!(matches!(&f, Filter::And(_, r) if matches!(**r, Filter::Or(..))));
    }

    #[test]
    fn filter_rule_parses_a_whole_or_chain() {
        let (rest, f) = filter("a pr or b pr)", TOP).unwrap();
        assert_eq!(rest, ")");
        assert_eq!(f.to_string(), "(a pr or b pr)");
    }

    #[test]
    fn and_exp_rule_stops_at_or() {
        let (rest, f) = and_exp("a pr and b pr or c pr", TOP).unwrap();
        assert_eq!(rest, " or c pr");
        assert_eq!(f.to_string(), "(a pr and b pr)");
    }

    #[test]
    fn not_exp_rule_accepts_with_and_without_space() {
        assert_eq!(
            not_exp("not (a pr)", TOP).unwrap().1.to_string(),
            "not (a pr)"
        );
        assert_eq!(
            not_exp("Not(a pr)", TOP).unwrap().1.to_string(),
            "not (a pr)"
        );
        assert!(matches!(not_exp("not a pr", TOP), Err(Err::Failure(_))));
    }

    #[test]
    fn attr_exp_rule_reads_pr_and_comparisons() {
        assert_eq!(
            attr_exp(" pr", path("a", None)).unwrap().1,
            Filter::Present(path("a", None))
        );
        assert_eq!(
            attr_exp(" eq \"x\"", path("a", None)).unwrap().1,
            eq_str("a", "x")
        );
        assert!(attr_exp(" prx", path("a", None)).is_err());
    }

    #[test]
    fn value_path_rule_reads_bracketed_filters() {
        let (rest, f) = path_exp("emails[type eq \"work\"] and", TOP).unwrap();
        assert_eq!(rest, " and");
        assert_eq!(
            f,
            Filter::ValuePath(path("emails", None), Box::new(eq_str("type", "work")))
        );
    }

    #[test]
    fn entra_value_path_with_sub_attribute_becomes_a_conjunction() {
        let f = parse("emails[type eq \"work\"].value eq \"x\"").unwrap();
        let inner = Filter::And(
            Box::new(eq_str("type", "work")),
            Box::new(eq_str("value", "x")),
        );
        assert_eq!(f, Filter::ValuePath(path("emails", None), Box::new(inner)));
        let f = parse("emails[type eq \"work\"].value pr").unwrap();
        let inner = Filter::And(
            Box::new(eq_str("type", "work")),
            Box::new(Filter::Present(path("value", None))),
        );
        assert_eq!(f, Filter::ValuePath(path("emails", None), Box::new(inner)));
    }

    #[test]
    fn val_filter_rule_rejects_nested_value_paths() {
        assert!(matches!(val_filter("a[b pr]", TOP), Err(Err::Failure(_))));
        assert!(error("emails[type[value pr]]").contains("nested"));
    }

    #[test]
    fn attr_path_rule_splits_urn_name_and_sub_attribute() {
        let (_, p) = attr_path(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq",
        )
        .unwrap();
        assert_eq!(
            p.urn.as_deref(),
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        );
        assert_eq!(
            (p.name.as_str(), p.sub.as_deref()),
            ("manager", Some("value"))
        );
        let (rest, p) = attr_path("name.givenName eq").unwrap();
        assert_eq!((rest, p), (" eq", path("name", Some("givenName"))));
        let (_, p) =
            attr_path("urn:ietf:params:scim:schemas:extension:Acme:2.0:User:badge").unwrap();
        assert_eq!(
            p.urn.as_deref(),
            Some("urn:ietf:params:scim:schemas:extension:Acme:2.0:User")
        );
        assert_eq!(p.name, "badge");
        assert!(attr_path("1abc").is_err());
        assert_eq!(attr_path("$ref").unwrap().1, path("$ref", None));
    }

    #[test]
    fn compare_op_rule_reads_every_operator_in_any_case() {
        let ops = [
            ("eq", CompareOp::Eq),
            ("NE", CompareOp::Ne),
            ("Co", CompareOp::Co),
            ("sw", CompareOp::Sw),
            ("eW", CompareOp::Ew),
            ("gt", CompareOp::Gt),
            ("GE", CompareOp::Ge),
            ("lt", CompareOp::Lt),
            ("le", CompareOp::Le),
        ];
        for (text, op) in ops {
            assert_eq!(compare_op(text).unwrap().1, op);
            let f = parse(&format!("title {text} \"x\"")).unwrap();
            assert_eq!(f.to_string(), format!("title {op} \"x\""));
        }
        assert!(compare_op("eqx").is_err());
    }

    #[test]
    fn comp_value_rule_reads_json_literals_and_legacy_words() {
        let v = |s: &str| comp_value(s).unwrap().1;
        assert_eq!(v("true"), CompValue::Bool(true));
        assert_eq!(v("False"), CompValue::Bool(false));
        assert_eq!(v("null"), CompValue::Null);
        assert_eq!(v("12"), CompValue::Number(12.into()));
        assert_eq!(v("\"x y\""), CompValue::Str("x y".into()));
        assert_eq!(v("amy.lee)"), CompValue::Str("amy.lee".into()));
        assert_eq!(v("truex"), CompValue::Str("truex".into()));
        assert_eq!(v("1.2.3"), CompValue::Str("1.2.3".into()));
    }

    #[test]
    fn number_rule_reads_sign_fraction_and_exponent() {
        let n = |s: &str| {
            all_consuming(number)
                .parse(s)
                .map(|(_, n)| n.to_string())
                .ok()
        };
        assert_eq!(n("0").as_deref(), Some("0"));
        assert_eq!(n("-7").as_deref(), Some("-7"));
        assert_eq!(n("2.5").as_deref(), Some("2.5"));
        assert_eq!(n("1e3").as_deref(), Some("1000.0"));
        assert_eq!(n("-1.5E-2").as_deref(), Some("-0.015"));
        assert_eq!(n("1e+2").as_deref(), Some("100.0"));
        assert_eq!(
            n("18446744073709551615").as_deref(),
            Some("18446744073709551615")
        );
        assert_eq!(n("01"), None);
        assert_eq!(n("1."), None);
        assert_eq!(n(".5"), None);
        assert_eq!(n("+1"), None);
        assert_eq!(n("1e400"), None);
    }

    #[test]
    fn string_rule_decodes_every_escape() {
        fn s(t: &str) -> Result<String, Err<SyntaxError<'_>>> {
            string(t).map(|(_, s)| s)
        }
        assert_eq!(s(r#""""#).unwrap(), "");
        assert_eq!(s(r#""a\"b""#).unwrap(), "a\"b");
        assert_eq!(s(r#""\\\/\b\f\n\r\t""#).unwrap(), "\\/\u{8}\u{c}\n\r\t");
        assert_eq!(s(r#""\u00e9\u4E2D""#).unwrap(), "é中");
        assert_eq!(s(r#""\ud83d\ude00""#).unwrap(), "😀");
        assert!(matches!(s(r#""\ud83d""#), Err(Err::Failure(_))));
        assert!(matches!(s(r#""\ude00""#), Err(Err::Failure(_))));
        assert!(matches!(s(r#""\x""#), Err(Err::Failure(_))));
        assert!(matches!(s(r#""abc"#), Err(Err::Failure(_))));
    }

    #[test]
    fn entra_filter_shapes_parse() {
        let shapes = [
            "userName eq \"5a8b9c2e-1f4d-4a3b-9c8d-7e6f5a4b3c2d\"",
            "externalId eq \"amy.lee\"",
            "externalId eq jyoung",
            "emails[type eq \"work\"].value eq \"amy@contoso.example\"",
            "displayName eq \"Finance\"",
            "id eq \"1\" and manager eq \"2\"",
            "members[value eq \"7d1f\"]",
        ];
        for s in shapes {
            assert!(parse(s).is_ok(), "{s}");
        }
    }

    #[test]
    fn errors_name_the_byte_offset_and_what_was_expected() {
        assert_eq!(
            error("userName foo \"x\""),
            "invalid filter at byte 8: expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) or \"pr\""
        );
        assert_eq!(
            error("userName eq"),
            format!("invalid filter at byte 11: expected {EXPECTED_VALUE}")
        );
        assert_eq!(
            error(""),
            format!("invalid filter at byte 0: expected {EXPECTED_OPERAND}")
        );
        assert_eq!(
            error("title pr or"),
            format!("invalid filter at byte 11: expected {EXPECTED_OPERAND}")
        );
        assert_eq!(
            error("title pr foo"),
            "invalid filter at byte 9: expected \"and\", \"or\" or the end of the filter"
        );
        assert_eq!(
            error("(title pr"),
            "invalid filter at byte 9: expected \"and\", \"or\" or \")\""
        );
        assert_eq!(
            error("emails[type pr"),
            "invalid filter at byte 14: expected \"and\", \"or\" or \"]\""
        );
        assert_eq!(
            error("not title pr"),
            "invalid filter at byte 4: expected \"(\" after \"not\""
        );
        assert_eq!(
            error("x eq \"abc"),
            "invalid filter at byte 9: expected a closing '\"'"
        );
        assert!(error("title pr andrew pr").starts_with("invalid filter at byte 9:"));
        assert!(error("name.givenName[x pr]").contains("without a sub-attribute"));
        assert!(error("x eq \"\\ud800\"").contains("surrogate"));
    }

    #[test]
    fn filters_longer_than_the_limit_are_rejected() {
        let long = format!("userName eq \"{}\"", "a".repeat(MAX_LENGTH));
        assert_eq!(
            error(&long),
            format!("filter is longer than {MAX_LENGTH} bytes")
        );
    }

    #[test]
    fn deep_nesting_is_rejected_without_overflowing_the_stack() {
        for input in [
            "(".repeat(100_000),
            "not (".repeat(100_000),
            format!("a[{}", "(".repeat(100_000)),
        ] {
            let e = parse_unbounded(&input).unwrap_err();
            assert!(e.detail.contains("nesting deeper than"), "{}", e.detail);
        }
        assert!(parse_unbounded(&"a[".repeat(100_000))
            .unwrap_err()
            .detail
            .contains("nested"));
        assert!(error(&"(".repeat(100_000)).contains("longer than"));
        let ok = format!("{}title pr{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
        let deep = format!(
            "{}title pr{}",
            "(".repeat(MAX_DEPTH + 1),
            ")".repeat(MAX_DEPTH + 1)
        );
        assert!(error(&deep).contains(&format!("at byte {MAX_DEPTH}")));
        let nots = format!(
            "{}title pr{}",
            "not (".repeat(MAX_DEPTH + 1),
            ")".repeat(MAX_DEPTH + 1)
        );
        assert!(error(&nots).contains("nesting deeper than"));
    }

    #[test]
    fn accepted_filters_never_print_deeper_than_the_limit() {
        // Each level of `(x and y or z)` prints as two levels of parentheses.
        let mut text = "title pr".to_string();
        for _ in 0..MAX_DEPTH * 2 / 3 {
            text = format!("(title pr and {text} or title pr)");
        }
        assert!(parse_unbounded(&text)
            .unwrap_err()
            .detail
            .contains("nesting deeper than"));
        let path = format!("emails[{text}]");
        assert!(parse_patch_path(&path)
            .unwrap_err()
            .detail
            .contains("nesting deeper than"));
    }

    #[test]
    fn patch_paths_parse() {
        let p = |s: &str| parse_patch_path(s).unwrap();
        let name = p("name.givenName");
        assert_eq!(
            (
                name.name.as_str(),
                name.sub.as_deref(),
                name.filter.is_none()
            ),
            ("name", Some("givenName"), true)
        );
        let emails = p("emails[type eq \"work\"].value");
        assert_eq!(emails.filter, Some(eq_str("type", "work")));
        assert_eq!(emails.sub.as_deref(), Some("value"));
        let members = p("members[value eq \"7d1f\"]");
        assert_eq!(
            (members.filter, members.sub),
            (Some(eq_str("value", "7d1f")), None)
        );
        let roles = p("roles[primary eq \"True\"].value");
        assert_eq!(roles.filter, Some(eq_str("primary", "True")));
        let addr = p("Addresses[Type eq \"work\"].Formatted");
        assert_eq!(
            (addr.name.as_str(), addr.sub.as_deref()),
            ("Addresses", Some("Formatted"))
        );
        let legacy = p("emails[type eq work]");
        assert_eq!(legacy.filter, Some(eq_str("type", "work")));
        let manager = p("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value");
        assert_eq!(manager.urn.as_deref(), Some(schema::ENTERPRISE_USER_URN));
        assert_eq!(
            (manager.name.as_str(), manager.sub.as_deref()),
            ("manager", Some("value"))
        );
        let manager = p("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager");
        assert_eq!((manager.name.as_str(), manager.sub), ("manager", None));
    }

    #[test]
    fn a_bare_schema_urn_is_a_whole_extension_path() {
        for urn in [
            schema::ENTERPRISE_USER_URN,
            "urn:ietf:params:scim:schemas:extension:Acme:2.0:User",
            "urn:ietf:params:scim:schemas:extension:Acme:2.0:Group",
        ] {
            let p = parse_patch_path(urn).unwrap();
            assert_eq!(
                p,
                PatchPath {
                    urn: None,
                    name: urn.into(),
                    filter: None,
                    sub: None
                }
            );
            assert_eq!(p.to_string(), urn);
        }
        let badge =
            parse_patch_path("urn:ietf:params:scim:schemas:extension:Acme:2.0:User:badge").unwrap();
        assert_eq!(
            badge.urn.as_deref(),
            Some("urn:ietf:params:scim:schemas:extension:Acme:2.0:User")
        );
        assert_eq!(badge.name, "badge");
    }

    #[test]
    fn patch_path_errors_are_invalid_path_with_an_offset() {
        let e = |s: &str| parse_patch_path(s).unwrap_err();
        let err = e("emails[type eq]");
        assert_eq!(err.scim_type, Some(crate::scim::ScimType::InvalidPath));
        assert_eq!(
            err.detail,
            format!("invalid path at byte 14: expected {EXPECTED_VALUE}")
        );
        assert_eq!(
            e("").detail,
            "invalid path at byte 0: expected an attribute path"
        );
        assert_eq!(
            e("name.givenName x").detail,
            "invalid path at byte 15: expected the end of the path"
        );
        assert!(e("emails[type[value pr]]").detail.contains("nested"));
        assert!(e("name.givenName[x pr]")
            .detail
            .contains("without a sub-attribute"));
    }

    #[test]
    fn patch_paths_print_and_parse_back() {
        for s in [
            "emails[type eq \"work\"].value",
            "members[value eq \"x\" or value eq \"y\"]",
            "name.givenName",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        ] {
            let p = parse_patch_path(s).unwrap();
            assert_eq!(p.to_string(), s);
            assert_eq!(parse_patch_path(&p.to_string()).unwrap(), p);
        }
    }

    // ---- property tests -------------------------------------------------------------------

    fn arb_name() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "userName",
                "displayName",
                "emails",
                "type",
                "value",
                "active",
                "meta",
                "$ref",
                "name",
                "x509Certificates",
                "not_",
                "and-x",
                "orb",
                "prx",
            ])
            .prop_map(String::from),
            "[a-zA-Z][a-zA-Z0-9_-]{0,8}".prop_filter("keywords are not names", |s| {
                !["not", "and", "or"].contains(&s.to_ascii_lowercase().as_str())
            }),
        ]
    }

    fn arb_urn() -> impl Strategy<Value = Option<String>> {
        prop_oneof![
            4 => Just(None),
            1 => Just(Some(schema::ENTERPRISE_USER_URN.to_string())),
            1 => "urn:[a-z]{1,5}(:[A-Za-z0-9.]{1,5}){0,3}".prop_map(Some),
        ]
    }

    fn arb_path() -> impl Strategy<Value = AttrPath> {
        (arb_urn(), arb_name(), prop::option::of(arb_name()))
            .prop_map(|(urn, name, sub)| AttrPath { urn, name, sub })
    }

    fn arb_value() -> impl Strategy<Value = CompValue> {
        prop_oneof![
            Just(CompValue::Null),
            any::<bool>().prop_map(CompValue::Bool),
            any::<i64>().prop_map(|n| CompValue::Number(n.into())),
            any::<u64>().prop_map(|n| CompValue::Number(n.into())),
            any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
                .map(CompValue::Number)),
            any::<String>().prop_map(CompValue::Str),
            "[\"\\\\ a-z\u{e9}\u{1F600}\n\t]{0,8}".prop_map(CompValue::Str),
        ]
    }

    fn arb_op() -> impl Strategy<Value = CompareOp> {
        prop::sample::select(vec![
            CompareOp::Eq,
            CompareOp::Ne,
            CompareOp::Co,
            CompareOp::Sw,
            CompareOp::Ew,
            CompareOp::Gt,
            CompareOp::Ge,
            CompareOp::Lt,
            CompareOp::Le,
        ])
    }

    fn arb_leaf() -> impl Strategy<Value = Filter> {
        prop_oneof![
            (arb_path(), arb_op(), arb_value()).prop_map(|(p, o, v)| Filter::Compare(p, o, v)),
            arb_path().prop_map(Filter::Present),
        ]
    }

    /// Filters without value paths (what may appear inside one).
    fn arb_flat_filter() -> impl Strategy<Value = Filter> {
        arb_leaf().prop_recursive(5, 24, 2, |inner| {
            prop_oneof![
                (inner.clone(), inner.clone())
                    .prop_map(|(l, r)| Filter::And(Box::new(l), Box::new(r))),
                (inner.clone(), inner.clone())
                    .prop_map(|(l, r)| Filter::Or(Box::new(l), Box::new(r))),
                inner.prop_map(|f| Filter::Not(Box::new(f))),
            ]
        })
    }

    fn arb_filter() -> impl Strategy<Value = Filter> {
        let value_path = (arb_name(), arb_flat_filter()).prop_map(|(name, f)| {
            Filter::ValuePath(
                AttrPath {
                    urn: None,
                    name,
                    sub: None,
                },
                Box::new(f),
            )
        });
        prop_oneof![arb_leaf(), value_path].prop_recursive(5, 32, 2, |inner| {
            prop_oneof![
                (inner.clone(), inner.clone())
                    .prop_map(|(l, r)| Filter::And(Box::new(l), Box::new(r))),
                (inner.clone(), inner.clone())
                    .prop_map(|(l, r)| Filter::Or(Box::new(l), Box::new(r))),
                inner.prop_map(|f| Filter::Not(Box::new(f))),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn printed_filters_parse_back_to_the_same_tree(f in arb_filter()) {
            let text = f.to_string();
            prop_assert_eq!(parse(&text), Ok(f), "text: {}", text);
        }

        #[test]
        fn printed_patch_paths_parse_back(
            name in arb_name(),
            urn in arb_urn(),
            f in prop::option::of(arb_flat_filter()),
            sub in prop::option::of(arb_name()),
        ) {
            let p = PatchPath { urn, name, filter: f, sub };
            let text = p.to_string();
            prop_assert_eq!(parse_patch_path(&text), Ok(p), "text: {}", text);
        }

        #[test]
        fn whatever_parses_prints_as_text_that_parses_back(tokens in prop::collection::vec(prop::sample::select(vec![
            "userName", "emails", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
            ".value", "eq", "Co", "pr", "and", "OR", "not", "(", ")", "[", "]", "\"a\\\"b\"", "\"\"",
            "5", "-1.5e2", "true", "null", "amy.lee", " ", " ", " ",
        ]), 0..24)) {
            let text = tokens.concat();
            if let Ok(f) = parse(&text) {
                prop_assert_eq!(parse(&f.to_string()), Ok(f), "input: {}", text);
            }
            if let Ok(p) = parse_patch_path(&text) {
                prop_assert_eq!(parse_patch_path(&p.to_string()), Ok(p), "input: {}", text);
            }
        }

        #[test]
        fn parse_never_panics(s in any::<String>()) {
            let _ = parse(&s);
            let _ = parse_patch_path(&s);
        }

        #[test]
        fn parse_never_panics_on_filter_like_text(s in "[a-z \"()\\[\\]\\\\.:$0-9-]{0,40}") {
            let _ = parse(&s);
            let _ = parse_patch_path(&s);
        }
    }
}
