//! The provisioning log: one row per handled request that touched (or tried to touch) a resource.

use super::filter_sql::escape_like;
use super::rows::{fold, EventRow, NewEvent};
use super::schema::events;
use super::time::to_storage_precision;
use super::{Backend, DbConn, StorageError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};

diesel::define_sql_function!(fn lower(x: Nullable<Text>) -> Nullable<Text>);

pub fn insert(conn: &mut DbConn, event: &NewEvent) -> Result<(), StorageError> {
    let mut row = event.clone();
    row.occurred_at = to_storage_precision(row.occurred_at);
    let norm = row.resource_name.as_deref().map(fold);
    diesel::insert_into(events::table)
        .values((&row, events::resource_name_norm.eq(norm)))
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
    /// Oldest first, newer than this id (tailing with `--follow`).
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
        (Some(after), _) => q.filter(events::id.gt(after)).order(events::id.asc()),
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
