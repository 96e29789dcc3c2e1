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
