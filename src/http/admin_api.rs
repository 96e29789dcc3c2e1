//! The admin JSON API under `/admin/v1`: the provisioning log (query, one event, NDJSON export),
//! tenant administration (tenants, SCIM tokens, OAuth clients) and pull sync. Authenticated by
//! admin tokens only ([`Admin`]); errors are `{"error", "detail"}` ([`AdminError`]).
//! docs/provisioning-log.md has examples.

mod clients;
mod events;
mod sync;
mod tenants;

use super::error::AdminError;
use super::AppState;
use crate::service::{ServiceError, Services};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::de::DeserializeOwned;

use super::admin_auth::Admin;

/// Mounted at `/admin/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/events")
            .route(web::get().to(events::list))
            .default_service(web::to(method_not_allowed("GET"))),
    )
    .service(
        web::resource("/events/export")
            .route(web::get().to(events::export))
            .default_service(web::to(method_not_allowed("GET"))),
    )
    .service(
        web::resource("/events/{id}")
            .route(web::get().to(events::one))
            .default_service(web::to(method_not_allowed("GET"))),
    )
    .service(
        web::resource("/tenants")
            .route(web::get().to(tenants::list))
            .route(web::post().to(tenants::create))
            .default_service(web::to(method_not_allowed("GET, POST"))),
    )
    .service(
        web::resource("/tenants/{name}")
            .route(web::get().to(tenants::one))
            .route(web::patch().to(tenants::update))
            .default_service(web::to(method_not_allowed("GET, PATCH"))),
    )
    .service(
        web::resource("/tenants/{name}/tokens")
            .route(web::get().to(tenants::tokens))
            .route(web::post().to(tenants::create_token))
            .default_service(web::to(method_not_allowed("GET, POST"))),
    )
    .service(
        web::resource("/tenants/{name}/tokens/{id}")
            .route(web::delete().to(tenants::revoke_token))
            .default_service(web::to(method_not_allowed("DELETE"))),
    )
    .service(
        web::resource("/tenants/{name}/clients")
            .route(web::get().to(clients::list))
            .route(web::post().to(clients::create))
            .default_service(web::to(method_not_allowed("GET, POST"))),
    )
    .service(
        web::resource("/tenants/{name}/clients/{id}")
            .route(web::delete().to(clients::revoke))
            .default_service(web::to(method_not_allowed("DELETE"))),
    )
    .service(
        web::resource("/tenants/{name}/clients/{id}/secrets")
            .route(web::post().to(clients::add_secret))
            .default_service(web::to(method_not_allowed("POST"))),
    )
    .service(
        web::resource("/tenants/{name}/clients/{id}/secrets/{secret}")
            .route(web::delete().to(clients::revoke_secret))
            .default_service(web::to(method_not_allowed("DELETE"))),
    )
    .service(
        web::resource("/tenants/{name}/reads")
            .route(web::get().to(tenants::reads))
            .default_service(web::to(method_not_allowed("GET"))),
    )
    .service(
        web::resource("/tenants/{name}/sync")
            .route(web::get().to(sync::show))
            .route(web::put().to(sync::configure))
            .default_service(web::to(method_not_allowed("GET, PUT"))),
    )
    .service(
        web::resource("/tenants/{name}/sync/runs")
            .route(web::get().to(sync::runs))
            .route(web::post().to(sync::request_run))
            .default_service(web::to(method_not_allowed("GET, POST"))),
    )
    .service(
        web::resource("/tenants/{name}/sync/runs/{id}")
            .route(web::get().to(sync::run))
            .default_service(web::to(method_not_allowed("GET"))),
    )
    .service(
        web::resource("/tenants/{name}/sync/runs/{id}/approve")
            .route(web::post().to(sync::approve))
            .default_service(web::to(method_not_allowed("POST"))),
    )
    .service(
        web::resource("/tenants/{name}/sync/test")
            .route(web::post().to(sync::test))
            .default_service(web::to(method_not_allowed("POST"))),
    )
    .default_service(web::to(not_found));
}

async fn not_found(_: Admin, req: HttpRequest) -> Result<HttpResponse, AdminError> {
    Err(AdminError::not_found(format!(
        "no such admin endpoint: {} {}",
        req.method(),
        req.path()
    )))
}

fn method_not_allowed(
    allowed: &'static str,
) -> impl Fn(HttpRequest) -> std::future::Ready<Result<HttpResponse, AdminError>> + Clone {
    move |req: HttpRequest| {
        std::future::ready(Err(AdminError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!(
                "{} is not supported on {}; allowed: {allowed}",
                req.method(),
                req.path()
            ),
        )))
    }
}

/// Run a service call on the blocking pool.
pub(super) async fn blocking<T: Send + 'static>(
    services: &Services,
    f: impl FnOnce(&Services) -> Result<T, ServiceError> + Send + 'static,
) -> Result<T, AdminError> {
    let services = services.clone();
    web::block(move || f(&services))
        .await
        .map_err(|_| {
            AdminError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the server is overloaded; retry later",
            )
        })?
        .map_err(AdminError::from)
}

/// A JSON body of type `T` (unknown fields refused); an empty body reads as `{}`.
fn json_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, AdminError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body)
        .map_err(|e| AdminError::bad_request(format!("invalid JSON body: {e}")))
}

/// The state every handler needs.
fn services(state: &web::Data<AppState>) -> &Services {
    &state.services
}
