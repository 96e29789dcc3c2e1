//! What should be in the store: the mirrored directory filtered by the directory's scope mode,
//! with nested groups direct or flattened (docs/pull-sync.md#scope).

use super::graph::{Assignment, PrincipalType};
use super::intern::Interner;
use super::mapping;
use crate::service::pull::{DirectoryConfig, MirrorEdge, MirrorObject, MirrorRemoval, ScopeMode};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Member {
    User,
    Group,
}

/// What the store should say about one mirrored user.
#[derive(Debug, Clone, PartialEq)]
pub enum UserState {
    /// In scope: the SCIM attributes it should have.
    Present(Map<String, Value>),
    /// Exists in Entra but must not be active here, with why.
    Inactive(&'static str),
    /// Deleted in Entra for good.
    Deleted,
    /// Graph withheld its userPrincipalName: the read is incomplete.
    NoUpn,
}

/// What the store should say about one mirrored group.
#[derive(Debug, Clone, PartialEq)]
pub enum GroupState {
    Present {
        display_name: String,
    },
    /// To remove (deleted, soft-deleted or out of scope), with why.
    Removed(&'static str),
}

pub const OUT_OF_SCOPE: &str = "out of scope";
pub const SOFT_DELETED: &str = "soft-deleted in Entra";
pub const DISABLED: &str = "disabled in Entra (include_disabled is off)";
pub const DELETED: &str = "deleted in Entra";
pub const NO_UPN: &str =
    "Graph returned the user without userPrincipalName: the app lacks User.Read.All";

/// The shape of the mirrored directory without any user's properties: which users are live or
/// deleted, the groups, and the membership edges, with Entra ids interned as numbers. Users are
/// then judged one at a time ([`Scope::user`]) as the planner streams them, so a run holds
/// ids and edges in memory, never the whole directory's attributes.
pub struct Scope {
    flatten: bool,
    include_disabled: bool,
    ids: Interner,
    users: usize,
    live_users: HashSet<u32>,
    deleted_users: HashSet<u32>,
    /// Every mirrored group, by Entra id.
    groups: BTreeMap<String, GroupState>,
    /// Live groups in scope.
    roots: HashSet<u32>,
    /// Direct live members of each live group.
    children: HashMap<u32, Vec<(u32, Member)>>,
    /// Users in scope; `None`: every live user (mode `all`).
    in_scope: Option<HashSet<u32>>,
    /// Objects skipped, with why (shown in the run report).
    pub skipped: Vec<(String, String)>,
}

impl Scope {
    /// `users`: every mirrored user's id and removal; `groups` with their properties (groups
    /// are few); `edges`: the direct memberships; `assignments` in assigned mode.
    pub fn new(
        cfg: &DirectoryConfig,
        users: impl IntoIterator<Item = (String, Option<MirrorRemoval>)>,
        groups: Vec<MirrorObject>,
        edges: impl IntoIterator<Item = MirrorEdge>,
        assignments: Option<&[Assignment]>,
    ) -> Scope {
        let mut b = Scope::builder(cfg, users, groups);
        edges.into_iter().for_each(|e| b.edge(e));
        b.finish(assignments)
    }

    /// Start a scope from the users and groups; edges are added one at a time (they are the
    /// bulk of a directory and are streamed from the mirror), then [`ScopeBuilder::finish`].
    pub fn builder<'c>(
        cfg: &'c DirectoryConfig,
        users: impl IntoIterator<Item = (String, Option<MirrorRemoval>)>,
        groups: Vec<MirrorObject>,
    ) -> ScopeBuilder<'c> {
        let mut s = Scope {
            flatten: cfg.flatten,
            include_disabled: cfg.include_disabled,
            ids: Interner::default(),
            users: 0,
            live_users: HashSet::new(),
            deleted_users: HashSet::new(),
            groups: BTreeMap::new(),
            roots: HashSet::new(),
            children: HashMap::new(),
            in_scope: None,
            skipped: Vec::new(),
        };
        for (id, removed) in users {
            s.users += 1;
            let i = s.ids.intern(&id);
            match removed {
                None => s.live_users.insert(i),
                Some(MirrorRemoval::Deleted) => s.deleted_users.insert(i),
                Some(MirrorRemoval::SoftDeleted) => false,
            };
        }
        let mut live_groups = HashSet::new();
        for g in &groups {
            if g.removed.is_none() {
                live_groups.insert(s.ids.intern(&g.entra_id));
            }
        }
        ScopeBuilder {
            cfg,
            scope: s,
            groups,
            live_groups,
        }
    }
}

/// A [`Scope`] being built: see [`Scope::builder`].
pub struct ScopeBuilder<'c> {
    cfg: &'c DirectoryConfig,
    scope: Scope,
    groups: Vec<MirrorObject>,
    live_groups: HashSet<u32>,
}

