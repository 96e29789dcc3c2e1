//! Pull sync through the admin API: configuration (validation naming the field, the secret never
//! answered), Sync Now de-duplicated while a run is pending, run history, approval, and Test
//! Connection against the Graph fake. The test servers run no scheduler, so a requested run stays pending until [`finish_run`] plays the
//! runner (through the same service calls it makes).

use crate::http::expect;
use crate::logs::admin_api::{admin, admin_error};
use crate::logs::admin_token;
use crate::logs::all_event_text;
use crate::pull::{CLIENT_ID, ENTRA_TENANT, SECRET};
use crate::support::server::Reply;
use crate::support::{each_server, TestServer};
use scimd::service::pull::RunFinish;
use scimd::sync::runner::Runner;
use serde_json::{json, Value};

const GROUP: &str = "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE";

/// The smallest valid configuration.
pub fn config() -> Value {
    json!({"entra_tenant_id": "contoso.onmicrosoft.com", "client_id": CLIENT_ID, "client_secret": SECRET,
           "graph_url": "http://127.0.0.1:9"})
}

/// The id of tenant `acme`.
pub fn acme_id(s: &TestServer) -> String {
    s.services.require_tenant("acme").expect("acme").id
}

/// End run `run_id` of tenant `acme` as the runner would: started, then finished with this
/// outcome (and the directory's health recorded).
pub fn finish_run(
    s: &TestServer,
    run_id: &str,
    status: &'static str,
    summary: Value,
    plan: Option<Value>,
    error: Option<&str>,
) {
    let tenant = acme_id(s);
    assert!(s.services.start_pull_run(run_id, "full").expect("start"));
    let finish = RunFinish {
        status,
        summary,
        plan,
        plan_hash: (status == "quarantined").then(|| "f00d".to_string()),
        error: error.map(str::to_string),
        planned: true,
        ok: error.is_none(),
        next_run_at: s.services.now() + chrono::Duration::hours(2),
    };
    s.services
        .finish_pull_run(&tenant, run_id, &finish)
        .expect("finish");
}

/// Every `Reply` text of a test, for "the secret is in none of them".
fn no_secret(replies: &[&Reply]) {
    for r in replies {
        assert!(
            !r.text.contains(SECRET),
            "the secret was answered: {}",
            r.text
        );
    }
}

