//! Microsoft Graph client for the pull reconciler (shared/reference/graph.md §1–§3):
//! client-credentials tokens (secret or certificate), paging, delta rounds, `$batch`,
//! Retry-After / backoff, and error classification into what an admin can act on.
//!
//! The reconciler only uses what is declared here. Blocking: runs on the reconciler's own
//! thread (never inside an async runtime: `reqwest::blocking` would panic there).
//!
//! Submodules hold the parts: `token` and `assertion` (credentials), `request` (retries,
//! pacing, headers, counters), `error` (classification), `paging`, `delta`, `model`
//! (service principal, assignments) and `batch` (Test Connection).

mod assertion;
mod batch;
#[cfg(test)]
mod client_tests;
mod delta;
mod error;
mod model;
mod paging;
mod request;
mod token;

use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Where and as whom to call Graph (one Entra directory).
#[derive(Clone)]
pub struct GraphSettings {
    /// Identity platform root, e.g. `https://login.microsoftonline.com` (no trailing slash).
    pub authority_url: String,
    /// Graph root, e.g. `https://graph.microsoft.com`; `/v1.0/…` is appended.
    pub graph_url: String,
    /// The customer's Entra tenant (directory) id.
    pub entra_tenant_id: String,
    /// Application (client) id of the app registration.
    pub client_id: String,
    pub credential: Credential,
}

/// How the app proves itself to the token endpoint.
#[derive(Clone)]
pub enum Credential {
    Secret(String),
    /// `private_key_jwt`: PEM private key (RSA) and the PEM certificate uploaded to the app.
    Certificate {
        private_key_pem: String,
        certificate_pem: String,
    },
}

/// Who the traffic is for: scheduled runs mark themselves low priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    Low,
    Normal,
}

/// Retry and pacing policy. `sleep` is injectable so tests can run in virtual time.
#[derive(Clone)]
pub struct Pacing {
    /// Attempts per request (the first included) before a transient error is returned.
    pub max_attempts: u32,
    /// Longest single wait (a larger Retry-After is capped).
    pub max_wait: Duration,
    /// Pages followed in one listing before the run fails (never truncates silently).
    pub page_cap: u32,
    pub timeout: Duration,
    pub priority: Priority,
    pub sleep: Arc<dyn Fn(Duration) + Send + Sync>,
}

impl Default for Pacing {
    fn default() -> Self {
        Pacing {
            max_attempts: 6,
            max_wait: Duration::from_secs(300),
            page_cap: 100_000,
            timeout: Duration::from_secs(60),
            priority: Priority::Low,
            sleep: Arc::new(std::thread::sleep),
        }
    }
}

/// Access tokens shared by every client of this process, keyed by authority, tenant, client
/// and credential.
#[derive(Default)]
pub struct TokenCache {
    entries: Mutex<HashMap<token::TokenKey, token::CachedToken>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeltaKind {
    Users,
    Groups,
}

/// One object of a delta round.
#[derive(Debug, Clone, PartialEq)]
pub struct DeltaItem {
    pub id: String,
    /// `@removed`: soft-deleted (`changed`) or permanently deleted (`deleted`).
    pub removed: Option<Removal>,
    /// The properties Graph sent (absent ≠ null in incremental rounds), without `id`,
    /// `@removed` and `members@delta`.
    pub props: Map<String, Value>,
    /// Groups: this page's slice of `members@delta`.
    pub members: Vec<MemberDelta>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    Changed,
    Deleted,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberDelta {
    pub id: String,
    pub kind: MemberKind,
    pub removed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberKind {
    User,
    Group,
    /// Devices, contacts, service principals: never provisioned.
    Other,
}

/// An app role assignment to our service principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub principal_id: String,
    pub principal_type: PrincipalType,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalType {
    User,
    Group,
    ServicePrincipal,
    Other,
}

/// Counters for the run record.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct GraphStats {
    pub calls: u64,
    pub throttled: u64,
    pub waited_ms: u64,
    pub token_requests: u64,
    pub last_request_id: Option<String>,
}

/// What `sync test` reports on success.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProbeReport {
    pub users: Option<u64>,
    pub groups: Option<u64>,
    /// Assigned mode: the app's service principal object id.
    pub service_principal_id: Option<String>,
}

/// Why a Graph call failed, classified for the admin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// Configuration the admin must fix (AADSTS codes, 403, no service principal).
    #[error("{message} ({code}). {hint}")]
    Config {
        code: String,
        message: String,
        hint: String,
    },
    /// Throttling or outages that outlasted the retries; the next run tries again.
    #[error("{0}")]
    Transient(String),
    /// The delta token is no longer valid (410 Gone, syncStateNotFound, resyncRequired).
    #[error("delta token expired: {0}")]
    DeltaExpired(String),
    /// A response scimd cannot trust (no `value`, bad JSON, foreign nextLink host, page cap).
    #[error("{0}")]
    Malformed(String),
}

