//! Pull sync in the console: the card on the tenant's page, the configuration form (the secret
//! never shown, blank keeps it), Sync now / Dry run / Approve buttons creating runs, a run's
//! page, Test connection against the Graph fake, and directory data (group ids, errors, plans)
//! shown escaped, never run.

use super::escaping::{IMG_NAME, SCRIPT_NAME};
use super::{by_id, html, Console};
use crate::pull::{CLIENT_ID, ENTRA_TENANT, SECRET};
use crate::support::webdriver::Browser;
use crate::support::{each_server, sqlite, TestServer};
use crate::sync_admin::{acme_id, fake_directory, finish_run};
use scimd::service::pull::{DirectoryChange, PullCredential, ScopeMode};
use serde_json::json;

const TENANT: &str = "/admin/tenants/acme";
const FORM: &str = "/admin/tenants/acme/sync";
const RUNS: &str = "/admin/tenants/acme/sync/runs";

/// The configuration form as a browser submits it (unchecked boxes are simply absent).
fn form_fields(secret: &str) -> Vec<(&str, &str)> {
    vec![
        ("entra_tenant_id", "contoso.onmicrosoft.com"),
        ("client_id", CLIENT_ID),
        ("client_secret", secret),
        ("authority_url", ""),
        ("graph_url", "http://127.0.0.1:9"),
        ("mode", "all"),
        ("group_ids", ""),
        ("app_id", ""),
        ("interval_secs", "3600"),
        ("max_removals", "50"),
        ("max_removal_percent", "10"),
        ("flatten", "on"),
        ("enabled", "on"),
    ]
}

/// Where a 303 goes.
#[track_caller]
fn see_other(r: &crate::support::server::Reply) -> String {
    assert_eq!(r.status, 303, "{}", r.text);
    r.header("location").expect("Location").to_string()
}

