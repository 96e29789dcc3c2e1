use super::{at, event, group, new_user, read, tenant};
use crate::storage::memberships::member;
use crate::support::{backends, sqlite};
use scimd::storage::{events, groups, memberships, users, BackendKind, StorageError};
use serde_json::json;

#[test]
fn concurrent_member_adds_to_one_group_lose_nothing() {
    for test_db in backends() {
        let db = test_db.migrated(10);
        let t = tenant(&db, "t");
        group(&db, &t, "g", "G");
        on_threads(10, |w| {
            for round in 0..3 {
                let batch: Vec<_> = (0..7)
                    .map(|i| member(&format!("m{w:02}-{round}-{i}")))
                    .collect();
                db.write(|c| {
                    memberships::add(c, &t, "g", &batch)?;
                    groups::bump_version(c, &t, "g", None, at(w as i64))
                })
                .unwrap_or_else(|e: StorageError| panic!("{}: {e}", test_db_kind(&db)));
            }
        });
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

/// Run `work(w)` on `n` threads at once, w = 0..n; a panic in any of them fails the test.
fn on_threads(n: usize, work: impl Fn(usize) + Sync) {
    std::thread::scope(|s| {
        for w in 0..n {
            let work = &work;
            s.spawn(move || work(w));
        }
    });
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
    on_threads(8, |w| {
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
    });
    assert_eq!(read(&db, |c| users::count(c, &t)), 320);
}

/// SQLite group commit: writes that run together share a COMMIT, yet each is acknowledged only
/// once it is durable (another connection reads it at once), and a failed write undoes only
/// itself, its event with it.
#[test]
fn concurrent_writes_are_visible_once_acknowledged_and_a_failed_one_undoes_only_itself() {
    for test_db in backends() {
        let db = test_db.migrated(8);
        let t = tenant(&db, "t");
        on_threads(8, |w| {
            for i in 0..50 {
                let id = format!("u{w}-{i:02}");
                let (u, e) = new_user(&t, &id, &format!("user{w}-{i}"), json!({}));
                let fails = i % 7 == 3;
                let outcome = db.write_logged(|c| {
                    users::insert(c, &u, &e)?;
                    if fails {
                        return Err(StorageError::Corrupt("refused after insert".into()));
                    }
                    Ok(((), event(&t, w * 100 + i)))
                });
                assert_eq!(outcome.is_err(), fails, "{id}: {outcome:?}");
                let seen = db
                    .read(|c| users::find(c, &t, &id))
                    .unwrap_or_else(|e| panic!("read {id}: {e}"));
                assert_eq!(seen.is_some(), !fails, "{id} after its write returned");
            }
        });
        // 50 writes per worker, 7 of them (i = 3, 10, …, 45) refused; one event per write kept.
        assert_eq!(
            read(&db, |c| users::count(c, &t)),
            8 * 43,
            "{:?}",
            test_db.kind
        );
        let logged = read(&db, |c| events::count_for_tenant(c, Some(&t)));
        assert_eq!(logged, 8 * 43, "{:?}", test_db.kind);
    }
}

/// Optimistic writers that lose a race retry against what the winners committed: a write that
/// fails hands its batch to COMMIT first, so the retry cannot keep reading the state before a
/// batch it is queued behind.
#[test]
fn optimistic_writers_retrying_on_version_conflicts_all_get_through() {
    for test_db in backends() {
        let db = test_db.migrated(8);
        let t = tenant(&db, "t");
        group(&db, &t, "g", "G");
        on_threads(8, |w| {
            for _ in 0..20 {
                let mut attempts = 0;
                loop {
                    attempts += 1;
                    assert!(attempts <= 200, "worker {w} starved by version conflicts");
                    let seen = db
                        .read(|c| groups::find(c, &t, "g"))
                        .unwrap_or_else(|e| panic!("read: {e}"))
                        .map(|g| g.version);
                    let bumped = db.write(|c| groups::bump_version(c, &t, "g", seen, at(w as i64)));
                    match bumped {
                        Ok(_) => break,
                        Err(StorageError::VersionMismatch) => continue,
                        Err(e) => panic!("bump: {e}"),
                    }
                }
            }
        });
        assert_eq!(
            read(&db, |c| groups::find(c, &t, "g")).map(|g| g.version),
            Some(1 + 8 * 20),
            "{:?}",
            test_db.kind
        );
    }
}

/// A write that panics half-way leaves nothing behind, and the writer keeps working.
#[test]
fn a_write_that_panics_is_rolled_back_and_later_writes_go_on() {
    for test_db in backends() {
        let db = test_db.migrated(4);
        let t = tenant(&db, "t");
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let (u, e) = new_user(&t, "half", "half-written", json!({}));
            let _: Result<(), StorageError> = db.write(|c| {
                users::insert(c, &u, &e)?;
                panic!("bug in a write");
            });
        }));
        assert!(panicked.is_err());
        let (u, e) = new_user(&t, "next", "next-one", json!({}));
        db.write(|c| users::insert(c, &u, &e))
            .unwrap_or_else(|e| panic!("{:?}: write after a panic: {e}", test_db.kind));
        assert!(read(&db, |c| users::find(c, &t, "next")).is_some());
        assert!(
            read(&db, |c| users::find(c, &t, "half")).is_none(),
            "{:?}",
            test_db.kind
        );
    }
}

