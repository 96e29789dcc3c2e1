//! Login and logout: paste an admin token (`scimdadm_…`, printed by `scimd serve` on first run).

use super::html::{esc, layout, Section};
use super::session::{clear_cookie, set_cookie, Admin};
use super::{block, redirect, respond, ConsoleError, Pairs};
use crate::http::AppState;
use crate::service::ADMIN_TOKEN_PREFIX;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

/// SCIM secrets start with this; they are for Entra, never for the console.
const SCIM_TOKEN_PREFIX: &str = "scimd_";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(form))
        .route("/login", web::post().to(submit))
        .route("/logout", web::post().to(logout));
}

fn page(status: StatusCode, message: Option<&str>) -> HttpResponse {
    let message = message
        .map(|m| format!("<p class=\"flash bad\" role=\"alert\">{}</p>", esc(m)))
        .unwrap_or_default();
    let body = format!(
        "<div class=\"login card\"><h1>Admin console</h1>{message}\
<form method=\"post\" action=\"/admin/login\">\
<label>Admin token<input type=\"password\" name=\"token\" id=\"token\" autocomplete=\"off\" \
placeholder=\"{ADMIN_TOKEN_PREFIX}…\" autofocus required></label>\
<button type=\"submit\" id=\"login\">Log in</button></form>\
<p class=\"hint\">`scimd serve` prints an admin token the first time it starts; \
SCIM tokens (the secrets pasted into Entra) do not open the console.</p></div>"
    );
    respond(status, &layout("Log in", Section::None, false, &body))
}

async fn form() -> HttpResponse {
    page(StatusCode::OK, None)
}

async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: String,
) -> Result<HttpResponse, ConsoleError> {
    let token = Pairs::parse(&body)?.get("token");
    if token.is_empty() {
        return Ok(page(
            StatusCode::BAD_REQUEST,
            Some("paste an admin token to log in"),
        ));
    }
    if token.starts_with(SCIM_TOKEN_PREFIX) {
        return Ok(page(
            StatusCode::FORBIDDEN,
            Some("that is a SCIM token (the secret Entra uses); the console needs an admin token, which starts with scimdadm_"),
        ));
    }
    // Only the token's own characters can go into the cookie.
    if !token
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Ok(page(
            StatusCode::UNAUTHORIZED,
            Some("that is not a valid admin token"),
        ));
    }
    let secret = token.clone();
    let found = block(&state, move |s| s.authenticate_admin(&secret)).await?;
    if found.is_none() {
        return Ok(page(
            StatusCode::UNAUTHORIZED,
            Some("that admin token is unknown or revoked"),
        ));
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin/tenants"))
        .insert_header((header::SET_COOKIE, set_cookie(&req, &state, &token)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

async fn logout(
    _: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    let mut res = redirect("/admin/login");
    let cookie = clear_cookie(&req, &state);
    if let Ok(v) = header::HeaderValue::from_str(&cookie) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(res)
}
