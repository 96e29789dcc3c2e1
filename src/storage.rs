//! The only place with SQL: diesel over SQLite or PostgreSQL, chosen by the database URL.
//!
//! Functions in the submodules are synchronous, take `&mut DbConn` and return
//! `Result<_, StorageError>`; callers choose transaction boundaries with [`Db::read`] and
//! [`Db::write`]. Every resource query is scoped by `tenant_id`. Timestamps are parameters:
//! nothing here reads the clock.
//!
//! What callers keep true so filters answered in SQL agree with the in-memory evaluator: the
//! `active` column equals the document's `active`; member ids are the service's lowercase UUIDs;
//! timestamps are stored at microsecond precision ([`time::to_storage_precision`]) and rendered
//! with [`time::rfc3339`].

/// `INSERT INTO $table VALUES (…), (…)` of `$rows` (one insertable or a slice of them) on
/// `$conn` (a `&mut DbConn`), returning diesel's `QueryResult<usize>`. Multi-row inserts are
/// available per backend, not through `MultiBackend`; a single row goes this way too where it
/// is hot, as binding straight to the backend costs a third less than `MultiBackend`'s boxed
/// binds. Defined before the modules so they can use it.
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {
        match $conn {
            $crate::storage::DbConn::Sqlite(c) => {
                diesel::insert_into($table).values($rows).execute(c)
            }
            $crate::storage::DbConn::Postgres(c) => {
                diesel::insert_into($table).values($rows).execute(c)
            }
        }
    };
}

// SQL's `lower()`, for case-insensitive comparisons the schema has no folded column for.
diesel::define_sql_function!(fn lower(x: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>);

pub mod admin_credentials;
mod conn;
pub mod credentials;
mod error;
pub mod events;
mod filter_sql;
mod group_commit;
pub mod groups;
pub mod memberships;
mod migrate;
pub mod oauth_clients;
pub mod owned;
pub mod read_counts;
pub mod rows;
pub mod scan;
pub mod schema;
pub mod search;
pub mod signing_keys;
pub mod statistics;
pub mod stats;
pub mod sync_directories;
pub mod sync_mirror;
pub mod sync_runs;
pub mod tenants;
pub mod time;
pub mod users;

pub use conn::{Backend, DbConn};
pub use error::StorageError;
pub use rows::*;
pub use search::{SearchPage, SearchQuery, SortKey};

use conn::{Manager, Target};
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::r2d2::{Pool, PooledConnection};
use diesel::Connection;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    Sqlite,
    Postgres,
}

impl BackendKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::Sqlite => "sqlite",
            BackendKind::Postgres => "postgres",
        }
    }
}

/// A pooled database handle. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    inner: Arc<DbInner>,
    /// Set on the handle [`Db::unit_of_work`] passes in: every read and write goes to this one
    /// connection, inside its open transaction. `None` once the unit has ended.
    pinned: Option<Arc<Mutex<Option<Unit>>>>,
    /// How a write inside the unit of `pinned` runs.
    unit_writes: UnitWrites,
}

/// The connection of a unit of work, with the provisioning-log events its plain writes logged
/// (inserted together just before COMMIT).
struct Unit {
    conn: PooledConnection<Manager>,
    events: Vec<NewEvent>,
}

/// How writes run inside a [`Db::unit_of_work`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitWrites {
    /// Each write is a savepoint: a failed write undoes only itself and the unit goes on.
    Savepoint,
    /// Writes run straight in the unit's transaction, two round trips fewer each. A failed
    /// write may leave part of itself (and on PostgreSQL aborts the transaction), so the caller
    /// must fail the whole unit when any write fails.
    Plain,
}

struct DbInner {
    pool: Pool<Manager>,
    kind: BackendKind,
    /// SQLite allows one writer at a time; queueing writers here keeps them from spinning on
    /// SQLITE_BUSY inside the busy timeout, and lets them share commits. Unused on PostgreSQL.
    writer: group_commit::Writer,
}

/// How long `pool.get()` waits before reporting [`StorageError::Unavailable`].
const POOL_TIMEOUT: Duration = Duration::from_secs(10);

impl Db {
    /// Open a pool. `sqlite://path`, `sqlite:path`, a path ending in `.db`/`.sqlite`/`.sqlite3` or
    /// an existing file → SQLite; `postgres://` / `postgresql://` → PostgreSQL; anything else is
    /// [`StorageError::Config`]. Connects once up front so a bad URL fails here with the real cause.
    pub fn connect(url: &str, max_connections: u32) -> Result<Db, StorageError> {
        let target = Target::parse(url)?;
        let kind = target.kind();
        let mut first = target.connect().map_err(|e| {
            StorageError::Unavailable(format!("cannot connect to {}: {e}", kind.as_str()))
        })?;
        target.prepare(&mut first)?;
        drop(first);
        let pool = Pool::builder()
            .max_size(max_connections.max(1))
            .min_idle(Some(1))
            .connection_timeout(POOL_TIMEOUT)
            // No `SELECT 1` on every checkout: a broken connection surfaces as a query error
            // (503 to the client) and r2d2 drops it via `has_broken`, so the ping only doubled
            // the round trips of every request.
            .test_on_check_out(false)
            .build_unchecked(Manager { target });
        Ok(Db {
            inner: Arc::new(DbInner {
                pool,
                kind,
                writer: group_commit::Writer::default(),
            }),
            pinned: None,
            unit_writes: UnitWrites::Savepoint,
        })
    }

