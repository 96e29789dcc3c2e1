use super::*;
use crate::scim::schema::ENTERPRISE_USER_URN as ENT;
use crate::scim::ScimType;
use serde_json::json;

fn user(body: Value) -> Result<Checked, ScimError> {
    check(ResourceKind::User, &body, CheckOptions::default())
}

#[test]
fn entra_create_user_body_is_kept_as_sent() {
    let c = user(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENT],
        "externalId": "amy.lee", "userName": "amy.lee@contoso.example", "active": true,
        "displayName": "Amy Lee",
        "emails": [{"primary": true, "type": "work", "value": "amy.lee@contoso.example"}],
        "name": {"formatted": "Amy Lee", "familyName": "Lee", "givenName": "Amy"},
        "phoneNumbers": [{"type": "work", "value": "+47 1234"}],
        ENT: {"employeeNumber": "1001", "department": "R&D"},
        "meta": {"resourceType": "User"}, "roles": []
    }))
    .unwrap();
    assert_eq!(c.doc["userName"], "amy.lee@contoso.example");
    assert_eq!(c.doc["phoneNumbers"][0]["value"], "+47 1234");
    assert_eq!(c.doc[ENT]["department"], "R&D");
    assert!(
        !c.doc.contains_key("meta")
            && !c.doc.contains_key("roles")
            && !c.doc.contains_key("schemas")
    );
    assert!(c.notes.is_empty(), "{:?}", c.notes);
}

#[test]
fn attribute_names_and_urns_are_case_insensitive_and_canonicalised() {
    let c = user(json!({
        "USERNAME": "a", "Emails": [{"Primary": true, "Value": "a@x", "TYPE": "work"}],
        "urn:ietf:params:scim:schemas:extension:ENTERPRISE:2.0:user": {"Department": "bob", "Manager": {"Value": "SuzzyQ"}}
    }))
    .unwrap();
    assert_eq!(c.doc["userName"], "a");
    assert_eq!(
        c.doc["emails"],
        json!([{"primary": true, "value": "a@x", "type": "work"}])
    );
    assert_eq!(
        c.doc[ENT],
        json!({"department": "bob", "manager": {"value": "SuzzyQ"}})
    );
}

#[test]
fn boolean_strings_are_read_as_booleans_and_noted() {
    let c = user(json!({"userName": "a", "active": "True"})).unwrap();
    assert_eq!(c.doc["active"], true);
    assert_eq!(
        c.notes.normalizations,
        ["active: string \"True\" read as true"]
    );
    let c = user(
        json!({"userName": "a", "active": "false", "emails": [{"value": "x", "primary": "FALSE"}]}),
    )
    .unwrap();
    assert_eq!(c.doc["active"], false);
    assert_eq!(c.doc["emails"][0]["primary"], false);
    let e = user(json!({"userName": "a", "active": "yes"})).unwrap_err();
    assert_eq!((e.status, e.scim_type), (400, Some(ScimType::InvalidValue)));
    assert!(e.detail.contains("active"), "{}", e.detail);
}

#[test]
fn manager_as_bare_string_becomes_an_object() {
    let c = user(json!({"userName": "a", ENT: {"manager": "boss-id"}})).unwrap();
    assert_eq!(c.doc[ENT]["manager"], json!({"value": "boss-id"}));
    assert_eq!(manager_id(&c.doc), Some("boss-id"));
    assert!(c.notes.normalizations[0].contains("manager"));
    let c = user(json!({"userName": "a", ENT: {"manager": ""}})).unwrap();
    assert!(!c.doc.contains_key(ENT));
}

#[test]
fn nulls_and_empty_lists_are_absent() {
    let c = user(
        json!({"userName": "a", "title": null, "addresses": null, "roles": [],
        "name": {"givenName": null}, ENT: {"manager": null}}),
    )
    .unwrap();
    assert_eq!(keys(&c.doc), ["userName", "active"]);
}

fn keys(m: &Map<String, Value>) -> Vec<&str> {
    m.keys().map(String::as_str).collect()
}

#[test]
fn unknown_attributes_are_dropped_and_reported_unless_strict() {
    let c = user(json!({"userName": "a", "adreses": [{"country": "x"}], "emails": [{"value": "x", "kind": "y"}]})).unwrap();
    assert!(!c.doc.contains_key("adreses"));
    assert_eq!(c.notes.dropped, ["adreses", "emails[0].kind"]);
    let e = check(
        ResourceKind::User,
        &json!({"userName": "a", "adreses": 1}),
        CheckOptions { strict: true },
    )
    .unwrap_err();
    assert_eq!(e.status, 400);
    assert!(e.detail.contains("adreses"));
}

#[test]
fn required_naming_attribute_is_enforced() {
    let e = user(json!({"displayName": "x"})).unwrap_err();
    assert!(e.detail.contains("userName is required"), "{}", e.detail);
    assert!(user(json!({"userName": ""})).is_err());
    let e = check(
        ResourceKind::Group,
        &json!({"members": []}),
        CheckOptions::default(),
    )
    .unwrap_err();
    assert!(e.detail.contains("displayName"));
}

