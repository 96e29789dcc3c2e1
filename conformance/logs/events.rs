//! One event per request: every field of writes, failures with scimType and detail, failed
//! reads, Entra's probe, refused requests, no-op PATCHes, and no secret anywhere.

use super::{all_event_text, events, last_event};
use crate::http::{create_user, expect, ops, USER_URN};
use crate::support::each_server;
use serde_json::{json, Value};

#[test]
fn writes_record_every_field() {
    each_server(|s| {
        let r = s.post(
            "/Users",
            &json!({"schemas": [USER_URN], "userName": "amy@x", "externalId": "e-1",
                    "active": true, "displayName": "Amy"}),
        );
        let id = expect(&r, 201)["id"].as_str().unwrap().to_string();
        let e = last_event(s);
        assert_eq!(e.tenant.as_deref(), Some("acme"));
        assert_eq!(Some(e.request_id.as_str()), r.header("x-request-id"));
        assert_eq!(e.actor, "scim");
        let creds = s.services.list_tokens("acme").unwrap();
        assert_eq!(e.credential_id.as_deref(), Some(creds[0].id.as_str()));
        assert_eq!(e.client_addr.as_deref(), Some("127.0.0.1"));
        assert_eq!(
            (e.method.as_str(), e.path.as_str()),
            ("POST", "/t/acme/scim/v2/Users")
        );
        assert_eq!(e.resource_type.as_deref(), Some("User"));
        assert_eq!(e.resource_id.as_deref(), Some(id.as_str()));
        assert_eq!(e.resource_name.as_deref(), Some("amy@x"));
        assert_eq!(e.external_id.as_deref(), Some("e-1"));
        assert_eq!(
            (e.action.as_str(), e.outcome.as_str(), e.status),
            ("Create", "success", 201)
        );
        assert_eq!((e.scim_type.as_deref(), e.detail.as_deref()), (None, None));
        let changes = e.changes.clone().unwrap();
        assert!(
            changes
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["attribute"] == "displayName"
                    && c["before"].is_null()
                    && c["after"] == "Amy"),
            "{changes}"
        );
        assert!(e.duration_ms > 0.0);
        assert!(e.request_body.as_deref().unwrap().contains("amy@x"));
        assert!(e.time.ends_with('Z'));

        // A path-less PATCH in Entra's default dialect: normalised, and the change is recorded.
        let r = s.patch(
            &format!("/Users/{id}"),
            &ops(json!([{"op": "Replace", "value": {"displayName": "Amy B"}}])),
        );
        expect(&r, 200);
        let e = last_event(s);
        assert_eq!(
            (e.action.as_str(), e.outcome.as_str(), e.status),
            ("Update", "success", 200)
        );
        assert_eq!(Some(e.request_id.as_str()), r.header("x-request-id"));
        assert_eq!(
            e.changes.unwrap(),
            json!([{"attribute": "displayName", "before": "Amy", "after": "Amy B"}])
        );

        // Entra's "True"/"False" strings for active: the normalisation is recorded.
        let r = s.patch(
            &format!("/Users/{id}"),
            &ops(json!([{"op": "Replace", "path": "active", "value": "False"}])),
        );
        expect(&r, 200);
        let e = last_event(s);
        assert_eq!(
            (e.action.as_str(), e.outcome.as_str()),
            ("Disable", "success")
        );
        assert_eq!(
            e.changes.unwrap(),
            json!([{"attribute": "active", "before": true, "after": false}])
        );
        assert!(!e.normalizations.is_empty(), "no normalisation recorded");

        // The same PATCH again changes nothing: skipped.
        let r = s.patch(
            &format!("/Users/{id}"),
            &ops(json!([{"op": "Replace", "path": "active", "value": false}])),
        );
        expect(&r, 200);
        let e = last_event(s);
        assert_eq!(
            (e.action.as_str(), e.outcome.as_str(), e.status),
            ("Update", "skipped", 200)
        );

        let r = s.delete(&format!("/Users/{id}"));
        assert_eq!(r.status, 204);
        let e = last_event(s);
        assert_eq!(
            (e.action.as_str(), e.outcome.as_str(), e.status),
            ("Delete", "success", 204)
        );
        assert_eq!(e.resource_name.as_deref(), Some("amy@x"));
        assert_eq!(Some(e.request_id.as_str()), r.header("x-request-id"));
    });
}

