//! Successful reads, counted per tenant and hour instead of being logged one by one.

use super::schema::read_counts;
use super::{Backend, DbConn, StorageError};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Add `n` reads to the tenant's count for `hour`. Call inside a write transaction; on
/// PostgreSQL a replica inserting the same hour at the same moment makes this a `Conflict`
/// (the caller keeps its counts and retries later).
pub fn add(
    conn: &mut DbConn,
    tenant_id: &str,
    hour: NaiveDateTime,
    n: i64,
) -> Result<(), StorageError> {
    let updated = diesel::update(
        read_counts::table
            .filter(read_counts::tenant_id.eq(tenant_id))
            .filter(read_counts::hour.eq(hour)),
    )
    .set(read_counts::reads.eq(read_counts::reads + n))
    .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(read_counts::table)
            .values((
                read_counts::tenant_id.eq(tenant_id),
                read_counts::hour.eq(hour),
                read_counts::reads.eq(n),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The tenant's hourly counts (at or after `since`), oldest first.
pub fn list(
    conn: &mut DbConn,
    tenant_id: &str,
    since: Option<NaiveDateTime>,
) -> Result<Vec<(NaiveDateTime, i64)>, StorageError> {
    let mut q = read_counts::table
        .filter(read_counts::tenant_id.eq(tenant_id))
        .into_boxed::<Backend>();
    if let Some(since) = since {
        q = q.filter(read_counts::hour.ge(since));
    }
    Ok(q.order(read_counts::hour.asc())
        .select((read_counts::hour, read_counts::reads))
        .load(conn)?)
}

/// Forget counts older than `before` (retention).
pub fn purge_before(conn: &mut DbConn, before: NaiveDateTime) -> Result<usize, StorageError> {
    Ok(diesel::delete(read_counts::table.filter(read_counts::hour.lt(before))).execute(conn)?)
}
