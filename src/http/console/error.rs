//! The console's errors as small HTML pages (the SCIM tree keeps `http::error::ApiError`).
//! Bad input is a 4xx naming what to fix; a missing or stale session redirects to the login.

use super::html::{esc, layout, Section};
use super::respond;
use crate::service::ServiceError;
use crate::storage::StorageError;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use std::fmt;

#[derive(Debug)]
pub enum ConsoleError {
    /// No valid admin session: go to the login page.
    Login,
    /// A page explaining what went wrong.
    Page { status: StatusCode, message: String },
}

impl ConsoleError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::page(StatusCode::BAD_REQUEST, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::page(StatusCode::NOT_FOUND, message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::page(StatusCode::FORBIDDEN, message)
    }
    pub fn page(status: StatusCode, message: impl Into<String>) -> Self {
        ConsoleError::Page {
            status,
            message: message.into(),
        }
    }
    pub fn unavailable() -> Self {
        Self::page(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is busy or the database is unavailable; retry in a moment",
        )
    }
}

impl fmt::Display for ConsoleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConsoleError::Login => f.write_str("login required"),
            ConsoleError::Page { status, message } => write!(f, "{status}: {message}"),
        }
    }
}

impl From<ServiceError> for ConsoleError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound(m) => Self::not_found(m),
            ServiceError::Conflict(m) => Self::page(StatusCode::CONFLICT, m),
            ServiceError::Invalid(m) => Self::bad_request(m),
            ServiceError::Scim(s) => Self::page(
                StatusCode::from_u16(s.status).unwrap_or(StatusCode::BAD_REQUEST),
                s.detail,
            ),
            ServiceError::Storage(StorageError::Unavailable(cause)) => {
                log::warn!("console: database unavailable: {cause}");
                Self::unavailable()
            }
            ServiceError::Storage(StorageError::NotFound) => Self::not_found("not found"),
            ServiceError::Storage(cause) => {
                log::error!("console: storage failure: {cause}");
                Self::page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the server failed to read the database; the cause is in the server log",
                )
            }
        }
    }
}

impl ResponseError for ConsoleError {
    fn status_code(&self) -> StatusCode {
        match self {
            ConsoleError::Login => StatusCode::SEE_OTHER,
            ConsoleError::Page { status, .. } => *status,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ConsoleError::Login => HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/admin/login"))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish(),
            ConsoleError::Page { status, message } => {
                let title = status.canonical_reason().unwrap_or("Error");
                let body = format!(
                    "<div class=\"error-page\"><h1>{} {}</h1><p class=\"message\">{}</p>\
<p><a href=\"/admin/tenants\">Back to the console</a></p></div>",
                    status.as_u16(),
                    esc(title),
                    esc(message)
                );
                respond(*status, &layout(title, Section::None, true, &body))
            }
        }
    }
}
