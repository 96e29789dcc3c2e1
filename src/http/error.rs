//! The only place that turns errors into HTTP responses: RFC 7644 §3.12 bodies with
//! `Content-Type: application/scim+json`.

use crate::scim::ScimError;
use crate::service::ServiceError;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use std::fmt;

pub const SCIM_JSON: &str = "application/scim+json";

#[derive(Debug)]
pub struct ApiError(pub ScimError);

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<ScimError> for ApiError {
    fn from(e: ScimError) -> Self {
        ApiError(e)
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        if let ServiceError::Storage(cause) = &e {
            log::error!("storage failure: {cause}");
        }
        ApiError(e.to_scim())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CONTENT_TYPE, SCIM_JSON));
        if self.0.status == 401 {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"scimd\""));
        }
        if self.0.status == 503 || self.0.status == 429 {
            res.insert_header((header::RETRY_AFTER, "5"));
        }
        let body = serde_json::to_string(&self.0).unwrap_or_default();
        res.body(body)
    }
}

/// An error of the admin API: `{"error": "<kind>", "detail": "<what to fix>"}` as
/// `application/json` (the admin API is not SCIM, so no RFC 7644 envelope).
#[derive(Debug)]
pub struct AdminError {
    pub status: StatusCode,
    pub detail: String,
}

impl AdminError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        AdminError {
            status,
            detail: detail.into(),
        }
    }
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, detail)
    }
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "missing or invalid admin token; send \"Authorization: Bearer <admin token>\" with a token from `scimd admin token create` (SCIM tokens are not accepted here)",
        )
    }
    /// The `error` field: the status in snake case (`bad_request`, `not_found`, …).
    fn kind(&self) -> String {
        self.status
            .canonical_reason()
            .unwrap_or("error")
            .to_ascii_lowercase()
            .replace([' ', '-'], "_")
    }
}

impl fmt::Display for AdminError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status, self.detail)
    }
}

impl From<ServiceError> for AdminError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(d) => AdminError::bad_request(d),
            ServiceError::NotFound(d) => AdminError::not_found(d),
            ServiceError::Conflict(d) => AdminError::new(StatusCode::CONFLICT, d),
            // Storage failures and SCIM errors take the same route as on the SCIM side.
            other => {
                let ApiError(scim) = ApiError::from(other);
                let status =
                    StatusCode::from_u16(scim.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                AdminError::new(status, scim.detail)
            }
        }
    }
}

impl ResponseError for AdminError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"scimd-admin\""));
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            res.insert_header((header::RETRY_AFTER, "5"));
        }
        res.json(serde_json::json!({"error": self.kind(), "detail": self.detail}))
    }
}

/// An error of the OAuth token endpoint, in RFC 6749 §5.2 form:
/// `{"error": "invalid_client", "error_description": "…"}` as `application/json`, never cached.
#[derive(Debug)]
pub struct OAuthError {
    pub status: StatusCode,
    /// The RFC 6749 error code (`invalid_request`, `invalid_client`, …).
    pub error: &'static str,
    pub description: String,
    /// Why, for the provisioning log, when the answer must not say (`invalid_client`).
    pub reason: Option<String>,
}

impl OAuthError {
    pub fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        OAuthError {
            status,
            error,
            description: description.into(),
            reason: None,
        }
    }
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }
    /// One answer for every credential failure, so a caller learns nothing about which part
    /// was wrong; `reason` is kept for the log.
    pub fn invalid_client(reason: impl Into<String>) -> Self {
        OAuthError {
            reason: Some(reason.into()),
            ..Self::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client authentication failed: unknown client, wrong or expired secret, or revoked client",
            )
        }
    }
    pub fn unsupported_grant_type(grant: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            format!("grant_type {grant:?} is not supported; use grant_type=client_credentials"),
        )
    }
    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "the server is overloaded; retry later",
        )
    }
    /// What the provisioning log says about this refusal.
    pub fn log_detail(&self) -> &str {
        self.reason.as_deref().unwrap_or(&self.description)
    }
    /// A failure on the server side, with the status the SCIM side would answer (503, 500).
    pub fn server(e: ServiceError) -> Self {
        let ApiError(scim) = ApiError::from(e);
        Self::new(
            StatusCode::from_u16(scim.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            if scim.status == 503 {
                "temporarily_unavailable"
            } else {
                "server_error"
            },
            scim.detail,
        )
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error, self.description)
    }
}

impl ResponseError for OAuthError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        res.insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::PRAGMA, "no-cache"));
        if self.status == StatusCode::UNAUTHORIZED {
            res.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"scimd\""));
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE
            || self.status == StatusCode::TOO_MANY_REQUESTS
        {
            res.insert_header((header::RETRY_AFTER, "5"));
        }
        res.json(serde_json::json!({"error": self.error, "error_description": self.description}))
    }
}

/// A SCIM error with an exact `Retry-After` (429 from the abuse limits).
#[derive(Debug)]
pub struct Throttled {
    pub error: ScimError,
    pub retry_after: u64,
}

impl fmt::Display for Throttled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (retry after {} s)", self.error, self.retry_after)
    }
}

impl ResponseError for Throttled {
    fn status_code(&self) -> StatusCode {
        ApiError(self.error.clone()).status_code()
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = ApiError(self.error.clone()).error_response();
        res.headers_mut().insert(
            header::RETRY_AFTER,
            header::HeaderValue::from(self.retry_after),
        );
        res
    }
}
