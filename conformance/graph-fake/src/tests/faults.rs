//! Scripted faults (graph.md §3, §5.1).

use super::{Env, CLIENT, SECRET, TENANT};
use crate::{Fault, FaultResponse};
use std::time::{Duration, Instant};

#[test]
fn throttling_then_recovery() {
    let env = Env::new();
    env.fake.inject(
        Fault::on("/v1.0/users", FaultResponse::throttled(7))
            .method("GET")
            .skip(1)
            .times(2),
    );
    env.fake.inject(Fault::on(
        "/v1.0/groups",
        FaultResponse::Status {
            status: 429,
            retry_after: Some("Wed, 21 Oct 2026 07:28:00 GMT".into()),
            code: "TooManyRequests".into(),
        },
    ));
    env.fake
        .inject(Fault::on("/servicePrincipals", FaultResponse::status(503)));
    let statuses: Vec<u16> = (0..4).map(|_| env.get("/v1.0/users").status).collect();
    assert_eq!(statuses, [200, 429, 429, 200]);

    env.fake.clear_requests();
    env.fake
        .inject(Fault::on("/v1.0/users", FaultResponse::throttled(3)));
    let r = env.get("/v1.0/users");
    assert_eq!((r.status, r.code()), (429, "TooManyRequests".into()));
    assert_eq!(r.header("retry-after"), Some("3"));
    assert!(r.header("x-ms-throttle-information").is_some());
    assert!(
        r.header("x-ms-resource-unit").is_none(),
        "cost headers only on success"
    );
    assert_eq!(r.json()["error"]["innerError"]["status"], "429");
    let r = env.get("/v1.0/groups");
    assert_eq!(
        r.header("retry-after"),
        Some("Wed, 21 Oct 2026 07:28:00 GMT")
    );
    let r = env.get("/v1.0/servicePrincipals");
    assert_eq!((r.status, r.header("retry-after")), (503, None));
    let log = env.fake.requests();
    assert_eq!(log.iter().filter(|l| l.faulted).count(), 3);
}

#[test]
fn malformed_bodies() {
    let env = Env::new();
    env.user("ada");
    env.fake
        .inject(Fault::on("/users", FaultResponse::MissingValue));
    let body = env.get("/v1.0/users").json();
    assert_eq!(body.get("value"), None);
    assert!(body.get("@odata.context").is_some());
    env.fake
        .inject(Fault::on("/users", FaultResponse::ValueNotArray));
    assert!(env.get("/v1.0/users").json()["value"].is_object());
    env.fake
        .inject(Fault::on("/users", FaultResponse::TruncatedJson));
    let r = env.get("/v1.0/users");
    assert_eq!(r.status, 200);
    assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_err());
    assert_eq!(
        env.get("/v1.0/users").status,
        200,
        "faults fire once by default"
    );
}

#[test]
fn token_and_delta_faults() {
    let env = Env::new();
    env.fake
        .inject(Fault::on("/groups", FaultResponse::ExpiredToken).always());
    let r = env.get("/v1.0/groups");
    assert_eq!(
        (r.status, r.code()),
        (401, "InvalidAuthenticationToken".into())
    );
    assert!(r.header("www-authenticate").is_some());
    env.fake.clear_faults();
    assert_eq!(env.get("/v1.0/groups").status, 200);

    let link = env.get("/v1.0/users/delta").json()["@odata.deltaLink"]
        .as_str()
        .unwrap()
        .to_owned();
    env.fake
        .inject(Fault::on("$deltatoken", FaultResponse::Gone));
    let r = env.follow(&link, &[]);
    assert_eq!(r.status, 410);
    assert_eq!(
        r.header("location"),
        Some(format!("{}/v1.0/users/delta", env.fake.url()).as_str())
    );
    env.fake
        .inject(Fault::on("$deltatoken", FaultResponse::SyncStateNotFound));
    let r = env.follow(&link, &[]);
    assert_eq!((r.status, r.code()), (400, "syncStateNotFound".into()));
    assert_eq!(env.follow(&link, &[]).status, 200);

    env.fake
        .inject(Fault::on("/oauth2/v2.0/token", FaultResponse::status(503)));
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
    assert_eq!(r.status, 503);
    assert!(
        r.json()["error_codes"].is_array(),
        "identity-platform shape"
    );
}

#[test]
fn hang_delays_the_answer_without_blocking_others() {
    let env = Env::new();
    env.fake.inject(Fault::on(
        "/users",
        FaultResponse::Hang(Duration::from_millis(500)),
    ));
    let (url, auth) = (env.fake.url(), format!("Bearer {}", env.token));
    let hung = std::thread::spawn(move || {
        let started = Instant::now();
        let r = super::send(&url, "GET", "/v1.0/users", &[("Authorization", &auth)], b"");
        (r.status, started.elapsed())
    });
    std::thread::sleep(Duration::from_millis(50));
    let started = Instant::now();
    assert_eq!(env.get("/v1.0/groups").status, 200);
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "served while the other hangs"
    );
    let (status, waited) = hung.join().unwrap();
    assert_eq!(status, 200);
    assert!(waited >= Duration::from_millis(500), "{waited:?}");
}

#[test]
fn request_log_keeps_the_headers_a_reconciler_must_send() {
    let env = Env::new();
    env.fake.clear_requests();
    env.get_with(
        "/v1.0/users?$select=id",
        &[
            ("x-ms-throttle-priority", "low"),
            ("Prefer", "return=minimal"),
            ("client-request-id", "abc"),
        ],
    );
    let log = env.fake.requests();
    assert_eq!(log.len(), 1);
    let l = &log[0];
    assert_eq!(
        (l.method.as_str(), l.path.as_str(), l.query.as_str()),
        ("GET", "/v1.0/users", "$select=id")
    );
    assert!(l.authorization);
    assert_eq!(l.throttle_priority.as_deref(), Some("low"));
    assert_eq!(l.prefer.as_deref(), Some("return=minimal"));
    assert_eq!(l.client_request_id.as_deref(), Some("abc"));
    assert_eq!(l.status, 200);
}
