//! One run of one directory: take the lease, fetch (delta round, or a full one), plan, guard,
//! apply, record. Any process can be the runner (`serve`'s scheduler, or `scimd sync now
//! --wait`); the lease makes it one at a time per directory, across replicas.

use super::apply::{self, Applied, Stop};
use super::graph::{
    Credential, DeltaItem, DeltaKind, GraphClient, GraphError, GraphSettings, MemberKind, Pacing,
    Priority, Removal, TokenCache,
};
use super::guard::{self, Thresholds, Verdict};
use super::plan::{self, Plan, Planned, Planner};
use super::reads::StoreReads;
use super::scope::Scope;
use crate::service::pull::{
    Directory, Lease, MirrorEdge, MirrorKind, MirrorObject, MirrorRemoval, PullCredential,
    RoundEnd, RunFinish, RunView, ScopeMode, TRIGGER_SCHEDULE,
};
use crate::service::{Actor, Ctx, RequestInfo, ServiceError, Services, Tables, Tenant};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a lease lasts without renewal: a runner that dies frees its directory this fast.
pub const LEASE_TTL: Duration = Duration::from_secs(60);
/// A full round at least this often, even when delta links are valid (graph.md §0.2).
pub const FULL_RESYNC: Duration = Duration::from_secs(24 * 3600);
/// Objects buffered before they are written to the mirror.
const MIRROR_BATCH: usize = 1000;
/// Ops listed in a stored plan (counts always cover all of them).
const PLAN_LISTED: usize = 1000;
/// After a transient failure, retry within this time even if the interval is longer.
const TRANSIENT_RETRY: Duration = Duration::from_secs(900);

/// Runs directories. Cheap to clone; the token cache is shared by every run of the process.
#[derive(Clone)]
pub struct Runner {
    services: Services,
    tokens: Arc<TokenCache>,
    holder: String,
    pacing: Pacing,
}

/// Why a run ended early.
enum Abort {
    Graph(GraphError),
    Service(ServiceError),
    LostLease,
}

impl From<GraphError> for Abort {
    fn from(e: GraphError) -> Self {
        Abort::Graph(e)
    }
}
impl From<ServiceError> for Abort {
    fn from(e: ServiceError) -> Self {
        Abort::Service(e)
    }
}

impl Runner {
    /// `holder` names this runner in leases (host and process, for admins).
    pub fn new(services: Services, holder: String) -> Runner {
        Runner {
            services,
            tokens: Arc::default(),
            holder,
            pacing: Pacing::default(),
        }
    }

    /// Replace the retry/pacing policy (tests inject a recording sleep).
    pub fn with_pacing(mut self, pacing: Pacing) -> Runner {
        self.pacing = pacing;
        self
    }

    /// The scheduler's step for one directory: request a scheduled run when one is due, then
    /// run whatever is pending. `Ok(None)`: nothing to do, or another runner has it.
    pub fn tick(&self, dir: &Directory) -> Result<Option<RunView>, ServiceError> {
        let tenant_id = &dir.config.tenant_id;
        let due = dir.config.enabled
            && dir
                .state
                .next_run_at
                .is_none_or(|at| at <= self.services.now());
        if due && self.services.pending_pull_run(tenant_id)?.is_none() {
            self.services
                .request_pull(tenant_id, TRIGGER_SCHEDULE, "scheduler", false)?;
        }
        self.run_pending(tenant_id)
    }

    /// Run the tenant's pending run, if there is one and no other runner holds the directory.
    pub fn run_pending(&self, tenant_id: &str) -> Result<Option<RunView>, ServiceError> {
        if self.services.pending_pull_run(tenant_id)?.is_none() {
            return Ok(None);
        }
        let Some(lease) = self
            .services
            .claim_pull_lease(tenant_id, &self.holder, LEASE_TTL)?
        else {
            return Ok(None);
        };
        let result = self.run_leased(&lease);
        if let Err(e) = self.services.release_pull_lease(&lease) {
            log::warn!("could not release the sync lease of tenant {tenant_id}: {e}");
        }
        result
    }

