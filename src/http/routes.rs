//! The route table. The SCIM tree is mounted twice: at `/scim/v2` (the secret decides the
//! tenant) and at `/t/{tenant}/scim/v2` (the secret must belong to that tenant).

mod discovery;
mod health;
mod resources;

use super::error::ApiError;
use crate::scim::ScimError;
use actix_web::{web, HttpRequest, HttpResponse};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .service(web::scope("/scim/v2").configure(scim_tree))
        .service(web::scope("/t/{tenant}/scim/v2").configure(scim_tree))
        .configure(super::oauth::configure)
        .service(web::scope("/admin/v1").configure(super::admin_api::configure))
        .configure(super::console::configure)
        .default_service(web::to(not_found));
}

fn scim_tree(cfg: &mut web::ServiceConfig) {
    resources::configure(cfg);
    discovery::configure(cfg);
    cfg.default_service(web::to(not_found));
}

async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError(ScimError::not_found(format!(
        "no such endpoint: {} {}",
        req.method(),
        req.path()
    ))))
}

/// 405 for a method the endpoint does not support, naming the ones it does.
pub fn method_not_allowed(
    allowed: &'static str,
) -> impl Fn(HttpRequest) -> std::future::Ready<Result<HttpResponse, ApiError>> + Clone {
    move |req: HttpRequest| {
        std::future::ready(Err(ApiError(ScimError::method_not_allowed(format!(
            "{} is not supported on {}; allowed: {allowed}",
            req.method(),
            req.path()
        )))))
    }
}

/// Decoded query pairs; unknown parameters are kept and ignored by the callers.
pub fn query_pairs(req: &HttpRequest) -> Result<Vec<(String, String)>, ApiError> {
    web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|e| {
            ApiError(ScimError::invalid_value(format!(
                "malformed query string: {e}"
            )))
        })
}

/// The SCIM base URL the client used, for `meta.location` and `$ref`.
pub fn base_url(req: &HttpRequest, public_url: Option<&str>) -> String {
    let root = root_url(req, public_url);
    match req.match_info().get("tenant") {
        Some(t) => format!("{root}/t/{t}/scim/v2"),
        None => format!("{root}/scim/v2"),
    }
}

/// The Tenant URL to paste into Entra for `tenant`, under `root` (see [`root_url`]).
pub fn tenant_url(root: &str, tenant: &str) -> String {
    format!("{root}/t/{tenant}/scim/v2")
}

/// The OAuth token endpoint to paste into Entra for `tenant`, under `root`.
pub fn token_url(root: &str, tenant: &str) -> String {
    format!("{root}/t/{tenant}/oauth2/token")
}

/// A path segment by name (the tenant-qualified mount adds `{tenant}` before it).
pub fn path_param(req: &HttpRequest, name: &str) -> String {
    req.match_info().get(name).unwrap_or_default().to_string()
}

/// The root URL the client used (or the configured public URL), without a trailing slash.
pub fn root_url(req: &HttpRequest, public_url: Option<&str>) -> String {
    match public_url {
        Some(u) => u.trim_end_matches('/').to_string(),
        None => {
            let info = req.connection_info();
            format!("{}://{}", info.scheme(), info.host())
        }
    }
}
