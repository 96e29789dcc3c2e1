//! `users/delta` and `groups/delta` rounds (graph.md §2.6–2.7).

use super::{Env, TENANT};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// Follows a round to its deltaLink: (items in order, pages, deltaLink).
fn round(env: &Env, start: &str, headers: &[(&str, &str)]) -> (Vec<Value>, usize, String) {
    let mut r = if start.starts_with("http") {
        env.follow(start, headers)
    } else {
        env.get_with(start, headers)
    };
    let mut items = Vec::new();
    let mut pages = 0;
    loop {
        assert_eq!(r.status, 200, "{}", r.text());
        let body = r.json();
        pages += 1;
        items.extend(body["value"].as_array().unwrap().iter().cloned());
        if let Some(link) = body["@odata.deltaLink"].as_str() {
            assert!(body.get("@odata.nextLink").is_none());
            return (items, pages, link.to_owned());
        }
        let next = body["@odata.nextLink"]
            .as_str()
            .expect("nextLink or deltaLink");
        assert!(next.contains("$skiptoken="), "{next}");
        r = env.follow(next, headers);
    }
}

fn by_id(items: &[Value]) -> BTreeMap<String, Value> {
    items
        .iter()
        .map(|i| (i["id"].as_str().unwrap().to_owned(), i.clone()))
        .collect()
}

/// Merges `members@delta` per group over a round: member id → removed?
fn member_deltas(items: &[Value]) -> BTreeMap<String, BTreeMap<String, bool>> {
    let mut out: BTreeMap<String, BTreeMap<String, bool>> = BTreeMap::new();
    for g in items {
        let entry = out.entry(g["id"].as_str().unwrap().to_owned()).or_default();
        for m in g["members@delta"].as_array().into_iter().flatten() {
            entry.insert(
                m["id"].as_str().unwrap().to_owned(),
                m.get("@removed").is_some(),
            );
        }
    }
    out
}

#[test]
fn users_rounds_track_selected_changes_and_removals() {
    let env = Env::new();
    env.fake.set_delta_page_size(2);
    let names = ["ada", "bob", "cy", "dee", "eve"];
    let users: Vec<String> = names.iter().map(|n| env.user(n)).collect();
    assert_eq!(
        env.get("/v1.0/users/delta?$top=10").status,
        400,
        "$top is not supported on delta"
    );

    let (items, pages, link) = round(
        &env,
        "/v1.0/users/delta?$select=displayName,accountEnabled",
        &[],
    );
    assert_eq!((items.len(), pages), (5, 3));
    assert_eq!(
        items[0].as_object().unwrap().len(),
        3,
        "id + selected: {}",
        items[0]
    );
    assert!(link.starts_with(&env.fake.url()) && link.contains("/v1.0/users/delta?$deltatoken="));

    let (items, _, link) = round(&env, &link, &[]);
    assert!(items.is_empty(), "nothing changed");

    let [ada, bob, cy, dee, _eve] = <[String; 5]>::try_from(users).unwrap();
    env.fake
        .update_user(TENANT, &ada, json!({ "displayName": "Ada L" }));
    env.fake
        .update_user(TENANT, &bob, json!({ "jobTitle": "Engineer" }));
    env.fake.soft_delete_user(TENANT, &cy);
    env.fake.hard_delete_user(TENANT, &dee);
    let fay = env.user("fay");
    let (items, _, link) = round(&env, &link, &[]);
    let got = by_id(&items);
    assert_eq!(
        got.len(),
        4,
        "bob's change is to an unselected property: {items:?}"
    );
    assert_eq!(got[&ada]["displayName"], "Ada L");
    assert_eq!(
        got[&cy],
        json!({ "id": cy, "@removed": { "reason": "changed" } })
    );
    assert_eq!(
        got[&dee],
        json!({ "id": dee, "@removed": { "reason": "deleted" } })
    );
    assert_eq!(got[&fay]["displayName"], "Fay Tester");

    env.fake.restore_user(TENANT, &cy);
    env.fake.set_account_enabled(TENANT, &ada, false);
    let (items, _, link) = round(&env, &link, &[("Prefer", "return=minimal")]);
    let got = by_id(&items);
    assert_eq!(
        got[&cy]["displayName"], "Cy Tester",
        "restored: whole, no annotation"
    );
    assert!(got[&cy].get("@removed").is_none());
    assert_eq!(
        got[&ada],
        json!({ "id": ada, "accountEnabled": false }),
        "minimal: changed only"
    );

    let r = env.follow(&link, &[]);
    assert_eq!(r.status, 200);
    env.fake.advance_clock(Duration::from_secs(8 * 24 * 3600));
    let env = Env {
        token: env.fresh_token(),
        ..env
    };
    let r = env.follow(&link, &[]);
    assert_eq!((r.status, r.code()), (400, "syncStateNotFound".into()));

    let tampered = link.replacen("$deltatoken=e", "$deltatoken=f", 1).replacen(
        "$deltatoken=",
        "$deltatoken=x",
        1,
    );
    assert_eq!(env.follow(&tampered, &[]).status, 400);
    let groups_with_users_token = link.replace("/users/delta", "/groups/delta");
    assert_eq!(env.follow(&groups_with_users_token, &[]).status, 400);
}