#[test]
fn sync_is_configured_and_run_from_the_tenant_page() {
    each_server(|s| {
        let anon = Console::anonymous(s);
        assert_eq!(anon.get(FORM).header("location"), Some("/admin/login"));
        assert_eq!(
            anon.form(RUNS, &[]).header("location"),
            Some("/admin/login")
        );
        let c = Console::login(s);

        let page = html(&c.get(TENANT), 200).to_string();
        assert!(page.contains("Pull sync (Microsoft Graph)"), "{page}");
        assert!(page.contains("Not configured") && page.contains(&format!("href=\"{FORM}\"")));
        assert!(!page.contains("id=\"sync-now\""));
        let page = html(&c.get(FORM), 200).to_string();
        for name in [
            "entra_tenant_id",
            "client_id",
            "graph_url",
            "group_ids",
            "max_removals",
        ] {
            assert!(page.contains(&format!("name=\"{name}\"")), "{name}: {page}");
        }
        assert!(page.contains("type=\"password\" name=\"client_secret\" value=\"\""));
        // Nothing to run or test yet.
        assert!(html(&c.form(RUNS, &[]), 404).contains("not configured"));
        assert!(html(&c.form(&format!("{FORM}/test"), &[]), 404).contains("not configured"));

        // Bad input is a 400 naming it; nothing is stored.
        let mut missing = form_fields(SECRET);
        missing.retain(|(k, _)| *k != "client_id");
        assert!(html(&c.form(FORM, &missing), 400).contains("client_id"));
        let mut bad = form_fields(SECRET);
        for (k, v) in bad.iter_mut() {
            if *k == "max_removal_percent" {
                *v = "lots";
            }
        }
        assert!(
            html(&c.form(FORM, &bad), 400).contains("removal percentage must be a whole number")
        );
        assert!(s.services.pull_view("acme").unwrap().is_none());

        // Saved: back to the tenant page, the secret "set", never shown.
        let r = c.form(FORM, &form_fields(SECRET));
        assert_eq!(see_other(&r), format!("{TENANT}#pull-sync"));
        let view = s.services.pull_view("acme").unwrap().expect("configured");
        assert!(
            view.flatten && view.enabled && !view.include_disabled,
            "{view:?}"
        );
        assert_eq!(
            (
                view.interval_secs,
                view.max_removals,
                view.max_removal_percent
            ),
            (3600, 50, 10)
        );
        assert_eq!(view.authority_url, "https://login.microsoftonline.com");
        let page = html(&c.get(TENANT), 200).to_string();
        assert!(page.contains("id=\"sync-config\""), "{page}");
        assert!(page.contains("secret set") && page.contains("contoso.onmicrosoft.com"));
        assert!(
            page.contains("dry run"),
            "the first run is a dry run: {page}"
        );
        assert!(page.contains("No runs yet"));
        let form = html(&c.get(FORM), 200).to_string();
        assert!(form.contains("secret set; leave blank to keep it"));
        assert!(form.contains("value=\"3600\"") && form.contains(" checked>Flatten"));
        for p in [&page, &form] {
            assert!(!p.contains(SECRET), "the secret is on a page");
        }

        // Saved again with a blank secret: the secret is kept.
        let r = c.form(FORM, &form_fields(""));
        see_other(&r);
        let dir = s.services.pull_directory(&acme_id(s)).unwrap().unwrap();
        assert_eq!(dir.config.credential, PullCredential::Secret(SECRET.into()));

        // Sync now, then again: one pending run, and the second click says it joined it.
        let first = see_other(&c.form(RUNS, &[]));
        let runs = s.services.pull_runs(&acme_id(s), 10).unwrap();
        assert_eq!(runs.len(), 1);
        let id = runs[0].id.clone();
        assert_eq!(first, format!("{RUNS}/{id}"));
        assert!(!runs[0].dry_run);
        assert_eq!(runs[0].requested_by, "console");
        let again = see_other(&c.form(RUNS, &[("dry_run", "on")]));
        assert_eq!(again, format!("{RUNS}/{id}?already=pending"));
        assert_eq!(s.services.pull_runs(&acme_id(s), 10).unwrap().len(), 1);
        let page = html(&c.get(&again), 200).to_string();
        assert!(page.contains("Sync now joined it") && page.contains("Waiting for the server"));
        let page = html(&c.get(TENANT), 200).to_string();
        assert!(page.contains(&format!("href=\"{RUNS}/{id}\"")) && page.contains(">pending<"));

        // Quarantined: its counts on the tenant page, an Approve button there and on its page.
        finish_run(
            s,
            &id,
            "quarantined",
            json!({"planned": {"create_user": 3, "delete_user": 40, "update_user": 0},
                   "applied": {"create_user": 3}, "held": 40}),
            Some(
                json!({"counts": {"delete_user": 40}, "ops": [{"op": "delete_user", "entra_id": "u-9"}]}),
            ),
            None,
        );
        let page = html(&c.get(TENANT), 200).to_string();
        assert!(page.contains("delete_user <strong>40</strong>"), "{page}");
        assert!(!page.contains("update_user"), "zero counts are left out");
        assert!(page.contains("id=\"sync-approve\""));
        let run_page = html(&c.get(&first), 200).to_string();
        assert!(
            run_page.contains("held this run's removals back"),
            "{run_page}"
        );
        assert!(
            run_page.contains("&quot;entra_id&quot;: &quot;u-9&quot;"),
            "plan: {run_page}"
        );
        let approved = see_other(&c.form(&format!("{RUNS}/{id}/approve"), &[]));
        let runs = s.services.pull_runs(&acme_id(s), 10).unwrap();
        assert_eq!(runs[0].trigger, "approval");
        assert_eq!(approved, format!("{RUNS}/{}", runs[0].id));
        assert_eq!(runs[1].approved_by.as_deref(), Some("console"));
        // Approved: no more button; approving again is refused with the reason.
        let page = html(&c.get(&first), 200).to_string();
        assert!(!page.contains("id=\"sync-approve\""));
        assert!(
            html(&c.form(&format!("{RUNS}/{}/approve", runs[0].id), &[]), 400)
                .contains("not quarantined")
        );

        // Dry run once nothing is pending.
        finish_run(
            s,
            &runs[0].id,
            "succeeded",
            json!({"applied": {"delete_user": 40}}),
            None,
            None,
        );
        let dry = see_other(&c.form(RUNS, &[("dry_run", "on")]));
        let runs = s.services.pull_runs(&acme_id(s), 10).unwrap();
        assert_eq!(dry, format!("{RUNS}/{}", runs[0].id));
        assert!(runs[0].dry_run && runs[0].trigger == "manual");

        assert!(html(&c.get(&format!("{RUNS}/nope")), 404).contains("no sync run"));
        let r = c.request(
            "POST",
            RUNS,
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Origin", "https://evil.example"),
            ],
            Some(""),
        );
        assert!(html(&r, 403).contains("another site"));
    });
}

/// Configure acme directly, then end a run with markup in its error, summary and plan.
fn markup_run(s: &TestServer) -> String {
    s.services
        .configure_pull(
            "acme",
            DirectoryChange {
                entra_tenant_id: Some("contoso.onmicrosoft.com".into()),
                client_id: Some(CLIENT_ID.into()),
                credential: Some(PullCredential::Secret(SECRET.into())),
                mode: Some(ScopeMode::All),
                ..Default::default()
            },
        )
        .unwrap();
    let (run, _) = s
        .services
        .request_pull(&acme_id(s), "manual", "test", false)
        .unwrap();
    finish_run(
        s,
        &run.id,
        "config_error",
        json!({"planned": {IMG_NAME: 1}, "skipped": [{"detail": "</pre><script>window.__xss=1</script>"}]}),
        Some(json!({"ops": [{"op": "create_user", "entra_id": IMG_NAME}]})),
        Some(SCRIPT_NAME),
    );
    run.id
}

