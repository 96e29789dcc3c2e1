//! The admin JSON API: admin tokens only, the log's filters, cursor paging, NDJSON export,
//! tenants and tokens, and 4xx with a clear message for bad input.

use super::admin_token;
use crate::http::{create_user, expect};
use crate::support::server::Reply;
use crate::support::{each_server, TestServer};
use serde_json::{json, Value};
use std::collections::HashSet;

pub(crate) fn admin(
    s: &TestServer,
    token: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Reply {
    let url = format!("{}/admin/v1{path}", s.root);
    let auth = format!("Bearer {token}");
    let text = body.map(Value::to_string);
    let mut headers = vec![("Authorization", auth.as_str())];
    if text.is_some() {
        headers.push(("Content-Type", "application/json"));
    }
    s.raw(method, &url, &headers, text.as_deref())
}

#[track_caller]
pub(crate) fn admin_error(r: &Reply, status: u16, needle: &str) {
    assert_eq!(r.status, status, "{}", r.text);
    assert!(r
        .header("content-type")
        .unwrap_or_default()
        .starts_with("application/json"));
    let body = r.json();
    assert!(body["error"].is_string(), "{}", r.text);
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(needle), "{needle:?} not in {detail:?}");
}

#[test]
fn admin_endpoints_take_admin_tokens_only() {
    each_server(|s| {
        let r = admin(s, &s.token, "GET", "/events", None);
        admin_error(&r, 401, "admin token");
        assert!(r
            .header("www-authenticate")
            .unwrap_or_default()
            .starts_with("Bearer"));
        admin_error(
            &s.raw("GET", &format!("{}/admin/v1/events", s.root), &[], None),
            401,
            "admin",
        );
        let token = admin_token(s);
        expect(&admin(s, &token, "GET", "/events", None), 200);
        // And the other way round.
        assert_eq!(s.call_as(&token, "GET", "/Users", None).status, 401);
        // A revoked admin token stops working.
        let id = s.services.list_admin_tokens().unwrap()[0].id.clone();
        s.services.revoke_admin_token(&id).unwrap();
        assert_eq!(admin(s, &token, "GET", "/events", None).status, 401);
    });
}

#[test]
fn bad_input_is_a_clear_4xx() {
    each_server(|s| {
        let t = admin_token(s);
        admin_error(
            &admin(s, &t, "GET", "/events?colour=red", None),
            400,
            "colour",
        );
        admin_error(
            &admin(s, &t, "GET", "/events?since=yesterday", None),
            400,
            "RFC 3339",
        );
        admin_error(&admin(s, &t, "GET", "/events?limit=0", None), 400, "limit");
        admin_error(
            &admin(s, &t, "GET", "/events?limit=abc", None),
            400,
            "limit",
        );
        admin_error(
            &admin(s, &t, "GET", "/events?cursor=x", None),
            400,
            "cursor",
        );
        admin_error(
            &admin(s, &t, "GET", "/events?outcome=ok", None),
            400,
            "success, failure",
        );
        admin_error(
            &admin(s, &t, "GET", "/events?action=Frobnicate", None),
            400,
            "Create",
        );
        admin_error(
            &admin(s, &t, "GET", "/events?tenant=nope", None),
            404,
            "nope",
        );
        admin_error(&admin(s, &t, "GET", "/events/abc", None), 400, "number");
        admin_error(&admin(s, &t, "GET", "/events/999999", None), 404, "999999");
        admin_error(
            &admin(s, &t, "GET", "/events/export?cursor=5", None),
            400,
            "after",
        );
        admin_error(&admin(s, &t, "DELETE", "/events", None), 405, "GET");
        admin_error(
            &admin(s, &t, "GET", "/nothing", None),
            404,
            "/admin/v1/nothing",
        );
        admin_error(
            &admin(s, &t, "POST", "/tenants", Some(&json!({"nom": "x"}))),
            400,
            "nom",
        );
        admin_error(
            &admin(
                s,
                &t,
                "POST",
                "/tenants",
                Some(&json!({"name": "Bad Name"})),
            ),
            400,
            "invalid tenant name",
        );
        admin_error(
            &admin(s, &t, "POST", "/tenants", Some(&json!({"name": "acme"}))),
            409,
            "exists",
        );
        admin_error(
            &admin(
                s,
                &t,
                "PATCH",
                "/tenants/acme",
                Some(&json!({"strict": "yes"})),
            ),
            400,
            "invalid JSON",
        );
        admin_error(
            &admin(
                s,
                &t,
                "PATCH",
                "/tenants/nope",
                Some(&json!({"strict": true})),
            ),
            404,
            "nope",
        );
        admin_error(
            &admin(s, &t, "GET", "/tenants/nope/tokens", None),
            404,
            "nope",
        );
        admin_error(
            &admin(s, &t, "DELETE", "/tenants/acme/tokens/xyz", None),
            404,
            "xyz",
        );
    });
}