#[test]
fn sync_configuration_is_validated_and_never_answers_the_secret() {
    each_server(|s| {
        let t = admin_token(s);
        let put = |body: Value| admin(s, &t, "PUT", "/tenants/acme/sync", Some(&body));
        admin_error(
            &admin(s, &t, "GET", "/tenants/acme/sync", None),
            404,
            "PUT /admin/v1/tenants/acme/sync",
        );
        admin_error(
            &admin(s, &s.token, "GET", "/tenants/acme/sync", None),
            401,
            "admin token",
        );
        admin_error(
            &admin(s, &t, "GET", "/tenants/nope/sync", None),
            404,
            "nope",
        );
        admin_error(
            &admin(s, &t, "DELETE", "/tenants/acme/sync", None),
            405,
            "GET, PUT",
        );

        // Each bad field is a 400 naming it; none of them answers the secret.
        let with = |extra: Value| {
            let mut body = config();
            for (k, v) in extra.as_object().unwrap() {
                body[k] = v.clone();
            }
            put(body)
        };
        let mut replies = Vec::new();
        let cases: Vec<(Reply, &str)> = vec![
            (put(json!({})), "entra_tenant_id"),
            (
                put(json!({"entra_tenant_id": "contoso.onmicrosoft.com", "client_secret": SECRET})),
                "client_id",
            ),
            (
                put(json!({"entra_tenant_id": "contoso.onmicrosoft.com", "client_id": CLIENT_ID})),
                "client_secret",
            ),
            (with(json!({"colour": "red"})), "colour"),
            (with(json!({"client_id": "my-app"})), "client id"),
            (
                with(json!({"client_secret": "  "})),
                "client secret is empty",
            ),
            (
                with(json!({"client_secret": 42})),
                "client_secret must be a string",
            ),
            (
                with(json!({"flatten": "yes"})),
                "flatten must be true or false",
            ),
            (
                with(json!({"interval_secs": -5})),
                "interval_secs must be a whole number",
            ),
            (
                with(json!({"interval_secs": 5})),
                "interval 5 s is below the minimum",
            ),
            (
                with(json!({"max_removal_percent": 150})),
                "max removal percent",
            ),
            (with(json!({"mode": "everyone"})), "mode \"everyone\""),
            (with(json!({"mode": "groups"})), "group_ids"),
            (
                with(json!({"mode": "groups", "group_ids": "x"})),
                "group_ids must be an array",
            ),
            (
                with(json!({"group_ids": ["not-a-guid"]})),
                "group id \"not-a-guid\"",
            ),
            (with(json!({"graph_url": "ftp://graph"})), "graph URL"),
            (
                with(json!({"authority_url": "login microsoft"})),
                "authority URL",
            ),
            (
                with(json!({"entra_tenant_id": "contoso corp"})),
                "Entra tenant id",
            ),
            (with(json!({"app_id": "x"})), "app id"),
            (
                with(json!({"certificate_pem": "-----BEGIN CERTIFICATE-----"})),
                "not both",
            ),
            (
                put(json!({"certificate_pem": "-----BEGIN CERTIFICATE-----"})),
                "private_key_pem",
            ),
            (
                put(json!({"private_key_pem": "-----BEGIN PRIVATE KEY-----"})),
                "certificate_pem",
            ),
        ];
        for (r, needle) in &cases {
            admin_error(r, 400, needle);
            replies.push(r);
        }
        no_secret(&replies);
        assert!(s.services.pull_view("acme").unwrap().is_none());

        // Created with the defaults; the secret is "set", never shown.
        let created = put(config());
        let view = expect(&created, 200);
        assert_eq!(view["tenant"], "acme");
        assert_eq!(view["client_id"], CLIENT_ID);
        assert_eq!(view["credential"], "secret");
        assert_eq!(view["mode"], "all");
        assert_eq!(view["authority_url"], "https://login.microsoftonline.com");
        assert_eq!(view["graph_url"], "http://127.0.0.1:9");
        assert_eq!(view["interval_secs"], 7200);
        assert_eq!(view["max_removals"], 500);
        assert_eq!(view["max_removal_percent"], 20);
        assert_eq!(view["include_disabled"], true);
        assert_eq!(view["enabled"], true);
        assert_eq!(view["next_run_kind"], "dry_run");
        let shown = admin(s, &t, "GET", "/tenants/acme/sync", None);
        assert_eq!(expect(&shown, 200), view);

        // A change names only what changes; the rest, the secret included, is kept.
        let changed = put(
            json!({"mode": "groups", "group_ids": [GROUP], "flatten": true,
                                 "max_removals": 0, "enabled": false}),
        );
        let view = expect(&changed, 200);
        assert_eq!(view["mode"], "groups");
        assert_eq!(view["group_ids"], json!([GROUP.to_ascii_lowercase()]));
        assert_eq!(view["flatten"], true);
        assert_eq!(view["max_removals"], 0);
        assert_eq!(view["enabled"], false);
        assert_eq!(view["client_id"], CLIENT_ID);
        assert_eq!(view["graph_url"], "http://127.0.0.1:9");
        let dir = s
            .services
            .pull_directory(&acme_id(s))
            .unwrap()
            .expect("directory");
        assert_eq!(
            dir.config.credential,
            scimd::service::pull::PullCredential::Secret(SECRET.into())
        );

        // A certificate replaces the secret; neither key nor certificate is answered.
        let key = "-----BEGIN PRIVATE KEY-----\nMIIkey-material\n-----END PRIVATE KEY-----";
        let cert = "-----BEGIN CERTIFICATE-----\nMIIcert-material\n-----END CERTIFICATE-----";
        let r = put(json!({"certificate_pem": cert, "private_key_pem": key}));
        assert_eq!(expect(&r, 200)["credential"], "certificate");
        assert!(!r.text.contains("key-material") && !r.text.contains("cert-material"));

        no_secret(&[&created, &shown, &changed, &r]);
        assert!(!all_event_text(s).contains(SECRET));
    });
}