#[test]
fn latest_and_id_filter() {
    let env = Env::new();
    let ada = env.user("ada");
    let bob = env.user("bob");
    let r = env
        .get("/v1.0/users/delta?$deltatoken=latest&$select=displayName")
        .json();
    assert_eq!(r["value"], json!([]));
    let link = r["@odata.deltaLink"].as_str().unwrap().to_owned();
    env.fake
        .update_user(TENANT, &bob, json!({ "displayName": "Bobby" }));
    let (items, _, _) = round(&env, &link, &[]);
    assert_eq!(items, [json!({ "id": bob, "displayName": "Bobby" })]);

    let (items, _, link) = round(
        &env,
        &format!("/v1.0/users/delta?$filter=id%20eq%20'{ada}'&$select=id"),
        &[],
    );
    assert_eq!(super::ids(&items), [ada.as_str()]);
    env.fake
        .update_user(TENANT, &bob, json!({ "displayName": "B" }));
    let (items, _, _) = round(&env, &link, &[]);
    assert!(items.is_empty(), "bob is outside the filter");
}

#[test]
fn groups_initial_round_splits_big_member_lists() {
    let env = Env::new();
    env.fake.set_delta_page_size(3);
    let big = env.fake.create_group(TENANT, "Big");
    let empty = env.fake.create_group(TENANT, "Empty");
    let nested = env.fake.create_group(TENANT, "Nested");
    let members: BTreeSet<String> = (0..7).map(|n| env.user(&format!("m{n}"))).collect();
    for m in &members {
        env.fake.add_member(TENANT, &big, m);
    }
    env.fake.add_member(TENANT, &big, &nested);

    let (items, pages, _) = round(&env, "/v1.0/groups/delta?$select=displayName,members", &[]);
    assert!(pages >= 4, "{pages} pages");
    let big_objects: Vec<&Value> = items.iter().filter(|i| i["id"] == big).collect();
    assert!(big_objects.len() >= 3, "the big group repeats: {items:?}");
    assert!(big_objects.iter().all(|g| g["displayName"] == "Big"));
    let merged = member_deltas(&items);
    let mut want: BTreeMap<String, bool> = members.iter().map(|m| (m.clone(), false)).collect();
    want.insert(nested.clone(), false);
    assert_eq!(merged[&big], want);
    let empty_obj = items.iter().find(|i| i["id"] == empty).unwrap();
    assert!(
        empty_obj.get("members@delta").is_none(),
        "no members, no members@delta"
    );
    let nested_entry = big_objects
        .iter()
        .flat_map(|g| g["members@delta"].as_array().unwrap().iter())
        .find(|m| m["id"] == nested)
        .unwrap();
    assert_eq!(nested_entry["@odata.type"], "#microsoft.graph.group");
}

