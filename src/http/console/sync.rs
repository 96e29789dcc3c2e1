//! Pull sync (Microsoft Graph) in the console: the card on a tenant's page (configuration but
//! never the secret, health, recent runs; Sync now, Dry run, Test connection, Approve), a run's
//! page with its summary and plan, the configuration form, and Test Connection's answer.

use super::html::{
    badge, checkbox, code, dash, esc, fields, heading, input, json_block, layout, link,
    post_button, select, table, text, time, url_part, Section,
};
use super::session::Admin;
use super::tenants::{tenant_of, tenant_path};
use super::{block, ok, redirect, ConsoleError, Pairs};
use crate::http::pull_sync::test_connection;
use crate::http::AppState;
use crate::service::pull::{
    DirectoryChange, DirectoryView, PullCredential, RunView, ScopeMode, DEFAULT_AUTHORITY_URL,
    DEFAULT_GRAPH_URL, DEFAULT_INTERVAL_SECS, DEFAULT_MAX_REMOVALS, DEFAULT_MAX_REMOVAL_PERCENT,
    TRIGGER_MANUAL,
};
use crate::sync::graph::{GraphError, ProbeReport};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;

/// Runs listed on the tenant's page (the admin API and `scimd sync runs` list more).
pub const RECENT_RUNS: i64 = 10;
/// Who asked, in the run record.
const REQUESTED_BY: &str = "console";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/tenants/{tenant}/sync", web::get().to(form))
        .route("/tenants/{tenant}/sync", web::post().to(save))
        .route("/tenants/{tenant}/sync/runs", web::post().to(request_run))
        .route("/tenants/{tenant}/sync/runs/{id}", web::get().to(run))
        .route(
            "/tenants/{tenant}/sync/runs/{id}/approve",
            web::post().to(approve),
        )
        .route("/tenants/{tenant}/sync/test", web::post().to(test));
}

fn sync_path(tenant: &str) -> String {
    format!("{}/sync", tenant_path(tenant))
}

fn run_path(tenant: &str, id: &str) -> String {
    format!("{}/runs/{}", sync_path(tenant), url_part(id))
}

/// The "Pull sync" card of a tenant's page; `runs` newest first.
pub fn section(tenant: &str, view: Option<&DirectoryView>, runs: &[RunView]) -> String {
    let path = sync_path(tenant);
    let Some(v) = view else {
        return format!(
            "<section class=\"card\" id=\"pull-sync\"><h2>Pull sync (Microsoft Graph)</h2>\
<p class=\"empty\">Not configured: scimd does not read this tenant's users and groups from Microsoft Graph.</p>\
<p>{}</p><p class=\"hint\">For Entra tenants that cannot push with SCIM (Entra ID Free): scimd reads the directory \
through Graph and writes it into this tenant, as Entra's provisioning would.</p></section>",
            link(&path, "Configure pull sync")
        );
    };
    let actions = format!(
        "<div class=\"actions\">{}{}{}{}</div>",
        post_button(&format!("{path}/runs"), "sync-now", "Sync now", "", &[]),
        post_button(
            &format!("{path}/runs"),
            "sync-dry-run",
            "Dry run",
            "secondary",
            &[("dry_run", "on")]
        ),
        post_button(
            &format!("{path}/test"),
            "sync-test",
            "Test connection",
            "secondary",
            &[]
        ),
        link(&path, "Change configuration"),
    );
    format!(
        "<section class=\"card\" id=\"pull-sync\"><h2>Pull sync (Microsoft Graph)</h2>\
<div class=\"columns\">{}{}</div>{actions}<h3>Recent runs</h3>{}\
<p class=\"hint\">Sync now while a run is waiting joins that run. The first run after a configuration change is a dry run: \
it plans and changes nothing.</p></section>",
        fields("sync-config", &config_fields(v)),
        fields("sync-health", &health_fields(v)),
        runs_table(tenant, runs),
    )
}