impl ScopeBuilder<'_> {
    /// Add one direct membership.
    pub fn edge(&mut self, e: MirrorEdge) {
        let (s, live_groups) = (&mut self.scope, &self.live_groups);
        let (Some(gi), Some(mi)) = (s.ids.get(&e.group_id), s.ids.get(&e.member_id)) else {
            return; // a member that is not a mirrored user or group (a device, a contact)
        };
        let member = match e.member_kind {
            "user" if s.live_users.contains(&mi) => Member::User,
            "group" if live_groups.contains(&mi) => Member::Group,
            _ => return,
        };
        if live_groups.contains(&gi) {
            s.children.entry(gi).or_default().push((mi, member));
        }
    }

    /// Decide what is in scope. `assignments` is given in assigned mode.
    pub fn finish(self, assignments: Option<&[Assignment]>) -> Scope {
        let ScopeBuilder {
            cfg,
            scope: mut s,
            groups,
            live_groups,
        } = self;
        let assigned = |t: PrincipalType| -> Vec<&str> {
            assignments
                .unwrap_or_default()
                .iter()
                .filter(|a| a.principal_type == t)
                .map(|a| a.principal_id.as_str())
                .collect()
        };
        let roots: Vec<&str> = match cfg.mode {
            ScopeMode::All => Vec::new(),
            ScopeMode::Groups => cfg.group_ids.iter().map(String::as_str).collect(),
            ScopeMode::Assigned => assigned(PrincipalType::Group),
        };
        s.roots = match cfg.mode {
            ScopeMode::All => live_groups.clone(),
            _ => roots
                .iter()
                .filter_map(|g| s.ids.get(g))
                .filter(|g| live_groups.contains(g))
                .collect(),
        };
        if cfg.mode == ScopeMode::Groups {
            for id in &cfg.group_ids {
                if !s.ids.get(id).is_some_and(|g| live_groups.contains(&g)) {
                    s.skipped.push((
                        id.clone(),
                        "a configured group is not in the Entra directory (deleted, or a wrong id)"
                            .into(),
                    ));
                }
            }
        }
        if cfg.mode != ScopeMode::All {
            let mut in_scope: HashSet<u32> = s.roots.iter().flat_map(|g| s.reach(*g)).collect();
            if cfg.mode == ScopeMode::Assigned {
                in_scope.extend(
                    assigned(PrincipalType::User)
                        .into_iter()
                        .filter_map(|u| s.ids.get(u))
                        .filter(|u| s.live_users.contains(u)),
                );
            }
            s.in_scope = Some(in_scope);
        }
        for g in groups {
            let state = match g.removed {
                Some(MirrorRemoval::Deleted) => GroupState::Removed(DELETED),
                Some(MirrorRemoval::SoftDeleted) => GroupState::Removed(SOFT_DELETED),
                None if !s.ids.get(&g.entra_id).is_some_and(|i| s.roots.contains(&i)) => {
                    GroupState::Removed(OUT_OF_SCOPE)
                }
                None => GroupState::Present {
                    display_name: mapping::group_name(&g.entra_id, &g.props),
                },
            };
            s.groups.insert(g.entra_id, state);
        }
        s
    }
}

impl Scope {
    /// The number standing for an Entra id, if the directory has it.
    pub fn index(&self, entra_id: &str) -> Option<u32> {
        self.ids.get(entra_id)
    }

    /// Whether Entra deleted this object for good.
    pub fn is_deleted(&self, entra_id: &str) -> bool {
        self.index(entra_id)
            .is_some_and(|i| self.deleted_users.contains(&i))
    }

    /// Users reached from a group: directly, or through nested groups when flattening.
    fn reach(&self, root: u32) -> BTreeSet<u32> {
        let mut found = BTreeSet::new();
        let mut seen: HashSet<u32> = HashSet::new();
        let mut stack = vec![root];
        while let Some(g) = stack.pop() {
            if !seen.insert(g) {
                continue; // nesting cycles are legal in Entra
            }
            for (m, kind) in self.children.get(&g).map(Vec::as_slice).unwrap_or_default() {
                match kind {
                    Member::User => {
                        found.insert(*m);
                    }
                    Member::Group if self.flatten => stack.push(*m),
                    Member::Group => {}
                }
            }
        }
        found
    }

    /// Judge one mirrored user.
    pub fn user(&self, u: &MirrorObject) -> UserState {
        match u.removed {
            Some(MirrorRemoval::Deleted) => return UserState::Deleted,
            Some(MirrorRemoval::SoftDeleted) => return UserState::Inactive(SOFT_DELETED),
            None => {}
        }
        let in_scope = match (&self.in_scope, self.index(&u.entra_id)) {
            (None, _) => true,
            (Some(set), Some(i)) => set.contains(&i),
            (Some(_), None) => false,
        };
        if !in_scope {
            return UserState::Inactive(OUT_OF_SCOPE);
        }
        let enabled = mapping::account_enabled(&u.props);
        if !enabled && !self.include_disabled {
            return UserState::Inactive(DISABLED);
        }
        match mapping::user_attrs(&u.entra_id, &u.props, enabled) {
            Some(attrs) => UserState::Present(attrs),
            None => UserState::NoUpn,
        }
    }

