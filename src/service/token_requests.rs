//! The OAuth token endpoint's use case: check a client's credentials, sign an access token, and
//! log every refusal as an `Authenticate` failure of the tenant it aimed at (the tenant in the
//! URL, else the client's), as refused SCIM requests are. The answer is always the same
//! `invalid_client`; the event says why. Neither the secret nor an unknown client id (it may be
//! a secret pasted into the wrong field) is ever logged.

use super::audit::RequestInfo;
use super::credentials::{ct_eq, hash_secret};
use super::oauth::CLIENT_SECRET_PREFIX;
use super::{ServiceError, Services};
use crate::scim::ScimError;
use crate::storage::rows::{OAuthClientRow, TenantRow};
use crate::storage::time::rfc3339;
use crate::storage::{oauth_clients, tenants};
use chrono::NaiveDateTime;

/// A successful token request: RFC 6749 §5.1.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AccessToken {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
}

/// What a token request's credentials come to.
struct Checked {
    /// The client the id names, with its tenant.
    owner: Option<(OAuthClientRow, TenantRow)>,
    /// Why it is refused; `None`: grant it.
    refusal: Option<String>,
}

impl Services {
    /// The token endpoint: an access token for a live client presenting a live secret, or
    /// `None` (unknown client, wrong, expired or revoked secret, revoked client, or a client of
    /// another tenant than `path_tenant`), logged. The caller answers every `None` alike.
    pub fn issue_access_token(
        &self,
        client_id: &str,
        client_secret: &str,
        path_tenant: Option<&str>,
        info: &RequestInfo,
    ) -> Result<Option<AccessToken>, ServiceError> {
        let now = self.clock.now();
        let checked = self.check_client(client_id, client_secret, path_tenant, now)?;
        let (client, tenant) = match (checked.owner, checked.refusal) {
            (Some(owner), None) => owner,
            (owner, refusal) => {
                let reason = refusal.unwrap_or_else(|| "unknown OAuth client".into());
                let client = owner.as_ref().map(|(c, _)| c);
                let owner_tenant = owner.as_ref().map(|(_, t)| t.id.as_str());
                self.log_token_refusal(client, owner_tenant, path_tenant, 401, &reason, info)?;
                return Ok(None);
            }
        };
        let (access_token, expires_in) = self.sign_access_token(&tenant.id, &client.id)?;
        let id = client.id.clone();
        if let Err(e) = self
            .db
            .write(|conn| oauth_clients::touch(conn, &id, now).map_err(ServiceError::from))
        {
            log::warn!("could not record the last use of OAuth client {id}: {e}");
        }
        Ok(Some(AccessToken {
            access_token,
            token_type: "Bearer",
            expires_in,
        }))
    }

    /// A token request refused before its credentials were checked (not a form, another grant
    /// type, malformed or missing client authentication), logged like the others. `client_id`
    /// is the id the request claimed, if any; it is recorded only when it names a client.
    pub fn refuse_token_request(
        &self,
        client_id: Option<&str>,
        path_tenant: Option<&str>,
        status: u16,
        reason: &str,
        info: &RequestInfo,
    ) -> Result<(), ServiceError> {
        let client = match client_id {
            Some(id) => self.db.read(|conn| oauth_clients::find(conn, id))?,
            None => None,
        };
        let tenant_id = client.as_ref().map(|c| c.tenant_id.as_str());
        self.log_token_refusal(
            client.as_ref(),
            tenant_id,
            path_tenant,
            status,
            reason,
            info,
        )
    }

    fn check_client(
        &self,
        client_id: &str,
        secret: &str,
        path_tenant: Option<&str>,
        now: NaiveDateTime,
    ) -> Result<Checked, ServiceError> {
        let hash = hash_secret(secret);
        let well_formed = secret.starts_with(CLIENT_SECRET_PREFIX);
        self.db.read(|conn| {
            let Some(client) = oauth_clients::find(conn, client_id)? else {
                return Ok(Checked {
                    owner: None,
                    refusal: Some("unknown OAuth client".into()),
                });
            };
            let Some(tenant) = tenants::find_by_id(conn, &client.tenant_id)? else {
                return Ok(Checked {
                    owner: None,
                    refusal: Some("unknown OAuth client".into()),
                });
            };
            // The decision: a live secret of a live client (one query, as before any logging).
            let live = match well_formed {
                true => oauth_clients::find_live_secret(conn, client_id, &hash, now)?
                    .filter(|s| ct_eq(s.secret_hash.as_bytes(), hash.as_bytes())),
                false => None,
            };
            let refusal = if live.is_some() {
                path_tenant.filter(|p| *p != tenant.name).map(|p| {
                    format!(
                        "OAuth client {} belongs to tenant {:?}, not to {p:?} named in the URL",
                        client.id, tenant.name
                    )
                })
            } else if client.revoked_at.is_some() {
                Some(format!("OAuth client {} is revoked", client.id))
            } else if !well_formed {
                Some(format!(
                    "the client secret is not one scimd issued (those start with {CLIENT_SECRET_PREFIX})"
                ))
            } else {
                // Only the explanation: which of the client's secrets it was, if any.
                Some(match oauth_clients::find_secret(conn, client_id, &hash)? {
                    Some(s) if s.revoked_at.is_some() => {
                        format!("client secret {} is revoked", s.id)
                    }
                    Some(s) => format!(
                        "client secret {} expired at {}",
                        s.id,
                        rfc3339(s.expires_at)
                    ),
                    None => "wrong client secret".into(),
                })
            };
            Ok(Checked {
                owner: Some((client, tenant)),
                refusal,
            })
        })
    }

    /// Log a refused token request against the tenant named in the URL when it exists, else
    /// the client's; with neither, only in the server log.
    fn log_token_refusal(
        &self,
        client: Option<&OAuthClientRow>,
        client_tenant_id: Option<&str>,
        path_tenant: Option<&str>,
        status: u16,
        reason: &str,
        info: &RequestInfo,
    ) -> Result<(), ServiceError> {
        let path_owner = match path_tenant {
            Some(name) => self.tenant(name)?.map(|t| t.id),
            None => None,
        };
        let Some(tenant_id) = path_owner.or(client_tenant_id.map(str::to_string)) else {
            log::info!(
                "refused token request {} {} (request {}): {reason}",
                info.method,
                info.path,
                info.request_id
            );
            return Ok(());
        };
        let mut info = info.clone();
        info.credential_id = client.map(|c| c.id.clone());
        info.body = None;
        self.record_refusal(&tenant_id, &info, &ScimError::new(status, None, reason));
        Ok(())
    }
}
