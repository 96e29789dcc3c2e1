//! Group queries. Members live in `memberships` (see `storage::memberships`), not in the document.

use super::filter_sql::{self, GroupPred};
use super::memberships;
use super::rows::{fold, GroupChangeset, GroupRow, NewGroup};
use super::schema::{groups, memberships as memberships_table};
use super::search::{self, SearchPage, SearchQuery, SortKey, RESIDUAL_BATCH};
use super::time::to_storage_precision;
use super::{Backend, DbConn, StorageError};
use crate::scim::filter::{matches, BoundFilter};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::Value;

const ID_CHUNK: usize = 500;

#[derive(Insertable)]
#[diesel(table_name = groups)]
struct GroupInsert<'a> {
    tenant_id: &'a str,
    id: &'a str,
    display_name: &'a str,
    display_name_norm: String,
    external_id: Option<&'a str>,
    doc: &'a str,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// Insert a group; a taken displayName (case-insensitive) is
/// `Conflict { constraint: "display_name" }`.
pub fn insert(conn: &mut DbConn, group: &NewGroup) -> Result<(), StorageError> {
    diesel::insert_into(groups::table)
        .values(GroupInsert {
            tenant_id: &group.tenant_id,
            id: &group.id,
            display_name: &group.display_name,
            display_name_norm: fold(&group.display_name),
            external_id: group.external_id.as_deref(),
            doc: &group.doc,
            version: group.version,
            created_at: to_storage_precision(group.created_at),
            updated_at: to_storage_precision(group.updated_at),
        })
        .execute(conn)?;
    Ok(())
}

pub fn find(
    conn: &mut DbConn,
    tenant_id: &str,
    id: &str,
) -> Result<Option<GroupRow>, StorageError> {
    Ok(groups::table
        .filter(groups::tenant_id.eq(tenant_id))
        .filter(groups::id.eq(id))
        .select(GroupRow::as_select())
        .first(conn)
        .optional()?)
}

/// Look a group up by displayName, case-insensitively (the argument is folded here).
pub fn find_by_display_name_norm(
    conn: &mut DbConn,
    tenant_id: &str,
    display_name: &str,
) -> Result<Option<GroupRow>, StorageError> {
    Ok(groups::table
        .filter(groups::tenant_id.eq(tenant_id))
        .filter(groups::display_name_norm.eq(fold(display_name)))
        .select(GroupRow::as_select())
        .first(conn)
        .optional()?)
}

/// Replace the group's columns if its version is still `expected_version` (one conditional
/// UPDATE); `VersionMismatch` or `NotFound` otherwise. Members are not touched.
pub fn update(
    conn: &mut DbConn,
    tenant_id: &str,
    id: &str,
    expected_version: i64,
    change: &GroupChangeset,
) -> Result<(), StorageError> {
    let n = diesel::update(
        groups::table
            .filter(groups::tenant_id.eq(tenant_id))
            .filter(groups::id.eq(id))
            .filter(groups::version.eq(expected_version)),
    )
    .set((
        groups::display_name.eq(&change.display_name),
        groups::display_name_norm.eq(fold(&change.display_name)),
        groups::external_id.eq(change.external_id.as_deref()),
        groups::doc.eq(&change.doc),
        groups::version.eq(change.version),
        groups::updated_at.eq(to_storage_precision(change.updated_at)),
    ))
    .execute(conn)?;
    if n == 0 {
        return Err(mismatch_or_missing(conn, tenant_id, id)?);
    }
    Ok(())
}