    /// Every mirrored group, judged, in Entra id order.
    pub fn groups(&self) -> impl Iterator<Item = (&str, &GroupState)> {
        self.groups.iter().map(|(id, g)| (id.as_str(), g))
    }

    /// Whether the mirror has this group at all (live or removed).
    pub fn has_group(&self, entra_id: &str) -> bool {
        self.groups.contains_key(entra_id)
    }

    /// The members a present group should have, by Entra id: its users that are present
    /// (`present_users`, by [`Scope::index`]), directly or through nesting when flattening;
    /// without flattening also its nested groups that are in scope themselves.
    pub fn members(&self, group: &str, present_users: &HashSet<u32>) -> BTreeSet<(String, Member)> {
        let Some(g) = self.index(group) else {
            return BTreeSet::new();
        };
        let name = |i: u32| self.ids.name(i).to_string();
        if self.flatten {
            return self
                .reach(g)
                .into_iter()
                .filter(|u| present_users.contains(u))
                .map(|u| (name(u), Member::User))
                .collect();
        }
        self.children
            .get(&g)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter(|(m, kind)| match kind {
                Member::User => present_users.contains(m),
                Member::Group => self.roots.contains(m),
            })
            .map(|(m, kind)| (name(*m), *kind))
            .collect()
    }

    /// Counts for the run report: (users, groups, memberships).
    pub fn size(&self) -> (usize, usize, usize) {
        let memberships = self.children.values().map(Vec::len).sum();
        (self.users, self.groups.len(), memberships)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::pull::{MirrorKind, PullCredential};
    use serde_json::json;

    fn cfg(mode: ScopeMode, flatten: bool, groups: &[&str]) -> DirectoryConfig {
        DirectoryConfig {
            tenant_id: "t".into(),
            entra_tenant_id: "e".into(),
            client_id: "c".into(),
            credential: PullCredential::Secret("s".into()),
            authority_url: "http://a".into(),
            graph_url: "http://g".into(),
            mode,
            group_ids: groups.iter().map(|g| g.to_string()).collect(),
            app_id: None,
            flatten,
            include_disabled: true,
            interval_secs: 3600,
            max_removals: 500,
            max_removal_percent: 20,
            enabled: true,
        }
    }
    fn user(id: &str, enabled: bool) -> MirrorObject {
        MirrorObject {
            kind: MirrorKind::User,
            entra_id: id.into(),
            props: json!({"userPrincipalName": format!("{id}@x"), "accountEnabled": enabled})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            removed: None,
        }
    }
    fn group(id: &str) -> MirrorObject {
        MirrorObject {
            kind: MirrorKind::Group,
            entra_id: id.into(),
            props: json!({"displayName": id})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            removed: None,
        }
    }
    fn edge(g: &str, m: &str, kind: &'static str) -> MirrorEdge {
        MirrorEdge {
            group_id: g.into(),
            member_id: m.into(),
            member_kind: kind,
            removed: false,
        }
    }
    /// What the tests look at: each user's state, and each present group's members.
    struct Judged {
        users: BTreeMap<String, UserState>,
        groups: BTreeMap<String, GroupState>,
        members: BTreeMap<String, Vec<(String, Member)>>,
        skipped: usize,
    }

    impl Judged {
        fn present(&self) -> Vec<&str> {
            self.users
                .iter()
                .filter(|(_, s)| matches!(s, UserState::Present(_)))
                .map(|(id, _)| id.as_str())
                .collect()
        }
        fn inactive(&self, id: &str) -> &'static str {
            match self.users[id] {
                UserState::Inactive(why) => why,
                ref other => panic!("{id} is {other:?}"),
            }
        }
        fn present_groups(&self) -> Vec<&str> {
            self.members.keys().map(String::as_str).collect()
        }
    }

