//! Per-tenant counters for the admin console: aggregates over the provisioning log
//! (`events`), the hourly read counts (`read_counts`) and the tenant's credentials.

use super::schema::{credentials, events, read_counts};
use super::{DbConn, StorageError};
use chrono::NaiveDateTime;
use diesel::dsl::{count_star, max, sql};
use diesel::prelude::*;
use diesel::sql_types::BigInt;

/// What the log and the read counters say about one tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantStats {
    /// Events logged for the tenant (changes, failures, logged reads).
    pub events: i64,
    /// Successful reads counted per hour instead of logged.
    pub reads: i64,
    /// Failed requests by `scimType` (`None`: a failure without one, e.g. 404 or 401).
    pub failures: Vec<(Option<String>, i64)>,
    /// Newest event written by a SCIM client.
    pub last_scim_event: Option<NaiveDateTime>,
    /// Start of the newest hour with counted reads.
    pub last_read_hour: Option<NaiveDateTime>,
    /// Newest use of any of the tenant's secrets.
    pub last_token_use: Option<NaiveDateTime>,
}

pub fn tenant_stats(conn: &mut DbConn, tenant_id: &str) -> Result<TenantStats, StorageError> {
    let events_total: i64 = events::table
        .filter(events::tenant_id.eq(tenant_id))
        .select(count_star())
        .first(conn)?;
    let mut failures: Vec<(Option<String>, i64)> = events::table
        .filter(events::tenant_id.eq(tenant_id))
        .filter(events::outcome.eq("failure"))
        .group_by(events::scim_type)
        .select((events::scim_type, count_star()))
        .load(conn)?;
    failures.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let last_scim_event: Option<NaiveDateTime> = events::table
        .filter(events::tenant_id.eq(tenant_id))
        .filter(events::actor.eq("scim"))
        .select(max(events::occurred_at))
        .first(conn)?;
    // SUM over BIGINT is NUMERIC on PostgreSQL; cast back so both backends read an i64.
    let reads: i64 = read_counts::table
        .filter(read_counts::tenant_id.eq(tenant_id))
        .select(sql::<BigInt>("CAST(COALESCE(SUM(reads), 0) AS BIGINT)"))
        .first(conn)?;
    let last_read_hour: Option<NaiveDateTime> = read_counts::table
        .filter(read_counts::tenant_id.eq(tenant_id))
        .filter(read_counts::reads.gt(0))
        .select(max(read_counts::hour))
        .first(conn)?;
    let last_token_use: Option<NaiveDateTime> = credentials::table
        .filter(credentials::tenant_id.eq(tenant_id))
        .select(max(credentials::last_used_at))
        .first(conn)?;
    Ok(TenantStats {
        events: events_total,
        reads,
        failures,
        last_scim_event,
        last_read_hour,
        last_token_use,
    })
}
