//! Bearer authentication: the secret decides the tenant. On a tenant-qualified URL
//! (`/t/{tenant}/scim/v2/…`) the secret must also belong to that tenant.

use super::error::ApiError;
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
fn bearer(req: &HttpRequest) -> Option<String> {
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
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError(ScimError::internal()))?;
            let secret = secret.ok_or_else(denied)?;
            let services = state.services.clone();
            let principal = match services.authenticate_cached(&secret) {
                Some(p) => p,
                None => web::block(move || services.authenticate(&secret))
                    .await
                    .map_err(|_| ApiError(ScimError::internal()))??
                    .ok_or_else(denied)?,
            };
            if path_tenant.is_some_and(|t| t != principal.tenant.name) {
                return Err(denied());
            }
            Ok(Principal(principal))
        })
    }
}
