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

/// Whether `v` has the shape of a GUID (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`): Entra's object,
/// tenant and application ids, and the value of its Test Connection probe.
pub fn is_guid(v: &str) -> bool {
    v.len() == 36
        && v.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}
