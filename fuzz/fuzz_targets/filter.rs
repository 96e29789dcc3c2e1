//! Filter parser, PATCH path parser, binder and evaluator on arbitrary text: nothing may panic,
//! and whatever parses must print as text that parses back to the same tree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scimd::scim::filter::{bind, matches, parse, parse_patch_path, MAX_LENGTH};
use scimd::scim::schema::ResourceKind;
use serde_json::{json, Map, Value};

fuzz_target!(|data: &[u8]| check(data));

fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(filter) = parse(text) {
        let printed = filter.to_string();
        // Canonical text can be longer than the input (quotes, parentheses).
        if printed.len() <= MAX_LENGTH {
            assert_eq!(parse(&printed).as_ref(), Ok(&filter), "printed as {printed}");
        }
        let doc = document();
        for kind in [ResourceKind::User, ResourceKind::Group] {
            if let Ok(bound) = bind(kind, &filter) {
                let _ = matches(&bound, &doc);
            }
        }
    }
    if let Ok(path) = parse_patch_path(text) {
        let printed = path.to_string();
        if printed.len() <= MAX_LENGTH {
            assert_eq!(parse_patch_path(&printed).as_ref(), Ok(&path), "printed as {printed}");
        }
    }
}

fn document() -> Map<String, Value> {
    let doc = json!({
        "id": "2819c223-7f76-453a-919d-413861904646",
        "externalId": "bjensen",
        "userName": "bjensen@example.com",
        "displayName": "Babs Jensen",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "active": true,
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "members": [{"value": "u1", "type": "User"}],
        "meta": {"created": "2011-08-01T18:29:49.793Z", "lastModified": "2011-08-01T18:29:49Z", "resourceType": "User"},
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": "701984",
            "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}
        }
    });
    match doc {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}
