//! RFC 7643 §5–§7 discovery documents, generated from the schema definitions so they always say
//! what the server really does.

use crate::scim::list::LIST_RESPONSE_URN;
use crate::scim::schema::{AttributeDef, ResourceKind, SchemaDef, ENTERPRISE_USER, GROUP, USER};
use serde_json::{json, Map, Value};

pub const SPC_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
pub const RESOURCE_TYPE_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
pub const SCHEMA_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// Server limits advertised in the ServiceProviderConfig.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest page a list request returns.
    pub max_results: u64,
}

/// RFC 7643 §5. `base` is the SCIM base URL (no trailing slash).
pub fn service_provider_config(base: &str, limits: Limits) -> Value {
    json!({
        "schemas": [SPC_URN],
        "documentationUri": "https://github.com/scimd/scimd/blob/main/docs/entra-compatibility.md",
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": limits.max_results},
        "changePassword": {"supported": false},
        "sort": {"supported": true},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication with a bearer secret issued by `scimd token create`.",
            "specUri": "https://www.rfc-editor.org/rfc/rfc6750",
            "primary": true
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base}/ServiceProviderConfig")
        }
    })
}

/// RFC 7643 §6: one ResourceType document. Users come first (Microsoft's suite expects it).
pub fn resource_type(base: &str, kind: ResourceKind) -> Value {
    let extensions: Vec<Value> = kind
        .extensions()
        .iter()
        .map(|s| json!({"schema": s.id, "required": false}))
        .collect();
    let mut doc = json!({
        "schemas": [RESOURCE_TYPE_URN],
        "id": kind.name(),
        "name": kind.name(),
        "endpoint": kind.endpoint(),
        "description": if kind == ResourceKind::User { "User Account" } else { "Group" },
        "schema": kind.core().id,
        "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/{}", kind.name())}
    });
    if !extensions.is_empty() {
        if let Some(o) = doc.as_object_mut() {
            o.insert("schemaExtensions".into(), Value::Array(extensions));
        }
    }
    doc
}

pub const KINDS: [ResourceKind; 2] = [ResourceKind::User, ResourceKind::Group];
pub const SCHEMAS: [&SchemaDef; 3] = [&USER, &ENTERPRISE_USER, &GROUP];

/// All resource types as a ListResponse.
pub fn resource_types(base: &str) -> Value {
    list(KINDS.iter().map(|k| resource_type(base, *k)).collect())
}

/// One schema by URN (case-insensitive).
pub fn schema(base: &str, urn: &str) -> Option<Value> {
    SCHEMAS
        .iter()
        .find(|s| s.id.eq_ignore_ascii_case(urn))
        .map(|s| schema_doc(base, s))
}

/// All schemas as a ListResponse.
pub fn schemas(base: &str) -> Value {
    list(SCHEMAS.iter().map(|s| schema_doc(base, s)).collect())
}

fn list(resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_RESPONSE_URN],
        "totalResults": resources.len(),
        "startIndex": 1,
        "itemsPerPage": resources.len(),
        "Resources": resources
    })
}

/// RFC 7643 §7 schema representation.
fn schema_doc(base: &str, s: &SchemaDef) -> Value {
    json!({
        "schemas": [SCHEMA_URN],
        "id": s.id,
        "name": s.name,
        "description": s.description,
        "attributes": s.attributes.iter().map(attribute_doc).collect::<Vec<_>>(),
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{}", s.id)}
    })
}

fn attribute_doc(a: &AttributeDef) -> Value {
    let mut o = Map::new();
    o.insert("name".into(), json!(a.name));
    o.insert("type".into(), json!(a.ty.as_str()));
    o.insert("multiValued".into(), json!(a.multi_valued));
    o.insert("description".into(), json!(a.description));
    o.insert("required".into(), json!(a.required));
    if a.ty.is_textual() {
        o.insert("caseExact".into(), json!(a.case_exact));
    }
    if !a.canonical_values.is_empty() {
        o.insert("canonicalValues".into(), json!(a.canonical_values));
    }
    if !a.reference_types.is_empty() {
        o.insert("referenceTypes".into(), json!(a.reference_types));
    }
    o.insert("mutability".into(), json!(a.mutability.as_str()));
    o.insert("returned".into(), json!(a.returned.as_str()));
    o.insert("uniqueness".into(), json!(a.uniqueness.as_str()));
    if !a.sub_attributes.is_empty() {
        o.insert(
            "subAttributes".into(),
            Value::Array(a.sub_attributes.iter().map(attribute_doc).collect()),
        );
    }
    Value::Object(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_types_list_users_first_with_the_enterprise_extension() {
        let v = resource_types("http://h/scim/v2");
        assert_eq!(v["Resources"][0]["endpoint"], "/Users");
        assert_eq!(
            v["Resources"][0]["schemaExtensions"][0]["schema"],
            crate::scim::schema::ENTERPRISE_USER_URN
        );
        assert_eq!(v["Resources"][1]["endpoint"], "/Groups");
        assert_eq!(v["totalResults"], 2);
    }

    #[test]
    fn schemas_describe_every_attribute_without_nulls() {
        let v = schemas("http://h");
        let text = v.to_string();
        assert!(text.contains("User Account"));
        assert!(!text.contains("null"));
        let user = &v["Resources"][0];
        let user_name = user["attributes"]
            .as_array()
            .and_then(|a| a.first())
            .cloned()
            .unwrap_or_default();
        assert_eq!(user_name["name"], "userName");
        assert_eq!(user_name["uniqueness"], "server");
        assert_eq!(user_name["caseExact"], false);
        assert_eq!(user_name["required"], true);
        assert_eq!(user_name["mutability"], "readWrite");
    }

    #[test]
    fn schema_lookup_is_case_insensitive() {
        assert!(schema("http://h", "URN:ietf:params:scim:schemas:core:2.0:group").is_some());
        assert!(schema("http://h", "urn:nope").is_none());
    }

    #[test]
    fn service_provider_config_says_patch_is_supported() {
        let v = service_provider_config("http://h", Limits { max_results: 500 });
        assert_eq!(v["patch"]["supported"], true);
        assert_eq!(v["bulk"]["supported"], false);
        assert_eq!(v["filter"]["maxResults"], 500);
    }
}
