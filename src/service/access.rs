//! SCIM authentication with a trace: a refused request is logged against the tenant it was aimed
//! at, when the path names an existing tenant or the token belongs to one. The presented secret
//! is never stored; the event says why the request was refused (the response does not).

use super::admin::ADMIN_TOKEN_PREFIX;
use super::audit::{self, EventData, RequestInfo};
use super::{Principal, ServiceError, Services};
use crate::scim::ScimError;
use crate::storage::events;

impl Services {
    /// The principal for `secret` on a request whose path names `path_tenant` (the
    /// tenant-qualified mount), or `None` when it is refused (and logged where attributable).
    pub fn authorize_scim(
        &self,
        secret: Option<&str>,
        path_tenant: Option<&str>,
        info: &RequestInfo,
    ) -> Result<Option<Principal>, ServiceError> {
        let (found, refusal) = match secret {
            Some(s) => match self.resolve_bearer(s)? {
                Ok(p) => (Some(p), None),
                Err(why) => (None, Some(why)),
            },
            None => (None, None),
        };
        let reason = match (&found, path_tenant) {
            (Some(p), Some(t)) if p.tenant.name != t => format!(
                "the token belongs to tenant {:?}, not to {t:?} named in the URL",
                p.tenant.name
            ),
            (Some(_), _) => return Ok(found),
            (None, _) => match secret {
                None => "no bearer token: send \"Authorization: Bearer <secret>\"".to_string(),
                Some(s) if s.starts_with(ADMIN_TOKEN_PREFIX) => {
                    "an admin token was presented; SCIM endpoints take a tenant's SCIM token"
                        .to_string()
                }
                Some(_) => refusal.unwrap_or_else(|| "unknown, revoked or expired token".into()),
            },
        };
        let path_owner = match path_tenant {
            Some(name) => self.tenant(name)?,
            None => None,
        };
        let tenant = path_owner.or_else(|| found.as_ref().map(|p| p.tenant.clone()));
        let Some(tenant) = tenant else {
            log::info!(
                "refused SCIM request {} {} (request {}): {reason}",
                info.method,
                info.path,
                info.request_id
            );
            return Ok(None);
        };
        let mut info = info.clone();
        info.credential_id = found.map(|p| p.credential_id);
        self.record_refusal(&tenant.id, &info, &ScimError::unauthorized(reason));
        Ok(None)
    }

    /// An `Authenticate` failure event for `tenant_id`. Best effort: the request is refused
    /// whether or not this could be written.
    pub(super) fn record_refusal(&self, tenant_id: &str, info: &RequestInfo, err: &ScimError) {
        let data = EventData {
            action: "Authenticate",
            ..Default::default()
        };
        let row = audit::failure(info, tenant_id, self.clock.now(), err, data);
        if let Err(e) = self
            .db
            .write(|conn| events::insert(conn, &row).map_err(ServiceError::from))
        {
            log::error!("could not record a refused request in the provisioning log: {e}");
        }
    }
}
