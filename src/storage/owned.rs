//! The store as the Graph reconciler reads it while planning, a page of Entra ids at a time:
//! the reconciler's links (`sync_links`) with the users and memberships they point at.
//! Answering these in SQL keeps a run's memory to the page at hand instead of every user's
//! keys and links.
//!
//! On PostgreSQL the resource tables' text is `COLLATE "C"` and the links' is not, so a link
//! is never looked up by a column of a resource table (its index would not apply and the
//! links would be scanned): resource ids are read first and then bound as values.

use super::schema::{memberships as m, sync_links as l, sync_objects as o, user_emails, users};
use super::{lower, DbConn, StorageError};
use diesel::dsl::{exists, not};
use diesel::prelude::*;
use std::collections::HashMap;

/// Values per `IN` list: a planner's page in one statement (PostgreSQL binds the list as one
/// array; SQLite allows 32,766 parameters). Fewer statements matter most where `lower()`
/// leaves no index to use and each statement scans the tenant's users.
const CHUNK: usize = 5000;

/// `load` run over `values` [`CHUNK`] at a time, the rows together.
fn chunked<T>(
    values: &[&str],
    mut load: impl FnMut(&[&str]) -> QueryResult<Vec<T>>,
) -> Result<Vec<T>, StorageError> {
    let mut out = Vec::new();
    for chunk in values.chunks(CHUNK) {
        out.extend(load(chunk)?);
    }
    Ok(out)
}

/// (Entra id, resource id, active) of an owned user whose resource exists.
pub type OwnedUser = (String, String, bool);

/// Owned users among these Entra ids.
pub fn users_linked_to(
    conn: &mut DbConn,
    tenant_id: &str,
    entra_ids: &[&str],
) -> Result<Vec<OwnedUser>, StorageError> {
    chunked(entra_ids, |chunk| {
        l::table
            .inner_join(
                users::table.on(users::tenant_id
                    .eq(l::tenant_id)
                    .and(users::id.eq(l::resource_id))),
            )
            .filter(l::tenant_id.eq(tenant_id))
            .filter(l::kind.eq("user"))
            .filter(l::entra_id.eq_any(chunk))
            .select((l::entra_id, users::id, users::active))
            .load(conn)
    })
}

/// Owned users whose Entra object the mirror does not have at all.
pub fn users_not_mirrored(
    conn: &mut DbConn,
    tenant_id: &str,
) -> Result<Vec<OwnedUser>, StorageError> {
    Ok(l::table
        .inner_join(
            users::table.on(users::tenant_id
                .eq(l::tenant_id)
                .and(users::id.eq(l::resource_id))),
        )
        .filter(l::tenant_id.eq(tenant_id))
        .filter(l::kind.eq("user"))
        .filter(not(exists(
            o::table
                .filter(o::tenant_id.eq(l::tenant_id))
                .filter(o::kind.eq("user"))
                .filter(o::entra_id.eq(l::entra_id)),
        )))
        .select((l::entra_id, users::id, users::active))
        .load(conn)?)
}

/// How many users the reconciler owns, and the Entra ids of its user links whose resource is
/// gone (deleted by someone else).
pub fn user_links_summary(
    conn: &mut DbConn,
    tenant_id: &str,
) -> Result<(i64, Vec<String>), StorageError> {
    let resource = users::table
        .filter(users::tenant_id.eq(l::tenant_id))
        .filter(users::id.eq(l::resource_id));
    let of_users = l::tenant_id.eq(tenant_id).and(l::kind.eq("user"));
    let owned = l::table
        .filter(of_users)
        .filter(exists(resource))
        .count()
        .get_result(conn)?;
    let dead = l::table
        .filter(of_users)
        .filter(not(exists(resource)))
        .select(l::entra_id)
        .load(conn)?;
    Ok((owned, dead))
}

/// Entra id by resource id, for the resources of `kind` among `ids` that the reconciler owns.
fn links_of(
    conn: &mut DbConn,
    tenant_id: &str,
    kind: &str,
    ids: &[&str],
) -> Result<HashMap<String, String>, StorageError> {
    let rows = chunked(ids, |chunk| {
        l::table
            .filter(l::tenant_id.eq(tenant_id))
            .filter(l::kind.eq(kind))
            .filter(l::resource_id.eq_any(chunk))
            .select((l::resource_id, l::entra_id))
            .load::<(String, String)>(conn)
    })?;
    Ok(rows.into_iter().collect())
}

/// A key by which an unowned user may be linked (graph.md §5.2.2), in the order they are tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchKey {
    ExternalId,
    UserName,
    Email,
}

impl MatchKey {
    /// The SCIM attribute, for admins.
    pub fn name(self) -> &'static str {
        match self {
            MatchKey::ExternalId => "externalId",
            MatchKey::UserName => "userName",
            MatchKey::Email => "email",
        }
    }
}

/// (case-folded value, user id, Entra id owning the user if any) of the users whose `key` is
/// one of `values` (case-folded); a user with the same email twice is listed once. Owned ones
/// cannot be linked, and an owned userName blocks creating another user with it.
pub fn users_matching(
    conn: &mut DbConn,
    tenant_id: &str,
    key: MatchKey,
    values: &[&str],
) -> Result<Vec<(String, String, Option<String>)>, StorageError> {
    let found: Vec<(String, String)> = match key {
        MatchKey::ExternalId => chunked(values, |chunk| {
            users::table
                .filter(users::tenant_id.eq(tenant_id))
                .filter(lower(users::external_id).eq_any(chunk))
                .select((lower(users::external_id), users::id))
                .load::<(Option<String>, String)>(conn)
        })?
        .into_iter()
        .filter_map(|(value, id)| Some((value?, id)))
        .collect(),
        MatchKey::UserName => chunked(values, |chunk| {
            users::table
                .filter(users::tenant_id.eq(tenant_id))
                .filter(users::user_name_norm.eq_any(chunk))
                .select((users::user_name_norm, users::id))
                .load(conn)
        })?,
        MatchKey::Email => chunked(values, |chunk| {
            user_emails::table
                .filter(user_emails::tenant_id.eq(tenant_id))
                .filter(user_emails::value_norm.eq_any(chunk))
                .select((user_emails::value_norm, user_emails::user_id))
                .distinct()
                .load(conn)
        })?,
    };
    let ids: Vec<&str> = found.iter().map(|(_, id)| id.as_str()).collect();
    let owners = links_of(conn, tenant_id, "user", &ids)?;
    Ok(found
        .into_iter()
        .map(|(value, id)| {
            let owner = owners.get(&id).cloned();
            (value, id, owner)
        })
        .collect())
}

/// (Entra id, member type) of a group's stored members that the reconciler owns.
pub fn owned_members(
    conn: &mut DbConn,
    tenant_id: &str,
    group_id: &str,
) -> Result<Vec<(String, String)>, StorageError> {
    let members: Vec<(String, String)> = m::table
        .filter(m::tenant_id.eq(tenant_id))
        .filter(m::group_id.eq(group_id))
        .select((m::member_id, m::member_type))
        .load(conn)?;
    let (groups, users): (Vec<_>, Vec<_>) = members.into_iter().partition(|(_, t)| t == "Group");
    let mut out = Vec::new();
    for (kind, member_type, ids) in [("user", "User", users), ("group", "Group", groups)] {
        let ids: Vec<&str> = ids.iter().map(|(id, _)| id.as_str()).collect();
        out.extend(
            links_of(conn, tenant_id, kind, &ids)?
                .into_values()
                .map(|e| (e, member_type.to_string())),
        );
    }
    Ok(out)
}
