//! `serve`'s pull-sync thread: every few seconds it runs what is pending ("Sync Now",
//! approvals) and what is due by schedule, one directory after another. Replicas all run it;
//! the lease picks one runner per directory.

use super::runner::Runner;
use crate::service::Services;
use crate::stop::StopSignal;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// How often pending and due runs are looked for.
pub const TICK: Duration = Duration::from_secs(2);

pub struct Scheduler {
    stop: Arc<StopSignal>,
    thread: Option<JoinHandle<()>>,
}

impl Scheduler {
    pub fn start(services: Services, holder: String) -> std::io::Result<Scheduler> {
        let stop: Arc<StopSignal> = Arc::default();
        let flag = stop.clone();
        let runner = Runner::new(services.clone(), holder);
        let thread = std::thread::Builder::new()
            .name("scimd-pull-sync".into())
            .spawn(move || loop {
                match services.pull_directories() {
                    Ok(dirs) => {
                        for dir in dirs {
                            if flag.is_stopped() {
                                return;
                            }
                            if let Err(e) = runner.tick(&dir) {
                                log::warn!(
                                    "pull sync of tenant {} could not run: {e}",
                                    dir.config.tenant_id
                                );
                            }
                        }
                    }
                    Err(e) => log::warn!("pull sync: cannot read the directories: {e}"),
                }
                if !flag.sleep(TICK) {
                    return;
                }
            })?;
        Ok(Scheduler {
            stop,
            thread: Some(thread),
        })
    }

    /// Stop after the current run (a run in progress finishes; its lease is released).
    pub fn stop(mut self) {
        self.stop.stop();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// How a runner names itself in leases: host and process.
pub fn holder_name(role: &str) -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    format!("{role} pid {} on {host}", std::process::id())
}
