//! Whole-tenant scans in key order, a page at a time: what the reconciler compares Graph
//! against. Keyset paging keeps each query cheap however large the tenant.

use super::rows::{GroupRow, UserRow};
use super::schema::{groups, memberships, users};
use super::{DbConn, StorageError};
use diesel::prelude::*;

pub fn users(
    conn: &mut DbConn,
    tenant_id: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<UserRow>, StorageError> {
    let mut q = users::table
        .filter(users::tenant_id.eq(tenant_id))
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(users::id.gt(after));
    }
    Ok(q.order(users::id.asc())
        .limit(limit)
        .select(UserRow::as_select())
        .load(conn)?)
}

/// (id, document) of the given users.
pub fn user_docs(
    conn: &mut DbConn,
    tenant_id: &str,
    ids: &[&str],
) -> Result<Vec<(String, String)>, StorageError> {
    Ok(users::table
        .filter(users::tenant_id.eq(tenant_id))
        .filter(users::id.eq_any(ids))
        .select((users::id, users::doc))
        .load(conn)?)
}

pub fn groups(
    conn: &mut DbConn,
    tenant_id: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<GroupRow>, StorageError> {
    let mut q = groups::table
        .filter(groups::tenant_id.eq(tenant_id))
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(groups::id.gt(after));
    }
    Ok(q.order(groups::id.asc())
        .limit(limit)
        .select(GroupRow::as_select())
        .load(conn)?)
}

/// (group id, member id, member type) triples.
pub fn memberships(
    conn: &mut DbConn,
    tenant_id: &str,
    after: Option<(&str, &str)>,
    limit: i64,
) -> Result<Vec<(String, String, String)>, StorageError> {
    let mut q = memberships::table
        .filter(memberships::tenant_id.eq(tenant_id))
        .into_boxed();
    if let Some((g, m)) = after {
        // The `>=` bound lets PostgreSQL range-scan the index; the OR alone it cannot.
        q = q
            .filter(memberships::group_id.ge(g))
            .filter(memberships::group_id.gt(g).or(memberships::member_id.gt(m)));
    }
    Ok(
        q.order((memberships::group_id.asc(), memberships::member_id.asc()))
            .limit(limit)
            .select((
                memberships::group_id,
                memberships::member_id,
                memberships::member_type,
            ))
            .load(conn)?,
    )
}
