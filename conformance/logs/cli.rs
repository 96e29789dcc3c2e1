//! `scimd logs` and `scimd admin token`, run as the built binary against a SQLite file.

use crate::http::{create_user, expect};
use crate::support::scimd;
use crate::support::{sqlite, TestServer};
use serde_json::Value;

#[test]
fn scimd_logs_prints_the_log_as_ndjson_and_as_a_table() {
    let db = sqlite();
    let s = TestServer::start(&db.url);
    let id = create_user(&s, "cli@x");
    let r = s.get("/Users/00000000-0000-7000-8000-000000000000");
    assert_eq!(r.status, 404);
    let request_id = r.header("x-request-id").unwrap().to_string();
    expect(&s.get(&format!("/Users/{id}")), 200);

    let (ok, out, err) = scimd(&db.url, &["logs", "--json"]);
    assert!(ok, "{err}");
    let events: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("NDJSON"))
        .collect();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["action"], "Create");
    assert_eq!(events[1]["request_id"], request_id.as_str());

    let (ok, out, _) = scimd(
        &db.url,
        &["logs", "--json", "--outcome", "failure", "--tenant", "acme"],
    );
    assert!(ok);
    assert_eq!(out.lines().count(), 1);

    let (ok, out, err) = scimd(&db.url, &["logs", "--limit", "1"]);
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with("TIME") && lines[1].contains("Lookup") && lines[1].contains("404"),
        "{out}"
    );

    let (ok, _, err) = scimd(&db.url, &["logs", "--since", "yesterday"]);
    assert!(!ok && err.contains("RFC 3339"), "{err}");

    let (ok, out, err) = scimd(&db.url, &["logs", "purge", "--json"]);
    assert!(ok, "{err}");
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap()["expired"], 0);

    let (ok, out, err) = scimd(
        &db.url,
        &["admin", "token", "create", "--label", "ops", "--json"],
    );
    assert!(ok, "{err}");
    let token: Value = serde_json::from_str(&out).unwrap();
    assert!(token["token"].as_str().unwrap().starts_with("scimdadm_"));
    let (ok, out, _) = scimd(&db.url, &["admin", "token", "list", "--json"]);
    assert!(ok && out.contains("ops") && !out.contains(token["token"].as_str().unwrap()));

    let (ok, out, err) = scimd(
        &db.url,
        &["tenant", "set", "acme", "--log-reads", "true", "--json"],
    );
    assert!(ok, "{err}");
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap()["log_reads"],
        true
    );
    drop(s);
}
