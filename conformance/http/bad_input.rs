//! Bad input never reaches a 5xx: every malformed request is a 4xx with a SCIM error body,
//! and nothing is half-written.

use super::{assert_error, create_group, create_user, expect, ops, total, USER_URN};
use crate::support::server::Reply;
use crate::support::{each_server, TestServer};
use serde_json::json;

/// A request with the tenant's token, this Content-Type and this body text.
fn send(s: &TestServer, method: &str, path: &str, content_type: &str, body: &str) -> Reply {
    let auth = format!("Bearer {}", s.token);
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", content_type),
    ];
    s.raw(method, &format!("{}{path}", s.base), &headers, Some(body))
}

fn post_text(s: &TestServer, path: &str, body: &str) -> Reply {
    send(s, "POST", path, "application/scim+json", body)
}

#[test]
fn malformed_non_object_and_empty_bodies_are_400_invalid_syntax() {
    each_server(|s| {
        for body in [
            r#"{"userName": "amy@x""#,
            "{userName: 1}",
            "",
            "   ",
            "\u{feff}{}",
        ] {
            let r = post_text(s, "/Users", body);
            assert_error(&r, 400, Some("invalidSyntax"));
        }
        for body in ["[1, 2]", "\"amy\"", "5", "null", "true"] {
            let r = post_text(s, "/Users", body);
            let e = assert_error(&r, 400, None);
            assert!(
                matches!(
                    e["scimType"].as_str(),
                    Some("invalidSyntax" | "invalidValue")
                ),
                "{body}: {e}"
            );
        }
        let r = send(
            s,
            "POST",
            "/Users",
            "application/scim+json",
            "{\"userName\": \"\u{1}\"}",
        );
        assert!(r.status < 500, "{}", r.text);
        assert_eq!(total(s, "/Users"), 0);
    });
}

#[test]
fn a_body_that_is_not_utf8_is_400() {
    each_server(|s| {
        let auth = format!("Bearer {}", s.token);
        let url = format!("{}/Users", s.base);
        let r = ureq::post(&url)
            .set("Authorization", &auth)
            .set("Content-Type", "application/scim+json")
            .send_bytes(b"{\"userName\": \"\xff\xfe\"}");
        let r = match r {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("transport: {e}"),
        };
        assert_eq!(r.status(), 400);
        assert_eq!(total(s, "/Users"), 0);
    });
}

#[test]
fn wrong_attribute_types_are_400_invalid_value_naming_the_attribute() {
    each_server(|s| {
        let cases = [
            (json!({"userName": 5}), "userName"),
            (json!({"userName": "a@x", "emails": 5}), "emails"),
            (json!({"userName": "a@x", "emails": [true]}), "emails"),
            (json!({"userName": "a@x", "active": "maybe"}), "active"),
            (json!({"userName": "a@x", "name": "Amy Lee"}), "name"),
            (
                json!({"userName": "a@x", "emails": [{"value": 7}]}),
                "emails",
            ),
            (json!({"userName": ["a@x"]}), "userName"),
        ];
        for (body, attr) in cases {
            let r = s.post("/Users", &body);
            let e = assert_error(&r, 400, Some("invalidValue"));
            let detail = e["detail"].as_str().unwrap_or_default();
            assert!(
                detail.contains(attr),
                "detail of {body} should name {attr}: {detail}"
            );
        }
        let r = s.post("/Groups", &json!({"displayName": 42}));
        assert_error(&r, 400, Some("invalidValue"));
        assert_eq!(total(s, "/Users"), 0);
        assert_eq!(total(s, "/Groups"), 0);
    });
}

/// Not a type error: docs/entra-compatibility.md reads a bare string as `{"value": …}` and a
/// single value of a multi-valued attribute as a one-element list.
#[test]
fn a_bare_string_for_emails_is_read_as_one_email() {
    each_server(|s| {
        let r = s.post("/Users", &json!({"userName": "a@x", "emails": "a@x"}));
        assert_eq!(expect(&r, 201)["emails"], json!([{"value": "a@x"}]));
    });
}

