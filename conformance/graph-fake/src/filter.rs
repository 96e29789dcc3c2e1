//! `$filter`: a small OData expression parser, and the subset of filters the fake serves
//! (graph.md §5.1): `accountEnabled eq true|false`, `displayName eq|in` (at most 15 terms),
//! `appId eq` on service principals, `id eq … or …` on delta (at most 50). Anything else is
//! a 400, so a client query the fake does not model fails loudly instead of silently
//! returning everything.

use crate::directory::Id;
use crate::query::Advanced;
use crate::reply::{GraphError, Result};

/// Graph's cap on `or`/`in` terms in one filter.
const MAX_TERMS: usize = 15;
/// Delta's cap on `id eq` terms.
const MAX_DELTA_IDS: usize = 50;

#[derive(Debug, PartialEq)]
enum Lit {
    Str(String),
    Word(String),
}

#[derive(Debug)]
enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not,
    Call(String),
    Cmp(String, String, Vec<Lit>),
}

#[derive(Debug, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Open,
    Close,
    Comma,
}

fn lex(s: &str) -> Result<Vec<Tok>> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' | ',' => {
                chars.next();
                out.push(match c {
                    '(' => Tok::Open,
                    ')' => Tok::Close,
                    _ => Tok::Comma,
                });
            }
            '\'' => {
                chars.next();
                let mut lit = String::new();
                loop {
                    match chars.next() {
                        Some('\'') if chars.peek() == Some(&'\'') => {
                            chars.next();
                            lit.push('\'');
                        }
                        Some('\'') => break,
                        Some(c) => lit.push(c),
                        None => return Err(syntax("unterminated string literal")),
                    }
                }
                out.push(Tok::Str(lit));
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || matches!(c, '(' | ')' | ',' | '\'') {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                out.push(Tok::Word(word));
            }
        }
    }
    Ok(out)
}

fn syntax(what: &str) -> GraphError {
    GraphError::bad_request(format!("Invalid filter clause: {what}."))
}

struct Parser {
    toks: Vec<Tok>,
    at: usize,
    depth: usize,
}

impl Parser {
    fn peek_word(&self, word: &str) -> bool {
        matches!(self.toks.get(self.at), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn next(&mut self) -> Option<&Tok> {
        let t = self.toks.get(self.at);
        self.at += 1;
        t
    }

    fn or(&mut self) -> Result<Expr> {
        self.depth += 1;
        if self.depth > 32 {
            return Err(syntax("too deeply nested"));
        }
        let mut terms = vec![self.and()?];
        while self.peek_word("or") {
            self.at += 1;
            terms.push(self.and()?);
        }
        self.depth -= 1;
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Expr::Or(terms)
        })
    }

    fn and(&mut self) -> Result<Expr> {
        let mut terms = vec![self.unary()?];
        while self.peek_word("and") {
            self.at += 1;
            terms.push(self.unary()?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Expr::And(terms)
        })
    }

    fn unary(&mut self) -> Result<Expr> {
        if self.peek_word("not") {
            self.at += 1;
            self.depth += 1;
            if self.depth > 32 {
                return Err(syntax("too deeply nested"));
            }
            self.unary()?;
            return Ok(Expr::Not);
        }
        match self.next() {
            Some(Tok::Open) => {
                let e = self.or()?;
                match self.next() {
                    Some(Tok::Close) => Ok(e),
                    _ => Err(syntax("missing ')'")),
                }
            }
            Some(Tok::Word(w)) => {
                let w = w.clone();
                if self.toks.get(self.at) == Some(&Tok::Open) {
                    self.skip_group()?;
                    return Ok(Expr::Call(w));
                }
                let op = match self.next() {
                    Some(Tok::Word(op)) => op.to_ascii_lowercase(),
                    _ => return Err(syntax(&format!("expected an operator after '{w}'"))),
                };
                let values = if op == "in" {
                    self.list()?
                } else {
                    vec![self.literal()?]
                };
                Ok(Expr::Cmp(w, op, values))
            }
            _ => Err(syntax("expected a property")),
        }
    }

    fn literal(&mut self) -> Result<Lit> {
        match self.next() {
            Some(Tok::Str(s)) => Ok(Lit::Str(s.clone())),
            Some(Tok::Word(w)) => Ok(Lit::Word(w.clone())),
            _ => Err(syntax("expected a value")),
        }
    }