#[test]
fn sync_pages_show_markup_escaped() {
    each_server(|s| {
        let c = Console::login(s);
        let id = markup_run(s);
        for path in [TENANT.to_string(), format!("{RUNS}/{id}")] {
            let page = html(&c.get(&path), 200).to_string();
            for raw in ["<script>window", "<img src=x", "</pre><script>"] {
                assert!(!page.contains(raw), "{path} contains raw {raw:?}: {page}");
            }
            assert!(
                page.contains("&lt;script&gt;window.__xss=1&lt;/script&gt;"),
                "{path}: {page}"
            );
        }
        // The directory's last error is the run's.
        let page = c.get(TENANT).text;
        assert_eq!(
            by_id(&page, "sync-last-error"),
            Some("&lt;script&gt;window.__xss=1&lt;/script&gt;")
        );
        assert!(page.contains(">failing<"));
        // A group id with markup is refused, and the message shows it as text.
        let mut fields = form_fields("");
        fields.retain(|(k, _)| *k != "group_ids" && *k != "mode");
        fields.push(("mode", "groups"));
        fields.push(("group_ids", SCRIPT_NAME));
        let page = html(&c.form(FORM, &fields), 400).to_string();
        assert!(page.contains("is not a GUID"), "{page}");
        assert!(
            page.contains("&lt;script&gt;window.__xss=1&lt;/script&gt;")
                && !page.contains("<script>window"),
            "{page}"
        );
    });
}

#[test]
fn sync_card_in_chromium() {
    let Some(b) = Browser::start() else { return };
    let db = sqlite();
    let s = TestServer::start(&db.url);
    let id = markup_run(&s);
    let admin = s.services.create_admin_token(Some("browser")).unwrap();
    b.goto(&format!("{}/admin/login", s.root));
    b.type_into("#token", &admin.token);
    b.click_and_wait("#login");

    b.goto(&format!("{}{TENANT}", s.root));
    assert_eq!(b.exec("return typeof window.__xss"), json!("undefined"));
    assert!(b.text("#sync-last-error").contains(SCRIPT_NAME));
    b.exec("document.getElementById('pull-sync').scrollIntoView()");
    b.screenshot("14-pull-sync");
    b.click_and_wait("a.run-link");
    assert!(b.url().ends_with(&id), "{}", b.url());
    assert_eq!(b.exec("return typeof window.__xss"), json!("undefined"));
    assert!(b.text("#run-plan").contains(IMG_NAME));
    assert_eq!(
        b.exec("return document.querySelectorAll('main script, main img').length"),
        json!(0)
    );
    b.screenshot("15-pull-sync-run");

    // Sync now from the card: the run's page, pending.
    b.goto(&format!("{}{TENANT}", s.root));
    b.click_and_wait("#sync-now");
    assert!(b.url().contains("/sync/runs/"), "{}", b.url());
    assert!(b.text("main").contains("pending"));
    // The form keeps the secret when its field is left blank.
    b.goto(&format!("{}{FORM}", s.root));
    b.screenshot("16-pull-sync-form");
    b.type_into("input[name=interval_secs]", "0");
    b.click_and_wait("#save-sync");
    assert!(
        b.text("main").contains("below the minimum"),
        "{}",
        b.text("main")
    );
}

#[test]
fn sync_test_connection_button_shows_the_answer() {
    each_server(|s| {
        let (fake, _) = fake_directory();
        let c = Console::login(s);
        let url = fake.url();
        let mut fields = form_fields(SECRET);
        for (k, v) in fields.iter_mut() {
            match *k {
                "entra_tenant_id" => *v = ENTRA_TENANT,
                "authority_url" | "graph_url" => *v = &url,
                _ => {}
            }
        }
        see_other(&c.form(FORM, &fields));
        let page = html(&c.form(&format!("{FORM}/test"), &[]), 200).to_string();
        assert!(
            page.contains("Connected: scimd signed in and Graph answered."),
            "{page}"
        );
        assert!(page.contains("<dt>Users</dt><dd>2</dd><dt>Groups</dt><dd>1</dd>"));

        fake.revoke_consent(ENTRA_TENANT, CLIENT_ID);
        let page = html(&c.form(&format!("{FORM}/test"), &[]), 200).to_string();
        assert!(
            page.contains("The connection test failed: The application was not found in the tenant (AADSTS700016)"),
            "{page}"
        );
        assert!(!page.contains(SECRET));
    });
}