#[test]
fn missing_user_name_or_display_name_is_400() {
    each_server(|s| {
        let r = s.post(
            "/Users",
            &json!({"schemas": [USER_URN], "displayName": "Amy"}),
        );
        let e = assert_error(&r, 400, Some("invalidValue"));
        assert!(
            e["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("userName"),
            "{e}"
        );
        let r = s.post("/Users", &json!({"userName": ""}));
        assert_error(&r, 400, Some("invalidValue"));
        let r = s.post("/Groups", &json!({"externalId": "g"}));
        let e = assert_error(&r, 400, Some("invalidValue"));
        assert!(
            e["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("displayName"),
            "{e}"
        );
        assert_eq!(total(s, "/Users"), 0);
        assert_eq!(total(s, "/Groups"), 0);
    });
}

#[test]
fn a_body_over_one_mebibyte_is_413() {
    each_server(|s| {
        let big = format!(
            r#"{{"userName": "big@x", "displayName": "{}"}}"#,
            "x".repeat(2 << 20)
        );
        let r = post_text(s, "/Users", &big);
        assert_error(&r, 413, None);
        assert_eq!(total(s, "/Users"), 0);
        // The same limit applies to PATCH.
        let id = create_user(s, "amy@x");
        let r = send(
            s,
            "PATCH",
            &format!("/Users/{id}"),
            "application/scim+json",
            &big,
        );
        assert_error(&r, 413, None);
    });
}

#[test]
fn json_nested_deeper_than_64_is_400() {
    each_server(|s| {
        let deep = "[".repeat(10_000);
        assert_error(&post_text(s, "/Users", &deep), 400, Some("invalidSyntax"));
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_error(&post_text(s, "/Users", &deep), 400, Some("invalidSyntax"));
        let deep = format!(
            r#"{{"userName": "a@x", "x": {}1{}}}"#,
            r#"{"a":"#.repeat(100),
            "}".repeat(100)
        );
        assert_error(&post_text(s, "/Users", &deep), 400, Some("invalidSyntax"));
        let id = create_user(s, "amy@x");
        let r = send(
            s,
            "PATCH",
            &format!("/Users/{id}"),
            "application/json",
            &"{".repeat(10_000),
        );
        assert_error(&r, 400, Some("invalidSyntax"));
        assert_eq!(total(s, "/Users"), 1);
    });
}

#[test]
fn bad_filters_are_400_invalid_filter() {
    each_server(|s| {
        create_user(s, "amy@x");
        let parens = "(".repeat(10_000);
        let closed = format!(
            "{}userName eq \"a\"{}",
            "(".repeat(10_000),
            ")".repeat(10_000)
        );
        let cases = [
            "userName+eq",
            "(((",
            parens.as_str(),
            "fooBar+eq+%22x%22",
            "userName+frob+%22x%22",
            "userName+eq+%22unterminated",
            "emails%5Btype+eq+%22work%22",
            "password+eq+%22x%22",
            "meta.created+gt+%22yesterday%22",
            "active+eq+%22maybe%22",
        ];
        for f in cases {
            let r = s.get(&format!("/Users?filter={f}"));
            assert_error(&r, 400, Some("invalidFilter"));
        }
        let r = s.get(&format!(
            "/Users?filter={}",
            closed.replace(' ', "+").replace('"', "%22")
        ));
        assert_error(&r, 400, Some("invalidFilter"));
        let r = s.get("/Groups?filter=userName+eq+%22amy%40x%22");
        assert_error(&r, 400, Some("invalidFilter"));
        let r = s.get("/Groups?filter=members%5Bvalue+eq%5D");
        assert_error(&r, 400, Some("invalidFilter"));
    });
}

#[test]
fn bad_paging_and_sorting_parameters_are_400_invalid_value() {
    each_server(|s| {
        for q in [
            "startIndex=abc",
            "count=ten",
            "count=1.5",
            "startIndex=99999999999999999999",
            "sortOrder=sideways",
            "sortBy=password",
        ] {
            let r = s.get(&format!("/Users?{q}"));
            assert_error(&r, 400, Some("invalidValue"));
        }
        // RFC 7644 §3.4.2.4: values below 1 are read as 1, negative counts as 0.
        let v = expect(&s.get("/Users?startIndex=0&count=-3"), 200);
        assert_eq!(
            (v["startIndex"].as_u64(), v["totalResults"].as_u64()),
            (Some(1), Some(0))
        );
        // Unknown query parameters are ignored.
        expect(&s.get("/Users?aadOptscim062020&foo=bar&count=2"), 200);
    });
}

#[test]
fn unknown_ids_are_404_for_every_method() {
    each_server(|s| {
        let id = "01900000-0000-7000-8000-000000000000";
        for kind in ["Users", "Groups"] {
            let path = format!("/{kind}/{id}");
            assert_error(&s.get(&path), 404, None);
            assert_error(&s.delete(&path), 404, None);
            let r = s.patch(
                &path,
                &ops(json!([{"op": "Replace", "path": "displayName", "value": "x"}])),
            );
            assert_error(&r, 404, None);
            let body = json!({"userName": "x@x", "displayName": "x"});
            assert_error(&s.put(&path, &body), 404, None);
            assert_error(&s.get(&format!("/{kind}/not-even-a-uuid")), 404, None);
        }
    });
}

#[test]
fn media_types_text_plain_is_415_and_json_variants_are_accepted() {
    each_server(|s| {
        let body = r#"{"userName": "a@x"}"#;
        assert_error(&send(s, "POST", "/Users", "text/plain", body), 415, None);
        assert_error(
            &send(s, "POST", "/Users", "application/xml", body),
            415,
            None,
        );
        assert_eq!(total(s, "/Users"), 0);
        let r = send(
            s,
            "POST",
            "/Users",
            "application/scim+json; charset=utf-8",
            body,
        );
        let id = super::id_of(&expect(&r, 201));
        let r = send(
            s,
            "POST",
            "/Users",
            "application/json",
            r#"{"userName": "b@x"}"#,
        );
        expect(&r, 201);
        let r = send(
            s,
            "POST",
            "/Users",
            "Application/SCIM+JSON;charset=UTF-8",
            r#"{"userName": "c@x"}"#,
        );
        expect(&r, 201);
        let patch = ops(json!([{"op": "Add", "path": "title", "value": "T"}])).to_string();
        let r = send(s, "PATCH", &format!("/Users/{id}"), "text/plain", &patch);
        assert_error(&r, 415, None);
        let r = send(
            s,
            "PATCH",
            &format!("/Users/{id}"),
            "application/json",
            &patch,
        );
        assert_eq!(expect(&r, 200)["title"], "T");
        let r = s.get(&format!("/Users/{id}"));
        assert_eq!(r.header("content-type"), Some("application/scim+json"));
    });
}

#[test]
fn wrong_methods_are_405() {
    each_server(|s| {
        let id = create_user(s, "amy@x");
        let user = format!("/Users/{id}");
        let cases = [
            ("DELETE", "/Users"),
            ("PUT", "/Users"),
            ("PATCH", "/Groups"),
            ("POST", user.as_str()),
            ("POST", "/ServiceProviderConfig"),
            ("DELETE", "/Schemas"),
            ("PUT", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User"),
            ("PATCH", "/ResourceTypes/User"),
            ("POST", "/ResourceTypes"),
        ];
        for (method, path) in cases {
            let r = s.call(method, path, Some(&json!({})));
            assert_error(&r, 405, None);
        }
        assert_eq!(total(s, "/Users"), 1);
    });
}

#[test]
fn unknown_paths_are_404_with_a_scim_error() {
    each_server(|s| {
        assert_error(&s.get("/Bulk"), 404, None);
        assert_error(&s.get("/Userz"), 404, None);
        assert_error(&s.get("/Users/a/b"), 404, None);
        assert_error(&s.get(&format!("{}/scim/v2/Nope", s.root)), 404, None);
        assert_error(&s.get(&format!("{}/nope", s.root)), 404, None);
        assert_error(&s.get(&format!("{}/scim/v1/Users", s.root)), 404, None);
    });
}

#[test]
fn a_patch_with_one_valid_and_one_invalid_op_changes_nothing() {
    each_server(|s| {
        let id = create_user(s, "amy@x");
        let path = format!("/Users/{id}");
        let before = expect(&s.get(&path), 200);
        let bad = [
            json!([{"op": "Replace", "path": "displayName", "value": "New"},
                   {"op": "Replace", "path": "active", "value": "maybe"}]),
            json!([{"op": "Replace", "path": "displayName", "value": "New"},
                   {"op": "Frobnicate", "path": "title", "value": "x"}]),
            json!([{"op": "Add", "path": "title", "value": "New"},
                   {"op": "Replace", "path": "emails[type eq", "value": "x"}]),
            json!([{"op": "Add", "path": "title", "value": "New"},
                   {"op": "Replace", "path": "userName", "value": 5}]),
            json!([{"op": "Add", "path": "title", "value": "New"},
                   {"op": "Remove"}]),
        ];
        for operations in bad {
            let r = s.patch(&path, &ops(operations.clone()));
            let e = assert_error(&r, 400, None);
            assert!(
                matches!(
                    e["scimType"].as_str(),
                    Some("invalidValue" | "invalidPath" | "invalidSyntax" | "noTarget")
                ),
                "{operations}: {e}"
            );
        }
        for body in [
            json!({"Operations": "x"}),
            json!({"schemas": []}),
            json!({"Operations": [{}]}),
        ] {
            assert_error(&s.patch(&path, &body), 400, None);
        }
        assert_eq!(expect(&s.get(&path), 200), before);
    });
}

#[test]
fn a_duplicate_user_name_in_a_patch_is_409_and_changes_nothing() {
    each_server(|s| {
        create_user(s, "amy@x");
        let bob = create_user(s, "bob@x");
        let path = format!("/Users/{bob}");
        let before = expect(&s.get(&path), 200);
        let r = s.patch(
            &path,
            &ops(json!([{"op": "Replace", "path": "title", "value": "T"},
                        {"op": "Replace", "path": "userName", "value": "AMY@X"}])),
        );
        assert_error(&r, 409, Some("uniqueness"));
        assert_eq!(expect(&s.get(&path), 200), before);
        let r = s.put(&path, &json!({"userName": "Amy@X"}));
        assert_error(&r, 409, Some("uniqueness"));
        assert_eq!(expect(&s.get(&path), 200), before);
    });
}

#[test]
fn unknown_members_are_400_and_nothing_is_written() {
    each_server(|s| {
        let amy = create_user(s, "amy@x");
        let ghost = "01900000-0000-7000-8000-00000000dead";
        let r = s.post(
            "/Groups",
            &json!({"displayName": "G", "members": [{"value": amy}, {"value": ghost}]}),
        );
        let e = assert_error(&r, 400, Some("invalidValue"));
        assert!(
            e["detail"].as_str().unwrap_or_default().contains(ghost),
            "{e}"
        );
        assert_eq!(total(s, "/Groups"), 0);
        let g = create_group(s, "G", &[]);
        let r = s.patch(
            &format!("/Groups/{g}"),
            &ops(json!([{"op": "Replace", "path": "displayName", "value": "H"},
                        {"op": "Add", "path": "members", "value": [{"value": amy}, {"value": ghost}]}])),
        );
        assert_error(&r, 400, Some("invalidValue"));
        let v = expect(&s.get(&format!("/Groups/{g}")), 200);
        assert_eq!(v["displayName"], "G");
        assert!(super::member_ids(s, &g).is_empty(), "{v}");
        // Another tenant's user is just as unknown.
        let other = s.token_for("other");
        let r = s.call_as(
            &other,
            "POST",
            &format!("{}/scim/v2/Users", s.root),
            Some(&json!({"userName": "o@x"})),
        );
        let foreign = super::id_of(&expect(&r, 201));
        let r = s.patch(
            &format!("/Groups/{g}"),
            &ops(json!([{"op": "Add", "path": "members", "value": [{"value": foreign}]}])),
        );
        assert_error(&r, 400, Some("invalidValue"));
        // A group cannot contain itself.
        let r = s.patch(
            &format!("/Groups/{g}"),
            &ops(json!([{"op": "Add", "path": "members", "value": [{"value": g}]}])),
        );
        assert_error(&r, 400, Some("invalidValue"));
        assert!(super::member_ids(s, &g).is_empty());
    });
}
