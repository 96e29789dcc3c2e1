//! One Graph request, done patiently (graph.md §3): headers on every attempt, Retry-After
//! (seconds or HTTP-date) on 429/503/504/408, exponential backoff with jitter otherwise, one
//! token refresh on 401, self-pacing when Graph says the budget is nearly spent, and counters
//! for the run record. Every wait goes through `Pacing::sleep`.

use super::error::{classify, token_rejected, Area, GraphErrorBody, Verdict};
use super::{GraphClient, GraphError, Priority};
use chrono::{DateTime, Utc};
use reqwest::blocking::Response;
use reqwest::header::{HeaderMap, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::Method;
use serde_json::Value;
use std::time::Duration;

/// First backoff wait; doubles per attempt up to `Pacing::max_wait`.
const BACKOFF_BASE: Duration = Duration::from_secs(1);

/// Which request this is, for classifying its failures.
#[derive(Debug, Clone, Copy)]
pub(super) struct Call {
    pub area: Area,
    /// Part of a delta round: 410 means the delta state is gone.
    pub delta: bool,
}

/// One attempt's outcome, as the retry loop sees it.
pub(super) enum Step<T> {
    Done(T),
    Retry {
        after: Option<Duration>,
        throttled: bool,
        why: String,
    },
    /// Try again at once without spending an attempt (after dropping a rejected token).
    Again,
    Fail(GraphError),
}

/// Counters and the self-pacing debt, behind the client's mutex.
#[derive(Default)]
pub(super) struct State {
    pub stats: super::GraphStats,
    /// Wait owed before the next Graph request (x-ms-throttle-limit-percentage ≥ 80%).
    pub pace: Duration,
}

impl GraphClient {
    /// Runs `once` until it is done, fails, or `max_attempts` retryable failures were seen.
    /// Running out of attempts is always `Transient` (graph.md §4.1: throttling is never the
    /// admin's configuration problem).
    pub(super) fn retrying<T>(
        &self,
        what: &str,
        mut once: impl FnMut() -> Step<T>,
    ) -> Result<T, GraphError> {
        let max = self.pacing.max_attempts.max(1);
        let mut attempt = 1;
        loop {
            match once() {
                Step::Done(v) => return Ok(v),
                Step::Fail(e) => return Err(e),
                Step::Again => {}
                Step::Retry {
                    after,
                    throttled,
                    why,
                } => {
                    if throttled {
                        self.state().stats.throttled += 1;
                    }
                    if attempt >= max {
                        let id = self.state().stats.last_request_id.clone();
                        let id = id
                            .map(|id| format!(", last request-id {id}"))
                            .unwrap_or_default();
                        return Err(GraphError::Transient(format!(
                            "{what}: {why} (gave up after {max} attempts{id}); the next run will \
                             try again"
                        )));
                    }
                    log::debug!("{what}: {why}; retrying (attempt {attempt} of {max})");
                    let wait = match after {
                        Some(d) => d.min(self.pacing.max_wait),
                        None => backoff(attempt, self.pacing.max_wait, jitter()),
                    };
                    self.wait(wait);
                    attempt += 1;
                }
            }
        }
    }

    /// GET a Graph URL (absolute) and return its JSON body.
    pub(super) fn get(&self, url: &str, call: Call) -> Result<Value, GraphError> {
        self.call(Method::GET, url, None, call)
    }

    /// POST JSON to a Graph URL (only `$batch`, which is a read here, so retrying is safe).
    pub(super) fn post(&self, url: &str, body: &Value, call: Call) -> Result<Value, GraphError> {
        self.call(Method::POST, url, Some(body), call)
    }

    fn call(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        call: Call,
    ) -> Result<Value, GraphError> {
        let what = format!("{method} {}", path_of(url));
        let mut reauthenticated = false;
        self.retrying(&what, || {
            let owed = std::mem::take(&mut self.state().pace);
            self.wait(owed);
            let token = match self.access_token() {
                Ok(t) => t,
                Err(e) => return Step::Fail(e),
            };
            let mut req = self
                .http
                .request(method.clone(), url)
                .header(AUTHORIZATION, format!("Bearer {token}"))
                .header(ACCEPT, "application/json")
                .header("client-request-id", uuid::Uuid::new_v4().to_string());
            if self.pacing.priority == Priority::Low {
                req = req.header("x-ms-throttle-priority", "low");
            }
            if let Some(body) = body {
                req = req
                    .header(CONTENT_TYPE, "application/json")
                    .body(body.to_string());
            }
            self.state().stats.calls += 1;
            let resp = match req.send() {
                Ok(r) => r,
                Err(e) => return network_failure(&e),
            };
            self.note(resp.headers());
            let (status, after, bytes) = match read(resp) {
                Ok(r) => r,
                Err(step) => return step,
            };
            if (200..300).contains(&status) {
                return match serde_json::from_slice(&bytes) {
                    Ok(v) => Step::Done(v),
                    Err(e) => Step::Fail(GraphError::Malformed(format!(
                        "{what}: Graph's response is not JSON ({e})"
                    ))),
                };
            }
            let err = GraphErrorBody::parse(&bytes);
            // Support tickets need it; the body has it even when a proxy dropped the header.
            if let Some(id) = &err.request_id {
                self.state().stats.last_request_id = Some(id.clone());
            }
            match classify(status, &err, after, call.area, call.delta) {
                Verdict::Retry {
                    after,
                    throttled,
                    why,
                } => Step::Retry {
                    after,
                    throttled,
                    why,
                },
                Verdict::Reauthenticate if !reauthenticated => {
                    reauthenticated = true;
                    self.forget_token(&token);
                    Step::Again
                }
                Verdict::Reauthenticate => Step::Fail(token_rejected(&err)),
                Verdict::Fail(e) => Step::Fail(e),
            }
        })
    }

    /// Sleeps through the injected sleeper and counts the time.
    pub(super) fn wait(&self, d: Duration) {
        if d.is_zero() {
            return;
        }
        (self.pacing.sleep)(d);
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        let mut state = self.state();
        state.stats.waited_ms = state.stats.waited_ms.saturating_add(ms);
    }

    /// Bookkeeping every Graph response gets: its request-id, and how close to throttling we are.
    pub(super) fn note(&self, headers: &HeaderMap) {
        let id = header(headers, "request-id");
        let pace = header(headers, "x-ms-throttle-limit-percentage")
            .and_then(|v| pace_for(&v, self.pacing.max_wait));
        let mut state = self.state();
        if id.is_some() {
            state.stats.last_request_id = id;
        }
        if let Some(p) = pace {
            state.pace = state.pace.max(p);
        }
    }
}

/// Status, Retry-After and body of a response; a body that breaks off is a network failure.
pub(super) fn read<T>(resp: Response) -> Result<(u16, Option<Duration>, Vec<u8>), Step<T>> {
    let status = resp.status().as_u16();
    let after =
        header(resp.headers(), RETRY_AFTER.as_str()).and_then(|v| retry_after(&v, Utc::now()));
    match resp.bytes() {
        Ok(b) => Ok((status, after, b.to_vec())),
        Err(e) => Err(network_failure(&e)),
    }
}

/// Resets, timeouts, refused connections: transient, and every request scimd makes is a read.
pub(super) fn network_failure<T>(e: &reqwest::Error) -> Step<T> {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "network error"
    };
    Step::Retry {
        after: None,
        throttled: false,
        why: format!("{kind}: {}", describe(e)),
    }
}