    fn run_leased(&self, lease: &Lease) -> Result<Option<RunView>, ServiceError> {
        let tenant_id = &lease.tenant_id;
        // Re-read under the lease: another runner may have just finished it.
        let Some(run) = self.services.pending_pull_run(tenant_id)? else {
            return Ok(None);
        };
        let Some(dir) = self.services.pull_directory(tenant_id)? else {
            return Ok(None);
        };
        let tenant = self
            .services
            .tenant_by_id(tenant_id)?
            .ok_or_else(|| ServiceError::NotFound(format!("tenant {tenant_id} vanished")))?;
        let full = needs_full_round(&dir, self.services.now());
        if !self
            .services
            .start_pull_run(&run.id, if full { "full" } else { "delta" })?
        {
            return Ok(None);
        }
        log::info!(
            "pull sync of tenant {} started: run {} ({}, {})",
            tenant.name,
            run.id,
            run.trigger,
            if full { "full round" } else { "delta round" }
        );
        let mut work = Work {
            runner: self,
            lease,
            dir: &dir,
            tenant: &tenant,
            run: &run,
            started: Instant::now(),
            summary: json!({}),
        };
        let finish = work.execute(full);
        self.services.finish_pull_run(tenant_id, &run.id, &finish)?;
        log::info!(
            "pull sync of tenant {} ended: run {} {}{}",
            tenant.name,
            run.id,
            finish.status,
            finish
                .error
                .as_deref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        );
        self.services.pull_run(tenant_id, &run.id)
    }

    fn client(&self, dir: &Directory, priority: Priority) -> Result<GraphClient, GraphError> {
        let c = &dir.config;
        let settings = GraphSettings {
            authority_url: c.authority_url.clone(),
            graph_url: c.graph_url.clone(),
            entra_tenant_id: c.entra_tenant_id.clone(),
            client_id: c.client_id.clone(),
            credential: match &c.credential {
                PullCredential::Secret(s) => Credential::Secret(s.clone()),
                PullCredential::Certificate {
                    private_key_pem,
                    certificate_pem,
                } => Credential::Certificate {
                    private_key_pem: private_key_pem.clone(),
                    certificate_pem: certificate_pem.clone(),
                },
            },
        };
        let pacing = Pacing {
            priority,
            ..self.pacing.clone()
        };
        GraphClient::new(settings, pacing, self.tokens.clone())
    }

    /// Test Connection for Graph: token, users, groups (and the service principal in
    /// assigned mode), each failure explained for the admin.
    pub fn test(&self, dir: &Directory) -> Result<super::graph::ProbeReport, GraphError> {
        let client = self.client(dir, Priority::Normal)?;
        let app = (dir.config.mode == ScopeMode::Assigned).then(|| dir.config.assignment_app_id());
        client.probe(app)
    }
}

fn needs_full_round(dir: &Directory, now: chrono::NaiveDateTime) -> bool {
    let s = &dir.state;
    let stale = s
        .last_full_at
        .is_none_or(|at| now.signed_duration_since(at).to_std().unwrap_or_default() >= FULL_RESYNC);
    s.users_delta_link.is_none() || s.groups_delta_link.is_none() || stale
}

/// The state of one run in progress.
struct Work<'a> {
    runner: &'a Runner,
    lease: &'a Lease,
    dir: &'a Directory,
    tenant: &'a Tenant,
    run: &'a RunView,
    started: Instant,
    summary: Value,
}

