//! Parsing a PatchOp body (RFC 7644 §3.5.2) into [`PatchRequest`].

use super::{OpKind, PatchOp, PatchRequest, PATCH_OP_URN};
use crate::scim::resource::{get_ci, json_kind};
use crate::scim::ScimError;
use serde_json::Value;

/// Most operations accepted in one PATCH body. Entra sends a handful; a larger body is a
/// mistake or an attack, and is answered `400 tooMany`.
pub const MAX_OPERATIONS: usize = 1000;

const EXAMPLE: &str = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"…"}]}"#;

/// Parse a PatchOp body.
///
/// RFC 7644 §3.5.2: "The body of an HTTP PATCH request MUST contain the attribute "Operations",
/// whose value is an array of one or more PATCH operations." `op` is read in any letter case
/// (interop(entra): `Add`/`Replace`/`Remove` by default, entra-scim.md §2.5, §4.1); members of an
/// operation other than `op`, `path` and `value` (e.g. `"name":"addMember"` in Microsoft's
/// Postman suite) and of the body other than `schemas` and `Operations` (e.g. `id`) are ignored.
/// A missing or unexpected `schemas` is tolerated and noted.
pub fn parse_request(body: &Value) -> Result<PatchRequest, ScimError> {
    let obj = body.as_object().ok_or_else(|| {
        ScimError::invalid_syntax(format!(
            "a PATCH body must be a JSON object like {EXAMPLE}, got {}",
            json_kind(body)
        ))
    })?;
    let mut notes = Vec::new();
    match get_ci(obj, "schemas") {
        Some(Value::Array(list))
            if list
                .iter()
                .any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(PATCH_OP_URN))) => {}
        None | Some(Value::Null) => notes.push(format!(
            "schemas: missing, read as [\"{PATCH_OP_URN}\"] because \"Operations\" is present"
        )),
        Some(_) => notes.push(format!(
            "schemas: does not list \"{PATCH_OP_URN}\", read as a PatchOp because \"Operations\" is present"
        )),
    }
    let ops = match get_ci(obj, "Operations") {
        Some(Value::Array(a)) => a,
        None | Some(Value::Null) => {
            return Err(ScimError::invalid_syntax(format!(
                "\"Operations\" is missing; a PATCH body looks like {EXAMPLE}"
            )))
        }
        Some(other) => {
            return Err(ScimError::invalid_syntax(format!(
                "\"Operations\" must be an array of operations, got {}",
                json_kind(other)
            )))
        }
    };
    if ops.is_empty() {
        return Err(ScimError::invalid_syntax(
            "\"Operations\" is empty; send at least one operation",
        ));
    }
    if ops.len() > MAX_OPERATIONS {
        return Err(ScimError::too_many(format!(
            "{} operations in one PATCH; at most {MAX_OPERATIONS} are accepted, split the request",
            ops.len()
        )));
    }
    let operations = ops
        .iter()
        .enumerate()
        .map(|(i, op)| parse_op(op).map_err(|e| e.context(format!("Operations[{i}]"))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PatchRequest { operations, notes })
}

fn parse_op(v: &Value) -> Result<PatchOp, ScimError> {
    let o = v.as_object().ok_or_else(|| {
        ScimError::invalid_syntax(format!(
            "an operation must be an object like {{\"op\":\"replace\",\"path\":\"displayName\",\"value\":\"…\"}}, got {}",
            json_kind(v)
        ))
    })?;
    let op = match get_ci(o, "op") {
        Some(Value::String(s)) => OpKind::parse(s.trim()).ok_or_else(|| {
            ScimError::invalid_syntax(format!(
                "\"op\" must be \"add\", \"replace\" or \"remove\" (any letter case), got {s:?}"
            ))
        })?,
        Some(other) => {
            return Err(ScimError::invalid_syntax(format!(
                "\"op\" must be the string \"add\", \"replace\" or \"remove\", got {}",
                json_kind(other)
            )))
        }
        None => {
            return Err(ScimError::invalid_syntax(
                "\"op\" is missing; it must be \"add\", \"replace\" or \"remove\"",
            ))
        }
    };
    let path = match get_ci(o, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(s.trim().to_string()),
        Some(other) => {
            return Err(ScimError::invalid_path(format!(
                "\"path\" must be a string such as \"name.givenName\", got {}",
                json_kind(other)
            )))
        }
    };
    Ok(PatchOp {
        op,
        path,
        value: get_ci(o, "value").cloned(),
    })
}