fn config_fields(v: &DirectoryView) -> Vec<(&'static str, String)> {
    let credential = if v.credential == "certificate" {
        "certificate set"
    } else {
        "secret set"
    };
    let mut scope = format!("<code>{}</code>", esc(v.mode.as_str()));
    if v.mode == ScopeMode::Groups {
        let ids: Vec<String> = v.group_ids.iter().map(|g| code(Some(g))).collect();
        scope = format!("{scope} {}", ids.join(" "));
    }
    if v.mode == ScopeMode::Assigned {
        let app = v.app_id.as_deref().unwrap_or(&v.client_id);
        scope = format!("{scope} of app {}", code(Some(app)));
    }
    let schedule = if v.enabled {
        format!("every {} s", v.interval_secs)
    } else {
        format!(
            "paused (every {} s when on); Sync now still works",
            v.interval_secs
        )
    };
    vec![
        ("Entra tenant id", code(Some(&v.entra_tenant_id))),
        ("Client id", code(Some(&v.client_id))),
        ("Credential", badge("active", credential)),
        ("Scope", scope),
        (
            "Nested groups",
            esc(if v.flatten {
                "flattened into direct members"
            } else {
                "kept as members of type Group"
            }),
        ),
        (
            "Disabled users",
            esc(if v.include_disabled {
                "provisioned inactive"
            } else {
                "left out"
            }),
        ),
        ("Schedule", esc(&schedule)),
        (
            "Deletion guard",
            esc(&format!(
                "holds removals above {} or {} % per run",
                v.max_removals, v.max_removal_percent
            )),
        ),
        ("Authority URL", code(Some(&v.authority_url))),
        ("Graph URL", code(Some(&v.graph_url))),
    ]
}

fn health_fields(v: &DirectoryView) -> Vec<(&'static str, String)> {
    let health = match (&v.errored_since, &v.last_success_at) {
        (Some(_), _) => badge("failure", "failing"),
        (None, Some(_)) => badge("success", "healthy"),
        (None, None) => badge("neutral", "no run yet"),
    };
    let kind = if v.next_run_kind == "dry_run" {
        badge("skipped", "dry run")
    } else {
        badge("neutral", "apply")
    };
    vec![
        ("Health", health),
        ("Last success", time(v.last_success_at.as_deref())),
        ("Errored since", time(v.errored_since.as_deref())),
        (
            "Last error",
            format!(
                "<span id=\"sync-last-error\">{}</span>",
                text(v.last_error.as_deref())
            ),
        ),
        (
            "Next run",
            format!("{kind} {}", time(v.next_run_at.as_deref())),
        ),
        ("Last full read", time(v.last_full_at.as_deref())),
    ]
}

/// A run's status as a badge: green done, amber held back or partly done, red failed.
fn status(s: &str) -> String {
    let kind = match s {
        "succeeded" => "success",
        "quarantined" | "partial" => "skipped",
        "config_error" | "transient_error" | "failed" => "failure",
        _ => "neutral",
    };
    badge(kind, s)
}

/// `{"create_user": 3, …}` from a run summary, one count a line, zeros left out.
fn counts(v: &Value) -> String {
    let Some(m) = v.as_object() else {
        return dash();
    };
    let lines: Vec<String> = m
        .iter()
        .filter(|(_, n)| n.as_u64() != Some(0))
        .map(|(k, n)| format!("{} <strong>{}</strong>", esc(k), esc(&n.to_string())))
        .collect();
    if lines.is_empty() {
        "<span class=\"muted\">none</span>".to_string()
    } else {
        lines.join("<br>")
    }
}

/// Whether `run` is the one an approval would accept: the newest finished run, quarantined,
/// not yet approved (the service checks again).
fn approvable(run: &RunView, latest_finished: Option<&str>) -> bool {
    run.status == "quarantined" && run.approved_at.is_none() && latest_finished == Some(&run.id)
}

fn approve_button(tenant: &str, run: &RunView) -> String {
    post_button(
        &format!("{}/approve", run_path(tenant, &run.id)),
        "sync-approve",
        "Approve removals",
        "danger small",
        &[],
    )
}

fn runs_table(tenant: &str, runs: &[RunView]) -> String {
    let latest = runs.iter().find(|r| r.is_finished()).map(|r| r.id.as_str());
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|r| {
            let trigger = if r.dry_run {
                format!("{} (dry run)", r.trigger)
            } else {
                r.trigger.clone()
            };
            let action = if approvable(r, latest) {
                approve_button(tenant, r)
            } else {
                String::new()
            };
            vec![
                format!(
                    "<a class=\"run-link\" href=\"{}\">{}</a>",
                    esc(&run_path(tenant, &r.id)),
                    time(Some(&r.requested_at))
                ),
                status(&r.status),
                esc(&trigger),
                text(r.round.as_deref()),
                counts(&r.summary["planned"]),
                counts(&r.summary["applied"]),
                r.summary["held"]
                    .as_u64()
                    .map(|n| n.to_string())
                    .unwrap_or_else(dash),
                text(r.error.as_deref()),
                action,
            ]
        })
        .collect();
    table(
        "runs",
        &[
            "Requested",
            "Status",
            "Trigger",
            "Round",
            "Planned",
            "Applied",
            "Held",
            "Error",
            "",
        ],
        &rows,
        "No runs yet.",
    )
}

