//! The token endpoint (graph.md §1) and Graph's side of authentication.

use super::{Env, CLIENT, SECRET, TENANT};
use crate::assertion::tests::{claims, sign};
use crate::clock::wall_secs;
use crate::fixtures;
use base64::Engine;

fn aadsts(r: &super::Response) -> (u16, String, u64) {
    let body = r.json();
    let code = body["error_codes"][0].as_u64().unwrap_or_default();
    let description = body["error_description"].as_str().unwrap_or_default();
    assert!(
        description.starts_with(&format!("AADSTS{code}: ")),
        "{description}"
    );
    for field in ["timestamp", "trace_id", "correlation_id"] {
        assert!(body[field].is_string(), "{field} in {body}");
    }
    (
        r.status,
        body["error"].as_str().unwrap_or_default().to_owned(),
        code,
    )
}

#[test]
fn secret_in_form_or_basic_yields_an_opaque_bearer_token() {
    let env = Env::new();
    let scope = env.fake.scope();
    let r = env.token_request(
        TENANT,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT),
            ("client_secret", SECRET),
            ("scope", &scope),
        ],
        &[],
    );
    let body = r.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3599);
    assert_eq!(body["ext_expires_in"], 3599);
    assert!(
        !body["access_token"].as_str().unwrap().contains('.'),
        "not a JWT"
    );

    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT}:{SECRET}"));
    let auth = format!("Basic {basic}");
    env.fake.set_token_lifetime(60);
    let r = env.token_request(
        TENANT,
        &[("grant_type", "client_credentials"), ("scope", &scope)],
        &[("Authorization", &auth)],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["expires_in"], 60);

    // Secrets with `+`/`%` work whether the client urlencoded them inside Basic or not.
    env.fake.add_app(TENANT, "raw-app", "a+b%zz~");
    for sent in ["a+b%zz~", "a%2Bb%25zz~"] {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("raw-app:{sent}"));
        let auth = format!("Basic {basic}");
        let r = env.token_request(
            TENANT,
            &[("grant_type", "client_credentials"), ("scope", &scope)],
            &[("Authorization", &auth)],
        );
        assert_eq!(r.status, 200, "{sent}: {}", r.text());
    }
}

#[test]
fn credential_and_request_errors_carry_aadsts_codes() {
    let env = Env::new();
    let scope = env.fake.scope();
    let with = |tenant: &str, client: &str, secret: &str, scope: &str| {
        aadsts(&env.token_request(
            tenant,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", client),
                ("client_secret", secret),
                ("scope", scope),
            ],
            &[],
        ))
    };
    assert_eq!(
        with(TENANT, CLIENT, "wrong", &scope),
        (401, "invalid_client".into(), 7000215)
    );
    assert_eq!(with("other-tenant", CLIENT, SECRET, &scope).2, 700016);
    assert_eq!(
        with(TENANT, "unknown-app", SECRET, &scope),
        (400, "unauthorized_client".into(), 700016)
    );
    assert_eq!(
        with(
            TENANT,
            CLIENT,
            SECRET,
            "https://graph.microsoft.com/.default"
        ),
        (400, "invalid_scope".into(), 70011)
    );
    env.fake.set_secret_expired(TENANT, CLIENT, true);
    assert_eq!(
        with(TENANT, CLIENT, SECRET, &scope),
        (401, "invalid_client".into(), 7000222)
    );
    env.fake.set_secret_expired(TENANT, CLIENT, false);
    env.fake.revoke_consent(TENANT, CLIENT);
    assert_eq!(with(TENANT, CLIENT, SECRET, &scope).2, 700016);

    let r = env.token_request(TENANT, &[("client_id", CLIENT)], &[]);
    assert_eq!(aadsts(&r), (400, "invalid_request".into(), 900144));
    let r = env.token_request(TENANT, &[("grant_type", "password")], &[]);
    assert_eq!(aadsts(&r).2, 70003);
    let r = super::send(
        &env.fake.url(),
        "POST",
        &format!("/{TENANT}/oauth2/v2.0/token"),
        &[("Content-Type", "application/json")],
        b"{}",
    );
    assert_eq!(aadsts(&r).2, 900144);
    let r = super::send(
        &env.fake.url(),
        "GET",
        &format!("/{TENANT}/oauth2/v2.0/token"),
        &[],
        b"",
    );
    assert_eq!(aadsts(&r).2, 900561);
    let r = super::send(
        &env.fake.url(),
        "POST",
        &format!("/{TENANT}/oauth2/v2.0/token"),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        b"%%%&\xff",
    );
    assert_eq!(r.status, 400);
}

