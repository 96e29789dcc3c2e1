//! Retention: old events go in batches, recent ones stay; a per-tenant cap trims the oldest.

use super::events;
use crate::http::create_user;
use crate::support::each_server;
use scimd::service::RetentionPolicy;
use scimd::storage::{events as event_rows, NewEvent};
use std::time::Duration;

fn old_event(tenant_id: &str, days_ago: i64, n: usize) -> NewEvent {
    NewEvent {
        tenant_id: Some(tenant_id.to_string()),
        occurred_at: chrono::Utc::now().naive_utc() - chrono::Duration::days(days_ago),
        request_id: format!("old-{n}"),
        actor: "scim".into(),
        method: "POST".into(),
        path: "/scim/v2/Users".into(),
        action: "Create".into(),
        outcome: "success".into(),
        status: 201,
        ..Default::default()
    }
}

fn policy(days: u32, cap: u64) -> RetentionPolicy {
    RetentionPolicy {
        batch: 4,
        pause: Duration::from_millis(1),
        ..RetentionPolicy::new(days, cap)
    }
}

#[test]
fn old_events_are_purged_in_batches_and_recent_ones_kept() {
    each_server(|s| {
        let tenant = s.services.tenant("acme").unwrap().unwrap();
        s.services
            .db()
            .write(|c| {
                for n in 0..10 {
                    event_rows::insert(c, &old_event(&tenant.id, 40, n))?;
                }
                event_rows::insert(c, &old_event(&tenant.id, 29, 99))
            })
            .unwrap();
        create_user(s, "recent@x");
        assert_eq!(events(s).len(), 12);
        let report = s.services.purge_events(&policy(30, 0), &|| true).unwrap();
        assert_eq!(report.expired, 10);
        assert_eq!(report.batches, 3, "10 rows in batches of 4");
        let left = events(s);
        assert_eq!(left.len(), 2);
        assert!(left.iter().any(|e| e.request_id == "old-99"));
        // Nothing more to do the second time.
        let again = s.services.purge_events(&policy(30, 0), &|| true).unwrap();
        assert_eq!((again.expired, again.batches), (0, 0));
        // A stopping server stops between batches.
        let stopped = s.services.purge_events(&policy(1, 1), &|| false).unwrap();
        assert_eq!(stopped.batches, 0);
    });
}

#[test]
fn tenants_above_the_cap_lose_their_oldest_events() {
    each_server(|s| {
        for n in 0..7 {
            create_user(s, &format!("u{n}@x"));
        }
        let report = s.services.purge_events(&policy(0, 3), &|| true).unwrap();
        assert_eq!((report.expired, report.trimmed), (0, 4));
        let left: Vec<String> = events(s)
            .into_iter()
            .filter_map(|e| e.resource_name)
            .collect();
        assert_eq!(left, ["u6@x", "u5@x", "u4@x"]);
    });
}
