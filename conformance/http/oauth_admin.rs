//! OAuth clients through the admin API (`/admin/v1/tenants/{name}/clients…`): create (the
//! secret once), list, rotate, revoke a secret, revoke the client, each checked against the
//! token endpoint and the SCIM endpoints it opens.

use super::auth::assert_401;
use super::expect;
use super::oauth::{assert_oauth_error, request, token_for, token_url, users};
use crate::logs::admin_api::{admin, admin_error};
use crate::logs::admin_token;
use crate::support::each_server;
use crate::support::TestServer;
use serde_json::{json, Value};

fn clients(s: &TestServer, t: &str) -> Vec<Value> {
    let v = expect(&admin(s, t, "GET", "/tenants/acme/clients", None), 200);
    v["clients"].as_array().cloned().unwrap_or_default()
}

/// A token request with this client's id and secret in the body.
fn with_secret(s: &TestServer, id: &str, secret: &str) -> crate::support::server::Reply {
    let body = format!("grant_type=client_credentials&client_id={id}&client_secret={secret}");
    request(s, &token_url(s, Some("acme")), &[], &body)
}

#[test]
fn admin_api_creates_lists_rotates_and_revokes_oauth_clients() {
    each_server(|s| {
        let t = admin_token(s);
        let body = json!({"label": "entra-prod", "secret_days": 30});
        let r = admin(s, &t, "POST", "/tenants/acme/clients", Some(&body));
        let created = expect(&r, 201);
        let id = created["client_id"]
            .as_str()
            .expect("client_id")
            .to_string();
        let first = created["client_secret"]
            .as_str()
            .expect("client_secret")
            .to_string();
        assert!(first.starts_with("scimdcs_"), "{created}");
        assert_eq!(created["tenant"], "acme");
        assert_eq!(created["token_url"], token_url(s, Some("acme")));
        assert_eq!(created["tenant_url"], s.base);
        let first_id = created["secret_id"]
            .as_str()
            .expect("secret_id")
            .to_string();
        let expires = created["secret_expires_at"].as_str().unwrap_or_default();
        let days = chrono::DateTime::parse_from_rfc3339(expires)
            .expect("rfc3339")
            .signed_duration_since(chrono::Utc::now());
        assert!((29..=30).contains(&days.num_days()), "{expires}");

        // The secret works at the token URL, and the token opens acme.
        let token = token_for(s, &id, &first);
        expect(&s.call_as(&token, "GET", &users(s, "acme"), None), 200);

        // Listed by id and expiry, never the secret.
        let r = admin(s, &t, "GET", "/tenants/acme/clients", None);
        assert!(!r.text.contains(&first), "{}", r.text);
        let listed = clients(s, &t);
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0]["client_id"], id.as_str());
        assert_eq!(listed[0]["label"], "entra-prod");
        assert_eq!(listed[0]["secrets"][0]["id"], first_id.as_str());
        assert!(listed[0]["last_used_at"].is_string(), "{}", listed[0]);

        // Rotation: a second secret (default lifetime); both work.
        let path = format!("/tenants/acme/clients/{id}/secrets");
        let rotated = expect(&admin(s, &t, "POST", &path, None), 201);
        assert_eq!(rotated["client_id"], id.as_str());
        let second = rotated["client_secret"]
            .as_str()
            .expect("secret")
            .to_string();
        assert_ne!(second, first);
        expect(&with_secret(s, &id, &first), 200);
        expect(&with_secret(s, &id, &second), 200);
        assert_eq!(
            clients(s, &t)[0]["secrets"].as_array().map(Vec::len),
            Some(2)
        );

        // Revoking the first secret stops it only; twice is a 404.
        let one = format!("/tenants/acme/clients/{id}/secrets/{first_id}");
        assert_eq!(admin(s, &t, "DELETE", &one, None).status, 204);
        assert_oauth_error(&with_secret(s, &id, &first), 401, "invalid_client");
        expect(&with_secret(s, &id, &second), 200);
        admin_error(&admin(s, &t, "DELETE", &one, None), 404, &first_id);

        // Revoking the client ends its tokens and its secrets.
        let client = format!("/tenants/acme/clients/{id}");
        assert_eq!(admin(s, &t, "DELETE", &client, None).status, 204);
        assert_401(&s.call_as(&token, "GET", &users(s, "acme"), None));
        assert_oauth_error(&with_secret(s, &id, &second), 401, "invalid_client");
        assert!(clients(s, &t)[0]["revoked_at"].is_string());
        admin_error(&admin(s, &t, "DELETE", &client, None), 404, &id);
        admin_error(&admin(s, &t, "POST", &path, None), 404, &id);
    });
}

#[test]
fn admin_api_client_requests_are_checked() {
    each_server(|s| {
        let t = admin_token(s);
        // SCIM tokens open no admin endpoint.
        let r = admin(s, &s.token, "GET", "/tenants/acme/clients", None);
        admin_error(&r, 401, "admin token");
        for (body, needle) in [
            (json!({"secret_days": 0}), "1 to 1095"),
            (json!({"secret_days": 1096}), "1 to 1095"),
            (json!({"colour": "red"}), "colour"),
            (json!({"label": 7}), "invalid JSON body"),
        ] {
            let r = admin(s, &t, "POST", "/tenants/acme/clients", Some(&body));
            admin_error(&r, 400, needle);
        }
        admin_error(
            &admin(s, &t, "POST", "/tenants/nosuch/clients", None),
            404,
            "nosuch",
        );
        admin_error(
            &admin(s, &t, "GET", "/tenants/nosuch/clients", None),
            404,
            "nosuch",
        );
        // A client of another tenant is not reachable through acme's path.
        s.services.create_tenant("globex").expect("tenant");
        let g = s
            .services
            .create_client("globex", None, 30)
            .expect("client");
        let path = format!("/tenants/acme/clients/{}", g.client_id);
        admin_error(&admin(s, &t, "DELETE", &path, None), 404, &g.client_id);
        let secrets = format!("{path}/secrets");
        admin_error(&admin(s, &t, "POST", &secrets, None), 404, &g.client_id);
        let one = format!("{secrets}/{}", g.secret_id);
        admin_error(&admin(s, &t, "DELETE", &one, None), 404, &g.client_id);
        expect(
            &request(
                s,
                &token_url(s, Some("globex")),
                &[],
                &format!(
                    "grant_type=client_credentials&client_id={}&client_secret={}",
                    g.client_id, g.client_secret
                ),
            ),
            200,
        );
        // Wrong methods name the allowed ones.
        admin_error(&admin(s, &t, "GET", &path, None), 405, "DELETE");
        admin_error(
            &admin(s, &t, "PUT", "/tenants/acme/clients", None),
            405,
            "GET, POST",
        );
    });
}
