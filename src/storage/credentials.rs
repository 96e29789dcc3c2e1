//! Credentials: hashed bearer secrets, each resolving to exactly one tenant.

use super::rows::{CredentialRow, NewCredential};
use super::schema::credentials;
use super::time::to_storage_precision;
use super::{DbConn, StorageError};
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub fn insert(conn: &mut DbConn, credential: &NewCredential) -> Result<(), StorageError> {
    let mut row = credential.clone();
    row.created_at = to_storage_precision(row.created_at);
    row.expires_at = row.expires_at.map(to_storage_precision);
    diesel::insert_into(credentials::table)
        .values(&row)
        .execute(conn)?;
    Ok(())
}

/// The credential with this secret hash if it is neither revoked nor expired at `now`.
pub fn find_active_by_hash(
    conn: &mut DbConn,
    secret_hash: &str,
    now: NaiveDateTime,
) -> Result<Option<CredentialRow>, StorageError> {
    Ok(credentials::table
        .filter(credentials::secret_hash.eq(secret_hash))
        .filter(credentials::revoked_at.is_null())
        .filter(
            credentials::expires_at
                .is_null()
                .or(credentials::expires_at.gt(now)),
        )
        .select(CredentialRow::as_select())
        .first(conn)
        .optional()?)
}

/// A tenant's credentials, revoked ones included, oldest first.
pub fn list_for_tenant(
    conn: &mut DbConn,
    tenant_id: &str,
) -> Result<Vec<CredentialRow>, StorageError> {
    Ok(credentials::table
        .filter(credentials::tenant_id.eq(tenant_id))
        .order((credentials::created_at.asc(), credentials::id.asc()))
        .select(CredentialRow::as_select())
        .load(conn)?)
}

/// Revoke; `false` when the tenant has no such credential or it was already revoked.
pub fn revoke(
    conn: &mut DbConn,
    tenant_id: &str,
    id: &str,
    now: NaiveDateTime,
) -> Result<bool, StorageError> {
    let n = diesel::update(
        credentials::table
            .filter(credentials::tenant_id.eq(tenant_id))
            .filter(credentials::id.eq(id))
            .filter(credentials::revoked_at.is_null()),
    )
    .set(credentials::revoked_at.eq(to_storage_precision(now)))
    .execute(conn)?;
    Ok(n > 0)
}

/// Record a use of the credential.
pub fn touch(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> Result<(), StorageError> {
    diesel::update(credentials::table.filter(credentials::id.eq(id)))
        .set(credentials::last_used_at.eq(to_storage_precision(now)))
        .execute(conn)?;
    Ok(())
}
