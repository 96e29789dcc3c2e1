//! Lists, single objects, relationships: `$select`, `$top`, `$filter`, paging, the
//! advanced-query rule, limited information.

use super::{ids, Env, CLIENT, TENANT};
use crate::NewUser;
use serde_json::json;

const EVENTUAL: (&str, &str) = ("ConsistencyLevel", "eventual");

#[test]
fn select_defaults_match_graph() {
    let env = Env::new();
    let ada = env.user("ada");
    let r = env.get("/v1.0/users");
    assert_eq!(r.status, 200);
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    assert!(r.header("x-ms-resource-unit").is_some());
    let user = &r.json()["value"][0];
    assert_eq!(user["id"], ada);
    assert_eq!(user["userPrincipalName"], "ada@contoso.com");
    assert_eq!(user["businessPhones"], json!([]));
    assert!(user.get("jobTitle").is_some_and(|v| v.is_null()));
    for absent in ["accountEnabled", "employeeId", "userType"] {
        assert!(
            user.get(absent).is_none(),
            "{absent} is not in the default set"
        );
    }
    let r = env.get("/v1.0/users?$select=id,accountEnabled,userType");
    let user = &r.json()["value"][0];
    assert_eq!(
        user,
        &json!({ "id": ada, "accountEnabled": true, "userType": "Member" })
    );
    let r = env.get("/v1.0/users?$select=displayName");
    assert_eq!(
        r.json()["value"][0],
        json!({ "displayName": "Ada Tester" }),
        "id only when selected"
    );
    let r = env.get("/v1.0/users?$select=id,noSuchProperty");
    assert_eq!((r.status, r.code()), (400, "Request_BadRequest".into()));

    let r = env.get(&format!("/v1.0/users/{ada}?$select=id,mail"));
    assert_eq!(r.json()["mail"], "ada@contoso.com");
    let r = env.get("/v1.0/users/ada@contoso.com?$select=id");
    assert_eq!(r.json()["id"], ada, "by UPN");
    let r = env.get(&format!("/v1.0/users/{}", uuid::Uuid::new_v4()));
    assert_eq!(
        (r.status, r.code()),
        (404, "Request_ResourceNotFound".into())
    );
    let r = env.get("/v1.0/groups/not-a-guid");
    assert_eq!(r.status, 400);
}

#[test]
fn top_bounds_and_paging_with_tamper_evident_tokens() {
    let env = Env::new();
    for n in 0..5 {
        env.user(&format!("u{n}"));
    }
    for bad in ["0", "1000", "x", "-5"] {
        let r = env.get(&format!("/v1.0/users?$top={bad}"));
        assert_eq!(r.status, 400, "$top={bad}");
    }
    assert_eq!(env.get("/v1.0/users?$top=999").status, 200);

    let (items, pages) = env.all_pages("/v1.0/users?$select=id,displayName&$top=2", &[]);
    assert_eq!((items.len(), pages), (5, 3));
    let mut sorted = ids(&items);
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 5, "no repeats");

    let first = env.get("/v1.0/users?$select=id&$top=2").json();
    let next = first["@odata.nextLink"].as_str().unwrap();
    assert!(next.starts_with(&env.fake.url()), "absolute: {next}");
    assert!(
        next.contains("$select=id") && next.contains("$top=2"),
        "keeps the query: {next}"
    );
    let token_at = next.find("$skiptoken=").unwrap() + "$skiptoken=".len();
    let mut tampered = next.to_owned();
    let c = if &next[token_at + 5..token_at + 6] == "A" {
        "B"
    } else {
        "A"
    };
    tampered.replace_range(token_at + 5..token_at + 6, c);
    let r = env.follow(&tampered, &[]);
    assert_eq!(
        (r.status, r.code()),
        (400, "Directory_ExpiredPageToken".into())
    );
    let reused = next.replace("$select=id", "$select=id,mail");
    assert_eq!(
        env.follow(&reused, &[]).status,
        400,
        "token bound to its query"
    );
    let other_list = next.replace("/v1.0/users", "/v1.0/groups");
    assert_eq!(
        env.follow(&other_list, &[]).status,
        400,
        "token bound to its path"
    );

    env.fake.set_list_page_cap(1);
    let (items, pages) = env.all_pages("/v1.0/users?$top=999", &[]);
    assert_eq!((items.len(), pages), (5, 5));
}

