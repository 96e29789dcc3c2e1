//! The plan: a pure diff of the desired state against the store, as typed operations
//! (graph.md §5.2.4). Linking of resources the reconciler does not own yet follows §5.2.2:
//! externalId = object id, then userName = UPN, then email = mail; only a unique candidate
//! that no other object owns, within the tenant.

use super::mapping;
use super::scope::{GroupState, Member, Scope, UserState};
use crate::scim::schema::ResourceKind;
use crate::service::pull::{MirrorObject, StoreSnapshot, StoredGroup, StoredUser};
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

/// The keys a resource nobody owns can be matched by (graph.md §5.2.2), in the order tried.
#[derive(Clone, Copy)]
enum Key {
    ExternalId,
    UserName,
    Email,
}

impl Key {
    fn name(self) -> &'static str {
        match self {
            Key::ExternalId => "externalId",
            Key::UserName => "userName",
            Key::Email => "email",
        }
    }
}

/// Candidates for linking: users nobody owns, indexed by each key (case-folded values).
#[derive(Default)]
struct Unowned {
    index: [HashMap<String, Vec<String>>; 3],
    taken: HashSet<String>,
}

impl Unowned {
    fn add(&mut self, key: Key, value: &str, id: &str) {
        self.index[key as usize]
            .entry(value.to_lowercase())
            .or_default()
            .push(id.to_string());
    }

