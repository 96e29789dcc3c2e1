//! Carry a plan out through the service layer, as the actor "graph": every change is checked,
//! stored and logged exactly like a SCIM request. Per-object failures are collected, not fatal.

use super::mapping;
use super::plan::{Op, Plan};
use super::scope::Member;
use crate::scim::schema::ResourceKind;
use crate::service::pull::MirrorKind;
use crate::service::{Ctx, ServiceError, Services, Tables, UnitWrites};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Operations per write transaction; also how often progress is reported and the lease
/// renewed (between two batches, when no write lock is held).
pub const BATCH: usize = 500;

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

/// Apply `plan`, [`BATCH`] operations per transaction (each operation still a savepoint of its
/// own, logged like a SCIM request). `allow_removals`: the guard's verdict. `progress(done,
/// total)` is called between batches; an `Err` stops the apply.
pub fn apply(
    services: &Services,
    ctx: &Ctx<'_>,
    plan: Plan,
    group_links: HashMap<String, String>,
    allow_removals: bool,
    progress: &mut dyn FnMut(usize, usize) -> Result<(), Stop>,
) -> Applied {
    let mut out = Applied::default();
    let mut links = Links {
        users: HashMap::new(),
        groups: group_links,
        undo: Vec::new(),
    };
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
    let (mut ops, held): (Vec<Op>, Vec<Op>) = plan
        .ops
        .into_iter()
        .partition(|op| allow_removals || !op.is_removal());
    out.held = held.len();
    ops.sort_by_key(|o| rank(o));
    let total = ops.len();
    let mut ops = ops.into_iter();
    let mut started = 0;
    while started < total {
        if started > 0 {
            if let Err(Stop(why)) = progress(started, total) {
                out.stopped = Some(why);
                return out;
            }
        }
        let batch: Vec<Op> = ops.by_ref().take(BATCH).collect();
        started += batch.len();
        let names: Vec<(&'static str, String)> = batch
            .iter()
            .map(|op| (op.name(), op.entra_id().to_string()))
            .collect();
        let creates: Vec<&str> = batch
            .iter()
            .filter_map(|op| match op {
                Op::CreateUser { entra_id } => Some(entra_id.as_str()),
                _ => None,
            })
            .collect();
        let committed = links
            .learn_users(services, &ctx.tenant.id, &batch)
            .and_then(|()| services.mirror_props(&ctx.tenant.id, MirrorKind::User, &creates))
            .and_then(|props| {
                // Plain writes first: no SAVEPOINT/RELEASE round trips per operation, and the
                // events wait for one multi-row INSERT. Any failure redoes the batch with
                // savepoints, so that only the failing operations are lost and each logs its
                // failure (with savepoints `attempt` never answers `None`).
                match attempt(services, ctx, &batch, &props, &mut links, UnitWrites::Plain)? {
                    Some(outcome) => Ok(outcome),
                    None => {
                        links.rollback();
                        attempt(
                            services,
                            ctx,
                            &batch,
                            &props,
                            &mut links,
                            UnitWrites::Savepoint,
                        )?
                        .ok_or_else(|| ServiceError::Invalid("the batch failed".into()))
                    }
                }
            });
        if started == BATCH && started < total {
            refresh_statistics(services);
        }
        match committed {
            Ok(batch) => {
                links.undo.clear();
                for (name, n) in batch.done {
                    *out.done.entry(name).or_insert(0) += n;
                }
                out.errors.extend(batch.errors);
            }
            Err(e) => {
                // Nothing of the batch is stored: every operation of it failed, and the next
                // run plans it again.
                links.rollback();
                let detail = format!("not applied: the batch could not be committed ({e})");
                out.errors
                    .extend(names.into_iter().map(|(op, entra_id)| ObjectError {
                        op,
                        entra_id,
                        detail: detail.clone(),
                    }));
            }
        }
    }
    let _ = progress(total, total);
    out
}

/// What one batch did.
#[derive(Default)]
struct BatchOutcome {
    done: BTreeMap<&'static str, usize>,
    errors: Vec<ObjectError>,
}

/// Carry out a batch in one unit of work. `None`: with [`UnitWrites::Plain`], an operation
/// failed and the unit was rolled back whole.
fn attempt(
    services: &Services,
    ctx: &Ctx<'_>,
    batch: &[Op],
    props: &HashMap<String, Map<String, Value>>,
    links: &mut Links,
    writes: UnitWrites,
) -> Result<Option<BatchOutcome>, ServiceError> {
    let mut failed_plain = false;
    let result = services.unit_of_work(writes, |unit| {
        let mut outcome = BatchOutcome::default();
        for op in batch {
            let name = op.name();
            match run(unit, ctx, op.clone(), props, links) {
                (_, Ok(())) => *outcome.done.entry(name).or_insert(0) += 1,
                (_, Err(e)) if writes == UnitWrites::Plain => {
                    failed_plain = true;
                    return Err(e);
                }
                (entra_id, Err(e)) => outcome.errors.push(ObjectError {
                    op: name,
                    entra_id,
                    detail: e.to_scim().detail,
                }),
            }
        }
        links.save(unit, &ctx.tenant.id)?;
        Ok(outcome)
    });
    match result {
        Err(_) if failed_plain => Ok(None),
        r => r.map(Some),
    }
}

/// After the first of many batches: the tables may have grown from empty (see
/// [`Services::refresh_statistics`]). Only a cost if it fails, so a failure is logged, not fatal.
fn refresh_statistics(services: &Services) {
    if let Err(e) = services.refresh_statistics(Tables::Resources) {
        log::warn!("pull apply: could not refresh the planner statistics: {e}");
    }
}

/// Entra object id → resource id of what the run owns, with an undo log for a batch that did
/// not commit. All group links; user links as the run creates them or as member changes need
/// them ([`Links::learn_users`]), so memory follows the plan, not the directory.
struct Links {
    users: HashMap<String, String>,
    groups: HashMap<String, String>,
    undo: Vec<(MirrorKind, String, Option<String>)>,
}

impl Links {
    fn map(&mut self, kind: MirrorKind) -> &mut HashMap<String, String> {
        match kind {
            MirrorKind::User => &mut self.users,
            MirrorKind::Group => &mut self.groups,
        }
    }
    /// Link `entra_id` to `resource_id`, or forget it (`None`).
    fn set(&mut self, kind: MirrorKind, entra_id: &str, resource_id: Option<String>) {
        let map = self.map(kind);
        let previous = match resource_id {
            Some(id) => map.insert(entra_id.to_string(), id),
            None => map.remove(entra_id),
        };
        self.undo.push((kind, entra_id.to_string(), previous));
    }
    /// Read the stored links of the users this batch's member changes name and the run has
    /// not seen yet.
    fn learn_users(
        &mut self,
        s: &Services,
        tenant_id: &str,
        batch: &[Op],
    ) -> Result<(), ServiceError> {
        let unknown: BTreeSet<&str> = batch
            .iter()
            .filter_map(|op| match op {
                Op::Members { add, remove, .. } => Some(add.iter().chain(remove)),
                _ => None,
            })
            .flatten()
            .filter(|(e, kind)| *kind == Member::User && !self.users.contains_key(e))
            .map(|(e, _)| e.as_str())
            .collect();
        if unknown.is_empty() {
            return Ok(());
        }
        let unknown: Vec<&str> = unknown.into_iter().collect();
        for owned in s.pull_owned_users(tenant_id, &unknown)? {
            self.users.insert(owned.entra_id, owned.resource_id);
        }
        Ok(())
    }
    /// Store the batch's link changes (their final state), in the batch's transaction.
    fn save(&self, s: &Services, tenant_id: &str) -> Result<(), ServiceError> {
        for kind in [MirrorKind::User, MirrorKind::Group] {
            let map = match kind {
                MirrorKind::User => &self.users,
                MirrorKind::Group => &self.groups,
            };
            let touched: BTreeSet<&str> = self
                .undo
                .iter()
                .filter(|(k, _, _)| *k == kind)
                .map(|(_, entra_id, _)| entra_id.as_str())
                .collect();
            let changes: Vec<(&str, Option<&str>)> = touched
                .into_iter()
                .map(|entra_id| (entra_id, map.get(entra_id).map(String::as_str)))
                .collect();
            if !changes.is_empty() {
                s.save_links(tenant_id, kind, &changes)?;
            }
        }
        Ok(())
    }
    fn rollback(&mut self) {
        while let Some((kind, entra_id, previous)) = self.undo.pop() {
            let map = self.map(kind);
            match previous {
                Some(id) => map.insert(entra_id, id),
                None => map.remove(&entra_id),
            };
        }
    }
}

fn created_id(body: &serde_json::Map<String, Value>) -> Result<String, ServiceError> {
    body.get("id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| ServiceError::Invalid("the created resource has no id".into()))
}

/// Carry out one operation. `props`: Graph properties of the users this batch creates.
fn run(
    s: &Services,
    ctx: &Ctx<'_>,
    op: Op,
    props: &HashMap<String, Map<String, Value>>,
    links: &mut Links,
) -> (String, Result<(), ServiceError>) {
    use ResourceKind::{Group, User};
    match op {
        Op::Unlink { kind, entra_id } => {
            let k = if kind == "group" {
                MirrorKind::Group
            } else {
                MirrorKind::User
            };
            links.set(k, &entra_id, None);
            (entra_id, Ok(()))
        }
        Op::CreateUser { entra_id } => {
            let body = props
                .get(&entra_id)
                .and_then(|p| mapping::new_user_body(&entra_id, p))
                .ok_or_else(|| {
                    ServiceError::Invalid("the user is no longer in the mirror of Entra".into())
                });
            let r = body
                .and_then(|body| s.create_resource(ctx, User, &body))
                .and_then(|created| {
                    links.set(
                        MirrorKind::User,
                        &entra_id,
                        Some(created_id(&created.body)?),
                    );
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
            // Linked even if the update fails: the next run updates it instead of matching.
            links.set(MirrorKind::User, &entra_id, Some(resource_id.clone()));
            let r = s
                .replace_resource(ctx, User, &resource_id, &body, None)
                .map(drop);
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
            let r = gone(s.delete_resource(ctx, User, &resource_id, None));
            if r.is_ok() {
                links.set(MirrorKind::User, &entra_id, None);
            }
            (entra_id, r)
        }
        Op::CreateGroup { entra_id, body } => {
            let r = s.create_resource(ctx, Group, &body).and_then(|created| {
                links.set(
                    MirrorKind::Group,
                    &entra_id,
                    Some(created_id(&created.body)?),
                );
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
            links.set(MirrorKind::Group, &entra_id, Some(resource_id.clone()));
            let r = patch(s, ctx, &resource_id, replace_owned(&body));
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
            let r = gone(s.delete_resource(ctx, Group, &resource_id, None));
            if r.is_ok() {
                links.set(MirrorKind::Group, &entra_id, None);
            }
            (entra_id, r)
        }
        Op::Members { group, add, remove } => {
            let Some(gid) = links.groups.get(&group).cloned() else {
                let e = ServiceError::Invalid("the group was not created (see its error)".into());
                return (group, Err(e));
            };
            let resolve = |(e, kind): &(String, Member)| match kind {
                Member::User => links.users.get(e).cloned(),
                Member::Group => links.groups.get(e).cloned(),
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

/// A deletion whose resource is already gone did what it was for.
fn gone(r: Result<(), ServiceError>) -> Result<(), ServiceError> {
    match r {
        Err(ServiceError::NotFound(_)) => Ok(()),
        r => r,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_of_a_batch_that_did_not_commit_are_undone() {
        let mut links = Links {
            users: HashMap::from([("a".to_string(), "1".to_string())]),
            groups: HashMap::new(),
            undo: Vec::new(),
        };
        links.set(MirrorKind::User, "a", None);
        links.set(MirrorKind::User, "b", Some("2".into()));
        links.set(MirrorKind::User, "b", Some("3".into()));
        links.set(MirrorKind::Group, "g", Some("4".into()));
        assert_eq!(links.users.get("b").map(String::as_str), Some("3"));
        links.rollback();
        assert_eq!(
            links.users,
            HashMap::from([("a".to_string(), "1".to_string())])
        );
        assert!(links.groups.is_empty() && links.undo.is_empty());
    }
}