#[test]
fn filters_are_the_documented_subset() {
    let env = Env::new();
    let ada = env.user("ada");
    let bob = env.user("bob");
    env.fake.set_account_enabled(TENANT, &bob, false);
    let (items, _) = env.all_pages(
        "/v1.0/users?$filter=accountEnabled%20eq%20false&$select=id",
        &[],
    );
    assert_eq!(ids(&items), [bob.as_str()]);
    let (items, _) = env.all_pages("/v1.0/users?$filter=accountEnabled+eq+true&$select=id", &[]);
    assert_eq!(ids(&items), [ada.as_str()]);

    let eng = env.fake.create_group(TENANT, "Eng");
    env.fake.create_group(TENANT, "Ops");
    let (items, _) = env.all_pages(
        "/v1.0/groups?$filter=displayName%20in%20('eng','Sales')",
        &[],
    );
    assert_eq!(ids(&items), [eng]);
    let many: Vec<String> = (0..16).map(|i| format!("'g{i}'")).collect();
    let r = env.get(&format!(
        "/v1.0/groups?$filter=displayName%20in%20({})",
        many.join(",")
    ));
    assert_eq!(
        (r.status, r.code()),
        (400, "Request_UnsupportedQuery".into())
    );
    let r = env.get("/v1.0/users?$filter=startswith(displayName,'a')");
    assert_eq!(
        (r.status, r.code()),
        (400, "Request_UnsupportedQuery".into())
    );
    let r = env.get("/v1.0/users?$filter=accountEnabled%20ne%20true");
    assert_eq!(r.status, 400);
    let r = env.get("/v1.0/users?$orderby=displayName");
    assert_eq!(r.status, 400);

    let r = env.get(&format!(
        "/v1.0/servicePrincipals?$filter=appId%20eq%20'{CLIENT}'&$select=id,appId"
    ));
    let sp = &r.json()["value"][0];
    assert_eq!(sp["appId"], CLIENT);
    let r = env
        .get("/v1.0/servicePrincipals?$filter=appId%20eq%20'00000000-0000-0000-0000-000000000009'");
    assert_eq!(r.json()["value"], json!([]));
}

#[test]
fn advanced_queries_need_header_and_count_on_every_page() {
    let env = Env::new();
    let eng = env.fake.create_group(TENANT, "Eng");
    let sub = env.fake.create_group(TENANT, "Eng-Oncall");
    env.fake.add_member(TENANT, &eng, &sub);
    for n in 0..3 {
        let u = env.user(&format!("m{n}"));
        env.fake.add_member(TENANT, &sub, &u);
    }
    let cast = format!("/v1.0/groups/{eng}/transitiveMembers/microsoft.graph.user?$select=id,userPrincipalName&$top=2");
    let r = env.get(&cast);
    assert_eq!(
        (r.status, r.code()),
        (400, "Request_UnsupportedQuery".into())
    );
    let r = env.get_with(&cast, &[EVENTUAL]);
    assert_eq!(r.status, 400, "header alone is not enough");
    let counted = format!("{cast}&$count=true");
    assert_eq!(env.get(&counted).status, 400, "$count alone is not enough");
    let page1 = env.get_with(&counted, &[EVENTUAL]).json();
    assert_eq!(page1["@odata.count"], 3);
    let next = page1["@odata.nextLink"].as_str().unwrap();
    assert_eq!(
        env.follow(next, &[]).status,
        400,
        "ConsistencyLevel re-sent on every page"
    );
    let page2 = env.follow(next, &[EVENTUAL]).json();
    assert!(page2.get("@odata.count").is_none(), "count on page 1 only");
    assert_eq!(page2["value"].as_array().unwrap().len(), 1);

    let r = env.get(&format!(
        "/v1.0/groups/{eng}/members?$filter=accountEnabled%20eq%20true"
    ));
    assert_eq!(r.status, 400, "filters on relationships are advanced");

    let r = env.get("/v1.0/users/$count");
    assert_eq!((r.status, r.code()), (400, "Request_BadRequest".into()));
    let r = env.get_with("/v1.0/users/$count", &[EVENTUAL]);
    assert_eq!((r.status, r.text()), (200, "3".into()));
    assert!(r.header("content-type").unwrap().starts_with("text/plain"));
    let r = env.get("/v1.0/users?$count=true");
    assert!(
        r.json().get("@odata.count").is_none(),
        "silently ignored without the header"
    );
    let r = env.get_with("/v1.0/groups?$count=true", &[EVENTUAL]);
    assert_eq!(r.json()["@odata.count"], 2);
    assert_eq!(
        env.fake
            .requests()
            .iter()
            .filter(|q| q.consistency_level.is_some())
            .count(),
        5
    );
}

