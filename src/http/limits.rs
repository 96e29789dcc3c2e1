//! Abuse resistance at the edge: the client's address (through trusted proxies only), a
//! per-address counter of failed authentications that turns further failures into 429 for the
//! rest of its window, and per-tenant token buckets. All in memory, per server process. A
//! request with a valid credential is never refused by the failure counter.

use super::AppState;
use crate::service::Cidr;
use actix_web::{web, HttpRequest};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Entries kept at most per map; a full map is cleared (it only ever delays an attacker).
const MAX_ENTRIES: usize = 100_000;

pub struct Limits {
    failure_limit: u32,
    window: Duration,
    /// Failed authentications per address: count and the start of the window.
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
    /// Per tenant id: tokens left and when they were last topped up.
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl Limits {
    pub fn new(failure_limit: u32, window: Duration) -> Self {
        Limits {
            failure_limit,
            window,
            failures: Mutex::default(),
            buckets: Mutex::default(),
        }
    }

    /// Count a failed authentication from `addr`; `Some(seconds)` to wait when the address has
    /// failed more than the limit within the window (0 limit: never).
    pub fn failed(&self, addr: Option<IpAddr>) -> Option<u64> {
        let addr = addr?;
        if self.failure_limit == 0 {
            return None;
        }
        let mut map = self.failures.lock().ok()?;
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        let now = Instant::now();
        let entry = map.entry(addr).or_insert((0, now));
        if now.duration_since(entry.1) >= self.window {
            *entry = (0, now);
        }
        entry.0 = entry.0.saturating_add(1);
        (entry.0 > self.failure_limit).then(|| {
            let left = self.window.saturating_sub(now.duration_since(entry.1));
            left.as_secs().max(1)
        })
    }

    /// Take one request from the tenant's bucket (`per_sec` refill, two seconds of burst);
    /// `Err(seconds)` to wait when it is empty.
    pub fn admit(&self, tenant_id: &str, per_sec: u64) -> Result<(), u64> {
        let Ok(mut map) = self.buckets.lock() else {
            return Ok(());
        };
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        let rate = per_sec.max(1) as f64;
        let capacity = rate * 2.0;
        let now = Instant::now();
        let (tokens, last) = map.entry(tenant_id.to_string()).or_insert((capacity, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * rate).min(capacity);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / rate).ceil().max(1.0) as u64)
        }
    }
}

/// The client's address: the peer, or — when the peer is a trusted proxy — the nearest
/// address in `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_addr(req: &HttpRequest) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let trusted = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.settings.trusted_proxies.as_slice())
        .unwrap_or_default();
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return Some(peer);
    }
    let hops: Vec<IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|h| h.trim().parse().ok())
        .collect();
    Some(
        hops.iter()
            .rev()
            .copied()
            .find(|ip| !is_trusted(*ip))
            .or_else(|| hops.first().copied())
            .unwrap_or(peer),
    )
}

/// Whether `addr` may use a tenant with this allow-list (comma-separated CIDRs).
pub fn allowed(allowlist: Option<&str>, addr: Option<IpAddr>) -> bool {
    let Some(list) = allowlist else { return true };
    let Ok(ranges) = Cidr::parse_list(list) else {
        return false;
    };
    addr.is_some_and(|a| ranges.iter().any(|c| c.contains(a)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_over_the_limit_wait_for_the_window() {
        let l = Limits::new(3, Duration::from_secs(60));
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert_eq!(
            (l.failed(Some(a)), l.failed(Some(a)), l.failed(Some(a))),
            (None, None, None)
        );
        assert!(l.failed(Some(a)).is_some_and(|s| (1..=60).contains(&s)));
        assert_eq!(l.failed(Some(b)), None);
        assert_eq!(Limits::new(0, Duration::from_secs(1)).failed(Some(a)), None);
    }

    #[test]
    fn buckets_allow_a_burst_then_refill() {
        let l = Limits::new(0, Duration::from_secs(1));
        for _ in 0..4 {
            assert_eq!(l.admit("t", 2), Ok(()));
        }
        assert_eq!(l.admit("t", 2), Err(1));
        assert_eq!(l.admit("other", 2), Ok(()));
    }

    #[test]
    fn allow_lists() {
        let ip = "10.0.0.5".parse().ok();
        assert!(allowed(None, ip));
        assert!(allowed(Some("10.0.0.0/8"), ip));
        assert!(!allowed(Some("192.168.0.0/16"), ip));
        assert!(!allowed(Some("10.0.0.0/8"), None));
    }
}
