//! Bearer authentication and tenant isolation: a secret names exactly one tenant, and nothing
//! of another tenant can be read, changed or even detected with it.

use super::{assert_error, create_group, create_user, expect, id_of, ops, total};
use crate::support::server::Reply;
use crate::support::{each_server, TestServer};
use serde_json::json;

#[track_caller]
pub fn assert_401(r: &Reply) {
    assert_error(r, 401, None);
    let challenge = r.header("www-authenticate").unwrap_or_default();
    assert!(
        challenge.starts_with("Bearer"),
        "WWW-Authenticate: {challenge:?}"
    );
}

fn get_with(s: &TestServer, url: &str, authorization: Option<&str>) -> Reply {
    match authorization {
        Some(a) => s.raw("GET", url, &[("Authorization", a)], None),
        None => s.raw("GET", url, &[], None),
    }
}

#[test]
fn missing_malformed_and_unknown_credentials_are_401_with_a_bearer_challenge() {
    each_server(|s| {
        let users = format!("{}/Users", s.base);
        let token = s.token.clone();
        let basic = format!("Basic {token}");
        let no_space = format!("Bearer{token}");
        let wrong = format!("Bearer {}0", token);
        let cases = [
            None,
            Some(""),
            Some("Bearer"),
            Some("Bearer "),
            Some(basic.as_str()),
            Some(no_space.as_str()),
            Some(wrong.as_str()),
            Some("Bearer scimd_00"),
            Some("Bearer not-a-secret"),
        ];
        for auth in cases {
            assert_401(&get_with(s, &users, auth));
            let tenantless = format!("{}/scim/v2/Users", s.root);
            assert_401(&get_with(s, &tenantless, auth));
        }
        // The scheme is case-insensitive (RFC 7235).
        let lower = format!("bearer {token}");
        expect(&get_with(s, &users, Some(&lower)), 200);
        // A write without a credential writes nothing.
        let r = s.raw(
            "POST",
            &users,
            &[("Content-Type", "application/scim+json")],
            Some(r#"{"userName": "amy@x"}"#),
        );
        assert_401(&r);
        assert_eq!(total(s, "/Users"), 0);
    });
}

#[test]
fn another_tenants_secret_on_a_tenant_url_is_401() {
    each_server(|s| {
        let amy = create_user(s, "amy@x");
        let other = s.token_for("globex");
        assert_401(&s.call_as(&other, "GET", "/Users", None));
        assert_401(&s.call_as(&other, "GET", &format!("/Users/{amy}"), None));
        assert_401(&s.call_as(&other, "DELETE", &format!("/Users/{amy}"), None));
        let r = s.call_as(&other, "POST", "/Users", Some(&json!({"userName": "x@x"})));
        assert_401(&r);
        // A tenant that does not exist, or is spelled differently, is no better.
        let r = s.get(&format!("{}/t/nosuch/scim/v2/Users", s.root));
        assert_401(&r);
        let r = s.get(&format!("{}/t/ACME/scim/v2/Users", s.root));
        assert_401(&r);
        // Its own URL works for the other tenant, and shows none of acme's users.
        let globex = format!("{}/t/globex/scim/v2/Users", s.root);
        let v = expect(&s.call_as(&other, "GET", &globex, None), 200);
        assert_eq!(v["totalResults"], 0);
        expect(&s.get(&format!("/Users/{amy}")), 200);
    });
}

#[test]
fn another_tenant_cannot_read_change_delete_or_find_a_tenants_resources() {
    each_server(|s| {
        let amy = create_user(s, "amy@x");
        let fin = create_group(s, "Finance", &[&amy]);
        let before_user = expect(&s.get(&format!("/Users/{amy}")), 200);
        let before_members = super::member_ids(s, &fin);
        let other = s.token_for("globex");
        let base = format!("{}/scim/v2", s.root);
        let as_other = |method: &str, path: &str, body: Option<&serde_json::Value>| {
            s.call_as(&other, method, &format!("{base}{path}"), body)
        };
        for (kind, id) in [("Users", &amy), ("Groups", &fin)] {
            let path = format!("/{kind}/{id}");
            assert_error(&as_other("GET", &path, None), 404, None);
            let patch = ops(json!([{"op": "Replace", "path": "displayName", "value": "pwned"}]));
            assert_error(&as_other("PATCH", &path, Some(&patch)), 404, None);
            let put = json!({"userName": "pwned@x", "displayName": "pwned"});
            assert_error(&as_other("PUT", &path, Some(&put)), 404, None);
            assert_error(&as_other("DELETE", &path, None), 404, None);
        }
        let lists = [
            "/Users".to_string(),
            "/Users?filter=userName+eq+%22amy%40x%22".to_string(),
            format!("/Users?filter=id+eq+%22{amy}%22"),
            "/Users?filter=userName+pr".to_string(),
            "/Groups".to_string(),
            "/Groups?filter=displayName+eq+%22Finance%22".to_string(),
            format!("/Groups?filter=members%5Bvalue+eq+%22{amy}%22%5D"),
        ];
        for path in &lists {
            let v = expect(&as_other("GET", path, None), 200);
            assert_eq!(v["totalResults"], 0, "{path}: {v}");
            assert_eq!(v["Resources"], json!([]), "{path}: {v}");
        }
        // Nothing changed for acme, which still reaches its data through /scim/v2 too.
        assert_eq!(expect(&s.get(&format!("/Users/{amy}")), 200), before_user);
        assert_eq!(super::member_ids(s, &fin), before_members);
        let v = expect(&s.get(&format!("{base}/Users/{amy}")), 200);
        assert_eq!(v["userName"], "amy@x");
    });
}

#[test]
fn a_revoked_token_is_401_at_once() {
    each_server(|s| {
        let issued = s
            .services
            .create_token("acme", Some("rotating"))
            .expect("token");
        let url = format!("{}/Users", s.base);
        expect(&s.call_as(&issued.token, "GET", &url, None), 200);
        assert!(s.services.revoke_token("acme", &issued.id).expect("revoke"));
        assert_401(&s.call_as(&issued.token, "GET", &url, None));
        let r = s.call_as(
            &issued.token,
            "GET",
            &format!("{}/scim/v2/Users", s.root),
            None,
        );
        assert_401(&r);
        // The tenant's other token is unaffected.
        expect(&s.get("/Users"), 200);
    });
}

#[test]
fn the_same_user_name_and_group_name_may_exist_in_two_tenants() {
    each_server(|s| {
        let amy = create_user(s, "amy@x");
        let fin = create_group(s, "Finance", &[&amy]);
        let other = s.token_for("globex");
        let base = format!("{}/scim/v2", s.root);
        let r = s.call_as(
            &other,
            "POST",
            &format!("{base}/Users"),
            Some(&json!({"userName": "AMY@x"})),
        );
        let amy2 = id_of(&expect(&r, 201));
        assert_ne!(amy, amy2);
        let body = json!({"displayName": "Finance", "members": [{"value": amy2}]});
        let r = s.call_as(&other, "POST", &format!("{base}/Groups"), Some(&body));
        let fin2 = id_of(&expect(&r, 201));
        assert_ne!(fin, fin2);
        let filter = "/Users?filter=userName+eq+%22amy%40x%22";
        let v = expect(&s.get(filter), 200);
        assert_eq!(
            (v["totalResults"].as_u64(), v["Resources"][0]["id"].as_str()),
            (Some(1), Some(amy.as_str()))
        );
        let v = expect(
            &s.call_as(&other, "GET", &format!("{base}{filter}"), None),
            200,
        );
        assert_eq!(
            (v["totalResults"].as_u64(), v["Resources"][0]["id"].as_str()),
            (Some(1), Some(amy2.as_str()))
        );
        assert_eq!(super::member_ids(s, &fin), vec![amy.clone()]);
        // Deleting one tenant's user leaves the other's alone.
        expect(&s.delete(&format!("/Users/{amy}")), 204);
        let v = expect(
            &s.call_as(&other, "GET", &format!("{base}/Users/{amy2}"), None),
            200,
        );
        assert_eq!(v["userName"], "AMY@x");
    });
}

#[test]
fn discovery_needs_no_credential_but_resources_do() {
    each_server(|s| {
        for path in ["/ServiceProviderConfig", "/ResourceTypes", "/Schemas"] {
            expect(&get_with(s, &format!("{}{path}", s.base), None), 200);
            expect(
                &get_with(s, &format!("{}/scim/v2{path}", s.root), None),
                200,
            );
        }
        assert_401(&get_with(s, &format!("{}/Groups", s.base), None));
    });
}
