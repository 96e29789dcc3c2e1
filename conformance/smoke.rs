//! The shortest path through the server: create, read, filter, patch, delete.

use crate::support::each_server;
use serde_json::json;

#[test]
fn user_lifecycle_over_http() {
    each_server(|s| {
        let r = s.get("/Users?filter=userName+eq+%22c0ffee%22");
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["totalResults"], 0);
        let r = s.post("/Users", &json!({"userName": "amy@x", "active": "True", "emails": [{"type": "work", "value": "Amy@X"}]}));
        assert_eq!(r.status, 201, "{}", r.text);
        let id = r.json()["id"].as_str().unwrap().to_string();
        assert_eq!(r.header("content-type"), Some("application/scim+json"));
        assert!(r
            .header("location")
            .unwrap()
            .ends_with(&format!("/Users/{id}")));
        let r = s.get("/Users?filter=userName%20eq%20%22AMY@X%22");
        assert_eq!(r.json()["totalResults"], 1, "{}", r.text);
        let r = s.patch(&format!("/Users/{id}"), &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]}));
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["active"], false);
        let r = s.delete(&format!("/Users/{id}"));
        assert_eq!(r.status, 204, "{}", r.text);
        assert_eq!(s.get(&format!("/Users/{id}")).status, 404);
    });
}
