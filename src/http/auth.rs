//! Bearer authentication: the secret decides the tenant. On a tenant-qualified URL
//! (`/t/{tenant}/scim/v2/…`) the secret must also belong to that tenant. Refusals are logged by
//! the service against the tenant they were aimed at; the response never says why.

use super::error::ApiError;
use super::request_id::request_info;
use super::AppState;
use crate::scim::ScimError;
use crate::service;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use std::future::Future;
use std::pin::Pin;

/// The authenticated caller of a SCIM request.
#[derive(Debug, Clone)]
pub struct Principal(pub service::Principal);

/// One message for every failure, so a caller learns nothing about which part was wrong.
fn denied() -> ApiError {
    ApiError(ScimError::unauthorized(
        "missing or invalid bearer token for this tenant; send \"Authorization: Bearer <secret>\" with a secret from `scimd token create`",
    ))
}

/// `Authorization: Bearer <secret>`, scheme matched case-insensitively.
pub(super) fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .trim();
    let (scheme, secret) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| secret.trim().to_string())
        .filter(|s| !s.is_empty())
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let secret = bearer(req);
        let path_tenant = req.match_info().get("tenant").map(str::to_string);
        let info = request_info(req, None, None);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError(ScimError::internal()))?;
            let services = state.services.clone();
            // Fast path: a secret verified moments ago, on the right tenant, needs no trip to the
            // blocking pool. Anything else goes through `authorize_scim`, which logs refusals.
            if let Some(p) = secret
                .as_deref()
                .and_then(|s| services.authenticate_cached(s))
            {
                if path_tenant.as_deref().is_none_or(|t| t == p.tenant.name) {
                    return Ok(Principal(p));
                }
            }
            let principal = web::block(move || {
                services.authorize_scim(secret.as_deref(), path_tenant.as_deref(), &info)
            })
            .await
            .map_err(|_| ApiError(ScimError::internal()))??
            .ok_or_else(denied)?;
            Ok(Principal(principal))
        })
    }
}
