//! Per-tenant counters shown in the admin console: requests, failures by `scimType`, and when
//! Entra (a SCIM client of the tenant) was last heard from.

use super::{ServiceError, Services};
use crate::storage::stats;
use crate::storage::time::rfc3339;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TenantCounters {
    /// Logged events plus counted reads.
    pub requests: i64,
    /// Requests written to the provisioning log.
    pub logged: i64,
    /// Successful reads that were counted, not logged.
    pub reads: i64,
    /// Failed requests by `scimType` (`"none"` for failures without one), most frequent first.
    pub failures: Vec<(String, i64)>,
    /// The newest of: a SCIM event, an hour with counted reads, a use of the tenant's secrets.
    pub last_contact: Option<String>,
}

impl Services {
    pub fn tenant_counters(&self, tenant: &str) -> Result<TenantCounters, ServiceError> {
        let t = self.require_tenant(tenant)?;
        let s = self.db.read(|conn| stats::tenant_stats(conn, &t.id))?;
        let last = [s.last_scim_event, s.last_read_hour, s.last_token_use]
            .into_iter()
            .flatten()
            .max();
        Ok(TenantCounters {
            requests: s.events.saturating_add(s.reads),
            logged: s.events,
            reads: s.reads,
            failures: s
                .failures
                .into_iter()
                .map(|(t, n)| (t.unwrap_or_else(|| "none".to_string()), n))
                .collect(),
            last_contact: last.map(rfc3339),
        })
    }
}