/// Bump the version and `updated_at` after a membership change and return the new version.
/// With `expected_version` (an `If-Match`), a different current version is `VersionMismatch`;
/// without it concurrent member PATCHes serialise on the row instead of failing.
pub fn bump_version(
    conn: &mut DbConn,
    tenant_id: &str,
    id: &str,
    expected_version: Option<i64>,
    updated_at: NaiveDateTime,
) -> Result<i64, StorageError> {
    let target = groups::table
        .filter(groups::tenant_id.eq(tenant_id))
        .filter(groups::id.eq(id));
    let set = (
        groups::version.eq(groups::version + 1),
        groups::updated_at.eq(to_storage_precision(updated_at)),
    );
    let n = match expected_version {
        Some(v) => diesel::update(target.filter(groups::version.eq(v)))
            .set(set)
            .execute(conn)?,
        None => diesel::update(target).set(set).execute(conn)?,
    };
    if n == 0 {
        return Err(mismatch_or_missing(conn, tenant_id, id)?);
    }
    // Our UPDATE holds the row lock until commit, so this reads our own increment.
    Ok(groups::table
        .filter(groups::tenant_id.eq(tenant_id))
        .filter(groups::id.eq(id))
        .select(groups::version)
        .first(conn)?)
}

fn mismatch_or_missing(
    conn: &mut DbConn,
    tenant_id: &str,
    id: &str,
) -> Result<StorageError, StorageError> {
    Ok(match find(conn, tenant_id, id)? {
        Some(_) => StorageError::VersionMismatch,
        None => StorageError::NotFound,
    })
}

/// Delete a group, its memberships, and its membership in other groups; `false` when there was
/// no such group.
pub fn delete(conn: &mut DbConn, tenant_id: &str, id: &str) -> Result<bool, StorageError> {
    diesel::delete(
        memberships_table::table
            .filter(memberships_table::tenant_id.eq(tenant_id))
            .filter(memberships_table::member_id.eq(id)),
    )
    .execute(conn)?;
    // Its own member rows go by ON DELETE CASCADE.
    let n = diesel::delete(
        groups::table
            .filter(groups::tenant_id.eq(tenant_id))
            .filter(groups::id.eq(id)),
    )
    .execute(conn)?;
    Ok(n > 0)
}

/// The subset of `ids` that are groups of the tenant.
pub fn existing_ids(
    conn: &mut DbConn,
    tenant_id: &str,
    ids: &[String],
) -> Result<Vec<String>, StorageError> {
    let mut found = Vec::new();
    for chunk in ids.chunks(ID_CHUNK) {
        found.extend(
            groups::table
                .filter(groups::tenant_id.eq(tenant_id))
                .filter(groups::id.eq_any(chunk))
                .select(groups::id)
                .load::<String>(conn)?,
        );
    }
    Ok(found)
}

