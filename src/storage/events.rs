//! The provisioning log: one row per handled request that touched (or tried to touch) a resource.

use super::rows::{EventRow, NewEvent};
use super::schema::events;
use super::time::to_storage_precision;
use super::{DbConn, StorageError};
use diesel::prelude::*;

pub fn insert(conn: &mut DbConn, event: &NewEvent) -> Result<(), StorageError> {
    let mut row = event.clone();
    row.occurred_at = to_storage_precision(row.occurred_at);
    diesel::insert_into(events::table)
        .values(&row)
        .execute(conn)?;
    Ok(())
}

/// The tenant's newest events first (insertion order breaks ties on equal timestamps).
pub fn list_recent(
    conn: &mut DbConn,
    tenant_id: &str,
    limit: u64,
) -> Result<Vec<EventRow>, StorageError> {
    Ok(events::table
        .filter(events::tenant_id.eq(tenant_id))
        .order((events::occurred_at.desc(), events::id.desc()))
        .limit(i64::try_from(limit).unwrap_or(i64::MAX))
        .select(EventRow::as_select())
        .load(conn)?)
}
