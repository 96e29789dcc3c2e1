//! `$batch` (graph.md §2.11).

use super::{send, Env, TENANT};
use crate::{Fault, FaultResponse};
use serde_json::{json, Value};

fn batch(env: &Env, body: &Value) -> super::Response {
    let auth = format!("Bearer {}", env.token);
    send(
        &env.fake.url(),
        "POST",
        "/v1.0/$batch",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        body.to_string().as_bytes(),
    )
}

#[test]
fn items_answer_individually() {
    let env = Env::new();
    let ada = env.user("ada");
    let missing = uuid::Uuid::new_v4();
    let eng = env.fake.create_group(TENANT, "Eng");
    env.fake.add_member(TENANT, &eng, &ada);
    env.fake.inject(Fault::on(
        "/users/ada@contoso.com",
        FaultResponse::throttled(7),
    ));
    let r = batch(
        &env,
        &json!({ "requests": [
            { "id": "1", "method": "GET", "url": format!("/users/{ada}?$select=id,accountEnabled") },
            { "id": "2", "method": "GET", "url": format!("/users/{missing}") },
            { "id": "3", "method": "GET", "url": "/users/ada@contoso.com" },
            { "id": "4", "method": "GET", "url": format!("/groups/{eng}/members/microsoft.graph.user?$count=true"),
              "headers": { "ConsistencyLevel": "eventual" } },
            { "id": "5", "method": "GET", "url": format!("groups/{eng}/members/microsoft.graph.user?$count=true") },
        ]}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let responses = r.json()["responses"].as_array().unwrap().clone();
    let item = |id: &str| responses.iter().find(|x| x["id"] == id).unwrap().clone();
    assert_eq!(item("1")["status"], 200);
    assert_eq!(item("1")["body"]["accountEnabled"], true);
    assert_eq!(item("2")["status"], 404);
    assert_eq!(
        item("2")["body"]["error"]["code"],
        "Request_ResourceNotFound"
    );
    assert_eq!(item("3")["status"], 429);
    assert_eq!(item("3")["headers"]["Retry-After"], "7");
    assert_eq!(item("4")["status"], 200, "{}", item("4"));
    assert_eq!(item("4")["body"]["@odata.count"], 1);
    assert_eq!(
        item("5")["status"],
        400,
        "advanced-query headers go in each item"
    );

    let log = env.fake.requests();
    let items: Vec<_> = log.iter().filter(|l| l.batch_item).collect();
    assert_eq!(items.len(), 5);
    assert!(items
        .iter()
        .all(|l| l.authorization && l.path.starts_with("/v1.0/")));
    assert!(items.iter().any(|l| l.faulted && l.status == 429));
}

#[test]
fn the_batch_itself_is_validated() {
    let env = Env::new();
    let many: Vec<Value> = (0..21)
        .map(|i| json!({ "id": i.to_string(), "method": "GET", "url": "/users" }))
        .collect();
    assert_eq!(batch(&env, &json!({ "requests": many })).status, 400);
    assert_eq!(batch(&env, &json!({ "requests": [] })).status, 400);
    assert_eq!(batch(&env, &json!({ "nope": 1 })).status, 400);
    let dup = json!({ "requests": [
        { "id": "1", "method": "GET", "url": "/users" },
        { "id": "1", "method": "GET", "url": "/groups" } ]});
    assert_eq!(batch(&env, &dup).status, 400);
    let absolute = json!({ "requests": [{ "id": "1", "method": "GET", "url": "https://graph.microsoft.com/v1.0/users" }]});
    assert_eq!(batch(&env, &absolute).status, 400);
    let nested = json!({ "requests": [{ "id": "1", "method": "POST", "url": "/$batch" }]});
    assert_eq!(batch(&env, &nested).json()["responses"][0]["status"], 400);
    let r = send(
        &env.fake.url(),
        "POST",
        "/v1.0/$batch",
        &[("Content-Type", "application/json")],
        b"{not json",
    );
    assert_eq!(r.status, 401, "the batch needs a token first");
    let auth = format!("Bearer {}", env.token);
    let r = send(
        &env.fake.url(),
        "POST",
        "/v1.0/$batch",
        &[("Authorization", &auth)],
        b"{not json",
    );
    assert_eq!((r.status, r.code()), (400, "BadRequest".into()));
}