async fn request_run(
    _: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: String,
) -> Result<HttpResponse, ConsoleError> {
    let t = tenant_of(&req, &state).await?;
    let dry_run = !Pairs::parse(&body)?.get("dry_run").is_empty();
    let id = t.id.clone();
    let (run, created) = block(&state, move |s| {
        s.request_pull(&id, TRIGGER_MANUAL, REQUESTED_BY, dry_run)
    })
    .await?;
    let to = run_path(&t.name, &run.id);
    Ok(redirect(&if created {
        to
    } else {
        format!("{to}?already=pending")
    }))
}

async fn approve(
    _: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    let t = tenant_of(&req, &state).await?;
    let run_id = req.match_info().get("id").unwrap_or_default().to_string();
    let id = t.id.clone();
    let (_, next) = block(&state, move |s| {
        s.approve_pull_run(&id, &run_id, REQUESTED_BY)
    })
    .await?;
    Ok(redirect(&run_path(&t.name, &next.id)))
}

async fn run(
    _: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    let t = tenant_of(&req, &state).await?;
    let joined = Pairs::query(&req)?.get("already") == "pending";
    let run_id = req.match_info().get("id").unwrap_or_default().to_string();
    let (id, shown) = (t.id.clone(), run_id.clone());
    let (run, latest) = block(&state, move |s| {
        Ok((
            s.pull_run(&id, &run_id)?,
            s.last_finished_pull_run(&id)?.map(|r| r.id),
        ))
    })
    .await?;
    let run = run.ok_or_else(|| {
        ConsoleError::not_found(format!(
            "tenant {:?} has no sync run with id {shown:?}",
            t.name
        ))
    })?;
    Ok(ok(&run_page(&t.name, &run, latest.as_deref(), joined)))
}

fn run_page(tenant: &str, r: &RunView, latest: Option<&str>, joined: bool) -> String {
    let mut flash = String::new();
    if joined {
        flash.push_str(
            "<p class=\"flash warn\" role=\"status\">A run was already waiting; Sync now joined it instead of starting another.</p>",
        );
    }
    match r.status.as_str() {
        "pending" => flash.push_str(
            "<p class=\"flash warn\" role=\"status\">Waiting for the server's scheduler, which looks every few seconds; reload to follow.</p>",
        ),
        "running" => flash.push_str(
            "<p class=\"flash warn\" role=\"status\">Running: the summary shows the progress so far; reload to follow.</p>",
        ),
        _ => {}
    }
    if approvable(r, latest) {
        flash.push_str(&format!(
            "<div class=\"flash warn\" role=\"alert\"><p>The deletion guard held this run's removals back (listed in the plan below). \
Approving allows exactly these removals and starts a run to apply them; if the next plan's removals differ, it is held again.</p>{}</div>",
            approve_button(tenant, r)
        ));
    }
    let approved = match (&r.approved_at, &r.approved_by) {
        (Some(at), by) => format!("{} by {}", time(Some(at)), text(by.as_deref())),
        _ => dash(),
    };
    let list = [
        ("Status", status(&r.status)),
        (
            "Kind",
            esc(if r.dry_run {
                "dry run (plans, changes nothing)"
            } else {
                "apply"
            }),
        ),
        ("Trigger", esc(&r.trigger)),
        ("Requested by", text(Some(&r.requested_by))),
        ("Round", text(r.round.as_deref())),
        ("Requested", time(Some(&r.requested_at))),
        ("Started", time(r.started_at.as_deref())),
        ("Finished", time(r.finished_at.as_deref())),
        ("Error", text(r.error.as_deref())),
        ("Plan hash", code(r.plan_hash.as_deref())),
        ("Approved", approved),
    ];
    let plan = match &r.plan {
        Some(p) if !p.is_null() => json_block(p),
        _ => "<p class=\"empty\">No plan stored: dry runs keep their plan, quarantined runs the removals they held back.</p>"
            .to_string(),
    };
    let body = format!(
        "{}{flash}<section class=\"card\">{}</section>\
<section class=\"card\" id=\"run-summary\"><h2>Summary</h2>{}</section>\
<section class=\"card\" id=\"run-plan\"><h2>Plan</h2>{plan}</section>",
        heading(
            &[
                ("/admin/tenants", "Tenants"),
                (&tenant_path(tenant), tenant),
                (&format!("{}#pull-sync", tenant_path(tenant)), "Pull sync"),
            ],
            &format!("Sync run {}", r.id)
        ),
        fields("run-fields", &list),
        json_block(&r.summary),
    );
    layout(&format!("Sync run {}", r.id), Section::Tenants, true, &body)
}

