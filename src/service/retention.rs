//! Provisioning-log retention: events older than the configured age go, then tenants above the
//! size cap lose their oldest events. Deletes run in small batches, each its own short write
//! transaction with a pause after it, so SCIM writers never wait long for the write lock.

use super::{ServiceError, Services};
use crate::storage::{events, read_counts, tenants};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Events older than this are purged (`None`: kept whatever their age).
    pub max_age_days: Option<u32>,
    /// Most events kept per tenant (`None`: no cap).
    pub max_events_per_tenant: Option<u64>,
    /// Rows deleted per transaction.
    pub batch: u32,
    /// Pause after each batch.
    pub pause: Duration,
}

impl RetentionPolicy {
    /// `0` in either limit means "no limit".
    pub fn new(days: u32, max_events_per_tenant: u64) -> Self {
        RetentionPolicy {
            max_age_days: (days > 0).then_some(days),
            max_events_per_tenant: (max_events_per_tenant > 0).then_some(max_events_per_tenant),
            batch: 1000,
            pause: Duration::from_millis(20),
        }
    }
}

/// What one purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PurgeReport {
    /// Events older than the retention age.
    pub expired: u64,
    /// Events over a tenant's cap.
    pub trimmed: u64,
    /// Delete transactions run.
    pub batches: u64,
}

impl Services {
    /// Run retention once. `keep_going` is asked between batches (a stopping server says no).
    pub fn purge_events(
        &self,
        policy: &RetentionPolicy,
        keep_going: &dyn Fn() -> bool,
    ) -> Result<PurgeReport, ServiceError> {
        let mut report = PurgeReport::default();
        let mut owners: Vec<Option<String>> = self
            .db
            .read(tenants::list)?
            .into_iter()
            .map(|t| Some(t.id))
            .collect();
        owners.push(None);
        let batch = i64::from(policy.batch.max(1));
        // The newest event always stays: SQLite numbers rows max(id) + 1, so keeping it keeps
        // ids increasing (cursors and `after=` of a SIEM shipper stay valid).
        let newest = self.db.read(events::max_id)?;
        let below_newest = |(lo, hi): (i64, i64)| (lo < newest).then_some((lo, hi.min(newest - 1)));
        if let Some(days) = policy.max_age_days {
            let cutoff = self.clock.now() - chrono::Duration::days(i64::from(days));
            for owner in &owners {
                let owner = owner.as_deref();
                while keep_going() {
                    let Some((lo, hi)) = self
                        .db
                        .read(|c| events::expired_id_range(c, owner, cutoff, batch))?
                        .and_then(below_newest)
                    else {
                        break;
                    };
                    let n = self.db.write(|c| {
                        events::delete_id_range(c, owner, lo, hi, Some(cutoff))
                            .map_err(ServiceError::from)
                    })?;
                    report.expired += n as u64;
                    report.batches += 1;
                    std::thread::sleep(policy.pause);
                }
            }
            self.db
                .write(|c| read_counts::purge_before(c, cutoff).map_err(ServiceError::from))?;
        }
        if let Some(cap) = policy.max_events_per_tenant {
            for owner in &owners {
                let owner = owner.as_deref();
                let count = self.db.read(|c| events::count_for_tenant(c, owner))?;
                let mut excess = u64::try_from(count).unwrap_or(0).saturating_sub(cap);
                while excess > 0 && keep_going() {
                    let take = batch.min(i64::try_from(excess).unwrap_or(i64::MAX));
                    let Some((lo, hi)) = self
                        .db
                        .read(|c| events::oldest_id_range(c, owner, take))?
                        .and_then(below_newest)
                    else {
                        break;
                    };
                    let n = self.db.write(|c| {
                        events::delete_id_range(c, owner, lo, hi, None).map_err(ServiceError::from)
                    })?;
                    if n == 0 {
                        break;
                    }
                    report.trimmed += n as u64;
                    report.batches += 1;
                    excess = excess.saturating_sub(n as u64);
                    std::thread::sleep(policy.pause);
                }
            }
        }
        Ok(report)
    }
}
