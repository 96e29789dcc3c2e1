//! What should be in the store: the mirrored directory filtered by the directory's scope mode,
//! with nested groups direct or flattened (docs/pull-sync.md#scope).

use super::graph::{Assignment, PrincipalType};
use super::mapping;
use crate::service::pull::{DirectoryConfig, MirrorEdge, MirrorObject, MirrorRemoval, ScopeMode};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Member {
    User,
    Group,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DesiredGroup {
    pub display_name: String,
    /// Entra object ids of the members, with their kind.
    pub members: BTreeSet<(String, Member)>,
}

/// The directory as the store should show it, and what should leave it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Desired {
    /// Entra id → the SCIM attributes the user should have.
    pub users: BTreeMap<String, Map<String, Value>>,
    pub groups: BTreeMap<String, DesiredGroup>,
    /// Users that exist in Entra but must not be active here, with why.
    pub inactive_users: BTreeMap<String, &'static str>,
    /// Objects Entra deleted for good.
    pub deleted_users: BTreeSet<String>,
    /// Groups to remove (deleted, soft-deleted or out of scope), with why.
    pub removed_groups: BTreeMap<String, &'static str>,
    /// Why the read cannot be trusted for removals (empty: it can).
    pub incomplete: Vec<String>,
    /// Objects skipped, with why (shown in the run report).
    pub skipped: Vec<(String, String)>,
}

pub const OUT_OF_SCOPE: &str = "out of scope";
pub const SOFT_DELETED: &str = "soft-deleted in Entra";
pub const DISABLED: &str = "disabled in Entra (include_disabled is off)";
pub const DELETED: &str = "deleted in Entra";

