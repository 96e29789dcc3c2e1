//! Pull-sync runs: requested (`pending`, at most one per tenant), running, and finished.

use super::rows::SyncRunRow;
use super::schema::sync_runs as r;
use super::time::to_storage_precision;
use super::{DbConn, StorageError};
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub const PENDING: &str = "pending";
pub const RUNNING: &str = "running";

/// Insert a pending run, or return the one already pending for the tenant (a second "Sync
/// Now" while one waits is the same request).
pub fn request(conn: &mut DbConn, row: &SyncRunRow) -> Result<(SyncRunRow, bool), StorageError> {
    if let Some(existing) = pending(conn, &row.tenant_id)? {
        return Ok((existing, false));
    }
    let mut row = row.clone();
    row.requested_at = to_storage_precision(row.requested_at);
    match diesel::insert_into(r::table).values(&row).execute(conn) {
        Ok(_) => Ok((row, true)),
        // Lost a race with another requester: theirs is the pending one.
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => pending(conn, &row.tenant_id)?
            .map(|p| (p, false))
            .ok_or(StorageError::NotFound),
        Err(e) => Err(e.into()),
    }
}

pub fn pending(conn: &mut DbConn, tenant_id: &str) -> Result<Option<SyncRunRow>, StorageError> {
    Ok(r::table
        .filter(r::tenant_id.eq(tenant_id))
        .filter(r::status.eq(PENDING))
        .select(SyncRunRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find(
    conn: &mut DbConn,
    tenant_id: &str,
    id: &str,
) -> Result<Option<SyncRunRow>, StorageError> {
    Ok(r::table
        .filter(r::tenant_id.eq(tenant_id))
        .filter(r::id.eq(id))
        .select(SyncRunRow::as_select())
        .first(conn)
        .optional()?)
}

/// The tenant's runs, newest first.
pub fn list(
    conn: &mut DbConn,
    tenant_id: &str,
    limit: i64,
) -> Result<Vec<SyncRunRow>, StorageError> {
    Ok(r::table
        .filter(r::tenant_id.eq(tenant_id))
        .order((r::requested_at.desc(), r::id.desc()))
        .limit(limit)
        .select(SyncRunRow::as_select())
        .load(conn)?)
}

/// Move a pending run to running; `false` when it was no longer pending.
pub fn start(
    conn: &mut DbConn,
    id: &str,
    round: &str,
    now: NaiveDateTime,
) -> Result<bool, StorageError> {
    let n = diesel::update(r::table.filter(r::id.eq(id)).filter(r::status.eq(PENDING)))
        .set((
            r::status.eq(RUNNING),
            r::round.eq(round),
            r::started_at.eq(to_storage_precision(now)),
        ))
        .execute(conn)?;
    Ok(n > 0)
}

/// Runs left `running` by a runner that died (its lease expired): they will never finish.
pub fn abandon_running(
    conn: &mut DbConn,
    tenant_id: &str,
    now: NaiveDateTime,
) -> Result<usize, StorageError> {
    Ok(diesel::update(
        r::table
            .filter(r::tenant_id.eq(tenant_id))
            .filter(r::status.eq(RUNNING)),
    )
    .set((
        r::status.eq("failed"),
        r::finished_at.eq(to_storage_precision(now)),
        r::error.eq("the runner stopped before the run finished (process exit or lost lease); the next run starts over"),
    ))
    .execute(conn)?)
}

pub fn set_summary(conn: &mut DbConn, id: &str, summary: &str) -> Result<(), StorageError> {
    diesel::update(r::table.filter(r::id.eq(id)))
        .set(r::summary.eq(summary))
        .execute(conn)?;
    Ok(())
}

/// How a run ended.
pub struct Finish<'a> {
    pub status: &'a str,
    pub summary: &'a str,
    pub plan: Option<&'a str>,
    pub plan_hash: Option<&'a str>,
    pub error: Option<&'a str>,
}

pub fn finish(
    conn: &mut DbConn,
    id: &str,
    f: &Finish<'_>,
    now: NaiveDateTime,
) -> Result<(), StorageError> {
    diesel::update(r::table.filter(r::id.eq(id)))
        .set((
            r::status.eq(f.status),
            r::summary.eq(f.summary),
            r::plan.eq(f.plan),
            r::plan_hash.eq(f.plan_hash),
            r::error.eq(f.error),
            r::finished_at.eq(to_storage_precision(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Record an admin's approval of a quarantined run's removals.
pub fn approve(
    conn: &mut DbConn,
    id: &str,
    by: &str,
    now: NaiveDateTime,
) -> Result<(), StorageError> {
    diesel::update(r::table.filter(r::id.eq(id)))
        .set((
            r::approved_at.eq(to_storage_precision(now)),
            r::approved_by.eq(by),
        ))
        .execute(conn)?;
    Ok(())
}

/// The tenant's most recently finished run (an approval only counts on the newest one).
pub fn latest_finished(
    conn: &mut DbConn,
    tenant_id: &str,
) -> Result<Option<SyncRunRow>, StorageError> {
    Ok(r::table
        .filter(r::tenant_id.eq(tenant_id))
        .filter(r::finished_at.is_not_null())
        .order((r::finished_at.desc(), r::id.desc()))
        .select(SyncRunRow::as_select())
        .first(conn)
        .optional()?)
}