#[test]
fn filters_and_cursor_paging_without_gaps_or_duplicates() {
    each_server(|s| {
        let t = admin_token(s);
        for n in 0..23 {
            create_user(s, &format!("p{n}@x"));
        }
        s.post(
            "/Users",
            &json!({"schemas": [crate::http::USER_URN], "userName": "p3@x"}),
        );
        s.call_as(
            &s.token_for("other"),
            "POST",
            &format!("{}/t/other/scim/v2/Users", s.root),
            Some(&json!({"schemas": [crate::http::USER_URN], "userName": "o@x"})),
        );

        let mut seen = Vec::new();
        let mut cursor: Option<i64> = None;
        loop {
            let path = match cursor {
                Some(c) => format!("/events?tenant=acme&action=Create&limit=5&cursor={c}"),
                None => "/events?tenant=acme&action=Create&limit=5".to_string(),
            };
            let page = expect(&admin(s, &t, "GET", &path, None), 200);
            for e in page["events"].as_array().unwrap() {
                seen.push(e["id"].as_i64().unwrap());
                assert_eq!(e["tenant"], "acme");
            }
            match page["next_cursor"].as_i64() {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen.len(), 24);
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 24, "duplicates");
        assert!(seen.windows(2).all(|w| w[0] > w[1]), "newest first");

        let failures = expect(&admin(s, &t, "GET", "/events?outcome=failure", None), 200);
        let failures = failures["events"].as_array().unwrap();
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0]["status"], 409);
        let by_name = expect(&admin(s, &t, "GET", "/events?user_name=P3%40X", None), 200);
        assert_eq!(by_name["events"].as_array().unwrap().len(), 2);
        let id = failures[0]["id"].as_i64().unwrap();
        let one = expect(&admin(s, &t, "GET", &format!("/events/{id}"), None), 200);
        assert_eq!(one["scim_type"], "uniqueness");
        let text = expect(
            &admin(s, &t, "GET", "/events?text=already+exists", None),
            200,
        );
        assert_eq!(text["events"].as_array().unwrap().len(), 1);
        let rid = failures[0]["resource_id"].clone();
        assert!(rid.is_null());
        let all = expect(&admin(s, &t, "GET", "/events?limit=1000", None), 200);
        assert_eq!(
            all["events"].as_array().unwrap().len(),
            25,
            "every tenant without ?tenant"
        );
        let future = expect(
            &admin(s, &t, "GET", "/events?since=2999-01-01T00:00:00Z", None),
            200,
        );
        assert!(future["events"].as_array().unwrap().is_empty());
        let past = expect(
            &admin(
                s,
                &t,
                "GET",
                "/events?until=2000-01-01T00:00:00%2B02:00",
                None,
            ),
            200,
        );
        assert!(past["events"].as_array().unwrap().is_empty());
    });
}

#[test]
fn export_streams_every_matching_event_as_ndjson_oldest_first() {
    each_server(|s| {
        let t = admin_token(s);
        for n in 0..7 {
            create_user(s, &format!("x{n}@x"));
        }
        let r = admin(s, &t, "GET", "/events/export?tenant=acme", None);
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.header("content-type"), Some("application/x-ndjson"));
        let lines: Vec<Value> = r
            .text
            .lines()
            .map(|l| serde_json::from_str(l).expect("each line is JSON"))
            .collect();
        assert_eq!(lines.len(), 7);
        let ids: Vec<i64> = lines.iter().map(|e| e["id"].as_i64().unwrap()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "oldest first");
        assert_eq!(lines[0]["resource_name"], "x0@x");
        // Resume after a known id.
        let r = admin(
            s,
            &t,
            "GET",
            &format!("/events/export?after={}", ids[4]),
            None,
        );
        assert_eq!(r.text.lines().count(), 2);
        // Bigger than one export page.
        let tenant = s.services.tenant("acme").unwrap().unwrap();
        s.services
            .db()
            .write(|c| {
                for n in 0..1200 {
                    scimd::storage::events::insert(
                        c,
                        &scimd::storage::NewEvent {
                            tenant_id: Some(tenant.id.clone()),
                            occurred_at: chrono::Utc::now().naive_utc(),
                            request_id: format!("bulk-{n}"),
                            actor: "scim".into(),
                            method: "GET".into(),
                            path: "/".into(),
                            action: "Lookup".into(),
                            outcome: "success".into(),
                            status: 200,
                            ..Default::default()
                        },
                    )?;
                }
                Ok::<_, scimd::storage::StorageError>(())
            })
            .unwrap();
        let r = admin(s, &t, "GET", "/events/export?action=Lookup", None);
        let ids: Vec<i64> = r
            .text
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["id"]
                    .as_i64()
                    .unwrap()
            })
            .collect();
        assert_eq!(ids.len(), 1200);
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 1200);
    });
}

