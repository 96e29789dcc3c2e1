//! Attribute-level differences between two stored documents, for the provisioning log and
//! audit events ("PATCH changed displayName, name, urn:…:enterprise:2.0:User:manager").

use std::borrow::Cow;

use serde_json::{Map, Value};

/// One attribute whose value differs. `None` means unassigned on that side.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// A top-level attribute (`displayName`, `name`, `emails`), or an extension attribute as
    /// `<extension URN>:<attribute>`.
    pub attr: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// A [`Change`] that borrows from the two documents it compares, for callers that only read
/// it (the provisioning log serialises a create's every attribute without copying them).
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeRef<'a> {
    pub attr: Cow<'a, str>,
    pub before: Option<&'a Value>,
    pub after: Option<&'a Value>,
}

impl Change {
    pub fn as_ref(&self) -> ChangeRef<'_> {
        ChangeRef {
            attr: Cow::Borrowed(&self.attr),
            before: self.before.as_ref(),
            after: self.after.as_ref(),
        }
    }
}

/// Attribute-level differences between two stored docs: top-level attributes, and for extension
/// objects (URN keys) each attribute inside as `urn:…:attr`. Values are compared as JSON (object
/// key order does not matter; array order does). Changes are listed in `old`'s key order, then
/// attributes only `new` has.
pub fn diff(old: &Map<String, Value>, new: &Map<String, Value>) -> Vec<Change> {
    diff_ref(old, new)
        .into_iter()
        .map(|c| Change {
            attr: c.attr.into_owned(),
            before: c.before.cloned(),
            after: c.after.cloned(),
        })
        .collect()
}

/// [`diff`], borrowing from both documents.
pub fn diff_ref<'a>(
    old: &'a Map<String, Value>,
    new: &'a Map<String, Value>,
) -> Vec<ChangeRef<'a>> {
    let mut out = Vec::new();
    maps(Some(old), Some(new), &mut out);
    out
}

/// What `diff` reports for a document created from nothing: every attribute it assigns.
pub fn assigned(doc: &Map<String, Value>) -> Vec<ChangeRef<'_>> {
    let mut out = Vec::new();
    maps(None, Some(doc), &mut out);
    out
}

fn maps<'a>(
    old: Option<&'a Map<String, Value>>,
    new: Option<&'a Map<String, Value>>,
    out: &mut Vec<ChangeRef<'a>>,
) {
    for (k, a) in old.into_iter().flatten() {
        attr(k, Some(a), new.and_then(|n| lookup(n, k)), out);
    }
    for (k, b) in new.into_iter().flatten() {
        if old.and_then(|o| lookup(o, k)).is_none() {
            attr(k, None, Some(b), out);
        }
    }
}

fn is_urn(k: &str) -> bool {
    k.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
}

/// Schema URNs are case-insensitive (RFC 7643 §2.1); attribute keys of stored docs are canonical.
fn lookup<'a>(doc: &'a Map<String, Value>, k: &str) -> Option<&'a Value> {
    doc.get(k).or_else(|| {
        if is_urn(k) {
            doc.iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(k))
                .map(|(_, v)| v)
        } else {
            None
        }
    })
}

/// `Some(None)` for an absent value, `Some(Some(obj))` for an object, `None` for anything else.
fn object(v: Option<&Value>) -> Option<Option<&Map<String, Value>>> {
    match v {
        None => Some(None),
        Some(Value::Object(o)) => Some(Some(o)),
        Some(_) => None,
    }
}

fn attr<'a>(k: &'a str, a: Option<&'a Value>, b: Option<&'a Value>, out: &mut Vec<ChangeRef<'a>>) {
    if is_urn(k) {
        if let (Some(ao), Some(bo)) = (object(a), object(b)) {
            let mut inner = Vec::new();
            maps(ao, bo, &mut inner);
            out.extend(inner.into_iter().map(|c| ChangeRef {
                attr: Cow::Owned(format!("{k}:{}", c.attr)),
                ..c
            }));
            return;
        }
    }
    if a != b {
        out.push(ChangeRef {
            attr: Cow::Borrowed(k),
            before: a,
            after: b,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(o) => o,
            _ => Map::new(),
        }
    }

    fn attrs(old: Value, new: Value) -> Vec<String> {
        diff(&obj(old), &obj(new))
            .into_iter()
            .map(|c| c.attr)
            .collect()
    }

    #[test]
    fn reports_changed_added_and_removed_top_level_attributes() {
        let changes = diff(
            &obj(json!({"userName":"a","displayName":"A","title":"x"})),
            &obj(json!({"userName":"a","displayName":"B","nickName":"n"})),
        );
        assert_eq!(
            changes,
            vec![
                Change {
                    attr: "displayName".into(),
                    before: Some(json!("A")),
                    after: Some(json!("B"))
                },
                Change {
                    attr: "title".into(),
                    before: Some(json!("x")),
                    after: None
                },
                Change {
                    attr: "nickName".into(),
                    before: None,
                    after: Some(json!("n"))
                },
            ]
        );
    }

    #[test]
    fn equal_documents_have_no_changes_whatever_the_key_order() {
        assert!(attrs(
            json!({"name":{"givenName":"A","familyName":"B"},"active":true}),
            json!({"active":true,"name":{"familyName":"B","givenName":"A"}}),
        )
        .is_empty());
    }

    #[test]
    fn complex_and_multi_valued_attributes_are_one_change_each() {
        assert_eq!(
            attrs(
                json!({"name":{"givenName":"A"},"emails":[{"value":"a@x"}]}),
                json!({"name":{"givenName":"B"},"emails":[{"value":"a@x"},{"value":"b@x"}]}),
            ),
            ["name", "emails"]
        );
    }

    #[test]
    fn extension_attributes_are_reported_one_by_one() {
        assert_eq!(
            attrs(
                json!({"userName":"a", ENT: {"department":"R&D","employeeNumber":"1"}}),
                json!({"userName":"a", ENT: {"department":"Sales","employeeNumber":"1","manager":{"value":"m"}}}),
            ),
            [format!("{ENT}:department"), format!("{ENT}:manager")]
        );
        // A whole extension appearing or disappearing lists each of its attributes.
        assert_eq!(
            attrs(json!({ENT: {"department":"R&D"}}), json!({})),
            [format!("{ENT}:department")]
        );
        assert_eq!(
            attrs(json!({}), json!({ENT: {"costCenter":"7"}})),
            [format!("{ENT}:costCenter")]
        );
    }

    #[test]
    fn extension_urns_match_case_insensitively() {
        let upper = ENT.to_uppercase().replace("URN:", "urn:");
        assert!(attrs(
            json!({ENT: {"department":"R&D"}}),
            json!({upper: {"department":"R&D"}})
        )
        .is_empty());
    }

    #[test]
    fn a_created_document_assigns_what_a_diff_from_nothing_lists() {
        let doc = obj(json!({"userName":"a","name":{"givenName":"A"}, ENT: {"department":"R&D"}}));
        let owned = diff(&Map::new(), &doc);
        let listed: Vec<ChangeRef<'_>> = owned.iter().map(Change::as_ref).collect();
        assert_eq!(assigned(&doc), listed);
        assert_eq!(listed[2].attr, format!("{ENT}:department"));
        assert!(listed.iter().all(|c| c.before.is_none()));
    }
}