    /// The unique candidate with `value` for `key` (then taken), or why there is none;
    /// `None` when nothing matches.
    fn pick(&mut self, key: Key, value: &str) -> Option<(Result<String, String>, &'static str)> {
        let found: Vec<&String> = self.index[key as usize]
            .get(value)
            .map(|v| v.iter().filter(|id| !self.taken.contains(*id)).collect())
            .unwrap_or_default();
        let result = match found.as_slice() {
            [] => return None,
            [one] => {
                let one = (*one).clone();
                self.taken.insert(one.clone());
                Ok(one)
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

/// A finished plan with what the run needs besides it.
pub struct Planned {
    pub plan: Plan,
    /// The live links the plan starts from (Entra id → resource id), for the apply.
    pub user_links: HashMap<String, String>,
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
    Deactivate(String, String, &'static str),
}

/// Builds the plan: a pure diff of the [`Scope`] against the store, fed one page of mirrored
/// users at a time so that only the plan, ids and keys stay in memory. Documents come from
/// the `docs` callback (resource id → JSON) for the page at hand.
pub struct Planner {
    plan: Plan,
    /// Live links: Entra id → resource id.
    user_links: HashMap<String, String>,
    group_links: HashMap<String, String>,
    /// Stored users by resource id (keys, no documents) and groups.
    users: HashMap<String, StoredUser>,
    groups: HashMap<String, StoredGroup>,
    unowned: Unowned,
    /// Case-folded userNames held by owned users that stay, to explain a failed link.
    name_owner: HashMap<String, String>,
    /// Linked Entra ids the mirror reported.
    seen: HashSet<String>,
    /// Users that should be present, by [`Scope::index`].
    present: HashSet<u32>,
    /// Resource id → Entra id of owned users and groups, built when first needed.
    owners: Option<(HashMap<String, String>, HashMap<String, String>)>,
    incomplete: Vec<String>,
    skipped: Vec<(String, String)>,
}

pub type Docs<'a, E> = dyn FnMut(&[&str]) -> Result<HashMap<String, String>, E> + 'a;

impl Planner {
    pub fn new(scope: &Scope, store: StoreSnapshot) -> Planner {
        let mut p = Plan::default();
        let users: HashMap<String, StoredUser> =
            store.users.into_iter().map(|u| (u.id.clone(), u)).collect();
        let groups: HashMap<String, StoredGroup> = store
            .groups
            .into_iter()
            .map(|g| (g.id.clone(), g))
            .collect();
        // Live links only: a link to a resource someone deleted is dropped (and re-created).
        let mut live =
            |links: HashMap<String, String>, kind: &'static str, exists: &dyn Fn(&str) -> bool| {
                let mut out = HashMap::new();
                for (e, r) in links {
                    if exists(&r) {
                        out.insert(e, r);
                    } else {
                        p.ops.push(Op::Unlink { kind, entra_id: e });
                    }
                }
                out
            };
        let user_links = live(store.user_links, "user", &|r| users.contains_key(r));
        let group_links = live(store.group_links, "group", &|r| groups.contains_key(r));
        p.owned_users = user_links.len();
        p.owned_groups = group_links.len();
        let owned: HashSet<&str> = user_links.values().map(String::as_str).collect();
        let mut unowned = Unowned::default();
        for u in users.values().filter(|u| !owned.contains(u.id.as_str())) {
            if let Some(x) = &u.external_id {
                unowned.add(Key::ExternalId, x, &u.id);
            }
            unowned.add(Key::UserName, &u.user_name_norm, &u.id);
            for e in &u.emails {
                unowned.add(Key::Email, e, &u.id);
            }
        }
        // A user Entra deleted frees its userName for a recreated one in the same plan.
        let name_owner = user_links
            .iter()
            .filter(|(e, _)| !scope.is_deleted(e))
            .filter_map(|(_, r)| users.get(r))
            .map(|u| (u.user_name_norm.clone(), u.id.clone()))
            .collect();
        Planner {
            plan: p,
            user_links,
            group_links,
            users,
            groups,
            unowned,
            name_owner,
            seen: HashSet::new(),
            present: HashSet::new(),
            owners: None,
            incomplete: Vec::new(),
            skipped: scope.skipped.clone(),
        }
    }

    /// Plan one page of mirrored users.
    pub fn users<E>(
        &mut self,
        scope: &Scope,
        page: &[MirrorObject],
        docs: &mut Docs<'_, E>,
    ) -> Result<(), E> {
        let mut decided = Vec::new();
        for u in page {
            let e = &u.entra_id;
            let state = scope.user(u);
            if let UserState::Present(_) = state {
                if let Some(i) = scope.index(e) {
                    self.present.insert(i);
                }
            }
            if let Some(r) = self.user_links.get(e).cloned() {
                self.seen.insert(e.clone());
                match state {
                    UserState::Present(attrs) => {
                        decided.push(Decision::Update(e.clone(), r, attrs))
                    }
                    UserState::Deleted => self.plan.ops.push(Op::DeleteUser {
                        entra_id: e.clone(),
                        resource_id: r,
                        reason: super::scope::DELETED,
                    }),
                    UserState::Inactive(why) => {
                        decided.push(Decision::Deactivate(e.clone(), r, why))
                    }
                    UserState::NoUpn => {
                        self.no_upn(e);
                        decided.push(Decision::Deactivate(e.clone(), r, super::scope::NO_UPN));
                    }
                }
                continue;
            }
            match state {
                UserState::Present(attrs) => {
                    if let Some(d) = self.match_unowned(e, attrs) {
                        decided.push(d);
                    }
                }
                UserState::NoUpn => self.no_upn(e),
                UserState::Inactive(_) | UserState::Deleted => {}
            }
        }
        self.decide(decided, docs)
    }

    fn no_upn(&mut self, entra_id: &str) {
        self.skipped
            .push((entra_id.to_string(), super::scope::NO_UPN.into()));
        self.incomplete.push(format!(
            "user {entra_id} came without userPrincipalName (missing User.Read.All permission?)"
        ));
    }

    /// An unlinked user that should be present: link a unique unowned candidate, create it,
    /// or report why neither is safe.
    fn match_unowned(&mut self, e: &str, attrs: Map<String, Value>) -> Option<Decision> {
        let upn = attrs
            .get("userName")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_lowercase();
        let mail = attrs
            .get("emails")
            .and_then(|v| v.get(0))
            .and_then(|v| v.get("value"))
            .and_then(Value::as_str)
            .map(str::to_lowercase);
        let found = self
            .unowned
            .pick(Key::ExternalId, &e.to_lowercase())
            .or_else(|| self.unowned.pick(Key::UserName, &upn))
            .or_else(|| {
                mail.as_deref()
                    .and_then(|m| self.unowned.pick(Key::Email, m))
            });
        let entra_id = e.to_string();
        match found {
            Some((Ok(r), by)) => return Some(Decision::Link(entra_id, r, by, attrs)),
            Some((Err(why), by)) => self.plan.conflicts.push(Conflict {
                entra_id,
                detail: format!("not linked by {by}: {why}; link by hand or remove the duplicates"),
            }),
            None => match self.name_owner.get(upn.as_str()) {
                Some(holder) => self.plan.conflicts.push(Conflict {
                    entra_id,
                    detail: format!(
                        "userName {upn} is held by user {holder}, which the reconciler links to another Entra object"
                    ),
                }),
                None => self.plan.ops.push(Op::CreateUser { entra_id }),
            },
        }
        None
    }

    /// Turn decisions that need stored documents into operations.
    fn decide<E>(&mut self, decided: Vec<Decision>, docs: &mut Docs<'_, E>) -> Result<(), E> {
        let needed: Vec<&str> = decided
            .iter()
            .filter_map(|d| match d {
                Decision::Deactivate(_, r, _) if !self.users.get(r).is_some_and(|u| u.active) => {
                    None
                }
                Decision::Update(_, r, _)
                | Decision::Link(_, r, _, _)
                | Decision::Deactivate(_, r, _) => Some(r.as_str()),
            })
            .collect();
        if needed.is_empty() {
            return Ok(());
        }
        let docs = docs(&needed)?;
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
    pub fn users_done<E>(&mut self, docs: &mut Docs<'_, E>) -> Result<(), E> {
        let gone: Vec<Decision> = self
            .user_links
            .iter()
            .filter(|(e, _)| !self.seen.contains(*e))
            .map(|(e, r)| Decision::Deactivate(e.clone(), r.clone(), "not in the Entra directory"))
            .collect();
        self.decide(gone, docs)
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

    /// Plan one group's members: `stored` are its stored (member id, member type) pairs.
    /// Only members the reconciler owns are removed.
    pub fn members(&mut self, scope: &Scope, group: &str, stored: &[(String, String)]) {
        let want = scope.members(group, &self.present);
        let have: BTreeSet<(String, Member)> = self.owned_members(stored);
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

    /// Stored members as Entra ids, for the ones the reconciler owns.
    fn owned_members(&mut self, stored: &[(String, String)]) -> BTreeSet<(String, Member)> {
        if stored.is_empty() {
            return BTreeSet::new();
        }
        let reverse = |links: &HashMap<String, String>| -> HashMap<String, String> {
            links.iter().map(|(e, r)| (r.clone(), e.clone())).collect()
        };
        let (user_of, group_of) = self
            .owners
            .get_or_insert_with(|| (reverse(&self.user_links), reverse(&self.group_links)));
        stored
            .iter()
            .filter_map(|(m, t)| {
                if t == "Group" {
                    group_of
                        .get(m.as_str())
                        .map(|e| (e.to_string(), Member::Group))
                } else {
                    user_of
                        .get(m.as_str())
                        .map(|e| (e.to_string(), Member::User))
                }
            })
            .collect()
    }

    pub fn finish(self) -> Planned {
        Planned {
            plan: self.plan,
            user_links: self.user_links,
            group_links: self.group_links,
            incomplete: self.incomplete,
            skipped: self.skipped,
        }
    }
}
