//! App-only access tokens (graph.md §1.1–§1.3, §3.5): the client-credentials grant with a
//! secret or a certificate assertion, cached per process and refreshed before they expire.
//! Tokens are opaque: never parsed, never logged.

use super::assertion::Signer;
use super::error::token_error;
use super::request::{network_failure, read, Step};
use super::{GraphClient, GraphError, TokenCache};
use reqwest::header::ACCEPT;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::sync::MutexGuard;
use std::time::{Duration, Instant};

/// Refresh this long before expiry (graph.md §1.2: "less than ~5 minutes remain").
const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// How the app proves itself, prepared once per client.
pub(super) enum Proof {
    Secret(String),
    Certificate(Signer),
}

/// One cache entry per (authority, tenant, client, scope, credential): a rotated secret or
/// certificate gets its own entry, so the old token is never reused for the new credential.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct TokenKey {
    authority: String,
    tenant: String,
    client: String,
    scope: String,
    /// SHA-256 of the credential: identifies it without keeping a second copy of the secret.
    credential: [u8; 32],
}

impl TokenKey {
    pub fn new(settings: &super::GraphSettings, scope: &str) -> TokenKey {
        let mut h = Sha256::new();
        match &settings.credential {
            super::Credential::Secret(s) => {
                h.update(b"secret\0");
                h.update(s.as_bytes());
            }
            super::Credential::Certificate {
                private_key_pem,
                certificate_pem,
            } => {
                h.update(b"certificate\0");
                h.update(private_key_pem.as_bytes());
                h.update(b"\0");
                h.update(certificate_pem.as_bytes());
            }
        }
        TokenKey {
            authority: settings.authority_url.trim_end_matches('/').to_string(),
            tenant: settings.entra_tenant_id.clone(),
            client: settings.client_id.clone(),
            scope: scope.to_string(),
            credential: h.finalize().into(),
        }
    }
}

pub(super) struct CachedToken {
    access_token: String,
    refresh_at: Instant,
}

impl TokenCache {
    fn entries(&self) -> MutexGuard<'_, std::collections::HashMap<TokenKey, CachedToken>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn fresh(&self, key: &TokenKey) -> Option<String> {
        self.entries()
            .get(key)
            .filter(|t| Instant::now() < t.refresh_at)
            .map(|t| t.access_token.clone())
    }

    fn store(&self, key: TokenKey, access_token: String, lifetime: Duration) {
        // Short lifetimes (tests, unusual token policies) refresh at three quarters of their
        // life instead of never being "fresh".
        let margin = REFRESH_MARGIN.min(lifetime / 4);
        let refresh_at = Instant::now() + lifetime.saturating_sub(margin);
        self.entries().insert(
            key,
            CachedToken {
                access_token,
                refresh_at,
            },
        );
    }

    /// Drops `access_token` unless another request already replaced it.
    fn forget(&self, key: &TokenKey, access_token: &str) {
        let mut entries = self.entries();
        if entries
            .get(key)
            .is_some_and(|t| t.access_token == access_token)
        {
            entries.remove(key);
        }
    }
}

impl GraphClient {
    /// A token with at least a few minutes left, from the cache or the token endpoint.
    pub(super) fn access_token(&self) -> Result<String, GraphError> {
        if let Some(t) = self.tokens.fresh(&self.token_key) {
            return Ok(t);
        }
        let (token, lifetime) = self.request_token()?;
        self.tokens
            .store(self.token_key.clone(), token.clone(), lifetime);
        Ok(token)
    }

    /// Graph said 401 to `access_token`: next request gets a new one.
    pub(super) fn forget_token(&self, access_token: &str) {
        self.tokens.forget(&self.token_key, access_token);
    }

