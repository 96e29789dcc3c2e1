//! The plan: a pure diff of the desired state against the store, as typed operations
//! (graph.md §5.2.4). Linking of resources the reconciler does not own yet follows §5.2.2:
//! externalId = object id, then userName = UPN, then email = mail; only a unique candidate
//! that no other object owns, within the tenant.

use super::mapping;
use super::scope::{Desired, Member};
use crate::scim::schema::ResourceKind;
use crate::service::pull::StoreSnapshot;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    CreateUser {
        entra_id: String,
        body: Value,
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
        match self {
            Op::DeactivateUser { entra_id, .. } => Some(format!("deactivate_user {entra_id}")),
            Op::DeleteUser { entra_id, .. } => Some(format!("delete_user {entra_id}")),
            Op::DeleteGroup { entra_id, .. } => Some(format!("delete_group {entra_id}")),
            _ => None,
        }
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
struct Unowned<'a> {
    index: [HashMap<String, Vec<&'a str>>; 3],
    taken: HashSet<&'a str>,
}

impl<'a> Unowned<'a> {
    fn add(&mut self, key: Key, value: &str, id: &'a str) {
        self.index[key as usize]
            .entry(value.to_lowercase())
            .or_default()
            .push(id);
    }

    /// The unique candidate with `value` for `key` (then taken), or why there is none;
    /// `None` when nothing matches.
    fn pick(&mut self, key: Key, value: &str) -> Option<(Result<&'a str, String>, &'static str)> {
        let found: Vec<&'a str> = self.index[key as usize]
            .get(value)
            .map(|v| {
                v.iter()
                    .copied()
                    .filter(|id| !self.taken.contains(id))
                    .collect()
            })
            .unwrap_or_default();
        let result = match found.as_slice() {
            [] => return None,
            [one] => {
                self.taken.insert(one);
                Ok(*one)
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

/// Diff `desired` against the store.
pub fn plan(desired: &Desired, store: &StoreSnapshot) -> Plan {
    let mut p = Plan::default();
    let users: HashMap<&str, &crate::service::pull::StoredUser> =
        store.users.iter().map(|u| (u.id.as_str(), u)).collect();
    let groups: HashMap<&str, &crate::service::pull::StoredGroup> =
        store.groups.iter().map(|g| (g.id.as_str(), g)).collect();
    // Live links only: a link to a resource someone deleted is dropped (and re-created).
    let mut user_links: HashMap<&str, &str> = HashMap::new();
    for (e, r) in &store.user_links {
        if users.contains_key(r.as_str()) {
            user_links.insert(e, r);
        } else {
            p.ops.push(Op::Unlink {
                kind: "user",
                entra_id: e.clone(),
            });
        }
    }
    let mut group_links: HashMap<&str, &str> = HashMap::new();
    for (e, r) in &store.group_links {
        if groups.contains_key(r.as_str()) {
            group_links.insert(e, r);
        } else {
            p.ops.push(Op::Unlink {
                kind: "group",
                entra_id: e.clone(),
            });
        }
    }
    p.owned_users = user_links.len();
    p.owned_groups = group_links.len();
    let owned_users: HashSet<&str> = user_links.values().copied().collect();
    let owned_groups: HashSet<&str> = group_links.values().copied().collect();

    // --- users: deletions first (a recreated user can then take its userName back)
    let mut deleting: HashSet<&str> = HashSet::new();
    for e in &desired.deleted_users {
        if let Some(r) = user_links.get(e.as_str()) {
            deleting.insert(r);
            p.ops.push(Op::DeleteUser {
                entra_id: e.clone(),
                resource_id: r.to_string(),
                reason: super::scope::DELETED,
            });
        }
    }
    let mut unowned = Unowned::default();
    for u in store
        .users
        .iter()
        .filter(|u| !owned_users.contains(u.id.as_str()))
    {
        if let Some(x) = &u.external_id {
            unowned.add(Key::ExternalId, x, &u.id);
        }
        unowned.add(Key::UserName, &u.user_name_norm, &u.id);
        for e in &u.emails {
            unowned.add(Key::Email, e, &u.id);
        }
    }
    // userNames held by owned users, to explain a failed link.
    let name_owner: HashMap<&str, &str> = store
        .users
        .iter()
        .filter(|u| owned_users.contains(u.id.as_str()) && !deleting.contains(u.id.as_str()))
        .map(|u| (u.user_name_norm.as_str(), u.id.as_str()))
        .collect();
    for (e, attrs) in &desired.users {
        if let Some(r) = user_links.get(e.as_str()) {
            let current = parse(&users[r].doc);
            let body = mapping::user_body(&current, attrs);
            if mapping::changes(ResourceKind::User, &current, &body) {
                p.ops.push(Op::UpdateUser {
                    entra_id: e.clone(),
                    resource_id: r.to_string(),
                    body,
                });
            }
            continue;
        }
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
        let found = unowned
            .pick(Key::ExternalId, &e.to_lowercase())
            .or_else(|| unowned.pick(Key::UserName, &upn))
            .or_else(|| mail.as_deref().and_then(|m| unowned.pick(Key::Email, m)));
        match found {
            Some((Ok(r), by)) => {
                let current = parse(&users[r].doc);
                let body = mapping::user_body(&current, attrs);
                p.ops.push(Op::LinkUser { entra_id: e.clone(), resource_id: r.to_string(), by, body });
            }
            Some((Err(why), by)) => p.conflicts.push(Conflict {
                entra_id: e.clone(),
                detail: format!("not linked by {by}: {why}; link by hand or remove the duplicates"),
            }),
            None => match name_owner.get(upn.as_str()) {
                Some(holder) => p.conflicts.push(Conflict {
                    entra_id: e.clone(),
                    detail: format!(
                        "userName {upn} is held by user {holder}, which the reconciler links to another Entra object"
                    ),
                }),
                None => p.ops.push(Op::CreateUser {
                    entra_id: e.clone(),
                    body: mapping::user_body(&Map::new(), attrs),
                }),
            },
        }
    }
    // Owned users that must not be active: out of scope, soft-deleted, disabled, or gone
    // from the directory listing without a deletion signal.
    for (e, r) in &user_links {
        if desired.users.contains_key(*e) || desired.deleted_users.contains(*e) {
            continue;
        }
        let stored = users[r];
        if !stored.active {
            continue;
        }
        let reason = desired
            .inactive_users
            .get(*e)
            .copied()
            .unwrap_or("not in the Entra directory");
        let mut current = parse(&stored.doc);
        current.insert("active".into(), Value::Bool(false));
        let mut body = current;
        body.remove("groups");
        p.ops.push(Op::DeactivateUser {
            entra_id: e.to_string(),
            resource_id: r.to_string(),
            reason,
            body: Value::Object(body),
        });
    }

    // --- groups
    let mut unowned_groups: HashMap<String, Vec<&str>> = HashMap::new();
    let mut unowned_names: HashMap<&str, Vec<&str>> = HashMap::new();
    for g in store
        .groups
        .iter()
        .filter(|g| !owned_groups.contains(g.id.as_str()))
    {
        if let Some(x) = &g.external_id {
            unowned_groups
                .entry(x.to_lowercase())
                .or_default()
                .push(&g.id);
        }
        unowned_names
            .entry(&g.display_name_norm)
            .or_default()
            .push(&g.id);
    }
    let mut taken: HashSet<&str> = HashSet::new();
    for (e, g) in &desired.groups {
        if let Some(r) = group_links.get(e.as_str()) {
            let current = parse(&groups[r].doc);
            let body = mapping::group_body(&current, e, &g.display_name);
            if mapping::changes(ResourceKind::Group, &current, &body) {
                p.ops.push(Op::UpdateGroup {
                    entra_id: e.clone(),
                    resource_id: r.to_string(),
                    body,
                });
            }
            continue;
        }
        let by_id = unowned_groups
            .get(&e.to_lowercase())
            .cloned()
            .unwrap_or_default();
        let by_name = unowned_names
            .get(g.display_name.to_lowercase().as_str())
            .cloned()
            .unwrap_or_default();
        let candidate = match (by_id.as_slice(), by_name.as_slice()) {
            ([one], _) => Some((*one, "externalId")),
            ([], [one]) => Some((*one, "displayName")),
            _ => None,
        };
        match candidate.filter(|(r, _)| taken.insert(r)) {
            Some((r, by)) => {
                let current = parse(&groups[r].doc);
                let body = mapping::group_body(&current, e, &g.display_name);
                p.ops.push(Op::LinkGroup {
                    entra_id: e.clone(),
                    resource_id: r.to_string(),
                    by,
                    body,
                });
            }
            None if by_id.len() > 1 => p.conflicts.push(Conflict {
                entra_id: e.clone(),
                detail: format!("{} groups have externalId {e}", by_id.len()),
            }),
            None => p.ops.push(Op::CreateGroup {
                entra_id: e.clone(),
                body: mapping::group_body(&Map::new(), e, &g.display_name),
            }),
        }
    }
    for (e, r) in &group_links {
        if !desired.groups.contains_key(*e) {
            let reason = desired
                .removed_groups
                .get(*e)
                .copied()
                .unwrap_or("not in the Entra directory");
            p.ops.push(Op::DeleteGroup {
                entra_id: e.to_string(),
                resource_id: r.to_string(),
                reason,
            });
        }
    }

    // --- memberships of the groups in scope: only members the reconciler owns are removed
    let user_of: HashMap<&str, &str> = user_links.iter().map(|(e, r)| (*r, *e)).collect();
    let group_of: HashMap<&str, &str> = group_links.iter().map(|(e, r)| (*r, *e)).collect();
    let mut current: HashMap<&str, BTreeSet<(String, Member)>> = HashMap::new();
    for (g, m, t) in &store.members {
        let Some(group_entra) = group_of.get(g.as_str()) else {
            continue;
        };
        let member = if t == "Group" {
            group_of
                .get(m.as_str())
                .map(|e| (e.to_string(), Member::Group))
        } else {
            user_of
                .get(m.as_str())
                .map(|e| (e.to_string(), Member::User))
        };
        if let Some(member) = member {
            current.entry(group_entra).or_default().insert(member);
        }
    }
    let empty = BTreeSet::new();
    for (e, g) in &desired.groups {
        let have = current.get(e.as_str()).unwrap_or(&empty);
        let add: Vec<(String, Member)> = g.members.difference(have).cloned().collect();
        let remove: Vec<(String, Member)> = have.difference(&g.members).cloned().collect();
        if !add.is_empty() || !remove.is_empty() {
            p.ops.push(Op::Members {
                group: e.clone(),
                add,
                remove,
            });
        }
    }
    p
}
