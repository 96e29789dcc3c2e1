//! The client against a scripted HTTP server on 127.0.0.1: what it sends, how long it waits
//! (through a recording sleeper, so no test sleeps), and how failures come out.

use super::*;
use serde_json::json;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;

/// A request as the server saw it. Header names are lower-cased.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    target: String,
    headers: HashMap<String, String>,
    body: String,
}

struct Resp {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
}

fn resp(status: u16, body: Value) -> Resp {
    Resp {
        status,
        headers: Vec::new(),
        body: body.to_string(),
    }
}

impl Resp {
    fn header(mut self, name: &'static str, value: &str) -> Resp {
        self.headers.push((name, value.to_string()));
        self
    }
}

type Script = Box<dyn FnMut(&Seen, &str) -> Resp + Send>;

/// Answers every request with `script(request, own base URL)`; keeps what it saw.
struct Stub {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Stub {
    fn start(mut script: Script) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (base, log) = (url.clone(), seen.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                let mut parts = line.split_whitespace();
                let method = parts.next().unwrap_or_default().to_string();
                let target = parts.next().unwrap_or_default().to_string();
                let mut headers = HashMap::new();
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                        break;
                    }
                    if let Some((k, v)) = h.split_once(':') {
                        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                    }
                }
                let len = headers
                    .get("content-length")
                    .and_then(|l| l.parse().ok())
                    .unwrap_or(0);
                let mut body = vec![0; len];
                let _ = reader.read_exact(&mut body);
                let seen = Seen {
                    method,
                    target,
                    headers,
                    body: String::from_utf8_lossy(&body).into_owned(),
                };
                let r = script(&seen, &base);
                log.lock().expect("log").push(seen);
                let mut out = format!(
                    "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                    r.status,
                    r.body.len()
                );
                for (k, v) in r.headers {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                out.push_str("\r\n");
                out.push_str(&r.body);
                let _ = stream.write_all(out.as_bytes());
            }
        });
        Stub { url, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("log").clone()
    }

    fn graph_requests(&self) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.target.starts_with("/v1.0/"))
            .collect()
    }
}

/// The token endpoint's happy answer, numbering tokens so tests can tell them apart.
fn token_ok(n: usize) -> Resp {
    resp(
        200,
        json!({"token_type": "Bearer", "expires_in": 3599, "access_token": format!("tok-{n}")}),
    )
}

fn is_token(s: &Seen) -> bool {
    s.target == "/tid/oauth2/v2.0/token"
}

/// Sleeps recorded instead of slept.
fn recorder() -> (Arc<Mutex<Vec<Duration>>>, Pacing) {
    let slept = Arc::new(Mutex::new(Vec::new()));
    let log = slept.clone();
    let pacing = Pacing {
        max_attempts: 4,
        max_wait: Duration::from_secs(60),
        page_cap: 10,
        timeout: Duration::from_secs(10),
        priority: Priority::Low,
        sleep: Arc::new(move |d| log.lock().expect("sleeps").push(d)),
    };
    (slept, pacing)
}

fn client(stub: &Stub, pacing: Pacing) -> GraphClient {
    client_with(stub, pacing, Credential::Secret("s3cret".to_string()))
}

fn client_with(stub: &Stub, pacing: Pacing, credential: Credential) -> GraphClient {
    GraphClient::new(
        GraphSettings {
            authority_url: stub.url.clone(),
            graph_url: stub.url.clone(),
            entra_tenant_id: "tid".to_string(),
            client_id: "cid".to_string(),
            credential,
        },
        pacing,
        Arc::new(TokenCache::default()),
    )
    .expect("client")
}

fn slept(s: &Arc<Mutex<Vec<Duration>>>) -> Vec<Duration> {
    s.lock().expect("sleeps").clone()
}