#[test]
fn certificate_assertions() {
    let env = Env::new();
    env.fake
        .add_app_certificate(TENANT, CLIENT, fixtures::CERTIFICATE_PEM);
    let scope = env.fake.scope();
    let url = env.fake.token_url(TENANT);
    let now = wall_secs();
    let ask = |jwt: &str| {
        env.token_request(
            TENANT,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", CLIENT),
                ("scope", &scope),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", jwt),
            ],
            &[],
        )
    };
    for alg in ["RS256", "PS256"] {
        let jwt = sign(
            alg,
            fixtures::PRIVATE_KEY_PEM,
            fixtures::CERTIFICATE_PEM,
            &claims(CLIENT, &url, now),
        );
        let r = ask(&jwt);
        assert_eq!(r.status, 200, "{alg}: {}", r.text());
    }
    let bad = [
        (
            claims(
                CLIENT,
                "https://login.microsoftonline.com/x/oauth2/v2.0/token",
                now,
            ),
            fixtures::PRIVATE_KEY_PEM,
            fixtures::CERTIFICATE_PEM,
            700023,
        ),
        (
            claims("someone-else", &url, now),
            fixtures::PRIVATE_KEY_PEM,
            fixtures::CERTIFICATE_PEM,
            700021,
        ),
        (
            claims(CLIENT, &url, now),
            fixtures::OTHER_PRIVATE_KEY_PEM,
            fixtures::OTHER_CERTIFICATE_PEM,
            700027,
        ),
        (
            claims(CLIENT, &url, now),
            fixtures::OTHER_PRIVATE_KEY_PEM,
            fixtures::CERTIFICATE_PEM,
            700027,
        ),
        (
            claims(CLIENT, &url, now - 7200),
            fixtures::PRIVATE_KEY_PEM,
            fixtures::CERTIFICATE_PEM,
            700024,
        ),
    ];
    for (claims, key, cert, code) in bad {
        let r = ask(&sign("RS256", key, cert, &claims));
        assert_eq!(aadsts(&r), (401, "invalid_client".into(), code));
    }
    assert_eq!(aadsts(&ask("not.a.jwt")).2, 50027);
}

#[test]
fn graph_needs_a_live_token_and_the_permission() {
    let env = Env::new();
    let r = super::send(&env.fake.url(), "GET", "/v1.0/users", &[], b"");
    assert_eq!(r.status, 401);
    assert_eq!(r.code(), "InvalidAuthenticationToken");
    assert!(r.header("www-authenticate").unwrap().starts_with("Bearer"));
    assert!(r.header("request-id").is_some());
    let inner = &r.json()["error"]["innerError"];
    assert!(
        inner["date"].is_string() && inner["request-id"].is_string(),
        "{inner}"
    );

    let r = super::send(
        &env.fake.url(),
        "GET",
        "/v1.0/users",
        &[("Authorization", "Bearer forged")],
        b"",
    );
    assert_eq!(r.status, 401);

    assert_eq!(env.get("/v1.0/users").status, 200);
    env.fake.expire_tokens();
    let r = env.get("/v1.0/users");
    assert_eq!(r.status, 401);
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Lifetime validation failed"));

    let env = Env::new();
    env.fake.set_token_lifetime(5);
    let env = Env {
        token: env.fresh_token(),
        ..env
    };
    env.fake.advance_clock(std::time::Duration::from_secs(6));
    assert_eq!(
        env.get("/v1.0/groups").status,
        401,
        "expired on the fake clock"
    );

    let env = Env::new();
    env.fake
        .revoke_permission(TENANT, CLIENT, crate::USER_READ_ALL);
    assert_eq!(
        env.get("/v1.0/users").status,
        200,
        "Directory.Read.All still covers it"
    );
    env.fake
        .revoke_permission(TENANT, CLIENT, crate::DIRECTORY_READ_ALL);
    let r = env.get("/v1.0/users");
    assert_eq!(
        (r.status, r.code()),
        (403, "Authorization_RequestDenied".into())
    );
    assert_eq!(env.get("/v1.0/groups").status, 200);
}
