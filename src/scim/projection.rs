//! RFC 7644 §3.4.2.5 / §3.9 `attributes` and `excludedAttributes`, combined with the RFC 7643
//! §7 `returned` characteristic (always / never / default / request).

use crate::scim::schema::{self, AttributeDef, ResourceKind, Returned};
use serde_json::{Map, Value};

/// One selected attribute: top-level key (attribute name or extension URN) and optional
/// sub-attribute or extension attribute below it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Selector {
    key: String,
    sub: Option<String>,
}

/// The attribute selection of one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Projection {
    attributes: Vec<Selector>,
    excluded: Vec<Selector>,
}

impl Projection {
    /// Parse the comma-separated parameters. Names are matched case-insensitively; names that
    /// belong to no schema select nothing (RFC 7644 does not make them an error).
    pub fn new(kind: ResourceKind, attributes: Option<&str>, excluded: Option<&str>) -> Self {
        Projection {
            attributes: selectors(kind, attributes),
            excluded: selectors(kind, excluded),
        }
    }

    /// Whether Group members must be loaded at all (Entra always sends `excludedAttributes=members`).
    pub fn wants_members(&self) -> bool {
        let named = |list: &[Selector]| list.iter().any(|s| s.key == "members");
        if named(&self.excluded) {
            return false;
        }
        self.attributes.is_empty() || named(&self.attributes)
    }

    /// Apply the selection to a rendered resource.
    pub fn apply(
        &self,
        kind: ResourceKind,
        mut resource: Map<String, Value>,
    ) -> Map<String, Value> {
        resource.retain(|key, value| self.keep_top(kind, key, value));
        resource
    }

    fn keep_top(&self, kind: ResourceKind, key: &str, value: &mut Value) -> bool {
        if key == "schemas" || key == "id" {
            return true;
        }
        if let Some(ext) = schema::extension(kind, key) {
            return self.keep_extension(key, ext, value);
        }
        if key.starts_with("urn:") {
            // A custom extension: whole-object selection only.
            return self.keep_plain(key, None, Returned::Default);
        }
        let Some(def) = schema::resolve(kind, None, key).map(|r| r.def) else {
            return self.attributes.is_empty();
        };
        if def.returned == Returned::Never {
            return false;
        }
        if def.returned == Returned::Always {
            return true;
        }
        if let (Value::Object(obj), false) = (&mut *value, def.sub_attributes.is_empty()) {
            if !self
                .attributes
                .iter()
                .any(|s| s.key == key && s.sub.is_none())
            {
                self.filter_subs(key, def, obj);
                return !obj.is_empty() && self.keep_plain(key, None, def.returned)
                    || self.names_sub_of(key);
            }
        }
        if let (Value::Array(items), false) = (&mut *value, def.sub_attributes.is_empty()) {
            if self.names_sub_of(key)
                && !self
                    .attributes
                    .iter()
                    .any(|s| s.key == key && s.sub.is_none())
            {
                for item in items.iter_mut() {
                    if let Value::Object(obj) = item {
                        self.filter_subs(key, def, obj);
                    }
                }
                return true;
            }
            if self
                .excluded
                .iter()
                .any(|s| s.key == key && s.sub.is_some())
            {
                for item in items.iter_mut() {
                    if let Value::Object(obj) = item {
                        self.filter_subs(key, def, obj);
                    }
                }
            }
        }
        self.keep_plain(key, None, def.returned)
    }

    /// Whether `attributes` names a sub-attribute of `key` (then the parent is kept, trimmed).
    fn names_sub_of(&self, key: &str) -> bool {
        self.attributes
            .iter()
            .any(|s| s.key == key && s.sub.is_some())
    }

    fn filter_subs(&self, key: &str, def: &AttributeDef, obj: &mut Map<String, Value>) {
        obj.retain(|sub, _| {
            let returned = def
                .sub(sub)
                .map(|d| d.returned)
                .unwrap_or(Returned::Default);
            self.keep_plain(key, Some(sub), returned)
        });
    }

    fn keep_extension(&self, urn: &str, ext: &schema::SchemaDef, value: &mut Value) -> bool {
        let whole = |list: &[Selector]| list.iter().any(|s| s.key == urn && s.sub.is_none());
        if whole(&self.excluded) {
            return false;
        }
        let Value::Object(obj) = value else {
            return false;
        };
        if whole(&self.attributes) {
            return true;
        }
        obj.retain(|name, _| {
            let returned = ext
                .attr(name)
                .map(|d| d.returned)
                .unwrap_or(Returned::Default);
            self.keep_plain(urn, Some(name), returned)
        });
        !obj.is_empty()
    }

    /// Selection rule for one (key, sub) pair with its `returned` characteristic.
    fn keep_plain(&self, key: &str, sub: Option<&str>, returned: Returned) -> bool {
        match returned {
            Returned::Always => return true,
            Returned::Never => return false,
            _ => {}
        }
        let hit = |s: &Selector| {
            s.key == key && (s.sub.is_none() || sub.is_none() || s.sub.as_deref() == sub)
        };
        let named = self.attributes.iter().any(hit);
        if self
            .excluded
            .iter()
            .any(|s| s.key == key && (s.sub.is_none() || s.sub.as_deref() == sub))
        {
            return false;
        }
        if !self.attributes.is_empty() {
            return named;
        }
        returned != Returned::Request
    }
}

