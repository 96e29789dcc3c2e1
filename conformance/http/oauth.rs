//! OAuth 2.0 client credentials: the token endpoint (RFC 6749 §4.4, errors as §5.2) with
//! Basic and form credentials, and scimd's access tokens on the SCIM endpoints: expired,
//! tampered, wrong-audience, wrong-issuer and other-tenant tokens, revoked clients, rotated and
//! expired secrets.

use super::auth::assert_401;
use super::expect;
use crate::support::server::Reply;
use crate::support::{each_server, sqlite, TestServer};
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

pub(crate) const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

pub(crate) fn token_url(s: &TestServer, tenant: Option<&str>) -> String {
    match tenant {
        Some(t) => format!("{}/t/{t}/oauth2/token", s.root),
        None => format!("{}/oauth2/token", s.root),
    }
}

pub(crate) fn basic(id: &str, secret: &str) -> String {
    let raw = format!("{id}:{secret}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// POST a token request with these headers (the form media type added) and body.
pub(crate) fn request(s: &TestServer, url: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut all = vec![FORM];
    all.extend_from_slice(headers);
    s.raw("POST", url, &all, Some(body))
}

/// A token for acme's client through `client_secret_post` on the tenant's token URL.
#[track_caller]
pub(crate) fn token_for(s: &TestServer, id: &str, secret: &str) -> String {
    let body = format!("grant_type=client_credentials&client_id={id}&client_secret={secret}");
    let v = expect(&request(s, &token_url(s, Some("acme")), &[], &body), 200);
    v["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

#[track_caller]
pub(crate) fn assert_oauth_error(r: &Reply, status: u16, error: &str) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.json()["error"], error, "{}", r.text);
    assert!(
        r.json()["error_description"].as_str().is_some(),
        "{}",
        r.text
    );
    assert_eq!(r.header("cache-control"), Some("no-store"));
    if status == 401 {
        assert!(r
            .header("www-authenticate")
            .is_some_and(|h| h.starts_with("Basic")));
    }
}

pub(crate) fn users(s: &TestServer, tenant: &str) -> String {
    format!("{}/t/{tenant}/scim/v2/Users", s.root)
}

#[test]
fn basic_and_form_credentials_get_a_bearer_token_that_opens_the_tenant() {
    each_server(|s| {
        let c = s
            .services
            .create_client("acme", Some("entra"), 365)
            .expect("client");
        // client_secret_basic, with the scope and resource Entra may send (ignored).
        let r = request(
            s,
            &token_url(s, Some("acme")),
            &[("Authorization", &basic(&c.client_id, &c.client_secret))],
            "grant_type=client_credentials&scope=api%3A%2F%2Fscimd%2F.default&resource=x",
        );
        let v = expect(&r, 200);
        assert_eq!(v["token_type"], "Bearer");
        assert_eq!(v["expires_in"], 3600);
        assert_eq!(r.header("cache-control"), Some("no-store"));
        assert!(r
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/json")));
        let basic_token = v["access_token"].as_str().expect("token").to_string();
        assert_eq!(basic_token.split('.').count(), 3, "a JWT");
        // client_secret_post, on the tenantless endpoint: the client decides the tenant.
        let body = format!(
            "grant_type=client_credentials&client_id={}&client_secret={}",
            c.client_id, c.client_secret
        );
        let v = expect(&request(s, &token_url(s, None), &[], &body), 200);
        let form_token = v["access_token"].as_str().expect("token").to_string();
        for token in [&basic_token, &form_token] {
            expect(&s.call_as(token, "GET", &users(s, "acme"), None), 200);
            let tenantless = format!("{}/scim/v2/Users", s.root);
            expect(&s.call_as(token, "GET", &tenantless, None), 200);
            let r = s.call_as(
                token,
                "POST",
                &users(s, "acme"),
                Some(&json!({"userName": format!("{}@x", &token[token.len() - 8..])})),
            );
            expect(&r, 201);
        }
        // The client's last use is recorded; the secret never appears in a listing.
        let listed = s.services.list_clients("acme").expect("list");
        assert!(listed[0].last_used_at.is_some());
        assert!(!serde_json::to_string(&listed)
            .unwrap()
            .contains(&c.client_secret));
    });
}

#[test]
fn token_request_errors_are_rfc6749_errors() {
    each_server(|s| {
        let c = s.services.create_client("acme", None, 30).expect("client");
        let url = token_url(s, Some("acme"));
        let good = format!(
            "client_id={}&client_secret={}",
            c.client_id, c.client_secret
        );
        let auth = basic(&c.client_id, &c.client_secret);
        // Not a form.
        let r = s.raw(
            "POST",
            &url,
            &[("Content-Type", "application/json")],
            Some("{\"grant_type\":\"client_credentials\"}"),
        );
        assert_oauth_error(&r, 400, "invalid_request");
        assert_oauth_error(&request(s, &url, &[], &good), 400, "invalid_request");
        let r = request(s, &url, &[], &format!("grant_type=password&{good}"));
        assert_oauth_error(&r, 400, "unsupported_grant_type");
        let r = request(
            s,
            &url,
            &[],
            &format!("grant_type=client_credentials&grant_type=client_credentials&{good}"),
        );
        assert_oauth_error(&r, 400, "invalid_request");
        // Two authentication methods at once.
        let r = request(
            s,
            &url,
            &[("Authorization", &auth)],
            &format!("grant_type=client_credentials&{good}"),
        );
        assert_oauth_error(&r, 400, "invalid_request");
        // Bad credentials of every kind: one answer.
        let wrong_secret = format!("{}0", c.client_secret);
        let bad = [
            "grant_type=client_credentials".to_string(),
            format!("grant_type=client_credentials&client_id={}", c.client_id),
            format!(
                "grant_type=client_credentials&client_id={}&client_secret={wrong_secret}",
                c.client_id
            ),
            format!(
                "grant_type=client_credentials&client_id=nobody&client_secret={}",
                c.client_secret
            ),
            format!(
                "grant_type=client_credentials&client_id={}&client_secret=scimd_00",
                c.client_id
            ),
        ];
        let mut descriptions = std::collections::BTreeSet::new();
        for body in &bad {
            let r = request(s, &url, &[], body);
            assert_oauth_error(&r, 401, "invalid_client");
            descriptions.insert(r.json()["error_description"].to_string());
        }
        for header in [
            basic(&c.client_id, &wrong_secret),
            basic("nobody", &c.client_secret),
            "Basic !!!".to_string(),
            format!("Bearer {}", s.token),
        ] {
            let r = request(
                s,
                &url,
                &[("Authorization", &header)],
                "grant_type=client_credentials",
            );
            assert_oauth_error(&r, 401, "invalid_client");
            descriptions.insert(r.json()["error_description"].to_string());
        }
        assert_eq!(descriptions.len(), 1, "{descriptions:?}");
        // A client of acme on another tenant's token URL, or an unknown tenant's.
        s.services.create_tenant("globex").expect("tenant");
        let body = format!("grant_type=client_credentials&{good}");
        for t in ["globex", "nosuch"] {
            let r = request(s, &token_url(s, Some(t)), &[], &body);
            assert_oauth_error(&r, 401, "invalid_client");
        }
        // Only POST.
        let r = s.raw("GET", &url, &[], None);
        assert_oauth_error(&r, 405, "invalid_request");
        // The static SCIM secret is no client secret, and a client secret is no bearer token.
        assert_401(&s.call_as(&c.client_secret, "GET", &users(s, "acme"), None));
    });
}

/// The server's signing key, read from its database as an attacker with a stolen key would.
fn signing_key(s: &TestServer) -> Vec<u8> {
    let row = s
        .services
        .db()
        .read(|c| scimd::storage::signing_keys::find(c, "hs256-1"))
        .expect("read")
        .expect("a key after the first token");
    (0..row.secret.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&row.secret[i..i + 2], 16).expect("hex"))
        .collect()
}

fn mint(key: &[u8], claims: &Value) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("hs256-1".into());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(key)).expect("encode")
}

