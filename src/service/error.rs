//! Errors of the use-case layer: a protocol error to show the client, or a storage failure.

use crate::scim::ScimError;
use crate::storage::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A client-facing SCIM error (4xx, or 503 when the database is unavailable).
    #[error(transparent)]
    Scim(#[from] ScimError),
    /// A storage failure the client cannot fix; answered 500 with the cause logged.
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    /// Bad input to an administrative command (tenant names, token ids…).
    #[error("{0}")]
    Invalid(String),
    /// An administrative command named something that does not exist (a tenant…).
    #[error("{0}")]
    NotFound(String),
    /// An administrative command would create something that already exists.
    #[error("{0}")]
    Conflict(String),
}

impl From<diesel::result::Error> for ServiceError {
    fn from(e: diesel::result::Error) -> Self {
        ServiceError::Storage(StorageError::from(e))
    }
}

impl ServiceError {
    /// The SCIM error to answer with. Storage failures become 503 (unavailable) or 500.
    pub fn to_scim(&self) -> ScimError {
        match self {
            ServiceError::Scim(e) => e.clone(),
            ServiceError::Storage(StorageError::Unavailable(_)) => {
                ScimError::unavailable("the database is unavailable; retry later")
            }
            ServiceError::Storage(StorageError::NotFound) => {
                ScimError::not_found("resource not found")
            }
            ServiceError::Storage(_) => ScimError::internal(),
            ServiceError::Invalid(d) => ScimError::invalid_value(d.clone()),
            ServiceError::NotFound(d) => ScimError::not_found(d.clone()),
            ServiceError::Conflict(d) => ScimError::uniqueness(d.clone()),
        }
    }
}