#[test]
fn every_graph_request_carries_token_ids_and_priority() {
    let stub = Stub::start(Box::new(|s, _| {
        if is_token(s) {
            return token_ok(1);
        }
        resp(200, json!({"value": [{"id": "sp-1", "appId": "app"}]})).header("request-id", "rid-9")
    }));
    let (_, pacing) = recorder();
    let c = client(&stub, pacing);
    assert_eq!(c.service_principal("app"), Ok(Some("sp-1".to_string())));
    let seen = stub.seen();
    let token = &seen[0];
    assert!(is_token(token));
    for part in [
        "client_id=cid",
        "client_secret=s3cret",
        "grant_type=client_credentials",
        &format!(
            "scope={}",
            stub.url.replace(':', "%3A").replace('/', "%2F") + "%2F.default"
        ),
    ] {
        assert!(token.body.contains(part), "{part} in {}", token.body);
    }
    let g = &seen[1];
    assert_eq!(g.method, "GET");
    assert!(
        g.target
            .starts_with("/v1.0/servicePrincipals?$filter=appId%20eq%20"),
        "{}",
        g.target
    );
    assert_eq!(g.headers["authorization"], "Bearer tok-1");
    assert_eq!(g.headers["accept"], "application/json");
    assert_eq!(g.headers["x-ms-throttle-priority"], "low");
    assert!(uuid::Uuid::parse_str(&g.headers["client-request-id"]).is_ok());
    let stats = c.stats();
    assert_eq!((stats.calls, stats.token_requests), (1, 1));
    assert_eq!(stats.last_request_id.as_deref(), Some("rid-9"));
}

#[test]
fn throttling_waits_retry_after_and_outages_back_off() {
    let mut n = 0;
    let stub = Stub::start(Box::new(move |s, _| {
        if is_token(s) {
            return token_ok(1);
        }
        n += 1;
        match n {
            1 => {
                resp(429, json!({"error": {"code": "TooManyRequests"}})).header("Retry-After", "7")
            }
            2 => resp(503, json!({"error": {"code": "ServiceUnavailable"}})),
            _ => resp(200, json!({"value": []})),
        }
    }));
    let (sleeps, pacing) = recorder();
    let c = client(&stub, pacing);
    assert_eq!(c.service_principal("app"), Ok(None));
    let sleeps = slept(&sleeps);
    assert_eq!(sleeps[0], Duration::from_secs(7));
    // The second wait is backoff after attempt 2: 2 s with equal jitter.
    assert!(sleeps[1] >= Duration::from_secs(1) && sleeps[1] <= Duration::from_secs(2));
    let stats = c.stats();
    assert_eq!(stats.calls, 3);
    assert_eq!(stats.throttled, 2);
    let total: Duration = sleeps.iter().sum();
    assert_eq!(stats.waited_ms, total.as_millis() as u64);
}

#[test]
fn persistent_throttling_is_transient_never_configuration() {
    let stub = Stub::start(Box::new(|s, _| {
        if is_token(s) {
            return token_ok(1);
        }
        resp(429, json!({"error": {"code": "TooManyRequests"}})).header("Retry-After", "600")
    }));
    let (sleeps, pacing) = recorder();
    let c = client(&stub, pacing);
    let err = c.app_role_assignments("sp").expect_err("throttled");
    assert!(matches!(err, GraphError::Transient(_)), "{err:?}");
    assert!(err.to_string().contains("429"), "{err}");
    // 4 attempts, 3 waits, each Retry-After capped at max_wait.
    assert_eq!(slept(&sleeps), vec![Duration::from_secs(60); 3]);
    assert_eq!(stub.graph_requests().len(), 4);
}

#[test]
fn a_401_gets_one_new_token_and_a_second_401_is_configuration() {
    let mut tokens = 0;
    let stub = Stub::start(Box::new(move |s, _| {
        if is_token(s) {
            tokens += 1;
            return token_ok(tokens);
        }
        match s.headers["authorization"].as_str() {
            "Bearer tok-1" | "Bearer tok-3" => resp(
                401,
                json!({"error": {"code": "InvalidAuthenticationToken", "message": "Lifetime validation failed"}}),
            ),
            _ => resp(200, json!({"value": []})),
        }
    }));
    let (sleeps, pacing) = recorder();
    let c = client(&stub, pacing);
    assert_eq!(c.service_principal("a"), Ok(None));
    assert_eq!(c.stats().token_requests, 2);
    // The refreshed token is cached and reused.
    assert_eq!(c.service_principal("a"), Ok(None));
    assert_eq!(c.stats().token_requests, 2);
    assert!(slept(&sleeps).is_empty());

    // A client whose fresh token is rejected too: tok-3 then tok-4 are both refused.
    let stub2 = Stub::start(Box::new(|s, _| {
        if is_token(s) {
            return token_ok(3);
        }
        resp(
            401,
            json!({"error": {"code": "InvalidAuthenticationToken"}}),
        )
    }));
    let (_, pacing) = recorder();
    let err = client(&stub2, pacing)
        .service_principal("a")
        .expect_err("401");
    assert!(
        matches!(err, GraphError::Config { ref code, .. } if code == "InvalidAuthenticationToken"),
        "{err:?}"
    );
    assert_eq!(stub2.seen().iter().filter(|s| is_token(s)).count(), 2);
}

