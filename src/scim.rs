//! The pure SCIM 2.0 protocol layer: schemas, resource documents, filters, PATCH, projection,
//! discovery documents and errors. No I/O, no database, no HTTP: everything else depends on it
//! and it depends on nothing else in the crate.

pub mod diff;
pub mod discovery;
pub mod error;
pub mod filter;
pub mod list;
pub mod patch;
pub mod projection;
pub mod resource;
pub mod schema;

pub use error::{ScimError, ScimType};
