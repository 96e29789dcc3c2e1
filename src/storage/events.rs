//! The provisioning log: one row per handled request that touched (or tried to touch) a resource.

use super::filter_sql::escape_like;
use super::rows::{fold, EventRow, NewEvent};
use super::schema::events;
use super::time::to_storage_precision;
use super::{lower, Backend, DbConn, StorageError};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Every column is bound, `NULL` or not, so the statement's SQL never varies and the prepared
/// statement is cached per connection: the insert runs in every SCIM write transaction.
#[derive(Insertable)]
#[diesel(table_name = events, treat_none_as_default_value = false)]
struct EventInsert<'a> {
    tenant_id: Option<&'a str>,
    occurred_at: NaiveDateTime,
    request_id: &'a str,
    actor: &'a str,
    credential_id: Option<&'a str>,
    client_addr: Option<&'a str>,
    method: &'a str,
    path: &'a str,
    resource_type: Option<&'a str>,
    resource_id: Option<&'a str>,
    resource_name: Option<&'a str>,
    external_id: Option<&'a str>,
    action: &'a str,
    outcome: &'a str,
    status: i32,
    scim_type: Option<&'a str>,
    detail: Option<&'a str>,
    changes: Option<&'a str>,
    normalizations: Option<&'a str>,
    duration_us: i64,
    request_body: Option<&'a str>,
    resource_name_norm: Option<String>,
}

impl<'a> From<&'a NewEvent> for EventInsert<'a> {
    fn from(e: &'a NewEvent) -> Self {
        EventInsert {
            tenant_id: e.tenant_id.as_deref(),
            occurred_at: to_storage_precision(e.occurred_at),
            request_id: &e.request_id,
            actor: &e.actor,
            credential_id: e.credential_id.as_deref(),
            client_addr: e.client_addr.as_deref(),
            method: &e.method,
            path: &e.path,
            resource_type: e.resource_type.as_deref(),
            resource_id: e.resource_id.as_deref(),
            resource_name: e.resource_name.as_deref(),
            external_id: e.external_id.as_deref(),
            action: &e.action,
            outcome: &e.outcome,
            status: e.status,
            scim_type: e.scim_type.as_deref(),
            detail: e.detail.as_deref(),
            changes: e.changes.as_deref(),
            normalizations: e.normalizations.as_deref(),
            duration_us: e.duration_us,
            request_body: e.request_body.as_deref(),
            resource_name_norm: e.resource_name.as_deref().map(fold),
        }
    }
}

/// One event; it runs in every SCIM write transaction, hence the direct binds of `insert_rows!`.
pub fn insert(conn: &mut DbConn, event: &NewEvent) -> Result<(), StorageError> {
    insert_rows!(conn, events::table, EventInsert::from(event))?;
    Ok(())
}

/// Rows per multi-row INSERT: 22 columns each, well under both backends' parameter limits.
const INSERT_CHUNK: usize = 200;

/// Insert many events, in order, a multi-row statement per [`INSERT_CHUNK`].
pub fn insert_many(conn: &mut DbConn, rows: &[NewEvent]) -> Result<(), StorageError> {
    for chunk in rows.chunks(INSERT_CHUNK) {
        let values: Vec<EventInsert> = chunk.iter().map(EventInsert::from).collect();
        insert_rows!(conn, events::table, &values)?;
    }
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

/// Which events to return. Every field narrows; `None` means "any".
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub tenant_id: Option<String>,
    pub since: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
    pub action: Option<String>,
    pub outcome: Option<String>,
    pub resource_id: Option<String>,
    /// Matched case-insensitively against the resource's userName/displayName.
    pub user_name: Option<String>,
    /// Case-insensitive substring of path, detail, resource name or id, externalId, request id.
    pub text: Option<String>,
    /// Newest first, older than this id (cursor paging).
    pub before_id: Option<i64>,
    /// Oldest first, newer than this id (tailing with `--follow`); with `before_id` too, the
    /// window between them, oldest first.
    pub after_id: Option<i64>,
    pub limit: i64,
}

/// Events matching `f`: newest first, or oldest first when `after_id` is set. Ordered by id,
/// which increases with insertion, so cursors are stable while events keep arriving.
pub fn search(conn: &mut DbConn, f: &EventFilter) -> Result<Vec<EventRow>, StorageError> {
    let mut q = events::table
        .select(EventRow::as_select())
        .into_boxed::<Backend>();
    if let Some(t) = &f.tenant_id {
        q = q.filter(events::tenant_id.eq(t.clone()));
    }
    if let Some(t) = f.since {
        q = q.filter(events::occurred_at.ge(t));
    }
    if let Some(t) = f.until {
        q = q.filter(events::occurred_at.lt(t));
    }
    if let Some(a) = &f.action {
        q = q.filter(events::action.eq(a.clone()));
    }
    if let Some(o) = &f.outcome {
        q = q.filter(events::outcome.eq(o.clone()));
    }
    if let Some(r) = &f.resource_id {
        q = q.filter(events::resource_id.eq(r.clone()));
    }
    if let Some(u) = &f.user_name {
        q = q.filter(events::resource_name_norm.eq(fold(u)));
    }
    if let Some(text) = &f.text {
        let pattern = format!("%{}%", escape_like(&fold(text)));
        q = q.filter(
            lower(events::path.nullable())
                .like(pattern.clone())
                .escape('\\')
                .or(lower(events::detail).like(pattern.clone()).escape('\\'))
                .or(events::resource_name_norm
                    .like(pattern.clone())
                    .escape('\\'))
                .or(lower(events::resource_id)
                    .like(pattern.clone())
                    .escape('\\'))
                .or(lower(events::external_id)
                    .like(pattern.clone())
                    .escape('\\'))
                .or(lower(events::request_id.nullable())
                    .like(pattern)
                    .escape('\\')),
        );
    }
    q = match (f.after_id, f.before_id) {
        // Both bounds: a fixed window, oldest first (an export that stops at a snapshot).
        (Some(after), Some(before)) => q
            .filter(events::id.gt(after))
            .filter(events::id.lt(before))
            .order(events::id.asc()),
        (Some(after), None) => q.filter(events::id.gt(after)).order(events::id.asc()),
        (None, Some(before)) => q.filter(events::id.lt(before)).order(events::id.desc()),
        (None, None) => q.order(events::id.desc()),
    };
    Ok(q.limit(f.limit.max(0)).load(conn)?)
}

