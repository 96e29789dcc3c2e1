//! The Graph client against the Graph fake: tokens, paging, delta, throttling, errors and
//! Test Connection, with waits recorded instead of slept.

use graph_fake::{
    fixtures, FakeGraph, Fault, FaultResponse, NewUser, DIRECTORY_READ_ALL, GROUP_MEMBER_READ_ALL,
    GROUP_READ_ALL, USER_READ_ALL,
};
use scimd::sync::graph::{
    Credential, DeltaItem, DeltaKind, GraphClient, GraphError, GraphSettings, MemberKind, Pacing,
    PrincipalType, Priority, ProbeReport, Removal, TokenCache,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const TENANT: &str = "5d1e1f55-6f42-4d1a-9a57-1f4f0d2a1c01";
const CLIENT: &str = "0c4a7b0e-3e1f-4f7e-8d59-6d2f9c3b7a10";
const SECRET: &str = "s3cret~value";

/// A fake with one tenant and our app registered (secret) and consented.
fn consented() -> FakeGraph {
    let fake = FakeGraph::start();
    fake.add_tenant(TENANT);
    fake.add_app(TENANT, CLIENT, SECRET);
    fake
}

/// Waits go here instead of to the clock.
#[derive(Clone, Default)]
struct Sleeps(Arc<Mutex<Vec<Duration>>>);

impl Sleeps {
    fn all(&self) -> Vec<Duration> {
        self.0.lock().expect("sleeps").clone()
    }
}

fn pacing(sleeps: &Sleeps) -> Pacing {
    let log = sleeps.0.clone();
    Pacing {
        max_attempts: 4,
        max_wait: Duration::from_secs(120),
        page_cap: 1000,
        timeout: Duration::from_secs(10),
        priority: Priority::Low,
        sleep: Arc::new(move |d| log.lock().expect("sleeps").push(d)),
    }
}

fn settings(fake: &FakeGraph, credential: Credential) -> GraphSettings {
    GraphSettings {
        authority_url: fake.url(),
        graph_url: fake.url(),
        entra_tenant_id: TENANT.to_string(),
        client_id: CLIENT.to_string(),
        credential,
    }
}

fn client_with(fake: &FakeGraph, credential: Credential, pacing: Pacing) -> GraphClient {
    GraphClient::new(
        settings(fake, credential),
        pacing,
        Arc::new(TokenCache::default()),
    )
    .expect("client")
}

fn client(fake: &FakeGraph, sleeps: &Sleeps) -> GraphClient {
    client_with(fake, Credential::Secret(SECRET.to_string()), pacing(sleeps))
}

/// A whole delta round: its items in arrival order and the new deltaLink.
fn round(
    c: &GraphClient,
    kind: DeltaKind,
    link: Option<&str>,
) -> Result<(Vec<DeltaItem>, String), GraphError> {
    let mut items = Vec::new();
    let link = c.delta(kind, link, &mut |i| {
        items.push(i);
        Ok(())
    })?;
    Ok((items, link))
}

#[track_caller]
fn config_error(r: Result<impl std::fmt::Debug, GraphError>) -> (String, String, String) {
    match r {
        Err(GraphError::Config {
            code,
            message,
            hint,
        }) => (code, message, hint),
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

#[test]
fn users_delta_round_reads_selected_properties_with_priority_and_request_ids() {
    let fake = consented();
    let ada = fake.create_user(TENANT, NewUser::named("ada"));
    let sleeps = Sleeps::default();
    let c = client(&fake, &sleeps);
    let (items, link) = round(&c, DeltaKind::Users, None).expect("round");
    assert_eq!(items.len(), 1);
    let u = &items[0];
    assert_eq!(u.id, ada);
    assert_eq!(u.removed, None);
    for key in [
        "userPrincipalName",
        "mail",
        "displayName",
        "accountEnabled",
        "userType",
    ] {
        assert!(u.props.contains_key(key), "{key} in {:?}", u.props);
    }
    assert!(!u
        .props
        .keys()
        .any(|k| k == "id" || k.starts_with("@odata.")));
    assert!(link.starts_with(&fake.url()), "{link}");

    let graph: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/v1.0/"))
        .collect();
    assert_eq!(graph[0].path, "/v1.0/users/delta");
    assert!(graph[0].query.contains("$select="), "{}", graph[0].query);
    assert!(!graph[0].query.contains("$top"));
    for r in &graph {
        assert!(r.authorization);
        assert_eq!(r.throttle_priority.as_deref(), Some("low"));
        assert!(r.client_request_id.is_some());
    }
    let stats = c.stats();
    assert_eq!(stats.calls, graph.len() as u64);
    assert_eq!(stats.token_requests, 1);
    assert!(sleeps.all().is_empty());
}

#[test]
fn token_is_cached_and_refreshed_once_after_a_mid_run_401() {
    let fake = consented();
    for name in ["ada", "bob", "cy"] {
        fake.create_user(TENANT, NewUser::named(name));
    }
    fake.set_delta_page_size(1);
    let sleeps = Sleeps::default();
    let c = client(&fake, &sleeps);
    let (_, link) = round(&c, DeltaKind::Users, None).expect("first round");
    assert_eq!(c.stats().token_requests, 1, "one token for every page");

    // The token dies in the middle of the next round (Graph: lifetime validation failed).
    fake.create_user(TENANT, NewUser::named("dee"));
    fake.expire_tokens();
    let (items, _) = round(&c, DeltaKind::Users, Some(&link)).expect("second round");
    assert!(items.iter().any(|i| {
        i.props.get("userPrincipalName").and_then(|v| v.as_str()) == Some("dee@contoso.com")
    }));
    assert_eq!(c.stats().token_requests, 2);
    assert!(fake.requests().iter().any(|r| r.status == 401));
    assert!(sleeps.all().is_empty(), "a refresh does not wait");

    // Another client of the same process and directory shares the cached token.
    let shared = Arc::new(TokenCache::default());
    let mk = || {
        GraphClient::new(
            settings(&fake, Credential::Secret(SECRET.to_string())),
            pacing(&sleeps),
            shared.clone(),
        )
        .expect("client")
    };
    let (a, b) = (mk(), mk());
    a.service_principal(CLIENT).expect("a");
    b.service_principal(CLIENT).expect("b");
    assert_eq!(a.stats().token_requests + b.stats().token_requests, 1);
}

#[test]
fn a_token_rejected_twice_is_a_configuration_error() {
    let fake = consented();
    fake.inject(Fault::on("/v1.0/users/delta", FaultResponse::ExpiredToken).always());
    let c = client(&fake, &Sleeps::default());
    let (code, _, hint) = config_error(round(&c, DeltaKind::Users, None));
    assert_eq!(code, "InvalidAuthenticationToken");
    assert!(hint.contains("same cloud"), "{hint}");
    assert_eq!(c.stats().token_requests, 2);
}

#[test]
fn paging_delivers_every_page_and_a_page_cap_fails_instead_of_truncating() {
    let fake = consented();
    for i in 0..5 {
        fake.create_user(TENANT, NewUser::named(&format!("user{i}")));
    }
    fake.set_delta_page_size(1);
    let sleeps = Sleeps::default();
    let (items, _) = round(&client(&fake, &sleeps), DeltaKind::Users, None).expect("round");
    assert_eq!(items.len(), 5);

    let capped = client_with(
        &fake,
        Credential::Secret(SECRET.to_string()),
        Pacing {
            page_cap: 2,
            ..pacing(&sleeps)
        },
    );
    let mut delivered = 0;
    let err = capped
        .delta(DeltaKind::Users, None, &mut |_| {
            delivered += 1;
            Ok(())
        })
        .expect_err("page cap");
    assert!(matches!(err, GraphError::Malformed(_)), "{err:?}");
    assert!(err.to_string().contains("page cap"), "{err}");
    assert!(delivered <= 2);
}

#[test]
fn throttling_honours_retry_after_in_seconds_and_as_an_http_date() {
    let fake = consented();
    fake.create_user(TENANT, NewUser::named("ada"));
    fake.inject(Fault::on("/v1.0/users/delta", FaultResponse::throttled(7)));
    let sleeps = Sleeps::default();
    let c = client(&fake, &sleeps);
    let (items, _) = round(&c, DeltaKind::Users, None).expect("round");
    assert_eq!(items.len(), 1);
    assert_eq!(sleeps.all(), vec![Duration::from_secs(7)]);
    let stats = c.stats();
    assert_eq!(stats.throttled, 1);
    assert_eq!(stats.waited_ms, 7000);

    let at = chrono::Utc::now() + chrono::Duration::seconds(30);
    fake.inject(Fault::on(
        "/v1.0/users/delta",
        FaultResponse::Status {
            status: 429,
            retry_after: Some(at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()),
            code: "TooManyRequests".to_string(),
        },
    ));
    let sleeps = Sleeps::default();
    round(&client(&fake, &sleeps), DeltaKind::Users, None).expect("round");
    let waited = sleeps.all();
    assert_eq!(waited.len(), 1);
    assert!(
        waited[0] > Duration::from_secs(25) && waited[0] <= Duration::from_secs(30),
        "{waited:?}"
    );
}

#[test]
fn outages_without_retry_after_back_off_exponentially() {
    let fake = consented();
    fake.inject(Fault::on("/v1.0/users/delta", FaultResponse::status(503)).times(2));
    let sleeps = Sleeps::default();
    let c = client(&fake, &sleeps);
    round(&c, DeltaKind::Users, None).expect("round");
    let waited = sleeps.all();
    assert_eq!(waited.len(), 2);
    assert!(waited[0] >= Duration::from_millis(500) && waited[0] <= Duration::from_secs(1));
    assert!(waited[1] >= Duration::from_secs(1) && waited[1] <= Duration::from_secs(2));

    fake.inject(Fault::on("/v1.0/users/delta", FaultResponse::status(500)));
    fake.inject(Fault::on("/v1.0/users/delta", FaultResponse::status(504)));
    round(&c, DeltaKind::Users, None).expect("round after 500 and 504");
}

#[test]
fn throttling_that_outlasts_the_retries_is_transient_not_configuration() {
    let fake = consented();
    fake.inject(Fault::on("/v1.0/users/delta", FaultResponse::throttled(1)).always());
    let sleeps = Sleeps::default();
    let c = client(&fake, &sleeps);
    let err = round(&c, DeltaKind::Users, None).expect_err("throttled");
    assert!(matches!(err, GraphError::Transient(_)), "{err:?}");
    assert_eq!(sleeps.all(), vec![Duration::from_secs(1); 3]);
    let stats = c.stats();
    assert_eq!((stats.calls, stats.throttled), (4, 4));
    assert!(stats.last_request_id.is_some());
}

#[test]
fn malformed_pages_fail_the_read() {
    for breakage in [
        FaultResponse::MissingValue,
        FaultResponse::ValueNotArray,
        FaultResponse::TruncatedJson,
    ] {
        let fake = consented();
        fake.create_user(TENANT, NewUser::named("ada"));
        fake.inject(Fault::on("/v1.0/users/delta", breakage.clone()));
        let err = round(&client(&fake, &Sleeps::default()), DeltaKind::Users, None)
            .expect_err("malformed");
        assert!(
            matches!(err, GraphError::Malformed(_)),
            "{breakage:?}: {err:?}"
        );
    }
}

#[test]
fn expired_delta_state_asks_for_a_full_round() {
    let fake = consented();
    fake.create_user(TENANT, NewUser::named("ada"));
    let c = client(&fake, &Sleeps::default());
    let (_, link) = round(&c, DeltaKind::Users, None).expect("round");

    fake.inject(Fault::on("$deltatoken", FaultResponse::Gone));
    let err = round(&c, DeltaKind::Users, Some(&link)).expect_err("410");
    assert!(matches!(err, GraphError::DeltaExpired(_)), "{err:?}");

    fake.inject(Fault::on("$deltatoken", FaultResponse::SyncStateNotFound));
    let err = round(&c, DeltaKind::Users, Some(&link)).expect_err("syncStateNotFound");
    assert!(matches!(err, GraphError::DeltaExpired(_)), "{err:?}");

    // Delta tokens age out after 7 days on their own.
    fake.advance_clock(Duration::from_secs(8 * 24 * 3600));
    let err = round(&c, DeltaKind::Users, Some(&link)).expect_err("old token");
    assert!(matches!(err, GraphError::DeltaExpired(_)), "{err:?}");
}

#[test]
fn groups_delta_carries_typed_member_changes_and_removals() {
    let fake = consented();
    let ada = fake.create_user(TENANT, NewUser::named("ada"));
    let bob = fake.create_user(TENANT, NewUser::named("bob"));
    let eng = fake.create_group(TENANT, "Eng");
    let oncall = fake.create_group(TENANT, "Eng-Oncall");
    let laptop = fake.create_device(TENANT, "laptop");
    for m in [&ada, &bob, &oncall, &laptop] {
        fake.add_member(TENANT, &eng, m);
    }
    let c = client(&fake, &Sleeps::default());
    let (items, link) = round(&c, DeltaKind::Groups, None).expect("round");
    let members: Vec<_> = items
        .iter()
        .filter(|i| i.id == eng)
        .flat_map(|i| i.members.iter().cloned())
        .collect();
    let kind_of = |id: &str| members.iter().find(|m| m.id == id).map(|m| m.kind);
    assert_eq!(kind_of(&ada), Some(MemberKind::User));
    assert_eq!(kind_of(&bob), Some(MemberKind::User));
    assert_eq!(kind_of(&oncall), Some(MemberKind::Group));
    assert_eq!(kind_of(&laptop), Some(MemberKind::Other));
    assert!(members.iter().all(|m| !m.removed));
    let eng_item = items.iter().find(|i| i.id == eng).expect("eng");
    assert_eq!(
        eng_item.props.get("displayName").and_then(|v| v.as_str()),
        Some("Eng")
    );

    fake.remove_member(TENANT, &eng, &bob);
    fake.delete_group(TENANT, &oncall, true);
    let (items, _) = round(&c, DeltaKind::Groups, Some(&link)).expect("incremental");
    assert!(items
        .iter()
        .filter(|i| i.id == eng)
        .flat_map(|i| &i.members)
        .any(|m| m.id == bob && m.removed));
    assert!(items
        .iter()
        .any(|i| i.id == oncall && i.removed == Some(Removal::Deleted)));
}

#[test]
fn a_big_groups_members_arrive_over_several_pages_unmerged() {
    let fake = consented();
    let eng = fake.create_group(TENANT, "Eng");
    let users: Vec<String> = (0..7)
        .map(|i| fake.create_user(TENANT, NewUser::named(&format!("u{i}"))))
        .collect();
    for u in &users {
        fake.add_member(TENANT, &eng, u);
    }
    fake.set_delta_page_size(3);
    let (items, _) =
        round(&client(&fake, &Sleeps::default()), DeltaKind::Groups, None).expect("round");
    let slices: Vec<_> = items.iter().filter(|i| i.id == eng).collect();
    assert!(slices.len() > 1, "one group object per page slice");
    let total: usize = slices.iter().map(|i| i.members.len()).sum();
    assert_eq!(total, users.len());
}

#[test]
fn a_wrong_secret_says_the_secret_id_may_have_been_pasted() {
    let fake = consented();
    let c = client_with(
        &fake,
        Credential::Secret("the-secret-id".to_string()),
        pacing(&Sleeps::default()),
    );
    let (code, _, hint) = config_error(c.probe(None));
    assert_eq!(code, "AADSTS7000215");
    assert!(hint.contains("secret ID instead of its value"), "{hint}");
}

#[test]
fn an_expired_secret_and_an_unconsented_tenant_are_explained() {
    let fake = consented();
    fake.set_secret_expired(TENANT, CLIENT, true);
    let (code, message, _) = config_error(client(&fake, &Sleeps::default()).probe(None));
    assert_eq!(code, "AADSTS7000222");
    assert!(message.contains("expired"), "{message}");

    let fake = consented();
    fake.revoke_consent(TENANT, CLIENT);
    let (code, message, _) = config_error(client(&fake, &Sleeps::default()).probe(None));
    assert_eq!(code, "AADSTS700016");
    assert!(message.contains("not found in the tenant"), "{message}");
}

#[test]
fn a_missing_permission_is_configuration_naming_it() {
    let fake = consented();
    fake.revoke_permission(TENANT, CLIENT, USER_READ_ALL);
    fake.revoke_permission(TENANT, CLIENT, DIRECTORY_READ_ALL);
    let c = client(&fake, &Sleeps::default());
    let (code, message, hint) = config_error(round(&c, DeltaKind::Users, None));
    assert_eq!(code, "Authorization_RequestDenied");
    assert!(message.contains("User.Read.All"), "{message}");
    assert!(hint.contains("admin consent"), "{hint}");
    // Groups are still readable.
    round(&c, DeltaKind::Groups, None).expect("groups");
}

#[test]
fn probe_counts_users_and_groups_and_finds_the_service_principal_in_one_batch() {
    let fake = consented();
    for name in ["ada", "bob", "cy"] {
        fake.create_user(TENANT, NewUser::named(name));
    }
    fake.create_group(TENANT, "Eng");
    let c = client(&fake, &Sleeps::default());
    let report = c.probe(Some(CLIENT)).expect("probe");
    let sp = c.service_principal(CLIENT).expect("sp");
    assert_eq!(
        report,
        ProbeReport {
            users: Some(3),
            groups: Some(1),
            service_principal_id: sp,
        }
    );
    assert!(report.service_principal_id.is_some());
    let log = fake.requests();
    let batches: Vec<_> = log.iter().filter(|r| r.path == "/v1.0/$batch").collect();
    assert_eq!(batches.len(), 1);
    let counts: Vec<_> = log
        .iter()
        .filter(|r| r.batch_item && r.path.ends_with("/$count"))
        .collect();
    assert_eq!(counts.len(), 2);
    assert!(counts
        .iter()
        .all(|r| r.consistency_level.as_deref() == Some("eventual")));
}

#[test]
fn probe_retries_only_the_throttled_item_after_its_retry_after() {
    let fake = consented();
    fake.inject(Fault::on(
        "/v1.0/groups/$count",
        FaultResponse::throttled(4),
    ));
    let sleeps = Sleeps::default();
    let c = client(&fake, &sleeps);
    let report = c.probe(None).expect("probe");
    assert_eq!((report.users, report.groups), (Some(0), Some(0)));
    assert_eq!(sleeps.all(), vec![Duration::from_secs(4)]);
    let items: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.batch_item)
        .map(|r| r.path)
        .collect();
    assert_eq!(
        items
            .iter()
            .filter(|p| p.ends_with("/users/$count"))
            .count(),
        1
    );
    assert_eq!(
        items
            .iter()
            .filter(|p| p.ends_with("/groups/$count"))
            .count(),
        2
    );

    fake.inject(Fault::on("/v1.0/groups/$count", FaultResponse::throttled(1)).always());
    let err = c.probe(None).expect_err("keeps failing");
    assert!(matches!(err, GraphError::Transient(_)), "{err:?}");
}

#[test]
fn probe_names_the_missing_permission_and_the_missing_consent() {
    let fake = consented();
    for p in [GROUP_MEMBER_READ_ALL, GROUP_READ_ALL, DIRECTORY_READ_ALL] {
        fake.revoke_permission(TENANT, CLIENT, p);
    }
    let (_, message, _) = config_error(client(&fake, &Sleeps::default()).probe(None));
    assert!(message.contains("GroupMember.Read.All"), "{message}");

    // Consent revoked after the token was issued: the token still works, the service
    // principal is gone.
    let fake = consented();
    let c = client(&fake, &Sleeps::default());
    c.probe(Some(CLIENT)).expect("consented");
    fake.revoke_consent(TENANT, CLIENT);
    assert_eq!(c.service_principal(CLIENT), Ok(None));
    let (_, message, _) = config_error(c.probe(Some(CLIENT)));
    assert!(
        message.starts_with("service principal not found"),
        "{message}"
    );
}

#[test]
fn assignments_list_users_groups_and_service_principals() {
    let fake = consented();
    let ada = fake.create_user(TENANT, NewUser::named("ada"));
    let eng = fake.create_group(TENANT, "Eng");
    let other = fake.add_service_principal(TENANT, "11111111-2222-3333-4444-555555555555", "Other");
    for p in [&ada, &eng, &other] {
        fake.assign_to_app(TENANT, CLIENT, p);
    }
    fake.set_list_page_cap(1);
    let c = client(&fake, &Sleeps::default());
    let sp = c.service_principal(CLIENT).expect("lookup").expect("sp");
    let mut got: Vec<_> = c
        .app_role_assignments(&sp)
        .expect("assignments")
        .into_iter()
        .map(|a| (a.principal_id, a.principal_type))
        .collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    let mut want = vec![
        (ada, PrincipalType::User),
        (eng, PrincipalType::Group),
        (other, PrincipalType::ServicePrincipal),
    ];
    want.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(got, want);
    assert_eq!(
        c.service_principal("00000000-0000-0000-0000-00000000000f"),
        Ok(None)
    );
}

#[test]
fn certificate_credentials_get_tokens_and_a_wrong_key_is_explained() {
    let fake = FakeGraph::start();
    fake.add_tenant(TENANT);
    fake.add_app_certificate(TENANT, CLIENT, fixtures::CERTIFICATE_PEM);
    let cert = |key: &str| Credential::Certificate {
        private_key_pem: key.to_string(),
        certificate_pem: fixtures::CERTIFICATE_PEM.to_string(),
    };
    let sleeps = Sleeps::default();
    let c = client_with(&fake, cert(fixtures::PRIVATE_KEY_PEM), pacing(&sleeps));
    assert!(c.probe(None).is_ok());

    let wrong = client_with(
        &fake,
        cert(fixtures::OTHER_PRIVATE_KEY_PEM),
        pacing(&sleeps),
    );
    let (code, _, hint) = config_error(wrong.probe(None));
    assert_eq!(code, "AADSTS700027");
    assert!(hint.contains("certificate"), "{hint}");
}