pub struct GraphClient {
    http: reqwest::blocking::Client,
    pacing: Pacing,
    tokens: Arc<TokenCache>,
    token_key: token::TokenKey,
    /// `{authority}/{tenant}/oauth2/v2.0/token`: also the assertion's audience.
    token_url: String,
    /// `{graph}/.default`
    scope: String,
    client_id: String,
    proof: token::Proof,
    /// `{graph}/v1.0`
    api: String,
    origin: paging::Origin,
    state: Mutex<request::State>,
}

impl GraphClient {
    /// Checks the settings (URLs, tenant id, certificate) without calling anything.
    pub fn new(
        settings: GraphSettings,
        pacing: Pacing,
        tokens: Arc<TokenCache>,
    ) -> Result<GraphClient, GraphError> {
        let authority = settings.authority_url.trim_end_matches('/');
        let graph = settings.graph_url.trim_end_matches('/');
        for (name, url) in [("authority_url", authority), ("graph_url", graph)] {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(config(
                    "InvalidUrl",
                    format!("{name} must be an http(s) URL"),
                    "e.g. https://login.microsoftonline.com and https://graph.microsoft.com",
                ));
            }
        }
        let origin = paging::Origin::of(graph)
            .ok_or_else(|| config("InvalidUrl", "graph_url is not a valid URL".to_string(), ""))?;
        // The tenant goes into the token URL's path: a GUID or a domain, nothing else.
        let tenant = &settings.entra_tenant_id;
        if tenant.is_empty()
            || !tenant
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        {
            return Err(config(
                "InvalidTenantId",
                "the Entra tenant id must be a GUID or a verified domain".to_string(),
                "Copy the Tenant ID from the Overview page of Microsoft Entra ID.",
            ));
        }
        if settings.client_id.trim().is_empty() {
            return Err(config(
                "InvalidClientId",
                "the application (client) id is empty".to_string(),
                "Copy the Application (client) ID from the app registration's Overview page.",
            ));
        }
        let proof = match &settings.credential {
            Credential::Secret(s) => token::Proof::Secret(s.clone()),
            Credential::Certificate {
                private_key_pem,
                certificate_pem,
            } => token::Proof::Certificate(assertion::Signer::from_pem(
                private_key_pem,
                certificate_pem,
            )?),
        };
        let http = reqwest::blocking::Client::builder()
            .timeout(pacing.timeout)
            // Links are followed by hand, after the host check; a redirect would bypass it.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("scimd/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| GraphError::Transient(format!("HTTP client: {e}")))?;
        let scope = format!("{graph}/.default");
        Ok(GraphClient {
            http,
            token_key: token::TokenKey::new(&settings, &scope),
            token_url: format!("{authority}/{tenant}/oauth2/v2.0/token"),
            scope,
            client_id: settings.client_id.clone(),
            proof,
            api: format!("{graph}/v1.0"),
            origin,
            pacing,
            tokens,
            state: Mutex::new(request::State::default()),
        })
    }

    /// One delta round: from `link` (a saved deltaLink) or, with `None`, the initial round
    /// (full state). Items go to `sink` page by page; returns the new deltaLink.
    pub fn delta(
        &self,
        kind: DeltaKind,
        link: Option<&str>,
        sink: &mut dyn FnMut(DeltaItem) -> Result<(), GraphError>,
    ) -> Result<String, GraphError> {
        self.delta_round(kind, link, sink)
    }

    /// The object id of the service principal of `app_id`; `None` when it has none here.
    pub fn service_principal(&self, app_id: &str) -> Result<Option<String>, GraphError> {
        self.find_service_principal(app_id)
    }

    /// Everyone assigned to the service principal `sp_id`, all pages.
    pub fn app_role_assignments(&self, sp_id: &str) -> Result<Vec<Assignment>, GraphError> {
        self.list_assignments(sp_id)
    }

    /// Test Connection: token, then users, groups (and the service principal of `app_id`).
    pub fn probe(&self, app_id: Option<&str>) -> Result<ProbeReport, GraphError> {
        self.probe_batch(app_id)
    }

    pub fn stats(&self) -> GraphStats {
        self.state().stats.clone()
    }

    fn state(&self) -> MutexGuard<'_, request::State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn config(code: &str, message: String, hint: &str) -> GraphError {
    GraphError::Config {
        code: code.to_string(),
        message,
        hint: hint.to_string(),
    }
}
