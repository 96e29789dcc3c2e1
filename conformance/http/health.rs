//! Liveness, readiness, and the request id on every response.

use crate::support::each_server;

#[test]
fn healthz_and_readyz_are_200_without_a_credential() {
    each_server(|s| {
        for path in ["/healthz", "/readyz"] {
            let r = s.raw("GET", &format!("{}{path}", s.root), &[], None);
            assert_eq!(r.status, 200, "{path}: {}", r.text);
            assert!(r.header("x-request-id").is_some(), "{path}");
        }
    });
}

#[test]
fn every_response_carries_a_distinct_request_id() {
    each_server(|s| {
        let replies = [
            s.get("/Users"),
            s.get("/Users/nope"),
            s.raw("GET", &format!("{}/Users", s.base), &[], None),
            s.call("DELETE", "/Users", None),
            s.get("/ServiceProviderConfig"),
            s.post("/Users", &serde_json::json!({"userName": "amy@x"})),
        ];
        let mut ids: Vec<&str> = replies
            .iter()
            .map(|r| {
                r.header("x-request-id")
                    .unwrap_or_else(|| panic!("no X-Request-Id: {r:?}"))
            })
            .collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), replies.len(), "{ids:?}");
    });
}
