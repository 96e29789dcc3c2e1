//! The store as the Graph reconciler reads it while planning, a page of Entra ids at a time:
//! the reconciler's links (`sync_links`) joined with the users and memberships they point at.
//! Answering these in SQL keeps a run's memory to the page at hand instead of every user's
//! keys and links.

use super::schema::{memberships as m, sync_links as l, sync_objects as o, user_emails, users};
use super::{lower, DbConn, StorageError};
use diesel::dsl::{exists, not};
use diesel::prelude::*;

/// Ids per `IN` list.
const CHUNK: usize = 500;

/// (Entra id, resource id, active) of an owned user whose resource exists.
pub type OwnedUser = (String, String, bool);

/// Owned users among these Entra ids.
pub fn users_linked_to(
    conn: &mut DbConn,
    tenant_id: &str,
    entra_ids: &[&str],
) -> Result<Vec<OwnedUser>, StorageError> {
    let mut out = Vec::with_capacity(entra_ids.len());
    for chunk in entra_ids.chunks(CHUNK) {
        out.extend(
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
                .load::<OwnedUser>(conn)?,
        );
    }
    Ok(out)
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

/// Whether no link of the reconciler points at the user: only such users may be linked.
macro_rules! unowned {
    () => {
        not(exists(
            l::table
                .filter(l::tenant_id.eq(users::tenant_id))
                .filter(l::kind.eq("user"))
                .filter(l::resource_id.eq(users::id)),
        ))
    };
}

/// (case-folded externalId, id) of unowned users whose externalId is one of `values`
/// (case-folded).
pub fn unowned_by_external_id(
    conn: &mut DbConn,
    tenant_id: &str,
    values: &[&str],
) -> Result<Vec<(Option<String>, String)>, StorageError> {
    let mut out = Vec::new();
    for chunk in values.chunks(CHUNK) {
        out.extend(
            users::table
                .filter(users::tenant_id.eq(tenant_id))
                .filter(lower(users::external_id).eq_any(chunk))
                .filter(unowned!())
                .select((lower(users::external_id), users::id))
                .load::<(Option<String>, String)>(conn)?,
        );
    }
    Ok(out)
}

/// (case-folded userName, id) of unowned users with one of these (case-folded) userNames.
pub fn unowned_by_user_name(
    conn: &mut DbConn,
    tenant_id: &str,
    names: &[&str],
) -> Result<Vec<(String, String)>, StorageError> {
    let mut out = Vec::new();
    for chunk in names.chunks(CHUNK) {
        out.extend(
            users::table
                .filter(users::tenant_id.eq(tenant_id))
                .filter(users::user_name_norm.eq_any(chunk))
                .filter(unowned!())
                .select((users::user_name_norm, users::id))
                .load::<(String, String)>(conn)?,
        );
    }
    Ok(out)
}

/// (case-folded email, id) of unowned users with one of these (case-folded) email values;
/// a user with the same value twice is listed once.
pub fn unowned_by_email(
    conn: &mut DbConn,
    tenant_id: &str,
    values: &[&str],
) -> Result<Vec<(String, String)>, StorageError> {
    let mut out = Vec::new();
    for chunk in values.chunks(CHUNK) {
        out.extend(
            user_emails::table
                .inner_join(
                    users::table.on(users::tenant_id
                        .eq(user_emails::tenant_id)
                        .and(users::id.eq(user_emails::user_id))),
                )
                .filter(user_emails::tenant_id.eq(tenant_id))
                .filter(user_emails::value_norm.eq_any(chunk))
                .filter(unowned!())
                .select((user_emails::value_norm, users::id))
                .distinct()
                .load::<(String, String)>(conn)?,
        );
    }
    Ok(out)
}

/// (case-folded userName, resource id, Entra id) of owned users holding these userNames.
pub fn owned_user_names(
    conn: &mut DbConn,
    tenant_id: &str,
    names: &[&str],
) -> Result<Vec<(String, String, String)>, StorageError> {
    let mut out = Vec::new();
    for chunk in names.chunks(CHUNK) {
        out.extend(
            users::table
                .inner_join(
                    l::table.on(l::tenant_id
                        .eq(users::tenant_id)
                        .and(l::kind.eq("user"))
                        .and(l::resource_id.eq(users::id))),
                )
                .filter(users::tenant_id.eq(tenant_id))
                .filter(users::user_name_norm.eq_any(chunk))
                .select((users::user_name_norm, users::id, l::entra_id))
                .load::<(String, String, String)>(conn)?,
        );
    }
    Ok(out)
}

/// (Entra id, member type) of a group's stored members that the reconciler owns.
pub fn owned_members(
    conn: &mut DbConn,
    tenant_id: &str,
    group_id: &str,
) -> Result<Vec<(String, String)>, StorageError> {
    let is_group = m::member_type.eq("Group");
    Ok(m::table
        .inner_join(
            l::table.on(l::tenant_id
                .eq(m::tenant_id)
                .and(l::resource_id.eq(m::member_id))),
        )
        .filter(m::tenant_id.eq(tenant_id))
        .filter(m::group_id.eq(group_id))
        .filter(
            is_group
                .and(l::kind.eq("group"))
                .or(m::member_type.ne("Group").and(l::kind.eq("user"))),
        )
        .select((l::entra_id, m::member_type))
        .load(conn)?)
}