pub fn count(conn: &mut DbConn, tenant_id: &str) -> Result<u64, StorageError> {
    let n: i64 = groups::table
        .filter(groups::tenant_id.eq(tenant_id))
        .count()
        .get_result(conn)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Filter, sort and page the tenant's groups (RFC 7644 §3.4.2).
pub fn search(
    conn: &mut DbConn,
    tenant_id: &str,
    q: &SearchQuery<'_>,
) -> Result<SearchPage<GroupRow>, StorageError> {
    let pred = |f: &BoundFilter| filter_sql::groups(f, tenant_id);
    let residual = q.filter.is_some_and(|f| pred(f).residual);
    if !residual {
        let sql = || q.filter.and_then(|f| pred(f).sql);
        let rows: Vec<_> = if q.count == 0 {
            Vec::new()
        } else {
            ordered(with_filter(rows_query(tenant_id), sql()), q.sort)
                .offset(q.offset())
                .limit(q.limit())
                .load(conn)?
        };
        let total = match search::total_from_page(q, rows.len()) {
            Some(total) => total,
            None => {
                let n: i64 = with_filter(count_query(tenant_id), sql()).get_result(conn)?;
                u64::try_from(n).unwrap_or(0)
            }
        };
        return Ok(SearchPage { total, rows });
    }
    let Some(filter) = q.filter else {
        return Ok(SearchPage {
            total: 0,
            rows: Vec::new(),
        });
    };
    let with_members = filter_sql::mentions_members(filter);
    let batch_conn_rows = |scanned: i64, last_id: Option<&str>, conn: &mut DbConn| {
        let mut query = with_filter(rows_query(tenant_id), pred(filter).sql);
        query = match (q.sort, last_id) {
            (None, Some(last)) => query.filter(groups::id.gt(last.to_owned())),
            (None, None) => query,
            (Some(_), _) => query.offset(scanned),
        };
        ordered(query, q.sort)
            .limit(RESIDUAL_BATCH)
            .load::<GroupRow>(conn)
    };
    // Both closures need the connection; hand it over through a RefCell.
    let conn = std::cell::RefCell::new(conn);
    search::residual_page(
        q,
        |row: &GroupRow| row.id.as_str(),
        |scanned, last_id| Ok(batch_conn_rows(scanned, last_id, &mut conn.borrow_mut())?),
        |row| evaluate(&mut conn.borrow_mut(), filter, row, with_members),
    )
}

fn evaluate(
    conn: &mut DbConn,
    filter: &BoundFilter,
    row: &GroupRow,
    with_members: bool,
) -> Result<bool, StorageError> {
    let Some(mut doc) =
        search::evaluation_document(&row.doc, &row.id, "Group", row.created_at, row.updated_at)
    else {
        return Ok(false);
    };
    if with_members {
        let members = memberships::list(conn, &row.tenant_id, &row.id)?;
        if !members.is_empty() {
            let members = members
                .into_iter()
                .map(|m| {
                    let mut e = serde_json::Map::new();
                    e.insert("value".to_owned(), Value::String(m.member_id));
                    e.insert("type".to_owned(), Value::String(m.member_type));
                    if let Some(d) = m.display {
                        e.insert("display".to_owned(), Value::String(d));
                    }
                    Value::Object(e)
                })
                .collect();
            doc.insert("members".to_owned(), Value::Array(members));
        }
    }
    Ok(matches(filter, &doc))
}

type RowsQuery<'a> = diesel::dsl::IntoBoxed<
    'a,
    diesel::dsl::Filter<
        diesel::dsl::Select<groups::table, diesel::dsl::AsSelect<GroupRow, Backend>>,
        diesel::dsl::Eq<groups::tenant_id, &'a str>,
    >,
    Backend,
>;

fn rows_query(tenant_id: &str) -> RowsQuery<'_> {
    groups::table
        .select(GroupRow::as_select())
        .filter(groups::tenant_id.eq(tenant_id))
        .into_boxed()
}

type CountQuery<'a> = diesel::dsl::IntoBoxed<
    'a,
    diesel::dsl::Filter<
        diesel::dsl::Select<groups::table, diesel::dsl::CountStar>,
        diesel::dsl::Eq<groups::tenant_id, &'a str>,
    >,
    Backend,
>;

fn count_query(tenant_id: &str) -> CountQuery<'_> {
    groups::table
        .count()
        .filter(groups::tenant_id.eq(tenant_id))
        .into_boxed()
}

fn with_filter<Q>(query: Q, pred: Option<GroupPred>) -> Q
where
    Q: diesel::query_dsl::methods::FilterDsl<GroupPred, Output = Q>,
{
    match pred {
        Some(p) => query.filter(p),
        None => query,
    }
}

/// ORDER BY the sort key (missing values last ascending, first descending), then id.
/// `userName` does not exist on groups and leaves the order by id.
fn ordered<'a>(query: RowsQuery<'a>, sort: Option<(SortKey, bool)>) -> RowsQuery<'a> {
    macro_rules! by {
        ($q:expr, $col:expr, $asc:expr) => {
            if $asc {
                $q.then_order_by($col.asc())
            } else {
                $q.then_order_by($col.desc())
            }
        };
    }
    let Some((key, asc)) = sort else {
        return query.order_by(groups::id.asc());
    };
    let query = match key {
        SortKey::Id | SortKey::UserName => query,
        SortKey::DisplayName => by!(query, groups::display_name_norm, asc),
        SortKey::ExternalId => by!(
            by!(query, groups::external_id.is_null(), asc),
            groups::external_id,
            asc
        ),
        SortKey::Created => by!(query, groups::created_at, asc),
        SortKey::LastModified => by!(query, groups::updated_at, asc),
    };
    by!(query, groups::id, asc)
}