#[test]
fn wrong_secret_is_configuration_with_the_secret_id_hint() {
    let stub = Stub::start(Box::new(|_, _| {
        resp(
            401,
            json!({"error": "invalid_client", "error_codes": [7000215],
                "error_description": "AADSTS7000215: Invalid client secret provided."}),
        )
    }));
    let (_, pacing) = recorder();
    let c = client(&stub, pacing);
    let err = c.probe(None).expect_err("bad secret");
    let GraphError::Config { code, hint, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(code, "AADSTS7000215");
    assert!(hint.contains("secret ID instead of its value"));
    assert!(!err.to_string().contains("s3cret"));
    assert!(stub.graph_requests().is_empty());
}

#[test]
fn certificate_credentials_send_an_assertion_for_the_token_url() {
    let stub = Stub::start(Box::new(|_, _| token_ok(1)));
    let t = super::assertion::tests::test_cert();
    let (_, pacing) = recorder();
    let c = client_with(
        &stub,
        pacing,
        Credential::Certificate {
            private_key_pem: t.key_pkcs8.clone(),
            certificate_pem: t.cert.clone(),
        },
    );
    assert_eq!(c.access_token().as_deref(), Ok("tok-1"));
    let body = &stub.seen()[0].body;
    assert!(body.contains(
        "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
    ));
    assert!(!body.contains("client_secret"));
    let jwt = body
        .split('&')
        .find_map(|kv| kv.strip_prefix("client_assertion="))
        .expect("assertion");
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::PS256);
    v.set_audience(&[format!("{}/tid/oauth2/v2.0/token", stub.url)]);
    let claims = jsonwebtoken::decode::<Value>(
        jwt,
        &jsonwebtoken::DecodingKey::from_rsa_der(&t.public_pkcs1_der),
        &v,
    )
    .expect("valid assertion")
    .claims;
    assert_eq!(
        (claims["iss"].as_str(), claims["sub"].as_str()),
        (Some("cid"), Some("cid"))
    );
}

#[test]
fn delta_rounds_follow_next_links_and_return_the_delta_link() {
    let stub = Stub::start(Box::new(|s, base| {
        if is_token(s) {
            return token_ok(1);
        }
        if s.target.contains("$skiptoken=2") {
            return resp(
                200,
                json!({
                    "@odata.deltaLink": format!("{base}/v1.0/groups/delta?$deltatoken=d1"),
                    "value": [{"id": "g1", "members@delta": [{"@odata.type": "#microsoft.graph.user", "id": "u2"}]}]
                }),
            );
        }
        if s.target.contains("$skiptoken=1") {
            return resp(
                200,
                json!({"@odata.nextLink": format!("{base}/v1.0/groups/delta?$skiptoken=2"), "value": []}),
            );
        }
        resp(
            200,
            json!({
                "@odata.nextLink": format!("{base}/v1.0/groups/delta?$skiptoken=1"),
                "value": [{"id": "g1", "displayName": "Eng", "@odata.type": "#microsoft.graph.group",
                    "members@delta": [{"@odata.type": "#microsoft.graph.user", "id": "u1"}]},
                    {"id": "g9", "@removed": {"reason": "deleted"}}]
            }),
        )
    }));
    let (_, pacing) = recorder();
    let c = client(&stub, pacing);
    let mut items = Vec::new();
    let link = c
        .delta(DeltaKind::Groups, None, &mut |i| {
            items.push(i);
            Ok(())
        })
        .expect("round");
    assert_eq!(
        link,
        format!("{}/v1.0/groups/delta?$deltatoken=d1", stub.url)
    );
    // Not merged: g1 comes twice, with each page's slice of members.
    let ids: Vec<_> = items
        .iter()
        .map(|i| (i.id.as_str(), i.members.len()))
        .collect();
    assert_eq!(ids, vec![("g1", 1), ("g9", 0), ("g1", 1)]);
    assert_eq!(items[1].removed, Some(Removal::Deleted));
    let first = &stub.graph_requests()[0];
    assert_eq!(
        first.target,
        "/v1.0/groups/delta?$select=displayName,description,members"
    );

    // The saved link is requested verbatim.
    let before = stub.graph_requests().len();
    c.delta(DeltaKind::Groups, Some(&link), &mut |_| Ok(()))
        .expect("incremental");
    assert_eq!(
        stub.graph_requests()[before].target,
        "/v1.0/groups/delta?$deltatoken=d1"
    );
}

