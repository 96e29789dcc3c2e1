//! Use cases: what HTTP, the CLI and (later) the Graph reconciler do with the directory.
//! Owns transactions: every change and its provisioning event commit together.
//! Functions are synchronous; the HTTP layer runs them on actix's blocking pool.

mod access;
mod access_tokens;
mod admin;
mod audit;
mod background;
mod cidr;
mod counters;
mod credentials;
mod entra_jwt;
mod error;
mod jwks;
mod logs;
mod oauth;
pub mod pull;
mod reads;
mod redact;
mod resources;
mod retention;
mod tenants;
mod token_requests;

pub use access_tokens::{AUDIENCE as ACCESS_TOKEN_AUDIENCE, ISSUER as ACCESS_TOKEN_ISSUER};
pub use admin::{AdminPrincipal, IssuedAdminToken, ADMIN_TOKEN_PREFIX};
pub use audit::{Actor, RequestInfo};
pub use background::{Background, PURGE_EVERY, READ_FLUSH_EVERY};
pub use cidr::Cidr;
pub use counters::TenantCounters;
pub use credentials::{IssuedToken, Principal, TokenInfo, AUTH_CACHE_TTL};
pub use entra_jwt::{default_metadata_url, EntraJwtChange, ENTRA_DEFAULT_AUDIENCE};
pub use error::ServiceError;
pub use logs::{EventExport, EventPage, EventQuery, EventView, ACTIONS, MAX_EVENTS_PAGE, OUTCOMES};
pub use oauth::{ClientInfo, ClientSecretInfo, IssuedClient, SECRET_DAYS_DEFAULT, SECRET_DAYS_MAX};
pub use reads::ReadCount;
pub use redact::{body_for_log, unparsed_body_for_log, LOGGED_BODY_LIMIT};
pub use resources::{Ctx, Rendered, LOOKUP, TEST_CONNECTION};
pub use retention::{PurgeReport, RetentionPolicy};
pub use tenants::{Tenant, TenantChange};
pub use token_requests::AccessToken;

use crate::clock::Clock;
use crate::storage::statistics;
pub use crate::storage::statistics::Tables;
use crate::storage::Db;
pub use crate::storage::UnitWrites;
use std::sync::{Arc, Mutex};

/// Limits that shape list responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Page size when the client sends no `count`.
    pub default_count: u64,
    /// Largest page returned (advertised as `filter.maxResults`).
    pub max_results: u64,
    /// Lifetime of the access tokens the OAuth token endpoint issues.
    pub access_token_lifetime_secs: u64,
    /// Least time between two fetches of Entra's signing keys (per metadata URL).
    pub entra_jwks_refresh_secs: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            default_count: 100,
            max_results: 1000,
            access_token_lifetime_secs: 3600,
            entra_jwks_refresh_secs: 60,
        }
    }
}

/// The use-case API. Cheap to clone.
#[derive(Clone)]
pub struct Services {
    db: Db,
    clock: Arc<dyn Clock>,
    settings: Settings,
    auth_cache: Arc<credentials::AuthCache>,
    reads: Arc<reads::ReadCounter>,
    signing_key: Arc<Mutex<Option<Arc<access_tokens::SigningKey>>>>,
    jwks: Arc<jwks::JwksCache>,
}

impl Services {
    pub fn new(db: Db, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        Services {
            db,
            clock,
            settings,
            auth_cache: Arc::default(),
            reads: Arc::default(),
            signing_key: Arc::default(),
            jwks: Arc::new(jwks::JwksCache::new(std::time::Duration::from_secs(
                settings.entra_jwks_refresh_secs,
            ))),
        }
    }
    pub fn db(&self) -> &Db {
        &self.db
    }
    /// The time as this service sees it (injectable in tests).
    pub fn now(&self) -> chrono::NaiveDateTime {
        self.clock.now()
    }
    pub fn settings(&self) -> Settings {
        self.settings
    }
    /// Database reachability for `/readyz`.
    pub fn ping(&self) -> Result<(), ServiceError> {
        Ok(self.db.ping()?)
    }
    /// After the first batch of a bulk phase: let the database plan with statistics of the
    /// tables being filled (see [`crate::storage::statistics`]).
    pub fn refresh_statistics(&self, tables: Tables) -> Result<(), ServiceError> {
        Ok(self.db.read(|c| statistics::refresh(c, tables))?)
    }
    /// Run many use cases as one unit: `f` gets services whose every write runs in one
    /// transaction, committed once at the end (see [`Db::unit_of_work`]). With
    /// [`UnitWrites::Savepoint`] a use case that fails inside it still undoes only itself and
    /// logs its failure; with [`UnitWrites::Plain`] `f` must fail when any use case fails.
    pub fn unit_of_work<T>(
        &self,
        writes: UnitWrites,
        f: impl FnOnce(&Services) -> Result<T, ServiceError>,
    ) -> Result<T, ServiceError> {
        self.db.unit_of_work(writes, |db| {
            let unit = Services {
                db: db.clone(),
                ..self.clone()
            };
            f(&unit)
        })
    }
}
