//! Entra-issued JWTs (Secret Token left blank): RS256 tokens from `https://sts.windows.net/<id>/`
//! with the configured audience, checked against keys from a local stand-in for Entra's OpenID
//! metadata; expired, early, tampered, foreign and other-tenant tokens are 401; an unknown `kid`
//! refreshes the keys at most once per interval.

use super::auth::assert_401;
use super::expect;
use crate::support::jwks::{JwksServer, RsaKey};
use crate::support::{each_server, sqlite, TestServer};
use scimd::http::HttpSettings;
use scimd::service::{EntraJwtChange, Settings, ENTRA_DEFAULT_AUDIENCE};
use serde_json::{json, Value};

const DIRECTORY: &str = "5b1c2d3e-0000-4000-8000-00000000aaaa";
const OTHER_DIRECTORY: &str = "5b1c2d3e-0000-4000-8000-00000000bbbb";

fn claims(directory: &str, overrides: Value) -> Value {
    let now = chrono::Utc::now().timestamp();
    let mut c = json!({
        "iss": format!("https://sts.windows.net/{directory}/"),
        "aud": ENTRA_DEFAULT_AUDIENCE,
        "appid": "00000014-0000-0000-c000-000000000000",
        "iat": now - 10, "nbf": now - 10, "exp": now + 3600,
    });
    for (k, v) in overrides.as_object().expect("object") {
        c[k] = v.clone();
    }
    c
}

fn trust(s: &TestServer, tenant: &str, directory: &str, jwks: &JwksServer) {
    s.services
        .set_tenant_entra_jwt(
            tenant,
            EntraJwtChange {
                entra_tenant_id: Some(directory.into()),
                entra_metadata_url: Some(jwks.metadata_url()),
                ..Default::default()
            },
        )
        .expect("trust");
}

#[test]
fn entra_jwts_of_the_configured_directory_open_the_tenant_and_nothing_else() {
    let (key, rogue) = (RsaKey::shared(0), RsaKey::shared(1));
    each_server(|s| {
        let jwks = JwksServer::start(json!({"keys": [key.jwk("k1")]}));
        let url = format!("{}/Users", s.base);
        let good = key.sign(Some("k1"), &claims(DIRECTORY, json!({})));
        // Not trusted before the tenant opts in.
        assert_401(&s.call_as(&good, "GET", &url, None));
        trust(s, "acme", DIRECTORY, &jwks);
        expect(&s.call_as(&good, "GET", &url, None), 200);
        expect(
            &s.call_as(&good, "GET", &format!("{}/scim/v2/Users", s.root), None),
            200,
        );
        let r = s.call_as(&good, "POST", &url, Some(&json!({"userName": "jwt@x"})));
        expect(&r, 201);
        // Within the leeway is still fine.
        let now = chrono::Utc::now().timestamp();
        let late = key.sign(Some("k1"), &claims(DIRECTORY, json!({"exp": now - 20})));
        expect(&s.call_as(&late, "GET", &url, None), 200);

        let parts: Vec<&str> = good.split('.').collect();
        let tampered_claims = key
            .sign(Some("k1"), &claims(DIRECTORY, json!({"appid": "evil"})))
            .split('.')
            .nth(1)
            .unwrap()
            .to_string();
        let refused = [
            ("expired", key.sign(Some("k1"), &claims(DIRECTORY, json!({"exp": now - 300})))),
            ("not yet valid", key.sign(Some("k1"), &claims(DIRECTORY, json!({"nbf": now + 600})))),
            ("wrong audience", key.sign(Some("k1"), &claims(DIRECTORY, json!({"aud": "00000002-0000-0000-c000-000000000000"})))),
            ("other directory", key.sign(Some("k1"), &claims(OTHER_DIRECTORY, json!({})))),
            ("not Entra", key.sign(Some("k1"), &claims(DIRECTORY, json!({"iss": "https://evil.example/"})))),
            ("v2 issuer", key.sign(Some("k1"), &claims(DIRECTORY, json!({"iss": format!("https://login.microsoftonline.com/{DIRECTORY}/v2.0")})))),
            ("no kid", key.sign(None, &claims(DIRECTORY, json!({})))),
            ("unknown kid", key.sign(Some("k9"), &claims(DIRECTORY, json!({})))),
            ("rogue key, known kid", rogue.sign(Some("k1"), &claims(DIRECTORY, json!({})))),
            ("tampered payload", format!("{}.{tampered_claims}.{}", parts[0], parts[2])),
            ("no signature", format!("{}.{}.", parts[0], parts[1])),
            ("no exp", key.sign(Some("k1"), &json!({"iss": format!("https://sts.windows.net/{DIRECTORY}/"), "aud": ENTRA_DEFAULT_AUDIENCE}))),
        ];
        for (what, token) in &refused {
            let r = s.call_as(token, "GET", &url, None);
            assert_eq!(r.status, 401, "{what}: {}", r.text);
            assert_401(&r);
        }
        // The acme directory's token on globex's URL, and globex's on acme's.
        s.services.create_tenant("globex").expect("tenant");
        trust(s, "globex", OTHER_DIRECTORY, &jwks);
        let globex_url = format!("{}/t/globex/scim/v2/Users", s.root);
        assert_401(&s.call_as(&good, "GET", &globex_url, None));
        let theirs = key.sign(Some("k1"), &claims(OTHER_DIRECTORY, json!({})));
        expect(&s.call_as(&theirs, "GET", &globex_url, None), 200);
        assert_401(&s.call_as(&theirs, "GET", &url, None));
        // A configured audience replaces the default one.
        s.services
            .set_tenant_entra_jwt(
                "acme",
                EntraJwtChange {
                    jwt_audience: Some("api://scimd-gallery".into()),
                    ..Default::default()
                },
            )
            .expect("audience");
        let custom = key.sign(
            Some("k1"),
            &claims(DIRECTORY, json!({"aud": "api://scimd-gallery"})),
        );
        expect(&s.call_as(&custom, "GET", &url, None), 200);
        let fresh_default = key.sign(Some("k1"), &claims(DIRECTORY, json!({"jti": "x"})));
        assert_401(&s.call_as(&fresh_default, "GET", &url, None));
        // Refusals are logged against the tenant with the reason.
        let log = s
            .services
            .query_events(&scimd::service::EventQuery {
                tenant: Some("acme".into()),
                outcome: Some("failure".into()),
                limit: Some(100),
                ..Default::default()
            })
            .expect("events");
        let details: Vec<String> = log.events.iter().filter_map(|e| e.detail.clone()).collect();
        for needle in [
            "expired Entra JWT",
            "InvalidAudience",
            "not among Entra's keys",
            "InvalidSignature",
        ] {
            assert!(
                details.iter().any(|d| d.contains(needle)),
                "{needle}: {details:?}"
            );
        }
        // Turning it off ends it.
        s.services
            .set_tenant_entra_jwt(
                "acme",
                EntraJwtChange {
                    entra_tenant_id: Some(String::new()),
                    ..Default::default()
                },
            )
            .expect("off");
        assert_401(&s.call_as(&custom, "GET", &url, None));
    });
}