#[test]
fn a_conflicting_create_records_uniqueness_and_the_detail() {
    each_server(|s| {
        create_user(s, "bob@x");
        let r = s.post(
            "/Users",
            &json!({"schemas": [USER_URN], "userName": "BOB@x"}),
        );
        let body = expect(&r, 409);
        let e = last_event(s);
        assert_eq!(
            (e.action.as_str(), e.outcome.as_str(), e.status),
            ("Create", "failure", 409)
        );
        assert_eq!(e.scim_type.as_deref(), Some("uniqueness"));
        assert_eq!(e.detail.as_deref(), body["detail"].as_str());
        assert!(e.detail.unwrap().contains("BOB@x"));
        assert_eq!(Some(e.request_id.as_str()), r.header("x-request-id"));
        assert!(e.request_body.unwrap().contains("BOB@x"));
    });
}

#[test]
fn failed_reads_are_logged_as_lookups() {
    each_server(|s| {
        let r = s.get("/Users/00000000-0000-7000-8000-000000000000");
        assert_eq!(r.status, 404);
        let e = last_event(s);
        assert_eq!(
            (e.action.as_str(), e.outcome.as_str(), e.status),
            ("Lookup", "failure", 404)
        );
        assert_eq!(
            e.resource_id.as_deref(),
            Some("00000000-0000-7000-8000-000000000000")
        );
        assert!(e.detail.unwrap().contains("no User"));

        let r = s.get("/Users?filter=userName+xx+%22a%22");
        assert_eq!(r.status, 400);
        let e = last_event(s);
        assert_eq!(
            (e.action.as_str(), e.outcome.as_str(), e.status),
            ("Lookup", "failure", 400)
        );
        assert_eq!(e.scim_type.as_deref(), Some("invalidFilter"));
        assert_eq!(Some(e.request_id.as_str()), r.header("x-request-id"));

        // Refused before the use case (a bad sortBy/startIndex-style parameter) is logged too.
        let r = s.get("/Groups?count=abc");
        if r.status == 400 {
            let e = last_event(s);
            assert_eq!((e.action.as_str(), e.status), ("Lookup", 400));
            assert_eq!(e.resource_type.as_deref(), Some("Group"));
        }

        // A malformed write body is logged under the write it attempted.
        let r = s.raw(
            "POST",
            &format!("{}/Users", s.base),
            &[
                ("Authorization", &format!("Bearer {}", s.token)),
                ("Content-Type", "application/scim+json"),
            ],
            Some("{not json"),
        );
        assert_eq!(r.status, 400);
        let e = last_event(s);
        assert_eq!(
            (e.action.as_str(), e.outcome.as_str(), e.status),
            ("Create", "failure", 400)
        );
        assert_eq!(e.scim_type.as_deref(), Some("invalidSyntax"));
    });
}

#[test]
fn entras_test_connection_probe_is_recorded() {
    each_server(|s| {
        let probe = "/Users?filter=userName+eq+%2204b5c6a8-9f2e-4d1a-8c3b-2a1f0e9d8c7b%22";
        expect(&s.get(probe), 200);
        let e = last_event(s);
        assert_eq!(
            (e.action.as_str(), e.outcome.as_str(), e.status),
            ("TestConnection", "success", 200)
        );
        assert_eq!(e.resource_type.as_deref(), Some("User"));
        assert!(e.detail.unwrap().contains("Test Connection"));
        let group_probe = "/Groups?excludedAttributes=members&filter=displayName+eq+%2204b5c6a8-9f2e-4d1a-8c3b-2a1f0e9d8c7b%22";
        expect(&s.get(group_probe), 200);
        let e = last_event(s);
        assert_eq!(
            (e.action.as_str(), e.resource_type.as_deref()),
            ("TestConnection", Some("Group"))
        );
        // An ordinary lookup that finds nothing is a read, counted, not a probe.
        let before = events(s).len();
        expect(&s.get("/Users?filter=userName+eq+%22nobody%40x%22"), 200);
        assert_eq!(events(s).len(), before);
    });
}