#[test]
fn sync_now_is_one_run_while_one_is_pending() {
    each_server(|s| {
        let t = admin_token(s);
        admin_error(
            &admin(s, &t, "POST", "/tenants/acme/sync/runs", None),
            404,
            "not configured",
        );
        expect(
            &admin(s, &t, "PUT", "/tenants/acme/sync", Some(&config())),
            200,
        );

        // No body: an applying run. 202 with the run's Location.
        let first = admin(s, &t, "POST", "/tenants/acme/sync/runs", None);
        let body = expect(&first, 202);
        assert_eq!(body["created"], true, "{body}");
        let run = &body["run"];
        let id = run["id"].as_str().unwrap().to_string();
        assert_eq!(run["status"], "pending");
        assert_eq!(run["trigger"], "manual");
        assert_eq!(run["dry_run"], false);
        assert!(
            run["requested_by"]
                .as_str()
                .unwrap()
                .starts_with("admin api"),
            "{run}"
        );
        let location = first.header("location").expect("Location").to_string();
        assert_eq!(
            location,
            format!("{}/admin/v1/tenants/acme/sync/runs/{id}", s.root)
        );

        // Again (even asking for a dry run): the same pending run, not a second one.
        let second = admin(
            s,
            &t,
            "POST",
            "/tenants/acme/sync/runs",
            Some(&json!({"dry_run": true})),
        );
        let body = expect(&second, 202);
        assert_eq!(body["created"], false, "{body}");
        assert_eq!(body["run"]["id"], id.as_str());
        assert_eq!(second.header("location"), Some(location.as_str()));
        let auth = format!("Bearer {t}");
        let at = s.raw("GET", &location, &[("Authorization", &auth)], None);
        assert_eq!(expect(&at, 200)["id"], id.as_str());

        admin_error(
            &admin(
                s,
                &t,
                "POST",
                "/tenants/acme/sync/runs",
                Some(&json!({"dry_run": "yes"})),
            ),
            400,
            "invalid JSON body",
        );
        admin_error(
            &admin(
                s,
                &t,
                "POST",
                "/tenants/acme/sync/runs",
                Some(&json!({"force": true})),
            ),
            400,
            "force",
        );

        // Once it has run, Sync Now starts another.
        let plan =
            json!({"counts": {"create_user": 2}, "ops": [{"op": "create_user", "entra_id": "u1"}]});
        finish_run(
            s,
            &id,
            "dry_run",
            json!({"planned": {"create_user": 2}}),
            Some(plan.clone()),
            None,
        );
        let third = admin(
            s,
            &t,
            "POST",
            "/tenants/acme/sync/runs",
            Some(&json!({"dry_run": true})),
        );
        let body = expect(&third, 202);
        assert_eq!(body["created"], true);
        assert_eq!(body["run"]["dry_run"], true);
        let newer = body["run"]["id"].as_str().unwrap().to_string();
        assert_ne!(newer, id);

        // History: newest first, without plans; one run with its plan.
        let list = expect(&admin(s, &t, "GET", "/tenants/acme/sync/runs", None), 200);
        let ids: Vec<&str> = list["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [newer.as_str(), id.as_str()]);
        assert!(list["runs"][1].get("plan").is_none(), "{list}");
        assert_eq!(list["runs"][1]["status"], "dry_run");
        assert_eq!(list["runs"][1]["summary"]["planned"]["create_user"], 2);
        let one = expect(
            &admin(s, &t, "GET", "/tenants/acme/sync/runs?limit=1", None),
            200,
        );
        assert_eq!(one["runs"].as_array().unwrap().len(), 1);
        let detail = expect(
            &admin(s, &t, "GET", &format!("/tenants/acme/sync/runs/{id}"), None),
            200,
        );
        assert_eq!(detail["plan"], plan);
        assert!(detail["finished_at"].is_string());
        let view = expect(&admin(s, &t, "GET", "/tenants/acme/sync", None), 200);
        assert_eq!(view["next_run_kind"], "apply");

        admin_error(
            &admin(s, &t, "GET", "/tenants/acme/sync/runs?limit=0", None),
            400,
            "limit",
        );
        admin_error(
            &admin(s, &t, "GET", "/tenants/acme/sync/runs?status=x", None),
            400,
            "status",
        );
        admin_error(
            &admin(s, &t, "GET", "/tenants/acme/sync/runs/nope", None),
            404,
            "nope",
        );
        admin_error(
            &admin(s, &t, "GET", "/tenants/ghost/sync/runs", None),
            404,
            "ghost",
        );
    });
}

#[test]
fn sync_approval_takes_the_latest_quarantined_run_only() {
    each_server(|s| {
        let t = admin_token(s);
        expect(
            &admin(s, &t, "PUT", "/tenants/acme/sync", Some(&config())),
            200,
        );
        let request = || {
            expect(&admin(s, &t, "POST", "/tenants/acme/sync/runs", None), 202)["run"]["id"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let approve = |id: &str| {
            admin(
                s,
                &t,
                "POST",
                &format!("/tenants/acme/sync/runs/{id}/approve"),
                None,
            )
        };
        let first = request();
        admin_error(&approve(&first), 400, "pending, not quarantined");
        finish_run(s, &first, "succeeded", json!({}), None, None);
        admin_error(&approve(&first), 400, "succeeded, not quarantined");
        admin_error(&approve("nope"), 404, "nope");

        let held = request();
        let removals = json!({"counts": {"delete_user": 40}, "ops": [{"op": "delete_user", "entra_id": "u9"}]});
        finish_run(
            s,
            &held,
            "quarantined",
            json!({"planned": {"delete_user": 40}, "applied": {}, "held": 40}),
            Some(removals),
            None,
        );
        let r = approve(&held);
        let body = expect(&r, 202);
        assert_eq!(body["approved"]["id"], held.as_str());
        assert!(body["approved"]["approved_at"].is_string(), "{body}");
        assert!(
            body["approved"]["approved_by"]
                .as_str()
                .unwrap()
                .starts_with("admin api"),
            "{body}"
        );
        let next = body["run"]["id"].as_str().unwrap().to_string();
        assert_eq!(body["run"]["trigger"], "approval");
        assert_eq!(body["run"]["status"], "pending");
        assert_eq!(
            r.header("location"),
            Some(format!("{}/admin/v1/tenants/acme/sync/runs/{next}", s.root).as_str())
        );

        // The approval run is held again; the older quarantined run can no longer be approved.
        finish_run(s, &next, "quarantined", json!({"held": 41}), None, None);
        admin_error(&approve(&held), 409, "no longer the latest");
    });
}

#[test]
fn sync_test_needs_a_configured_directory() {
    each_server(|s| {
        let t = admin_token(s);
        admin_error(
            &admin(s, &t, "POST", "/tenants/acme/sync/test", None),
            404,
            "pull sync is not configured for tenant \"acme\"",
        );
        admin_error(
            &admin(s, &t, "POST", "/tenants/nope/sync/test", None),
            404,
            "nope",
        );
        admin_error(
            &admin(s, &t, "GET", "/tenants/acme/sync/test", None),
            405,
            "POST",
        );
    });
}

/// A Graph fake with the app registered (every read permission, consented), two users and a
/// group; `config` for it.
pub fn fake_directory() -> (graph_fake::FakeGraph, Value) {
    let fake = graph_fake::FakeGraph::start();
    fake.add_tenant(ENTRA_TENANT);
    fake.add_app(ENTRA_TENANT, CLIENT_ID, SECRET);
    let ada = fake.create_user(ENTRA_TENANT, graph_fake::NewUser::named("ada"));
    fake.create_user(ENTRA_TENANT, graph_fake::NewUser::named("bob"));
    let eng = fake.create_group(ENTRA_TENANT, "Eng");
    fake.add_member(ENTRA_TENANT, &eng, &ada);
    let config = json!({"entra_tenant_id": ENTRA_TENANT, "client_id": CLIENT_ID, "client_secret": SECRET,
                        "authority_url": fake.url(), "graph_url": fake.url()});
    (fake, config)
}

#[test]
fn sync_test_reports_what_graph_answers_and_why_it_fails() {
    each_server(|s| {
        let (fake, config) = fake_directory();
        let t = admin_token(s);
        let put =
            |body: Value| expect(&admin(s, &t, "PUT", "/tenants/acme/sync", Some(&body)), 200);
        let mut replies = Vec::new();
        let mut test = || {
            let r = admin(s, &t, "POST", "/tenants/acme/sync/test", None);
            let body = expect(&r, 200);
            replies.push(r);
            body
        };
        put(config);
        assert_eq!(
            test(),
            json!({"ok": true, "report": {"users": 2, "groups": 1, "service_principal_id": null}})
        );
        put(json!({"mode": "assigned"}));
        let body = test();
        assert!(body["report"]["service_principal_id"].is_string(), "{body}");

        // Each failure in the admin's terms, as a successful answer with "ok": false.
        let failure = |body: Value| -> String {
            assert_eq!(body["ok"], false, "{body}");
            body["error"].as_str().unwrap_or_default().to_string()
        };
        put(json!({"app_id": "99999999-8888-7777-6666-555555555555"}));
        let e = failure(test());
        assert!(e.contains("service principal not found"), "{e}");
        put(json!({"mode": "all", "client_secret": "the-secret-id-not-its-value"}));
        let e = failure(test());
        assert!(
            e.contains("AADSTS7000215") && e.contains("Invalid client secret"),
            "{e}"
        );
        put(json!({"client_secret": SECRET}));
        // Without a permission that reads users (Directory.Read.All would do too).
        let user_reads = [graph_fake::USER_READ_ALL, graph_fake::DIRECTORY_READ_ALL];
        for p in user_reads {
            fake.revoke_permission(ENTRA_TENANT, CLIENT_ID, p);
        }
        let e = failure(test());
        assert!(
            e.contains("denied reading users (needs User.Read.All)"),
            "{e}"
        );
        for p in user_reads {
            fake.grant_permission(ENTRA_TENANT, CLIENT_ID, p);
        }
        assert_eq!(test()["ok"], true);
        let refs: Vec<&Reply> = replies.iter().collect();
        no_secret(&refs);
    });
}

/// The whole loop over HTTP, a runner standing in for `serve`'s scheduler: Sync Now, the first
/// run a dry run with its plan, then applied; a removal over the threshold held until approved
/// through the API.
#[test]
fn sync_runs_requested_over_http_run_against_the_graph_fake() {
    each_server(|s| {
        let (fake, mut config) = fake_directory();
        let carl = fake.create_user(ENTRA_TENANT, graph_fake::NewUser::named("carl"));
        config["max_removals"] = json!(0);
        let t = admin_token(s);
        expect(
            &admin(s, &t, "PUT", "/tenants/acme/sync", Some(&config)),
            200,
        );
        let runner = Runner::new(s.services.clone(), "test runner".into());
        let tenant = acme_id(s);
        let run = |path: &str| {
            let body = expect(&admin(s, &t, "POST", path, None), 202);
            runner.run_pending(&tenant).expect("run").expect("it ran");
            let id = body["run"]["id"].as_str().unwrap().to_string();
            expect(
                &admin(s, &t, "GET", &format!("/tenants/acme/sync/runs/{id}"), None),
                200,
            )
        };
        let users = || expect(&s.get("/Users"), 200)["totalResults"].clone();

        let dry = run("/tenants/acme/sync/runs");
        assert_eq!(dry["status"], "dry_run", "{dry:#}");
        assert_eq!(dry["summary"]["planned"]["create_user"], 3, "{dry:#}");
        assert_eq!(dry["summary"]["planned"]["create_group"], 1, "{dry:#}");
        assert!(dry["plan"]["ops"].as_array().is_some_and(|o| o.len() >= 4));
        assert_eq!(users(), 0, "a dry run changes nothing");

        let applied = run("/tenants/acme/sync/runs");
        assert_eq!(applied["status"], "succeeded", "{applied:#}");
        assert_eq!(
            applied["summary"]["applied"]["create_user"], 3,
            "{applied:#}"
        );
        assert_eq!(users(), 3);

        fake.hard_delete_user(ENTRA_TENANT, &carl);
        let held = run("/tenants/acme/sync/runs");
        assert_eq!(held["status"], "quarantined", "{held:#}");
        assert_eq!(held["summary"]["held"], 1, "{held:#}");
        assert_eq!(users(), 3, "the removal waits for an admin");
        let id = held["id"].as_str().unwrap();
        let done = run(&format!("/tenants/acme/sync/runs/{id}/approve"));
        assert_eq!(done["trigger"], "approval");
        assert_eq!(done["status"], "succeeded", "{done:#}");
        assert_eq!(users(), 2);
    });
}
