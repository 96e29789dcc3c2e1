use super::{at, group, new_group, new_user, read, tenant, user, write};
use crate::support::each_backend;
use scimd::storage::{
    credentials, events, groups, tenants, users, GroupChangeset, NewCredential, NewEvent,
    NewTenant, StorageError, UserChangeset,
};
use serde_json::json;

#[test]
fn tenant_round_trip_and_name_conflict() {
    each_backend(|db| {
        let id = tenant(db, "acme");
        let row = read(db, |c| tenants::find_by_name(c, "acme")).expect("by name");
        assert_eq!(
            (row.id.as_str(), row.strict, row.log_reads, row.created_at),
            (id.as_str(), false, false, at(0))
        );
        assert_eq!(read(db, |c| tenants::find_by_id(c, &id)), Some(row));
        write(db, |c| tenants::set_flags(c, &id, true, true));
        let row = read(db, |c| tenants::find_by_id(c, &id)).expect("by id");
        assert!(row.strict && row.log_reads);
        assert!(matches!(
            db.write(|c| tenants::set_flags(c, "nope", true, true)),
            Err(StorageError::NotFound)
        ));

        let dup = NewTenant {
            id: "other".into(),
            name: "acme".into(),
            strict: false,
            log_reads: false,
            created_at: at(1),
        };
        match db.write(|c| tenants::insert(c, &dup)) {
            Err(StorageError::Conflict { constraint }) => assert_eq!(constraint, "tenant_name"),
            other => panic!("expected conflict, got {other:?}"),
        }
        tenant(db, "beta");
        let names: Vec<String> = read(db, tenants::list)
            .into_iter()
            .map(|t| t.name)
            .collect();
        assert_eq!(names, ["acme", "beta"]);
    });
}

fn credential(tenant_id: &str, id: &str, hash: &str, expires: Option<i64>) -> NewCredential {
    NewCredential {
        id: id.into(),
        tenant_id: tenant_id.into(),
        kind: "token".into(),
        label: Some(format!("label {id}")),
        secret_hash: hash.into(),
        created_at: at(0),
        expires_at: expires.map(at),
    }
}

#[test]
fn credentials_resolve_only_while_active() {
    each_backend(|db| {
        let a = tenant(db, "a");
        let b = tenant(db, "b");
        write(db, |c| {
            credentials::insert(c, &credential(&a, "c1", "h1", None))
        });
        write(db, |c| {
            credentials::insert(c, &credential(&a, "c2", "h2", Some(100)))
        });
        match db.write(|c| credentials::insert(c, &credential(&b, "c3", "h1", None))) {
            Err(StorageError::Conflict { constraint }) => assert_eq!(constraint, "secret_hash"),
            other => panic!("expected conflict, got {other:?}"),
        }

        let found =
            read(db, |c| credentials::find_active_by_hash(c, "h1", at(50))).expect("active");
        assert_eq!(
            (
                found.id.as_str(),
                found.tenant_id.as_str(),
                found.kind.as_str()
            ),
            ("c1", a.as_str(), "token")
        );
        assert!(read(db, |c| credentials::find_active_by_hash(c, "h2", at(99))).is_some());
        assert!(
            read(db, |c| credentials::find_active_by_hash(c, "h2", at(100))).is_none(),
            "expired"
        );
        assert!(read(db, |c| credentials::find_active_by_hash(c, "nope", at(0))).is_none());

        write(db, |c| credentials::touch(c, "c1", at(7)));
        let listed = read(db, |c| credentials::list_for_tenant(c, &a));
        assert_eq!(
            listed.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            ["c1", "c2"]
        );
        assert_eq!(listed[0].last_used_at, Some(at(7)));
        assert!(read(db, |c| credentials::list_for_tenant(c, &b)).is_empty());

        assert!(
            !write(db, |c| credentials::revoke(c, &b, "c1", at(8))),
            "another tenant cannot revoke"
        );
        assert!(write(db, |c| credentials::revoke(c, &a, "c1", at(8))));
        assert!(
            !write(db, |c| credentials::revoke(c, &a, "c1", at(9))),
            "already revoked"
        );
        assert!(read(db, |c| credentials::find_active_by_hash(c, "h1", at(10))).is_none());
        assert_eq!(
            read(db, |c| credentials::list_for_tenant(c, &a))[0].revoked_at,
            Some(at(8))
        );
    });
}

