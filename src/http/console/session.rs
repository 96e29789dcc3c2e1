//! The console session: an `HttpOnly; SameSite=Strict; Path=/admin` cookie holding the admin
//! token, checked against the database on every request (a revoked admin token ends every
//! session at once). SCIM bearer tokens never open the console.

use super::ConsoleError;
use crate::http::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use std::future::Future;
use std::pin::Pin;

pub const COOKIE: &str = "scimd_admin";

/// Proof that the request comes from a logged-in admin.
#[derive(Debug, Clone, Copy)]
pub struct Admin;

/// The session cookie's value, if the request carries one.
fn cookie(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Whether the browser reached us over HTTPS (directly, through a proxy that says so, or as
/// configured by `public_url`): then the cookie is `Secure`.
fn is_https(req: &HttpRequest, state: &AppState) -> bool {
    req.connection_info().scheme() == "https"
        || state
            .settings
            .public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
}

/// `Set-Cookie` that starts a session.
pub fn set_cookie(req: &HttpRequest, state: &AppState, token: &str) -> String {
    let secure = if is_https(req, state) { "; Secure" } else { "" };
    format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/admin{secure}")
}

/// `Set-Cookie` that ends it.
pub fn clear_cookie(req: &HttpRequest, state: &AppState) -> String {
    let secure = if is_https(req, state) { "; Secure" } else { "" };
    format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/admin; Max-Age=0{secure}")
}

/// A state-changing request from another site is refused even if a browser sent the cookie
/// (SameSite=Strict already prevents that; this is the second lock).
fn cross_site(req: &HttpRequest, public_url: Option<&str>) -> bool {
    if req.method() == actix_web::http::Method::GET {
        return false;
    }
    let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or(origin);
    let public_host = public_url
        .and_then(|u| u.split_once("://"))
        .map(|(_, h)| h.trim_end_matches('/'));
    let info = req.connection_info();
    origin != "null"
        && !origin_host.eq_ignore_ascii_case(info.host())
        && public_host.is_none_or(|h| !origin_host.eq_ignore_ascii_case(h))
}

impl FromRequest for Admin {
    type Error = ConsoleError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let secret = cookie(req);
        let foreign = cross_site(
            req,
            state
                .as_ref()
                .and_then(|s| s.settings.public_url.as_deref()),
        );
        Box::pin(async move {
            if foreign {
                return Err(ConsoleError::forbidden(
                    "this form was submitted from another site; open the console directly and try again",
                ));
            }
            let state = state.ok_or_else(ConsoleError::unavailable)?;
            let secret = secret.ok_or(ConsoleError::Login)?;
            super::block(&state, move |s| s.authenticate_admin(&secret))
                .await?
                .ok_or(ConsoleError::Login)?;
            Ok(Admin)
        })
    }
}