    fn desired(
        cfg: &DirectoryConfig,
        users: Vec<MirrorObject>,
        groups: Vec<MirrorObject>,
        edges: Vec<MirrorEdge>,
        assignments: Option<&[Assignment]>,
    ) -> Judged {
        let ids = users.iter().map(|u| (u.entra_id.clone(), u.removed));
        let scope = Scope::new(cfg, ids, groups, edges, assignments);
        let users: BTreeMap<String, UserState> = users
            .iter()
            .map(|u| (u.entra_id.clone(), scope.user(u)))
            .collect();
        let present: HashSet<u32> = users
            .iter()
            .filter(|(_, s)| matches!(s, UserState::Present(_)))
            .filter_map(|(id, _)| scope.index(id))
            .collect();
        let members = scope
            .groups()
            .filter(|(_, g)| matches!(g, GroupState::Present { .. }))
            .map(|(id, _)| {
                (
                    id.to_string(),
                    scope.members(id, &present).into_iter().collect(),
                )
            })
            .collect();
        Judged {
            users,
            groups: scope
                .groups()
                .map(|(id, g)| (id.to_string(), g.clone()))
                .collect(),
            members,
            skipped: scope.skipped.len(),
        }
    }

    /// g1 ⊃ {u1, g2}, g2 ⊃ {u2, g1 (cycle)}, u3 in no group, a device in g1.
    fn directory() -> (Vec<MirrorObject>, Vec<MirrorObject>, Vec<MirrorEdge>) {
        (
            vec![user("u1", true), user("u2", false), user("u3", true)],
            vec![group("g1"), group("g2")],
            vec![
                edge("g1", "u1", "user"),
                edge("g1", "g2", "group"),
                edge("g1", "d1", "other"),
                edge("g2", "u2", "user"),
                edge("g2", "g1", "group"),
            ],
        )
    }

    #[test]
    fn all_mode_takes_everyone_and_nested_groups_as_members() {
        let (u, g, e) = directory();
        let d = desired(&cfg(ScopeMode::All, false, &[]), u, g, e, None);
        assert_eq!(d.present(), vec!["u1", "u2", "u3"]);
        let UserState::Present(u2) = &d.users["u2"] else {
            panic!("u2 is present")
        };
        assert_eq!(u2["active"], false);
        assert_eq!(
            d.members["g1"],
            vec![
                ("g2".to_string(), Member::Group),
                ("u1".to_string(), Member::User)
            ]
        );
    }

    #[test]
    fn groups_mode_direct_takes_direct_users_only() {
        let (u, g, e) = directory();
        let d = desired(
            &cfg(ScopeMode::Groups, false, &["g1", "missing"]),
            u,
            g,
            e,
            None,
        );
        assert_eq!(d.present(), vec!["u1"]);
        assert_eq!(d.inactive("u3"), OUT_OF_SCOPE);
        assert_eq!(d.groups["g2"], GroupState::Removed(OUT_OF_SCOPE));
        assert_eq!(d.members["g1"], vec![("u1".to_string(), Member::User)]);
        assert_eq!(d.skipped, 1, "the configured group that does not exist");
    }

    #[test]
    fn flattening_follows_nesting_through_cycles() {
        let (u, g, e) = directory();
        let d = desired(&cfg(ScopeMode::Groups, true, &["g1"]), u, g, e, None);
        assert_eq!(d.present(), vec!["u1", "u2"]);
        let members: Vec<_> = d.members["g1"].iter().map(|m| m.0.as_str()).collect();
        assert_eq!(members, vec!["u1", "u2"]);
    }

    #[test]
    fn assigned_mode_takes_assigned_users_and_members_of_assigned_groups() {
        let (u, g, e) = directory();
        let a = vec![
            Assignment {
                principal_id: "u3".into(),
                principal_type: PrincipalType::User,
            },
            Assignment {
                principal_id: "g2".into(),
                principal_type: PrincipalType::Group,
            },
            Assignment {
                principal_id: "sp".into(),
                principal_type: PrincipalType::ServicePrincipal,
            },
        ];
        let d = desired(&cfg(ScopeMode::Assigned, false, &[]), u, g, e, Some(&a));
        assert_eq!(d.present(), vec!["u2", "u3"]);
        assert_eq!(d.present_groups(), vec!["g2"]);
    }

    #[test]
    fn removals_are_classified() {
        let (mut u, mut g, e) = directory();
        u[0].removed = Some(MirrorRemoval::SoftDeleted);
        u[1].removed = Some(MirrorRemoval::Deleted);
        g[1].removed = Some(MirrorRemoval::Deleted);
        let d = desired(&cfg(ScopeMode::All, false, &[]), u, g, e, None);
        assert_eq!(d.inactive("u1"), SOFT_DELETED);
        assert_eq!(d.users["u2"], UserState::Deleted);
        assert_eq!(d.groups["g2"], GroupState::Removed(DELETED));
        assert!(d.members["g1"].is_empty());
    }

    #[test]
    fn a_user_without_upn_makes_the_read_incomplete() {
        let mut u = user("u9", true);
        u.props.remove("userPrincipalName");
        let d = desired(
            &cfg(ScopeMode::All, false, &[]),
            vec![u],
            vec![],
            vec![],
            None,
        );
        assert_eq!(d.users["u9"], UserState::NoUpn);
    }
}
