//! HTTP behaviour of the SCIM endpoints, each test on every backend (`support::each_server`):
//! errors, auth and tenant isolation, concurrency, ETags, discovery, list queries, health.

mod abuse;
mod auth;
mod bad_input;
mod concurrency;
mod discovery;
mod entra_jwt;
mod etag;
mod health;
mod lists;
pub mod oauth;
mod oauth_admin;
mod tls;

use crate::support::server::Reply;
use crate::support::TestServer;
use serde_json::{json, Value};

pub const ERROR_URN: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const PATCH_URN: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// Assert a SCIM error response (RFC 7644 §3.12): status, media type, the Error schema,
/// `status` as a string, a non-empty `detail`, and `scimType` when one is expected.
#[track_caller]
pub fn assert_error(r: &Reply, status: u16, scim_type: Option<&str>) -> Value {
    assert_eq!(r.status, status, "expected {status}, got: {}", r.text);
    assert_eq!(
        r.header("content-type"),
        Some("application/scim+json"),
        "{}",
        r.text
    );
    assert!(r.header("x-request-id").is_some(), "no X-Request-Id");
    let body = r.json();
    assert_eq!(body["schemas"], json!([ERROR_URN]), "{}", r.text);
    assert_eq!(body["status"], json!(status.to_string()), "{}", r.text);
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(!detail.trim().is_empty(), "empty detail: {}", r.text);
    if let Some(t) = scim_type {
        assert_eq!(body["scimType"], json!(t), "{}", r.text);
    }
    body
}

/// Assert the status and return the JSON body.
#[track_caller]
pub fn expect(r: &Reply, status: u16) -> Value {
    assert_eq!(r.status, status, "expected {status}, got: {}", r.text);
    r.json()
}

/// A PatchOp body.
pub fn ops(operations: Value) -> Value {
    json!({"schemas": [PATCH_URN], "Operations": operations})
}

/// POST a user with this userName; returns its id.
#[track_caller]
pub fn create_user(s: &TestServer, user_name: &str) -> String {
    create_user_with(
        s,
        json!({"schemas": [USER_URN], "userName": user_name, "active": true}),
    )
}

#[track_caller]
pub fn create_user_with(s: &TestServer, body: Value) -> String {
    let r = s.post("/Users", &body);
    id_of(&expect(&r, 201))
}

/// POST a group with this displayName and member ids; returns its id.
#[track_caller]
pub fn create_group(s: &TestServer, name: &str, members: &[&str]) -> String {
    let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
    let r = s.post(
        "/Groups",
        &json!({"schemas": [GROUP_URN], "displayName": name, "members": members}),
    );
    id_of(&expect(&r, 201))
}

#[track_caller]
pub fn id_of(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_string()
}

/// The `value`s of a group's members, sorted.
#[track_caller]
pub fn member_ids(s: &TestServer, group: &str) -> Vec<String> {
    let g = expect(&s.get(&format!("/Groups/{group}")), 200);
    let mut ids: Vec<String> = g["members"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| m["value"].as_str().unwrap_or_default().to_string())
        .collect();
    ids.sort();
    ids
}

/// `totalResults` of a list request.
#[track_caller]
pub fn total(s: &TestServer, path: &str) -> u64 {
    let v = expect(&s.get(path), 200);
    v["totalResults"]
        .as_u64()
        .unwrap_or_else(|| panic!("no totalResults in {v}"))
}

/// The ids of a list response's `Resources`, in order.
#[track_caller]
pub fn ids_of_list(v: &Value) -> Vec<String> {
    v["Resources"]
        .as_array()
        .unwrap_or_else(|| panic!("no Resources in {v}"))
        .iter()
        .map(id_of)
        .collect()
}
