//! Pull-sync directories: configuration, delta links, outcome, and the lease that lets one
//! runner (of any replica or CLI process) work on a directory at a time.

use super::rows::SyncDirectoryRow;
use super::schema::sync_directories as d;
use super::time::to_storage_precision;
use super::{DbConn, StorageError};
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub fn find(conn: &mut DbConn, tenant_id: &str) -> Result<Option<SyncDirectoryRow>, StorageError> {
    Ok(d::table
        .filter(d::tenant_id.eq(tenant_id))
        .select(SyncDirectoryRow::as_select())
        .first(conn)
        .optional()?)
}

/// Every configured directory (the scheduler's worklist).
pub fn list(conn: &mut DbConn) -> Result<Vec<SyncDirectoryRow>, StorageError> {
    Ok(d::table
        .order(d::tenant_id.asc())
        .select(SyncDirectoryRow::as_select())
        .load(conn)?)
}

pub fn insert(conn: &mut DbConn, row: &SyncDirectoryRow) -> Result<(), StorageError> {
    diesel::insert_into(d::table).values(row).execute(conn)?;
    Ok(())
}

/// Replace the configuration columns (state columns are left alone). Changing what is read
/// or how makes the next run a dry run and its first round a full one.
pub fn update_config(conn: &mut DbConn, row: &SyncDirectoryRow) -> Result<(), StorageError> {
    diesel::update(d::table.filter(d::tenant_id.eq(&row.tenant_id)))
        .set((
            d::entra_tenant_id.eq(&row.entra_tenant_id),
            d::client_id.eq(&row.client_id),
            d::client_secret.eq(&row.client_secret),
            d::certificate_pem.eq(&row.certificate_pem),
            d::private_key_pem.eq(&row.private_key_pem),
            d::authority_url.eq(&row.authority_url),
            d::graph_url.eq(&row.graph_url),
            d::mode.eq(&row.mode),
            d::group_ids.eq(&row.group_ids),
            d::app_id.eq(&row.app_id),
            d::flatten.eq(row.flatten),
            d::include_disabled.eq(row.include_disabled),
            d::interval_secs.eq(row.interval_secs),
            d::max_removals.eq(row.max_removals),
            d::max_removal_percent.eq(row.max_removal_percent),
            d::enabled.eq(row.enabled),
            d::needs_dry_run.eq(row.needs_dry_run),
            d::users_delta_link.eq(&row.users_delta_link),
            d::groups_delta_link.eq(&row.groups_delta_link),
            d::next_run_at.eq(row.next_run_at.map(to_storage_precision)),
            d::updated_at.eq(to_storage_precision(row.updated_at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Take the directory's lease when it is free, expired, or already ours; bumps and returns
/// the fencing generation. `None`: another runner holds it.
pub fn claim_lease(
    conn: &mut DbConn,
    tenant_id: &str,
    holder: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> Result<Option<i64>, StorageError> {
    let n = diesel::update(
        d::table.filter(d::tenant_id.eq(tenant_id)).filter(
            d::lease_holder
                .is_null()
                .or(d::lease_expires_at.lt(to_storage_precision(now)))
                .or(d::lease_holder.eq(holder)),
        ),
    )
    .set((
        d::lease_holder.eq(holder),
        d::lease_expires_at.eq(to_storage_precision(until)),
        d::generation.eq(d::generation + 1),
    ))
    .execute(conn)?;
    if n == 0 {
        return Ok(None);
    }
    Ok(Some(
        d::table
            .filter(d::tenant_id.eq(tenant_id))
            .select(d::generation)
            .first(conn)?,
    ))
}

/// Extend a held lease; `false` when it was lost (another runner took over after expiry).
pub fn renew_lease(
    conn: &mut DbConn,
    tenant_id: &str,
    holder: &str,
    generation: i64,
    until: NaiveDateTime,
) -> Result<bool, StorageError> {
    let n = diesel::update(
        d::table
            .filter(d::tenant_id.eq(tenant_id))
            .filter(d::lease_holder.eq(holder))
            .filter(d::generation.eq(generation)),
    )
    .set(d::lease_expires_at.eq(to_storage_precision(until)))
    .execute(conn)?;
    Ok(n > 0)
}

pub fn release_lease(
    conn: &mut DbConn,
    tenant_id: &str,
    holder: &str,
    generation: i64,
) -> Result<(), StorageError> {
    diesel::update(
        d::table
            .filter(d::tenant_id.eq(tenant_id))
            .filter(d::lease_holder.eq(holder))
            .filter(d::generation.eq(generation)),
    )
    .set((
        d::lease_holder.eq(None::<String>),
        d::lease_expires_at.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(())
}

/// Persist the delta links of a completed round (after its changes are stored), and the time
/// of the last full round when this one was.
pub fn save_round(
    conn: &mut DbConn,
    tenant_id: &str,
    users_link: Option<&str>,
    groups_link: Option<&str>,
    full_at: Option<NaiveDateTime>,
    assignments_hash: Option<&str>,
) -> Result<(), StorageError> {
    diesel::update(d::table.filter(d::tenant_id.eq(tenant_id)))
        .set((
            d::users_delta_link.eq(users_link),
            d::groups_delta_link.eq(groups_link),
            d::assignments_hash.eq(assignments_hash),
        ))
        .execute(conn)?;
    if let Some(at) = full_at {
        diesel::update(d::table.filter(d::tenant_id.eq(tenant_id)))
            .set(d::last_full_at.eq(to_storage_precision(at)))
            .execute(conn)?;
    }
    Ok(())
}

/// Forget the delta links: the next round is a full one.
pub fn clear_delta_links(conn: &mut DbConn, tenant_id: &str) -> Result<(), StorageError> {
    save_round(conn, tenant_id, None, None, None, None)
}

/// Record how a run ended and when the next scheduled one is due. `planned`: the run got as
/// far as a plan, which satisfies the dry run owed after a configuration change.
pub fn record_outcome(
    conn: &mut DbConn,
    tenant_id: &str,
    ok: bool,
    error: Option<&str>,
    planned: bool,
    now: NaiveDateTime,
    next_run_at: NaiveDateTime,
) -> Result<(), StorageError> {
    let now = to_storage_precision(now);
    let target = d::table.filter(d::tenant_id.eq(tenant_id));
    diesel::update(target)
        .set(d::next_run_at.eq(to_storage_precision(next_run_at)))
        .execute(conn)?;
    if ok {
        diesel::update(target)
            .set((
                d::last_success_at.eq(now),
                d::errored_since.eq(None::<NaiveDateTime>),
                d::last_error.eq(None::<String>),
            ))
            .execute(conn)?;
    } else {
        diesel::update(target.filter(d::errored_since.is_null()))
            .set(d::errored_since.eq(now))
            .execute(conn)?;
        diesel::update(target)
            .set(d::last_error.eq(error))
            .execute(conn)?;
    }
    if planned {
        diesel::update(target)
            .set(d::needs_dry_run.eq(false))
            .execute(conn)?;
    }
    Ok(())
}
