//! Pull-sync benchmark (design.md §5 "Pull"): a full reconcile of a large directory from the
//! Graph fake, then a no-change delta round, with the process's peak memory.
//!
//!   cargo run --release --example pull-bench -- [--users 100000] [--groups 5000]
//!       [--members 100] [--database URL]
//!
//! Without --database a temporary SQLite file is used. Prints a Markdown report. Besides RSS
//! (which glibc's arenas blur) it reports each run's peak of live heap above what was live
//! when the run started, from a counting allocator: what the run itself needed.

use graph_fake::FakeGraph;
use scimd::clock::SystemClock;
use scimd::service::pull::{DirectoryChange, PullCredential, RunView, TRIGGER_MANUAL};
use scimd::service::{Services, Settings};
use scimd::storage::Db;
use scimd::sync::runner::Runner;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Instant;

/// The system allocator, counting live bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Relaxed) + layout.size();
            PEAK.fetch_max(live, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let live =
                    LIVE.fetch_add(new_size - layout.size(), Relaxed) + new_size - layout.size();
                PEAK.fetch_max(live, Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const MIB: f64 = 1024.0 * 1024.0;

const ENTRA_TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const CLIENT_ID: &str = "3b1c2a9e-0000-4000-8000-00000000c11e";
const SECRET: &str = "bench-secret";

/// (current RSS, peak RSS) of this process in MiB, from /proc.
fn memory_mib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or(0, |kb| kb / 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_string())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    env_logger::init();
    let args: Vec<String> = std::env::args().collect();
    let users: usize = arg(&args, "--users", "100000").parse()?;
    let groups: usize = arg(&args, "--groups", "5000").parse()?;
    let members: usize = arg(&args, "--members", "100").parse()?;
    let dir = std::env::temp_dir().join(format!("scimd-pull-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let default_db = format!("sqlite://{}", dir.join("bench.db").display());
    let url = arg(&args, "--database", &default_db);

    let fake = FakeGraph::start();
    fake.add_tenant(ENTRA_TENANT);
    fake.add_app(ENTRA_TENANT, CLIENT_ID, SECRET);
    let t = Instant::now();
    fake.seed(ENTRA_TENANT, users, groups, members);
    let seeded = t.elapsed();
    fake.set_delta_page_size(999);
    let (_, fake_peak) = memory_mib();

    let db = Db::connect(&url, 8)?;
    db.migrate()?;
    let services = Services::new(db, Arc::new(SystemClock), Settings::default());
    let tenant = services.create_tenant("bench")?;
    services.configure_pull(
        "bench",
        DirectoryChange {
            entra_tenant_id: Some(ENTRA_TENANT.into()),
            client_id: Some(CLIENT_ID.into()),
            credential: Some(PullCredential::Secret(SECRET.into())),
            authority_url: Some(fake.url()),
            graph_url: Some(fake.url()),
            max_removals: Some(u64::MAX / 2),
            ..Default::default()
        },
    )?;
    let runner = Runner::new(services.clone(), "bench".into());
    let run = |label: &str| -> Result<(RunView, f64, u64, f64), Box<dyn std::error::Error>> {
        services.request_pull(&tenant.id, TRIGGER_MANUAL, "bench", false)?;
        let t = Instant::now();
        let base = LIVE.load(Relaxed);
        PEAK.store(base, Relaxed);
        let done = runner
            .run_pending(&tenant.id)?
            .ok_or("the run did not start")?;
        let secs = t.elapsed().as_secs_f64();
        let heap = (PEAK.load(Relaxed) - base) as f64 / MIB;
        let (rss, _) = memory_mib();
        eprintln!(
            "{label}: {} in {secs:.2} s (RSS {rss} MiB, run's heap peak {heap:.1} MiB)",
            done.status
        );
        Ok((done, secs, rss, heap))
    };
    let (dry, dry_s, dry_rss, dry_heap) = run("full read + plan (dry run)")?;
    let (applied, apply_s, apply_rss, apply_heap) = run("apply")?;
    let (delta, delta_s, delta_rss, delta_heap) = run("no-change delta round")?;
    // The daily full round over a store that already matches: the whole directory is read and
    // planned, and the plan is empty.
    services.mirror_forget_links(&tenant.id)?;
    let (steady, steady_s, steady_rss, steady_heap) = run("no-change full round")?;
    let (_, peak) = memory_mib();
    let memberships = groups * members;
    println!("# Pull-sync benchmark\n");
    println!(
        "Directory: {users} users, {groups} groups, {memberships} memberships (fake seeded in {:.1} s; fake alone peaked at {fake_peak} MiB). Database: {}.\n",
        seeded.as_secs_f64(),
        scimd::config::mask_url_password(&url)
    );
    println!("| run | status | seconds | RSS after (MiB) | run's heap peak (MiB) | Graph calls |");
    println!("| --- | --- | ---: | ---: | ---: | ---: |");
    for (label, r, s, rss, heap) in [
        (
            "1. full read + plan (first run: dry run)",
            &dry,
            dry_s,
            dry_rss,
            dry_heap,
        ),
        (
            "2. apply (plan against the mirror, write everything)",
            &applied,
            apply_s,
            apply_rss,
            apply_heap,
        ),
        (
            "3. no-change delta round",
            &delta,
            delta_s,
            delta_rss,
            delta_heap,
        ),
        (
            "4. no-change full round (the daily one)",
            &steady,
            steady_s,
            steady_rss,
            steady_heap,
        ),
    ] {
        println!(
            "| {label} | {} | {s:.2} | {rss} | {heap:.1} | {} |",
            r.status, r.summary["graph"]["calls"]
        );
    }
    println!(
        "\nFull reconcile (1 + 2): **{:.1} s**. Peak RSS of the process (fake included): {peak} MiB.",
        dry_s + apply_s
    );
    println!("\nApplied: {}", applied.summary["applied"]);
    println!("Planned by the full round: {}", steady.summary["planned"]);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
