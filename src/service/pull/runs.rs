//! Pull-sync runs: requests ("Sync Now", the schedule, an approval), the per-directory lease
//! that makes one runner at a time, and the run record admins read.

use crate::service::{ServiceError, Services};
use crate::storage::rows::SyncRunRow;
use crate::storage::sync_runs::{self, Finish};
use crate::storage::{sync_directories, time::rfc3339};
use chrono::NaiveDateTime;
use serde_json::Value;

pub const TRIGGER_SCHEDULE: &str = "schedule";
pub const TRIGGER_MANUAL: &str = "manual";
pub const TRIGGER_APPROVAL: &str = "approval";

/// A run as admins see it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RunView {
    pub id: String,
    pub trigger: String,
    pub requested_by: String,
    pub dry_run: bool,
    /// pending, running, succeeded, dry_run, quarantined, partial, transient_error,
    /// config_error, failed.
    pub status: String,
    /// `full` or `delta`, once started.
    pub round: Option<String>,
    pub requested_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub summary: Value,
    pub error: Option<String>,
    pub plan_hash: Option<String>,
    pub approved_at: Option<String>,
    pub approved_by: Option<String>,
    /// The plan (dry runs) or the removals held back (quarantined runs); only on one run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<Value>,
}

impl RunView {
    fn from_row(r: SyncRunRow, with_plan: bool) -> RunView {
        let json = |s: Option<String>| {
            s.and_then(|s| serde_json::from_str(&s).ok())
                .unwrap_or(Value::Null)
        };
        RunView {
            id: r.id,
            trigger: r.trigger,
            requested_by: r.requested_by,
            dry_run: r.dry_run,
            status: r.status,
            round: r.round,
            requested_at: rfc3339(r.requested_at),
            started_at: r.started_at.map(rfc3339),
            finished_at: r.finished_at.map(rfc3339),
            summary: json(r.summary),
            error: r.error,
            plan_hash: r.plan_hash,
            approved_at: r.approved_at.map(rfc3339),
            approved_by: r.approved_by,
            plan: if with_plan { Some(json(r.plan)) } else { None },
        }
    }
    pub fn is_finished(&self) -> bool {
        self.finished_at.is_some()
    }
}

/// The right to run one directory, fenced by a generation number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub tenant_id: String,
    pub holder: String,
    pub generation: i64,
}

/// How a run ended.
#[derive(Debug, Clone)]
pub struct RunFinish {
    pub status: &'static str,
    pub summary: Value,
    pub plan: Option<Value>,
    pub plan_hash: Option<String>,
    pub error: Option<String>,
    /// The run got as far as a plan (satisfies the dry run owed after configuration).
    pub planned: bool,
    /// For the directory's health: a successful run clears `errored_since`.
    pub ok: bool,
    pub next_run_at: NaiveDateTime,
}

/// A requested run, not started yet.
fn pending_row(
    tenant_id: &str,
    trigger: &str,
    requested_by: &str,
    dry_run: bool,
    now: NaiveDateTime,
) -> SyncRunRow {
    SyncRunRow {
        id: uuid::Uuid::now_v7().to_string(),
        tenant_id: tenant_id.to_string(),
        trigger: trigger.to_string(),
        requested_by: requested_by.to_string(),
        dry_run,
        status: sync_runs::PENDING.into(),
        round: None,
        requested_at: now,
        started_at: None,
        finished_at: None,
        summary: None,
        plan: None,
        plan_hash: None,
        approved_at: None,
        approved_by: None,
        error: None,
    }
}

impl Services {
    /// Ask for a run. While one is pending for the tenant, that one is returned instead
    /// (`false`): "Sync Now" twice is one run.
    pub fn request_pull(
        &self,
        tenant_id: &str,
        trigger: &str,
        requested_by: &str,
        dry_run: bool,
    ) -> Result<(RunView, bool), ServiceError> {
        let now = self.clock.now();
        self.db.write(|conn| {
            if sync_directories::find(conn, tenant_id)?.is_none() {
                return Err(ServiceError::NotFound(
                    "pull sync is not configured for this tenant; run `scimd sync configure` first"
                        .into(),
                ));
            }
            let row = pending_row(tenant_id, trigger, requested_by, dry_run, now);
            let (run, created) = sync_runs::request(conn, &row)?;
            Ok((RunView::from_row(run, false), created))
        })
    }

    /// The tenant's runs, newest first.
    pub fn pull_runs(&self, tenant_id: &str, limit: i64) -> Result<Vec<RunView>, ServiceError> {
        Ok(self
            .db
            .read(|conn| sync_runs::list(conn, tenant_id, limit))?
            .into_iter()
            .map(|r| RunView::from_row(r, false))
            .collect())
    }

    /// One run with its plan.
    pub fn pull_run(&self, tenant_id: &str, id: &str) -> Result<Option<RunView>, ServiceError> {
        Ok(self
            .db
            .read(|conn| sync_runs::find(conn, tenant_id, id))?
            .map(|r| RunView::from_row(r, true)))
    }

    pub fn pending_pull_run(&self, tenant_id: &str) -> Result<Option<RunView>, ServiceError> {
        Ok(self
            .db
            .read(|conn| sync_runs::pending(conn, tenant_id))?
            .map(|r| RunView::from_row(r, false)))
    }

