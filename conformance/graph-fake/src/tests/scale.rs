//! Bulk seeding and full delta rounds over HTTP. The big one is `#[ignore]`d; run it with
//! `cargo test -p graph-fake --release -- --ignored --nocapture scale` for the timing.

use super::{Env, TENANT};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

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

#[test]
#[ignore = "benchmark-sized; run with --release -- --ignored --nocapture"]
fn scale_seed_and_full_delta_round() {
    let env = Env::new();
    let started = Instant::now();
    env.fake.seed(TENANT, 100_000, 5_000, 100);
    let seeded = started.elapsed();
    let started = Instant::now();
    let (users, groups) = full_round(&env);
    let pulled = started.elapsed();
    let memberships: usize = groups.values().map(BTreeSet::len).sum();
    assert_eq!(
        (users.len(), groups.len(), memberships),
        (100_000, 5_000, 500_000)
    );
    let requests = env.fake.requests().len();
    println!("seed 100k/5k/500k: {seeded:.2?}; full users+groups delta round over HTTP: {pulled:.2?} ({requests} requests)");

    // The same directory by full enumeration: users, groups, then each group's members.
    env.fake.clear_requests();
    let started = Instant::now();
    let (users, _) = env.all_pages(
        "/v1.0/users?$select=id,userPrincipalName,accountEnabled&$top=999",
        &[],
    );
    let (groups, _) = env.all_pages("/v1.0/groups?$select=id,displayName&$top=999", &[]);
    let mut memberships = 0;
    for g in super::ids(&groups) {
        let (members, _) = env.all_pages(
            &format!("/v1.0/groups/{g}/members?$select=id&$top=999"),
            &[],
        );
        memberships += members.len();
    }
    assert_eq!(
        (users.len(), groups.len(), memberships),
        (100_000, 5_000, 500_000)
    );
    let requests = env.fake.requests().len();
    println!(
        "full enumeration (users, groups, members per group): {:.2?} ({requests} requests)",
        started.elapsed()
    );
}
