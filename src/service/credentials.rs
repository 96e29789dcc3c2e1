//! Bearer secrets: issued once, stored as SHA-256 hashes, several live per tenant for rotation.
//! A secret resolves to exactly one tenant.

use super::{ServiceError, Services, Tenant};
use crate::storage::{credentials, rows::NewCredential, tenants};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a verified secret is trusted without asking the database again. Bounds how long a
/// token revoked on another replica (or by the CLI) keeps working; revocations through this
/// process take effect at once.
pub const AUTH_CACHE_TTL: Duration = Duration::from_secs(5);
/// Entries kept at most; the cache is cleared when full (only valid secrets are ever cached).
const AUTH_CACHE_MAX: usize = 10_000;

/// Verified secrets by hash, so a request costs no database round trip to authenticate. Each
/// entry carries its own deadline: [`AUTH_CACHE_TTL`] from now, or sooner when the credential
/// itself (an access token) expires sooner.
#[derive(Default)]
pub struct AuthCache {
    entries: Mutex<HashMap<String, (Principal, Instant)>>,
}

impl AuthCache {
    pub(super) fn get(&self, hash: &str) -> Option<Principal> {
        let entries = self.entries.lock().ok()?;
        let (p, deadline) = entries.get(hash)?;
        (Instant::now() < *deadline).then(|| p.clone())
    }
    /// Cache `p` for at most [`AUTH_CACHE_TTL`], and never past `valid_for` from now.
    pub(super) fn put(&self, hash: String, p: Principal, valid_for: Option<Duration>) {
        let ttl = valid_for.map_or(AUTH_CACHE_TTL, |v| v.min(AUTH_CACHE_TTL));
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= AUTH_CACHE_MAX {
                entries.clear();
            }
            entries.insert(hash, (p, Instant::now() + ttl));
        }
    }
    /// Forget everything (after a revocation or a tenant change).
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

/// Prefix that makes scimd secrets recognisable (secret scanners, logs).
const TOKEN_PREFIX: &str = "scimd_";