    pub fn kind(&self) -> BackendKind {
        self.inner.kind
    }

    /// Apply pending migrations; returns the versions applied.
    pub fn migrate(&self) -> Result<Vec<String>, StorageError> {
        let _writer = self.writer_lock()?;
        let mut conn = self.inner.pool.get()?;
        migrate::run_pending(&mut conn)
    }

    /// Versions of migrations not yet applied.
    pub fn pending_migrations(&self) -> Result<Vec<String>, StorageError> {
        let mut conn = self.inner.pool.get()?;
        migrate::pending(&mut conn)
    }

    pub fn ping(&self) -> Result<(), StorageError> {
        use diesel::r2d2::R2D2Connection;
        let mut conn = self.inner.pool.get()?;
        conn.ping()
            .map_err(|e| StorageError::Unavailable(e.to_string()))
    }

    /// Run `f` on a pooled connection, outside any explicit transaction.
    pub fn read<T, E: From<StorageError>>(
        &self,
        f: impl FnOnce(&mut DbConn) -> Result<T, E>,
    ) -> Result<T, E> {
        if let Some(pinned) = &self.pinned {
            return with_pinned(pinned, |unit| f(&mut unit.conn));
        }
        let mut conn = self.inner.pool.get().map_err(StorageError::from)?;
        f(&mut conn)
    }