#[test]
fn expired_tampered_foreign_and_other_tenant_tokens_are_401() {
    each_server(|s| {
        let acme = s.services.create_client("acme", None, 30).expect("client");
        let good = token_for(s, &acme.client_id, &acme.client_secret);
        let url = users(s, "acme");
        expect(&s.call_as(&good, "GET", &url, None), 200);
        let key = signing_key(s);
        let tid = s.services.tenant("acme").unwrap().unwrap().id;
        let now = chrono::Utc::now().timestamp();
        let claims = |overrides: Value| {
            let mut c = json!({
                "iss": "scimd", "aud": "scimd:scim", "sub": acme.client_id,
                "client_id": acme.client_id, "tid": tid, "iat": now, "nbf": now,
                "exp": now + 600, "jti": "t",
            });
            for (k, v) in overrides.as_object().expect("object") {
                c[k] = v.clone();
            }
            c
        };
        // A minted token with the real key and the right claims works: the cases below differ
        // from it in one thing each.
        expect(
            &s.call_as(&mint(&key, &claims(json!({}))), "GET", &url, None),
            200,
        );
        let mut refused = vec![
            mint(
                &key,
                &claims(json!({"exp": now - 120, "iat": now - 3720, "nbf": now - 3720})),
            ),
            mint(&key, &claims(json!({"nbf": now + 600}))),
            mint(&key, &claims(json!({"aud": "https://graph.microsoft.com"}))),
            mint(&key, &claims(json!({"iss": "https://sts.windows.net/x/"}))),
            mint(
                &key,
                &claims(json!({"client_id": "nobody", "sub": "nobody"})),
            ),
            mint(b"another key of thirty-two bytes!", &claims(json!({}))),
        ];
        // The same token with one character changed in the payload or the signature.
        let parts: Vec<&str> = good.split('.').collect();
        let flip = |p: &str| {
            let mut b = p.as_bytes().to_vec();
            b[4] = if b[4] == b'A' { b'B' } else { b'A' };
            String::from_utf8(b).unwrap()
        };
        refused.push(format!("{}.{}.{}", parts[0], flip(parts[1]), parts[2]));
        refused.push(format!("{}.{}.{}", parts[0], parts[1], flip(parts[2])));
        // Unsigned (`alg: none`) and a token with no signature at all.
        let none_header = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(r#"{"alg":"none","typ":"JWT"}"#);
        refused.push(format!("{none_header}.{}.", parts[1]));
        refused.push(format!("{}.{}.", parts[0], parts[1]));
        for token in &refused {
            assert_401(&s.call_as(token, "GET", &url, None));
            assert_401(&s.call_as(token, "GET", &format!("{}/scim/v2/Users", s.root), None));
        }
        // Tenant A's token on tenant B's URL, and B's client claiming A's tenant.
        s.services.create_tenant("globex").expect("tenant");
        let globex = s
            .services
            .create_client("globex", None, 30)
            .expect("client");
        let body = format!(
            "grant_type=client_credentials&client_id={}&client_secret={}",
            globex.client_id, globex.client_secret
        );
        let v = expect(&request(s, &token_url(s, Some("globex")), &[], &body), 200);
        let globex_token = v["access_token"].as_str().unwrap().to_string();
        expect(
            &s.call_as(&globex_token, "GET", &users(s, "globex"), None),
            200,
        );
        assert_401(&s.call_as(&globex_token, "GET", &url, None));
        assert_401(&s.call_as(&good, "GET", &users(s, "globex"), None));
        let forged = mint(
            &key,
            &claims(json!({"client_id": globex.client_id, "sub": globex.client_id})),
        );
        assert_401(&s.call_as(&forged, "GET", &url, None));
        // Refusals are logged against the tenant with the reason.
        let log = s
            .services
            .query_events(&scimd::service::EventQuery {
                tenant: Some("acme".into()),
                outcome: Some("failure".into()),
                ..Default::default()
            })
            .expect("events");
        let details: Vec<String> = log.events.iter().filter_map(|e| e.detail.clone()).collect();
        assert!(details.iter().any(|d| d.contains("expired")), "{details:?}");
        assert!(
            details.iter().any(|d| d.contains("InvalidAudience")),
            "{details:?}"
        );
    });
}

#[test]
fn revoking_a_client_ends_its_tokens_and_rotation_keeps_the_other_secret() {
    each_server(|s| {
        let c = s.services.create_client("acme", None, 30).expect("client");
        let token = token_for(s, &c.client_id, &c.client_secret);
        let url = users(s, "acme");
        expect(&s.call_as(&token, "GET", &url, None), 200);
        // Rotation: a second secret, both work; revoking the first leaves the second.
        let second = s
            .services
            .add_client_secret("acme", &c.client_id, 30)
            .expect("rotate");
        assert_eq!(second.client_id, c.client_id);
        token_for(s, &c.client_id, &second.client_secret);
        assert!(s
            .services
            .revoke_client_secret("acme", &c.client_id, &c.secret_id)
            .expect("revoke secret"));
        let body = format!(
            "grant_type=client_credentials&client_id={}&client_secret={}",
            c.client_id, c.client_secret
        );
        let r = request(s, &token_url(s, Some("acme")), &[], &body);
        assert_oauth_error(&r, 401, "invalid_client");
        // Tokens issued with the revoked secret run out normally.
        expect(&s.call_as(&token, "GET", &url, None), 200);
        // An expired secret gets no token.
        {
            use diesel::prelude::*;
            use scimd::storage::schema::oauth_client_secrets as t;
            let past = chrono::Utc::now().naive_utc() - chrono::Duration::hours(1);
            s.services
                .db()
                .write(|conn| {
                    diesel::update(t::table.filter(t::id.eq(&second.secret_id)))
                        .set(t::expires_at.eq(past))
                        .execute(conn)
                        .map_err(scimd::storage::StorageError::from)
                })
                .expect("expire");
        }
        let body = format!(
            "grant_type=client_credentials&client_id={}&client_secret={}",
            c.client_id, second.client_secret
        );
        let r = request(s, &token_url(s, Some("acme")), &[], &body);
        assert_oauth_error(&r, 401, "invalid_client");
        let logged = crate::logs::last_event(s).detail.unwrap_or_default();
        let why = format!("client secret {} expired at", second.secret_id);
        assert!(logged.contains(&why), "{logged}");
        // Revoking the client ends the tokens it holds, at once.
        let third = s
            .services
            .add_client_secret("acme", &c.client_id, 30)
            .expect("rotate");
        let fresh = token_for(s, &c.client_id, &third.client_secret);
        assert!(s
            .services
            .revoke_client("acme", &c.client_id)
            .expect("revoke"));
        assert_401(&s.call_as(&token, "GET", &url, None));
        assert_401(&s.call_as(&fresh, "GET", &url, None));
        let body = format!(
            "grant_type=client_credentials&client_id={}&client_secret={}",
            c.client_id, third.client_secret
        );
        let r = request(s, &token_url(s, Some("acme")), &[], &body);
        assert_oauth_error(&r, 401, "invalid_client");
        assert!(s
            .services
            .add_client_secret("acme", &c.client_id, 30)
            .is_err());
        // The tenant's static secret is unaffected.
        expect(&s.get("/Users"), 200);
    });
}

#[test]
fn scimd_client_create_list_revoke_from_the_command_line() {
    let db = sqlite();
    let s = TestServer::start(&db.url);
    let run = |args: &[&str]| crate::support::scimd(&db.url, args);
    let (ok, out, err) = run(&[
        "client", "create", "--tenant", "acme", "--label", "entra", "--json",
    ]);
    assert!(ok, "{err}");
    let created: Value = serde_json::from_str(&out).expect("json");
    let id = created["client_id"]
        .as_str()
        .expect("client_id")
        .to_string();
    let secret = created["client_secret"]
        .as_str()
        .expect("secret")
        .to_string();
    assert!(created["token_url"]
        .as_str()
        .is_some_and(|u| u.ends_with("/t/acme/oauth2/token")));
    let token = token_for(&s, &id, &secret);
    expect(&s.call_as(&token, "GET", &users(&s, "acme"), None), 200);

    let (ok, out, err) = run(&["client", "list", "--tenant", "acme", "--json"]);
    assert!(ok, "{err}");
    assert!(!out.contains(&secret));
    let listed: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(listed[0]["client_id"], id.as_str());
    assert_eq!(listed[0]["label"], "entra");
    assert_eq!(listed[0]["secrets"].as_array().map(Vec::len), Some(1));

    let (ok, out, err) = run(&["client", "rotate", "--tenant", "acme", &id, "--json"]);
    assert!(ok, "{err}");
    let rotated: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(rotated["client_id"], id.as_str());

    let (ok, _, err) = run(&[
        "client",
        "create",
        "--tenant",
        "acme",
        "--secret-days",
        "2000",
    ]);
    assert!(!ok && err.contains("1095"), "{err}");

    let (ok, _, err) = run(&["client", "revoke", "--tenant", "acme", &id]);
    assert!(ok, "{err}");
    let (ok, _, err) = run(&["client", "revoke", "--tenant", "acme", &id]);
    assert!(!ok && err.contains("no live client"), "{err}");
    // Another process revoked it: this server notices within the credential cache lifetime.
    std::thread::sleep(scimd::service::AUTH_CACHE_TTL + std::time::Duration::from_millis(200));
    assert_401(&s.call_as(&token, "GET", &users(&s, "acme"), None));
}
