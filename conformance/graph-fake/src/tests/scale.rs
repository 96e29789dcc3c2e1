//! Bulk seeding and full delta rounds over HTTP, at test size. The benchmark-sized run is
//! scimd's pull benchmark (`cargo run --release --example pull-bench`).

use super::{Env, TENANT};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// A full initial round: (users, members per group id).
fn full_round(env: &Env) -> (BTreeSet<String>, BTreeMap<String, BTreeSet<String>>) {
    let mut users = BTreeSet::new();
    let mut link =
        "/v1.0/users/delta?$select=id,userPrincipalName,displayName,accountEnabled".to_owned();
    loop {
        let body: Value = if link.starts_with("http") {
            env.follow(&link, &[])
        } else {
            env.get(&link)
        }
        .json();
        for u in body["value"].as_array().unwrap() {
            users.insert(u["id"].as_str().unwrap().to_owned());
        }
        match body["@odata.nextLink"].as_str() {
            Some(next) => link = next.to_owned(),
            None => break,
        }
    }
    let mut groups: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut link = "/v1.0/groups/delta?$select=id,displayName,members".to_owned();
    loop {
        let body: Value = if link.starts_with("http") {
            env.follow(&link, &[])
        } else {
            env.get(&link)
        }
        .json();
        for g in body["value"].as_array().unwrap() {
            let entry = groups
                .entry(g["id"].as_str().unwrap().to_owned())
                .or_default();
            for m in g["members@delta"].as_array().into_iter().flatten() {
                entry.insert(m["id"].as_str().unwrap().to_owned());
            }
        }
        match body["@odata.nextLink"].as_str() {
            Some(next) => link = next.to_owned(),
            None => break,
        }
    }
    (users, groups)
}

#[test]
fn seeded_directory_round_trips_through_delta() {
    let env = Env::new();
    let seeded = env.fake.seed(TENANT, 2_000, 100, 30);
    let (users, groups) = full_round(&env);
    assert_eq!(users, seeded.users.iter().cloned().collect());
    assert_eq!(groups.len(), 100);
    assert!(groups.values().all(|m| m.len() == 30));
    let memberships: usize = groups.values().map(BTreeSet::len).sum();
    assert_eq!(memberships, 3_000);
}
