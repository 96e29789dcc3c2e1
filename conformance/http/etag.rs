//! `meta.version` as a weak ETag; `If-Match` honoured (412 when stale), never required.

use super::{assert_error, create_group, create_user, expect, ops};
use crate::support::server::Reply;
use crate::support::{each_server, TestServer};
use serde_json::{json, Value};

fn with_if_match(
    s: &TestServer,
    method: &str,
    path: &str,
    tag: &str,
    body: Option<&Value>,
) -> Reply {
    let auth = format!("Bearer {}", s.token);
    let mut headers = vec![("Authorization", auth.as_str()), ("If-Match", tag)];
    if body.is_some() {
        headers.push(("Content-Type", "application/scim+json"));
    }
    let text = body.map(Value::to_string);
    s.raw(
        method,
        &format!("{}{path}", s.base),
        &headers,
        text.as_deref(),
    )
}

#[track_caller]
fn etag(r: &Reply) -> String {
    r.header("etag")
        .unwrap_or_else(|| panic!("no ETag: {}", r.text))
        .to_string()
}

#[test]
fn etags_are_weak_versions_and_match_meta_version() {
    each_server(|s| {
        let r = s.post("/Users", &json!({"userName": "amy@x"}));
        assert_eq!(etag(&r), "W/\"1\"");
        let id = super::id_of(&expect(&r, 201));
        let r = s.get(&format!("/Users/{id}"));
        assert_eq!(etag(&r), "W/\"1\"");
        assert_eq!(r.json()["meta"]["version"], "W/\"1\"");
        let r = s.patch(
            &format!("/Users/{id}"),
            &ops(json!([{"op": "Add", "path": "title", "value": "T"}])),
        );
        assert_eq!(etag(&r), "W/\"2\"");
        assert_eq!(r.json()["meta"]["version"], "W/\"2\"");
        // A PATCH that changes nothing does not bump the version.
        let r = s.patch(
            &format!("/Users/{id}"),
            &ops(json!([{"op": "Add", "path": "title", "value": "T"}])),
        );
        assert_eq!(etag(&r), "W/\"2\"");
    });
}

#[test]
fn a_matching_if_match_is_accepted_and_a_stale_one_is_412_and_changes_nothing() {
    each_server(|s| {
        let id = create_user(s, "amy@x");
        let path = format!("/Users/{id}");
        let title = |t: &str| ops(json!([{"op": "Replace", "path": "title", "value": t}]));
        let r = with_if_match(s, "PATCH", &path, "W/\"1\"", Some(&title("One")));
        assert_eq!(expect(&r, 200)["title"], "One");
        assert_eq!(etag(&r), "W/\"2\"");
        let before = expect(&s.get(&path), 200);
        let r = with_if_match(s, "PATCH", &path, "W/\"1\"", Some(&title("Stale")));
        assert_error(&r, 412, None);
        let r = with_if_match(
            s,
            "PUT",
            &path,
            "W/\"1\"",
            Some(&json!({"userName": "amy@x"})),
        );
        assert_error(&r, 412, None);
        let r = with_if_match(s, "DELETE", &path, "W/\"1\"", None);
        assert_error(&r, 412, None);
        assert_eq!(expect(&s.get(&path), 200), before);
        // `*`, the strong form and a list containing the current tag all match.
        let r = with_if_match(s, "PATCH", &path, "*", Some(&title("Star")));
        assert_eq!(expect(&r, 200)["title"], "Star");
        let r = with_if_match(s, "PATCH", &path, "\"3\"", Some(&title("Strong")));
        assert_eq!(expect(&r, 200)["title"], "Strong");
        let r = with_if_match(
            s,
            "PUT",
            &path,
            "W/\"1\", W/\"4\"",
            Some(&json!({"userName": "amy@x"})),
        );
        assert_eq!(etag(&expect_ok(r)), "W/\"5\"");
        let r = with_if_match(s, "DELETE", &path, "W/\"5\"", None);
        assert_eq!(r.status, 204, "{}", r.text);
        assert_error(&s.get(&path), 404, None);
    });
}

fn expect_ok(r: Reply) -> Reply {
    assert_eq!(r.status, 200, "{}", r.text);
    r
}

#[test]
fn if_match_is_never_required() {
    each_server(|s| {
        let id = create_user(s, "amy@x");
        for _ in 0..3 {
            let r = s.patch(&format!("/Users/{id}"), &ops(json!([{"op": "Replace", "path": "active", "value": "False"}, {"op": "Replace", "path": "active", "value": "True"}, {"op": "Replace", "path": "nickName", "value": "x"}])));
            expect(&r, 200);
        }
        expect(
            &s.put(&format!("/Users/{id}"), &json!({"userName": "amy@x"})),
            200,
        );
        assert_eq!(s.delete(&format!("/Users/{id}")).status, 204);
    });
}

#[test]
fn a_member_patch_changes_the_groups_etag() {
    each_server(|s| {
        let amy = create_user(s, "amy@x");
        let g = create_group(s, "Finance", &[]);
        let path = format!("/Groups/{g}");
        let before = etag(&s.get(&path));
        let add = ops(json!([{"op": "Add", "path": "members", "value": [{"value": amy}]}]));
        let r = s.patch(&path, &add);
        assert_eq!(r.status, 204, "{}", r.text);
        assert!(
            r.text.is_empty(),
            "a group PATCH returns no body: {}",
            r.text
        );
        let after_add = etag(&r);
        assert_ne!(after_add, before);
        assert_eq!(etag(&s.get(&path)), after_add);
        // The old tag is now stale for a member change too.
        let remove = ops(json!([{"op": "Remove", "path": format!("members[value eq \"{amy}\"]")}]));
        assert_error(
            &with_if_match(s, "PATCH", &path, &before, Some(&remove)),
            412,
            None,
        );
        assert_eq!(super::member_ids(s, &g), vec![amy.clone()]);
        let r = with_if_match(s, "PATCH", &path, &after_add, Some(&remove));
        assert_eq!(r.status, 204, "{}", r.text);
        assert_ne!(etag(&s.get(&path)), after_add);
        assert!(super::member_ids(s, &g).is_empty());
    });
}
