//! How a Graph object reads as a SCIM resource: Entra's default push mapping (userName =
//! userPrincipalName, displayName, name, work email = mail, active = accountEnabled,
//! enterprise employeeNumber = employeeId), except that externalId holds the object id.

use crate::scim::resource::{self, CheckOptions};
use crate::scim::schema::{ResourceKind, ENTERPRISE_USER_URN, GROUP_URN, USER_URN};
use serde_json::{json, Map, Value};

/// Top-level user attributes a pull run owns (others, set by anyone else, are kept).
const OWNED: [&str; 6] = [
    "userName",
    "externalId",
    "displayName",
    "name",
    "emails",
    "active",
];
const EMPLOYEE_NUMBER: &str = "employeeNumber";

fn text<'a>(props: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    props
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The user's userPrincipalName; `None` when Graph withheld it (an app without User.Read.All
/// sees only `id` of member users).
pub fn user_principal_name(props: &Map<String, Value>) -> Option<&str> {
    text(props, "userPrincipalName")
}

/// The user's mail, case-folded, for linking.
pub fn mail(props: &Map<String, Value>) -> Option<String> {
    text(props, "mail").map(str::to_lowercase)
}

pub fn account_enabled(props: &Map<String, Value>) -> bool {
    // Absent means Graph did not send it: treat as enabled only when it says so.
    props.get("accountEnabled").and_then(Value::as_bool) == Some(true)
}

/// The SCIM attributes a pulled user should have; `None` without a userPrincipalName.
pub fn user_attrs(
    entra_id: &str,
    props: &Map<String, Value>,
    active: bool,
) -> Option<Map<String, Value>> {
    let upn = user_principal_name(props)?;
    let mut doc = Map::new();
    doc.insert("userName".into(), json!(upn));
    doc.insert("externalId".into(), json!(entra_id));
    if let Some(d) = text(props, "displayName") {
        doc.insert("displayName".into(), json!(d));
    }
    let mut name = Map::new();
    if let Some(g) = text(props, "givenName") {
        name.insert("givenName".into(), json!(g));
    }
    if let Some(s) = text(props, "surname") {
        name.insert("familyName".into(), json!(s));
    }
    if !name.is_empty() {
        doc.insert("name".into(), Value::Object(name));
    }
    if let Some(m) = text(props, "mail") {
        doc.insert(
            "emails".into(),
            json!([{"value": m, "type": "work", "primary": true}]),
        );
    }
    doc.insert("active".into(), json!(active));
    if let Some(e) = text(props, "employeeId") {
        doc.insert(ENTERPRISE_USER_URN.into(), json!({ EMPLOYEE_NUMBER: e }));
    }
    Some(doc)
}

/// The SCIM body that creates a pulled user from its Graph properties; `None` without a
/// userPrincipalName.
pub fn new_user_body(entra_id: &str, props: &Map<String, Value>) -> Option<Value> {
    let attrs = user_attrs(entra_id, props, account_enabled(props))?;
    Some(user_body(&Map::new(), &attrs))
}

/// `current` with the owned attributes replaced by `attrs` (absent ones removed), as a full
/// SCIM body for a create or replace.
pub fn user_body(current: &Map<String, Value>, attrs: &Map<String, Value>) -> Value {
    let mut doc = current.clone();
    doc.remove("id");
    doc.remove("meta");
    doc.remove("groups");
    for key in OWNED {
        match attrs.get(key) {
            Some(v) => {
                doc.insert(key.into(), v.clone());
            }
            None => {
                doc.remove(key);
            }
        }
    }
    let employee = attrs
        .get(ENTERPRISE_USER_URN)
        .and_then(|e| e.get(EMPLOYEE_NUMBER))
        .cloned();
    let mut ext = doc
        .remove(ENTERPRISE_USER_URN)
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default();
    match employee {
        Some(e) => {
            ext.insert(EMPLOYEE_NUMBER.into(), e);
        }
        None => {
            ext.remove(EMPLOYEE_NUMBER);
        }
    }
    let mut schemas = vec![json!(USER_URN)];
    if !ext.is_empty() {
        doc.insert(ENTERPRISE_USER_URN.into(), Value::Object(ext));
        schemas.push(json!(ENTERPRISE_USER_URN));
    }
    doc.insert("schemas".into(), Value::Array(schemas));
    Value::Object(doc)
}

