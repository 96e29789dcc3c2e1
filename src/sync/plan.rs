//! The plan: a pure diff of the desired state against the store, as typed operations
//! (graph.md §5.2.4). Linking of resources the reconciler does not own yet follows §5.2.2:
//! externalId = object id, then userName = UPN, then email = mail; only a unique candidate
//! that no other object owns, within the tenant.

use super::mapping;
use super::scope::{GroupState, Member, Scope, UserState};
use crate::scim::schema::ResourceKind;
use crate::service::pull::{
    Candidate, MatchKey, MirrorObject, OwnedUser, StoreSnapshot, StoredGroup,
};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// Its body is built from the mirror when it is applied: a first sync's plan holds ids,
    /// not 100,000 documents.
    CreateUser {
        entra_id: String,
    },
    /// Take over an existing resource (matched by `by`), then make it read as Graph says.
    LinkUser {
        entra_id: String,
        resource_id: String,
        by: &'static str,
        body: Value,
    },
    UpdateUser {
        entra_id: String,
        resource_id: String,
        body: Value,
    },
    DeactivateUser {
        entra_id: String,
        resource_id: String,
        reason: &'static str,
        body: Value,
    },
    DeleteUser {
        entra_id: String,
        resource_id: String,
        reason: &'static str,
    },
    CreateGroup {
        entra_id: String,
        body: Value,
    },
    LinkGroup {
        entra_id: String,
        resource_id: String,
        by: &'static str,
        body: Value,
    },
    UpdateGroup {
        entra_id: String,
        resource_id: String,
        body: Value,
    },
    DeleteGroup {
        entra_id: String,
        resource_id: String,
        reason: &'static str,
    },
    /// Member changes of one group: additions by Entra id (their resources may be created by
    /// this plan), removals by resource id.
    Members {
        group: String,
        add: Vec<(String, Member)>,
        remove: Vec<(String, Member)>,
    },
    /// A link whose resource is gone (deleted by someone else): forget it.
    Unlink {
        kind: &'static str,
        entra_id: String,
    },
}

impl Op {
    /// Deactivations and deletions: what the guard counts.
    pub fn is_removal(&self) -> bool {
        matches!(
            self,
            Op::DeactivateUser { .. } | Op::DeleteUser { .. } | Op::DeleteGroup { .. }
        )
    }
    pub fn name(&self) -> &'static str {
        match self {
            Op::CreateUser { .. } => "create_user",
            Op::LinkUser { .. } => "link_user",
            Op::UpdateUser { .. } => "update_user",
            Op::DeactivateUser { .. } => "deactivate_user",
            Op::DeleteUser { .. } => "delete_user",
            Op::CreateGroup { .. } => "create_group",
            Op::LinkGroup { .. } => "link_group",
            Op::UpdateGroup { .. } => "update_group",
            Op::DeleteGroup { .. } => "delete_group",
            Op::Members { .. } => "members",
            Op::Unlink { .. } => "unlink",
        }
    }
    /// The Entra object the operation is about (the group, for member changes).
    pub fn entra_id(&self) -> &str {
        match self {
            Op::CreateUser { entra_id, .. }
            | Op::LinkUser { entra_id, .. }
            | Op::UpdateUser { entra_id, .. }
            | Op::DeactivateUser { entra_id, .. }
            | Op::DeleteUser { entra_id, .. }
            | Op::CreateGroup { entra_id, .. }
            | Op::LinkGroup { entra_id, .. }
            | Op::UpdateGroup { entra_id, .. }
            | Op::DeleteGroup { entra_id, .. }
            | Op::Unlink { entra_id, .. } => entra_id,
            Op::Members { group, .. } => group,
        }
    }
    fn removal_key(&self) -> Option<String> {
        self.is_removal()
            .then(|| format!("{} {}", self.name(), self.entra_id()))
    }
}

/// An object the plan leaves alone because linking it would be a guess.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Conflict {
    pub entra_id: String,
    pub detail: String,
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Plan {
    pub ops: Vec<Op>,
    pub conflicts: Vec<Conflict>,
    /// Resources the reconciler owned before this plan.
    pub owned_users: usize,
    pub owned_groups: usize,
}

