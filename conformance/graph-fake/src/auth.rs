//! Graph's side of authentication: the bearer token names the tenant and the app, the app's
//! service principal names its permissions (graph.md §1.5). Permission changes apply at
//! once, as if tokens were re-issued, so tests need not wait for expiry.

use crate::directory::{
    Kind, APPLICATION_READ_ALL, DIRECTORY_READ_ALL, GROUP_MEMBER_READ_ALL, GROUP_READ_ALL,
    USER_READ_ALL,
};
use crate::reply::{GraphError, Result};
use crate::state::State;
use std::collections::BTreeSet;

pub(crate) struct Caller {
    /// Lower-cased tenant id.
    pub tenant: String,
    pub roles: BTreeSet<String>,
}

impl Caller {
    fn has_any(&self, permissions: &[&str]) -> bool {
        permissions.iter().any(|p| self.roles.contains(*p))
    }

    /// 403 unless the app holds one of `permissions`.
    pub fn require(&self, permissions: &[&str]) -> Result<()> {
        if self.has_any(permissions) {
            Ok(())
        } else {
            Err(GraphError::denied())
        }
    }

    pub fn require_users(&self) -> Result<()> {
        self.require(&[USER_READ_ALL, DIRECTORY_READ_ALL])
    }

    pub fn require_groups(&self) -> Result<()> {
        self.require(&[GROUP_MEMBER_READ_ALL, GROUP_READ_ALL, DIRECTORY_READ_ALL])
    }

    pub fn require_applications(&self) -> Result<()> {
        self.require(&[APPLICATION_READ_ALL, DIRECTORY_READ_ALL])
    }

    /// Whether objects of `kind` come back whole or as "limited information"
    /// (`@odata.type` + `id` only) when they appear in a relationship.
    pub fn can_read(&self, kind: Kind) -> bool {
        match kind {
            Kind::User => self.has_any(&[USER_READ_ALL, DIRECTORY_READ_ALL]),
            Kind::Group => {
                self.has_any(&[GROUP_READ_ALL, GROUP_MEMBER_READ_ALL, DIRECTORY_READ_ALL])
            }
            Kind::Device => self.has_any(&[DIRECTORY_READ_ALL]),
            Kind::ServicePrincipal => self.has_any(&[APPLICATION_READ_ALL, DIRECTORY_READ_ALL]),
        }
    }
}

/// The caller named by `Authorization: Bearer …`, or Graph's 401.
pub(crate) fn authenticate(state: &State, authorization: Option<&str>) -> Result<Caller> {
    let unauthenticated = |m: &str| GraphError::unauthenticated(m, &state.base);
    let Some(header) = authorization.map(str::trim).filter(|h| !h.is_empty()) else {
        return Err(unauthenticated("Access token is empty."));
    };
    let token = match header.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => return Err(unauthenticated("Access token is empty.")),
    };
    let Some(issued) = state.tokens.get(token) else {
        return Err(unauthenticated(
            "IDX14100: JWT is not well formed, there are no dots (.).",
        ));
    };
    if issued.expires_at <= state.clock.now() {
        return Err(unauthenticated(
            "Lifetime validation failed, the token is expired.",
        ));
    }
    let Some(tenant) = state.tenant(&issued.tenant) else {
        return Err(unauthenticated("Invalid tenant."));
    };
    let roles = tenant
        .sp_by_app(&issued.client_id)
        .map_or_else(|| issued.roles.clone(), |(_, sp)| sp.permissions.clone());
    Ok(Caller {
        tenant: tenant.id.to_lowercase(),
        roles,
    })
}
