//! A stop flag background threads sleep on: `stop()` wakes them at once.

use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// A stop flag threads can sleep on.
#[derive(Default)]
pub struct StopSignal {
    stopped: Mutex<bool>,
    wake: Condvar,
}

impl StopSignal {
    /// Sleep up to `d`; `false` once stopping.
    pub fn sleep(&self, d: Duration) -> bool {
        let Ok(guard) = self.stopped.lock() else {
            return false;
        };
        match self.wake.wait_timeout_while(guard, d, |stopped| !*stopped) {
            Ok((stopped, _)) => !*stopped,
            Err(_) => false,
        }
    }
    pub fn is_stopped(&self) -> bool {
        self.stopped.lock().map(|s| *s).unwrap_or(true)
    }
    pub fn stop(&self) {
        if let Ok(mut s) = self.stopped.lock() {
            *s = true;
        }
        self.wake.notify_all();
    }
}
