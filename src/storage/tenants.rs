//! Tenants: one connected Entra directory each.

use super::rows::{NewTenant, TenantRow};
use super::schema::tenants;
use super::time::to_storage_precision;
use super::{DbConn, StorageError};
use diesel::prelude::*;

/// Insert a tenant; a taken name is `Conflict { constraint: "tenant_name" }`.
pub fn insert(conn: &mut DbConn, tenant: &NewTenant) -> Result<(), StorageError> {
    let mut row = tenant.clone();
    row.created_at = to_storage_precision(row.created_at);
    diesel::insert_into(tenants::table)
        .values(&row)
        .execute(conn)?;
    Ok(())
}

pub fn find_by_id(conn: &mut DbConn, id: &str) -> Result<Option<TenantRow>, StorageError> {
    Ok(tenants::table
        .filter(tenants::id.eq(id))
        .select(TenantRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_name(conn: &mut DbConn, name: &str) -> Result<Option<TenantRow>, StorageError> {
    Ok(tenants::table
        .filter(tenants::name.eq(name))
        .select(TenantRow::as_select())
        .first(conn)
        .optional()?)
}

/// All tenants, by name.
pub fn list(conn: &mut DbConn) -> Result<Vec<TenantRow>, StorageError> {
    Ok(tenants::table
        .order(tenants::name.asc())
        .select(TenantRow::as_select())
        .load(conn)?)
}

/// Set the tenant's behaviour flags; `NotFound` when there is no such tenant.
pub fn set_flags(
    conn: &mut DbConn,
    id: &str,
    strict: bool,
    log_reads: bool,
) -> Result<(), StorageError> {
    let n = diesel::update(tenants::table.filter(tenants::id.eq(id)))
        .set((tenants::strict.eq(strict), tenants::log_reads.eq(log_reads)))
        .execute(conn)?;
    if n == 0 {
        return Err(StorageError::NotFound);
    }
    Ok(())
}

/// Set how the tenant trusts Entra-issued JWTs (`None`: off / Entra's defaults).
pub fn set_entra_jwt(
    conn: &mut DbConn,
    id: &str,
    entra_tenant_id: Option<&str>,
    jwt_audience: Option<&str>,
    entra_metadata_url: Option<&str>,
) -> Result<(), StorageError> {
    let n = diesel::update(tenants::table.filter(tenants::id.eq(id)))
        .set((
            tenants::entra_tenant_id.eq(entra_tenant_id),
            tenants::jwt_audience.eq(jwt_audience),
            tenants::entra_metadata_url.eq(entra_metadata_url),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(StorageError::NotFound);
    }
    Ok(())
}

/// Tenants that trust JWTs issued by this Entra tenant, by name.
pub fn find_by_entra_tenant(
    conn: &mut DbConn,
    entra_tenant_id: &str,
) -> Result<Vec<TenantRow>, StorageError> {
    Ok(tenants::table
        .filter(tenants::entra_tenant_id.eq(entra_tenant_id))
        .order(tenants::name.asc())
        .select(TenantRow::as_select())
        .load(conn)?)
}

/// Set the tenant's request limits (`None`: unlimited / any address).
pub fn set_limits(
    conn: &mut DbConn,
    id: &str,
    rate_limit_per_sec: Option<i64>,
    ip_allowlist: Option<&str>,
) -> Result<(), StorageError> {
    let n = diesel::update(tenants::table.filter(tenants::id.eq(id)))
        .set((
            tenants::rate_limit_per_sec.eq(rate_limit_per_sec),
            tenants::ip_allowlist.eq(ip_allowlist),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(StorageError::NotFound);
    }
    Ok(())
}