impl Work<'_> {
    fn services(&self) -> &Services {
        &self.runner.services
    }

    fn execute(&mut self, full: bool) -> RunFinish {
        let dry_run = self.run.dry_run || self.dir.state.needs_dry_run;
        self.summary["dry_run"] = json!(dry_run);
        self.summary["round"] = json!(if full { "full" } else { "delta" });
        let priority = if self.run.trigger == TRIGGER_SCHEDULE {
            Priority::Low
        } else {
            Priority::Normal
        };
        let result = self
            .runner
            .client(self.dir, priority)
            .map_err(Abort::from)
            .and_then(|client| {
                let r = self.sync(&client, full, dry_run);
                self.summary["graph"] = json!(client.stats());
                r
            });
        self.summary["duration_ms"] = json!(self.started.elapsed().as_millis() as u64);
        let interval = Duration::from_secs(self.dir.config.interval_secs);
        let next = |d: Duration| self.services().now() + jittered(d);
        match result {
            Ok(mut f) => {
                f.summary = self.summary.clone();
                f.next_run_at = next(interval);
                f
            }
            Err(abort) => {
                let (status, error, retry) = match abort {
                    Abort::Graph(e @ GraphError::Config { .. }) => ("config_error", e.to_string(), interval),
                    Abort::Graph(e @ GraphError::Transient(_)) => {
                        ("transient_error", e.to_string(), interval.min(TRANSIENT_RETRY))
                    }
                    Abort::Graph(e) => ("failed", e.to_string(), interval.min(TRANSIENT_RETRY)),
                    Abort::Service(e) => ("failed", e.to_string(), interval.min(TRANSIENT_RETRY)),
                    Abort::LostLease => (
                        "failed",
                        "another runner took this directory over (the lease expired); it finishes the work".to_string(),
                        interval,
                    ),
                };
                RunFinish {
                    status,
                    summary: self.summary.clone(),
                    plan: None,
                    plan_hash: None,
                    error: Some(error),
                    planned: false,
                    ok: false,
                    next_run_at: next(retry),
                }
            }
        }
    }

    fn progress(&mut self, phase: &str, done: usize, total: usize) -> Result<(), Abort> {
        self.summary["progress"] = json!({"phase": phase, "done": done, "total": total});
        self.services()
            .pull_run_progress(&self.run.id, &self.summary)?;
        if !self.services().renew_pull_lease(self.lease, LEASE_TTL)? {
            return Err(Abort::LostLease);
        }
        Ok(())
    }

    fn sync(
        &mut self,
        client: &GraphClient,
        full: bool,
        dry_run: bool,
    ) -> Result<RunFinish, Abort> {
        let (full, changed, assignments) = match self.fetch(client, full) {
            Err(Abort::Graph(GraphError::DeltaExpired(why))) => {
                log::info!(
                    "delta token expired for tenant {} ({why}): reading everything",
                    self.tenant.name
                );
                self.services().mirror_forget_links(&self.tenant.id)?;
                self.summary["round"] = json!("full");
                self.summary["delta_reset"] = json!(why);
                self.fetch(client, true)?
            }
            other => other?,
        };
        let assignments_hash = assignments.as_ref().map(|a| hash_assignments(a));
        // The previous run decides both the no-change shortcut and whether an approval holds.
        let previous = self.services().last_finished_pull_run(&self.tenant.id)?;
        let previous_clean = previous.as_ref().is_some_and(|r| r.status == "succeeded");
        if !full
            && changed == 0
            && !dry_run
            && previous_clean
            && assignments_hash == self.dir.state.assignments_hash
        {
            self.summary["no_changes"] = json!(true);
            return Ok(finish("succeeded", None, None, true));
        }
        // Plan against the whole mirror (delta rounds only make the read cheaper), streaming
        // users a page at a time: memory holds the plan, the scope's ids and edges and the groups,
        // not the directory's users.
        self.progress("plan", 0, 0)?;
        let Planned {
            plan,
            group_links,
            incomplete,
            skipped,
        } = self.plan(assignments.as_deref())?;
        let thresholds = Thresholds {
            max_removals: self.dir.config.max_removals,
            max_removal_percent: self.dir.config.max_removal_percent,
        };
        let approved = previous
            .filter(|r| r.status == "quarantined" && r.approved_at.is_some())
            .and_then(|r| r.plan_hash);
        let verdict = guard::check(&plan, &thresholds, &incomplete, approved.as_deref());
        self.summary["planned"] = json!(plan.counts());
        self.summary["conflicts"] =
            json!(plan.conflicts.iter().take(PLAN_LISTED).collect::<Vec<_>>());
        self.summary["skipped"] = json!(skipped
            .iter()
            .take(PLAN_LISTED)
            .map(|(id, why)| json!({"entra_id": id, "detail": why}))
            .collect::<Vec<_>>());
        let removals_hash = plan.removals_hash();
        if dry_run {
            let listed = compact(&plan, |_| true);
            if let Verdict::Hold(why) = &verdict {
                self.summary["guard"] = json!(why);
            }
            return Ok(finish("dry_run", Some(listed), Some(removals_hash), true));
        }
        let (allow, held_reasons) = match verdict {
            Verdict::Allow => (true, None),
            Verdict::Approved => {
                self.summary["guard"] = json!(["removals approved by an admin"]);
                (true, None)
            }
            Verdict::Hold(why) => {
                self.summary["guard"] = json!(why);
                (false, Some(why))
            }
        };
        let held_plan = held_reasons
            .as_ref()
            .map(|_| compact(&plan, plan::Op::is_removal));
        let applied = self.apply(plan, group_links, allow);
        self.summary["applied"] = json!(applied.done);
        self.summary["held"] = json!(applied.held);
        self.summary["errors"] = json!(applied.errors.iter().take(PLAN_LISTED).collect::<Vec<_>>());
        self.summary["error_count"] = json!(applied.errors.len());
        if let Some(why) = applied.stopped {
            self.summary["stopped"] = json!(why);
            return Err(Abort::LostLease);
        }
        let status = if held_reasons.is_some() {
            "quarantined"
        } else if !applied.errors.is_empty() {
            "partial"
        } else {
            "succeeded"
        };
        let hash = held_reasons.map(|_| removals_hash);
        Ok(finish(status, held_plan, hash, true))
    }

    /// Scope the mirror and plan against the store.
    fn plan(&mut self, assignments: Option<&[super::graph::Assignment]>) -> Result<Planned, Abort> {
        let services = self.services().clone();
        let tenant_id = self.tenant.id.as_str();
        let users = services.mirror_states(tenant_id, MirrorKind::User)?;
        let mut groups = Vec::new();
        services.mirror_pages(tenant_id, MirrorKind::Group, |page| {
            groups.extend(page);
            Ok::<_, ServiceError>(())
        })?;
        let mut scope = Scope::builder(&self.dir.config, users, groups);
        services.mirror_edges(tenant_id, |e| scope.edge(e))?;
        let scope = scope.finish(assignments);
        let (users, groups, memberships) = scope.size();
        self.summary["directory"] =
            json!({"users": users, "groups": groups, "memberships": memberships});
        let mut planner = Planner::new(&scope, services.pull_snapshot(tenant_id)?);
        let mut reads = StoreReads {
            services: &services,
            tenant_id,
        };
        services.mirror_pages(tenant_id, MirrorKind::User, |page| {
            planner.users(&scope, &page, &mut reads)
        })?;
        planner.users_done(&mut reads)?;
        planner.groups(&scope);
        for (group, linked) in planner.member_groups(&scope) {
            let owned = match &linked {
                Some(r) => services.pull_owned_members(tenant_id, r)?,
                None => Vec::new(),
            };
            planner.members(&scope, group, &owned);
        }
        Ok(planner.finish())
    }

    fn apply(&mut self, plan: Plan, group_links: HashMap<String, String>, allow: bool) -> Applied {
        let request =
            RequestInfo::internal(Actor::Graph, &format!("pull sync run {}", self.run.id));
        let ctx = Ctx {
            tenant: self.tenant,
            base_url: "",
            request: &request,
        };
        let services = self.services().clone();
        let mut progress = |done: usize, total: usize| {
            self.progress("apply", done, total)
                .map_err(|_| Stop("lost the directory's lease".into()))
        };
        apply::apply(&services, &ctx, plan, group_links, allow, &mut progress)
    }

    /// Read users and groups (a delta round, or the initial round of a full one) into the
    /// mirror; in assigned mode also the app's assignments. Returns whether the round was
    /// full, how many objects it reported, and the assignments.
    fn fetch(
        &mut self,
        client: &GraphClient,
        full: bool,
    ) -> Result<(bool, usize, Option<Vec<super::graph::Assignment>>), Abort> {
        let state = &self.dir.state;
        let (users_from, groups_from) = if full {
            (None, None)
        } else {
            (
                state.users_delta_link.clone(),
                state.groups_delta_link.clone(),
            )
        };
        let mut changed = 0;
        let users_link = self.round(
            client,
            DeltaKind::Users,
            users_from.as_deref(),
            &mut changed,
        )?;
        let groups_link = self.round(
            client,
            DeltaKind::Groups,
            groups_from.as_deref(),
            &mut changed,
        )?;
        let assignments = if self.dir.config.mode == ScopeMode::Assigned {
            let app = self.dir.config.assignment_app_id();
            let sp = client.service_principal(app)?.ok_or_else(|| GraphError::Config {
                code: "ServicePrincipalNotFound".into(),
                message: format!("the application {app} has no service principal in this Entra tenant"),
                hint: "Assigned mode reads the users and groups assigned to the enterprise application: make sure the app id is right and that an admin consented to the app in this tenant (Enterprise applications must list it).".into(),
            })?;
            Some(client.app_role_assignments(&sp)?)
        } else {
            None
        };
        let hash = assignments.as_ref().map(|a| hash_assignments(a));
        let now = self.services().now();
        let end = RoundEnd {
            users_link: &users_link,
            groups_link: &groups_link,
            full_at: full.then_some(now),
            assignments_hash: hash.as_deref(),
        };
        self.services()
            .mirror_commit_round(&self.tenant.id, &self.run.id, &end)?;
        Ok((full, changed, assignments))
    }

    /// One delta round of one kind, written to the mirror in batches. Returns the new link.
    fn round(
        &mut self,
        client: &GraphClient,
        kind: DeltaKind,
        from: Option<&str>,
        changed: &mut usize,
    ) -> Result<String, Abort> {
        let phase = match kind {
            DeltaKind::Users => "fetch_users",
            DeltaKind::Groups => "fetch_groups",
        };
        let mut objects: Vec<MirrorObject> = Vec::new();
        let mut edges: Vec<MirrorEdge> = Vec::new();
        let mut count = 0usize;
        let mut flushed = 0usize;
        let mut failure: Option<Abort> = None;
        let tenant_id = self.tenant.id.clone();
        let run_id = self.run.id.clone();
        let link = {
            let flush = |objects: &mut Vec<MirrorObject>,
                         edges: &mut Vec<MirrorEdge>,
                         count: usize,
                         work: &mut Self|
             -> Result<(), Abort> {
                work.services()
                    .mirror_merge(&tenant_id, &run_id, objects, edges)?;
                objects.clear();
                edges.clear();
                work.progress(phase, count, 0)
            };
            let this = &mut *self;
            let mut sink = |item: DeltaItem| -> Result<(), GraphError> {
                count += 1;
                let (o, e) = to_mirror(kind, item);
                objects.push(o);
                edges.extend(e);
                if objects.len() + edges.len() / 10 >= MIRROR_BATCH {
                    let first = flushed == 0;
                    if let Err(a) = flush(&mut objects, &mut edges, count, this) {
                        failure = Some(a);
                        return Err(GraphError::Transient(
                            "stopped: could not store the mirror".into(),
                        ));
                    }
                    flushed += 1;
                    if first {
                        // The first of several batches: the mirror may have grown from empty.
                        if let Err(e) = this.services().refresh_statistics(Tables::Mirror) {
                            log::warn!("pull read: could not refresh the planner statistics: {e}");
                        }
                    }
                }
                Ok(())
            };
            let result = client.delta(kind, from, &mut sink);
            if let Some(a) = failure.take() {
                return Err(a);
            }
            let link = result?;
            flush(&mut objects, &mut edges, count, self)?;
            link
        };
        *changed += count;
        self.summary[phase] = json!(count);
        Ok(link)
    }
}