#[test]
fn an_unknown_kid_refreshes_the_keys_at_most_once_per_interval() {
    let (a, b) = (RsaKey::shared(0), RsaKey::shared(2));
    let db = sqlite();
    let settings = Settings {
        entra_jwks_refresh_secs: 2,
        ..Settings::default()
    };
    let http = HttpSettings {
        auth_failure_limit: 0,
        ..HttpSettings::default()
    };
    let s = TestServer::start_custom(&db.url, http, settings);
    let jwks = JwksServer::start(json!({"keys": [a.jwk("a")]}));
    trust(&s, "acme", DIRECTORY, &jwks);
    let url = format!("{}/Users", s.base);
    expect(
        &s.call_as(
            &a.sign(Some("a"), &claims(DIRECTORY, json!({}))),
            "GET",
            &url,
            None,
        ),
        200,
    );
    assert_eq!(jwks.fetches(), 1);
    // Entra rotates: key b appears. Within the interval a flood of unknown kids fetches nothing.
    jwks.set_keys(json!({"keys": [a.jwk("a"), b.jwk("b")]}));
    let with_b = b.sign(Some("b"), &claims(DIRECTORY, json!({})));
    for i in 0..20 {
        let forged = b.sign(Some(&format!("forged-{i}")), &claims(DIRECTORY, json!({})));
        assert_401(&s.call_as(&forged, "GET", &url, None));
    }
    assert_401(&s.call_as(&with_b, "GET", &url, None));
    assert_eq!(jwks.fetches(), 1);
    // After the interval the unknown kid triggers one refresh, and b works.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    expect(&s.call_as(&with_b, "GET", &url, None), 200);
    assert_eq!(jwks.fetches(), 2);
    // Known kids need no fetch at all.
    let again = a.sign(Some("a"), &claims(DIRECTORY, json!({"jti": "2"})));
    expect(&s.call_as(&again, "GET", &url, None), 200);
    assert_eq!(jwks.fetches(), 2);
}

#[test]
fn scimd_tenant_set_configures_entra_jwts_and_checks_its_input() {
    let db = sqlite();
    let s = TestServer::start(&db.url);
    let run = |args: &[&str]| crate::support::scimd(&db.url, args);
    let (ok, _, err) = run(&["tenant", "set", "acme", "--entra-tenant-id", "contoso"]);
    assert!(!ok && err.contains("GUID"), "{err}");
    let (ok, _, err) = run(&[
        "tenant",
        "set",
        "acme",
        "--entra-tenant-id",
        DIRECTORY,
        "--entra-metadata-url",
        "http://metadata.example/x",
    ]);
    assert!(!ok && err.contains("https://"), "{err}");
    let upper = DIRECTORY.to_uppercase();
    let (ok, out, err) = run(&[
        "tenant",
        "set",
        "acme",
        "--entra-tenant-id",
        &upper,
        "--jwt-audience",
        "api://x",
        "--json",
    ]);
    assert!(ok, "{err}");
    let t: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(t["entra_tenant_id"], DIRECTORY);
    assert_eq!(t["jwt_audience"], "api://x");
    let (ok, out, err) = run(&["tenant", "set", "acme", "--jwt-audience", ""]);
    assert!(ok, "{err}");
    assert!(out.contains(ENTRA_DEFAULT_AUDIENCE), "{out}");
    assert_eq!(
        s.services
            .tenant("acme")
            .unwrap()
            .unwrap()
            .entra_tenant_id
            .as_deref(),
        Some(DIRECTORY)
    );
}