#[test]
fn user_round_trip_update_and_delete() {
    each_backend(|db| {
        let t = tenant(db, "t");
        let extra = json!({ "externalId": "ext-1", "displayName": "Ada L", "emails": [{ "type": "Work", "value": "Ada@Example.com" }] });
        user(db, &t, "u1", "Ada@Example.com", extra);
        let row = read(db, |c| users::find(c, &t, "u1")).expect("found");
        assert_eq!(row.user_name, "Ada@Example.com");
        assert_eq!(row.user_name_norm, "ada@example.com");
        assert_eq!(row.external_id.as_deref(), Some("ext-1"));
        assert_eq!(row.display_name_norm.as_deref(), Some("ada l"));
        assert_eq!(
            (row.version, row.active, row.created_at, row.updated_at),
            (1, true, at(0), at(0))
        );
        let doc: serde_json::Value = serde_json::from_str(&row.doc).expect("json");
        assert_eq!(
            doc["emails"][0]["value"], "Ada@Example.com",
            "document kept verbatim"
        );
        assert_eq!(
            read(db, |c| users::find_by_user_name_norm(
                c,
                &t,
                "ADA@example.COM"
            ))
            .map(|u| u.id),
            Some("u1".into())
        );

        let change = UserChangeset {
            user_name: "ada@new.example".into(),
            external_id: None,
            display_name: None,
            active: false,
            doc: json!({ "userName": "ada@new.example", "active": false }).to_string(),
            version: 2,
            updated_at: at(60),
        };
        write(db, |c| users::update(c, &t, "u1", 1, &change, Some(&[])));
        let row = read(db, |c| users::find(c, &t, "u1")).expect("found");
        assert_eq!(
            (row.version, row.active, row.updated_at, row.created_at),
            (2, false, at(60), at(0))
        );
        assert_eq!(
            (row.external_id, row.display_name, row.display_name_norm),
            (None, None, None)
        );
        assert!(read(db, |c| users::find_by_user_name_norm(
            c,
            &t,
            "ada@example.com"
        ))
        .is_none());

        assert!(matches!(
            db.write(|c| users::update(c, &t, "u1", 1, &change, Some(&[]))),
            Err(StorageError::VersionMismatch)
        ));
        assert!(matches!(
            db.write(|c| users::update(c, &t, "zz", 1, &change, Some(&[]))),
            Err(StorageError::NotFound)
        ));

        assert_eq!(read(db, |c| users::count(c, &t)), 1);
        assert!(write(db, |c| users::delete(c, &t, "u1")));
        assert!(!write(db, |c| users::delete(c, &t, "u1")));
        assert!(read(db, |c| users::find(c, &t, "u1")).is_none());
        assert_eq!(read(db, |c| users::count(c, &t)), 0);
    });
}

#[test]
fn user_names_differing_only_in_case_conflict_within_a_tenant_only() {
    each_backend(|db| {
        let a = tenant(db, "a");
        let b = tenant(db, "b");
        user(db, &a, "u1", "Bob@Example.com", json!({}));
        let (dup, _) = new_user(&a, "u2", "bob@EXAMPLE.com", json!({}));
        match db.write(|c| users::insert(c, &dup, &[])) {
            Err(StorageError::Conflict { constraint }) => assert_eq!(constraint, "user_name"),
            other => panic!("expected conflict, got {other:?}"),
        }
        let (same_id, _) = new_user(&a, "u1", "carol", json!({}));
        match db.write(|c| users::insert(c, &same_id, &[])) {
            Err(StorageError::Conflict { constraint }) => assert_eq!(constraint, "id"),
            other => panic!("expected conflict, got {other:?}"),
        }
        user(db, &b, "u2", "bob@example.com", json!({}));
        // Renaming onto a taken name conflicts too.
        user(db, &a, "u3", "dave", json!({}));
        let change = UserChangeset {
            user_name: "BOB@example.com".into(),
            external_id: None,
            display_name: None,
            active: true,
            doc: "{}".into(),
            version: 2,
            updated_at: at(1),
        };
        match db.write(|c| users::update(c, &a, "u3", 1, &change, Some(&[]))) {
            Err(StorageError::Conflict { constraint }) => assert_eq!(constraint, "user_name"),
            other => panic!("expected conflict, got {other:?}"),
        }
    });
}

#[test]
fn group_round_trip_conflicts_and_version_bump() {
    each_backend(|db| {
        let a = tenant(db, "a");
        let b = tenant(db, "b");
        group(db, &a, "g1", "Engineering");
        match db.write(|c| groups::insert(c, &new_group(&a, "g2", "ENGINEERING"))) {
            Err(StorageError::Conflict { constraint }) => assert_eq!(constraint, "display_name"),
            other => panic!("expected conflict, got {other:?}"),
        }
        group(db, &b, "g1", "engineering");
        let row = read(db, |c| {
            groups::find_by_display_name_norm(c, &a, "engineering")
        })
        .expect("found");
        assert_eq!(
            (row.id.as_str(), row.display_name.as_str(), row.version),
            ("g1", "Engineering", 1)
        );

        let change = GroupChangeset {
            display_name: "Eng".into(),
            external_id: Some("x".into()),
            doc: json!({ "displayName": "Eng" }).to_string(),
            version: 2,
            updated_at: at(5),
        };
        write(db, |c| groups::update(c, &a, "g1", 1, &change));
        assert!(matches!(
            db.write(|c| groups::update(c, &a, "g1", 1, &change)),
            Err(StorageError::VersionMismatch)
        ));
        assert!(matches!(
            db.write(|c| groups::update(c, &a, "nope", 1, &change)),
            Err(StorageError::NotFound)
        ));
        let row = read(db, |c| groups::find(c, &a, "g1")).expect("found");
        assert_eq!(
            (
                row.display_name_norm.as_str(),
                row.external_id.as_deref(),
                row.version
            ),
            ("eng", Some("x"), 2)
        );

        assert_eq!(
            write(db, |c| groups::bump_version(c, &a, "g1", None, at(6))),
            3
        );
        assert_eq!(
            write(db, |c| groups::bump_version(c, &a, "g1", Some(3), at(7))),
            4
        );
        assert!(matches!(
            db.write(|c| groups::bump_version(c, &a, "g1", Some(3), at(8))),
            Err(StorageError::VersionMismatch)
        ));
        assert!(matches!(
            db.write(|c| groups::bump_version(c, &a, "zz", None, at(8))),
            Err(StorageError::NotFound)
        ));
        assert_eq!(
            read(db, |c| groups::find(c, &a, "g1")).map(|g| g.updated_at),
            Some(at(7))
        );

        assert_eq!(read(db, |c| groups::count(c, &a)), 1);
        assert!(write(db, |c| groups::delete(c, &a, "g1")));
        assert!(!write(db, |c| groups::delete(c, &a, "g1")));
        assert_eq!(
            read(db, |c| groups::count(c, &b)),
            1,
            "other tenant's group untouched"
        );
    });
}

