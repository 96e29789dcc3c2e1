//! Entra's token-signing keys: read from the OpenID metadata's `jwks_uri`, cached by `kid`.
//! An unknown `kid` (Entra rotated its keys) triggers a refresh, at most once per
//! `min_refresh` per metadata URL, so a stream of forged tokens cannot turn scimd into a
//! request flood against Entra; cached keys are re-read after a day regardless.

use jsonwebtoken::DecodingKey;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Keys older than this are fetched again on next use (a key Entra withdrew stops working).
const MAX_AGE: Duration = Duration::from_secs(24 * 3600);
/// Longest a metadata or JWKS fetch may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

struct Entry {
    keys: HashMap<String, DecodingKey>,
    /// When the last fetch was tried (successful or not).
    attempted: Instant,
}

pub struct JwksCache {
    entries: Mutex<HashMap<String, Entry>>,
    /// One fetch at a time: concurrent requests with a new `kid` wait for it instead of
    /// fetching too.
    fetching: Mutex<()>,
    min_refresh: Duration,
    agent: ureq::Agent,
}

/// `https://…`, or plain HTTP to the loopback interface only (tests, a local mirror).
pub fn check_url(url: &str) -> Result<(), String> {
    let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
        .iter()
        .any(|p| {
            url.strip_prefix(p)
                .is_some_and(|r| r.starts_with([':', '/']))
        });
    if url.starts_with("https://") || loopback {
        Ok(())
    } else {
        Err(format!(
            "{url:?} must be an https:// URL (plain http only to 127.0.0.1, localhost or [::1])"
        ))
    }
}

impl JwksCache {
    pub fn new(min_refresh: Duration) -> Self {
        JwksCache {
            entries: Mutex::default(),
            fetching: Mutex::default(),
            min_refresh,
            agent: ureq::AgentBuilder::new().timeout(FETCH_TIMEOUT).build(),
        }
    }

    fn cached(&self, metadata_url: &str, kid: &str) -> Option<DecodingKey> {
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(metadata_url)?;
        if entry.attempted.elapsed() > MAX_AGE {
            return None;
        }
        entry.keys.get(kid).cloned()
    }

    /// The key `kid` published through `metadata_url`: `Ok(None)` when it is not published
    /// (or a refresh is not due yet), `Err` when the keys cannot be fetched.
    pub fn key(&self, metadata_url: &str, kid: &str) -> Result<Option<DecodingKey>, String> {
        if let Some(k) = self.cached(metadata_url, kid) {
            return Ok(Some(k));
        }
        let _one_at_a_time = self.fetching.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(k) = self.cached(metadata_url, kid) {
            return Ok(Some(k));
        }
        let due = self.entries.lock().map_or(true, |entries| {
            entries.get(metadata_url).is_none_or(|e| {
                e.attempted.elapsed() >= self.min_refresh || e.attempted.elapsed() > MAX_AGE
            })
        });
        if !due {
            return Ok(None);
        }
        let fetched = self.fetch(metadata_url);
        let mut entries = self
            .entries
            .lock()
            .map_err(|_| "key cache poisoned".to_string())?;
        let entry = entries
            .entry(metadata_url.to_string())
            .or_insert_with(|| Entry {
                keys: HashMap::new(),
                attempted: Instant::now(),
            });
        entry.attempted = Instant::now();
        // A failed fetch keeps the keys already known.
        entry.keys = fetched?;
        Ok(entry.keys.get(kid).cloned())
    }

    fn get_json(&self, url: &str) -> Result<Value, String> {
        check_url(url)?;
        self.agent
            .get(url)
            .call()
            .map_err(|e| format!("GET {url}: {e}"))?
            .into_json()
            .map_err(|e| format!("GET {url}: not JSON: {e}"))
    }

    fn fetch(&self, metadata_url: &str) -> Result<HashMap<String, DecodingKey>, String> {
        let meta = self.get_json(metadata_url)?;
        let jwks_uri = meta["jwks_uri"]
            .as_str()
            .ok_or_else(|| format!("{metadata_url}: no jwks_uri in the OpenID metadata"))?;
        let jwks = self.get_json(jwks_uri)?;
        let keys = parse_jwks(&jwks);
        log::info!(
            "read {} signing key(s) from {jwks_uri} (metadata {metadata_url})",
            keys.len()
        );
        Ok(keys)
    }
}

/// The RSA signing keys of a JWK set, by `kid`; other keys are skipped.
fn parse_jwks(jwks: &Value) -> HashMap<String, DecodingKey> {
    let mut keys = HashMap::new();
    for k in jwks["keys"].as_array().into_iter().flatten() {
        let usable = k["kty"] == "RSA" && (k["use"].is_null() || k["use"] == "sig");
        let (Some(kid), Some(n), Some(e)) = (k["kid"].as_str(), k["n"].as_str(), k["e"].as_str())
        else {
            continue;
        };
        if let (true, Ok(key)) = (usable, DecodingKey::from_rsa_components(n, e)) {
            keys.insert(kid.to_string(), key);
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http() {
        assert!(check_url("https://login.microsoftonline.com/x").is_ok());
        assert!(check_url("http://127.0.0.1:9/x").is_ok());
        assert!(check_url("http://localhost/x").is_ok());
        assert!(check_url("http://127.0.0.1.evil.example/x").is_err());
        assert!(check_url("http://login.microsoftonline.com/x").is_err());
        assert!(check_url("file:///etc/passwd").is_err());
    }

    #[test]
    fn jwks_parsing_keeps_rsa_signing_keys() {
        let jwks = serde_json::json!({"keys": [
            {"kty": "RSA", "kid": "a", "use": "sig", "n": "sXch", "e": "AQAB"},
            {"kty": "RSA", "kid": "b", "use": "enc", "n": "sXch", "e": "AQAB"},
            {"kty": "EC", "kid": "c", "crv": "P-256", "x": "x", "y": "y"},
            {"kty": "RSA", "n": "sXch", "e": "AQAB"},
        ]});
        let keys = parse_jwks(&jwks);
        assert_eq!(keys.keys().collect::<Vec<_>>(), vec!["a"]);
        assert!(parse_jwks(&serde_json::json!({"nokeys": 1})).is_empty());
    }
}
