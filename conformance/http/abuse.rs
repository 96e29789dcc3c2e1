//! Abuse resistance: repeated failed authentications from one address get 429 with
//! `Retry-After` (a valid credential still works), the per-tenant rate limit answers 429 and
//! never 5xx, the per-tenant IP allow-list answers 403, and `X-Forwarded-For` counts only from
//! trusted proxies.

use super::auth::assert_401;
use super::{assert_error, expect};
use crate::support::server::Reply;
use crate::support::{backends, each_server, TestServer};
use scimd::http::HttpSettings;
use scimd::service::Cidr;
use std::time::Duration;

/// Run `body` on every backend against a server with these HTTP settings.
fn each_server_with(settings: impl Fn() -> HttpSettings, body: impl Fn(&TestServer)) {
    for db in backends() {
        let s = TestServer::start_with(&db.url, settings());
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(&s)));
        drop(s);
        if let Err(panic) = result {
            eprintln!("^ failed on backend {}", db.kind.as_str());
            std::panic::resume_unwind(panic);
        }
    }
}

#[track_caller]
fn assert_429(r: &Reply) {
    assert_error(r, 429, None);
    let wait: u64 = r
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("Retry-After: {:?}", r.header("retry-after")));
    assert!((1..=60).contains(&wait), "{wait}");
}

#[test]
fn repeated_failures_from_one_address_get_429_but_valid_credentials_still_work() {
    let settings = || HttpSettings {
        auth_failure_limit: 5,
        auth_failure_window: Duration::from_secs(60),
        ..HttpSettings::default()
    };
    each_server_with(settings, |s| {
        let url = format!("{}/Users", s.base);
        let client = s.services.create_client("acme", None, 30).expect("client");
        for _ in 0..5 {
            assert_401(&s.call_as("scimd_guess", "GET", &url, None));
        }
        assert_429(&s.call_as("scimd_guess", "GET", &url, None));
        assert_429(&s.raw("GET", &url, &[], None));
        // The tenant's real token is never locked out, nor its OAuth client.
        expect(&s.get("/Users"), 200);
        let form = ("Content-Type", "application/x-www-form-urlencoded");
        let token_url = format!("{}/t/acme/oauth2/token", s.root);
        let good = format!(
            "grant_type=client_credentials&client_id={}&client_secret={}",
            client.client_id, client.client_secret
        );
        let r = s.raw("POST", &token_url, &[form], Some(&good));
        assert_eq!(r.status, 200, "{}", r.text);
        // Failed client authentications count too, and are slowed the same way.
        let bad = format!(
            "grant_type=client_credentials&client_id={}&client_secret=scimdcs_00",
            client.client_id
        );
        let r = s.raw("POST", &token_url, &[form], Some(&bad));
        assert_eq!(r.status, 429, "{}", r.text);
        assert_eq!(r.json()["error"], "temporarily_unavailable");
        assert!(r.header("retry-after").is_some());
        expect(&s.get("/Users"), 200);
    });
}

#[test]
fn the_tenant_rate_limit_answers_429_with_retry_after_and_never_5xx() {
    each_server(|s| {
        let other = s.token_for("globex");
        s.services
            .set_tenant_limits("acme", Some(2), None)
            .expect("limit");
        let mut statuses = Vec::new();
        for _ in 0..30 {
            let r = s.get("/Users");
            if r.status == 429 {
                assert_429(&r);
            }
            statuses.push(r.status);
        }
        assert!(
            statuses.iter().all(|s| *s == 200 || *s == 429),
            "{statuses:?}"
        );
        let ok = statuses.iter().filter(|s| **s == 200).count();
        assert!(
            (4..=8).contains(&ok),
            "a burst of about 4 then ~2/s: {statuses:?}"
        );
        // Another tenant is not affected.
        let globex = format!("{}/t/globex/scim/v2/Users", s.root);
        for _ in 0..10 {
            expect(&s.call_as(&other, "GET", &globex, None), 200);
        }
        // The bucket refills.
        std::thread::sleep(Duration::from_millis(1100));
        expect(&s.get("/Users"), 200);
        // Off again.
        s.services
            .set_tenant_limits("acme", Some(0), None)
            .expect("off");
        for _ in 0..10 {
            expect(&s.get("/Users"), 200);
        }
    });
}

#[test]
fn the_ip_allow_list_answers_403_to_other_addresses() {
    each_server(|s| {
        s.services
            .set_tenant_limits("acme", None, Some("10.0.0.0/8, 2001:db8::/32"))
            .expect("allow-list");
        assert_error(&s.get("/Users"), 403, None);
        // Authentication still comes first: no credential is 401, not 403.
        assert_401(&s.raw("GET", &format!("{}/Users", s.base), &[], None));
        s.services
            .set_tenant_limits("acme", None, Some("127.0.0.1"))
            .expect("allow-list");
        expect(&s.get("/Users"), 200);
        assert!(s
            .services
            .set_tenant_limits("acme", None, Some("10.0.0.0/40"))
            .is_err());
        s.services
            .set_tenant_limits("acme", None, Some(""))
            .expect("clear");
        assert_eq!(
            s.services.tenant("acme").unwrap().unwrap().ip_allowlist,
            None
        );
        expect(&s.get("/Users"), 200);
    });
}

#[test]
fn x_forwarded_for_counts_only_from_trusted_proxies() {
    let trusted = || HttpSettings {
        trusted_proxies: vec![Cidr::parse("127.0.0.1").unwrap()],
        ..HttpSettings::default()
    };
    each_server_with(trusted, |s| {
        s.services
            .set_tenant_limits("acme", None, Some("203.0.113.0/24"))
            .expect("allow-list");
        let url = format!("{}/Users", s.base);
        let auth = format!("Bearer {}", s.token);
        let get = |xff: Option<&str>| {
            let mut h = vec![("Authorization", auth.as_str())];
            if let Some(x) = xff {
                h.push(("X-Forwarded-For", x));
            }
            s.raw("GET", &url, &h, None)
        };
        expect(&get(Some("203.0.113.9")), 200);
        // The nearest untrusted hop is the client; what it claims before that is ignored.
        expect(&get(Some("198.51.100.1, 203.0.113.9")), 200);
        assert_error(&get(Some("203.0.113.9, 198.51.100.1")), 403, None);
        assert_error(&get(None), 403, None);
    });
    // Without trusted proxies the header is ignored.
    each_server(|s| {
        s.services
            .set_tenant_limits("acme", None, Some("203.0.113.0/24"))
            .expect("allow-list");
        let auth = format!("Bearer {}", s.token);
        let r = s.raw(
            "GET",
            &format!("{}/Users", s.base),
            &[("Authorization", &auth), ("X-Forwarded-For", "203.0.113.9")],
            None,
        );
        assert_error(&r, 403, None);
    });
}