async fn test(
    _: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    let t = tenant_of(&req, &state).await?;
    let name = t.name.clone();
    let result = block(&state, move |s| test_connection(s, &name)).await?;
    Ok(ok(&test_page(&t.name, &result)))
}

fn test_page(tenant: &str, result: &Result<ProbeReport, GraphError>) -> String {
    let count = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_else(dash);
    let outcome = match result {
        Ok(r) => format!(
            "<p class=\"flash ok\" role=\"status\" id=\"test-result\">Connected: scimd signed in and Graph answered.</p>{}",
            fields(
                "test-report",
                &[
                    ("Users", count(r.users)),
                    ("Groups", count(r.groups)),
                    ("Service principal", code(r.service_principal_id.as_deref())),
                ]
            )
        ),
        Err(e) => format!(
            "<p class=\"flash bad\" role=\"alert\" id=\"test-result\">The connection test failed: {}</p>",
            esc(&e.to_string())
        ),
    };
    let body = format!(
        "{}<section class=\"card\">{outcome}<p>{}</p></section>",
        heading(
            &[
                ("/admin/tenants", "Tenants"),
                (&tenant_path(tenant), tenant)
            ],
            "Test connection"
        ),
        link(
            &format!("{}#pull-sync", tenant_path(tenant)),
            "Back to the tenant"
        ),
    );
    layout("Test connection", Section::Tenants, true, &body)
}

async fn form(
    _: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    let t = tenant_of(&req, &state).await?;
    let name = t.name.clone();
    let view = block(&state, move |s| s.pull_view(&name)).await?;
    Ok(ok(&form_page(&t.name, view.as_ref())))
}