/// The error and its causes, without the URL: links carry skip and delta tokens, which do not
/// belong in messages.
fn describe(e: &reqwest::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    let mut s = parts.join(": ");
    if let Some(url) = e.url() {
        s = s
            .replace(&format!(" ({url})"), "")
            .replace(url.as_str(), "<url>");
    }
    s
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
}

/// `https://graph.microsoft.com/v1.0/users/delta?$deltatoken=…` → `/v1.0/users/delta`.
pub(super) fn path_of(url: &str) -> &str {
    let no_query = url.split(['?', '#']).next().unwrap_or(url);
    match no_query.find("://") {
        Some(i) => {
            let after = &no_query[i + 3..];
            after.find('/').map_or("/", |j| &after[j..])
        }
        None => no_query,
    }
}

/// Retry-After is either delay-seconds or an HTTP-date (RFC 9110 §10.2.3); a date in the past
/// means "now". Anything else is ignored (then backoff applies).
pub(super) fn retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?;
    let ms = (at.with_timezone(&Utc) - now).num_milliseconds().max(0);
    Some(Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
}

/// Wait before attempt `attempt + 1` with no Retry-After: 1 s, 2 s, 4 s… capped at `cap`, then
/// "equal jitter" (half fixed, half random, `jitter` in [0, 1]) so a fleet of replicas
/// throttled together does not come back together.
pub(super) fn backoff(attempt: u32, cap: Duration, jitter: f64) -> Duration {
    let doubled = BACKOFF_BASE.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
    let full = doubled.min(cap);
    full / 2 + (full / 2).mul_f64(jitter.clamp(0.0, 1.0))
}

