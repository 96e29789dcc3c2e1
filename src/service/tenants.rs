//! Tenants: one connected Entra directory each; every row of the store belongs to one.

use super::{EntraJwtChange, ServiceError, Services};

/// A change to a tenant's settings; every `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct TenantChange {
    pub strict: Option<bool>,
    pub log_reads: Option<bool>,
    pub entra: EntraJwtChange,
    pub rate_limit_per_sec: Option<u64>,
    pub ip_allowlist: Option<String>,
}

impl TenantChange {
    /// Whether nothing would change (callers answer with their own "nothing to set" message).
    pub fn is_empty(&self) -> bool {
        self.strict.is_none()
            && self.log_reads.is_none()
            && self.entra.is_empty()
            && self.rate_limit_per_sec.is_none()
            && self.ip_allowlist.is_none()
    }
}
use crate::storage::{rows::NewTenant, rows::TenantRow, tenants};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Tenant {
    pub id: String,
    pub name: String,
    /// Reject attributes that belong to no schema instead of dropping them.
    pub strict: bool,
    /// Log successful reads one by one (otherwise they are only counted).
    pub log_reads: bool,
    pub created_at: String,
    /// Trust JWTs Entra issues for this Entra tenant (directory) id; `None`: off.
    pub entra_tenant_id: Option<String>,
    /// `aud` those JWTs must carry; `None`: [`super::ENTRA_DEFAULT_AUDIENCE`].
    pub jwt_audience: Option<String>,
    /// Where Entra's OpenID metadata is read from; `None`: Entra's own for the tenant id.
    pub entra_metadata_url: Option<String>,
    /// SCIM requests per second allowed (per server process); `None`: unlimited.
    pub rate_limit_per_sec: Option<u64>,
    /// Client addresses allowed, comma-separated CIDRs; `None`: any.
    pub ip_allowlist: Option<String>,
}

impl From<TenantRow> for Tenant {
    fn from(r: TenantRow) -> Self {
        Tenant {
            id: r.id,
            name: r.name,
            strict: r.strict,
            log_reads: r.log_reads,
            created_at: crate::storage::time::rfc3339(r.created_at),
            entra_tenant_id: r.entra_tenant_id,
            jwt_audience: r.jwt_audience,
            entra_metadata_url: r.entra_metadata_url,
            rate_limit_per_sec: r
                .rate_limit_per_sec
                .and_then(|n| u64::try_from(n).ok())
                .filter(|n| *n > 0),
            ip_allowlist: r.ip_allowlist,
        }
    }
}

/// Tenant names appear in URLs (`/t/{name}/scim/v2`): lowercase letters, digits, `-` and `_`.
pub fn check_tenant_name(name: &str) -> Result<(), ServiceError> {
    let ok = (1..=63).contains(&name.len())
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(ServiceError::Invalid(format!(
            "invalid tenant name {name:?}: use 1-63 lowercase letters, digits, '-' or '_', starting with a letter or digit"
        )))
    }
}

impl Services {
    pub fn create_tenant(&self, name: &str) -> Result<Tenant, ServiceError> {
        check_tenant_name(name)?;
        let row = NewTenant {
            id: uuid::Uuid::now_v7().to_string(),
            name: name.to_string(),
            strict: false,
            log_reads: false,
            created_at: self.clock.now(),
        };
        self.db.write(|conn| {
            if tenants::find_by_name(conn, name)?.is_some() {
                return Err(ServiceError::Conflict(format!(
                    "tenant {name:?} already exists"
                )));
            }
            tenants::insert(conn, &row)?;
            Ok(())
        })?;
        self.tenant(name)?
            .ok_or_else(|| ServiceError::Invalid(format!("tenant {name:?} vanished")))
    }

    pub fn tenant(&self, name: &str) -> Result<Option<Tenant>, ServiceError> {
        Ok(self
            .db
            .read(|conn| tenants::find_by_name(conn, name))?
            .map(Tenant::from))
    }

    pub fn tenant_by_id(&self, id: &str) -> Result<Option<Tenant>, ServiceError> {
        Ok(self
            .db
            .read(|conn| tenants::find_by_id(conn, id))?
            .map(Tenant::from))
    }