    fn list(&mut self) -> Result<Vec<Lit>> {
        if self.next() != Some(&Tok::Open) {
            return Err(syntax("expected '(' after 'in'"));
        }
        let mut values = vec![self.literal()?];
        loop {
            match self.next() {
                Some(Tok::Comma) => values.push(self.literal()?),
                Some(Tok::Close) => return Ok(values),
                _ => return Err(syntax("expected ',' or ')'")),
            }
        }
    }

    /// Skips a function's argument list (the fake supports no functions).
    fn skip_group(&mut self) -> Result<()> {
        let mut depth = 0usize;
        loop {
            match self.next() {
                Some(Tok::Open) => depth += 1,
                Some(Tok::Close) => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Ok(());
                    }
                }
                Some(_) => {}
                None => return Err(syntax("missing ')'")),
            }
        }
    }
}

fn parse(raw: &str) -> Result<Expr> {
    let mut p = Parser {
        toks: lex(raw)?,
        at: 0,
        depth: 0,
    };
    let e = p.or()?;
    if p.at != p.toks.len() {
        return Err(syntax("unexpected trailing tokens"));
    }
    Ok(e)
}

/// Where the filter is used: decides what it may say.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Users,
    Groups,
    ServicePrincipals,
    /// Member lists (advanced queries only).
    Members,
    Delta,
}

impl Target {
    fn resource(self) -> &'static str {
        match self {
            Target::Users | Target::Members => "User",
            Target::Groups => "Group",
            Target::ServicePrincipals => "ServicePrincipal",
            Target::Delta => "DirectoryObject",
        }
    }
}

#[derive(Debug, PartialEq)]
pub(crate) enum Filter {
    AccountEnabled(bool),
    /// `displayName eq` / `in`: matched case-insensitively.
    DisplayName(Vec<String>),
    AppId(String),
    Ids(Vec<Id>),
}

/// Operators that exist only in advanced queries.
fn advanced_operator(e: &Expr) -> Option<String> {
    match e {
        Expr::Not => Some("not".into()),
        Expr::Call(f) if f.eq_ignore_ascii_case("endswith") => Some("endsWith".into()),
        Expr::Cmp(_, op, _) if op == "ne" => Some("ne".into()),
        Expr::Cmp(p, ..) if p.contains("$count") => Some("$count".into()),
        Expr::Or(es) | Expr::And(es) => es.iter().find_map(advanced_operator),
        _ => None,
    }
}

