//! What the Graph reconciler (`crate::sync`) keeps through the service layer: directory
//! configuration, runs and the lease, the mirror of the Graph directory, the links from Entra
//! object ids to resources, and the store as the reconciler compares it.

mod config;
mod mirror;
mod runs;
mod snapshot;

pub use config::{
    Directory, DirectoryChange, DirectoryConfig, DirectoryState, DirectoryView, PullCredential,
    ScopeMode, DEFAULT_AUTHORITY_URL, DEFAULT_GRAPH_URL, DEFAULT_INTERVAL_SECS,
    DEFAULT_MAX_REMOVALS, DEFAULT_MAX_REMOVAL_PERCENT,
};
pub use mirror::{MirrorEdge, MirrorKind, MirrorObject, MirrorRemoval, RoundEnd};
pub use runs::{Lease, RunFinish, RunView, TRIGGER_APPROVAL, TRIGGER_MANUAL, TRIGGER_SCHEDULE};
pub use snapshot::{Candidate, MatchKey, OwnedUser, StoreSnapshot, StoredGroup};
