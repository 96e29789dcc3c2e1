//! Concurrent writers (Entra sends up to ~5 PATCHes on one group at once): nothing is lost,
//! uniqueness holds, and each request's change lands.

use super::{create_group, create_user, expect, member_ids, ops, total};
use crate::support::each_server;
use serde_json::json;
use std::sync::Barrier;

#[test]
fn ten_concurrent_member_patches_on_one_group_lose_nothing() {
    each_server(|s| {
        let users: Vec<String> = (0..30)
            .map(|i| create_user(s, &format!("u{i}@x")))
            .collect();
        // Thread i adds users[i] and users[10 + i], and removes users[20 + i].
        let initial: Vec<&str> = users[20..].iter().map(String::as_str).collect();
        let group = create_group(s, "Busy", &initial);
        let barrier = Barrier::new(10);
        std::thread::scope(|scope| {
            for i in 0..10 {
                let (users, barrier, group) = (&users, &barrier, &group);
                scope.spawn(move || {
                    let add = json!([{"value": users[i]}, {"value": users[10 + i]}]);
                    let body = ops(json!([
                        {"op": "Add", "path": "members", "value": add},
                        {"op": "Remove", "path": "members", "value": [{"value": users[20 + i]}]}
                    ]));
                    barrier.wait();
                    let r = s.patch(&format!("/Groups/{group}"), &body);
                    assert_eq!(r.status, 204, "thread {i}: {}", r.text);
                });
            }
        });
        let mut want: Vec<String> = users[..20].to_vec();
        want.sort();
        assert_eq!(member_ids(s, &group), want);
    });
}

#[test]
fn twenty_concurrent_posts_of_one_user_name_create_exactly_one_user() {
    each_server(|s| {
        let barrier = Barrier::new(20);
        let statuses: Vec<u16> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..20)
                .map(|i| {
                    let barrier = &barrier;
                    scope.spawn(move || {
                        // Case differs per request: uniqueness is case-insensitive.
                        let name = if i % 2 == 0 { "race@x" } else { "RACE@x" };
                        let body = json!({"userName": name, "displayName": format!("racer {i}")});
                        barrier.wait();
                        let r = s.post("/Users", &body);
                        if r.status == 409 {
                            super::assert_error(&r, 409, Some("uniqueness"));
                        }
                        r.status
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("thread"))
                .collect()
        });
        let created = statuses.iter().filter(|&&c| c == 201).count();
        let conflicts = statuses.iter().filter(|&&c| c == 409).count();
        assert_eq!((created, conflicts), (1, 19), "{statuses:?}");
        assert_eq!(total(s, "/Users?filter=userName+eq+%22race%40x%22"), 1);
    });
}

#[test]
fn twenty_concurrent_posts_of_one_group_name_create_exactly_one_group() {
    each_server(|s| {
        let barrier = Barrier::new(20);
        let statuses: Vec<u16> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..20)
                .map(|_| {
                    let barrier = &barrier;
                    scope.spawn(move || {
                        barrier.wait();
                        s.post("/Groups", &json!({"displayName": "Finance"})).status
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("thread"))
                .collect()
        });
        let created = statuses.iter().filter(|&&c| c == 201).count();
        assert_eq!((created, statuses.len() - created), (1, 19), "{statuses:?}");
        assert!(
            statuses.iter().all(|&c| c == 201 || c == 409),
            "{statuses:?}"
        );
        assert_eq!(total(s, "/Groups"), 1);
    });
}

#[test]
fn concurrent_patches_of_different_attributes_of_one_user_all_land() {
    each_server(|s| {
        let id = create_user(s, "amy@x");
        let changes = [
            ("displayName", json!("Amy Lee")),
            ("title", json!("Engineer")),
            ("nickName", json!("Babs")),
            ("name.givenName", json!("Amy")),
            ("name.familyName", json!("Lee")),
            (
                "emails[type eq \"work\"].value",
                json!("amy@contoso.example"),
            ),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                json!("R&D"),
            ),
            ("active", json!("False")),
        ];
        let barrier = Barrier::new(changes.len());
        std::thread::scope(|scope| {
            for (path, value) in &changes {
                let (barrier, id) = (&barrier, &id);
                scope.spawn(move || {
                    let body = ops(json!([{"op": "Replace", "path": path, "value": value}]));
                    barrier.wait();
                    let r = s.patch(&format!("/Users/{id}"), &body);
                    assert_eq!(r.status, 200, "{path}: {}", r.text);
                });
            }
        });
        let v = expect(&s.get(&format!("/Users/{id}")), 200);
        assert_eq!(v["displayName"], "Amy Lee", "{v}");
        assert_eq!(v["title"], "Engineer", "{v}");
        assert_eq!(v["nickName"], "Babs", "{v}");
        assert_eq!(
            v["name"],
            json!({"givenName": "Amy", "familyName": "Lee"}),
            "{v}"
        );
        assert_eq!(
            v["emails"],
            json!([{"type": "work", "value": "amy@contoso.example"}]),
            "{v}"
        );
        assert_eq!(v[super::ENTERPRISE_URN]["department"], "R&D", "{v}");
        assert_eq!(v["active"], false, "{v}");
        // Every change bumped the version once.
        assert_eq!(
            v["meta"]["version"],
            format!("W/\"{}\"", 1 + changes.len()),
            "{v}"
        );
    });
}
