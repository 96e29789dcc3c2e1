//! Carry a plan out through the service layer, as the actor "graph": every change is checked,
//! stored and logged exactly like a SCIM request. Per-object failures are collected, not fatal.

use super::plan::{Op, Plan};
use super::scope::Member;
use crate::scim::schema::ResourceKind;
use crate::service::pull::MirrorKind;
use crate::service::{Ctx, ServiceError, Services};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

/// How many operations between two progress reports (and lease renewals).
pub const PROGRESS_EVERY: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ObjectError {
    pub op: &'static str,
    pub entra_id: String,
    pub detail: String,
}

#[derive(Debug, Default, serde::Serialize)]
pub struct Applied {
    pub done: BTreeMap<&'static str, usize>,
    pub errors: Vec<ObjectError>,
    /// Removals held back by the guard.
    pub held: usize,
    /// Set when the runner asked to stop (lost lease): the rest was not applied.
    pub stopped: Option<String>,
}

/// Why the apply stopped early.
pub struct Stop(pub String);

/// Apply `plan`. `allow_removals`: the guard's verdict. `progress(done, total)` is called every
/// [`PROGRESS_EVERY`] operations; an `Err` stops the apply.
pub fn apply(
    services: &Services,
    ctx: &Ctx<'_>,
    plan: Plan,
    mut user_links: HashMap<String, String>,
    mut group_links: HashMap<String, String>,
    allow_removals: bool,
    progress: &mut dyn FnMut(usize, usize) -> Result<(), Stop>,
) -> Applied {
    let mut out = Applied::default();
    let tenant = ctx.tenant.id.clone();
    // Order: forget dead links, delete users (frees userNames), users, groups, members,
    // then deactivations and group deletions.
    let rank = |op: &Op| match op {
        Op::Unlink { .. } => 0,
        Op::DeleteUser { .. } => 1,
        Op::CreateUser { .. } | Op::LinkUser { .. } | Op::UpdateUser { .. } => 2,
        Op::CreateGroup { .. } | Op::LinkGroup { .. } | Op::UpdateGroup { .. } => 3,
        Op::Members { .. } => 4,
        Op::DeactivateUser { .. } | Op::DeleteGroup { .. } => 5,
    };
    let mut ops = plan.ops;
    ops.sort_by_key(|o| rank(o));
    let total = ops.len();
    for (i, op) in ops.into_iter().enumerate() {
        if i % PROGRESS_EVERY == 0 && i > 0 {
            if let Err(Stop(why)) = progress(i, total) {
                out.stopped = Some(why);
                return out;
            }
        }
        if op.is_removal() && !allow_removals {
            out.held += 1;
            continue;
        }
        let name = op.name();
        let (entra_id, result) = run(
            services,
            ctx,
            &tenant,
            op,
            &mut user_links,
            &mut group_links,
        );
        match result {
            Ok(()) => *out.done.entry(name).or_insert(0) += 1,
            Err(e) => out.errors.push(ObjectError {
                op: name,
                entra_id,
                detail: e.to_scim().detail,
            }),
        }
    }
    let _ = progress(total, total);
    out
}

