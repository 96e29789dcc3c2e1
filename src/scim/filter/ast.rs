//! Filter syntax tree, as written (names not yet resolved against a schema).

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
/// `members[value eq "x"]` → `{members, filter: Some(..), sub: None}`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    pub urn: Option<String>,
    pub name: String,
    pub filter: Option<Filter>,
    pub sub: Option<String>,
}