#[test]
fn untrustworthy_listings_fail_instead_of_looking_empty() {
    let stub = Stub::start(Box::new(|s, base| {
        if is_token(s) {
            return token_ok(1);
        }
        let t = s.target.as_str();
        if t.contains("/servicePrincipals/foreign/") {
            return resp(
                200,
                json!({"@odata.nextLink": "http://169.254.169.254/v1.0/x", "value": []}),
            );
        }
        if t.contains("/servicePrincipals/novalue/") {
            return resp(200, json!({"values": []}));
        }
        if t.contains("/servicePrincipals/gone/") {
            return resp(404, json!({"error": {"code": "Request_ResourceNotFound"}}));
        }
        if t.contains("/servicePrincipals/denied/") {
            return resp(
                403,
                json!({"error": {"code": "Authorization_RequestDenied"}}),
            );
        }
        if t.contains("/users/delta") {
            return resp(410, json!({"error": {"code": "Gone"}}));
        }
        // Endless paging: the cap must stop it.
        resp(
            200,
            json!({"@odata.nextLink": format!("{base}/v1.0/servicePrincipals/x/appRoleAssignedTo?$skiptoken=n"), "value": [{"principalId": "p", "principalType": "User"}]}),
        )
    }));
    let (_, pacing) = recorder();
    let c = client(&stub, pacing);
    let malformed =
        |r: Result<Vec<Assignment>, GraphError>| matches!(r, Err(GraphError::Malformed(_)));
    assert!(malformed(c.app_role_assignments("foreign")));
    assert!(malformed(c.app_role_assignments("novalue")));
    let capped = c.app_role_assignments("endless");
    assert!(malformed(capped.clone()), "{capped:?}");
    assert_eq!(
        stub.graph_requests()
            .iter()
            .filter(|s| s.target.contains("endless"))
            .count(),
        1
    );
    assert!(
        stub.graph_requests()
            .iter()
            .filter(|s| s.target.contains("/x/"))
            .count()
            == 9
    );
    assert_eq!(
        c.app_role_assignments("gone").expect_err("404"),
        super::error::sp_not_found()
    );
    let denied = c.app_role_assignments("denied").expect_err("403");
    assert!(
        denied.to_string().contains("Application.Read.All"),
        "{denied}"
    );
    let link = format!("{}/v1.0/users/delta?$deltatoken=old", stub.url);
    assert!(matches!(
        c.delta(DeltaKind::Users, Some(&link), &mut |_| Ok(())),
        Err(GraphError::DeltaExpired(_))
    ));
    // A saved link for another host is not even requested.
    let before = stub.graph_requests().len();
    assert!(matches!(
        c.delta(
            DeltaKind::Users,
            Some("https://graph.microsoft.com/v1.0/users/delta?$deltatoken=x"),
            &mut |_| Ok(())
        ),
        Err(GraphError::DeltaExpired(_))
    ));
    assert_eq!(stub.graph_requests().len(), before);
}

#[test]
fn nearly_spent_budget_slows_the_next_request() {
    let stub = Stub::start(Box::new(|s, _| {
        if is_token(s) {
            return token_ok(1);
        }
        resp(200, json!({"value": []})).header("x-ms-throttle-limit-percentage", "0.9")
    }));
    let (sleeps, pacing) = recorder();
    let c = client(&stub, pacing);
    c.service_principal("a").expect("first");
    assert!(slept(&sleeps).is_empty());
    c.service_principal("a").expect("second");
    assert_eq!(slept(&sleeps), vec![Duration::from_millis(300)]);
}

