//! Storage errors: what went wrong, in terms the service layer can act on.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("not found")]
    NotFound,
    /// A unique constraint rejected the write; `constraint` names the logical key
    /// (`user_name`, `display_name`, `secret_hash`, `tenant_name`, `id`, …).
    #[error("uniqueness conflict on {constraint}")]
    Conflict { constraint: String },
    /// A conditional update found a different `version` than the caller read.
    #[error("version mismatch")]
    VersionMismatch,
    /// The database cannot be reached or the pool has no connection to give.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database configuration: {0}")]
    Config(String),
    #[error("migration failed: {0}")]
    Migration(String),
    /// A stored value could not be read back (e.g. a document that is not a JSON object).
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Db(DieselError),
}

impl From<DieselError> for StorageError {
    fn from(e: DieselError) -> Self {
        match e {
            DieselError::NotFound => StorageError::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, ref info) => {
                // PostgreSQL names the constraint; SQLite only puts the columns in the message
                // ("UNIQUE constraint failed: users.tenant_id, users.user_name_norm").
                let raw = info.constraint_name().unwrap_or_else(|| info.message());
                StorageError::Conflict {
                    constraint: logical_constraint(raw),
                }
            }
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, ref info) => {
                StorageError::Unavailable(info.message().to_owned())
            }
            other => StorageError::Db(other),
        }
    }
}

impl From<diesel::r2d2::PoolError> for StorageError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        StorageError::Unavailable(e.to_string())
    }
}

/// Map a backend's constraint name or message to the logical key it protects, so callers
/// see the same name on both backends.
fn logical_constraint(raw: &str) -> String {
    let key = if raw.contains("user_name_norm") {
        "user_name"
    } else if raw.contains("display_name_norm") {
        "display_name"
    } else if raw.contains("secret_hash") {
        "secret_hash"
    } else if raw.contains("tenants_name") || raw.contains("tenants.name") {
        "tenant_name"
    } else if raw.contains("pkey") || raw.ends_with(".id") || raw.contains(".id,") {
        "id"
    } else {
        return raw.to_owned();
    };
    key.to_owned()
}

#[cfg(test)]
mod tests {
    use super::logical_constraint;

    #[test]
    fn constraint_names_agree_across_backends() {
        assert_eq!(logical_constraint("users_user_name_norm_key"), "user_name");
        assert_eq!(
            logical_constraint("UNIQUE constraint failed: users.tenant_id, users.user_name_norm"),
            "user_name"
        );
        assert_eq!(
            logical_constraint("groups_display_name_norm_key"),
            "display_name"
        );
        assert_eq!(
            logical_constraint("UNIQUE constraint failed: tenants.name"),
            "tenant_name"
        );
        assert_eq!(logical_constraint("tenants_name_key"), "tenant_name");
        assert_eq!(logical_constraint("users_pkey"), "id");
        assert_eq!(
            logical_constraint("UNIQUE constraint failed: users.tenant_id, users.id"),
            "id"
        );
        assert_eq!(
            logical_constraint("UNIQUE constraint failed: tenants.id"),
            "id"
        );
    }
}
