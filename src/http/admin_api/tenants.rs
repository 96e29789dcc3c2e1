//! `/admin/v1/tenants…`: tenants, their flags, their SCIM tokens and read counts.

use super::{blocking, json_body, services, Admin};
use crate::http::error::AdminError;
use crate::http::routes::{root_url, tenant_url};
use crate::http::AppState;
use crate::service::{EntraJwtChange, Tenant, TenantChange};
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

/// A tenant as the admin API shows it: its flags and the Tenant URL to paste into Entra.
fn tenant_json(t: &Tenant, root: &str) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "strict": t.strict,
        "log_reads": t.log_reads,
        "entra_tenant_id": t.entra_tenant_id,
        "jwt_audience": t.jwt_audience,
        "entra_metadata_url": t.entra_metadata_url,
        "rate_limit_per_sec": t.rate_limit_per_sec,
        "ip_allowlist": t.ip_allowlist,
        "created_at": t.created_at,
        "tenant_url": tenant_url(root, &t.name),
    })
}

pub(super) fn root(req: &HttpRequest, state: &AppState) -> String {
    root_url(req, state.settings.public_url.as_deref())
}

pub async fn list(
    _: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    let tenants = blocking(services(&state), |s| s.list_tenants()).await?;
    let root = root(&req, &state);
    let list: Vec<Value> = tenants.iter().map(|t| tenant_json(t, &root)).collect();
    Ok(HttpResponse::Ok().json(json!({ "tenants": list })))
}

pub async fn one(
    _: Admin,
    name: web::Path<String>,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    let name = name.into_inner();
    let t = blocking(services(&state), move |s| s.require_tenant(&name)).await?;
    Ok(HttpResponse::Ok().json(tenant_json(&t, &root(&req, &state))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTenant {
    name: String,
}

pub async fn create(
    _: Admin,
    req: HttpRequest,
    body: Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    let NewTenant { name } = json_body(&body)?;
    let t = blocking(services(&state), move |s| s.create_tenant(&name)).await?;
    Ok(HttpResponse::Created().json(tenant_json(&t, &root(&req, &state))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Flags {
    strict: Option<bool>,
    log_reads: Option<bool>,
    /// Entra-issued JWTs; `""` clears.
    entra_tenant_id: Option<String>,
    jwt_audience: Option<String>,
    entra_metadata_url: Option<String>,
    /// 0 removes the limit.
    rate_limit_per_sec: Option<u64>,
    /// Comma-separated CIDRs; `""` allows any address.
    ip_allowlist: Option<String>,
}

pub async fn update(
    _: Admin,
    name: web::Path<String>,
    req: HttpRequest,
    body: Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    let Flags {
        strict,
        log_reads,
        entra_tenant_id,
        jwt_audience,
        entra_metadata_url,
        rate_limit_per_sec,
        ip_allowlist,
    } = json_body(&body)?;
    let change = TenantChange {
        strict,
        log_reads,
        entra: EntraJwtChange {
            entra_tenant_id,
            jwt_audience,
            entra_metadata_url,
        },
        rate_limit_per_sec,
        ip_allowlist,
    };
    if change.is_empty() {
        return Err(AdminError::bad_request(
            "send any of {\"strict\": bool, \"log_reads\": bool, \"entra_tenant_id\", \"jwt_audience\", \"entra_metadata_url\": string, \"rate_limit_per_sec\": number, \"ip_allowlist\": string}",
        ));
    }
    let name = name.into_inner();
    let t = blocking(services(&state), move |s| s.change_tenant(&name, change)).await?;
    Ok(HttpResponse::Ok().json(tenant_json(&t, &root(&req, &state))))
}

pub async fn tokens(
    _: Admin,
    name: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    let name = name.into_inner();
    let tokens = blocking(services(&state), move |s| s.list_tokens(&name)).await?;
    Ok(HttpResponse::Ok().json(json!({ "tokens": tokens })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    label: Option<String>,
}

/// The secret is in this response only; scimd keeps its hash.
pub async fn create_token(
    _: Admin,
    name: web::Path<String>,
    req: HttpRequest,
    body: Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    let NewToken { label } = json_body(&body)?;
    let name = name.into_inner();
    let t = blocking(services(&state), move |s| {
        s.create_token(&name, label.as_deref())
    })
    .await?;
    let url = tenant_url(&root(&req, &state), &t.tenant);
    Ok(HttpResponse::Created()
        .json(json!({"id": t.id, "tenant": t.tenant, "token": t.token, "tenant_url": url})))
}

pub async fn revoke_token(
    _: Admin,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    let (name, id) = path.into_inner();
    let (tenant, token) = (name.clone(), id.clone());
    let revoked = blocking(services(&state), move |s| s.revoke_token(&tenant, &token)).await?;
    if revoked {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(AdminError::not_found(format!(
            "tenant {name:?} has no live token with id {id:?}"
        )))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadsQuery {
    since: Option<String>,
}

/// Hourly counts of successful reads (flushed every few seconds).
pub async fn reads(
    _: Admin,
    name: web::Path<String>,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    let q = web::Query::<ReadsQuery>::from_query(req.query_string())
        .map_err(|e| AdminError::bad_request(format!("bad query string: {e}")))?
        .into_inner();
    let name = name.into_inner();
    let reads = blocking(services(&state), move |s| {
        s.read_counts(&name, q.since.as_deref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "reads": reads })))
}
