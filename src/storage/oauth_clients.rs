//! OAuth clients and their hashed secrets; a client belongs to exactly one tenant.

use super::rows::{OAuthClientRow, OAuthSecretRow};
use super::schema::{oauth_client_secrets, oauth_clients};
use super::time::to_storage_precision;
use super::{DbConn, StorageError};
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub fn insert(conn: &mut DbConn, client: &OAuthClientRow) -> Result<(), StorageError> {
    let mut row = client.clone();
    row.created_at = to_storage_precision(row.created_at);
    diesel::insert_into(oauth_clients::table)
        .values(&row)
        .execute(conn)?;
    Ok(())
}

pub fn insert_secret(conn: &mut DbConn, secret: &OAuthSecretRow) -> Result<(), StorageError> {
    let mut row = secret.clone();
    row.created_at = to_storage_precision(row.created_at);
    row.expires_at = to_storage_precision(row.expires_at);
    diesel::insert_into(oauth_client_secrets::table)
        .values(&row)
        .execute(conn)?;
    Ok(())
}

/// The client with this id, revoked or not.
pub fn find(conn: &mut DbConn, id: &str) -> Result<Option<OAuthClientRow>, StorageError> {
    Ok(oauth_clients::table
        .filter(oauth_clients::id.eq(id))
        .select(OAuthClientRow::as_select())
        .first(conn)
        .optional()?)
}

/// The live secret of `client_id` with this hash: neither it nor its client revoked, not
/// expired at `now`.
pub fn find_live_secret(
    conn: &mut DbConn,
    client_id: &str,
    secret_hash: &str,
    now: NaiveDateTime,
) -> Result<Option<OAuthSecretRow>, StorageError> {
    Ok(oauth_client_secrets::table
        .inner_join(oauth_clients::table)
        .filter(oauth_client_secrets::secret_hash.eq(secret_hash))
        .filter(oauth_client_secrets::client_id.eq(client_id))
        .filter(oauth_client_secrets::revoked_at.is_null())
        .filter(oauth_client_secrets::expires_at.gt(now))
        .filter(oauth_clients::revoked_at.is_null())
        .select(OAuthSecretRow::as_select())
        .first(conn)
        .optional()?)
}

/// The secret of `client_id` with this hash, revoked or expired or not (to say why a token
/// request was refused; [`find_live_secret`] decides).
pub fn find_secret(
    conn: &mut DbConn,
    client_id: &str,
    secret_hash: &str,
) -> Result<Option<OAuthSecretRow>, StorageError> {
    Ok(oauth_client_secrets::table
        .filter(oauth_client_secrets::secret_hash.eq(secret_hash))
        .filter(oauth_client_secrets::client_id.eq(client_id))
        .select(OAuthSecretRow::as_select())
        .first(conn)
        .optional()?)
}

/// A tenant's clients, revoked ones included, oldest first.
pub fn list_for_tenant(
    conn: &mut DbConn,
    tenant_id: &str,
) -> Result<Vec<OAuthClientRow>, StorageError> {
    Ok(oauth_clients::table
        .filter(oauth_clients::tenant_id.eq(tenant_id))
        .order((oauth_clients::created_at.asc(), oauth_clients::id.asc()))
        .select(OAuthClientRow::as_select())
        .load(conn)?)
}

/// The secrets of these clients, oldest first.
pub fn secrets_of(
    conn: &mut DbConn,
    client_ids: &[String],
) -> Result<Vec<OAuthSecretRow>, StorageError> {
    Ok(oauth_client_secrets::table
        .filter(oauth_client_secrets::client_id.eq_any(client_ids))
        .order((
            oauth_client_secrets::created_at.asc(),
            oauth_client_secrets::id.asc(),
        ))
        .select(OAuthSecretRow::as_select())
        .load(conn)?)
}

/// Revoke a client of the tenant; `false` when there is no such live client.
pub fn revoke(
    conn: &mut DbConn,
    tenant_id: &str,
    id: &str,
    now: NaiveDateTime,
) -> Result<bool, StorageError> {
    let n = diesel::update(
        oauth_clients::table
            .filter(oauth_clients::tenant_id.eq(tenant_id))
            .filter(oauth_clients::id.eq(id))
            .filter(oauth_clients::revoked_at.is_null()),
    )
    .set(oauth_clients::revoked_at.eq(to_storage_precision(now)))
    .execute(conn)?;
    Ok(n > 0)
}

/// Revoke one secret of a client; `false` when there is no such live secret.
pub fn revoke_secret(
    conn: &mut DbConn,
    client_id: &str,
    secret_id: &str,
    now: NaiveDateTime,
) -> Result<bool, StorageError> {
    let n = diesel::update(
        oauth_client_secrets::table
            .filter(oauth_client_secrets::client_id.eq(client_id))
            .filter(oauth_client_secrets::id.eq(secret_id))
            .filter(oauth_client_secrets::revoked_at.is_null()),
    )
    .set(oauth_client_secrets::revoked_at.eq(to_storage_precision(now)))
    .execute(conn)?;
    Ok(n > 0)
}

/// Record a token issued to the client.
pub fn touch(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> Result<(), StorageError> {
    diesel::update(oauth_clients::table.filter(oauth_clients::id.eq(id)))
        .set(oauth_clients::last_used_at.eq(to_storage_precision(now)))
        .execute(conn)?;
    Ok(())
}
