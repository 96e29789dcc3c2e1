//! Microsoft Graph client for the pull reconciler (shared/reference/graph.md §1–§3):
//! client-credentials tokens (secret or certificate), paging, delta rounds, `$batch`,
//! Retry-After / backoff, and error classification into what an admin can act on.
//!
//! CONTRACT (filled in by the Graph-client work): the reconciler only uses what is declared
//! here. Blocking: runs on the reconciler's own thread.

use serde_json::{Map, Value};
use std::sync::Arc;
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
pub struct TokenCache {}

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

pub struct GraphClient {}

impl GraphClient {
    pub fn new(
        _settings: GraphSettings,
        _pacing: Pacing,
        _tokens: Arc<TokenCache>,
    ) -> Result<GraphClient, GraphError> {
        unimplemented!("Graph client")
    }
    /// One delta round: from `link` (a saved deltaLink) or, with `None`, the initial round
    /// (full state). Items go to `sink` page by page; returns the new deltaLink.
    pub fn delta(
        &self,
        _kind: DeltaKind,
        _link: Option<&str>,
        _sink: &mut dyn FnMut(DeltaItem) -> Result<(), GraphError>,
    ) -> Result<String, GraphError> {
        unimplemented!("Graph client")
    }
    /// The object id of the service principal of `app_id`; `None` when it has none here.
    pub fn service_principal(&self, _app_id: &str) -> Result<Option<String>, GraphError> {
        unimplemented!("Graph client")
    }
    pub fn app_role_assignments(&self, _sp_id: &str) -> Result<Vec<Assignment>, GraphError> {
        unimplemented!("Graph client")
    }
    /// Test Connection: token, then users, groups (and the service principal of `app_id`).
    pub fn probe(&self, _app_id: Option<&str>) -> Result<ProbeReport, GraphError> {
        unimplemented!("Graph client")
    }
    pub fn stats(&self) -> GraphStats {
        GraphStats::default()
    }
}
