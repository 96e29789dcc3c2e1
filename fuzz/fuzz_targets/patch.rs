//! PATCH engine fuzz target: any bytes that parse as JSON are a PatchOp body, applied to a
//! realistic stored User and Group, lenient and strict. Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scimd::scim::patch::{apply, parse_request};
use scimd::scim::resource::{check, CheckOptions};
use scimd::scim::schema::ResourceKind;
use serde_json::{json, Map, Value};
use std::sync::OnceLock;

fn stored(kind: ResourceKind, body: Value) -> Map<String, Value> {
    check(kind, &body, CheckOptions::default())
        .map(|c| c.doc)
        .unwrap_or_default()
}

fn docs() -> &'static [(ResourceKind, Map<String, Value>); 2] {
    static DOCS: OnceLock<[(ResourceKind, Map<String, Value>); 2]> = OnceLock::new();
    DOCS.get_or_init(|| {
        [
            (
                ResourceKind::User,
                stored(
                    ResourceKind::User,
                    json!({
                        "userName": "amy.lee@contoso.example",
                        "externalId": "amy.lee",
                        "active": true,
                        "displayName": "Amy Lee",
                        "emails": [{"primary": true, "type": "work", "value": "amy.lee@contoso.example"},
                                   {"type": "home", "value": "amy@home.example"}],
                        "name": {"formatted": "Amy Lee", "familyName": "Lee", "givenName": "Amy"},
                        "addresses": [{"type": "work", "streetAddress": "1 Main St", "locality": "Oslo"}],
                        "roles": [{"primary": true, "value": "Admin"}],
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
                            {"employeeNumber": "1001", "department": "R&D", "manager": {"value": "mgr-1"}},
                        "urn:ietf:params:scim:schemas:extension:Acme:2.0:User": {"badge": "B-7"}
                    }),
                ),
            ),
            (
                ResourceKind::Group,
                stored(
                    ResourceKind::Group,
                    json!({"externalId": "2f0c", "displayName": "Finance"}),
                ),
            ),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let Ok(req) = parse_request(&body) else {
        return;
    };
    for (kind, doc) in docs() {
        for strict in [false, true] {
            let _ = apply(*kind, doc, &req, CheckOptions { strict });
        }
    }
});