    fn request_token(&self) -> Result<(String, Duration), GraphError> {
        self.retrying("POST token endpoint", || {
            let mut form = vec![
                ("client_id", self.client_id.clone()),
                ("scope", self.scope.clone()),
                ("grant_type", "client_credentials".to_string()),
            ];
            match &self.proof {
                Proof::Secret(s) => form.push(("client_secret", s.clone())),
                Proof::Certificate(signer) => {
                    let jwt = match signer.assertion(
                        &self.token_url,
                        &self.client_id,
                        chrono::Utc::now().timestamp(),
                        &uuid::Uuid::new_v4().to_string(),
                    ) {
                        Ok(jwt) => jwt,
                        Err(e) => return Step::Fail(e),
                    };
                    form.push((
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_string(),
                    ));
                    form.push(("client_assertion", jwt));
                }
            }
            self.state().stats.token_requests += 1;
            let resp = match self
                .http
                .post(&self.token_url)
                .header(ACCEPT, "application/json")
                .form(&form)
                .send()
            {
                Ok(r) => r,
                Err(e) => return network_failure(&e),
            };
            let (status, after, body) = match read(resp) {
                Ok(r) => r,
                Err(step) => return step,
            };
            match status {
                200..=299 => match parse_token(&body) {
                    Some(t) => Step::Done(t),
                    None => Step::Fail(GraphError::Malformed(
                        "the token endpoint's answer has no access_token/expires_in".to_string(),
                    )),
                },
                408 | 429 | 500..=599 => Step::Retry {
                    after,
                    throttled: status == 429,
                    why: format!("the token endpoint answered HTTP {status}"),
                },
                _ => Step::Fail(token_error(status, &body)),
            }
        })
    }
}

/// `{"access_token": "…", "expires_in": 3599}` (`expires_in` as a string in older endpoints).
fn parse_token(body: &[u8]) -> Option<(String, Duration)> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let token = v["access_token"].as_str().filter(|t| !t.is_empty())?;
    let secs = match &v["expires_in"] {
        Value::Number(n) => n.as_u64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    Some((token.to_string(), Duration::from_secs(secs)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::graph::{Credential, GraphSettings};

    fn settings(secret: &str) -> GraphSettings {
        GraphSettings {
            authority_url: "https://login.microsoftonline.com/".to_string(),
            graph_url: "https://graph.microsoft.com".to_string(),
            entra_tenant_id: "t".to_string(),
            client_id: "c".to_string(),
            credential: Credential::Secret(secret.to_string()),
        }
    }

    #[test]
    fn token_answers_are_read_with_numeric_or_string_lifetimes() {
        assert_eq!(
            parse_token(br#"{"token_type":"Bearer","expires_in":3599,"access_token":"abc"}"#),
            Some(("abc".to_string(), Duration::from_secs(3599)))
        );
        assert_eq!(
            parse_token(br#"{"expires_in":"60","access_token":"abc"}"#),
            Some(("abc".to_string(), Duration::from_secs(60)))
        );
        assert_eq!(parse_token(br#"{"expires_in":60}"#), None);
        assert_eq!(parse_token(br#"{"access_token":"abc"}"#), None);
        assert_eq!(parse_token(b"nope"), None);
    }

    #[test]
    fn cache_is_keyed_by_credential_and_forgets_only_the_rejected_token() {
        let cache = TokenCache::default();
        let scope = "https://graph.microsoft.com/.default";
        let (a, b) = (
            TokenKey::new(&settings("s1"), scope),
            TokenKey::new(&settings("s2"), scope),
        );
        assert_ne!(a, b);
        assert_eq!(a, TokenKey::new(&settings("s1"), scope));
        cache.store(a.clone(), "tok-a".to_string(), Duration::from_secs(3600));
        assert_eq!(cache.fresh(&a).as_deref(), Some("tok-a"));
        assert_eq!(cache.fresh(&b), None);
        cache.forget(&a, "someone-else's");
        assert_eq!(cache.fresh(&a).as_deref(), Some("tok-a"));
        cache.forget(&a, "tok-a");
        assert_eq!(cache.fresh(&a), None);
        // Expired (or inside the refresh margin) counts as absent.
        cache.store(a.clone(), "old".to_string(), Duration::ZERO);
        assert_eq!(cache.fresh(&a), None);
    }
}