/// Compute the desired state. `assignments` is given in assigned mode.
pub fn desired(
    cfg: &DirectoryConfig,
    users: Vec<MirrorObject>,
    groups: Vec<MirrorObject>,
    edges: Vec<MirrorEdge>,
    assignments: Option<&[Assignment]>,
) -> Desired {
    let mut out = Desired::default();
    let live_groups: HashMap<&str, &MirrorObject> = groups
        .iter()
        .filter(|g| g.removed.is_none())
        .map(|g| (g.entra_id.as_str(), g))
        .collect();
    let live_users: HashSet<&str> = users
        .iter()
        .filter(|u| u.removed.is_none())
        .map(|u| u.entra_id.as_str())
        .collect();
    // Direct members of each live group, live ones only.
    let mut children: HashMap<&str, Vec<(&str, Member)>> = HashMap::new();
    for e in &edges {
        let member = match e.member_kind {
            "user" if live_users.contains(e.member_id.as_str()) => Member::User,
            "group" if live_groups.contains_key(e.member_id.as_str()) => Member::Group,
            _ => continue,
        };
        if live_groups.contains_key(e.group_id.as_str()) {
            children
                .entry(e.group_id.as_str())
                .or_default()
                .push((e.member_id.as_str(), member));
        }
    }
    let assigned = |t: PrincipalType| -> BTreeSet<&str> {
        assignments
            .unwrap_or_default()
            .iter()
            .filter(|a| a.principal_type == t)
            .map(|a| a.principal_id.as_str())
            .collect()
    };
    let roots: BTreeSet<&str> = match cfg.mode {
        ScopeMode::All => live_groups.keys().copied().collect(),
        ScopeMode::Groups => cfg
            .group_ids
            .iter()
            .map(String::as_str)
            .filter(|g| live_groups.contains_key(g))
            .collect(),
        ScopeMode::Assigned => assigned(PrincipalType::Group)
            .into_iter()
            .filter(|g| live_groups.contains_key(g))
            .collect(),
    };
    for id in &cfg.group_ids {
        if cfg.mode == ScopeMode::Groups && !live_groups.contains_key(id.as_str()) {
            out.skipped.push((
                id.clone(),
                "a configured group is not in the Entra directory (deleted, or a wrong id)".into(),
            ));
        }
    }
    // Users reached from a group: directly, or through nested groups when flattening.
    let reach = |root: &str| -> BTreeSet<&str> {
        let mut found = BTreeSet::new();
        let mut seen: HashSet<&str> = HashSet::new();
        let mut stack = vec![root];
        while let Some(g) = stack.pop() {
            if !seen.insert(g) {
                continue; // nesting cycles are legal in Entra
            }
            for (m, kind) in children.get(g).map(Vec::as_slice).unwrap_or_default() {
                match kind {
                    Member::User => {
                        found.insert(*m);
                    }
                    Member::Group if cfg.flatten => stack.push(m),
                    Member::Group => {}
                }
            }
        }
        found
    };
    let mut in_scope: HashSet<&str> = match cfg.mode {
        ScopeMode::All => live_users.clone(),
        _ => roots.iter().flat_map(|g| reach(g)).collect(),
    };
    if cfg.mode == ScopeMode::Assigned {
        in_scope.extend(
            assigned(PrincipalType::User)
                .into_iter()
                .filter(|u| live_users.contains(u)),
        );
    }
    for u in &users {
        let id = u.entra_id.as_str();
        match u.removed {
            Some(MirrorRemoval::Deleted) => {
                out.deleted_users.insert(u.entra_id.clone());
                continue;
            }
            Some(MirrorRemoval::SoftDeleted) => {
                out.inactive_users.insert(u.entra_id.clone(), SOFT_DELETED);
                continue;
            }
            None => {}
        }
        if !in_scope.contains(id) {
            out.inactive_users.insert(u.entra_id.clone(), OUT_OF_SCOPE);
            continue;
        }
        let enabled = mapping::account_enabled(&u.props);
        if !enabled && !cfg.include_disabled {
            out.inactive_users.insert(u.entra_id.clone(), DISABLED);
            continue;
        }
        match mapping::user_attrs(id, &u.props, enabled) {
            Some(attrs) => {
                out.users.insert(u.entra_id.clone(), attrs);
            }
            None => {
                out.skipped.push((
                    u.entra_id.clone(),
                    "Graph returned the user without userPrincipalName: the app lacks User.Read.All".into(),
                ));
                out.incomplete.push(format!(
                    "user {} came without userPrincipalName (missing User.Read.All permission?)",
                    u.entra_id
                ));
            }
        }
    }
    for g in &groups {
        match g.removed {
            Some(MirrorRemoval::Deleted) => {
                out.removed_groups.insert(g.entra_id.clone(), DELETED);
                continue;
            }
            Some(MirrorRemoval::SoftDeleted) => {
                out.removed_groups.insert(g.entra_id.clone(), SOFT_DELETED);
                continue;
            }
            None => {}
        }
        if !roots.contains(g.entra_id.as_str()) {
            out.removed_groups.insert(g.entra_id.clone(), OUT_OF_SCOPE);
            continue;
        }
        let members: BTreeSet<(String, Member)> = if cfg.flatten {
            reach(&g.entra_id)
                .into_iter()
                .filter(|u| out.users.contains_key(*u))
                .map(|u| (u.to_string(), Member::User))
                .collect()
        } else {
            children
                .get(g.entra_id.as_str())
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .filter(|(m, kind)| match kind {
                    Member::User => out.users.contains_key(*m),
                    Member::Group => roots.contains(m),
                })
                .map(|(m, kind)| (m.to_string(), *kind))
                .collect()
        };
        out.groups.insert(
            g.entra_id.clone(),
            DesiredGroup {
                display_name: mapping::group_name(&g.entra_id, &g.props),
                members,
            },
        );
    }
    out
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
        assert_eq!(d.users.len(), 3);
        assert_eq!(d.users["u2"]["active"], false);
        let g1: Vec<_> = d.groups["g1"].members.iter().cloned().collect();
        assert_eq!(
            g1,
            vec![
                ("g2".to_string(), Member::Group),
                ("u1".to_string(), Member::User)
            ]
        );
    }

    #[test]
    fn groups_mode_direct_takes_direct_users_only() {
        let (u, g, e) = directory();
        let d = desired(&cfg(ScopeMode::Groups, false, &["g1"]), u, g, e, None);
        assert_eq!(d.users.keys().collect::<Vec<_>>(), vec!["u1"]);
        assert_eq!(d.inactive_users["u3"], OUT_OF_SCOPE);
        assert_eq!(d.removed_groups["g2"], OUT_OF_SCOPE);
        assert_eq!(d.groups["g1"].members.len(), 1);
    }

    #[test]
    fn flattening_follows_nesting_through_cycles() {
        let (u, g, e) = directory();
        let d = desired(&cfg(ScopeMode::Groups, true, &["g1"]), u, g, e, None);
        assert_eq!(d.users.keys().collect::<Vec<_>>(), vec!["u1", "u2"]);
        let members: Vec<_> = d.groups["g1"]
            .members
            .iter()
            .map(|m| m.0.as_str())
            .collect();
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
        assert_eq!(d.users.keys().collect::<Vec<_>>(), vec!["u2", "u3"]);
        assert_eq!(d.groups.keys().collect::<Vec<_>>(), vec!["g2"]);
    }

    #[test]
    fn removals_are_classified() {
        let (mut u, mut g, e) = directory();
        u[0].removed = Some(MirrorRemoval::SoftDeleted);
        u[1].removed = Some(MirrorRemoval::Deleted);
        g[1].removed = Some(MirrorRemoval::Deleted);
        let d = desired(&cfg(ScopeMode::All, false, &[]), u, g, e, None);
        assert_eq!(d.inactive_users["u1"], SOFT_DELETED);
        assert!(d.deleted_users.contains("u2"));
        assert_eq!(d.removed_groups["g2"], DELETED);
        assert!(d.groups["g1"].members.is_empty());
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
        assert!(d.users.is_empty());
        assert_eq!(d.incomplete.len(), 1);
    }
}
