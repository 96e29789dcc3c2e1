//! Admin credentials for the admin API and console. Separate from SCIM secrets: a SCIM token
//! never opens the admin side, and an admin token never opens a tenant's SCIM endpoint.

use super::credentials::{hash_secret, new_secret_with_prefix};
use super::{ServiceError, Services, TokenInfo};
use crate::storage::admin_credentials;
use crate::storage::rows::NewAdminCredential;
use crate::storage::time::rfc3339;

/// Admin secrets start with this, so they are told apart from SCIM secrets at a glance.
pub const ADMIN_TOKEN_PREFIX: &str = "scimdadm_";

/// A caller of the admin API or console.
#[derive(Debug, Clone)]
pub struct AdminPrincipal {
    pub credential_id: String,
}

/// A freshly issued admin secret (shown once).
#[derive(Debug, Clone, serde::Serialize)]
pub struct IssuedAdminToken {
    pub id: String,
    pub token: String,
}

impl Services {
    pub fn create_admin_token(
        &self,
        label: Option<&str>,
    ) -> Result<IssuedAdminToken, ServiceError> {
        let token = new_secret_with_prefix(ADMIN_TOKEN_PREFIX)?;
        let row = NewAdminCredential {
            id: uuid::Uuid::now_v7().to_string(),
            label: label.map(str::to_string),
            secret_hash: hash_secret(&token),
            created_at: self.clock.now(),
        };
        self.db
            .write(|conn| admin_credentials::insert(conn, &row).map_err(ServiceError::from))?;
        Ok(IssuedAdminToken { id: row.id, token })
    }

    /// First run: an admin token if none is live yet.
    pub fn ensure_admin_token(&self) -> Result<Option<IssuedAdminToken>, ServiceError> {
        if self.db.read(admin_credentials::any_active)? {
            return Ok(None);
        }
        self.create_admin_token(Some("created on first run"))
            .map(Some)
    }

    pub fn list_admin_tokens(&self) -> Result<Vec<TokenInfo>, ServiceError> {
        let rows = self.db.read(admin_credentials::list)?;
        Ok(rows
            .into_iter()
            .map(|r| TokenInfo {
                id: r.id,
                label: r.label,
                created_at: rfc3339(r.created_at),
                last_used_at: r.last_used_at.map(rfc3339),
                revoked_at: r.revoked_at.map(rfc3339),
            })
            .collect())
    }

    pub fn revoke_admin_token(&self, id: &str) -> Result<bool, ServiceError> {
        let now = self.clock.now();
        self.db
            .write(|conn| admin_credentials::revoke(conn, id, now).map_err(ServiceError::from))
    }

    /// Resolve an admin secret, or `None`.
    pub fn authenticate_admin(&self, secret: &str) -> Result<Option<AdminPrincipal>, ServiceError> {
        if !secret.starts_with(ADMIN_TOKEN_PREFIX) {
            return Ok(None);
        }
        let hash = hash_secret(secret);
        let found = self
            .db
            .read(|conn| admin_credentials::find_active_by_hash(conn, &hash))?;
        let Some(row) = found else { return Ok(None) };
        let now = self.clock.now();
        if row
            .last_used_at
            .is_none_or(|t| now - t > chrono::Duration::minutes(1))
        {
            let id = row.id.clone();
            if let Err(e) = self
                .db
                .write(|conn| admin_credentials::touch(conn, &id, now).map_err(ServiceError::from))
            {
                log::warn!("could not record the last use of admin credential {id}: {e}");
            }
        }
        Ok(Some(AdminPrincipal {
            credential_id: row.id,
        }))
    }
}
