//! Pull mode: reconcile a tenant's store with Microsoft Graph (docs/pull-sync.md).
//! fetch (graph) → mirror → desired state (scope) → plan (pure diff) → guard → apply through
//! the service layer. Reaches storage only through `service`.

pub mod apply;
pub mod graph;
pub mod guard;
mod intern;
pub mod mapping;
pub mod plan;
mod reads;
pub mod runner;
pub mod scheduler;
pub mod scope;
