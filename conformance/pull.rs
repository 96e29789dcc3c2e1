//! Pull sync against the Graph fake (conformance/graph-fake), on every backend: the scenario
//! checklist of shared/reference/graph.md §5.1, a property test, and the CLI.

mod cli;
mod faults;
mod guard;
mod property;
mod scenarios;

use crate::support::{self, TestDb};
use graph_fake::FakeGraph;
use scimd::clock::SystemClock;
use scimd::service::pull::{DirectoryChange, PullCredential, RunView, ScopeMode, TRIGGER_MANUAL};
use scimd::service::{Services, Settings, Tenant};
use scimd::storage::Db;
use scimd::sync::graph::Pacing;
use scimd::sync::runner::Runner;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const ENTRA_TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
pub const CLIENT_ID: &str = "3b1c2a9e-0000-4000-8000-00000000c11e";
pub const SECRET: &str = "fake-secret-value";

/// A scimd tenant wired to a fresh Graph fake: services in-process, a runner whose sleeps are
/// recorded instead of slept (virtual time for Retry-After).
pub struct Pull {
    pub fake: FakeGraph,
    pub services: Services,
    pub tenant: Tenant,
    pub runner: Runner,
    pub sleeps: Arc<Mutex<Vec<Duration>>>,
    pub db_url: String,
    _db: Db,
}

impl Pull {
    pub fn new(test_db: &TestDb) -> Pull {
        Self::with(test_db, DirectoryChange::default())
    }

    /// `change` adds to the basic configuration (mode, thresholds…).
    pub fn with(test_db: &TestDb, change: DirectoryChange) -> Pull {
        let fake = FakeGraph::start();
        fake.add_tenant(ENTRA_TENANT);
        fake.add_app(ENTRA_TENANT, CLIENT_ID, SECRET);
        let db = test_db.migrated(4);
        let services = Services::new(db.clone(), Arc::new(SystemClock), Settings::default());
        let tenant = services.create_tenant("acme").expect("tenant");
        let sleeps: Arc<Mutex<Vec<Duration>>> = Arc::default();
        let record = sleeps.clone();
        let pacing = Pacing {
            sleep: Arc::new(move |d| record.lock().expect("sleeps").push(d)),
            ..Pacing::default()
        };
        let runner = Runner::new(services.clone(), "test runner".into()).with_pacing(pacing);
        let pull = Pull {
            fake,
            services,
            tenant,
            runner,
            sleeps,
            db_url: test_db.url.clone(),
            _db: db,
        };
        pull.configure(DirectoryChange {
            entra_tenant_id: Some(ENTRA_TENANT.into()),
            client_id: Some(CLIENT_ID.into()),
            credential: Some(PullCredential::Secret(SECRET.into())),
            authority_url: Some(pull.fake.url()),
            graph_url: Some(pull.fake.url()),
            ..change
        });
        pull
    }

    pub fn configure(&self, change: DirectoryChange) {
        self.services
            .configure_pull("acme", change)
            .expect("configure");
    }

    /// Sync Now and run it here; returns the finished run.
    #[track_caller]
    pub fn sync(&self) -> RunView {
        self.sync_with(false)
    }

    #[track_caller]
    pub fn sync_with(&self, dry_run: bool) -> RunView {
        let (run, _) = self
            .services
            .request_pull(&self.tenant.id, TRIGGER_MANUAL, "test", dry_run)
            .expect("request");
        let done = self
            .runner
            .run_pending(&self.tenant.id)
            .expect("run")
            .expect("the run was pending and the lease free");
        assert_eq!(done.id, run.id);
        done
    }

    /// The first run after configuration is a dry run; this does it and then an applying one.
    #[track_caller]
    pub fn first_sync(&self) -> RunView {
        let dry = self.sync();
        assert_eq!(dry.status, "dry_run", "{dry:#?}");
        let run = self.sync();
        assert!(
            run.status == "succeeded" || run.status == "partial",
            "{run:#?}"
        );
        run
    }