fn to_mirror(kind: DeltaKind, item: DeltaItem) -> (MirrorObject, Vec<MirrorEdge>) {
    let group_id = item.id.clone();
    let edges = item
        .members
        .into_iter()
        .map(|m| MirrorEdge {
            group_id: group_id.clone(),
            member_id: m.id,
            member_kind: match m.kind {
                MemberKind::User => "user",
                MemberKind::Group => "group",
                MemberKind::Other => "other",
            },
            removed: m.removed,
        })
        .collect();
    let object = MirrorObject {
        kind: match kind {
            DeltaKind::Users => MirrorKind::User,
            DeltaKind::Groups => MirrorKind::Group,
        },
        entra_id: item.id,
        props: item.props,
        removed: item.removed.map(|r| match r {
            Removal::Changed => MirrorRemoval::SoftDeleted,
            Removal::Deleted => MirrorRemoval::Deleted,
        }),
    };
    (object, edges)
}

fn finish(
    status: &'static str,
    plan: Option<Value>,
    hash: Option<String>,
    planned: bool,
) -> RunFinish {
    RunFinish {
        status,
        summary: Value::Null,
        plan,
        plan_hash: hash,
        error: None,
        planned,
        ok: true,
        next_run_at: chrono::NaiveDateTime::default(),
    }
}