#[test]
fn members_carry_odata_type_and_limited_information() {
    let env = Env::new();
    let eng = env.fake.create_group(TENANT, "Eng");
    let sub = env.fake.create_group(TENANT, "Sub");
    let ada = env.user("ada");
    let laptop = env.fake.create_device(TENANT, "laptop");
    for m in [&sub, &ada, &laptop] {
        env.fake.add_member(TENANT, &eng, m);
    }
    let (items, _) = env.all_pages(
        &format!("/v1.0/groups/{eng}/members?$select=id,displayName,userPrincipalName"),
        &[],
    );
    let by_id = |id: &str| items.iter().find(|i| i["id"] == id).unwrap().clone();
    assert_eq!(by_id(&ada)["@odata.type"], "#microsoft.graph.user");
    assert_eq!(by_id(&ada)["userPrincipalName"], "ada@contoso.com");
    assert_eq!(by_id(&sub)["@odata.type"], "#microsoft.graph.group");
    assert!(by_id(&sub).get("userPrincipalName").is_none());
    assert_eq!(
        by_id(&laptop)["displayName"],
        "laptop",
        "Directory.Read.All covers devices"
    );

    env.fake
        .revoke_permission(TENANT, CLIENT, crate::USER_READ_ALL);
    env.fake
        .revoke_permission(TENANT, CLIENT, crate::DIRECTORY_READ_ALL);
    let (items, _) = env.all_pages(
        &format!("/v1.0/groups/{eng}/members?$select=id,userPrincipalName,mail"),
        &[],
    );
    let user = items.iter().find(|i| i["id"] == ada).unwrap();
    assert_eq!(
        user,
        &json!({ "@odata.type": "#microsoft.graph.user", "id": ada }),
        "GroupMember.Read.All alone"
    );
    let device = items.iter().find(|i| i["id"] == laptop).unwrap();
    assert_eq!(
        device,
        &json!({ "@odata.type": "#microsoft.graph.device", "id": laptop })
    );

    env.fake.soft_delete_user(TENANT, &ada);
    let (items, _) = env.all_pages(&format!("/v1.0/groups/{eng}/members"), &[]);
    assert_eq!(items.len(), 2, "recycle bin members are hidden");
    env.fake.restore_user(TENANT, &ada);
    let (items, _) = env.all_pages(&format!("/v1.0/groups/{eng}/members"), &[]);
    assert_eq!(items.len(), 3, "restored with its memberships");
}

#[test]
fn users_in_the_recycle_bin_and_member_of() {
    let env = Env::new();
    let ada = env.user("ada");
    let bob = env.user("bob");
    let eng = env.fake.create_group(TENANT, "Eng");
    env.fake.add_member(TENANT, &eng, &bob);
    env.fake.soft_delete_user(TENANT, &ada);
    let (items, _) = env.all_pages("/v1.0/users?$select=id", &[]);
    assert_eq!(ids(&items), [bob.as_str()]);
    assert_eq!(env.get(&format!("/v1.0/users/{ada}")).status, 404);
    let (items, _) = env.all_pages("/v1.0/directory/deletedItems/microsoft.graph.user", &[]);
    assert_eq!(ids(&items), [ada.as_str()]);
    assert!(items[0]["deletedDateTime"].is_string());
    let (items, _) = env.all_pages(&format!("/v1.0/users/{bob}/memberOf"), &[]);
    assert_eq!(ids(&items), [eng]);
}