    pub fn list_tenants(&self) -> Result<Vec<Tenant>, ServiceError> {
        Ok(self
            .db
            .read(tenants::list)?
            .into_iter()
            .map(Tenant::from)
            .collect())
    }

    /// Require an existing tenant by name, with an actionable message.
    pub fn require_tenant(&self, name: &str) -> Result<Tenant, ServiceError> {
        self.tenant(name)?.ok_or_else(|| {
            ServiceError::NotFound(format!(
                "no tenant named {name:?}; create it with `scimd tenant create {name}`"
            ))
        })
    }

    /// Apply every part of `change` that is set (the CLI's `tenant set` and the admin API's
    /// `PATCH /tenants/{name}` both come here), returning the tenant as it is afterwards.
    pub fn change_tenant(&self, name: &str, change: TenantChange) -> Result<Tenant, ServiceError> {
        let mut t = self.require_tenant(name)?;
        if change.strict.is_some() || change.log_reads.is_some() {
            t = self.set_tenant_flags(name, change.strict, change.log_reads)?;
        }
        if !change.entra.is_empty() {
            t = self.set_tenant_entra_jwt(name, change.entra)?;
        }
        if change.rate_limit_per_sec.is_some() || change.ip_allowlist.is_some() {
            t = self.set_tenant_limits(
                name,
                change.rate_limit_per_sec,
                change.ip_allowlist.as_deref(),
            )?;
        }
        Ok(t)
    }

    /// Change a tenant's flags; `None` keeps the current value. Takes effect at once in this
    /// process (other replicas and the CLI within the credential cache lifetime).
    pub fn set_tenant_flags(
        &self,
        name: &str,
        strict: Option<bool>,
        log_reads: Option<bool>,
    ) -> Result<Tenant, ServiceError> {
        let t = self.require_tenant(name)?;
        let (strict, log_reads) = (strict.unwrap_or(t.strict), log_reads.unwrap_or(t.log_reads));
        self.db.write(|conn| {
            tenants::set_flags(conn, &t.id, strict, log_reads).map_err(ServiceError::from)
        })?;
        // Cached principals carry the tenant and its flags.
        self.auth_cache.clear();
        self.require_tenant(name)
    }

    /// Change a tenant's request limits: `rate_limit_per_sec` `Some(0)` removes the limit,
    /// `ip_allowlist` `Some("")` allows any address; `None` keeps the current value.
    pub fn set_tenant_limits(
        &self,
        name: &str,
        rate_limit_per_sec: Option<u64>,
        ip_allowlist: Option<&str>,
    ) -> Result<Tenant, ServiceError> {
        let t = self.require_tenant(name)?;
        let rate = match rate_limit_per_sec {
            None => t.rate_limit_per_sec,
            Some(0) => None,
            Some(n) if n <= 1_000_000 => Some(n),
            Some(n) => {
                return Err(ServiceError::Invalid(format!(
                    "rate limit {n}/s is too high: at most 1000000 (0 turns it off)"
                )))
            }
        };
        let allow = match ip_allowlist {
            None => t.ip_allowlist.clone(),
            Some(list) => {
                let parsed = super::Cidr::parse_list(list).map_err(ServiceError::Invalid)?;
                (!parsed.is_empty()).then(|| {
                    parsed
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(",")
                })
            }
        };
        let rate_col = rate.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
        self.db.write(|conn| {
            tenants::set_limits(conn, &t.id, rate_col, allow.as_deref()).map_err(ServiceError::from)
        })?;
        self.auth_cache.clear();
        self.require_tenant(name)
    }

    /// First run: make sure a tenant named `name` exists; if it had to be created, also issue
    /// its first token so the admin can connect Entra straight away.
    pub fn ensure_tenant_with_token(
        &self,
        name: &str,
    ) -> Result<(Tenant, Option<super::IssuedToken>), ServiceError> {
        if let Some(t) = self.tenant(name)? {
            return Ok((t, None));
        }
        let t = self.create_tenant(name)?;
        let token = self.create_token(name, Some("created on first run"))?;
        Ok((t, Some(token)))
    }
}
