//! `/admin/v1/tenants/{name}/clients…`: a tenant's OAuth clients, as `scimd client` and the
//! console manage them. A client secret appears once, in the answer that creates it.

use super::tenants::root;
use super::{blocking, json_body, services, Admin};
use crate::http::error::AdminError;
use crate::http::routes::{tenant_url, token_url};
use crate::http::AppState;
use crate::service::{IssuedClient, SECRET_DAYS_DEFAULT};
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

/// 201 with what to paste into Entra: the same fields as `scimd client create --json`.
fn issued(c: &IssuedClient, req: &HttpRequest, state: &AppState) -> HttpResponse {
    let root = root(req, state);
    HttpResponse::Created().json(json!({
        "tenant": c.tenant,
        "client_id": c.client_id,
        "client_secret": c.client_secret,
        "secret_id": c.secret_id,
        "secret_expires_at": c.secret_expires_at,
        "token_url": token_url(&root, &c.tenant),
        "tenant_url": tenant_url(&root, &c.tenant),
    }))
}

/// `{"clients": [{client_id, label, created_at, last_used_at, revoked_at, secrets: […]}]}`;
/// secrets by id and expiry only.
pub async fn list(
    _: Admin,
    name: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    let name = name.into_inner();
    let clients = blocking(services(&state), move |s| s.list_clients(&name)).await?;
    Ok(HttpResponse::Ok().json(json!({ "clients": clients })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewClient {
    label: Option<String>,
    /// Days the first secret lives (1–1095, default 730).
    secret_days: Option<u32>,
}

pub async fn create(
    _: Admin,
    name: web::Path<String>,
    req: HttpRequest,
    body: Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    let NewClient { label, secret_days } = json_body(&body)?;
    let name = name.into_inner();
    let days = secret_days.unwrap_or(SECRET_DAYS_DEFAULT);
    let c = blocking(services(&state), move |s| {
        s.create_client(&name, label.as_deref(), days)
    })
    .await?;
    Ok(issued(&c, &req, &state))
}

/// Revoke a client: no new tokens, and its access tokens stop working.
pub async fn revoke(
    _: Admin,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    let (name, id) = path.into_inner();
    let (tenant, client) = (name.clone(), id.clone());
    let revoked = blocking(services(&state), move |s| s.revoke_client(&tenant, &client)).await?;
    if revoked {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(AdminError::not_found(format!(
            "tenant {name:?} has no live OAuth client with id {id:?}"
        )))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSecret {
    secret_days: Option<u32>,
}

/// Rotation: another secret for the client; its other secrets stay valid.
pub async fn add_secret(
    _: Admin,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    body: Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    let NewSecret { secret_days } = json_body(&body)?;
    let (name, id) = path.into_inner();
    let days = secret_days.unwrap_or(SECRET_DAYS_DEFAULT);
    let c = blocking(services(&state), move |s| {
        s.add_client_secret(&name, &id, days)
    })
    .await?;
    Ok(issued(&c, &req, &state))
}

/// Revoke one secret; tokens already issued with it run out normally.
pub async fn revoke_secret(
    _: Admin,
    path: web::Path<(String, String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    let (name, id, secret) = path.into_inner();
    let (tenant, client, secret_id) = (name.clone(), id.clone(), secret.clone());
    let revoked = blocking(services(&state), move |s| {
        s.revoke_client_secret(&tenant, &client, &secret_id)
    })
    .await?;
    if revoked {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(AdminError::not_found(format!(
            "OAuth client {id:?} of tenant {name:?} has no live secret with id {secret:?}"
        )))
    }
}