#[test]
fn probe_batches_counts_and_retries_only_the_failed_item() {
    let mut batches = 0;
    let stub = Stub::start(Box::new(move |s, _| {
        if is_token(s) {
            return token_ok(1);
        }
        batches += 1;
        let req: Value = serde_json::from_str(&s.body).unwrap_or_default();
        let ids: Vec<&str> = req["requests"]
            .as_array()
            .map(|r| r.iter().filter_map(|r| r["id"].as_str()).collect())
            .unwrap_or_default();
        let responses: Vec<Value> = ids
            .iter()
            .map(|id| match (*id, batches) {
                ("users", _) => json!({"id": "users", "status": 200, "body": 12}),
                ("groups", 1) => json!({"id": "groups", "status": 429, "headers": {"Retry-After": "3"},
                    "body": {"error": {"code": "TooManyRequests"}}}),
                ("groups", _) => json!({"id": "groups", "status": 200, "body": "4"}),
                (_, _) => json!({"id": id, "status": 200, "body": {"value": [{"id": "sp-7", "appId": "app"}]}}),
            })
            .collect();
        resp(200, json!({ "responses": responses }))
    }));
    let (sleeps, pacing) = recorder();
    let c = client(&stub, pacing);
    let report = c.probe(Some("app")).expect("probe");
    assert_eq!(
        report,
        ProbeReport {
            users: Some(12),
            groups: Some(4),
            service_principal_id: Some("sp-7".to_string())
        }
    );
    assert_eq!(slept(&sleeps), vec![Duration::from_secs(3)]);
    let batches = stub.graph_requests();
    assert_eq!(batches.len(), 2);
    assert_eq!(batches[0].target, "/v1.0/$batch");
    let first: Value = serde_json::from_str(&batches[0].body).expect("json");
    assert_eq!(first["requests"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        first["requests"][0]["headers"]["ConsistencyLevel"],
        "eventual"
    );
    let second: Value = serde_json::from_str(&batches[1].body).expect("json");
    assert_eq!(second["requests"].as_array().map(Vec::len), Some(1));
    assert_eq!(second["requests"][0]["id"], "groups");
}

#[test]
fn probe_names_missing_permissions_and_missing_consent() {
    let stub = Stub::start(Box::new(|s, _| {
        if is_token(s) {
            return token_ok(1);
        }
        resp(
            200,
            json!({"responses": [
                {"id": "users", "status": 200, "body": 1},
                {"id": "groups", "status": 403, "body": {"error": {"code": "Authorization_RequestDenied"}}},
                {"id": "servicePrincipal", "status": 200, "body": {"value": []}}
            ]}),
        )
    }));
    let (_, pacing) = recorder();
    let err = client(&stub, pacing).probe(Some("app")).expect_err("403");
    assert!(err.to_string().contains("GroupMember.Read.All"), "{err}");

    let stub = Stub::start(Box::new(|s, _| {
        if is_token(s) {
            return token_ok(1);
        }
        resp(
            200,
            json!({"responses": [
                {"id": "users", "status": 200, "body": 1},
                {"id": "groups", "status": 200, "body": 1},
                {"id": "servicePrincipal", "status": 200, "body": {"value": []}}
            ]}),
        )
    }));
    let (_, pacing) = recorder();
    let err = client(&stub, pacing).probe(Some("app")).expect_err("no sp");
    assert!(
        err.to_string().starts_with("service principal not found"),
        "{err}"
    );
}

#[test]
fn settings_are_checked_before_any_call() {
    let (_, pacing) = recorder();
    let bad = |f: &dyn Fn(&mut GraphSettings)| {
        let mut s = GraphSettings {
            authority_url: "https://login.microsoftonline.com".to_string(),
            graph_url: "https://graph.microsoft.com".to_string(),
            entra_tenant_id: "contoso.onmicrosoft.com".to_string(),
            client_id: "cid".to_string(),
            credential: Credential::Secret("x".to_string()),
        };
        f(&mut s);
        matches!(
            GraphClient::new(s, pacing.clone(), Arc::new(TokenCache::default())),
            Err(GraphError::Config { .. })
        )
    };
    assert!(!bad(&|_| {}));
    assert!(bad(&|s| s.entra_tenant_id = "../evil".to_string()));
    assert!(bad(&|s| s.entra_tenant_id = String::new()));
    assert!(bad(&|s| s.graph_url = "graph.microsoft.com".to_string()));
    assert!(bad(&|s| s.authority_url = "ftp://x".to_string()));
    assert!(bad(&|s| s.client_id = " ".to_string()));
    assert!(bad(&|s| s.credential = Credential::Certificate {
        private_key_pem: "nope".to_string(),
        certificate_pem: "nope".to_string()
    }));
}
