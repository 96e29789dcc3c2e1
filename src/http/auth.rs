//! Bearer authentication: the secret decides the tenant. On a tenant-qualified URL
//! (`/t/{tenant}/scim/v2/…`) the secret must also belong to that tenant. Refusals are logged by
//! the service against the tenant they were aimed at; the response never says why.

use super::error::{ApiError, Throttled};
use super::limits::{allowed, client_addr};
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
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let secret = bearer(req);
        let path_tenant = req.match_info().get("tenant").map(str::to_string);
        let info = request_info(req, None, None);
        let addr = client_addr(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError(ScimError::internal()))?;
            let services = state.services.clone();
            // Fast path: a secret verified moments ago, on the right tenant, needs no trip to the
            // blocking pool. Anything else goes through `authorize_scim`, which logs refusals.
            let cached = secret
                .as_deref()
                .and_then(|s| services.authenticate_cached(s))
                .filter(|p| path_tenant.as_deref().is_none_or(|t| t == p.tenant.name));
            let principal = match cached {
                Some(p) => Some(p),
                None => web::block(move || {
                    services.authorize_scim(secret.as_deref(), path_tenant.as_deref(), &info)
                })
                .await
                .map_err(|_| ApiError(ScimError::internal()))?
                .map_err(ApiError::from)?,
            };
            let Some(principal) = principal else {
                // Only failures count, so a valid credential is never slowed by them.
                return Err(match state.limits.failed(addr) {
                    Some(wait) => Throttled {
                        error: ScimError::too_many_requests(
                            "too many failed authentications from this address; retry later",
                        ),
                        retry_after: wait,
                    }
                    .into(),
                    None => denied().into(),
                });
            };
            admit(&state, &principal, addr)?;
            Ok(Principal(principal))
        })
    }
}

/// The tenant's own limits: its IP allow-list (403) and request rate (429).
fn admit(
    state: &AppState,
    p: &service::Principal,
    addr: Option<std::net::IpAddr>,
) -> Result<(), actix_web::Error> {
    if !allowed(p.tenant.ip_allowlist.as_deref(), addr) {
        let shown = addr.map_or_else(|| "unknown".to_string(), |a| a.to_string());
        log::info!(
            "refused SCIM request of tenant {:?} from {shown}: not in its IP allow-list",
            p.tenant.name
        );
        return Err(ApiError(ScimError::forbidden(format!(
            "client address {shown} is not in this tenant's IP allow-list"
        )))
        .into());
    }
    if let Some(rate) = p.tenant.rate_limit_per_sec {
        if let Err(wait) = state.limits.admit(&p.tenant.id, rate) {
            return Err(Throttled {
                error: ScimError::too_many_requests(format!(
                    "this tenant is limited to {rate} requests per second; retry later"
                )),
                retry_after: wait,
            }
            .into());
        }
    }
    Ok(())
}
