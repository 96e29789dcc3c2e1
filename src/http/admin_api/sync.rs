//! `/admin/v1/tenants/{name}/sync…`: a tenant's pull-sync directory (never its secret), Sync
//! Now, run history and approval, and Test Connection (docs/pull-sync.md).

use super::tenants::root;
use super::{blocking, json_body, services, Admin};
use crate::http::error::AdminError;
use crate::http::pull_sync::{not_configured, test_connection};
use crate::http::AppState;
use crate::service::pull::{DirectoryChange, PullCredential, ScopeMode, TRIGGER_MANUAL};
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

/// Runs listed when no `limit` is given, and the most one page may hold.
const DEFAULT_RUNS: i64 = 20;
const MAX_RUNS: i64 = 1000;

pub async fn show(
    _: Admin,
    name: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    let name = name.into_inner();
    let view = blocking(services(&state), move |s| {
        s.pull_view(&name)?.ok_or_else(|| not_configured(&name))
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The body of `PUT …/sync`. Values stay JSON until [`change`] reads them, so a wrong type is
/// a 400 that names the field (serde's own message names only the type, and would echo the
/// value, which may be a secret). Absent or `null` keeps the current value.
#[derive(Deserialize, Default, PartialEq)]
#[serde(deny_unknown_fields)]
struct ConfigBody {
    entra_tenant_id: Option<Value>,
    client_id: Option<Value>,
    client_secret: Option<Value>,
    certificate_pem: Option<Value>,
    private_key_pem: Option<Value>,
    authority_url: Option<Value>,
    graph_url: Option<Value>,
    mode: Option<Value>,
    group_ids: Option<Value>,
    app_id: Option<Value>,
    flatten: Option<Value>,
    include_disabled: Option<Value>,
    interval_secs: Option<Value>,
    max_removals: Option<Value>,
    max_removal_percent: Option<Value>,
    enabled: Option<Value>,
}

/// `value` as a `T`, or a 400 saying what `name` must be.
fn field<T: DeserializeOwned>(
    value: Option<Value>,
    name: &str,
    expected: &str,
) -> Result<Option<T>, AdminError> {
    value
        .map(|v| {
            serde_json::from_value(v)
                .map_err(|_| AdminError::bad_request(format!("{name} must be {expected}")))
        })
        .transpose()
}

fn change(b: ConfigBody) -> Result<DirectoryChange, AdminError> {
    const TEXT: &str = "a string";
    const FLAG: &str = "true or false";
    const COUNT: &str = "a whole number (0 or more)";
    let secret: Option<String> = field(b.client_secret, "client_secret", TEXT)?;
    let cert: Option<String> = field(b.certificate_pem, "certificate_pem", "a PEM string")?;
    let key: Option<String> = field(b.private_key_pem, "private_key_pem", "a PEM string")?;
    let credential = match (secret, cert, key) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return Err(AdminError::bad_request(
                "give either client_secret or certificate_pem with private_key_pem, not both",
            ))
        }
        (Some(s), None, None) => Some(PullCredential::Secret(s)),
        (None, Some(certificate_pem), Some(private_key_pem)) => Some(PullCredential::Certificate {
            private_key_pem,
            certificate_pem,
        }),
        (None, Some(_), None) => {
            return Err(AdminError::bad_request(
                "certificate_pem needs private_key_pem (the certificate's PEM private key)",
            ))
        }
        (None, None, Some(_)) => {
            return Err(AdminError::bad_request(
                "private_key_pem needs certificate_pem (the PEM certificate uploaded to the app registration)",
            ))
        }
        (None, None, None) => None,
    };
    let mode: Option<String> = field(b.mode, "mode", "one of \"all\", \"assigned\", \"groups\"")?;
    Ok(DirectoryChange {
        entra_tenant_id: field(b.entra_tenant_id, "entra_tenant_id", TEXT)?,
        client_id: field(b.client_id, "client_id", TEXT)?,
        credential,
        authority_url: field(b.authority_url, "authority_url", TEXT)?,
        graph_url: field(b.graph_url, "graph_url", TEXT)?,
        mode: mode.as_deref().map(ScopeMode::parse).transpose()?,
        group_ids: field(
            b.group_ids,
            "group_ids",
            "an array of group object ids (strings)",
        )?,
        app_id: field(b.app_id, "app_id", TEXT)?,
        flatten: field(b.flatten, "flatten", FLAG)?,
        include_disabled: field(b.include_disabled, "include_disabled", FLAG)?,
        interval_secs: field(b.interval_secs, "interval_secs", COUNT)?,
        max_removals: field(b.max_removals, "max_removals", COUNT)?,
        max_removal_percent: field(b.max_removal_percent, "max_removal_percent", COUNT)?,
        enabled: field(b.enabled, "enabled", FLAG)?,
    })
}

/// Create or change the directory; the next run is a dry run. Answers the directory as `GET`.
pub async fn configure(
    _: Admin,
    name: web::Path<String>,
    body: Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    let body: ConfigBody = json_body(&body)?;
    if body == ConfigBody::default() {
        return Err(AdminError::bad_request(
            "send the fields to set: entra_tenant_id, client_id, client_secret (or certificate_pem and private_key_pem), \
             authority_url, graph_url, mode, group_ids, app_id, flatten, include_disabled, interval_secs, \
             max_removals, max_removal_percent, enabled",
        ));
    }
    let change = change(body)?;
    let name = name.into_inner();
    let view = blocking(services(&state), move |s| s.configure_pull(&name, change)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Who asked, for the run record: the admin token's id.
fn requested_by(admin: &Admin) -> String {
    format!("admin api (token {})", admin.0.credential_id)
}

fn run_url(req: &HttpRequest, state: &AppState, tenant: &str, id: &str) -> String {
    format!(
        "{}/admin/v1/tenants/{tenant}/sync/runs/{id}",
        root(req, state)
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewRun {
    #[serde(default)]
    dry_run: bool,
}

/// Sync Now: 202 with the run's `Location`. While a run is pending, that run is the answer
/// (`"created": false`).
pub async fn request_run(
    admin: Admin,
    name: web::Path<String>,
    req: HttpRequest,
    body: Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    let NewRun { dry_run } = json_body(&body)?;
    let name = name.into_inner();
    let by = requested_by(&admin);
    let (tenant, run, created) = blocking(services(&state), move |s| {
        let t = s.require_tenant(&name)?;
        let (run, created) = s.request_pull(&t.id, TRIGGER_MANUAL, &by, dry_run)?;
        Ok((t.name, run, created))
    })
    .await?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, run_url(&req, &state, &tenant, &run.id)))
        .json(json!({"created": created, "run": run})))
}

/// `?limit=N`, 1–1000; anything else is a 400 naming the parameter.
fn runs_limit(req: &HttpRequest) -> Result<i64, AdminError> {
    let pairs = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map_err(|e| AdminError::bad_request(format!("malformed query string: {e}")))?
        .into_inner();
    let mut limit = DEFAULT_RUNS;
    for (k, v) in pairs {
        if k != "limit" {
            return Err(AdminError::bad_request(format!(
                "unknown query parameter {k:?}; known: limit"
            )));
        }
        limit = v
            .trim()
            .parse()
            .ok()
            .filter(|n| (1..=MAX_RUNS).contains(n))
            .ok_or_else(|| {
                AdminError::bad_request(format!(
                    "query parameter limit must be a whole number from 1 to {MAX_RUNS}, got {v:?}"
                ))
            })?;
    }
    Ok(limit)
}

/// The tenant's runs, newest first, without plans.
pub async fn runs(
    _: Admin,
    name: web::Path<String>,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    let limit = runs_limit(&req)?;
    let name = name.into_inner();
    let runs = blocking(services(&state), move |s| {
        let t = s.require_tenant(&name)?;
        s.pull_runs(&t.id, limit)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "runs": runs })))
}