/// A uniform fraction in [0, 1]; without an entropy source, the middle.
pub(super) fn jitter() -> f64 {
    let mut buf = [0u8; 4];
    match getrandom::getrandom(&mut buf) {
        Ok(()) => f64::from(u32::from_le_bytes(buf)) / f64::from(u32::MAX),
        Err(_) => 0.5,
    }
}

/// `x-ms-throttle-limit-percentage` is documented as 0.8–1.8 (a fraction of the budget); some
/// proxies and fakes send 80–180. At 80% and above, slow down before Graph says 429: 100 ms at
/// 80%, growing 20 ms per point (500 ms at 100%, 2.1 s at 180%), never beyond `cap`.
pub(super) fn pace_for(value: &str, cap: Duration) -> Option<Duration> {
    let v: f64 = value.trim().trim_end_matches('%').parse().ok()?;
    let percent = if v <= 2.0 { v * 100.0 } else { v };
    if !(80.0..=10_000.0).contains(&percent) {
        return None;
    }
    let ms = 100.0 + (percent - 80.0) * 20.0;
    Some(Duration::from_millis(ms.round() as u64).min(cap))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = Utc
            .with_ymd_and_hms(2015, 10, 21, 7, 27, 50)
            .single()
            .expect("date");
        assert_eq!(retry_after("10", now), Some(Duration::from_secs(10)));
        assert_eq!(retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(10))
        );
        // A date already passed: retry now.
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        for junk in ["", "-5", "1.5", "soon", "Wed, 99 Oct 2015"] {
            assert_eq!(retry_after(junk, now), None, "{junk}");
        }
    }

    #[test]
    fn backoff_doubles_within_jitter_bounds_and_is_capped() {
        let cap = Duration::from_secs(300);
        for (attempt, full) in [
            (1, 1),
            (2, 2),
            (3, 4),
            (4, 8),
            (9, 256),
            (10, 300),
            (60, 300),
        ] {
            let full = Duration::from_secs(full);
            assert_eq!(backoff(attempt, cap, 0.0), full / 2, "attempt {attempt}");
            assert_eq!(backoff(attempt, cap, 1.0), full, "attempt {attempt}");
            let mid = backoff(attempt, cap, jitter());
            assert!(mid >= full / 2 && mid <= full, "{mid:?} for {full:?}");
        }
        assert_eq!(
            backoff(3, Duration::from_secs(3), 1.0),
            Duration::from_secs(3)
        );
    }

    #[test]
    fn self_pacing_grows_with_the_budget_used() {
        let cap = Duration::from_secs(300);
        assert_eq!(pace_for("0.79", cap), None);
        assert_eq!(pace_for("79", cap), None);
        assert_eq!(pace_for("0.8", cap), Some(Duration::from_millis(100)));
        assert_eq!(pace_for("80", cap), Some(Duration::from_millis(100)));
        assert_eq!(pace_for("1.0", cap), Some(Duration::from_millis(500)));
        assert_eq!(pace_for("1.8", cap), Some(Duration::from_millis(2100)));
        assert_eq!(pace_for("95%", cap), Some(Duration::from_millis(400)));
        assert_eq!(
            pace_for("1.8", Duration::from_secs(1)),
            Some(Duration::from_secs(1))
        );
        assert_eq!(pace_for("high", cap), None);
    }

    #[test]
    fn paths_for_messages_drop_host_and_tokens() {
        assert_eq!(
            path_of("https://graph.microsoft.com/v1.0/users/delta?$deltatoken=abc"),
            "/v1.0/users/delta"
        );
        assert_eq!(path_of("http://127.0.0.1:8080"), "/");
        assert_eq!(path_of("/v1.0/$batch"), "/v1.0/$batch");
    }
}
