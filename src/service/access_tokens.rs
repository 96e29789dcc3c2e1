//! scimd's own access tokens (OAuth client credentials): HS256 JWTs signed with a 256-bit key
//! scimd generates on first use and keeps in the database, so every replica verifies the
//! tokens of every other. A token names its tenant and client; validation checks signature,
//! issuer, audience, expiry, and (in `oauth.rs`) that the client is still live.

use super::credentials::{hex, random_bytes};
use super::{ServiceError, Services};
use crate::storage::{rows::SigningKeyRow, signing_keys};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use std::sync::Arc;

/// `iss` of every token scimd issues.
pub const ISSUER: &str = "scimd";
/// `aud` of every token scimd issues: its SCIM endpoints.
pub const AUDIENCE: &str = "scimd:scim";
/// The signing key's id (`kid`), so keys can be rotated later without ambiguity.
const KEY_ID: &str = "hs256-1";
/// Clock skew tolerated between replicas, for `nbf` and `exp`.
const LEEWAY_SECS: i64 = 30;

/// Claims of a scimd access token.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(super) struct AccessClaims {
    pub iss: String,
    pub aud: String,
    /// The client id (also in `client_id`, as RFC 9068 has it).
    pub sub: String,
    pub client_id: String,
    /// The tenant's id.
    pub tid: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
}

/// The signing key, loaded once per process.
pub(super) struct SigningKey(Vec<u8>);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(***)")
    }
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

impl Services {
    /// The key tokens are signed with: cached, else read, else generated and stored. When two
    /// replicas generate one at once, the insert of the second fails and it uses the first's.
    fn signing_key(&self) -> Result<Arc<SigningKey>, ServiceError> {
        if let Some(k) = self.signing_key.lock().ok().and_then(|k| k.clone()) {
            return Ok(k);
        }
        let row = match self.db.read(|c| signing_keys::find(c, KEY_ID))? {
            Some(row) => row,
            None => {
                let row = SigningKeyRow {
                    id: KEY_ID.to_string(),
                    algorithm: "HS256".to_string(),
                    secret: hex(&random_bytes::<32>()?),
                    created_at: self.clock.now(),
                };
                match self
                    .db
                    .write(|c| signing_keys::insert(c, &row).map_err(ServiceError::from))
                {
                    Ok(()) => row,
                    Err(e) => self.db.read(|c| signing_keys::find(c, KEY_ID))?.ok_or(e)?,
                }
            }
        };
        let key = unhex(&row.secret)
            .filter(|k| k.len() >= 32)
            .ok_or_else(|| {
                ServiceError::Invalid("the stored token signing key is corrupt".into())
            })?;
        let key = Arc::new(SigningKey(key));
        if let Ok(mut slot) = self.signing_key.lock() {
            *slot = Some(key.clone());
        }
        Ok(key)
    }

    /// A signed access token for `client_id` of tenant `tenant_id`, and its lifetime in seconds.
    pub(super) fn sign_access_token(
        &self,
        tenant_id: &str,
        client_id: &str,
    ) -> Result<(String, u64), ServiceError> {
        let key = self.signing_key()?;
        let lifetime = self.settings.access_token_lifetime_secs;
        let now = self.clock.now().and_utc().timestamp();
        let claims = AccessClaims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: client_id.into(),
            client_id: client_id.into(),
            tid: tenant_id.into(),
            iat: now,
            nbf: now,
            exp: now.saturating_add(i64::try_from(lifetime).unwrap_or(i64::MAX)),
            jti: uuid::Uuid::new_v4().to_string(),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(KEY_ID.into());
        let token = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&key.0))
            .map_err(|e| ServiceError::Invalid(format!("cannot sign an access token: {e}")))?;
        Ok((token, lifetime))
    }

    /// The claims of a scimd access token that is authentic and current, or why it is not
    /// (for the provisioning log; the client is told nothing).
    pub(super) fn verify_access_token(
        &self,
        token: &str,
    ) -> Result<Result<AccessClaims, String>, ServiceError> {
        let key = self.signing_key()?;
        let mut v = Validation::new(Algorithm::HS256);
        v.set_issuer(&[ISSUER]);
        v.set_audience(&[AUDIENCE]);
        v.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        // Times are checked below against the service clock.
        v.validate_exp = false;
        v.validate_nbf = false;
        let claims = match jsonwebtoken::decode::<AccessClaims>(
            token,
            &DecodingKey::from_secret(&key.0),
            &v,
        ) {
            Ok(data) => data.claims,
            Err(e) => return Ok(Err(format!("invalid access token: {e}"))),
        };
        let now = self.clock.now().and_utc().timestamp();
        if claims.exp.saturating_add(LEEWAY_SECS) <= now {
            return Ok(Err("expired access token".into()));
        }
        if claims.nbf.saturating_sub(LEEWAY_SECS) > now {
            return Ok(Err("access token not yet valid (nbf)".into()));
        }
        Ok(Ok(claims))
    }
}

#[cfg(test)]
mod tests {
    use super::unhex;

    #[test]
    fn hex_round_trip() {
        assert_eq!(unhex("00ff10"), Some(vec![0, 255, 16]));
        assert_eq!(unhex("0"), None);
        assert_eq!(unhex("zz"), None);
    }
}