#[test]
fn tenants_tokens_and_flags() {
    each_server(|s| {
        let t = admin_token(s);
        let created = admin(s, &t, "POST", "/tenants", Some(&json!({"name": "contoso"})));
        let created = expect(&created, 201);
        assert_eq!(created["name"], "contoso");
        assert!(created["tenant_url"]
            .as_str()
            .unwrap()
            .ends_with("/t/contoso/scim/v2"));
        let list = expect(&admin(s, &t, "GET", "/tenants", None), 200);
        let names: Vec<&str> = list["tenants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["acme", "contoso"]);

        let token = expect(
            &admin(
                s,
                &t,
                "POST",
                "/tenants/contoso/tokens",
                Some(&json!({"label": "entra"})),
            ),
            201,
        );
        let secret = token["token"].as_str().unwrap().to_string();
        let url = format!("{}/Users", token["tenant_url"].as_str().unwrap());
        assert_eq!(s.call_as(&secret, "GET", &url, None).status, 200);
        let tokens = expect(&admin(s, &t, "GET", "/tenants/contoso/tokens", None), 200);
        assert_eq!(tokens["tokens"][0]["label"], "entra");
        assert!(!tokens.to_string().contains(&secret));
        let id = token["id"].as_str().unwrap();
        let r = admin(
            s,
            &t,
            "DELETE",
            &format!("/tenants/contoso/tokens/{id}"),
            None,
        );
        assert_eq!(r.status, 204);
        assert_eq!(s.call_as(&secret, "GET", &url, None).status, 401);

        let flags = expect(
            &admin(
                s,
                &t,
                "PATCH",
                "/tenants/contoso",
                Some(&json!({"log_reads": true})),
            ),
            200,
        );
        assert_eq!(
            (flags["log_reads"].as_bool(), flags["strict"].as_bool()),
            (Some(true), Some(false))
        );
        let flags = expect(
            &admin(
                s,
                &t,
                "PATCH",
                "/tenants/contoso",
                Some(&json!({"strict": true})),
            ),
            200,
        );
        assert_eq!(
            (flags["log_reads"].as_bool(), flags["strict"].as_bool()),
            (Some(true), Some(true))
        );
        let reads = expect(&admin(s, &t, "GET", "/tenants/acme/reads", None), 200);
        assert!(reads["reads"].is_array());
    });
}

#[test]
fn patch_tenant_configures_entra_jwts() {
    each_server(|s| {
        let t = admin_token(s);
        let dir = "5b1c2d3e-0000-4000-8000-00000000cccc";
        let body = json!({"entra_tenant_id": dir, "jwt_audience": "api://x"});
        let r = admin(s, &t, "PATCH", "/tenants/acme", Some(&body));
        assert_eq!(r.status, 200, "{}", r.text);
        let v = r.json();
        assert_eq!(v["entra_tenant_id"], dir);
        assert_eq!(v["jwt_audience"], "api://x");
        assert_eq!(v["strict"], false);
        let body = json!({"entra_tenant_id": "not-a-guid"});
        let r = admin(s, &t, "PATCH", "/tenants/acme", Some(&body));
        admin_error(&r, 400, "GUID");
        let body = json!({"entra_tenant_id": ""});
        let r = admin(s, &t, "PATCH", "/tenants/acme", Some(&body));
        assert_eq!(r.json()["entra_tenant_id"], Value::Null, "{}", r.text);
        admin_error(
            &admin(s, &t, "PATCH", "/tenants/acme", Some(&json!({}))),
            400,
            "send any of",
        );
    });
}
