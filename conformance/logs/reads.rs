//! Successful reads are counted per tenant and hour, not logged, unless the tenant asks.

use super::events;
use crate::http::{create_user, expect};
use crate::support::each_server;

#[test]
fn reads_are_counted_not_logged_unless_the_tenant_turns_logging_on() {
    each_server(|s| {
        let id = create_user(s, "r@x");
        let before = events(s).len();
        for _ in 0..3 {
            expect(&s.get(&format!("/Users/{id}")), 200);
        }
        expect(&s.get("/Users?filter=userName+eq+%22r%40x%22"), 200);
        assert_eq!(events(s).len(), before, "successful reads were logged");
        // Nothing is written until the flush (serve runs it every few seconds).
        assert!(s.services.read_counts("acme", None).unwrap().is_empty());
        assert_eq!(s.services.flush_read_counts().unwrap(), 4);
        let counts = s.services.read_counts("acme", None).unwrap();
        assert_eq!(counts.len(), 1);
        assert_eq!(counts[0].reads, 4);
        assert!(
            counts[0].hour.contains(":00:00.000000Z"),
            "{}",
            counts[0].hour
        );
        // Further flushes add to the same hour.
        expect(&s.get(&format!("/Users/{id}")), 200);
        assert_eq!(s.services.flush_read_counts().unwrap(), 1);
        assert_eq!(s.services.read_counts("acme", None).unwrap()[0].reads, 5);

        s.services
            .set_tenant_flags("acme", None, Some(true))
            .unwrap();
        let r = s.get(&format!("/Users/{id}"));
        expect(&r, 200);
        let e = super::last_event(s);
        assert_eq!(
            (e.action.as_str(), e.outcome.as_str(), e.status),
            ("Lookup", "success", 200)
        );
        assert_eq!(e.resource_id.as_deref(), Some(id.as_str()));
        assert_eq!(e.resource_name.as_deref(), Some("r@x"));
        assert_eq!(Some(e.request_id.as_str()), r.header("x-request-id"));
        expect(&s.get("/Users?filter=userName+eq+%22r%40x%22"), 200);
        let e = super::last_event(s);
        assert_eq!(e.action, "Lookup");
        assert!(e.detail.unwrap().contains("1 result"));
        assert_eq!(s.services.flush_read_counts().unwrap(), 0);

        s.services
            .set_tenant_flags("acme", None, Some(false))
            .unwrap();
        let n = events(s).len();
        expect(&s.get(&format!("/Users/{id}")), 200);
        assert_eq!(events(s).len(), n);
    });
}