/// Parse `a,b.c,urn:…:User:d` into canonical selectors.
fn selectors(kind: ResourceKind, list: Option<&str>) -> Vec<Selector> {
    list.unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .filter_map(|s| selector(kind, s))
        .collect()
}

fn selector(kind: ResourceKind, text: &str) -> Option<Selector> {
    if let Some(ext) = schema::extension(kind, text) {
        return Some(Selector {
            key: ext.id.to_string(),
            sub: None,
        });
    }
    if kind.is_custom_extension(text) {
        return Some(Selector {
            key: text.to_string(),
            sub: None,
        });
    }
    let (urn, rest) = match schema::split_urn(kind, text) {
        Some((urn, rest)) => (Some(urn), rest),
        None => (None, text.to_string()),
    };
    // Tolerate a filter in the list (`emails[type eq "work"]`): select the attribute.
    let rest = rest.split('[').next().unwrap_or_default();
    let (name, sub) = match rest.split_once('.') {
        Some((n, s)) => (n, Some(s)),
        None => (rest, None),
    };
    if let Some(urn) = urn.as_deref().filter(|u| kind.is_custom_extension(u)) {
        return Some(Selector {
            key: urn.to_string(),
            sub: Some(name.to_string()),
        });
    }
    let r = schema::resolve(kind, urn.as_deref(), name)?;
    match r.home {
        schema::AttrHome::Core => {
            let sub = match sub {
                Some(s) => Some(r.def.sub(s)?.name.to_string()),
                None => None,
            };
            Some(Selector {
                key: r.def.name.to_string(),
                sub,
            })
        }
        schema::AttrHome::Extension(ext) => Some(Selector {
            key: ext.id.to_string(),
            sub: Some(r.def.name.to_string()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user() -> Map<String, Value> {
        let v = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": "1",
            "userName": "amy",
            "name": {"givenName": "Amy", "familyName": "Lee"},
            "emails": [{"type": "work", "value": "a@x"}],
            "active": true,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D", "employeeNumber": "7"},
            "meta": {"resourceType": "User"}
        });
        v.as_object().cloned().unwrap_or_default()
    }
    fn keys(m: &Map<String, Value>) -> Vec<&str> {
        m.keys().map(String::as_str).collect()
    }

    #[test]
    fn no_parameters_return_everything_by_default() {
        let p = Projection::new(ResourceKind::User, None, None);
        assert_eq!(p.apply(ResourceKind::User, user()), user());
    }

    #[test]
    fn attributes_keep_id_and_schemas_and_the_named_ones() {
        let p = Projection::new(ResourceKind::User, Some("userName,EMAILS"), None);
        assert_eq!(
            keys(&p.apply(ResourceKind::User, user())),
            ["schemas", "id", "userName", "emails"]
        );
    }

    #[test]
    fn sub_attribute_selection_trims_the_parent() {
        let p = Projection::new(ResourceKind::User, Some("name.givenName"), None);
        let out = p.apply(ResourceKind::User, user());
        assert_eq!(out["name"], json!({"givenName": "Amy"}));
        assert!(!out.contains_key("userName"));
    }

    #[test]
    fn excluded_attributes_drop_only_those() {
        let p = Projection::new(ResourceKind::User, None, Some("emails,name.familyName"));
        let out = p.apply(ResourceKind::User, user());
        assert!(!out.contains_key("emails"));
        assert_eq!(out["name"], json!({"givenName": "Amy"}));
        assert!(out.contains_key("userName") && out.contains_key("meta"));
    }

    #[test]
    fn extension_attributes_can_be_selected_by_urn() {
        let urn = schema::ENTERPRISE_USER_URN;
        let p = Projection::new(ResourceKind::User, Some(&format!("{urn}:department")), None);
        let out = p.apply(ResourceKind::User, user());
        assert_eq!(out[urn], json!({"department": "R&D"}));
        let p = Projection::new(ResourceKind::User, None, Some(urn));
        assert!(!p.apply(ResourceKind::User, user()).contains_key(urn));
    }

    #[test]
    fn members_are_not_wanted_when_excluded() {
        let p = Projection::new(ResourceKind::Group, None, Some("members"));
        assert!(!p.wants_members());
        assert!(Projection::new(ResourceKind::Group, None, None).wants_members());
        assert!(!Projection::new(ResourceKind::Group, Some("displayName"), None).wants_members());
        assert!(Projection::new(ResourceKind::Group, Some("members.value"), None).wants_members());
    }

    #[test]
    fn id_cannot_be_excluded_and_password_is_never_returned() {
        let mut u = user();
        u.insert("password".into(), json!("secret"));
        let p = Projection::new(ResourceKind::User, None, Some("id"));
        let out = p.apply(ResourceKind::User, u.clone());
        assert!(out.contains_key("id"));
        assert!(!out.contains_key("password"));
        let p = Projection::new(ResourceKind::User, Some("password"), None);
        assert!(!p.apply(ResourceKind::User, u).contains_key("password"));
    }

    #[test]
    fn a_filter_in_attributes_selects_the_attribute() {
        let p = Projection::new(ResourceKind::User, Some("emails[type eq \"work\"]"), None);
        assert!(p.apply(ResourceKind::User, user()).contains_key("emails"));
    }
}
