//! Property: after random changes in Entra, one run makes the store equal the directory (for
//! mode all), and the run after it changes nothing.

use super::*;
use graph_fake::NewUser;
use proptest::prelude::*;

const T: &str = ENTRA_TENANT;

#[derive(Debug, Clone)]
enum Change {
    CreateUser,
    Disable(usize),
    Enable(usize),
    SoftDelete(usize),
    Restore(usize),
    HardDelete(usize),
    RenameUpn(usize),
    CreateGroup,
    RenameGroup(usize),
    AddMember(usize, usize),
    RemoveMember(usize, usize),
    DeleteGroup(usize),
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        Just(Change::CreateUser),
        any::<usize>().prop_map(Change::Disable),
        any::<usize>().prop_map(Change::Enable),
        any::<usize>().prop_map(Change::SoftDelete),
        any::<usize>().prop_map(Change::Restore),
        any::<usize>().prop_map(Change::HardDelete),
        any::<usize>().prop_map(Change::RenameUpn),
        Just(Change::CreateGroup),
        any::<usize>().prop_map(Change::RenameGroup),
        (any::<usize>(), any::<usize>()).prop_map(|(g, u)| Change::AddMember(g, u)),
        (any::<usize>(), any::<usize>()).prop_map(|(g, u)| Change::RemoveMember(g, u)),
        any::<usize>().prop_map(Change::DeleteGroup),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Life {
    Live,
    SoftDeleted,
    Gone,
}

#[derive(Debug, Clone)]
struct User {
    id: String,
    upn: String,
    enabled: bool,
    life: Life,
}

#[derive(Debug, Clone)]
struct Group {
    id: String,
    name: String,
    members: BTreeSet<usize>,
    live: bool,
}

/// The test's own model of the directory, mirrored into the fake.
struct Model {
    users: Vec<User>,
    groups: Vec<Group>,
    next: usize,
}

impl Model {
    fn new_user(&mut self, p: &Pull) {
        self.next += 1;
        let u = NewUser::named(&format!("p{}", self.next));
        let upn = u.user_principal_name.clone();
        let id = p.fake.create_user(T, u);
        self.users.push(User {
            id,
            upn,
            enabled: true,
            life: Life::Live,
        });
    }
    fn new_group(&mut self, p: &Pull) {
        self.next += 1;
        let name = format!("group {}", self.next);
        let id = p.fake.create_group(T, &name);
        self.groups.push(Group {
            id,
            name,
            members: BTreeSet::new(),
            live: true,
        });
    }

    fn apply(&mut self, p: &Pull, c: &Change) {
        let nu = self.users.len().max(1);
        let ng = self.groups.len().max(1);
        match *c {
            Change::CreateUser => self.new_user(p),
            Change::CreateGroup => self.new_group(p),
            Change::Disable(i) | Change::Enable(i) => {
                let on = matches!(c, Change::Enable(_));
                if let Some(u) = self.users.get_mut(i % nu).filter(|u| u.life == Life::Live) {
                    p.fake.set_account_enabled(T, &u.id, on);
                    u.enabled = on;
                }
            }
            Change::SoftDelete(i) => {
                // User 0 stays live, so a run never legitimately removes every user (that
                // trips the guard, tested on its own).
                if i % nu == 0 {
                    return;
                }
                if let Some(u) = self.users.get_mut(i % nu).filter(|u| u.life == Life::Live) {
                    p.fake.soft_delete_user(T, &u.id);
                    u.life = Life::SoftDeleted;
                }
            }
            Change::Restore(i) => {
                if let Some(u) = self
                    .users
                    .get_mut(i % nu)
                    .filter(|u| u.life == Life::SoftDeleted)
                {
                    p.fake.restore_user(T, &u.id);
                    u.life = Life::Live;
                }
            }
            Change::HardDelete(i) => {
                let i = i % nu;
                if i == 0 {
                    return;
                }
                if let Some(u) = self.users.get_mut(i).filter(|u| u.life != Life::Gone) {
                    p.fake.hard_delete_user(T, &u.id);
                    u.life = Life::Gone;
                    for g in &mut self.groups {
                        g.members.remove(&i);
                    }
                }
            }
            Change::RenameUpn(i) => {
                self.next += 1;
                let upn = format!("renamed{}@contoso.com", self.next);
                if let Some(u) = self.users.get_mut(i % nu).filter(|u| u.life == Life::Live) {
                    p.fake
                        .update_user(T, &u.id, serde_json::json!({ "userPrincipalName": upn }));
                    u.upn = upn;
                }
            }
            Change::RenameGroup(g) => {
                self.next += 1;
                let name = format!("group {}", self.next);
                if let Some(gr) = self.groups.get_mut(g % ng).filter(|g| g.live) {
                    p.fake
                        .update_group(T, &gr.id, serde_json::json!({ "displayName": name }));
                    gr.name = name;
                }
            }
            Change::AddMember(g, u) | Change::RemoveMember(g, u) => {
                let ui = u % nu;
                let add = matches!(c, Change::AddMember(..));
                let Some(user) = self.users.get(ui).filter(|u| u.life == Life::Live).cloned()
                else {
                    return;
                };
                if let Some(gr) = self.groups.get_mut(g % ng).filter(|g| g.live) {
                    if add && gr.members.insert(ui) {
                        p.fake.add_member(T, &gr.id, &user.id);
                    } else if !add && gr.members.remove(&ui) {
                        p.fake.remove_member(T, &gr.id, &user.id);
                    }
                }
            }
            Change::DeleteGroup(g) => {
                if g % ng == 0 {
                    return; // keep one group (removing every group trips the guard)
                }
                if let Some(gr) = self.groups.get_mut(g % ng).filter(|g| g.live) {
                    p.fake.delete_group(T, &gr.id, true);
                    gr.live = false;
                }
            }
        }
    }