/// One run with its plan (dry runs) or held-back removals (quarantined runs).
pub async fn run(
    _: Admin,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    let (name, id) = path.into_inner();
    let (tenant, shown) = (name.clone(), id.clone());
    let run = blocking(services(&state), move |s| {
        let t = s.require_tenant(&name)?;
        s.pull_run(&t.id, &id)
    })
    .await?
    .ok_or_else(|| {
        AdminError::not_found(format!(
            "tenant {tenant:?} has no sync run with id {shown:?}; GET …/sync/runs lists them"
        ))
    })?;
    Ok(HttpResponse::Ok().json(run))
}

/// Allow the removals a quarantined run held back: 202 with the approved run and the run that
/// applies them (its `Location`).
pub async fn approve(
    admin: Admin,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    let (name, id) = path.into_inner();
    let by = requested_by(&admin);
    let (tenant, approved, next) = blocking(services(&state), move |s| {
        let t = s.require_tenant(&name)?;
        let (approved, next) = s.approve_pull_run(&t.id, &id, &by)?;
        Ok((t.name, approved, next))
    })
    .await?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, run_url(&req, &state, &tenant, &next.id)))
        .json(json!({"approved": approved, "run": next})))
}

/// Test Connection: 200 with `{"ok": true, "report": …}` or `{"ok": false, "error": "…"}` (a
/// failed test is an answer, not an error of this request).
pub async fn test(
    _: Admin,
    name: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    let name = name.into_inner();
    let result = blocking(services(&state), move |s| test_connection(s, &name)).await?;
    Ok(HttpResponse::Ok().json(match result {
        Ok(report) => json!({"ok": true, "report": report}),
        Err(e) => json!({"ok": false, "error": e.to_string()}),
    }))
}