    /// The most recently finished run, with its plan (the guard reads approvals from it).
    pub fn last_finished_pull_run(&self, tenant_id: &str) -> Result<Option<RunView>, ServiceError> {
        Ok(self
            .db
            .read(|conn| sync_runs::latest_finished(conn, tenant_id))?
            .map(|r| RunView::from_row(r, true)))
    }

    /// Allow the removals a quarantined run held back, and ask for a run to apply them. Only
    /// the newest finished run can be approved, and the approval holds only while the next
    /// plan's removals are exactly those (same hash).
    pub fn approve_pull_run(
        &self,
        tenant_id: &str,
        run_id: &str,
        by: &str,
    ) -> Result<(RunView, RunView), ServiceError> {
        let now = self.clock.now();
        self.db.write(|conn| {
            let run = sync_runs::find(conn, tenant_id, run_id)?
                .ok_or_else(|| ServiceError::NotFound(format!("no sync run {run_id:?} in this tenant")))?;
            if run.status != "quarantined" {
                return Err(ServiceError::Invalid(format!(
                    "run {run_id} is {}, not quarantined: only a run whose removals were held back can be approved",
                    run.status
                )));
            }
            let latest = sync_runs::latest_finished(conn, tenant_id)?;
            if latest.as_ref().map(|l| &l.id) != Some(&run.id) {
                return Err(ServiceError::Conflict(format!(
                    "run {run_id} is no longer the latest run; approve the newest quarantined run (see `scimd sync runs`)"
                )));
            }
            sync_runs::approve(conn, &run.id, by, now)?;
            let approved = sync_runs::find(conn, tenant_id, run_id)?.ok_or(ServiceError::Storage(
                crate::storage::StorageError::NotFound,
            ))?;
            let request = pending_row(tenant_id, TRIGGER_APPROVAL, by, false, now);
            let (next, _) = sync_runs::request(conn, &request)?;
            Ok((
                RunView::from_row(approved, false),
                RunView::from_row(next, false),
            ))
        })
    }

    /// Take the directory's lease for `ttl`; `None` while another runner holds it. Runs a
    /// dead runner left behind are closed as failed.
    pub fn claim_pull_lease(
        &self,
        tenant_id: &str,
        holder: &str,
        ttl: std::time::Duration,
    ) -> Result<Option<Lease>, ServiceError> {
        let now = self.clock.now();
        let until = now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::seconds(60));
        self.db.write(|conn| {
            let Some(generation) =
                sync_directories::claim_lease(conn, tenant_id, holder, now, until)?
            else {
                return Ok(None);
            };
            sync_runs::abandon_running(conn, tenant_id, now)?;
            Ok(Some(Lease {
                tenant_id: tenant_id.to_string(),
                holder: holder.to_string(),
                generation,
            }))
        })
    }

    /// Extend the lease; `false` when another runner has taken the directory over.
    pub fn renew_pull_lease(
        &self,
        lease: &Lease,
        ttl: std::time::Duration,
    ) -> Result<bool, ServiceError> {
        let until = self.clock.now()
            + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::seconds(60));
        self.db.write(|conn| {
            Ok(sync_directories::renew_lease(
                conn,
                &lease.tenant_id,
                &lease.holder,
                lease.generation,
                until,
            )?)
        })
    }

    pub fn release_pull_lease(&self, lease: &Lease) -> Result<(), ServiceError> {
        self.db.write(|conn| {
            Ok(sync_directories::release_lease(
                conn,
                &lease.tenant_id,
                &lease.holder,
                lease.generation,
            )?)
        })
    }

    /// Mark a pending run as started; `false` when it was not pending any more.
    pub fn start_pull_run(&self, run_id: &str, round: &str) -> Result<bool, ServiceError> {
        let now = self.clock.now();
        self.db
            .write(|conn| Ok(sync_runs::start(conn, run_id, round, now)?))
    }

    /// Progress of a running run (its summary so far), for admins watching it.
    pub fn pull_run_progress(&self, run_id: &str, summary: &Value) -> Result<(), ServiceError> {
        let text = summary.to_string();
        self.db
            .write(|conn| Ok(sync_runs::set_summary(conn, run_id, &text)?))
    }

    /// Close a run and record the directory's health and next due time.
    pub fn finish_pull_run(
        &self,
        tenant_id: &str,
        run_id: &str,
        f: &RunFinish,
    ) -> Result<(), ServiceError> {
        let now = self.clock.now();
        let summary = f.summary.to_string();
        let plan = f.plan.as_ref().map(Value::to_string);
        self.db.write(|conn| {
            sync_runs::finish(
                conn,
                run_id,
                &Finish {
                    status: f.status,
                    summary: &summary,
                    plan: plan.as_deref(),
                    plan_hash: f.plan_hash.as_deref(),
                    error: f.error.as_deref(),
                },
                now,
            )?;
            sync_directories::record_outcome(
                conn,
                tenant_id,
                f.ok,
                f.error.as_deref(),
                f.planned,
                now,
                f.next_run_at,
            )?;
            Ok(())
        })
    }
}
