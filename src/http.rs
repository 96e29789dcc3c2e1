//! actix-web edge: routes, authentication, `application/scim+json` in and out, and the one
//! error → HTTP mapping. Handlers are thin: extract, call one service function, respond.

mod admin_api;
mod admin_auth;
mod auth;
mod console;
mod error;
mod limits;
mod oauth;
mod pull_sync;
mod request_id;
mod routes;
mod scim_json;
pub mod tls;

pub use admin_auth::Admin;
pub use auth::Principal;
pub use error::{AdminError, ApiError, OAuthError};

use crate::service::Services;
use actix_web::{web, App, HttpServer};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

/// HTTP-level settings.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// External base URL (scheme://host[:port]) used in `meta.location`; when unset, the
    /// request's own scheme and Host header are used.
    pub public_url: Option<String>,
    /// Largest request body accepted (413 above).
    pub max_body_bytes: usize,
    /// Deepest JSON nesting accepted in a body (400 above).
    pub max_json_depth: usize,
    /// Longest a request may take in the service layer (503 after).
    pub request_timeout: Duration,
    /// Worker threads (0 = one per core).
    pub workers: usize,
    /// Peers whose `X-Forwarded-For` is believed (reverse proxies, load balancers).
    pub trusted_proxies: Vec<crate::service::Cidr>,
    /// Failed authentications one address may make per window before getting 429 (0: no limit).
    pub auth_failure_limit: u32,
    pub auth_failure_window: Duration,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            public_url: None,
            max_body_bytes: 1024 * 1024,
            max_json_depth: 64,
            request_timeout: Duration::from_secs(30),
            workers: 0,
            trusted_proxies: Vec::new(),
            auth_failure_limit: 20,
            auth_failure_window: Duration::from_secs(60),
        }
    }
}

/// Shared state of every worker.
#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    pub settings: HttpSettings,
    limits: Arc<limits::Limits>,
}

impl AppState {
    pub fn new(services: Services, settings: HttpSettings) -> Self {
        let limits = limits::Limits::new(settings.auth_failure_limit, settings.auth_failure_window);
        AppState {
            services,
            settings,
            limits: Arc::new(limits),
        }
    }
}

/// Register every route: used by the server and by tests alike.
pub fn configure(state: AppState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(web::Data::new(state));
        routes::configure(cfg);
    }
}

/// Build and start the server on an already-bound listener, speaking TLS with `tls` when given;
/// returns the running server (await it, or keep its handle to stop it).
pub fn server(
    listener: TcpListener,
    state: AppState,
    tls: Option<&Arc<tls::Certificates>>,
) -> std::io::Result<actix_web::dev::Server> {
    let workers = state.settings.workers;
    let timeout = state.settings.request_timeout;
    let mut server = HttpServer::new(move || {
        App::new()
            .wrap(actix_web::middleware::from_fn(request_id::middleware))
            .configure(configure(state.clone()))
    })
    .client_request_timeout(timeout.min(Duration::from_secs(60)))
    .shutdown_timeout(10);
    server = match tls {
        Some(certs) => {
            let config = certs.server_config().map_err(std::io::Error::other)?;
            server.listen_rustls_0_23(listener, config)?
        }
        None => server.listen(listener)?,
    };
    if workers > 0 {
        server = server.workers(workers);
    }
    Ok(server.run())
}
