use super::{at, group, new_user, read, tenant};
use crate::storage::memberships::member;
use crate::support::{backends, sqlite};
use scimd::storage::{groups, memberships, users, BackendKind, StorageError};
use serde_json::json;

#[test]
fn concurrent_member_adds_to_one_group_lose_nothing() {
    for test_db in backends() {
        let db = test_db.migrated(10);
        let t = tenant(&db, "t");
        group(&db, &t, "g", "G");
        let workers: Vec<_> = (0..10)
            .map(|w| {
                let (db, t) = (db.clone(), t.clone());
                std::thread::spawn(move || {
                    for round in 0..3 {
                        let batch: Vec<_> = (0..7)
                            .map(|i| member(&format!("m{w:02}-{round}-{i}")))
                            .collect();
                        db.write(|c| {
                            memberships::add(c, &t, "g", &batch)?;
                            groups::bump_version(c, &t, "g", None, at(w))
                        })
                        .unwrap_or_else(|e: StorageError| panic!("{}: {e}", test_db_kind(&db)));
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().expect("worker");
        }
        assert_eq!(
            read(&db, |c| memberships::count(c, &t, "g")),
            210,
            "{:?}",
            test_db.kind
        );
        assert_eq!(
            read(&db, |c| groups::find(c, &t, "g")).map(|g| g.version),
            Some(31)
        );
    }
}

fn test_db_kind(db: &scimd::storage::Db) -> &'static str {
    db.kind().as_str()
}

#[test]
fn many_sqlite_writers_never_see_database_is_locked() {
    let test_db = sqlite();
    let db = test_db.migrated(8);
    assert_eq!(db.kind(), BackendKind::Sqlite);
    let t = tenant(&db, "t");
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let (db, t) = (db.clone(), t.clone());
            std::thread::spawn(move || {
                for i in 0..40 {
                    let (u, e) = new_user(
                        &t,
                        &format!("u{w}-{i:02}"),
                        &format!("user{w}-{i}"),
                        json!({}),
                    );
                    db.write(|c| users::insert(c, &u, &e))
                        .unwrap_or_else(|e| panic!("write: {e}"));
                    // Interleave reads that would upgrade to writes under a deferred BEGIN.
                    db.read(|c| users::count(c, &t))
                        .unwrap_or_else(|e| panic!("read: {e}"));
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker");
    }
    assert_eq!(read(&db, |c| users::count(c, &t)), 320);
}