pub(crate) fn parse_filter(raw: &str, target: Target, advanced: Advanced) -> Result<Filter> {
    let expr = parse(raw)?;
    if let Some(op) = advanced_operator(&expr) {
        advanced.require(&op)?;
    }
    let unsupported = |prop: &str| {
        GraphError::unsupported(format!(
            "Unsupported or invalid query filter clause specified for property '{prop}' of resource '{}'.",
            target.resource()
        ))
    };
    let terms: Vec<&Expr> = match &expr {
        Expr::Or(es) => es.iter().collect(),
        e => vec![e],
    };
    let mut values: Vec<(String, String, &Lit)> = Vec::new();
    for t in &terms {
        match t {
            Expr::Cmp(p, op, lits) if op == "eq" || op == "in" => {
                for lit in lits {
                    values.push((p.clone(), op.clone(), lit));
                }
            }
            Expr::Cmp(p, ..) => return Err(unsupported(p)),
            Expr::Call(f) => return Err(unsupported(f)),
            _ => return Err(GraphError::unsupported("Unsupported Query.")),
        }
    }
    let prop = values.first().map(|(p, ..)| p.clone()).unwrap_or_default();
    if values.iter().any(|(p, ..)| !p.eq_ignore_ascii_case(&prop)) {
        return Err(GraphError::unsupported("Unsupported Query."));
    }
    let strings = || -> Result<Vec<String>> {
        values
            .iter()
            .map(|(_, _, lit)| match lit {
                Lit::Str(s) => Ok(s.clone()),
                Lit::Word(w) => Err(GraphError::bad_request(format!(
                    "Invalid filter clause: '{w}' is not a string literal."
                ))),
            })
            .collect()
    };
    let single_eq = values.len() == 1 && values.iter().all(|(_, op, _)| op == "eq");
    match (prop.to_ascii_lowercase().as_str(), target) {
        ("accountenabled", Target::Users | Target::Members) if single_eq => {
            match values.first().map(|(_, _, l)| *l) {
                Some(Lit::Word(w)) if w.eq_ignore_ascii_case("true") => {
                    Ok(Filter::AccountEnabled(true))
                }
                Some(Lit::Word(w)) if w.eq_ignore_ascii_case("false") => {
                    Ok(Filter::AccountEnabled(false))
                }
                _ => Err(GraphError::bad_request(
                    "Invalid filter clause: accountEnabled compares with true or false.",
                )),
            }
        }
        ("displayname", Target::Users | Target::Groups) => {
            if values.len() > MAX_TERMS {
                return Err(GraphError::unsupported(format!(
                    "Too many child clauses specified in search filter expression containing 'OR' operators: {}. Max allowed: {MAX_TERMS}.",
                    values.len()
                )));
            }
            Ok(Filter::DisplayName(strings()?))
        }
        ("appid", Target::ServicePrincipals) if single_eq => {
            Ok(Filter::AppId(strings()?.remove(0)))
        }
        ("id", Target::Delta) if values.iter().all(|(_, op, _)| op == "eq") => {
            if values.len() > MAX_DELTA_IDS {
                return Err(GraphError::unsupported(format!(
                    "Delta supports at most {MAX_DELTA_IDS} ids in $filter."
                )));
            }
            let ids = strings()?
                .iter()
                .map(|s| {
                    Id::parse_str(s).map_err(|_| {
                        GraphError::bad_request(format!("Invalid object identifier '{s}'."))
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(Filter::Ids(ids))
        }
        _ => Err(unsupported(&prop)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: Advanced = Advanced {
        eventual: false,
        count: false,
    };
    const ADV: Advanced = Advanced {
        eventual: true,
        count: true,
    };

    #[test]
    fn the_supported_subset() {
        assert_eq!(
            parse_filter("accountEnabled eq true", Target::Users, PLAIN).unwrap(),
            Filter::AccountEnabled(true)
        );
        assert_eq!(
            parse_filter("displayName in ('A','O''Brien')", Target::Groups, PLAIN).unwrap(),
            Filter::DisplayName(vec!["A".into(), "O'Brien".into()])
        );
        assert_eq!(
            parse_filter(
                "displayName eq 'A' or displayName eq 'B'",
                Target::Groups,
                PLAIN
            )
            .unwrap(),
            Filter::DisplayName(vec!["A".into(), "B".into()])
        );
        assert_eq!(
            parse_filter("appId eq 'abc'", Target::ServicePrincipals, PLAIN).unwrap(),
            Filter::AppId("abc".into())
        );
        let id = Id::from_u128(7);
        assert_eq!(
            parse_filter(&format!("id eq '{id}'"), Target::Delta, PLAIN).unwrap(),
            Filter::Ids(vec![id])
        );
    }

    #[test]
    fn everything_else_is_a_400() {
        let terms: Vec<String> = (0..16).map(|i| format!("'g{i}'")).collect();
        let many = format!("displayName in ({})", terms.join(","));
        for (f, t) in [
            (many.as_str(), Target::Groups),
            ("userType eq 'Guest'", Target::Users),
            ("startswith(displayName,'a')", Target::Users),
            ("accountEnabled eq true", Target::Groups),
            ("appId eq 'x'", Target::Users),
            (
                "accountEnabled eq true and displayName eq 'x'",
                Target::Users,
            ),
            ("displayName eq", Target::Users),
            ("(((", Target::Users),
            ("displayName eq 'unterminated", Target::Users),
            ("id eq 'not-a-guid'", Target::Delta),
        ] {
            assert_eq!(parse_filter(f, t, ADV).unwrap_err().status, 400, "{f}");
        }
    }

    #[test]
    fn advanced_operators_need_the_advanced_parameters() {
        let e = parse_filter("accountEnabled ne true", Target::Users, PLAIN).unwrap_err();
        assert!(e.message.contains("ConsistencyLevel"), "{}", e.message);
        let e = parse_filter("endsWith(mail,'@x.com')", Target::Users, PLAIN).unwrap_err();
        assert!(e.message.contains("endsWith"), "{}", e.message);
    }
}
