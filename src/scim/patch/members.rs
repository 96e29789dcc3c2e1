//! Group `members` operations. Memberships are rows in storage, so the engine never sees the
//! member list: it only computes the net [`MemberChanges`] of the request.

use super::{MemberChanges, OpKind};
use crate::scim::filter::{AttrPath, CompValue, CompareOp, Filter};
use crate::scim::resource::{check_members, MemberRef};
use crate::scim::ScimError;
use serde_json::Value;
use std::collections::HashSet;

/// The member selections scimd understands, for error details.
pub(super) const SUPPORTED_FORMS: &str = r#"select members by id only: {"op":"remove","path":"members[value eq \"<id>\"]"} (several ids joined with or), {"op":"remove","path":"members","value":[{"value":"<id>"}]}, {"op":"add","path":"members","value":[{"value":"<id>"}]}, or {"op":"remove","path":"members"} to remove all"#;

/// The ids a `members[...]` filter selects: `value eq "<id>"`, optionally `or`-ed.
pub(super) fn filter_ids(f: &Filter) -> Result<Vec<String>, ScimError> {
    match f {
        Filter::Compare(
            AttrPath {
                urn: None,
                name,
                sub: None,
            },
            CompareOp::Eq,
            CompValue::Str(id),
        ) if name.eq_ignore_ascii_case("value") => Ok(vec![id.clone()]),
        Filter::Or(a, b) => {
            let mut ids = filter_ids(a)?;
            ids.extend(filter_ids(b)?);
            Ok(ids)
        }
        _ => Err(ScimError::invalid_path(format!(
            "unsupported members filter; {SUPPORTED_FORMS}"
        ))),
    }
}

/// Apply one members operation to the running net effect.
///
/// RFC 7644 §3.5.2.1 add appends members; §3.5.2.3 replace without a filter replaces the whole
/// list (clear, then add); §3.5.2.2 remove with a `value eq` filter removes the matching members
/// and without a path filter removes all of them.
pub(super) fn apply(
    changes: &mut MemberChanges,
    op: OpKind,
    ids: Option<Vec<String>>,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    match (op, ids) {
        (OpKind::Remove, Some(ids)) => changes.remove_members(ids),
        (_, Some(_)) => {
            return Err(ScimError::invalid_path(format!(
                "{} with a members[...] filter is not supported; {SUPPORTED_FORMS}",
                op.as_str()
            )))
        }
        (OpKind::Add, None) => changes.add_members(refs(value)?),
        (OpKind::Replace, None) => {
            let refs = refs(value)?;
            changes.clear_all();
            changes.add_members(refs);
        }
        (OpKind::Remove, None) => match value {
            None | Some(Value::Null) => changes.clear_all(),
            // interop(entra): the default dialect removes members with a value list
            // (entra-scim.md §2.7 P-G6, §5.3): remove ONLY the listed ids, never all.
            Some(v) => {
                changes.remove_members(refs(Some(v))?.into_iter().map(|r| r.value).collect())
            }
        },
    }
    Ok(())
}

fn refs(value: Option<&Value>) -> Result<Vec<MemberRef>, ScimError> {
    // Bare id strings and a single object are read as well (Microsoft's Postman suite).
    check_members(value.unwrap_or(&Value::Null))
}

impl MemberChanges {
    fn clear_all(&mut self) {
        self.clear = true;
        self.add.clear();
        self.remove.clear();
    }

    /// Add: drop the ids from `remove`, push to `add` (deduplicated by id).
    fn add_members(&mut self, refs: Vec<MemberRef>) {
        let new: HashSet<&str> = refs.iter().map(|r| r.value.as_str()).collect();
        self.remove.retain(|id| !new.contains(id.as_str()));
        let mut seen: HashSet<String> = self.add.iter().map(|r| r.value.clone()).collect();
        for r in refs {
            if seen.insert(r.value.clone()) {
                self.add.push(r);
            }
        }
    }

    /// Remove: drop the ids from `add`, push to `remove` (deduplicated).
    fn remove_members(&mut self, ids: Vec<String>) {
        let gone: HashSet<&str> = ids.iter().map(String::as_str).collect();
        self.add.retain(|r| !gone.contains(r.value.as_str()));
        let mut seen: HashSet<String> = self.remove.iter().cloned().collect();
        for id in ids {
            if seen.insert(id.clone()) {
                self.remove.push(id);
            }
        }
    }
}