#[test]
fn tenant_scoping_hides_other_tenants_rows() {
    each_backend(|db| {
        let a = tenant(db, "a");
        let b = tenant(db, "b");
        user(db, &a, "ua", "alice", json!({ "externalId": "e" }));
        group(db, &a, "ga", "Admins");
        assert!(read(db, |c| users::find(c, &b, "ua")).is_none());
        assert!(read(db, |c| users::find_by_user_name_norm(c, &b, "alice")).is_none());
        assert!(read(db, |c| groups::find(c, &b, "ga")).is_none());
        assert!(read(db, |c| groups::find_by_display_name_norm(c, &b, "admins")).is_none());
        assert!(read(db, |c| users::existing_ids(c, &b, &["ua".to_owned()])).is_empty());
        assert!(read(db, |c| groups::existing_ids(c, &b, &["ga".to_owned()])).is_empty());
        assert_eq!(
            read(db, |c| users::existing_ids(
                c,
                &a,
                &["ua".to_owned(), "zz".to_owned()]
            )),
            ["ua"]
        );
        let q = scimd::storage::SearchQuery {
            filter: None,
            sort: None,
            start_index: 1,
            count: 10,
        };
        assert_eq!(read(db, |c| users::search(c, &b, &q)).total, 0);
        assert_eq!(read(db, |c| groups::search(c, &b, &q)).total, 0);
        assert!(!write(db, |c| users::delete(c, &b, "ua")));
        assert!(!write(db, |c| groups::delete(c, &b, "ga")));
        assert_eq!(read(db, |c| users::count(c, &a)), 1);
    });
}

#[test]
fn write_rolls_back_when_the_closure_fails() {
    each_backend(|db| {
        let t = tenant(db, "t");
        let result: Result<(), StorageError> = db.write(|c| {
            let (u, e) = new_user(&t, "u1", "x", json!({}));
            users::insert(c, &u, &e)?;
            Err(StorageError::VersionMismatch)
        });
        assert!(result.is_err());
        assert!(read(db, |c| users::find(c, &t, "u1")).is_none());
        user(db, &t, "u1", "x", json!({})); // the connection went back to the pool usable
    });
}

fn event(tenant_id: Option<&str>, n: i64) -> NewEvent {
    NewEvent {
        tenant_id: tenant_id.map(str::to_owned),
        occurred_at: at(n / 2), // pairs share a timestamp: insertion order breaks the tie
        request_id: format!("req-{n}"),
        actor: "scim".into(),
        method: "POST".into(),
        path: "/scim/v2/Users".into(),
        resource_type: Some("User".into()),
        resource_id: Some(format!("u{n}")),
        action: "create".into(),
        outcome: "success".into(),
        status: 201,
        changes: Some(json!({ "userName": n }).to_string()),
        duration_us: 1234,
        ..NewEvent::default()
    }
}

#[test]
fn events_list_newest_first_per_tenant() {
    each_backend(|db| {
        let a = tenant(db, "a");
        let b = tenant(db, "b");
        for n in 0..6 {
            write(db, |c| events::insert(c, &event(Some(&a), n)));
        }
        write(db, |c| events::insert(c, &event(Some(&b), 99)));
        write(db, |c| events::insert(c, &event(None, 100)));
        let recent = read(db, |c| events::list_recent(c, &a, 4));
        let ids: Vec<&str> = recent.iter().map(|e| e.request_id.as_str()).collect();
        assert_eq!(ids, ["req-5", "req-4", "req-3", "req-2"]);
        let e = &recent[0];
        assert_eq!(
            (
                e.status,
                e.duration_us,
                e.occurred_at,
                e.tenant_id.as_deref()
            ),
            (201, 1234, at(2), Some(a.as_str()))
        );
        assert_eq!(e.changes.as_deref(), Some(r#"{"userName":5}"#));
        assert_eq!(read(db, |c| events::list_recent(c, &b, 10)).len(), 1);
    });
}
