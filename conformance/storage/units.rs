//! Units of work (`Db::unit_of_work`): many writes, one COMMIT; each write a savepoint.

use super::{new_user, read, tenant, user};
use crate::support::backends;
use scimd::storage::{users, Db, StorageError};
use serde_json::json;

fn insert(db: &Db, t: &str, id: &str, name: &str) -> Result<(), StorageError> {
    let (u, emails) = new_user(t, id, name, json!({}));
    db.write(|c| users::insert(c, &u, &emails))
}

fn exists(db: &Db, t: &str, id: &str) -> bool {
    read(db, |c| users::find(c, t, id)).is_some()
}

#[test]
fn a_failed_write_in_a_unit_undoes_only_itself() {
    for test_db in backends() {
        let db = test_db.migrated(4);
        let t = tenant(&db, "t");
        user(&db, &t, "taken", "alice", json!({}));
        let outcome = db.unit_of_work(|unit| {
            insert(unit, &t, "u1", "bob")?;
            // Same userName: the unique index refuses it, inside its own savepoint.
            let clash = insert(unit, &t, "u2", "ALICE");
            assert!(
                matches!(clash, Err(StorageError::Conflict { .. })),
                "{:?}: {clash:?}",
                test_db.kind
            );
            // The unit still works after the refused write, and reads see its own writes.
            insert(unit, &t, "u3", "carol")?;
            assert!(exists(unit, &t, "u1"), "{:?}", test_db.kind);
            Ok::<_, StorageError>(())
        });
        assert!(outcome.is_ok(), "{:?}: {outcome:?}", test_db.kind);
        assert!(exists(&db, &t, "u1") && exists(&db, &t, "u3"));
        assert!(!exists(&db, &t, "u2"), "{:?}", test_db.kind);
    }
}

#[test]
fn a_unit_that_fails_stores_nothing() {
    for test_db in backends() {
        let db = test_db.migrated(4);
        let t = tenant(&db, "t");
        let outcome: Result<(), StorageError> = db.unit_of_work(|unit| {
            insert(unit, &t, "u1", "bob")?;
            insert(unit, &t, "u2", "carol")?;
            Err(StorageError::Corrupt("stop here".into()))
        });
        assert!(matches!(outcome, Err(StorageError::Corrupt(_))));
        assert!(
            !exists(&db, &t, "u1") && !exists(&db, &t, "u2"),
            "{:?}",
            test_db.kind
        );
        // The connection went back to the pool clean: normal writes still commit.
        insert(&db, &t, "u3", "dave").expect("write after a failed unit");
        assert!(exists(&db, &t, "u3"), "{:?}", test_db.kind);
    }
}

#[test]
fn a_unit_handle_kept_past_its_end_refuses_to_work() {
    for test_db in backends() {
        let db = test_db.migrated(4);
        let t = tenant(&db, "t");
        let kept = db
            .unit_of_work(|unit| Ok::<_, StorageError>(unit.clone()))
            .expect("empty unit");
        let late = insert(&kept, &t, "u1", "bob");
        assert!(
            matches!(late, Err(StorageError::Unavailable(_))),
            "{late:?}"
        );
        assert!(!exists(&db, &t, "u1"));
    }
}