/// A change and its provisioning-log event commit together or not at all. SQLite inserts a
/// batch's events right before its COMMIT, so an event that cannot be stored fails every write
/// of its batch: each acknowledged write has its row and its event, a failed one has neither.
#[test]
fn a_write_whose_event_cannot_be_stored_is_not_kept() {
    for test_db in backends() {
        let db = test_db.migrated(8);
        let t = tenant(&db, "t");
        let refuse = match test_db.kind {
            BackendKind::Sqlite => {
                "CREATE TRIGGER refuse_event BEFORE INSERT ON events WHEN NEW.request_id = 'refused' \
                 BEGIN SELECT RAISE(ABORT, 'event refused'); END;"
            }
            BackendKind::Postgres => {
                "CREATE FUNCTION refuse_event() RETURNS trigger AS $$ BEGIN \
                 IF NEW.request_id = 'refused' THEN RAISE EXCEPTION 'event refused'; END IF; \
                 RETURN NEW; END $$ LANGUAGE plpgsql; \
                 CREATE TRIGGER refuse_event BEFORE INSERT ON events FOR EACH ROW \
                 EXECUTE FUNCTION refuse_event();"
            }
        };
        super::migrations::run_sql(&test_db.url, refuse);
        let kept = std::sync::atomic::AtomicU64::new(0);
        on_threads(8, |w| {
            for i in 0..30 {
                let id = format!("u{w}-{i:02}");
                let (u, e) = new_user(&t, &id, &format!("user{w}-{i}"), json!({}));
                let mut logged = event(&t, w * 100 + i);
                if i % 10 == 5 {
                    logged.request_id = "refused".into();
                }
                let outcome = db.write_logged(|c| {
                    users::insert(c, &u, &e)?;
                    Ok::<_, StorageError>(((), logged))
                });
                if i % 10 == 5 {
                    assert!(outcome.is_err(), "{id}: its event was refused");
                }
                let seen = db
                    .read(|c| users::find(c, &t, &id))
                    .unwrap_or_else(|e| panic!("read {id}: {e}"));
                assert_eq!(seen.is_some(), outcome.is_ok(), "{id}: {outcome:?}");
                if outcome.is_ok() {
                    kept.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        });
        let kept = kept.into_inner();
        assert!(
            kept >= 8 * 27 / 2,
            "{:?}: only {kept} writes kept",
            test_db.kind
        );
        assert_eq!(read(&db, |c| users::count(c, &t)), kept);
        let logged = read(&db, |c| events::count_for_tenant(c, Some(&t)));
        assert_eq!(
            u64::try_from(logged).ok(),
            Some(kept),
            "{:?}: one event per kept write",
            test_db.kind
        );
    }
}
