//! Keys scimd signs its own access tokens with.

use super::rows::SigningKeyRow;
use super::schema::signing_keys;
use super::time::to_storage_precision;
use super::{DbConn, StorageError};
use diesel::prelude::*;

pub fn find(conn: &mut DbConn, id: &str) -> Result<Option<SigningKeyRow>, StorageError> {
    Ok(signing_keys::table
        .filter(signing_keys::id.eq(id))
        .select(SigningKeyRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn insert(conn: &mut DbConn, key: &SigningKeyRow) -> Result<(), StorageError> {
    let mut row = key.clone();
    row.created_at = to_storage_precision(row.created_at);
    diesel::insert_into(signing_keys::table)
        .values(&row)
        .execute(conn)?;
    Ok(())
}
