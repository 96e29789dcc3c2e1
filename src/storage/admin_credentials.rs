//! Admin credentials: hashed secrets for the admin API and console, never tied to a tenant and
//! never accepted on SCIM endpoints (and SCIM secrets are never accepted here).

use super::rows::{AdminCredentialRow, NewAdminCredential};
use super::schema::admin_credentials;
use super::time::to_storage_precision;
use super::{DbConn, StorageError};
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub fn insert(conn: &mut DbConn, row: &NewAdminCredential) -> Result<(), StorageError> {
    let mut row = row.clone();
    row.created_at = to_storage_precision(row.created_at);
    diesel::insert_into(admin_credentials::table)
        .values(&row)
        .execute(conn)?;
    Ok(())
}

/// The live (not revoked) admin credential with this secret hash.
pub fn find_active_by_hash(
    conn: &mut DbConn,
    secret_hash: &str,
) -> Result<Option<AdminCredentialRow>, StorageError> {
    Ok(admin_credentials::table
        .filter(admin_credentials::secret_hash.eq(secret_hash))
        .filter(admin_credentials::revoked_at.is_null())
        .select(AdminCredentialRow::as_select())
        .first(conn)
        .optional()?)
}

/// All admin credentials, revoked ones included, oldest first.
pub fn list(conn: &mut DbConn) -> Result<Vec<AdminCredentialRow>, StorageError> {
    Ok(admin_credentials::table
        .order((
            admin_credentials::created_at.asc(),
            admin_credentials::id.asc(),
        ))
        .select(AdminCredentialRow::as_select())
        .load(conn)?)
}

/// Whether any live admin credential exists (first run creates one when not).
pub fn any_active(conn: &mut DbConn) -> Result<bool, StorageError> {
    let n: i64 = admin_credentials::table
        .filter(admin_credentials::revoked_at.is_null())
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub fn revoke(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> Result<bool, StorageError> {
    let n = diesel::update(
        admin_credentials::table
            .filter(admin_credentials::id.eq(id))
            .filter(admin_credentials::revoked_at.is_null()),
    )
    .set(admin_credentials::revoked_at.eq(to_storage_precision(now)))
    .execute(conn)?;
    Ok(n > 0)
}

pub fn touch(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> Result<(), StorageError> {
    diesel::update(admin_credentials::table.filter(admin_credentials::id.eq(id)))
        .set(admin_credentials::last_used_at.eq(to_storage_precision(now)))
        .execute(conn)?;
    Ok(())
}
