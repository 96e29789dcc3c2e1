//! Filter syntax tree, as written (names not yet resolved against a schema).

use std::fmt::{self, Write as _};

/// `[urn ":"] attrName ["." subAttr]`. Names are kept as written; comparisons against the schema
/// are case-insensitive (RFC 7643 §2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    pub urn: Option<String>,
    pub name: String,
    pub sub: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

/// `compValue = false / null / true / number / string` (RFC 7644 §3.4.2.2).
#[derive(Debug, Clone, PartialEq)]
pub enum CompValue {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    Str(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `attrPath compareOp compValue`
    Compare(AttrPath, CompareOp, CompValue),
    /// `attrPath pr`
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `attrPath "[" valFilter "]"`: some element of the (multi-valued) attribute matches the inner
    /// filter, whose paths are relative to the element (`type eq "work"` inside `emails[...]`).
    /// Entra's `emails[type eq "work"].value eq "x"` is read as `emails[type eq "work" and value eq "x"]`.
    ValuePath(AttrPath, Box<Filter>),
}

/// RFC 7644 §3.5.2 PATCH `path`: `attrPath / valuePath [subAttr]`.
/// `name.givenName` → `{name, filter: None, sub: Some(givenName)}`;
/// `emails[type eq "work"].value` → `{emails, filter: Some(..), sub: Some(value)}`;
/// `members[value eq "x"]` → `{members, filter: Some(..), sub: None}`;
/// a whole extension (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`) →
/// `{urn: None, name: <the URN>, filter: None, sub: None}`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    pub urn: Option<String>,
    pub name: String,
    pub filter: Option<Filter>,
    pub sub: Option<String>,
}

impl CompareOp {
    /// The operator as the RFC spells it (lowercase).
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.urn {
            write!(f, "{urn}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

/// JSON text: strings are always quoted, so a string `"true"` stays a string when re-parsed.
impl fmt::Display for CompValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompValue::Null => f.write_str("null"),
            CompValue::Bool(b) => write!(f, "{b}"),
            CompValue::Number(n) => write!(f, "{n}"),
            CompValue::Str(s) => write_json_string(f, s),
        }
    }
}

/// RFC 8259 §7 escaping: quote, backslash and control characters; everything else verbatim.
fn write_json_string(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            '\u{8}' => f.write_str("\\b")?,
            '\u{c}' => f.write_str("\\f")?,
            c if c.is_control() => write!(f, "\\u{:04x}", u32::from(c))?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

/// Canonical text: lowercase keywords, every `and`/`or` group in parentheses (a left-nested chain of
/// the same operator shares one pair: `(a pr and b pr and c pr)`), `not (…)` and `[…]` without a
/// redundant inner pair. `parser::parse` reads it back to the same tree.
impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::Compare(path, op, value) => write!(f, "{path} {op} {value}"),
            Filter::Present(path) => write!(f, "{path} pr"),
            Filter::And(..) | Filter::Or(..) => {
                f.write_char('(')?;
                self.write_chain(f)?;
                f.write_char(')')
            }
            Filter::Not(inner) => {
                f.write_str("not (")?;
                inner.write_inner(f)?;
                f.write_char(')')
            }
            Filter::ValuePath(path, inner) => {
                write!(f, "{path}[")?;
                inner.write_inner(f)?;
                f.write_char(']')
            }
        }
    }
}

impl Filter {
    /// Nesting of parentheses, `not (…)` and `[…]` in the canonical text: what the parser's
    /// `MAX_DEPTH` limits, so that every filter `parse` accepts prints as text it accepts again.
    pub fn depth(&self) -> usize {
        match self {
            Filter::Compare(..) | Filter::Present(..) => 0,
            Filter::And(..) | Filter::Or(..) => 1 + self.chain_depth(),
            Filter::Not(inner) | Filter::ValuePath(_, inner) => 1 + inner.inner_depth(),
        }
    }

    /// Depth of the operands printed inside one `and`/`or` group.
    fn chain_depth(&self) -> usize {
        match self {
            Filter::And(l, r) | Filter::Or(l, r) => {
                let left = if same_operator(self, l) {
                    l.chain_depth()
                } else {
                    l.depth()
                };
                left.max(r.depth())
            }
            other => other.depth(),
        }
    }

    /// Depth of the text between `not (`…`)` or `[`…`]`.
    pub(crate) fn inner_depth(&self) -> usize {
        match self {
            Filter::And(..) | Filter::Or(..) => self.chain_depth(),
            other => other.depth(),
        }
    }

    fn write_chain(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (l, r, op) = match self {
            Filter::And(l, r) => (l, r, " and "),
            Filter::Or(l, r) => (l, r, " or "),
            other => return write!(f, "{other}"),
        };
        if same_operator(self, l) {
            l.write_chain(f)?;
        } else {
            write!(f, "{l}")?;
        }
        f.write_str(op)?;
        write!(f, "{r}")
    }

    /// Inside `not (…)` and `[…]` the delimiters already group an `and`/`or`.
    fn write_inner(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::And(..) | Filter::Or(..) => self.write_chain(f),
            other => write!(f, "{other}"),
        }
    }
}

fn same_operator(parent: &Filter, child: &Filter) -> bool {
    matches!(
        (parent, child),
        (Filter::And(..), Filter::And(..)) | (Filter::Or(..), Filter::Or(..))
    )
}

/// `urn:name[filter].sub`; a whole-extension path (`urn: None`, `name` = the URN) prints as the URN.
impl fmt::Display for PatchPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.urn {
            write!(f, "{urn}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(filter) = &self.filter {
            f.write_char('[')?;
            filter.write_inner(f)?;
            f.write_char(']')?;
        }
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}
