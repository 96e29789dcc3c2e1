//! nom parser for RFC 7644 §3.4.2.2 filters and §3.5.2 PATCH paths.

use super::ast::{Filter, PatchPath};
use crate::scim::ScimError;

/// Longest filter text accepted, in bytes.
pub const MAX_LENGTH: usize = 4096;
/// Deepest nesting of parentheses, `not` and value paths accepted.
pub const MAX_DEPTH: usize = 32;

pub fn parse(input: &str) -> Result<Filter, ScimError> {
    let _ = input;
    Err(ScimError::invalid_filter(
        "filter parsing is not implemented yet",
    ))
}

pub fn parse_patch_path(input: &str) -> Result<PatchPath, ScimError> {
    let _ = input;
    Err(ScimError::invalid_path(
        "path parsing is not implemented yet",
    ))
}
