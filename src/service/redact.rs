//! What the provisioning log may keep of a request: bodies are size-capped and `password`
//! values are replaced, wherever they appear (attribute, extension, PATCH value or path).

use crate::scim::diff::ChangeRef;
use crate::scim::patch::MemberChanges;
use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;
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

/// An event's change list as the log stores it, `[{"attribute","before","after"}, …]` plus a
/// `members` entry for membership changes, with password values replaced. Written straight
/// from the compared documents: no copy of their values, no intermediate JSON tree.
pub fn changes(changes: &[ChangeRef<'_>], members: Option<&MemberChanges>) -> String {
    let entries = changes.iter().map(|c| Entry::Attribute(Logged(c)));
    let members = members.map(|m| Entry::Members {
        attribute: "members",
        removed_all: m.clear,
        added: m.add.iter().map(|r| r.value.as_str()).collect(),
        removed: &m.remove,
    });
    let list: Vec<Entry<'_>> = entries.chain(members).collect();
    serde_json::to_string(&list).unwrap_or_else(|_| "[]".to_string())
}

#[derive(Serialize)]
#[serde(untagged)]
enum Entry<'a> {
    Attribute(Logged<'a>),
    Members {
        attribute: &'static str,
        #[serde(rename = "removedAll")]
        removed_all: bool,
        added: Vec<&'a str>,
        removed: &'a [String],
    },
}

/// A change as logged: `{"attribute","before","after"}`, password values redacted.
struct Logged<'a>(&'a ChangeRef<'a>);

/// One side of a logged change: the value, or [`REDACTED`] for a password that has one.
#[derive(Serialize)]
#[serde(untagged)]
enum Side<'a> {
    Shown(Option<&'a Value>),
    Redacted(&'static str),
}

impl<'a> Serialize for Logged<'a> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let c = self.0;
        let secret = names_password(&c.attr);
        let side = |v: Option<&'a Value>| match v {
            Some(v) if secret && !v.is_null() => Side::Redacted(REDACTED),
            v => Side::Shown(v),
        };
        let mut m = s.serialize_struct("Change", 3)?;
        m.serialize_field("attribute", &*c.attr)?;
        m.serialize_field("before", &side(c.before))?;
        m.serialize_field("after", &side(c.after))?;
        m.end()
    }
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
    use crate::scim::diff::diff_ref;
    use crate::scim::resource::MemberRef;
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
    fn change_lists_redact_passwords_and_list_member_changes() {
        let before = json!({"displayName": "a", "password": "old"});
        let after = json!({"displayName": "b", "password": "s3cret",
            "urn:x:ext:2.0:User": {"password": "s3cret", "department": "R&D"}});
        let (Value::Object(before), Value::Object(after)) = (before, after) else {
            unreachable!("objects")
        };
        let members = MemberChanges {
            clear: false,
            add: vec![MemberRef {
                value: "g1".into(),
                kind: None,
                display: None,
            }],
            remove: vec!["g2".into()],
        };
        let text = changes(&diff_ref(&before, &after), Some(&members));
        assert!(!text.contains("s3cret") && !text.contains("old"), "{text}");
        let list: Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(
            list,
            json!([
                {"attribute": "displayName", "before": "a", "after": "b"},
                {"attribute": "password", "before": "***", "after": "***"},
                {"attribute": "urn:x:ext:2.0:User:password", "before": null, "after": "***"},
                {"attribute": "urn:x:ext:2.0:User:department", "before": null, "after": "R&D"},
                {"attribute": "members", "removedAll": false, "added": ["g1"], "removed": ["g2"]}
            ])
        );
    }
}
