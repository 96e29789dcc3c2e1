//! Bulk loading for benchmarks: many users, groups and memberships in one pass, through
//! the same inserts (and change-log entries) as the one-by-one mutators.

use crate::clock;
use crate::directory::{Id, Tenant};
use crate::schema::{Props, Schema, GROUP, USER};
use serde_json::{json, Value};

/// What `FakeGraph::seed` created, in creation order.
#[derive(Clone, Debug, Default)]
pub struct Seeded {
    pub users: Vec<String>,
    pub groups: Vec<String>,
}

/// splitmix64: fast, good enough for ids, seeded from the OS once.
struct Ids(u64);

impl Ids {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn id(&mut self) -> Id {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        bytes[8..].copy_from_slice(&self.next_u64().to_le_bytes());
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }
}

fn indexes<const N: usize>(schema: &Schema, names: [&str; N]) -> [u8; N] {
    names.map(|n| schema.index(n).unwrap_or(0))
}

/// Users `seed{batch}.user{i}@contoso.com` (enabled members), groups `Seed {batch} Group {g}`,
/// group `g` holding users `g·m … g·m+m-1` (mod users), so every user is in about
/// `groups·m/users` groups.
pub(crate) fn seed(
    t: &mut Tenant,
    batch: u32,
    users: usize,
    groups: usize,
    per_group: usize,
    now: u64,
) -> Seeded {
    let mut entropy = [0u8; 8];
    let _ = getrandom::getrandom(&mut entropy);
    let mut ids = Ids(u64::from_le_bytes(entropy));
    let created = Value::String(clock::iso(now));
    let [upn_i, nick_i, display_i, given_i, surname_i, mail_i, enabled_i, type_i, employee_i, created_i] =
        indexes(
            &USER,
            [
                "userPrincipalName",
                "mailNickname",
                "displayName",
                "givenName",
                "surname",
                "mail",
                "accountEnabled",
                "userType",
                "employeeId",
                "createdDateTime",
            ],
        );
    let mut user_ids = Vec::with_capacity(users);
    for i in 0..users {
        let id = ids.id();
        let nick = format!("seed{batch}.user{i}");
        let upn = format!("{nick}@contoso.com");
        let mut props = Props::default();
        props.set(upn_i, json!(upn));
        props.set(mail_i, json!(upn));
        props.set(nick_i, json!(nick));
        props.set(display_i, json!(format!("Seed User {i}")));
        props.set(given_i, json!("Seed"));
        props.set(surname_i, json!(format!("User{i}")));
        props.set(enabled_i, json!(true));
        props.set(type_i, json!("Member"));
        props.set(employee_i, json!(format!("E{batch}-{i:07}")));
        props.set(created_i, created.clone());
        t.insert_user(id, props, &upn);
        user_ids.push(id);
    }
    let [g_display, g_nick, g_security, g_mail, g_created] = indexes(
        &GROUP,
        [
            "displayName",
            "mailNickname",
            "securityEnabled",
            "mailEnabled",
            "createdDateTime",
        ],
    );
    let mut group_ids = Vec::with_capacity(groups);
    for g in 0..groups {
        let id = ids.id();
        let mut props = Props::default();
        props.set(g_display, json!(format!("Seed {batch} Group {g}")));
        props.set(g_nick, json!(format!("seed{batch}group{g}")));
        props.set(g_security, json!(true));
        props.set(g_mail, json!(false));
        props.set(g_created, created.clone());
        t.insert_group(id, props);
        if !user_ids.is_empty() {
            for k in 0..per_group {
                let at = g.wrapping_mul(per_group).wrapping_add(k) % user_ids.len();
                if let Some(user) = user_ids.get(at) {
                    // Both ids were just created: this cannot fail.
                    let _ = t.add_member(&id, user);
                }
            }
        }
        group_ids.push(id);
    }
    Seeded {
        users: user_ids.iter().map(Id::to_string).collect(),
        groups: group_ids.iter().map(Id::to_string).collect(),
    }
}
