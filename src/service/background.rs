//! Work `serve` does beside answering requests: flushing read counts every few seconds and
//! purging old events every few minutes. Both stop (after a last flush) when the server does.

use super::retention::RetentionPolicy;
use super::Services;
use crate::stop::StopSignal;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// How often counted reads are written.
pub const READ_FLUSH_EVERY: Duration = Duration::from_secs(5);
/// How often retention runs (first run at start).
pub const PURGE_EVERY: Duration = Duration::from_secs(300);

/// The running background threads; [`Background::stop`] ends them.
pub struct Background {
    stop: Arc<StopSignal>,
    threads: Vec<JoinHandle<()>>,
}

impl Background {
    pub fn start(services: Services, retention: RetentionPolicy) -> std::io::Result<Background> {
        let stop = Arc::new(StopSignal::default());
        let (s, st) = (services.clone(), stop.clone());
        let flusher = std::thread::Builder::new()
            .name("scimd-read-counts".into())
            .spawn(move || loop {
                let running = st.sleep(READ_FLUSH_EVERY);
                if let Err(e) = s.flush_read_counts() {
                    log::warn!("could not write read counts (kept for the next try): {e}");
                }
                if !running {
                    break;
                }
            })?;
        let st = stop.clone();
        let purger = std::thread::Builder::new()
            .name("scimd-retention".into())
            .spawn(move || loop {
                match services.purge_events(&retention, &|| !st.is_stopped()) {
                    Ok(r) if r.expired + r.trimmed > 0 => log::info!(
                        "provisioning log retention: {} expired and {} over-cap events purged in {} batches",
                        r.expired, r.trimmed, r.batches
                    ),
                    Ok(_) => {}
                    Err(e) => log::warn!("provisioning log retention failed (retried later): {e}"),
                }
                if !st.sleep(PURGE_EVERY) {
                    break;
                }
            })?;
        Ok(Background {
            stop,
            threads: vec![flusher, purger],
        })
    }

    /// Stop both threads; read counts are flushed one last time.
    pub fn stop(self) {
        self.stop.stop();
        for t in self.threads {
            let _ = t.join();
        }
    }
}
