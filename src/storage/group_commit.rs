//! Group commit for SQLite writes: concurrent [`Db::write`](super::Db::write)s share one
//! transaction and one COMMIT.
//!
//! SQLite has one writer at a time, so writes queue on a mutex anyway. Each write still runs
//! on its own thread with its own data, in turn, as a savepoint of the open batch transaction
//! (a failed write undoes only itself). A write that finishes while others queue leaves the
//! batch open for them and waits for its COMMIT; the write that finds nobody queued (or fills
//! the batch) commits for all and wakes them. Nobody is told "done" before COMMIT, so an
//! acknowledged write is never lost, and a failed COMMIT fails every write in the batch.
//!
//! Why: a COMMIT writes every page the transaction dirtied to the WAL. Writes in one batch
//! share pages (the events log's and the resource tables' newest leaves, v7 ids being
//! sequential), so the pages per write, the BEGIN/COMMIT and the pool checkout are paid once
//! per batch instead of once per request.
//!
//! A write's provisioning-log event waits in the batch and goes in right before the COMMIT,
//! with the batch's other events: the same transaction as the change, but one thread
//! inserting them back to back (warm caches, one prepared statement) instead of each write's
//! thread in turn. An event that cannot be stored fails the whole batch, so no write is kept
//! without its event.

use super::conn::Manager;
use super::events;
use super::rows::NewEvent;
use super::{begin, end, DbConn, StorageError, Tm};
use diesel::connection::TransactionManager;
use diesel::r2d2::{Pool, PooledConnection};
use diesel::Connection;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// Writes per batch at most: bounds how long the first write of a batch waits for its COMMIT.
const MAX_BATCH: usize = 64;

/// The SQLite writer: the open batch, behind the one mutex every writer queues on.
#[derive(Default)]
pub(super) struct Writer {
    open: Mutex<Option<Batch>>,
    /// Writers blocked on `open`: while there are any, a finished write leaves the batch open.
    queued: AtomicUsize,
}

/// An open transaction and the writes in it that wait for its COMMIT.
struct Batch {
    conn: PooledConnection<Manager>,
    writes: usize,
    /// The provisioning-log events of the batch's writes, inserted together right before
    /// COMMIT: one thread inserting them back to back runs on warm caches.
    events: Vec<NewEvent>,
    outcome: Arc<Outcome>,
}

/// How a batch ended, for the writes waiting on it.
#[derive(Default)]
struct Outcome {
    result: Mutex<Option<Result<(), String>>>,
    ended: Condvar,
}

/// The writer to oneself, with no batch open: for work that needs its own transaction
/// (units of work, migrations). Other writers wait until it is dropped.
pub(super) struct Exclusive<'a> {
    _guard: MutexGuard<'a, Option<Batch>>,
}

impl Writer {
    /// Run `f` as one write of the open batch (opening one if none is), and return once the
    /// batch has committed.
    pub(super) fn write<T, E>(
        &self,
        pool: &Pool<Manager>,
        f: impl FnOnce(&mut DbConn) -> Result<(T, Option<NewEvent>), E>,
    ) -> Result<T, E>
    where
        E: From<StorageError> + From<diesel::result::Error>,
    {
        let mut open = self.lock_queued();
        let batch = match open.take() {
            Some(batch) => open.insert(batch),
            None => {
                let mut conn = pool.get().map_err(StorageError::from)?;
                begin(&mut conn)?;
                open.insert(Batch {
                    conn,
                    writes: 0,
                    events: Vec::new(),
                    outcome: Arc::default(),
                })
            }
        };
        // The batch's BEGIN is recorded in the transaction manager: this is a savepoint.
        match (*batch.conn).transaction(f) {
            Ok((value, event)) => {
                batch.writes += 1;
                batch.events.extend(event);
                if self.queued.load(Ordering::SeqCst) > 0 && batch.writes < MAX_BATCH {
                    let outcome = batch.outcome.clone();
                    drop(open); // the next writer goes on with the batch and commits it
                    outcome.wait().map(|()| value).map_err(E::from)
                } else {
                    commit(&mut open).map(|()| value).map_err(E::from)
                }
            }
            Err(e) => {
                // Commit what the batch holds so far: a caller that retries (a version
                // conflict) then reads the batch's writes, not the state before them.
                let _ = commit(&mut open);
                Err(e)
            }
        }
    }

    /// Commit any open batch and keep the writer until the returned guard is dropped.
    pub(super) fn exclusive(&self) -> Result<Exclusive<'_>, StorageError> {
        let mut open = self.lock();
        commit(&mut open)?;
        Ok(Exclusive { _guard: open })
    }

    fn lock_queued(&self) -> MutexGuard<'_, Option<Batch>> {
        self.queued.fetch_add(1, Ordering::SeqCst);
        let open = self.lock();
        self.queued.fetch_sub(1, Ordering::SeqCst);
        open
    }

    /// A writer that panicked mid-write left its batch with part of a write in it: roll the
    /// whole batch back and fail the writes waiting on it, which were not acknowledged.
    fn lock(&self) -> MutexGuard<'_, Option<Batch>> {
        match self.open.lock() {
            Ok(open) => open,
            Err(poisoned) => {
                let mut open = poisoned.into_inner();
                self.open.clear_poison();
                if let Some(mut batch) = open.take() {
                    let _ = Tm::rollback_transaction(&mut batch.conn);
                    let cause = "a concurrent write failed and its batch was rolled back";
                    batch.outcome.finish(Err(cause.to_string()));
                }
                open
            }
        }
    }
}

/// COMMIT the open batch, if any, and tell its waiting writes how that went.
fn commit(open: &mut Option<Batch>) -> Result<(), StorageError> {
    let Some(mut batch) = open.take() else {
        return Ok(());
    };
    let logged = batch
        .events
        .iter()
        .try_for_each(|e| events::insert(&mut batch.conn, e));
    let result = end::<(), StorageError>(&mut batch.conn, logged);
    batch
        .outcome
        .finish(result.as_ref().map(|_| ()).map_err(ToString::to_string));
    result
}

impl Outcome {
    fn finish(&self, result: Result<(), String>) {
        *self.result.lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
        self.ended.notify_all();
    }

    fn wait(&self) -> Result<(), StorageError> {
        let mut result = self.result.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(result) = result.as_ref() {
                return result.clone().map_err(|cause| {
                    StorageError::Unavailable(format!("the write was not saved: {cause}"))
                });
            }
            result = self.ended.wait(result).unwrap_or_else(|e| e.into_inner());
        }
    }
}
