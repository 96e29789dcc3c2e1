//! Group memberships as rows: resolve member ids to Users or Groups, apply net changes.

use super::Ctx;
use crate::scim::patch::MemberChanges;
use crate::scim::resource::{MemberOut, MemberRef};
use crate::scim::schema::ResourceKind;
use crate::scim::ScimError;
use crate::service::ServiceError;
use crate::storage::rows::NewMember;
use crate::storage::{groups, memberships, users, DbConn};
use chrono::NaiveDateTime;
use serde_json::{json, Value};
use std::collections::HashSet;

/// Check that every referenced member exists in the tenant and learn whether it is a User or a
/// Group. Unknown ids are 400: a membership must point at something.
pub fn resolve(
    conn: &mut DbConn,
    tenant: &str,
    kind: ResourceKind,
    group_id: &str,
    refs: &[MemberRef],
) -> Result<Vec<NewMember>, ServiceError> {
    if refs.is_empty() || kind != ResourceKind::Group {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = refs.iter().map(|r| r.value.clone()).collect();
    let found_users: HashSet<String> = users::existing_ids(conn, tenant, &ids)?
        .into_iter()
        .collect();
    let found_groups: HashSet<String> = groups::existing_ids(conn, tenant, &ids)?
        .into_iter()
        .collect();
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(refs.len());
    for r in refs {
        if !seen.insert(r.value.as_str()) {
            continue;
        }
        if r.value == group_id {
            return Err(ScimError::invalid_value(format!(
                "group {group_id:?} cannot be a member of itself"
            ))
            .into());
        }
        let member_type = if found_users.contains(&r.value) {
            "User"
        } else if found_groups.contains(&r.value) {
            "Group"
        } else {
            return Err(ScimError::invalid_value(format!(
                "members: no User or Group with id {:?} exists in this tenant; create it first",
                r.value
            ))
            .into());
        };
        if let Some(k) = &r.kind {
            if k != member_type {
                return Err(ScimError::invalid_value(format!(
                    "members: {:?} is a {member_type}, but the request says type {k:?}",
                    r.value
                ))
                .into());
            }
        }
        out.push(NewMember {
            member_id: r.value.clone(),
            member_type: member_type.to_string(),
            display: r.display.clone(),
            created_at: chrono::NaiveDateTime::default(),
        });
    }
    Ok(out)
}

pub fn add(
    conn: &mut DbConn,
    tenant: &str,
    group_id: &str,
    members: &[NewMember],
    now: NaiveDateTime,
) -> Result<usize, ServiceError> {
    if members.is_empty() {
        return Ok(0);
    }
    let rows: Vec<NewMember> = members
        .iter()
        .cloned()
        .map(|m| NewMember {
            created_at: now,
            ..m
        })
        .collect();
    Ok(memberships::add(conn, tenant, group_id, &rows)?)
}

/// Apply net membership changes in order: clear, remove, add. Returns (added, removed) counts.
pub fn apply(
    conn: &mut DbConn,
    tenant: &str,
    kind: ResourceKind,
    group_id: &str,
    changes: &MemberChanges,
    now: NaiveDateTime,
) -> Result<(usize, usize), ServiceError> {
    if kind != ResourceKind::Group {
        return Ok((0, 0));
    }
    let to_add = resolve(conn, tenant, kind, group_id, &changes.add)?;
    let mut removed = 0;
    if changes.clear {
        removed += memberships::clear(conn, tenant, group_id)?;
    }
    if !changes.remove.is_empty() {
        removed += memberships::remove(conn, tenant, group_id, &changes.remove)?;
    }
    let added = add(conn, tenant, group_id, &to_add, now)?;
    Ok((added, removed))
}

pub fn list(
    conn: &mut DbConn,
    ctx: &Ctx<'_>,
    group_id: &str,
) -> Result<Vec<MemberOut>, ServiceError> {
    let rows = memberships::list(conn, &ctx.tenant.id, group_id)?;
    Ok(rows
        .into_iter()
        .map(|m| member_out(ctx, m.member_id, m.member_type, m.display))
        .collect())
}

/// Members just written, rendered for a create response.
pub fn outs(ctx: &Ctx<'_>, members: &[NewMember]) -> Vec<MemberOut> {
    members
        .iter()
        .map(|m| {
            member_out(
                ctx,
                m.member_id.clone(),
                m.member_type.clone(),
                m.display.clone(),
            )
        })
        .collect()
}

/// A member as a Group renders it, with `$ref` pointing at the member resource.
fn member_out(
    ctx: &Ctx<'_>,
    id: String,
    member_type: String,
    display: Option<String>,
) -> MemberOut {
    let kind = if member_type == "Group" {
        ResourceKind::Group
    } else {
        ResourceKind::User
    };
    MemberOut {
        location: ctx.location(kind, &id),
        value: id,
        kind: member_type,
        display,
    }
}

/// The read-only `groups` attribute of a User (RFC 7643 §4.1.2): direct memberships.
pub fn groups_of(
    conn: &mut DbConn,
    ctx: &Ctx<'_>,
    user_id: &str,
) -> Result<Vec<Value>, ServiceError> {
    Ok(memberships::groups_of(conn, &ctx.tenant.id, user_id)?
        .into_iter()
        .map(|(id, display)| {
            json!({"value": id, "$ref": ctx.location(ResourceKind::Group, &id), "display": display, "type": "direct"})
        })
        .collect())
}