#[test]
fn wrong_types_name_the_attribute() {
    for (body, needle) in [
        (json!({"userName": 5}), "userName must be a string"),
        (
            json!({"userName": "a", "name": "Amy"}),
            "name must be an object",
        ),
        (
            json!({"userName": "a", "emails": [{"value": 1}]}),
            "emails[0].value must be a string",
        ),
        (
            json!({"userName": "a", ENT: {"employeeNumber": 1001}}),
            "employeeNumber must be a string",
        ),
        (json!({"userName": "a", ENT: "x"}), "must be an object"),
    ] {
        let e = user(body).unwrap_err();
        assert!(e.detail.contains(needle), "{} !~ {needle}", e.detail);
    }
    assert_eq!(
        user(json!([1])).unwrap_err().scim_type,
        Some(ScimType::InvalidSyntax)
    );
}

#[test]
fn malformed_schema_urns_are_rejected() {
    let e = user(json!({"schemas": ["not a urn"], "userName": "a"})).unwrap_err();
    assert_eq!(e.scim_type, Some(ScimType::InvalidSyntax));
    let e =
        user(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "userName": "a"}))
            .unwrap_err();
    assert!(e.detail.contains("User"));
}

#[test]
fn custom_extensions_and_the_microsoft_group_schema_are_kept_or_tolerated() {
    let urn = "urn:ietf:params:scim:schemas:extension:Acme:2.0:User";
    let c = user(json!({"userName": "a", urn: {"badge": "42", "Floor": 3}})).unwrap();
    assert_eq!(c.doc[urn], json!({"badge": "42", "Floor": 3}));
    let c = user(json!({"userName": "a", format!("{urn}:badge"): "7"})).unwrap();
    assert_eq!(c.doc[urn], json!({"badge": "7"}));
    let g = check(
        ResourceKind::Group,
        &json!({"schemas": [crate::scim::schema::GROUP_URN, crate::scim::schema::MS_GROUP_URN],
                "displayName": "Finance", "externalId": "2f0c", "meta": {"resourceType": "Group"}}),
        CheckOptions::default(),
    )
    .unwrap();
    assert_eq!(keys(&g.doc), ["displayName", "externalId"]);
}

#[test]
fn group_members_accept_objects_and_bare_strings() {
    let g = check(
        ResourceKind::Group,
        &json!({"displayName": "G", "members": [{"value": "u1", "display": "VP", "$ref": null}, "u2", {"value": "g1", "type": "group"}]}),
        CheckOptions::default(),
    )
    .unwrap();
    assert!(!g.doc.contains_key("members"));
    assert_eq!(g.members.len(), 3);
    assert_eq!(g.members[0].display.as_deref(), Some("VP"));
    assert_eq!(g.members[1].value, "u2");
    assert_eq!(g.members[2].kind.as_deref(), Some("Group"));
    let e = check(
        ResourceKind::Group,
        &json!({"displayName": "G", "members": [{"display": "x"}]}),
        CheckOptions::default(),
    )
    .unwrap_err();
    assert!(e.detail.starts_with("members[0]"), "{}", e.detail);
}

#[test]
fn id_meta_and_groups_sent_by_clients_are_ignored() {
    let c = user(json!({"id": "mine", "userName": "a", "groups": [{"value": "g"}], "meta": {"created": "x"}})).unwrap();
    assert_eq!(keys(&c.doc), ["userName", "active"]);
}

#[test]
fn active_defaults_to_true() {
    let c = user(json!({"userName": "a"})).unwrap();
    assert_eq!(c.doc["active"], true);
}

#[test]
fn extraction_reads_the_indexed_columns() {
    let c = user(json!({"userName": "Amy@X", "externalId": "E1", "emails": [{"type": "Work", "value": "A@X"}], "active": false})).unwrap();
    let x = extract(ResourceKind::User, &c.doc);
    assert_eq!(x.name, "Amy@X");
    assert_eq!(x.external_id.as_deref(), Some("E1"));
    assert!(!x.active);
}

#[test]
fn render_adds_schemas_id_meta_and_members() {
    let c = user(json!({"userName": "a", ENT: {"department": "d"}})).unwrap();
    let meta = Meta {
        id: "1".into(),
        created: "t0".into(),
        last_modified: "t1".into(),
        version: 3,
        location: "http://h/Users/1".into(),
    };
    let r = render(ResourceKind::User, &c.doc, &meta, None);
    assert_eq!(r["schemas"], json!([crate::scim::schema::USER_URN, ENT]));
    assert_eq!(r["meta"]["version"], "W/\"3\"");
    assert_eq!(keys(&r)[..2], ["schemas", "id"]);
    let m = [MemberOut {
        value: "u".into(),
        kind: "User".into(),
        display: None,
        location: "http://h/Users/u".into(),
    }];
    let g = render(ResourceKind::Group, &Map::new(), &meta, Some(&m));
    assert_eq!(
        g["members"],
        json!([{"value": "u", "$ref": "http://h/Users/u", "type": "User"}])
    );
}
