//! Everything the server knows, behind one mutex: tenants, issued tokens, knobs, armed
//! faults and the request log.

use crate::clock::Clock;
use crate::directory::Tenant;
use crate::faults::Armed;
use crate::seal::Sealer;
use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

pub(crate) const DEFAULT_TOKEN_LIFETIME: u64 = 3599;
pub(crate) const DEFAULT_DELTA_PAGE: usize = 200;
/// Directory delta tokens expire after about a week (graph.md §3.2).
pub(crate) const DELTA_TOKEN_LIFETIME: u64 = 7 * 24 * 3600;

pub(crate) struct IssuedToken {
    pub tenant: String,
    pub client_id: String,
    pub expires_at: u64,
    /// Permissions when issued; used only once consent is revoked (the service principal,
    /// which otherwise supplies live permissions, is gone but the token lives on).
    pub roles: BTreeSet<String>,
}

/// One request as the fake saw it.
#[derive(Clone, Debug)]
pub struct LoggedRequest {
    pub method: String,
    /// As sent (`/v1.0/users`, `/{tenant}/oauth2/v2.0/token`); `$batch` items as
    /// `/v1.0` + their relative url.
    pub path: String,
    /// Raw query string, without `?`.
    pub query: String,
    /// An `Authorization` header was present (items of a `$batch` inherit the outer one).
    pub authorization: bool,
    pub consistency_level: Option<String>,
    pub throttle_priority: Option<String>,
    pub prefer: Option<String>,
    pub client_request_id: Option<String>,
    pub status: u16,
    /// When the request arrived.
    pub at: Instant,
    /// An item of a `$batch`.
    pub batch_item: bool,
    /// An injected fault answered it.
    pub faulted: bool,
}

pub(crate) struct State {
    /// `http://127.0.0.1:PORT`: the authority root and the Graph root.
    pub base: String,
    pub sealer: Sealer,
    pub clock: Clock,
    /// Keyed by lower-cased tenant id.
    pub tenants: HashMap<String, Tenant>,
    pub tokens: HashMap<String, IssuedToken>,
    pub token_lifetime: u64,
    pub delta_page_size: usize,
    pub list_page_cap: Option<usize>,
    /// Incremental delta rounds start this many change-log entries early (replays).
    pub delta_replay: u64,
    pub faults: Vec<Armed>,
    pub log: Vec<LoggedRequest>,
    /// Seed batches so far (keeps seeded names unique).
    pub seeds: u32,
}

impl State {
    pub fn new(base: String) -> State {
        State {
            base,
            sealer: Sealer::new(),
            clock: Clock::default(),
            tenants: HashMap::new(),
            tokens: HashMap::new(),
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            delta_page_size: DEFAULT_DELTA_PAGE,
            list_page_cap: None,
            delta_replay: 0,
            faults: Vec::new(),
            log: Vec::new(),
            seeds: 0,
        }
    }

    pub fn tenant(&self, id: &str) -> Option<&Tenant> {
        self.tenants.get(&id.to_lowercase())
    }

    pub fn tenant_mut(&mut self, id: &str) -> Option<&mut Tenant> {
        self.tenants.get_mut(&id.to_lowercase())
    }
}