#[test]
fn refused_requests_are_attributed_to_the_tenant_they_aimed_at() {
    each_server(|s| {
        // The path names the tenant; the token is wrong.
        let wrong = "scimd_0000000000000000000000000000000000000000000000000000000000000000";
        let r = s.call_as(wrong, "GET", "/Users", None);
        assert_eq!(r.status, 401);
        let e = last_event(s);
        assert_eq!(
            (e.action.as_str(), e.outcome.as_str(), e.status),
            ("Authenticate", "failure", 401)
        );
        assert_eq!(Some(e.request_id.as_str()), r.header("x-request-id"));
        assert_eq!(e.credential_id, None);
        assert!(e.detail.unwrap().contains("unknown"));

        // A valid token of another tenant on acme's URL: logged for acme, naming the owner.
        let other = s.token_for("other");
        let r = s.call_as(&other, "GET", "/Users", None);
        assert_eq!(r.status, 401);
        let e = last_event(s);
        assert_eq!((e.action.as_str(), e.status), ("Authenticate", 401));
        assert!(
            e.detail.as_deref().unwrap().contains("\"other\""),
            "{:?}",
            e.detail
        );
        assert!(e.credential_id.is_some());

        // The token tells the tenant when the path names none that exists.
        let r = s.call_as(
            &other,
            "GET",
            &format!("{}/t/nope/scim/v2/Users", s.root),
            None,
        );
        assert_eq!(r.status, 401);
        let others = super::query(
            s,
            scimd::service::EventQuery {
                tenant: Some("other".into()),
                ..Default::default()
            },
        );
        assert_eq!(others[0].action, "Authenticate");

        // Nothing tells a tenant: not logged (but still refused).
        let before = super::query(s, Default::default()).len();
        let r = s.call_as(wrong, "GET", &format!("{}/scim/v2/Users", s.root), None);
        assert_eq!(r.status, 401);
        assert_eq!(super::query(s, Default::default()).len(), before);

        assert!(!all_event_text(s).contains(wrong));
        assert!(!all_event_text(s).contains(&other));
    });
}

#[test]
fn no_secret_is_ever_stored() {
    each_server(|s| {
        let id = create_user_with_password(s);
        s.patch(
            &format!("/Users/{id}"),
            &ops(json!([
                {"op": "replace", "path": "password", "value": "PatchedSecret-2"},
                {"op": "replace", "value": {"password": "PathlessSecret-3"}}
            ])),
        );
        s.put(
            &format!("/Users/{id}"),
            &json!({"schemas": [USER_URN], "userName": "pw@x", "password": "PutSecret-4"}),
        );
        // A failing request with a password in it.
        s.post(
            "/Users",
            &json!({"schemas": [USER_URN], "userName": "pw@x", "password": "FailedSecret-5"}),
        );
        let admin = super::admin_token(s);
        let r = s.call_as(&admin, "GET", "/Users", None);
        assert_eq!(r.status, 401, "an admin token opens no SCIM endpoint");
        let text = all_event_text(s);
        for secret in [
            "InitialSecret-1",
            "PatchedSecret-2",
            "PathlessSecret-3",
            "PutSecret-4",
            "FailedSecret-5",
            &s.token,
            &admin,
        ] {
            assert!(!text.contains(secret), "{secret} is in the log");
        }
        assert!(text.contains("***"), "redaction marker missing");
        let e = events(s);
        assert!(e.iter().any(|e| e.action == "Authenticate"
            && e.detail
                .as_deref()
                .unwrap_or_default()
                .contains("admin token")));
    });
}

fn create_user_with_password(s: &crate::support::TestServer) -> String {
    let r = s.post(
        "/Users",
        &json!({"schemas": [USER_URN], "userName": "pw@x", "password": "InitialSecret-1"}),
    );
    expect(&r, 201)["id"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_default()
}

#[test]
fn group_membership_changes_are_named() {
    each_server(|s| {
        let u = create_user(s, "m@x");
        let g = crate::http::create_group(s, "Team", &[]);
        let r = s.patch(
            &format!("/Groups/{g}"),
            &ops(json!([{"op": "Add", "path": "members", "value": [{"value": u}]}])),
        );
        assert_eq!(r.status, 204);
        let e = last_event(s);
        assert_eq!(
            (e.action.as_str(), e.outcome.as_str()),
            ("AddMembers", "success")
        );
        assert_eq!(e.resource_name.as_deref(), Some("Team"));
        let changes: Value = e.changes.unwrap();
        assert!(changes.to_string().contains(&u), "{changes}");
        let r = s.patch(
            &format!("/Groups/{g}"),
            &ops(json!([{"op": "Remove", "path": format!("members[value eq \"{u}\"]")}])),
        );
        assert_eq!(r.status, 204);
        assert_eq!(last_event(s).action, "RemoveMembers");
    });
}