#[test]
fn app_role_assignments() {
    let env = Env::new();
    let ada = env.user("ada");
    let eng = env.fake.create_group(TENANT, "Eng");
    env.fake.assign_to_app(TENANT, CLIENT, &ada);
    env.fake.assign_to_app(TENANT, CLIENT, &eng);
    let sp = env
        .get(&format!(
            "/v1.0/servicePrincipals(appId='{CLIENT}')?$select=id,appId"
        ))
        .json();
    let sp_id = sp["id"].as_str().unwrap().to_owned();
    let (items, _) = env.all_pages(
        &format!("/v1.0/servicePrincipals/{sp_id}/appRoleAssignedTo?$select=id,principalId,principalType,principalDisplayName,appRoleId&$top=1"),
        &[],
    );
    let mut got: Vec<(String, String)> = items
        .iter()
        .map(|a| {
            (
                a["principalId"].as_str().unwrap().to_owned(),
                a["principalType"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    got.sort();
    let mut want = vec![
        (ada.clone(), "User".to_owned()),
        (eng.clone(), "Group".to_owned()),
    ];
    want.sort();
    assert_eq!(got, want);
    assert_eq!(
        items[0]["appRoleId"],
        "00000000-0000-0000-0000-000000000000"
    );

    env.fake.unassign(TENANT, CLIENT, &ada);
    let (items, _) = env.all_pages(
        &format!("/v1.0/servicePrincipals/{sp_id}/appRoleAssignedTo"),
        &[],
    );
    assert_eq!(items.len(), 1);

    env.fake.revoke_consent(TENANT, CLIENT);
    let r = env.get(&format!(
        "/v1.0/servicePrincipals?$filter=appId%20eq%20'{CLIENT}'"
    ));
    assert_eq!(
        r.json()["value"],
        json!([]),
        "a token minted before the revocation still works"
    );
    let r = env.get(&format!("/v1.0/servicePrincipals(appId='{CLIENT}')"));
    assert_eq!(r.status, 404);
}

#[test]
fn garbage_gets_graph_shaped_errors_not_panics() {
    let env = Env::new();
    env.user("ada");
    for target in [
        "/v1.0/users?$top=%zz",
        "/v1.0/users?$select=",
        "/v1.0/users?$filter=(((((",
        "/v1.0/users?$filter=not%20not%20not%20not%20not%20not%20not%20not%20not%20not%20not%20not%20not%20not%20not%20not%20not%20not%20not%20not%20not%20not%20not%20not%20not%20not%20not%20not%20not%20not%20not%20not%20not%20not%20x",
        "/v1.0/users?$skiptoken=...",
        "/v1.0/users/delta?$deltatoken=abc.def",
        "/v1.0/users/delta?$skiptoken=abc",
        "/v1.0/nothing/here",
        "/v1.0/groups/00000000-0000-0000-0000-000000000000/members/microsoft.graph.nope",
        "/v1.0/servicePrincipals(appId=')",
        "/v1.0/users?$bogus=1",
        "/beta/users",
        "/v1.0/%ff%fe",
    ] {
        let r = env.get(target);
        assert!((400..500).contains(&r.status), "{target}: {}", r.status);
        assert!(!r.code().is_empty(), "{target}: {}", r.text());
    }
    let r = super::send(
        &env.fake.url(),
        "DELETE",
        "/v1.0/users",
        &[("Authorization", &format!("Bearer {}", env.token))],
        b"",
    );
    assert_eq!(r.status, 405);
    let r = super::send(&env.fake.url(), "GET", "/elsewhere", &[], b"");
    assert_eq!(r.status, 404);
    let _ = NewUser::default();
}
