//! `serve`'s pull-sync thread: every few seconds it runs what is pending ("Sync Now",
//! approvals) and what is due by schedule, one directory after another. Replicas all run it;
//! the lease picks one runner per directory.

use super::runner::Runner;
use crate::service::Services;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often pending and due runs are looked for.
pub const TICK: Duration = Duration::from_secs(2);

pub struct Scheduler {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Scheduler {
    pub fn start(services: Services, holder: String) -> std::io::Result<Scheduler> {
        let stop: Arc<(Mutex<bool>, Condvar)> = Arc::default();
        let flag = stop.clone();
        let runner = Runner::new(services.clone(), holder);
        let thread = std::thread::Builder::new()
            .name("scimd-pull-sync".into())
            .spawn(move || loop {
                match services.pull_directories() {
                    Ok(dirs) => {
                        for dir in dirs {
                            if stopped(&flag) {
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
                let (lock, wake) = &*flag;
                let Ok(guard) = lock.lock() else { return };
                match wake.wait_timeout_while(guard, TICK, |s| !*s) {
                    Ok((s, _)) if !*s => {}
                    _ => return,
                }
            })?;
        Ok(Scheduler {
            stop,
            thread: Some(thread),
        })
    }

    /// Stop after the current run (a run in progress finishes; its lease is released).
    pub fn stop(mut self) {
        let (lock, wake) = &*self.stop;
        if let Ok(mut s) = lock.lock() {
            *s = true;
        }
        wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn stopped(flag: &(Mutex<bool>, Condvar)) -> bool {
    flag.0.lock().map(|s| *s).unwrap_or(true)
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
