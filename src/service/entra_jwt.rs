//! Entra-issued JWTs, what Entra sends when the Secret Token is left blank: RS256, `iss`
//! `https://sts.windows.net/<Entra tenant id>/`, `aud` the app's id (for every non-gallery app
//! [`ENTRA_DEFAULT_AUDIENCE`]), signed by a key from Entra's OpenID metadata. A scimd tenant opts
//! in by naming its Entra tenant id (`scimd tenant set NAME --entra-tenant-id ID`).

use super::jwks::check_url;
use super::{Principal, ServiceError, Services, Tenant};
use crate::storage::tenants;
use base64::Engine;
use jsonwebtoken::{Algorithm, Validation};

/// `aud` of the tokens Entra issues to every custom (non-gallery) app.
pub const ENTRA_DEFAULT_AUDIENCE: &str = "8adf8e6e-67b2-4cf2-a259-e3dc5476c621";
/// Clock skew tolerated for `nbf` and `exp`.
const LEEWAY_SECS: i64 = 60;
const ISSUER_PREFIX: &str = "https://sts.windows.net/";

/// Entra's OpenID metadata for a tenant; its `jwks_uri` lists the signing keys.
pub fn default_metadata_url(entra_tenant_id: &str) -> String {
    format!("https://login.microsoftonline.com/{entra_tenant_id}/.well-known/openid-configuration")
}

#[derive(Debug, serde::Deserialize)]
struct EntraClaims {
    exp: i64,
    nbf: Option<i64>,
    appid: Option<String>,
    sub: Option<String>,
}

/// Settings to change; `None` keeps a value, `Some("")` clears it.
#[derive(Debug, Default, Clone)]
pub struct EntraJwtChange {
    pub entra_tenant_id: Option<String>,
    pub jwt_audience: Option<String>,
    pub entra_metadata_url: Option<String>,
}

impl EntraJwtChange {
    pub fn is_empty(&self) -> bool {
        self.entra_tenant_id.is_none()
            && self.jwt_audience.is_none()
            && self.entra_metadata_url.is_none()
    }
}

/// The `iss` claim, read before the signature is checked: it only picks the key to check with.
fn unverified_issuer(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v["iss"].as_str().map(str::to_string)
}

fn merge(current: Option<String>, change: Option<String>) -> Option<String> {
    match change {
        None => current,
        Some(v) if v.trim().is_empty() => None,
        Some(v) => Some(v.trim().to_string()),
    }
}

impl Services {
    /// Change how a tenant trusts Entra-issued JWTs.
    pub fn set_tenant_entra_jwt(
        &self,
        name: &str,
        change: EntraJwtChange,
    ) -> Result<Tenant, ServiceError> {
        let t = self.require_tenant(name)?;
        let entra_tenant_id = merge(t.entra_tenant_id.clone(), change.entra_tenant_id)
            .map(|id| {
                uuid::Uuid::parse_str(&id)
                    .map(|u| u.hyphenated().to_string())
                    .map_err(|_| {
                        ServiceError::Invalid(format!(
                            "Entra tenant id {id:?} is not a GUID (Entra admin center → Overview → Tenant ID)"
                        ))
                    })
            })
            .transpose()?;
        let jwt_audience = merge(t.jwt_audience.clone(), change.jwt_audience);
        let metadata_url = merge(t.entra_metadata_url.clone(), change.entra_metadata_url);
        if let Some(u) = &metadata_url {
            check_url(u).map_err(|e| ServiceError::Invalid(format!("metadata URL {e}")))?;
        }
        self.db.write(|conn| {
            tenants::set_entra_jwt(
                conn,
                &t.id,
                entra_tenant_id.as_deref(),
                jwt_audience.as_deref(),
                metadata_url.as_deref(),
            )
            .map_err(ServiceError::from)
        })?;
        self.auth_cache.clear();
        self.require_tenant(name)
    }

    /// The principal of an Entra-issued JWT, and its expiry, or why it is refused.
    pub(super) fn authenticate_entra_jwt(
        &self,
        token: &str,
        kid: Option<&str>,
    ) -> Result<Result<(Principal, i64), String>, ServiceError> {
        let Some(kid) = kid else {
            return Ok(Err("an RS256 JWT without a kid".into()));
        };
        let Some(iss) = unverified_issuer(token) else {
            return Ok(Err("a JWT without a readable iss".into()));
        };
        let Some(entra_tenant) = iss
            .strip_prefix(ISSUER_PREFIX)
            .and_then(|r| r.strip_suffix('/'))
            .and_then(|id| uuid::Uuid::parse_str(id).ok())
            .map(|u| u.hyphenated().to_string())
        else {
            return Ok(Err(format!(
                "a JWT from issuer {iss:?}, not Entra ({ISSUER_PREFIX}<tenant id>/)"
            )));
        };
        let candidates = self
            .db
            .read(|c| tenants::find_by_entra_tenant(c, &entra_tenant))?;
        let mut why =
            format!("a JWT issued by Entra tenant {entra_tenant}, which no tenant trusts");
        for row in candidates {
            let t = Tenant::from(row);
            let url = t
                .entra_metadata_url
                .clone()
                .unwrap_or_else(|| default_metadata_url(&entra_tenant));
            let key = match self.jwks.key(&url, kid) {
                Ok(Some(k)) => k,
                Ok(None) => {
                    why = format!("signing key {kid:?} is not among Entra's keys ({url})");
                    continue;
                }
                Err(e) => {
                    log::warn!("cannot read Entra's signing keys: {e}");
                    why = format!("Entra's signing keys could not be read: {e}");
                    continue;
                }
            };
            let audience = t.jwt_audience.as_deref().unwrap_or(ENTRA_DEFAULT_AUDIENCE);
            let mut v = Validation::new(Algorithm::RS256);
            v.set_issuer(&[iss.as_str()]);
            v.set_audience(&[audience]);
            v.set_required_spec_claims(&["exp", "iss", "aud"]);
            // Times are checked below against the service clock.
            v.validate_exp = false;
            v.validate_nbf = false;
            let claims = match jsonwebtoken::decode::<EntraClaims>(token, &key, &v) {
                Ok(d) => d.claims,
                Err(e) => {
                    why = format!("invalid Entra JWT: {e}");
                    continue;
                }
            };
            let now = self.clock.now().and_utc().timestamp();
            if claims.exp.saturating_add(LEEWAY_SECS) <= now {
                return Ok(Err("expired Entra JWT".into()));
            }
            if claims
                .nbf
                .is_some_and(|nbf| nbf.saturating_sub(LEEWAY_SECS) > now)
            {
                return Ok(Err("Entra JWT not yet valid (nbf)".into()));
            }
            let who = claims.appid.or(claims.sub).unwrap_or_default();
            return Ok(Ok((
                Principal {
                    tenant: t,
                    credential_id: format!("entra-jwt:{who}"),
                },
                claims.exp,
            )));
        }
        Ok(Err(why))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_is_read_from_the_payload() {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(r#"{"iss":"https://sts.windows.net/x/"}"#);
        let token = format!("e30.{payload}.sig");
        assert_eq!(
            unverified_issuer(&token).as_deref(),
            Some("https://sts.windows.net/x/")
        );
        assert_eq!(unverified_issuer("e30.!!.sig"), None);
    }

    #[test]
    fn changes_keep_set_or_clear() {
        assert_eq!(merge(Some("a".into()), None), Some("a".into()));
        assert_eq!(merge(Some("a".into()), Some(" ".into())), None);
        assert_eq!(merge(None, Some(" b ".into())), Some("b".into()));
    }
}
