//! PostgreSQL for tests: `SCIMD_TEST_PG_URL`, or a throwaway cluster started once per test
//! process and stopped by a watchdog when the process exits.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

pub struct PgServer {
    /// A database URL tests may create schemas in.
    pub url: String,
}

/// The shared server, started on first use. `None` when unavailable and not required.
pub fn server() -> Option<&'static PgServer> {
    static SERVER: OnceLock<Option<PgServer>> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            let found = match std::env::var("SCIMD_TEST_PG_URL") {
                Ok(url) if !url.trim().is_empty() => Ok(PgServer {
                    url: url.trim().to_owned(),
                }),
                _ => start_throwaway(),
            };
            match found {
                Ok(server) => Some(server),
                Err(why) if required() => {
                    panic!("PostgreSQL required (SCIMD_REQUIRE_PG=1) but unavailable: {why}")
                }
                Err(why) => {
                    eprintln!("note: PostgreSQL unavailable, running SQLite only: {why}");
                    None
                }
            }
        })
        .as_ref()
}

fn required() -> bool {
    std::env::var("SCIMD_REQUIRE_PG").is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

/// Create a uniquely named schema and return a URL whose connections use it, plus its name.
pub fn fresh_schema(base_url: &str) -> (String, String) {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let schema = format!(
        "t{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut conn =
        PgConnection::establish(base_url).unwrap_or_else(|e| panic!("connect {base_url}: {e}"));
    conn.batch_execute(&format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema};"
    ))
    .unwrap_or_else(|e| panic!("create schema {schema}: {e}"));
    let sep = if base_url.contains('?') { '&' } else { '?' };
    (
        format!("{base_url}{sep}options=-csearch_path%3D{schema}"),
        schema,
    )
}

pub fn drop_schema(base_url: &str, schema: &str) {
    if let Ok(mut conn) = PgConnection::establish(base_url) {
        let _ = conn.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE;"));
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A PostgreSQL binary: on PATH, or in Debian's versioned directory.
fn pg_binary(name: &str) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join(name));
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|version| version.path().join("bin").join(name));
    on_path.chain(debian).find(|p| p.is_file())
}

/// Run a PostgreSQL tool, as the `postgres` user when we are root (initdb and postgres refuse
/// to run as root).
fn pg_command(binary: &Path, as_postgres: bool) -> Command {
    if as_postgres {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(binary);
        c
    } else {
        Command::new(binary)
    }
}

fn run(mut cmd: Command, what: &str, log: &Path) -> Result<(), String> {
    let out = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let status = cmd
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .status()
        .map_err(|e| format!("{what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        let log_text = std::fs::read_to_string(log).unwrap_or_default();
        Err(format!("{what} failed ({status}): {}", log_text.trim()))
    }
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

fn start_throwaway() -> Result<PgServer, String> {
    let initdb = pg_binary("initdb").ok_or("initdb not found (set SCIMD_TEST_PG_URL)")?;
    let pg_ctl = pg_binary("pg_ctl").ok_or("pg_ctl not found")?;
    let as_postgres = is_root();
    let dir = super::temp_dir("scimd-test-pg");
    let (data, sockets) = (dir.join("data"), dir.join("sock"));
    std::fs::create_dir_all(&sockets).map_err(|e| e.to_string())?;
    if as_postgres {
        let mut chown = Command::new("chown");
        chown.args(["-R", "postgres:postgres"]).arg(&dir);
        run(chown, "chown", &dir.join("chown.log"))?;
    }

    let mut init = pg_command(&initdb, as_postgres);
    init.arg("-D")
        .arg(&data)
        .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"]);
    run(init, "initdb", &dir.join("initdb.log"))?;

    let port = free_port()?;
    let options = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
         -c full_page_writes=off -c max_connections=200",
        sockets.display()
    );
    // Stop the server when this process is gone, however it ends. The watchdog's output goes
    // nowhere so it never holds the test harness's stdout/stderr open.
    let stop = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {runas}{pg_ctl} -D {data} stop -m immediate; rm -rf {dir}",
        pid = std::process::id(),
        runas = if as_postgres { "runuser -u postgres -- " } else { "" },
        pg_ctl = pg_ctl.display(),
        data = data.display(),
        dir = dir.display(),
    );
    Command::new("sh")
        .args(["-c", &stop])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("watchdog: {e}"))?;

    let mut start = pg_command(&pg_ctl, as_postgres);
    start
        .arg("-D")
        .arg(&data)
        .arg("-l")
        .arg(dir.join("server.log"))
        .args(["-o", &options, "-w", "-t", "60", "start"]);
    run(start, "pg_ctl start", &dir.join("pg_ctl.log"))?;

    Ok(PgServer {
        url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
    })
}
