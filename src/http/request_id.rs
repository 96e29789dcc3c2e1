//! Every response carries `X-Request-Id`; the same id is stored with the provisioning event,
//! so an admin can match a response (or Entra's log entry) to scimd's log.

use crate::service::{Actor, RequestInfo};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpRequest};
use std::time::Instant;

pub const HEADER: &str = "x-request-id";

/// The id of the current request and when it arrived, stored in request extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String, pub Instant);

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = uuid::Uuid::now_v7().to_string();
    req.extensions_mut()
        .insert(RequestId(id.clone(), Instant::now()));
    let mut res = next.call(req).await?;
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(HeaderName::from_static(HEADER), v);
    }
    Ok(res)
}

/// What the provisioning log records about this request (the body, when there is one, already
/// capped and redacted by the caller).
pub fn request_info(
    req: &HttpRequest,
    credential_id: Option<String>,
    body: Option<String>,
) -> RequestInfo {
    let (request_id, started) = req
        .extensions()
        .get::<RequestId>()
        .map(|r| (r.0.clone(), r.1))
        .unwrap_or_else(|| (uuid::Uuid::now_v7().to_string(), Instant::now()));
    RequestInfo {
        request_id,
        actor: Actor::Scim,
        credential_id,
        client_addr: super::limits::client_addr(req).map(|a| a.to_string()),
        method: req.method().to_string(),
        path: req.uri().to_string(),
        started,
        body,
    }
}