#[test]
fn groups_incremental_round_reports_member_changes_and_removals() {
    let env = Env::new();
    let eng = env.fake.create_group(TENANT, "Eng");
    let ops = env.fake.create_group(TENANT, "Ops");
    let doomed = env.fake.create_group(TENANT, "Doomed");
    let ada = env.user("ada");
    let bob = env.user("bob");
    let cy = env.user("cy");
    env.fake.add_member(TENANT, &eng, &ada);
    env.fake.add_member(TENANT, &eng, &bob);
    env.fake.add_member(TENANT, &ops, &cy);
    let (_, _, link) = round(&env, "/v1.0/groups/delta?$select=displayName,members", &[]);

    env.fake.remove_member(TENANT, &eng, &ada);
    env.fake.add_member(TENANT, &eng, &cy);
    env.fake.soft_delete_user(TENANT, &cy);
    env.fake
        .update_group(TENANT, &ops, json!({ "description": "unselected" }));
    env.fake.delete_group(TENANT, &doomed, true);
    let (items, _, link) = round(&env, &link, &[]);
    let got = by_id(&items);
    assert_eq!(
        got[&doomed],
        json!({ "id": doomed, "@removed": { "reason": "deleted" } })
    );
    let merged = member_deltas(&items);
    assert_eq!(
        merged[&eng],
        BTreeMap::from([(ada.clone(), true), (cy.clone(), true)]),
        "ada removed; cy added then soft-deleted: removed"
    );
    assert_eq!(
        merged[&ops],
        BTreeMap::from([(cy.clone(), true)]),
        "cy's soft delete drops its edges"
    );
    let removal = got[&eng]["members@delta"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == ada)
        .unwrap()
        .clone();
    assert_eq!(
        removal,
        json!({ "@odata.type": "#microsoft.graph.user", "id": ada, "@removed": { "reason": "deleted" } })
    );

    env.fake.restore_user(TENANT, &cy);
    env.fake.delete_group(TENANT, &ops, false);
    let (items, _, _) = round(&env, &link, &[]);
    let got = by_id(&items);
    assert_eq!(
        member_deltas(&items)[&eng],
        BTreeMap::from([(cy.clone(), false)]),
        "restored edges come back"
    );
    assert_eq!(
        got[&ops],
        json!({ "id": ops, "@removed": { "reason": "changed" } })
    );
}

#[test]
fn groups_incremental_round_splits_members_too() {
    let env = Env::new();
    let big = env.fake.create_group(TENANT, "Big");
    let (_, _, link) = round(&env, "/v1.0/groups/delta", &[]);
    env.fake.set_delta_page_size(4);
    let members: BTreeSet<String> = (0..10).map(|n| env.user(&format!("n{n}"))).collect();
    for m in &members {
        env.fake.add_member(TENANT, &big, m);
    }
    let (items, pages, _) = round(&env, &link, &[]);
    assert!(pages >= 3, "{pages}");
    assert!(items.iter().all(|i| i["id"] == big));
    assert!(
        items[0]["displayName"] == "Big",
        "default select includes displayName and members"
    );
    let merged = member_deltas(&items);
    assert_eq!(
        merged[&big].keys().cloned().collect::<BTreeSet<_>>(),
        members
    );
}

#[test]
fn replay_knob_redelivers_recent_changes() {
    let env = Env::new();
    let ada = env.user("ada");
    let (_, _, link) = round(&env, "/v1.0/users/delta?$select=displayName", &[]);
    env.fake.set_delta_replay(1);
    let (items, _, _) = round(&env, &link, &[]);
    assert_eq!(super::ids(&items), [ada.as_str()], "ada's creation, again");
}
