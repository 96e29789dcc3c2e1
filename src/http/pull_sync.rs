//! What the admin API and the console share of pull sync (docs/pull-sync.md): the answer when a
//! tenant has no directory, and Test Connection. Both are blocking; call them on the blocking
//! pool.

use crate::service::{ServiceError, Services};
use crate::sync::graph::{GraphError, Pacing, ProbeReport};
use crate::sync::runner::Runner;
use crate::sync::scheduler::holder_name;
use std::time::Duration;

/// 404 for a tenant without a pull-sync directory, saying how to configure one.
pub fn not_configured(tenant: &str) -> ServiceError {
    ServiceError::NotFound(format!(
        "pull sync is not configured for tenant {tenant:?}; configure it with PUT /admin/v1/tenants/{tenant}/sync \
         (entra_tenant_id, client_id, client_secret), the console's tenant page, or `scimd sync configure --tenant {tenant}`"
    ))
}

/// Test Connection of the tenant's directory: `Ok(Err(_))` is a failed test, explained for the
/// admin. Retries are cut short (the CLI's `scimd sync test` waits longer) so the answer comes
/// within the request, not after Graph's Retry-After.
pub fn test_connection(
    services: &Services,
    tenant_name: &str,
) -> Result<Result<ProbeReport, GraphError>, ServiceError> {
    let tenant = services.require_tenant(tenant_name)?;
    let dir = services
        .pull_directory(&tenant.id)?
        .ok_or_else(|| not_configured(&tenant.name))?;
    let pacing = Pacing {
        max_attempts: 2,
        max_wait: Duration::from_secs(5),
        timeout: Duration::from_secs(10),
        ..Pacing::default()
    };
    let runner = Runner::new(services.clone(), holder_name("serve")).with_pacing(pacing);
    Ok(runner.test(&dir))
}