    /// What the store must hold, given which users it held before the run.
    fn expected(
        &self,
        before: &BTreeMap<String, (bool, Option<String>, String)>,
    ) -> (BTreeMap<String, bool>, BTreeMap<String, BTreeSet<String>>) {
        // Entra id → the userName the store held before the run.
        let previously: BTreeMap<&str, &str> = before
            .iter()
            .filter_map(|(name, v)| v.1.as_deref().map(|id| (id, name.as_str())))
            .collect();
        let mut users = BTreeMap::new();
        for u in &self.users {
            match u.life {
                Life::Live => {
                    users.insert(u.upn.clone(), u.enabled);
                }
                // Graph reports a soft-deleted user as its id and `@removed` only, so a rename
                // just before the deletion is never seen: the store keeps the last name it had.
                Life::SoftDeleted => {
                    if let Some(name) = previously.get(u.id.as_str()) {
                        users.insert(name.to_string(), false);
                    }
                }
                Life::Gone => {}
            }
        }
        let groups = self
            .groups
            .iter()
            .filter(|g| g.live)
            .map(|g| {
                let members = g
                    .members
                    .iter()
                    .map(|i| &self.users[*i])
                    .filter(|u| u.life == Life::Live)
                    .map(|u| u.upn.clone())
                    .collect();
                (g.name.clone(), members)
            })
            .collect();
        (users, groups)
    }
}

fn check(p: &Pull, m: &Model, before: &BTreeMap<String, (bool, Option<String>, String)>) {
    let (users, groups) = m.expected(before);
    let stored: BTreeMap<String, bool> = p.users().into_iter().map(|(k, v)| (k, v.0)).collect();
    assert_eq!(stored, users, "users");
    assert_eq!(p.groups(), groups, "groups");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn a_run_makes_the_store_equal_the_directory(
        changes in proptest::collection::vec(change(), 1..25),
    ) {
        each(
            || DirectoryChange { max_removals: Some(10_000), max_removal_percent: Some(100), ..Default::default() },
            |p| {
                let mut m = Model { users: Vec::new(), groups: Vec::new(), next: 0 };
                for _ in 0..4 {
                    m.new_user(p);
                }
                m.new_group(p);
                m.new_group(p);
                m.apply(p, &Change::AddMember(0, 1));
                p.first_sync();
                check(p, &m, &BTreeMap::new());
                let before = p.users();
                for c in &changes {
                    m.apply(p, c);
                }
                let run = p.sync();
                assert!(run.status == "succeeded", "{run:#?}\n{changes:?}");
                check(p, &m, &before);
                let again = p.sync();
                assert_eq!(again.status, "succeeded");
                assert_eq!(again.summary["no_changes"], true, "second run: {:#}", again.summary);
            },
        );
    }
}
