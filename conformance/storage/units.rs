//! Units of work (`Db::unit_of_work`): many writes, one COMMIT; each write a savepoint, or
//! plain writes that succeed or fail together.

use super::{event, new_user, read, tenant, user};
use crate::support::backends;
use scimd::storage::{users, Db, StorageError, UnitWrites};
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
        let outcome = db.unit_of_work(UnitWrites::Savepoint, |unit| {
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
        let outcome: Result<(), StorageError> = db.unit_of_work(UnitWrites::Savepoint, |unit| {
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
            .unit_of_work(UnitWrites::Savepoint, |unit| {
                Ok::<_, StorageError>(unit.clone())
            })
            .expect("empty unit");
        let late = insert(&kept, &t, "u1", "bob");
        assert!(
            matches!(late, Err(StorageError::Unavailable(_))),
            "{late:?}"
        );
        assert!(!exists(&db, &t, "u1"));
    }
}

#[test]
fn plain_writes_commit_together_and_one_failure_fails_the_unit() {
    for test_db in backends() {
        let db = test_db.migrated(4);
        let t = tenant(&db, "t");
        user(&db, &t, "taken", "alice", json!({}));
        db.unit_of_work(UnitWrites::Plain, |unit| {
            insert(unit, &t, "u1", "bob")?;
            insert(unit, &t, "u2", "carol")
        })
        .expect("a plain unit without failures commits");
        assert!(exists(&db, &t, "u1") && exists(&db, &t, "u2"));
        // Without a savepoint the refused write cannot be undone alone: the unit fails whole.
        let outcome = db.unit_of_work(UnitWrites::Plain, |unit| {
            insert(unit, &t, "u3", "dave")?;
            insert(unit, &t, "u4", "ALICE")
        });
        assert!(
            matches!(outcome, Err(StorageError::Conflict { .. })),
            "{:?}: {outcome:?}",
            test_db.kind
        );
        assert!(!exists(&db, &t, "u3"), "{:?}", test_db.kind);
        insert(&db, &t, "u5", "erin").expect("write after a failed plain unit");
        assert!(exists(&db, &t, "u5"), "{:?}", test_db.kind);
    }
}

#[test]
fn events_logged_in_a_plain_unit_land_with_its_commit() {
    use scimd::storage::events;
    for test_db in backends() {
        let db = test_db.migrated(4);
        let t = tenant(&db, "t");
        let logged = |db: &Db| read(db, |c| events::list_recent(c, &t, 10)).len();
        db.unit_of_work(UnitWrites::Plain, |unit| {
            for n in 0..3 {
                unit.write_logged(|_| Ok::<_, StorageError>(((), event(&t, n))))?;
            }
            // Held for one multi-row INSERT at the end of the unit.
            assert_eq!(logged(unit), 0, "{:?}", test_db.kind);
            Ok::<_, StorageError>(())
        })
        .expect("unit");
        assert_eq!(logged(&db), 3, "{:?}", test_db.kind);
        let failed: Result<(), StorageError> = db.unit_of_work(UnitWrites::Plain, |unit| {
            unit.write_logged(|_| Ok::<_, StorageError>(((), event(&t, 9))))?;
            Err(StorageError::Corrupt("stop here".into()))
        });
        assert!(failed.is_err());
        assert_eq!(
            logged(&db),
            3,
            "{:?}: a failed unit logs nothing",
            test_db.kind
        );
        // Outside a plain unit the event is written with the change, at once.
        db.unit_of_work(UnitWrites::Savepoint, |unit| {
            unit.write_logged(|_| Ok::<_, StorageError>(((), event(&t, 10))))?;
            assert_eq!(logged(unit), 4, "{:?}", test_db.kind);
            Ok::<_, StorageError>(())
        })
        .expect("unit");
    }
}