impl Plan {
    /// Operations per kind (for the run summary).
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let mut c = BTreeMap::new();
        for op in &self.ops {
            let n = match op {
                Op::Members { add, remove, .. } => {
                    *c.entry("add_member").or_insert(0) += add.len();
                    *c.entry("remove_member").or_insert(0) += remove.len();
                    continue;
                }
                op => op.name(),
            };
            *c.entry(n).or_insert(0) += 1;
        }
        c
    }
    pub fn removals(&self) -> impl Iterator<Item = &Op> {
        self.ops.iter().filter(|o| o.is_removal())
    }
    /// A digest of the removals: what an admin's approval is bound to.
    pub fn removals_hash(&self) -> String {
        let mut keys: Vec<String> = self.ops.iter().filter_map(Op::removal_key).collect();
        keys.sort();
        let mut h = Sha256::new();
        for k in keys {
            h.update(k.as_bytes());
            h.update(b"\n");
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

fn parse(doc: &str) -> Map<String, Value> {
    serde_json::from_str(doc).unwrap_or_default()
}

/// What the planner reads about users, a page of mirrored users at a time (the runner answers
/// from the store through the service layer).
pub trait UserReads {
    type Error;
    /// The owned users among these Entra ids (links whose resource exists).
    fn owned(&mut self, entra_ids: &[&str]) -> Result<Vec<OwnedUser>, Self::Error>;
    /// Owned users whose Entra object the mirror does not have.
    fn unmirrored(&mut self) -> Result<Vec<OwnedUser>, Self::Error>;
    /// Users whose `key` is one of `values` (case-folded), with the Entra object owning each.
    fn candidates(&mut self, key: MatchKey, values: &[&str])
        -> Result<Vec<Candidate>, Self::Error>;
    /// Documents (resource id → JSON) of these users.
    fn docs(&mut self, ids: &[&str]) -> Result<HashMap<String, String>, Self::Error>;
}

const KEYS: [MatchKey; 3] = [MatchKey::ExternalId, MatchKey::UserName, MatchKey::Email];

/// One page's unowned candidates for linking, by key and case-folded value.
#[derive(Default)]
struct Candidates([HashMap<String, Vec<String>>; 3]);

impl Candidates {
    /// The unique candidate with `value` for `key` that this plan has not linked yet (it is
    /// then `taken`), or why there is none; `None` when nothing matches.
    fn pick(
        &self,
        taken: &mut HashSet<String>,
        key: MatchKey,
        value: &str,
    ) -> Option<(Result<String, String>, &'static str)> {
        let found: Vec<&String> = self.0[key as usize]
            .get(value)
            .map(|v| v.iter().filter(|id| !taken.contains(*id)).collect())
            .unwrap_or_default();
        let result = match found.as_slice() {
            [] => return None,
            [one] => {
                taken.insert((*one).clone());
                Ok((*one).clone())
            }
            many => Err(format!(
                "{} users have the {} {value}",
                many.len(),
                key.name()
            )),
        };
        Some((result, key.name()))
    }
}

/// A user's values for the [`KEYS`], case-folded: object id, UPN, mail.
fn match_values(entra_id: &str, attrs: &Map<String, Value>) -> [Option<String>; 3] {
    let upn = attrs.get("userName").and_then(Value::as_str);
    let mail = attrs
        .get("emails")
        .and_then(|v| v.get(0))
        .and_then(|v| v.get("value"))
        .and_then(Value::as_str);
    [
        Some(entra_id.to_lowercase()),
        Some(upn.unwrap_or_default().to_lowercase()),
        mail.map(str::to_lowercase),
    ]
}

/// A finished plan with what the run needs besides it.
pub struct Planned {
    pub plan: Plan,
    /// The live group links the plan starts from (Entra id → resource id), for the apply.
    pub group_links: HashMap<String, String>,
    /// Why the read cannot be trusted for removals (empty: it can).
    pub incomplete: Vec<String>,
    /// Objects left out, with why.
    pub skipped: Vec<(String, String)>,
}

/// What the planner decided for one user of a page, before the documents it needs are read.
enum Decision {
    Update(String, String, Map<String, Value>),
    Link(String, String, &'static str, Map<String, Value>),
    /// Only for an active user.
    Deactivate(String, String, &'static str),
}

/// Builds the plan: a pure diff of the [`Scope`] against the store, fed one page of mirrored
/// users at a time. What it holds besides the plan: the groups (few), the users the scope
/// wants present (as [`Scope::index`] numbers), and the resources this plan links. Everything
/// else about users it asks [`UserReads`] for, per page.
pub struct Planner {
    plan: Plan,
    /// Live group links: Entra id → resource id.
    group_links: HashMap<String, String>,
    groups: HashMap<String, StoredGroup>,
    /// Users that should be present, by [`Scope::index`].
    present: HashSet<u32>,
    /// Unowned users this plan links (each may be linked once).
    taken: HashSet<String>,
    incomplete: Vec<String>,
    skipped: Vec<(String, String)>,
}

impl Planner {
    pub fn new(scope: &Scope, store: StoreSnapshot) -> Planner {
        let mut plan = Plan {
            owned_users: store.owned_users,
            ..Plan::default()
        };
        let groups: HashMap<String, StoredGroup> = store
            .groups
            .into_iter()
            .map(|g| (g.id.clone(), g))
            .collect();
        // Live links only: a link to a resource someone deleted is dropped (and re-created).
        let unlink = |kind, entra_id| Op::Unlink { kind, entra_id };
        plan.ops
            .extend(store.dead_user_links.into_iter().map(|e| unlink("user", e)));
        let mut group_links = HashMap::new();
        for (e, r) in store.group_links {
            if groups.contains_key(&r) {
                group_links.insert(e, r);
            } else {
                plan.ops.push(unlink("group", e));
            }
        }
        plan.owned_groups = group_links.len();
        Planner {
            plan,
            group_links,
            groups,
            present: HashSet::new(),
            taken: HashSet::new(),
            incomplete: Vec::new(),
            skipped: scope.skipped.clone(),
        }
    }

    /// Plan one page of mirrored users.
    pub fn users<R: UserReads>(
        &mut self,
        scope: &Scope,
        page: &[MirrorObject],
        reads: &mut R,
    ) -> Result<(), R::Error> {
        let ids: Vec<&str> = page.iter().map(|u| u.entra_id.as_str()).collect();
        let owned: HashMap<String, OwnedUser> = reads
            .owned(&ids)?
            .into_iter()
            .map(|o| (o.entra_id.clone(), o))
            .collect();
        let mut decided = Vec::new();
        let mut unlinked = Vec::new();
        for u in page {
            let e = &u.entra_id;
            let state = scope.user(u);
            if let UserState::Present(_) = state {
                if let Some(i) = scope.index(e) {
                    self.present.insert(i);
                }
            }
            let Some(o) = owned.get(e) else {
                match state {
                    UserState::Present(attrs) => unlinked.push((u, match_values(e, &attrs))),
                    UserState::NoUpn => self.no_upn(e),
                    UserState::Inactive(_) | UserState::Deleted => {}
                }
                continue;
            };
            let r = o.resource_id.clone();
            match state {
                UserState::Present(attrs) => decided.push(Decision::Update(e.clone(), r, attrs)),
                UserState::Deleted => self.plan.ops.push(Op::DeleteUser {
                    entra_id: e.clone(),
                    resource_id: r,
                    reason: super::scope::DELETED,
                }),
                UserState::Inactive(why) if o.active => {
                    decided.push(Decision::Deactivate(e.clone(), r, why))
                }
                UserState::Inactive(_) => {}
                UserState::NoUpn => {
                    self.no_upn(e);
                    if o.active {
                        decided.push(Decision::Deactivate(e.clone(), r, super::scope::NO_UPN));
                    }
                }
            }
        }
        decided.extend(self.match_unowned(scope, unlinked, reads)?);
        self.decide(decided, reads)
    }

    fn no_upn(&mut self, entra_id: &str) {
        self.skipped
            .push((entra_id.to_string(), super::scope::NO_UPN.into()));
        self.incomplete.push(format!(
            "user {entra_id} came without userPrincipalName (missing User.Read.All permission?)"
        ));
    }

    /// Unlinked users of a page that should be present, with their [`match_values`]: link a
    /// unique unowned candidate, create the user, or report why neither is safe. (Their SCIM
    /// attributes are judged again for the few that link, rather than held for the page.)
    fn match_unowned<R: UserReads>(
        &mut self,
        scope: &Scope,
        unlinked: Vec<(&MirrorObject, [Option<String>; 3])>,
        reads: &mut R,
    ) -> Result<Vec<Decision>, R::Error> {
        if unlinked.is_empty() {
            return Ok(Vec::new());
        }
        let mut candidates = Candidates::default();
        // userName → owned user holding it: blocks creating another user with that name,
        // unless Entra deleted the owner (its deletion, earlier in the same apply, frees it).
        let mut holders: HashMap<String, String> = HashMap::new();
        for key in KEYS {
            let values: Vec<&str> = unlinked
                .iter()
                .filter_map(|(_, k)| k[key as usize].as_deref())
                .collect();
            for c in reads.candidates(key, &values)? {
                match c.owner {
                    None => candidates.0[key as usize]
                        .entry(c.value)
                        .or_default()
                        .push(c.user_id),
                    Some(owner) if key == MatchKey::UserName && !scope.is_deleted(&owner) => {
                        holders.insert(c.value, c.user_id);
                    }
                    Some(_) => {}
                }
            }
        }
        let mut decided = Vec::new();
        for (u, values) in unlinked {
            let found = KEYS.into_iter().find_map(|key| {
                let value = values[key as usize].as_deref()?;
                candidates.pick(&mut self.taken, key, value)
            });
            let entra_id = u.entra_id.clone();
            match found {
                Some((Ok(r), by)) => {
                    if let UserState::Present(attrs) = scope.user(u) {
                        decided.push(Decision::Link(entra_id, r, by, attrs));
                    }
                }
                Some((Err(why), by)) => self.plan.conflicts.push(Conflict {
                    entra_id,
                    detail: format!(
                        "not linked by {by}: {why}; link by hand or remove the duplicates"
                    ),
                }),
                None => {
                    let [_, upn, _] = values;
                    let upn = upn.unwrap_or_default();
                    match holders.get(&upn) {
                        Some(holder) => self.plan.conflicts.push(Conflict {
                            entra_id,
                            detail: format!(
                                "userName {upn} is held by user {holder}, which the reconciler links to another Entra object"
                            ),
                        }),
                        None => self.plan.ops.push(Op::CreateUser { entra_id }),
                    }
                }
            }
        }
        Ok(decided)
    }

    /// Turn decisions that need stored documents into operations.
    fn decide<R: UserReads>(
        &mut self,
        decided: Vec<Decision>,
        reads: &mut R,
    ) -> Result<(), R::Error> {
        let needed: Vec<&str> = decided
            .iter()
            .map(|d| match d {
                Decision::Update(_, r, _)
                | Decision::Link(_, r, _, _)
                | Decision::Deactivate(_, r, _) => r.as_str(),
            })
            .collect();
        if needed.is_empty() {
            return Ok(());
        }
        let docs = reads.docs(&needed)?;
        for d in decided {
            let doc = |r: &str| docs.get(r).map(|d| parse(d));
            match d {
                Decision::Update(entra_id, resource_id, attrs) => {
                    let Some(current) = doc(&resource_id) else {
                        continue;
                    };
                    let body = mapping::user_body(&current, &attrs);
                    if mapping::changes(ResourceKind::User, &current, &body) {
                        self.plan.ops.push(Op::UpdateUser {
                            entra_id,
                            resource_id,
                            body,
                        });
                    }
                }
                Decision::Link(entra_id, resource_id, by, attrs) => {
                    let Some(current) = doc(&resource_id) else {
                        continue;
                    };
                    let body = mapping::user_body(&current, &attrs);
                    self.plan.ops.push(Op::LinkUser {
                        entra_id,
                        resource_id,
                        by,
                        body,
                    });
                }
                Decision::Deactivate(entra_id, resource_id, reason) => {
                    let Some(mut body) = doc(&resource_id) else {
                        continue;
                    };
                    body.insert("active".into(), Value::Bool(false));
                    body.remove("groups");
                    self.plan.ops.push(Op::DeactivateUser {
                        entra_id,
                        resource_id,
                        reason,
                        body: Value::Object(body),
                    });
                }
            }
        }
        Ok(())
    }

    /// After the last page: owned users the mirror no longer has are deactivated.
    pub fn users_done<R: UserReads>(&mut self, reads: &mut R) -> Result<(), R::Error> {
        let gone: Vec<Decision> = reads
            .unmirrored()?
            .into_iter()
            .filter(|o| o.active)
            .map(|o| Decision::Deactivate(o.entra_id, o.resource_id, "not in the Entra directory"))
            .collect();
        self.decide(gone, reads)
    }

    /// Plan the groups (after the users).
    pub fn groups(&mut self, scope: &Scope) {
        let mut unowned_ids: HashMap<String, Vec<&str>> = HashMap::new();
        let mut unowned_names: HashMap<&str, Vec<&str>> = HashMap::new();
        let owned: HashSet<&str> = self.group_links.values().map(String::as_str).collect();
        for g in self
            .groups
            .values()
            .filter(|g| !owned.contains(g.id.as_str()))
        {
            if let Some(x) = &g.external_id {
                unowned_ids.entry(x.to_lowercase()).or_default().push(&g.id);
            }
            unowned_names
                .entry(&g.display_name_norm)
                .or_default()
                .push(&g.id);
        }
        let mut taken: HashSet<&str> = HashSet::new();
        let ops = &mut self.plan.ops;
        for (e, state) in scope.groups() {
            let linked = self.group_links.get(e);
            let display_name = match (state, linked) {
                (GroupState::Present { display_name }, _) => display_name,
                (GroupState::Removed(reason), Some(r)) => {
                    ops.push(Op::DeleteGroup {
                        entra_id: e.to_string(),
                        resource_id: r.clone(),
                        reason,
                    });
                    continue;
                }
                (GroupState::Removed(_), None) => continue,
            };
            if let Some(r) = linked {
                let current = parse(&self.groups[r].doc);
                let body = mapping::group_body(&current, e, display_name);
                if mapping::changes(ResourceKind::Group, &current, &body) {
                    ops.push(Op::UpdateGroup {
                        entra_id: e.to_string(),
                        resource_id: r.clone(),
                        body,
                    });
                }
                continue;
            }
            let by_id = unowned_ids
                .get(&e.to_lowercase())
                .cloned()
                .unwrap_or_default();
            let by_name = unowned_names
                .get(display_name.to_lowercase().as_str())
                .cloned()
                .unwrap_or_default();
            let candidate = match (by_id.as_slice(), by_name.as_slice()) {
                ([one], _) => Some((*one, "externalId")),
                ([], [one]) => Some((*one, "displayName")),
                _ => None,
            };
            match candidate.filter(|(r, _)| taken.insert(r)) {
                Some((r, by)) => {
                    let current = parse(&self.groups[r].doc);
                    let body = mapping::group_body(&current, e, display_name);
                    ops.push(Op::LinkGroup {
                        entra_id: e.to_string(),
                        resource_id: r.to_string(),
                        by,
                        body,
                    });
                }
                None if by_id.len() > 1 => self.plan.conflicts.push(Conflict {
                    entra_id: e.to_string(),
                    detail: format!("{} groups have externalId {e}", by_id.len()),
                }),
                None => ops.push(Op::CreateGroup {
                    entra_id: e.to_string(),
                    body: mapping::group_body(&Map::new(), e, display_name),
                }),
            }
        }
        // Linked groups the mirror no longer has at all.
        for (e, r) in &self.group_links {
            if !scope.has_group(e) {
                ops.push(Op::DeleteGroup {
                    entra_id: e.clone(),
                    resource_id: r.clone(),
                    reason: "not in the Entra directory",
                });
            }
        }
    }

    /// The groups whose members to compare: present ones, with the resource they are linked
    /// to (`None`: created or linked by this plan, so no member is stored yet).
    pub fn member_groups<'s>(&self, scope: &'s Scope) -> Vec<(&'s str, Option<String>)> {
        scope
            .groups()
            .filter(|(_, g)| matches!(g, GroupState::Present { .. }))
            .map(|(e, _)| (e, self.group_links.get(e).cloned()))
            .collect()
    }

    /// Plan one group's members: `owned` are its stored members that the reconciler owns,
    /// as (Entra id, member type). Only those are ever removed.
    pub fn members(&mut self, scope: &Scope, group: &str, owned: &[(String, String)]) {
        let want = scope.members(group, &self.present);
        let have: BTreeSet<(String, Member)> = owned
            .iter()
            .map(|(e, t)| {
                let kind = if t == "Group" {
                    Member::Group
                } else {
                    Member::User
                };
                (e.clone(), kind)
            })
            .collect();
        let add: Vec<(String, Member)> = want.difference(&have).cloned().collect();
        let remove: Vec<(String, Member)> = have.difference(&want).cloned().collect();
        if !add.is_empty() || !remove.is_empty() {
            self.plan.ops.push(Op::Members {
                group: group.to_string(),
                add,
                remove,
            });
        }
    }

    pub fn finish(self) -> Planned {
        Planned {
            plan: self.plan,
            group_links: self.group_links,
            incomplete: self.incomplete,
            skipped: self.skipped,
        }
    }
}