/// Whether storing `body` would change `current` (compared the way the store keeps it).
pub fn changes(kind: ResourceKind, current: &Map<String, Value>, body: &Value) -> bool {
    match resource::check(kind, body, CheckOptions::default()) {
        Ok(checked) => checked.doc != *current,
        // Let the write report the problem against the object.
        Err(_) => true,
    }
}

/// A pulled group's displayName; Graph groups always have one, but a missing one must not
/// stop the run.
pub fn group_name(entra_id: &str, props: &Map<String, Value>) -> String {
    text(props, "displayName")
        .map(str::to_string)
        .unwrap_or_else(|| format!("Entra group {entra_id}"))
}

/// A full SCIM body for a pulled group (members are written separately).
pub fn group_body(current: &Map<String, Value>, entra_id: &str, display_name: &str) -> Value {
    let mut doc = current.clone();
    doc.remove("id");
    doc.remove("meta");
    doc.remove("members");
    doc.insert("schemas".into(), json!([GROUP_URN]));
    doc.insert("displayName".into(), json!(display_name));
    doc.insert("externalId".into(), json!(entra_id));
    Value::Object(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn a_user_maps_like_entras_default_push_mapping() {
        let p = props(
            json!({"userPrincipalName":"ada@contoso.com","displayName":"Ada L","givenName":"Ada","surname":"L","mail":"Ada@contoso.com","accountEnabled":true,"employeeId":"42"}),
        );
        let attrs = user_attrs("oid-1", &p, true).unwrap();
        let body = user_body(&Map::new(), &attrs);
        assert_eq!(body["userName"], "ada@contoso.com");
        assert_eq!(body["externalId"], "oid-1");
        assert_eq!(body["name"]["familyName"], "L");
        assert_eq!(body["emails"][0]["type"], "work");
        assert_eq!(body["active"], true);
        assert_eq!(body[ENTERPRISE_USER_URN]["employeeNumber"], "42");
        assert!(resource::check(ResourceKind::User, &body, CheckOptions::default()).is_ok());
    }

    #[test]
    fn no_upn_means_no_user() {
        assert!(user_attrs("x", &props(json!({"mail":"a@b"})), true).is_none());
    }

    #[test]
    fn other_attributes_survive_and_cleared_ones_go() {
        let current = props(
            json!({"userName":"a","title":"Boss","emails":[{"value":"old@x"}],
            ENTERPRISE_USER_URN: {"manager":{"value":"m"},"employeeNumber":"1"}}),
        );
        let attrs = user_attrs("o", &props(json!({"userPrincipalName":"a"})), false).unwrap();
        let body = user_body(&current, &attrs);
        assert_eq!(body["title"], "Boss");
        assert!(body.get("emails").is_none());
        assert_eq!(body[ENTERPRISE_USER_URN], json!({"manager":{"value":"m"}}));
        assert_eq!(body["active"], false);
    }

    #[test]
    fn an_unchanged_user_has_no_changes() {
        let attrs = user_attrs(
            "o",
            &props(json!({"userPrincipalName":"a@b","mail":"a@b"})),
            true,
        )
        .unwrap();
        let body = user_body(&Map::new(), &attrs);
        let stored = resource::check(ResourceKind::User, &body, CheckOptions::default())
            .unwrap()
            .doc;
        assert!(!changes(
            ResourceKind::User,
            &stored,
            &user_body(&stored, &attrs)
        ));
        let other = user_attrs("o", &props(json!({"userPrincipalName":"a@b"})), true).unwrap();
        assert!(changes(
            ResourceKind::User,
            &stored,
            &user_body(&stored, &other)
        ));
    }
}
