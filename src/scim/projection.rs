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
    pub fn apply(&self, kind: ResourceKind, resource: Map<String, Value>) -> Map<String, Value> {
        resource
            .into_iter()
            .filter_map(|(key, value)| self.project(kind, &key, value).map(|v| (key, v)))
            .collect()
    }

    /// One top-level attribute (or extension object) of the resource, trimmed, or `None`.
    fn project(&self, kind: ResourceKind, key: &str, value: Value) -> Option<Value> {
        if key == "schemas" || key == "id" {
            return Some(value);
        }
        let (returned, subs) = match schema::extension(kind, key) {
            Some(ext) => (Returned::Default, Subs::Extension(ext)),
            None => match schema::resolve(kind, None, key) {
                Some(r) if !r.def.sub_attributes.is_empty() => (r.def.returned, Subs::Attr(r.def)),
                Some(r) => (r.def.returned, Subs::None),
                // A custom extension object (or an attribute of no schema): selectable as a whole.
                None => (Returned::Default, Subs::None),
            },
        };
        match returned {
            Returned::Never => return None,
            Returned::Always => return Some(value),
            Returned::Default | Returned::Request => {}
        }
        let is_key = |s: &&Selector| s.key.eq_ignore_ascii_case(key);
        if self.excluded.iter().filter(is_key).any(|s| s.sub.is_none()) {
            return None;
        }
        let whole = self
            .attributes
            .iter()
            .filter(is_key)
            .any(|s| s.sub.is_none());
        let named: Vec<&str> = self
            .attributes
            .iter()
            .filter(is_key)
            .filter_map(|s| s.sub.as_deref())
            .collect();
        let selected = if self.attributes.is_empty() {
            returned != Returned::Request
        } else {
            whole || !named.is_empty()
        };
        if !selected {
            return None;
        }
        let excluded: Vec<&str> = self
            .excluded
            .iter()
            .filter(is_key)
            .filter_map(|s| s.sub.as_deref())
            .collect();
        let keep = |sub: &str| match subs.returned(sub) {
            Returned::Never => false,
            Returned::Always => true,
            _ if excluded.iter().any(|e| e.eq_ignore_ascii_case(sub)) => false,
            r if named.is_empty() => r != Returned::Request,
            _ => named.iter().any(|n| n.eq_ignore_ascii_case(sub)),
        };
        let value = trim(value, &keep);
        (!is_empty(&value)).then_some(value)
    }
}

/// Where the `returned` characteristic of the members of a top-level value comes from.
#[derive(Clone, Copy)]
enum Subs {
    Attr(&'static AttributeDef),
    Extension(&'static schema::SchemaDef),
    None,
}

impl Subs {
    fn returned(self, name: &str) -> Returned {
        let def = match self {
            Subs::Attr(d) => d.sub(name),
            Subs::Extension(s) => s.attr(name),
            Subs::None => None,
        };
        def.map(|d| d.returned).unwrap_or(Returned::Default)
    }
}

/// Keep only the members `keep` accepts, in an object or in each object of a list.
fn trim(value: Value, keep: &dyn Fn(&str) -> bool) -> Value {
    match value {
        Value::Object(o) => Value::Object(o.into_iter().filter(|(k, _)| keep(k)).collect()),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| trim(item, keep))
                .filter(|item| !is_empty(item))
                .collect(),
        ),
        other => other,
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Object(o) => o.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
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