    /// Run `f` with a handle whose reads and writes all use one connection in one transaction,
    /// committed when `f` returns `Ok` and rolled back otherwise. `writes` says whether each
    /// `write` through that handle is a savepoint (a failed write undoes only itself). Bulk
    /// work (a pull run's apply) pays one COMMIT per unit instead of one per object; on SQLite
    /// other writers wait for the whole unit, so keep units short. The handle is for one
    /// thread: a read nested in a write through it fails instead of deadlocking.
    pub fn unit_of_work<T, E>(
        &self,
        writes: UnitWrites,
        f: impl FnOnce(&Db) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StorageError> + From<diesel::result::Error>,
    {
        if self.pinned.is_some() {
            return f(self); // already inside one: join it
        }
        let _writer = self.writer_lock()?;
        let mut pooled = self.inner.pool.get().map_err(StorageError::from)?;
        begin(&mut pooled)?;
        let slot = Arc::new(Mutex::new(Some(Unit {
            conn: pooled,
            events: Vec::new(),
        })));
        let unit = Db {
            inner: self.inner.clone(),
            pinned: Some(slot.clone()),
            unit_writes: writes,
        };
        let result = f(&unit);
        // A clone of `unit` kept past this point finds the slot empty instead of a connection
        // whose transaction has ended.
        let taken = slot
            .lock()
            .map(|mut s| s.take())
            .unwrap_or_else(|e| e.into_inner().take());
        let Some(Unit {
            conn: mut pooled,
            events: logged,
        }) = taken
        else {
            return Err(
                StorageError::Unavailable("the unit of work lost its connection".into()).into(),
            );
        };
        let result = match result {
            Ok(value) => events::insert_many(&mut pooled, &logged)
                .map(|()| value)
                .map_err(E::from),
            Err(e) => Err(e),
        };
        end(&mut pooled, result)
    }

    /// Inside a [`UnitWrites::Plain`] unit: a failed write fails the whole unit, so nothing
    /// more (not even a record of the failure) can be written in it.
    pub fn in_plain_unit(&self) -> bool {
        self.pinned.is_some() && self.unit_writes == UnitWrites::Plain
    }

    /// Run `f` in a write transaction, rolled back when `f` returns `Err`, and return once it
    /// has committed. SQLite: concurrent writes share a transaction, each in a savepoint, and
    /// one COMMIT ([`group_commit`]); the transaction is `BEGIN IMMEDIATE` (take the write lock
    /// up front, so it never fails half-way with SQLITE_BUSY on lock upgrade). PostgreSQL: a
    /// READ COMMITTED transaction of its own. Inside a [`Db::unit_of_work`], a savepoint on the
    /// unit's connection instead.
    pub fn write<T, E>(&self, f: impl FnOnce(&mut DbConn) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StorageError> + From<diesel::result::Error>,
    {
        if let Some(pinned) = &self.pinned {
            return match self.unit_writes {
                // The BEGIN of the unit is recorded in the transaction manager: this nests.
                UnitWrites::Savepoint => with_pinned(pinned, |unit| (*unit.conn).transaction(f)),
                UnitWrites::Plain => with_pinned(pinned, |unit| f(&mut unit.conn)),
            };
        }
        self.write_alone(|conn| f(conn).map(|v| (v, None)))
    }

    /// A [`Db::write`] that also logs the provisioning-log event `f` returns, in the same
    /// transaction. SQLite: the event goes in right before its batch's COMMIT
    /// ([`group_commit`]). In a [`UnitWrites::Plain`] unit the event waits for the unit's end
    /// and goes in one multi-row INSERT with the unit's other events: one round trip per write
    /// fewer.
    pub fn write_logged<T, E>(
        &self,
        f: impl FnOnce(&mut DbConn) -> Result<(T, NewEvent), E>,
    ) -> Result<T, E>
    where
        E: From<StorageError> + From<diesel::result::Error>,
    {
        match &self.pinned {
            Some(pinned) if self.in_plain_unit() => with_pinned(pinned, |unit| {
                let (value, event) = f(&mut unit.conn)?;
                unit.events.push(event);
                Ok(value)
            }),
            Some(_) => self.write(|conn| {
                let (value, event) = f(conn)?;
                events::insert(conn, &event)?;
                Ok(value)
            }),
            None => self.write_alone(|conn| f(conn).map(|(v, e)| (v, Some(e)))),
        }
    }

    /// A write outside any unit of work, with the event to log for it if any. SQLite: a write
    /// of the open group-commit batch, whose events go in right before its COMMIT.
    /// PostgreSQL: a transaction of its own, the event inserted last.
    fn write_alone<T, E>(
        &self,
        f: impl FnOnce(&mut DbConn) -> Result<(T, Option<NewEvent>), E>,
    ) -> Result<T, E>
    where
        E: From<StorageError> + From<diesel::result::Error>,
    {
        if self.inner.kind == BackendKind::Sqlite {
            return self.inner.writer.write(&self.inner.pool, f);
        }
        let mut pooled = self.inner.pool.get().map_err(StorageError::from)?;
        begin(&mut pooled)?;
        let result = f(&mut pooled).and_then(|(value, event)| {
            if let Some(event) = &event {
                events::insert(&mut pooled, event)?;
            }
            Ok(value)
        });
        end(&mut pooled, result)
    }

    /// SQLite: the writer to oneself, for a transaction that is not a group-committed write.
    fn writer_lock(&self) -> Result<Option<group_commit::Exclusive<'_>>, StorageError> {
        match self.inner.kind {
            BackendKind::Sqlite => self.inner.writer.exclusive().map(Some),
            BackendKind::Postgres => Ok(None),
        }
    }
}

/// Open the write transaction of [`Db::write`] / [`Db::unit_of_work`]. SQLite: `BEGIN
/// IMMEDIATE`, which takes the write lock up front.
fn begin(conn: &mut DbConn) -> Result<(), diesel::result::Error> {
    match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE"),
        DbConn::Postgres(c) => AnsiTransactionManager::begin_transaction(c),
    }
}

/// The transaction manager of [`DbConn`], which delegates to the inner connection's (the one
/// that recorded the BEGIN).
type Tm = <DbConn as diesel::Connection>::TransactionManager;

/// Commit on `Ok`, roll back on `Err`, through [`Tm`].
fn end<T, E>(conn: &mut DbConn, result: Result<T, E>) -> Result<T, E>
where
    E: From<StorageError> + From<diesel::result::Error>,
{
    match result {
        Ok(value) => {
            if let Err(e) = Tm::commit_transaction(conn) {
                // A failed COMMIT leaves the transaction open on SQLite; close it so the
                // connection goes back to the pool clean.
                let _ = Tm::rollback_transaction(conn);
                return Err(e.into());
            }
            Ok(value)
        }
        Err(user_error) => match Tm::rollback_transaction(conn) {
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(user_error),
            Err(rollback_error) => Err(rollback_error.into()),
        },
    }
}

/// Use the connection of a unit of work.
fn with_pinned<T, E: From<StorageError>>(
    slot: &Mutex<Option<Unit>>,
    f: impl FnOnce(&mut Unit) -> Result<T, E>,
) -> Result<T, E> {
    let mut guard = match slot.try_lock() {
        Ok(g) => g,
        Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
        Err(std::sync::TryLockError::WouldBlock) => {
            let e =
                StorageError::Unavailable("a unit of work was used from two places at once".into());
            return Err(e.into());
        }
    };
    match guard.as_mut() {
        Some(conn) => f(conn),
        None => Err(StorageError::Unavailable("the unit of work has ended".into()).into()),
    }
}