/// The configuration form, filled with the current values (or the defaults); the secret is
/// never filled in: blank keeps it.
fn form_page(tenant: &str, v: Option<&DirectoryView>) -> String {
    let value = |f: fn(&DirectoryView) -> String, default: &str| {
        v.map(f).unwrap_or_else(|| default.to_string())
    };
    let secret_hint = match v.map(|v| v.credential) {
        Some("certificate") => "a certificate is set; a secret here replaces it",
        Some(_) => "secret set; leave blank to keep it",
        None => "the secret's Value (Certificates & secrets)",
    };
    let mode = v.map(|v| v.mode.as_str()).unwrap_or("all");
    let inputs = [
        input(
            "text",
            "entra_tenant_id",
            "Entra tenant id",
            &value(|v| v.entra_tenant_id.clone(), ""),
            "GUID or contoso.onmicrosoft.com",
        ),
        input(
            "text",
            "client_id",
            "Application (client) id",
            &value(|v| v.client_id.clone(), ""),
            "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
        ),
        input(
            "password",
            "client_secret",
            "Client secret",
            "",
            secret_hint,
        ),
        input(
            "text",
            "authority_url",
            "Authority URL",
            &value(|v| v.authority_url.clone(), DEFAULT_AUTHORITY_URL),
            DEFAULT_AUTHORITY_URL,
        ),
        input(
            "text",
            "graph_url",
            "Graph URL",
            &value(|v| v.graph_url.clone(), DEFAULT_GRAPH_URL),
            DEFAULT_GRAPH_URL,
        ),
        select(
            "mode",
            "Scope",
            &[
                ("all", "all users and groups"),
                ("assigned", "assigned to the enterprise app"),
                ("groups", "the listed groups"),
            ],
            mode,
        ),
        input(
            "text",
            "group_ids",
            "Group object ids (scope: the listed groups)",
            &value(|v| v.group_ids.join(", "), ""),
            "comma-separated object ids",
        ),
        input(
            "text",
            "app_id",
            "App id (scope: assigned; blank = the client id)",
            &value(|v| v.app_id.clone().unwrap_or_default(), ""),
            "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
        ),
        input(
            "number",
            "interval_secs",
            "Interval between scheduled runs (s, at least 60)",
            &value(
                |v| v.interval_secs.to_string(),
                &DEFAULT_INTERVAL_SECS.to_string(),
            ),
            "",
        ),
        input(
            "number",
            "max_removals",
            "Removals per run without approval",
            &value(
                |v| v.max_removals.to_string(),
                &DEFAULT_MAX_REMOVALS.to_string(),
            ),
            "",
        ),
        input(
            "number",
            "max_removal_percent",
            "… and at most this % of what was pulled",
            &value(
                |v| v.max_removal_percent.to_string(),
                &DEFAULT_MAX_REMOVAL_PERCENT.to_string(),
            ),
            "",
        ),
    ];
    let checks = [
        checkbox(
            "flatten",
            "Flatten nested groups (members of nested groups become direct members)",
            v.is_some_and(|v| v.flatten),
        ),
        checkbox(
            "include_disabled",
            "Provision disabled users as inactive (unchecked: leave them out)",
            v.is_none_or(|v| v.include_disabled),
        ),
        checkbox(
            "enabled",
            "Scheduled runs (Sync now works either way)",
            v.is_none_or(|v| v.enabled),
        ),
    ];
    let body = format!(
        "{}<section class=\"card\"><form method=\"post\" action=\"{}\" class=\"config\">{}<div class=\"checks\">{}</div>\
<div class=\"buttons\"><button type=\"submit\" id=\"save-sync\">Save</button> {}</div></form>\
<p class=\"hint\">Saving makes the next run a dry run. A certificate credential (private_key_jwt) is set with \
<code>scimd sync configure --certificate … --private-key …</code> or the admin API. The app registration needs the Graph \
application permissions User.Read.All, Group.Read.All, GroupMember.Read.All (and Application.Read.All for the assigned scope), \
with admin consent.</p></section>",
        heading(
            &[("/admin/tenants", "Tenants"), (&tenant_path(tenant), tenant)],
            "Pull sync configuration"
        ),
        esc(&sync_path(tenant)),
        inputs.concat(),
        checks.concat(),
        link(&format!("{}#pull-sync", tenant_path(tenant)), "Cancel"),
    );
    layout("Pull sync configuration", Section::Tenants, true, &body)
}

/// The form as a change: every field is set (a blank URL is the default, blank group ids or
/// app id clear them), except a blank secret, which keeps the stored one.
fn change(f: &Pairs) -> Result<DirectoryChange, ConsoleError> {
    let given = |name: &str| Some(f.get(name)).filter(|v| !v.is_empty());
    let number = |name: &str, label: &str| -> Result<Option<u64>, ConsoleError> {
        let raw = f.get(name);
        if raw.is_empty() {
            return Ok(None);
        }
        raw.parse().map(Some).map_err(|_| {
            ConsoleError::bad_request(format!("{label} must be a whole number, got {raw:?}"))
        })
    };
    let checked = |name: &str| Some(!f.get(name).is_empty());
    let group_ids = f
        .get("group_ids")
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|g| !g.is_empty())
        .map(str::to_string)
        .collect();
    Ok(DirectoryChange {
        entra_tenant_id: given("entra_tenant_id"),
        client_id: given("client_id"),
        credential: given("client_secret").map(PullCredential::Secret),
        authority_url: Some(given("authority_url").unwrap_or_else(|| DEFAULT_AUTHORITY_URL.into())),
        graph_url: Some(given("graph_url").unwrap_or_else(|| DEFAULT_GRAPH_URL.into())),
        mode: given("mode").as_deref().map(ScopeMode::parse).transpose()?,
        group_ids: Some(group_ids),
        app_id: Some(f.get("app_id")),
        flatten: checked("flatten"),
        include_disabled: checked("include_disabled"),
        interval_secs: number("interval_secs", "the interval")?,
        max_removals: number("max_removals", "the removals per run")?,
        max_removal_percent: number("max_removal_percent", "the removal percentage")?,
        enabled: checked("enabled"),
    })
}

async fn save(
    _: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: String,
) -> Result<HttpResponse, ConsoleError> {
    let t = tenant_of(&req, &state).await?;
    let change = change(&Pairs::parse(&body)?)?;
    let name = t.name.clone();
    block(&state, move |s| s.configure_pull(&name, change)).await?;
    Ok(redirect(&format!("{}#pull-sync", tenant_path(&t.name))))
}
