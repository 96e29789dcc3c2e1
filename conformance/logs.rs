//! The provisioning log: what each request records, read counting, the admin API, retention
//! and `scimd logs`, each test on every backend.

pub mod admin_api;
mod cli;
mod events;
mod oauth;
mod reads;
mod retention;

use crate::support::TestServer;
use scimd::service::{EventQuery, EventView};

/// Every event of tenant `acme`, newest first.
#[track_caller]
pub fn events(s: &TestServer) -> Vec<EventView> {
    query(
        s,
        EventQuery {
            tenant: Some("acme".into()),
            ..Default::default()
        },
    )
}

/// Events matching `q` (up to 1000), newest first.
#[track_caller]
pub fn query(s: &TestServer, q: EventQuery) -> Vec<EventView> {
    s.services
        .query_events(&EventQuery {
            limit: Some(1000),
            ..q
        })
        .expect("query events")
        .events
}

/// The newest event of tenant `acme`.
#[track_caller]
pub fn last_event(s: &TestServer) -> EventView {
    events(s).into_iter().next().expect("an event")
}

/// Every event of every tenant as one text, for "is this secret anywhere" checks.
#[track_caller]
pub fn all_event_text(s: &TestServer) -> String {
    let all = query(s, EventQuery::default());
    serde_json::to_string(&all).expect("json")
}

/// A fresh admin token.
pub fn admin_token(s: &TestServer) -> String {
    s.services
        .create_admin_token(Some("test"))
        .expect("admin token")
        .token
}
