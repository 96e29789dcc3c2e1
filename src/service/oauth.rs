//! OAuth 2.0 client credentials (RFC 6749 §4.4): clients of a tenant, their hashed secrets
//! (several live at once for rotation, each with an expiry), and access tokens issued for them.
//! Revoking a client ends its tokens too: every token is checked against its client.

use super::credentials::{hash_secret, new_secret_with_prefix};
use super::{Principal, ServiceError, Services, Tenant};
use crate::storage::rows::{OAuthClientRow, OAuthSecretRow};
use crate::storage::time::rfc3339;
use crate::storage::{oauth_clients, tenants};

/// Client secrets start with this (secret scanners, logs).
pub(super) const CLIENT_SECRET_PREFIX: &str = "scimdcs_";
/// Entra's gallery rules ask for client secrets that live one to three years.
pub const SECRET_DAYS_DEFAULT: u32 = 730;
pub const SECRET_DAYS_MAX: u32 = 1095;

/// A new client or a new secret of a client: the only time the plain secret exists here.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IssuedClient {
    pub tenant: String,
    pub client_id: String,
    pub client_secret: String,
    pub secret_id: String,
    pub secret_expires_at: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ClientSecretInfo {
    pub id: String,
    pub created_at: String,
    pub expires_at: String,
    pub revoked_at: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ClientInfo {
    pub client_id: String,
    pub label: Option<String>,
    pub created_at: String,
    /// When a token was last issued to it.
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
    pub secrets: Vec<ClientSecretInfo>,
}

fn check_days(days: u32) -> Result<(), ServiceError> {
    if (1..=SECRET_DAYS_MAX).contains(&days) {
        Ok(())
    } else {
        Err(ServiceError::Invalid(format!(
            "a client secret lives 1 to {SECRET_DAYS_MAX} days, not {days}"
        )))
    }
}

impl Services {
    /// A new client of `tenant` with its first secret, valid for `secret_days`.
    pub fn create_client(
        &self,
        tenant: &str,
        label: Option<&str>,
        secret_days: u32,
    ) -> Result<IssuedClient, ServiceError> {
        check_days(secret_days)?;
        let t = self.require_tenant(tenant)?;
        let client = OAuthClientRow {
            id: uuid::Uuid::new_v4().to_string(),
            tenant_id: t.id.clone(),
            label: label.map(str::to_string),
            created_at: self.clock.now(),
            last_used_at: None,
            revoked_at: None,
        };
        let (secret, row) = self.new_client_secret(&client.id, secret_days)?;
        self.db.write(|conn| {
            oauth_clients::insert(conn, &client)?;
            oauth_clients::insert_secret(conn, &row).map_err(ServiceError::from)
        })?;
        Ok(issued(&t, row, secret))
    }

    /// Another secret for a live client (rotation); the others stay valid until they expire or
    /// are revoked.
    pub fn add_client_secret(
        &self,
        tenant: &str,
        client_id: &str,
        secret_days: u32,
    ) -> Result<IssuedClient, ServiceError> {
        check_days(secret_days)?;
        let t = self.require_tenant(tenant)?;
        self.require_live_client(&t, client_id)?;
        let (secret, row) = self.new_client_secret(client_id, secret_days)?;
        self.db
            .write(|conn| oauth_clients::insert_secret(conn, &row).map_err(ServiceError::from))?;
        Ok(issued(&t, row, secret))
    }

    fn new_client_secret(
        &self,
        client_id: &str,
        days: u32,
    ) -> Result<(String, OAuthSecretRow), ServiceError> {
        let secret = new_secret_with_prefix(CLIENT_SECRET_PREFIX)?;
        let now = self.clock.now();
        let row = OAuthSecretRow {
            id: uuid::Uuid::now_v7().to_string(),
            client_id: client_id.to_string(),
            secret_hash: hash_secret(&secret),
            created_at: now,
            expires_at: now + chrono::Duration::days(i64::from(days)),
            revoked_at: None,
        };
        Ok((secret, row))
    }

    fn require_live_client(&self, t: &Tenant, client_id: &str) -> Result<(), ServiceError> {
        match self.db.read(|c| oauth_clients::find(c, client_id))? {
            Some(c) if c.tenant_id == t.id && c.revoked_at.is_none() => Ok(()),
            _ => Err(ServiceError::NotFound(format!(
                "tenant {:?} has no live OAuth client {client_id:?}",
                t.name
            ))),
        }
    }

    pub fn list_clients(&self, tenant: &str) -> Result<Vec<ClientInfo>, ServiceError> {
        let t = self.require_tenant(tenant)?;
        let (clients, secrets) = self.db.read(|conn| {
            let clients = oauth_clients::list_for_tenant(conn, &t.id)?;
            let ids: Vec<String> = clients.iter().map(|c| c.id.clone()).collect();
            let secrets = oauth_clients::secrets_of(conn, &ids)?;
            Ok::<_, ServiceError>((clients, secrets))
        })?;
        Ok(clients
            .into_iter()
            .map(|c| ClientInfo {
                secrets: secrets
                    .iter()
                    .filter(|s| s.client_id == c.id)
                    .map(|s| ClientSecretInfo {
                        id: s.id.clone(),
                        created_at: rfc3339(s.created_at),
                        expires_at: rfc3339(s.expires_at),
                        revoked_at: s.revoked_at.map(rfc3339),
                    })
                    .collect(),
                client_id: c.id,
                label: c.label,
                created_at: rfc3339(c.created_at),
                last_used_at: c.last_used_at.map(rfc3339),
                revoked_at: c.revoked_at.map(rfc3339),
            })
            .collect())
    }

    /// Revoke a client: no new tokens, and the ones issued stop working (at once in this
    /// process, on other replicas within the credential cache lifetime).
    pub fn revoke_client(&self, tenant: &str, client_id: &str) -> Result<bool, ServiceError> {
        let t = self.require_tenant(tenant)?;
        let now = self.clock.now();
        let revoked = self.db.write(|conn| {
            oauth_clients::revoke(conn, &t.id, client_id, now).map_err(ServiceError::from)
        })?;
        self.auth_cache.clear();
        Ok(revoked)
    }

    /// Revoke one secret of a client; tokens already issued stay valid until they expire.
    pub fn revoke_client_secret(
        &self,
        tenant: &str,
        client_id: &str,
        secret_id: &str,
    ) -> Result<bool, ServiceError> {
        let t = self.require_tenant(tenant)?;
        self.require_live_client(&t, client_id)?;
        let now = self.clock.now();
        self.db.write(|conn| {
            oauth_clients::revoke_secret(conn, client_id, secret_id, now)
                .map_err(ServiceError::from)
        })
    }

    /// The principal of a scimd access token, or why it is refused.
    pub(super) fn authenticate_access_token(
        &self,
        token: &str,
    ) -> Result<Result<(Principal, i64), String>, ServiceError> {
        let claims = match self.verify_access_token(token)? {
            Ok(c) => c,
            Err(reason) => return Ok(Err(reason)),
        };
        let found = self.db.read(|conn| {
            let Some(client) = oauth_clients::find(conn, &claims.client_id)? else {
                return Ok::<_, ServiceError>(None);
            };
            Ok(tenants::find_by_id(conn, &client.tenant_id)?.map(|t| (client, t)))
        })?;
        match found {
            Some((c, t)) if c.revoked_at.is_none() && c.tenant_id == claims.tid => Ok(Ok((
                Principal {
                    tenant: Tenant::from(t),
                    credential_id: c.id,
                },
                claims.exp,
            ))),
            Some((c, _)) if c.revoked_at.is_some() => Ok(Err(format!(
                "access token of revoked OAuth client {}",
                c.id
            ))),
            _ => Ok(Err("access token of an unknown OAuth client".into())),
        }
    }
}

fn issued(t: &Tenant, row: OAuthSecretRow, secret: String) -> IssuedClient {
    IssuedClient {
        tenant: t.name.clone(),
        client_id: row.client_id,
        client_secret: secret,
        secret_id: row.id,
        secret_expires_at: rfc3339(row.expires_at),
    }
}
