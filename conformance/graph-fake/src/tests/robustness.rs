//! Handlers never panic: random recombinations of meaningful fragments go straight through
//! the request pipeline (no sockets, so thousands run in a blink).

use super::{CLIENT, SECRET, TENANT};
use crate::request::Incoming;
use crate::server::handle;
use crate::state::State;

const PATHS: &[&str] = &[
    "/v1.0/users",
    "/v1.0/users/delta",
    "/v1.0/groups/delta",
    "/v1.0/groups",
    "/v1.0/users/$count",
    "/v1.0/groups/{g}/members",
    "/v1.0/groups/{g}/transitiveMembers/microsoft.graph.user",
    "/v1.0/groups/{g}/members/$count",
    "/v1.0/servicePrincipals",
    "/v1.0/servicePrincipals(appId='x')",
    "/v1.0/users/{u}",
    "/v1.0/users/{u}/memberOf",
    "/v1.0/$batch",
    "/v1.0/%",
    "/v1.0//",
    "/v1.0",
    "/",
    "/t/oauth2/v2.0/token",
    "/v1.0/groups/{g}/members/microsoft.graph.x/$count",
];
const QUERY: &[&str] = &[
    "$top=",
    "$select=",
    "$filter=",
    "$count=",
    "$skiptoken=",
    "$deltatoken=",
    "$expand=",
    "&",
    "id",
    "displayName",
    "accountEnabled",
    "members",
    " eq ",
    " in ",
    " or ",
    " ne ",
    "not ",
    "'",
    "''",
    "(",
    ")",
    ",",
    "%",
    "%2",
    "%zz",
    "%27",
    "+",
    "true",
    "false",
    "999",
    "0",
    "-1",
    "99999999999999999999999",
    "latest",
    "é",
    "\u{0}",
    "startswith(",
    "$count",
    "=",
    "..",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

#[test]
fn random_requests_get_answers_not_panics() {
    let mut state = State::new("http://127.0.0.1:1".into());
    state
        .tenants
        .insert(TENANT.into(), crate::directory::Tenant::new(TENANT));
    let t = state.tenant_mut(TENANT).unwrap();
    let (u, g) = (
        crate::directory::Id::new_v4(),
        crate::directory::Id::new_v4(),
    );
    t.create_user(u, &crate::NewUser::named("ada"), 0).unwrap();
    t.create_group(g, "Eng", 0);
    t.add_member(&g, &u).unwrap();
    t.apps.entry(CLIENT.into()).or_default().secret = Some(SECRET.into());
    t.add_service_principal(crate::directory::Id::new_v4(), CLIENT, "app", 0);
    let token_req = Incoming {
        method: "POST".into(),
        path: format!("/{TENANT}/oauth2/v2.0/token"),
        query: String::new(),
        headers: vec![(
            "content-type".into(),
            "application/x-www-form-urlencoded".into(),
        )],
        body: super::form_encode(&[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT),
            ("client_secret", SECRET),
            ("scope", "http://127.0.0.1:1/.default"),
        ])
        .into_bytes(),
    };
    let reply = handle(&mut state, &token_req, false);
    assert_eq!(reply.status, 200);
    let token = match &reply.body {
        crate::reply::Body::Json(v) => v["access_token"].as_str().unwrap().to_owned(),
        _ => unreachable!(),
    };

    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut served = 0;
    for _ in 0..3_000 {
        let path = PATHS[rng.next(PATHS.len())]
            .replace("{u}", &u.to_string())
            .replace("{g}", &g.to_string());
        let query: String = (0..rng.next(8))
            .map(|_| QUERY[rng.next(QUERY.len())])
            .collect();
        let body: String = (0..rng.next(4))
            .map(|_| QUERY[rng.next(QUERY.len())])
            .collect();
        let mut headers = vec![("authorization".to_owned(), format!("Bearer {token}"))];
        if rng.next(2) == 0 {
            headers.push(("consistencylevel".into(), "eventual".into()));
        }
        let method = ["GET", "POST", "DELETE"][rng.next(3)];
        let req = Incoming {
            method: method.into(),
            path,
            query,
            headers,
            body: body.into_bytes(),
        };
        let reply = handle(&mut state, &req, false);
        served += usize::from(reply.status == 200);
        assert!(
            (200..500).contains(&reply.status),
            "{} {}?{} → {}",
            req.method,
            req.path,
            req.query,
            reply.status
        );
    }
    assert!(served > 100, "only {served} requests got through");
}
