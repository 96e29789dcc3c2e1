//! What the provisioning log may keep of a request: bodies are size-capped and `password`
//! values are replaced, wherever they appear (attribute, extension, PATCH value or path).

use serde_json::Value;

/// Request bodies kept in the provisioning log are cut to this many bytes.
pub const LOGGED_BODY_LIMIT: usize = 16 * 1024;
/// What a redacted value reads as.
pub const REDACTED: &str = "***";

/// The body as the log keeps it: `password` values replaced, then capped. Bodies that do not
/// mention a password (nearly all of Entra's) are kept as sent, without re-serialising.
pub fn body_for_log(text: &str, value: &Value) -> String {
    if !contains_ignore_case(text.as_bytes(), b"password") {
        return cap(text);
    }
    let mut v = value.clone();
    redact_value(&mut v);
    cap(&serde_json::to_string(&v).unwrap_or_else(|_| REDACTED.to_string()))
}

/// A body the server could not parse: keep it only when it cannot carry a password.
pub fn unparsed_body_for_log(text: &str) -> String {
    if contains_ignore_case(text.as_bytes(), b"password") {
        format!(
            "(unparsable body of {} bytes, not kept: it mentions a password)",
            text.len()
        )
    } else {
        cap(text)
    }
}

/// `[{"attribute","before","after"}, …]` with password values replaced.
pub fn changes(mut changes: Value) -> Value {
    if let Value::Array(items) = &mut changes {
        for c in items.iter_mut().filter_map(Value::as_object_mut) {
            let is_password = c
                .get("attribute")
                .and_then(Value::as_str)
                .is_some_and(names_password);
            if is_password {
                for side in ["before", "after"] {
                    if let Some(v) = c.get_mut(side).filter(|v| !v.is_null()) {
                        *v = Value::String(REDACTED.into());
                    }
                }
            }
        }
    }
    changes
}

/// `password`, `urn:…:User:password`, `name.password`: the last path segment names a password.
fn names_password(path: &str) -> bool {
    path.rsplit([':', '.'])
        .next()
        .is_some_and(|last| last.trim().eq_ignore_ascii_case("password"))
}

fn redact_value(v: &mut Value) {
    match v {
        Value::Object(map) => {
            // A PATCH operation on a password path: its value is the secret.
            let patch_on_password = map.iter().any(|(k, p)| {
                k.eq_ignore_ascii_case("path") && p.as_str().is_some_and(names_password)
            });
            for (k, child) in map.iter_mut() {
                if k.eq_ignore_ascii_case("password")
                    || (patch_on_password && k.eq_ignore_ascii_case("value"))
                {
                    *child = Value::String(REDACTED.into());
                } else {
                    redact_value(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_value),
        _ => {}
    }
}

fn contains_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

fn cap(text: &str) -> String {
    if text.len() <= LOGGED_BODY_LIMIT {
        return text.to_string();
    }
    let mut end = LOGGED_BODY_LIMIT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes in all)", &text[..end], text.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn logged(v: Value) -> String {
        body_for_log(&v.to_string(), &v)
    }

    #[test]
    fn passwords_are_redacted_everywhere() {
        let body = logged(json!({"userName": "a", "password": "s3cret",
            "urn:x:ext:2.0:User": {"Password": "s3cret"}}));
        assert!(!body.contains("s3cret"), "{body}");
        let patch = logged(json!({"Operations": [
            {"op": "replace", "path": "password", "value": "s3cret"},
            {"op": "Replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:password", "value": "s3cret"},
            {"op": "replace", "value": {"password": "s3cret", "displayName": "d"}}]}));
        assert!(!patch.contains("s3cret"), "{patch}");
        assert!(patch.contains("\"displayName\":\"d\""), "{patch}");
    }

    #[test]
    fn bodies_without_passwords_are_kept_verbatim_and_capped() {
        let text = "{ \"userName\" : \"a\" }";
        assert_eq!(body_for_log(text, &json!({"userName": "a"})), text);
        let long = format!("\"{}\"", "é".repeat(LOGGED_BODY_LIMIT));
        let capped = body_for_log(&long, &Value::Null);
        assert!(capped.len() < LOGGED_BODY_LIMIT + 40 && capped.ends_with("bytes in all)"));
        assert!(!unparsed_body_for_log("{\"password\": \"hunter2").contains("hunter2"));
    }

    #[test]
    fn password_changes_are_redacted() {
        let c = changes(
            json!([{"attribute": "password", "before": null, "after": "s3cret"},
            {"attribute": "displayName", "before": "a", "after": "b"}]),
        );
        assert_eq!(c[0]["after"], "***");
        assert_eq!(c[0]["before"], Value::Null);
        assert_eq!(c[1]["after"], "b");
    }
}
