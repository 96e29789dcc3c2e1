//! RFC 7644 §3.5.2 PATCH: parse a PatchOp body, apply its operations to a copy of a stored
//! document (all-or-nothing), and re-check the result with the same rules as a POST.
//!
//! Besides the RFC, the engine reads every request shape Microsoft Entra's provisioning engine
//! sends (shared/reference/entra-scim.md §2.5–§2.9, both dialects): capitalised ops, path-less
//! ops with dotted and URN keys, filtered paths that must create the element they name,
//! `"False"` strings, `""` meaning "clear", the manager in all its forms, and the legacy
//! member-removal shape. docs/entra-compatibility.md lists them with what scimd does.
//!
//! Layout: [`request`] parses the body, [`path`] resolves a path against the schemas,
//! [`apply`] runs the operations on the document, [`members`] turns Group member operations into
//! [`MemberChanges`] (members are rows in storage, never part of the document).

mod apply;
mod members;
mod path;
mod request;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;

pub use request::{parse_request, MAX_OPERATIONS};

use crate::scim::resource::{CheckOptions, Checked, MemberRef};
use crate::scim::schema::ResourceKind;
use crate::scim::ScimError;
use serde_json::{Map, Value};

/// The `schemas` value of a PATCH body (RFC 7644 §3.5.2).
pub const PATCH_OP_URN: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// RFC 7644 §3.5.2: "Each PATCH operation object MUST have exactly one "op" member, whose value
/// indicates the operation to perform and MAY be one of "add", "remove", or "replace"."
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Add,
    Replace,
    Remove,
}

impl OpKind {
    /// The op name in any letter case (Entra sends `Add`, `Replace`, `Remove` by default).
    pub fn parse(s: &str) -> Option<OpKind> {
        [OpKind::Add, OpKind::Replace, OpKind::Remove]
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
    }
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::Add => "add",
            OpKind::Replace => "replace",
            OpKind::Remove => "remove",
        }
    }
}

/// One operation as sent: `path` trimmed (an empty path is no path), `value` as sent
/// (`Some(Value::Null)` for an explicit null, `None` when the member is absent).
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOp {
    pub op: OpKind,
    pub path: Option<String>,
    pub value: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PatchRequest {
    pub operations: Vec<PatchOp>,
    /// Lenient readings of the body itself (e.g. a missing `schemas`), for the provisioning log.
    /// [`apply`] copies them into `checked.notes.normalizations`.
    pub notes: Vec<String>,
}

/// The net effect of a PATCH on a Group's members. Storage applies it in this order: if `clear`,
/// remove all members; then remove `remove`; then insert `add` (idempotently).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemberChanges {
    pub clear: bool,
    pub add: Vec<MemberRef>,
    pub remove: Vec<String>,
}

impl MemberChanges {
    pub fn is_empty(&self) -> bool {
        !self.clear && self.add.is_empty() && self.remove.is_empty()
    }
}

/// What a successful PATCH produced.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOutcome {
    /// The new document (from `resource::recheck`) and every note: the request's, each
    /// operation's (prefixed `Operations[i]: `), then the re-check's. `checked.members` is empty.
    pub checked: Checked,
    /// Group member changes (always empty for Users).
    pub members: MemberChanges,
    /// The attributes whose value changed, with before and after (see [`crate::scim::diff`]).
    pub changes: Vec<crate::scim::diff::Change>,
}

impl PatchOutcome {
    /// Canonical paths of the attributes whose value changed.
    pub fn changed(&self) -> Vec<String> {
        self.changes.iter().map(|c| c.attr.clone()).collect()
    }
}

/// Apply all operations of `req`, in order, to a copy of `current` (a stored document: canonical
/// keys, no `id`/`meta`/`members`), then re-check the whole result with `resource::recheck`.
///
/// RFC 7644 §3.5.2: "Each operation against an attribute MUST be compatible with the attribute's
/// mutability and schema"; the operations are applied in sequence, each to the result of the
/// previous one, and the request is atomic: any error returns `Err` and nothing is applied.
pub fn apply(
    kind: ResourceKind,
    current: &Map<String, Value>,
    req: &PatchRequest,
    opts: CheckOptions,
) -> Result<PatchOutcome, ScimError> {
    apply::run(&apply::REAL, kind, current, req, opts)
}