/// The plan as stored with the run: counts, and the first operations without their bodies.
fn compact(plan: &Plan, keep: impl Fn(&plan::Op) -> bool) -> Value {
    let ops: Vec<Value> = plan
        .ops
        .iter()
        .filter(|o| keep(o))
        .take(PLAN_LISTED)
        .map(|o| {
            let mut v = serde_json::to_value(o).unwrap_or(Value::Null);
            if let Some(m) = v.as_object_mut() {
                m.remove("body");
            }
            v
        })
        .collect();
    json!({"counts": plan.counts(), "ops": ops, "listed": ops.len(), "conflicts": plan.conflicts.len()})
}

fn hash_assignments(a: &[super::graph::Assignment]) -> String {
    let mut keys: Vec<String> = a
        .iter()
        .map(|x| format!("{:?} {}", x.principal_type, x.principal_id))
        .collect();
    keys.sort();
    let digest = Sha256::digest(keys.join("\n").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// `d` ± 10 %, so many directories (and replicas) do not hit Graph at the same instant.
fn jittered(d: Duration) -> chrono::Duration {
    let mut b = [0u8; 2];
    let r = if getrandom::getrandom(&mut b).is_ok() {
        f64::from(u16::from_le_bytes(b)) / f64::from(u16::MAX)
    } else {
        0.5
    };
    let secs = d.as_secs_f64() * (0.9 + 0.2 * r);
    chrono::Duration::milliseconds((secs * 1000.0) as i64)
}
