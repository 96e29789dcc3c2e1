//! The admin console at `/admin`: server-rendered HTML, one stylesheet, no JavaScript.
//! Pages are small functions that build strings; every interpolated value goes through
//! [`html::esc`]. Sessions are an `HttpOnly; SameSite=Strict` cookie holding the admin token
//! (docs/admin-console.md). Bad input is a 4xx page naming what to fix ([`ConsoleError`]).

mod clients;
mod directory;
mod error;
mod events;
mod html;
mod login;
mod session;
mod sync;
mod tenants;

pub use error::ConsoleError;

use super::AppState;
use crate::service::{ServiceError, Services};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

const CSS: &str = include_str!("console/console.css");

/// Mount the console under `/admin`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin")
            .route("", web::get().to(home))
            .route("/", web::get().to(home))
            .route("/static/console.css", web::get().to(css))
            .configure(login::configure)
            .configure(tenants::configure)
            .configure(clients::configure)
            .configure(directory::configure)
            .configure(sync::configure)
            .configure(events::configure)
            .default_service(web::to(not_found)),
    );
}

async fn home(_: session::Admin) -> HttpResponse {
    redirect("/admin/tenants")
}

async fn css() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "max-age=3600"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(CSS)
}

async fn not_found(req: HttpRequest) -> Result<HttpResponse, ConsoleError> {
    Err(ConsoleError::not_found(format!(
        "no console page at {} {}",
        req.method(),
        req.path()
    )))
}

/// An HTML response with the console's security headers: no caching (pages show secrets and
/// directory data), a CSP that allows no script at all and nothing from other origins.
pub fn respond(status: StatusCode, html: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ))
        .body(html.to_string())
}

/// 200 with a page.
pub fn ok(html: &str) -> HttpResponse {
    respond(StatusCode::OK, html)
}

/// 303 to another console page (after a POST, or to the landing page).
pub fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// Run a service call on the blocking pool, bounded by the request timeout.
pub async fn block<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&Services) -> Result<T, ServiceError> + Send + 'static,
) -> Result<T, ConsoleError> {
    let services = state.services.clone();
    let job = web::block(move || f(&services));
    match actix_web::rt::time::timeout(state.settings.request_timeout, job).await {
        Ok(Ok(result)) => result.map_err(ConsoleError::from),
        Ok(Err(_)) | Err(_) => Err(ConsoleError::unavailable()),
    }
}

pub use super::routes::{tenant_url, token_url};

/// `scheme://host[:port]` clients reach this server at: `public_url`, else the request's own.
pub fn root_url(req: &HttpRequest, state: &AppState) -> String {
    super::routes::root_url(req, state.settings.public_url.as_deref())
}

/// Decoded `application/x-www-form-urlencoded` pairs (a form body or a query string).
pub struct Pairs(Vec<(String, String)>);

impl Pairs {
    pub fn parse(encoded: &str) -> Result<Pairs, ConsoleError> {
        web::Query::<Vec<(String, String)>>::from_query(encoded)
            .map(|q| Pairs(q.into_inner()))
            .map_err(|e| ConsoleError::bad_request(format!("malformed form or query string: {e}")))
    }

    pub fn query(req: &HttpRequest) -> Result<Pairs, ConsoleError> {
        Self::parse(req.query_string())
    }

    /// The trimmed value of `name` ("" when absent).
    pub fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    }

    /// The optional `label` of a new credential: at most 200 characters, empty = none.
    pub fn label(&self) -> Result<Option<String>, ConsoleError> {
        let label = self.get("label");
        if label.chars().count() > 200 {
            return Err(ConsoleError::bad_request(
                "the label is too long: at most 200 characters",
            ));
        }
        Ok(Some(label).filter(|l| !l.is_empty()))
    }

    /// `page` (1-based), with a clear message for anything but a positive integer.
    pub fn page(&self) -> Result<u64, ConsoleError> {
        let raw = self.get("page");
        if raw.is_empty() {
            return Ok(1);
        }
        raw.parse::<u64>()
            .ok()
            .filter(|p| (1..=1_000_000).contains(p))
            .ok_or_else(|| {
                ConsoleError::bad_request(format!(
                    "page must be a whole number from 1 to 1000000, got {raw:?}"
                ))
            })
    }
}