    /// Every stored user, group and membership of the tenant (tests keep tenants small).
    fn snapshot(&self) -> Stored {
        use scimd::storage::scan;
        const ALL: i64 = 100_000;
        let t = self.tenant.id.as_str();
        self.services
            .db()
            .read(|c| {
                Ok::<_, scimd::storage::StorageError>(Stored {
                    users: scan::users(c, t, None, ALL)?,
                    groups: scan::groups(c, t, None, ALL)?,
                    members: scan::memberships(c, t, None, ALL)?,
                })
            })
            .expect("read the store")
    }

    /// userName → (active, externalId, resource id) of every stored user.
    pub fn users(&self) -> BTreeMap<String, (bool, Option<String>, String)> {
        self.snapshot()
            .users
            .into_iter()
            .map(|u| {
                let doc: Map<String, Value> = serde_json::from_str(&u.doc).unwrap_or_default();
                let name = doc["userName"].as_str().unwrap_or_default().to_string();
                (name, (u.active, u.external_id, u.id))
            })
            .collect()
    }

    /// The stored user document with this userName.
    pub fn user_doc(&self, user_name: &str) -> Map<String, Value> {
        self.snapshot()
            .users
            .into_iter()
            .map(|u| serde_json::from_str::<Map<String, Value>>(&u.doc).unwrap_or_default())
            .find(|d| d["userName"] == user_name)
            .unwrap_or_else(|| panic!("no user {user_name}"))
    }

    /// displayName → member names (userName for users, displayName for groups).
    pub fn groups(&self) -> BTreeMap<String, BTreeSet<String>> {
        let snap = self.snapshot();
        let mut names: BTreeMap<String, String> = BTreeMap::new();
        for u in &snap.users {
            let doc: Map<String, Value> = serde_json::from_str(&u.doc).unwrap_or_default();
            names.insert(
                u.id.clone(),
                doc["userName"].as_str().unwrap_or_default().into(),
            );
        }
        let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut group_name: BTreeMap<String, String> = BTreeMap::new();
        for g in &snap.groups {
            let doc: Map<String, Value> = serde_json::from_str(&g.doc).unwrap_or_default();
            let name = doc["displayName"].as_str().unwrap_or_default().to_string();
            names.insert(g.id.clone(), name.clone());
            group_name.insert(g.id.clone(), name.clone());
            out.insert(name, BTreeSet::new());
        }
        for (g, m, _) in &snap.members {
            if let (Some(gn), Some(mn)) = (group_name.get(g), names.get(m)) {
                out.entry(gn.clone()).or_default().insert(mn.clone());
            }
        }
        out
    }

    /// The newest provisioning events the reconciler wrote (actor graph).
    pub fn graph_events(&self) -> Vec<scimd::service::EventView> {
        let q = scimd::service::EventQuery {
            tenant: Some("acme".into()),
            limit: Some(1000),
            ..Default::default()
        };
        let page = self.services.query_events(&q).expect("events");
        page.events
            .into_iter()
            .filter(|e| e.actor == "graph")
            .collect()
    }
}

struct Stored {
    users: Vec<scimd::storage::UserRow>,
    groups: Vec<scimd::storage::GroupRow>,
    members: Vec<(String, String, String)>,
}

/// Run `body` once per backend with a fresh fake and tenant.
#[track_caller]
pub fn each(change: impl Fn() -> DirectoryChange, body: impl Fn(&Pull)) {
    for test_db in support::backends() {
        let pull = Pull::with(&test_db, change());
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(&pull)));
        drop(pull);
        if let Err(panic) = result {
            eprintln!("^ failed on backend {}", test_db.kind.as_str());
            std::panic::resume_unwind(panic);
        }
    }
}

pub fn mode(m: ScopeMode) -> DirectoryChange {
    DirectoryChange {
        mode: Some(m),
        ..Default::default()
    }
}
