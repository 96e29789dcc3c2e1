//! Successful reads are counted in memory per tenant and flushed to `read_counts` every few
//! seconds by `serve`'s background thread, so a read never waits for a write.

use super::{ServiceError, Services};
use crate::storage::read_counts;
use crate::storage::time::{parse_rfc3339, rfc3339};
use chrono::{NaiveDateTime, Timelike};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// Per-tenant counters; the common path takes a shared lock and bumps an atomic.
#[derive(Default)]
pub struct ReadCounter {
    counts: RwLock<HashMap<String, Arc<AtomicU64>>>,
}

impl ReadCounter {
    pub fn add(&self, tenant_id: &str, n: u64) {
        if let Ok(map) = self.counts.read() {
            if let Some(c) = map.get(tenant_id) {
                c.fetch_add(n, Ordering::Relaxed);
                return;
            }
        }
        if let Ok(mut map) = self.counts.write() {
            map.entry(tenant_id.to_string())
                .or_default()
                .fetch_add(n, Ordering::Relaxed);
        }
    }

    /// Take every non-zero count, leaving zeros behind.
    fn take(&self) -> Vec<(String, u64)> {
        let Ok(map) = self.counts.read() else {
            return Vec::new();
        };
        map.iter()
            .map(|(t, c)| (t.clone(), c.swap(0, Ordering::Relaxed)))
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

/// Reads of one tenant in one hour.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReadCount {
    pub hour: String,
    pub reads: i64,
}

fn hour_of(t: NaiveDateTime) -> NaiveDateTime {
    t.date().and_hms_opt(t.hour(), 0, 0).unwrap_or(t)
}

impl Services {
    /// Count one successful read (nothing is written now).
    pub(crate) fn count_read(&self, tenant_id: &str) {
        self.reads.add(tenant_id, 1);
    }

    /// Write the counts gathered since the last flush, in one short transaction, under the
    /// current hour. On failure the counts are kept for the next flush. Returns reads written.
    pub fn flush_read_counts(&self) -> Result<u64, ServiceError> {
        let taken = self.reads.take();
        if taken.is_empty() {
            return Ok(0);
        }
        let hour = hour_of(self.clock.now());
        let written = self.db.write(|conn| {
            for (tenant, n) in &taken {
                read_counts::add(conn, tenant, hour, i64::try_from(*n).unwrap_or(i64::MAX))?;
            }
            Ok::<_, ServiceError>(())
        });
        match written {
            Ok(()) => Ok(taken.iter().map(|(_, n)| n).sum()),
            Err(e) => {
                for (tenant, n) in taken {
                    self.reads.add(&tenant, n);
                }
                Err(e)
            }
        }
    }

    /// A tenant's hourly read counts at or after `since` (RFC 3339), oldest first (flushed
    /// counts only).
    pub fn read_counts(
        &self,
        tenant: &str,
        since: Option<&str>,
    ) -> Result<Vec<ReadCount>, ServiceError> {
        let since = match since {
            Some(s) => Some(parse_rfc3339(s).ok_or_else(|| {
                ServiceError::Invalid(format!(
                    "since must be an RFC 3339 time such as 2026-01-31T12:00:00Z, got {s:?}"
                ))
            })?),
            None => None,
        };
        let t = self.require_tenant(tenant)?;
        let rows = self.db.read(|conn| read_counts::list(conn, &t.id, since))?;
        Ok(rows
            .into_iter()
            .map(|(hour, reads)| ReadCount {
                hour: rfc3339(hour),
                reads,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_taken_once() {
        let c = ReadCounter::default();
        c.add("a", 1);
        c.add("a", 2);
        c.add("b", 1);
        let mut taken = c.take();
        taken.sort();
        assert_eq!(taken, vec![("a".into(), 3), ("b".into(), 1)]);
        assert!(c.take().is_empty());
    }
}