/// A freshly issued secret: the only time the plain secret exists outside the client.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IssuedToken {
    pub id: String,
    pub tenant: String,
    pub token: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct TokenInfo {
    pub id: String,
    pub label: Option<String>,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// Who is calling: the tenant the credential belongs to and the credential's id.
#[derive(Debug, Clone)]
pub struct Principal {
    pub tenant: Tenant,
    pub credential_id: String,
}

/// SHA-256 of the secret, hex. Secrets carry 256 random bits, so a fast hash is enough: there is
/// nothing to brute-force, and lookups by hash stay an index probe.
pub fn hash_secret(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn new_secret() -> Result<String, ServiceError> {
    new_secret_with_prefix(TOKEN_PREFIX)
}

/// 256 random bits, hex, after `prefix`.
pub(super) fn new_secret_with_prefix(prefix: &str) -> Result<String, ServiceError> {
    Ok(format!("{prefix}{}", hex(&random_bytes::<32>()?)))
}

/// `N` bytes from the system's randomness.
pub(super) fn random_bytes<const N: usize>() -> Result<[u8; N], ServiceError> {
    let mut buf = [0u8; N];
    getrandom::getrandom(&mut buf)
        .map_err(|e| ServiceError::Invalid(format!("no system randomness: {e}")))?;
    Ok(buf)
}

/// Constant-time equality, so comparing a presented hash leaks no timing.
pub(super) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Services {
    pub fn create_token(
        &self,
        tenant: &str,
        label: Option<&str>,
    ) -> Result<IssuedToken, ServiceError> {
        let t = self.require_tenant(tenant)?;
        let token = new_secret()?;
        let row = NewCredential {
            id: uuid::Uuid::now_v7().to_string(),
            tenant_id: t.id.clone(),
            kind: "token".to_string(),
            label: label.map(str::to_string),
            secret_hash: hash_secret(&token),
            created_at: self.clock.now(),
            expires_at: None,
        };
        self.db
            .write(|conn| credentials::insert(conn, &row).map_err(ServiceError::from))?;
        Ok(IssuedToken {
            id: row.id,
            tenant: t.name,
            token,
        })
    }

    pub fn list_tokens(&self, tenant: &str) -> Result<Vec<TokenInfo>, ServiceError> {
        let t = self.require_tenant(tenant)?;
        let rows = self
            .db
            .read(|conn| credentials::list_for_tenant(conn, &t.id))?;
        let ts = |x: Option<chrono::NaiveDateTime>| x.map(crate::storage::time::rfc3339);
        Ok(rows
            .into_iter()
            .map(|r| TokenInfo {
                id: r.id,
                label: r.label,
                created_at: crate::storage::time::rfc3339(r.created_at),
                last_used_at: ts(r.last_used_at),
                revoked_at: ts(r.revoked_at),
            })
            .collect())
    }

    /// Revoke one token of `tenant`; `false` when no live token has that id in that tenant.
    pub fn revoke_token(&self, tenant: &str, id: &str) -> Result<bool, ServiceError> {
        let t = self.require_tenant(tenant)?;
        let now = self.clock.now();
        let revoked = self
            .db
            .write(|conn| credentials::revoke(conn, &t.id, id, now).map_err(ServiceError::from))?;
        self.auth_cache.clear();
        Ok(revoked)
    }

    /// The principal of a secret verified within the last [`AUTH_CACHE_TTL`], without touching
    /// the database (so the HTTP layer can skip a trip to the blocking pool).
    pub fn authenticate_cached(&self, secret: &str) -> Option<Principal> {
        self.auth_cache.get(&hash_secret(secret))
    }

    /// Resolve a presented bearer secret to its tenant, or `None` (unknown, revoked, expired).
    pub fn authenticate(&self, secret: &str) -> Result<Option<Principal>, ServiceError> {
        Ok(self.resolve_bearer(secret)?.ok())
    }

    /// The principal of a bearer credential (a static secret or an access token), or why it is
    /// refused (for the provisioning log only).
    pub(super) fn resolve_bearer(
        &self,
        secret: &str,
    ) -> Result<Result<Principal, String>, ServiceError> {
        let hash = hash_secret(secret);
        if let Some(p) = self.auth_cache.get(&hash) {
            return Ok(Ok(p));
        }
        if secret.starts_with(TOKEN_PREFIX) {
            return Ok(self
                .authenticate_static(secret, hash)?
                .ok_or_else(|| "unknown, revoked or expired token".to_string()));
        }
        let header = match jsonwebtoken::decode_header(secret) {
            Ok(h) => h,
            Err(_) => return Ok(Err("unknown, revoked or expired token".into())),
        };
        let verified = match header.alg {
            jsonwebtoken::Algorithm::HS256 => self.authenticate_access_token(secret)?,
            jsonwebtoken::Algorithm::RS256 => {
                self.authenticate_entra_jwt(secret, header.kid.as_deref())?
            }
            alg => Err(format!(
                "a JWT signed with {alg:?}, which scimd does not accept"
            )),
        };
        let (p, exp) = match verified {
            Ok(found) => found,
            Err(reason) => return Ok(Err(reason)),
        };
        let left = exp.saturating_sub(self.clock.now().and_utc().timestamp());
        let left = Duration::from_secs(u64::try_from(left).unwrap_or(0));
        self.auth_cache.put(hash, p.clone(), Some(left));
        Ok(Ok(p))
    }

    /// A static secret (`scimd_…`), looked up by hash.
    fn authenticate_static(
        &self,
        secret: &str,
        hash: String,
    ) -> Result<Option<Principal>, ServiceError> {
        debug_assert!(secret.starts_with(TOKEN_PREFIX));
        let now = self.clock.now();
        let found = self.db.read(|conn| {
            let Some(cred) = credentials::find_active_by_hash(conn, &hash, now)? else {
                return Ok::<_, ServiceError>(None);
            };
            if !ct_eq(cred.secret_hash.as_bytes(), hash.as_bytes()) {
                return Ok(None);
            }
            let tenant = tenants::find_by_id(conn, &cred.tenant_id)?;
            Ok(tenant.map(|t| Principal {
                tenant: Tenant::from(t),
                credential_id: cred.id,
            }))
        })?;
        if let Some(p) = &found {
            // Recorded once per cache lifetime, so authenticated reads stay free of writes.
            let id = p.credential_id.clone();
            let touched = self
                .db
                .write(|conn| credentials::touch(conn, &id, now).map_err(ServiceError::from));
            if let Err(e) = touched {
                log::warn!("could not record the last use of credential {id}: {e}");
            }
            self.auth_cache.put(hash, p.clone(), None);
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_prefixed_random_and_hashed() {
        let a = new_secret().unwrap();
        let b = new_secret().unwrap();
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() == TOKEN_PREFIX.len() + 64);
        assert_ne!(a, b);
        assert_eq!(hash_secret(&a).len(), 64);
        assert_ne!(hash_secret(&a), hash_secret(&b));
    }

    #[test]
    fn constant_time_equality() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
    }
}
