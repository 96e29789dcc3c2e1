//! In-memory evaluation of a bound filter against a resource document (canonical keys).

use super::bind::BoundFilter;
use serde_json::{Map, Value};

/// Whether the resource document `doc` (top-level object with canonical attribute names, including
/// `id`, `meta` and, for groups, `members`) satisfies `filter`.
pub fn matches(filter: &BoundFilter, doc: &Map<String, Value>) -> bool {
    let _ = (filter, doc);
    false
}
