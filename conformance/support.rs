//! Shared test fixtures: the backend matrix (SQLite always, PostgreSQL when available) and
//! throwaway databases.
//!
//! Environment:
//! - `SCIMD_TEST_PG_URL`: use this PostgreSQL database (each test gets its own schema in it);
//!   without it the harness starts a throwaway cluster with `initdb`/`pg_ctl` once per process.
//! - `SCIMD_REQUIRE_PG=1`: a PostgreSQL that cannot be had is a failure, not a skip.

#![allow(dead_code)] // Not every test module uses every helper.

pub mod jwks;
pub mod pg;
pub mod server;
pub mod tls;
pub mod webdriver;

pub use server::TestServer;

use scimd::storage::{BackendKind, Db};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// One empty database on one backend. Dropping it removes the database.
pub struct TestDb {
    pub url: String,
    pub kind: BackendKind,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(PathBuf),
    PgSchema { admin_url: String, schema: String },
}

impl TestDb {
    /// A pool on this database with migrations applied.
    #[track_caller]
    pub fn migrated(&self, max_connections: u32) -> Db {
        let db = Db::connect(&self.url, max_connections)
            .unwrap_or_else(|e| panic!("connect {}: {e}", self.url));
        db.migrate()
            .unwrap_or_else(|e| panic!("migrate {}: {e}", self.url));
        db
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::PgSchema { admin_url, schema } => pg::drop_schema(admin_url, schema),
        }
    }
}

/// A fresh directory under the system temp dir, unique within and across test processes.
pub fn temp_dir(prefix: &str) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("{prefix}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    dir
}

/// A new SQLite database file (not `:memory:`: every pooled connection must see the same data).
pub fn sqlite() -> TestDb {
    let dir = temp_dir("scimd-test-sqlite");
    TestDb {
        url: format!("sqlite://{}", dir.join("scimd.db").display()),
        kind: BackendKind::Sqlite,
        cleanup: Cleanup::Dir(dir),
    }
}

/// A new empty PostgreSQL schema, or `None` when PostgreSQL is unavailable (and not required).
pub fn postgres() -> Option<TestDb> {
    let server = pg::server()?;
    let (url, schema) = pg::fresh_schema(&server.url);
    Some(TestDb {
        url,
        kind: BackendKind::Postgres,
        cleanup: Cleanup::PgSchema {
            admin_url: server.url.clone(),
            schema,
        },
    })
}

/// Every backend to run a storage or HTTP test on: SQLite, then PostgreSQL when available.
pub fn backends() -> Vec<TestDb> {
    let mut all = vec![sqlite()];
    all.extend(postgres());
    all
}

/// Run `body` once per backend, on a migrated pool; the backend is named in any failure.
#[track_caller]
pub fn each_backend(body: impl Fn(&Db)) {
    for test_db in backends() {
        let db = test_db.migrated(4);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(&db)));
        drop(db);
        if let Err(panic) = result {
            eprintln!("^ failed on backend {}", test_db.kind.as_str());
            std::panic::resume_unwind(panic);
        }
    }
}

/// Run `body` once per backend against a live server on a fresh database; the backend is
/// named in any failure.
#[track_caller]
pub fn each_server(body: impl Fn(&TestServer)) {
    for test_db in backends() {
        let server = TestServer::start(&test_db.url);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(&server)));
        drop(server);
        if let Err(panic) = result {
            eprintln!("^ failed on backend {}", test_db.kind.as_str());
            std::panic::resume_unwind(panic);
        }
    }
}

/// Run the built `scimd` binary with `args` against the database `url`; returns (success,
/// stdout, stderr).
pub fn scimd(url: &str, args: &[&str]) -> (bool, String, String) {
    scimd_env(url, args, &[])
}

/// [`scimd`] with these extra environment variables.
pub fn scimd_env(url: &str, args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scimd"))
        .args(args)
        .args(["--database", url])
        .env_remove("SCIMD_CONFIG")
        .envs(env.iter().copied())
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap_or_else(|e| panic!("run scimd: {e}"));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