pub fn find(conn: &mut DbConn, id: i64) -> Result<Option<EventRow>, StorageError> {
    Ok(events::table
        .filter(events::id.eq(id))
        .select(EventRow::as_select())
        .first(conn)
        .optional()?)
}

/// Events of one tenant (`None`: events attributed to no tenant).
fn of_tenant<'a>(
    q: events::BoxedQuery<'a, Backend>,
    tenant_id: Option<&'a str>,
) -> events::BoxedQuery<'a, Backend> {
    match tenant_id {
        Some(t) => q.filter(events::tenant_id.eq(t)),
        None => q.filter(events::tenant_id.is_null()),
    }
}

/// The id range of the tenant's oldest events written before `cutoff`: among its `limit`
/// oldest by id (the `(tenant_id, id)` index; ids follow time), the leading run older than
/// `cutoff`. `None` when its oldest event is recent enough.
pub fn expired_id_range(
    conn: &mut DbConn,
    tenant_id: Option<&str>,
    cutoff: NaiveDateTime,
    limit: i64,
) -> Result<Option<(i64, i64)>, StorageError> {
    let rows: Vec<(i64, NaiveDateTime)> = of_tenant(events::table.into_boxed(), tenant_id)
        .order(events::id.asc())
        .limit(limit.max(1))
        .select((events::id, events::occurred_at))
        .load(conn)?;
    let expired: Vec<i64> = rows
        .into_iter()
        .take_while(|(_, at)| *at < cutoff)
        .map(|(id, _)| id)
        .collect();
    Ok(range(expired))
}

/// The id range of the tenant's oldest `limit` events (uses the `(tenant_id, id)` index).
pub fn oldest_id_range(
    conn: &mut DbConn,
    tenant_id: Option<&str>,
    limit: i64,
) -> Result<Option<(i64, i64)>, StorageError> {
    let q = of_tenant(events::table.into_boxed(), tenant_id)
        .order(events::id.asc())
        .limit(limit.max(1))
        .select(events::id);
    Ok(range(q.load::<i64>(conn)?))
}

fn range(ids: Vec<i64>) -> Option<(i64, i64)> {
    Some((*ids.iter().min()?, *ids.iter().max()?))
}

/// Delete the tenant's events with ids in `lo..=hi` (and, when given, written before
/// `cutoff`); returns how many went.
pub fn delete_id_range(
    conn: &mut DbConn,
    tenant_id: Option<&str>,
    lo: i64,
    hi: i64,
    cutoff: Option<NaiveDateTime>,
) -> Result<usize, StorageError> {
    let in_range = events::id.ge(lo).and(events::id.le(hi));
    let n = match (tenant_id, cutoff) {
        (Some(t), Some(c)) => diesel::delete(
            events::table.filter(
                events::tenant_id
                    .eq(t)
                    .and(in_range)
                    .and(events::occurred_at.lt(c)),
            ),
        )
        .execute(conn)?,
        (Some(t), None) => {
            diesel::delete(events::table.filter(events::tenant_id.eq(t).and(in_range)))
                .execute(conn)?
        }
        (None, Some(c)) => diesel::delete(
            events::table.filter(
                events::tenant_id
                    .is_null()
                    .and(in_range)
                    .and(events::occurred_at.lt(c)),
            ),
        )
        .execute(conn)?,
        (None, None) => {
            diesel::delete(events::table.filter(events::tenant_id.is_null().and(in_range)))
                .execute(conn)?
        }
    };
    Ok(n)
}

/// How many events the tenant has.
pub fn count_for_tenant(conn: &mut DbConn, tenant_id: Option<&str>) -> Result<i64, StorageError> {
    Ok(of_tenant(events::table.into_boxed(), tenant_id)
        .count()
        .get_result(conn)?)
}

/// The newest event id, or 0 on an empty log.
pub fn max_id(conn: &mut DbConn) -> Result<i64, StorageError> {
    use diesel::dsl::max;
    Ok(events::table
        .select(max(events::id))
        .first::<Option<i64>>(conn)?
        .unwrap_or(0))
}