fn created_id(body: &serde_json::Map<String, Value>) -> Result<String, ServiceError> {
    body.get("id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| ServiceError::Invalid("the created resource has no id".into()))
}

fn run(
    s: &Services,
    ctx: &Ctx<'_>,
    tenant: &str,
    op: Op,
    user_links: &mut HashMap<String, String>,
    group_links: &mut HashMap<String, String>,
) -> (String, Result<(), ServiceError>) {
    use ResourceKind::{Group, User};
    match op {
        Op::Unlink { kind, entra_id } => {
            let k = if kind == "group" {
                MirrorKind::Group
            } else {
                MirrorKind::User
            };
            let r = s.unlink_pulled(tenant, k, &entra_id);
            (entra_id, r)
        }
        Op::CreateUser { entra_id, body } => {
            let r = s.create_resource(ctx, User, &body).and_then(|created| {
                let id = created_id(&created.body)?;
                s.link_pulled(tenant, MirrorKind::User, &entra_id, &id)?;
                user_links.insert(entra_id.clone(), id);
                Ok(())
            });
            (entra_id, r)
        }
        Op::LinkUser {
            entra_id,
            resource_id,
            body,
            ..
        } => {
            let r = s
                .link_pulled(tenant, MirrorKind::User, &entra_id, &resource_id)
                .and_then(|()| {
                    user_links.insert(entra_id.clone(), resource_id.clone());
                    s.replace_resource(ctx, User, &resource_id, &body, None)
                        .map(drop)
                });
            (entra_id, r)
        }
        Op::UpdateUser {
            entra_id,
            resource_id,
            body,
        }
        | Op::DeactivateUser {
            entra_id,
            resource_id,
            body,
            ..
        } => {
            let r = s
                .replace_resource(ctx, User, &resource_id, &body, None)
                .map(drop);
            (entra_id, r)
        }
        Op::DeleteUser {
            entra_id,
            resource_id,
            ..
        } => {
            let r = s
                .delete_resource(ctx, User, &resource_id, None)
                .and_then(|()| s.unlink_pulled(tenant, MirrorKind::User, &entra_id));
            user_links.remove(&entra_id);
            (entra_id, r)
        }
        Op::CreateGroup { entra_id, body } => {
            let r = s.create_resource(ctx, Group, &body).and_then(|created| {
                let id = created_id(&created.body)?;
                s.link_pulled(tenant, MirrorKind::Group, &entra_id, &id)?;
                group_links.insert(entra_id.clone(), id);
                Ok(())
            });
            (entra_id, r)
        }
        Op::LinkGroup {
            entra_id,
            resource_id,
            body,
            ..
        } => {
            let r = s
                .link_pulled(tenant, MirrorKind::Group, &entra_id, &resource_id)
                .and_then(|()| {
                    group_links.insert(entra_id.clone(), resource_id.clone());
                    patch(s, ctx, &resource_id, replace_owned(&body))
                });
            (entra_id, r)
        }
        Op::UpdateGroup {
            entra_id,
            resource_id,
            body,
        } => {
            let r = patch(s, ctx, &resource_id, replace_owned(&body));
            (entra_id, r)
        }
        Op::DeleteGroup {
            entra_id,
            resource_id,
            ..
        } => {
            let r = s
                .delete_resource(ctx, Group, &resource_id, None)
                .and_then(|()| s.unlink_pulled(tenant, MirrorKind::Group, &entra_id));
            group_links.remove(&entra_id);
            (entra_id, r)
        }
        Op::Members { group, add, remove } => {
            let Some(gid) = group_links.get(&group).cloned() else {
                let e = ServiceError::Invalid("the group was not created (see its error)".into());
                return (group, Err(e));
            };
            let resolve = |(e, kind): &(String, Member)| match kind {
                Member::User => user_links.get(e).cloned(),
                Member::Group => group_links.get(e).cloned(),
            };
            let values: Vec<Value> = add
                .iter()
                .filter_map(&resolve)
                .map(|id| json!({ "value": id }))
                .collect();
            let mut ops = Vec::new();
            if !values.is_empty() {
                ops.push(json!({"op": "add", "path": "members", "value": values}));
            }
            for id in remove.iter().filter_map(&resolve) {
                ops.push(json!({"op": "remove", "path": format!("members[value eq \"{id}\"]")}));
            }
            let r = if ops.is_empty() {
                Ok(())
            } else {
                patch(s, ctx, &gid, ops)
            };
            (group, r)
        }
    }
}

/// PATCH operations setting what a pull run owns on a group (members go separately).
fn replace_owned(body: &Value) -> Vec<Value> {
    ["displayName", "externalId"]
        .iter()
        .map(|a| json!({"op": "replace", "path": a, "value": body.get(a)}))
        .collect()
}

fn patch(s: &Services, ctx: &Ctx<'_>, id: &str, ops: Vec<Value>) -> Result<(), ServiceError> {
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": ops,
    });
    s.patch_resource(ctx, ResourceKind::Group, id, &body, None)
        .map(drop)
}
