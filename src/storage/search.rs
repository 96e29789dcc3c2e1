//! List queries shared by users and groups: the query shape, the page, and the residual scan
//! that re-checks candidates in memory when part of a filter has no SQL translation.

use super::time::rfc3339;
use super::StorageError;
use crate::scim::filter::BoundFilter;
use chrono::NaiveDateTime;
use serde_json::{Map, Value};

/// One page of a list request (RFC 7644 §3.4.2).
#[derive(Debug, Clone, Copy)]
pub struct SearchQuery<'a> {
    pub filter: Option<&'a BoundFilter>,
    /// Sort key and whether ascending. Missing values sort last ascending, first descending.
    pub sort: Option<(SortKey, bool)>,
    /// 1-based; 0 is read as 1.
    pub start_index: u64,
    /// Page size; 0 returns only `total`.
    pub count: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Id,
    UserName,
    DisplayName,
    ExternalId,
    Created,
    LastModified,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchPage<R> {
    /// Matches in the whole result set, not just this page.
    pub total: u64,
    pub rows: Vec<R>,
}

/// Candidates fetched per round trip in a residual scan, bounding memory.
pub(crate) const RESIDUAL_BATCH: i64 = 1000;

impl SearchQuery<'_> {
    pub(crate) fn offset(&self) -> i64 {
        i64::try_from(self.start_index.max(1) - 1).unwrap_or(i64::MAX)
    }

    pub(crate) fn limit(&self) -> i64 {
        i64::try_from(self.count).unwrap_or(i64::MAX)
    }
}

/// Walk candidates in result order, `RESIDUAL_BATCH` at a time, keep those `keep` accepts, and
/// cut the requested page out of the survivors. `next_batch(scanned, last_id)` returns the
/// candidates after the `scanned` already seen, the last of which had id `last_id` (keyset
/// paging when the order is by id, offset paging otherwise).
/// The total when the page itself proves it: a page that came back short (and is not past the
/// end) ends the result set, so no `COUNT(*)` is needed — Entra's lookups (0 or 1 match) never
/// pay for one.
pub(crate) fn total_from_page(q: &SearchQuery<'_>, rows: usize) -> Option<u64> {
    let rows = u64::try_from(rows).ok()?;
    let offset = q.start_index.max(1) - 1;
    let short = rows < q.count;
    (q.count > 0 && short && (rows > 0 || offset == 0)).then_some(offset + rows)
}

pub(crate) fn residual_page<R>(
    q: &SearchQuery<'_>,
    id_of: impl Fn(&R) -> &str,
    mut next_batch: impl FnMut(i64, Option<&str>) -> Result<Vec<R>, StorageError>,
    mut keep: impl FnMut(&R) -> Result<bool, StorageError>,
) -> Result<SearchPage<R>, StorageError> {
    let skip = u64::try_from(q.offset()).unwrap_or(0);
    let want = usize::try_from(q.count).unwrap_or(usize::MAX);
    let mut total = 0u64;
    let mut rows = Vec::new();
    let mut scanned = 0i64;
    let mut last_id: Option<String> = None;
    loop {
        let batch = next_batch(scanned, last_id.as_deref())?;
        let len = i64::try_from(batch.len()).unwrap_or(i64::MAX);
        scanned = scanned.saturating_add(len);
        if let Some(row) = batch.last() {
            last_id = Some(id_of(row).to_owned());
        }
        for row in batch {
            if keep(&row)? {
                total += 1;
                if total > skip && rows.len() < want {
                    rows.push(row);
                }
            }
        }
        if len < RESIDUAL_BATCH {
            return Ok(SearchPage { total, rows });
        }
    }
}

/// The document the in-memory evaluator sees: the stored document plus `id` and `meta`.
/// `None` (logged) when the stored document is not a JSON object.
pub(crate) fn evaluation_document(
    doc: &str,
    id: &str,
    resource_type: &str,
    created: NaiveDateTime,
    updated: NaiveDateTime,
) -> Option<Map<String, Value>> {
    let mut map = match serde_json::from_str::<Value>(doc) {
        Ok(Value::Object(map)) => map,
        _ => {
            log::warn!("stored {resource_type} {id} has an unreadable document; skipped by filter");
            return None;
        }
    };
    map.insert("id".to_owned(), Value::String(id.to_owned()));
    let mut meta = Map::new();
    meta.insert(
        "resourceType".to_owned(),
        Value::String(resource_type.to_owned()),
    );
    meta.insert("created".to_owned(), Value::String(rfc3339(created)));
    meta.insert("lastModified".to_owned(), Value::String(rfc3339(updated)));
    map.insert("meta".to_owned(), Value::Object(meta));
    Some(map)
}

#[cfg(test)]
mod total_tests {
    use super::*;

    fn q(start_index: u64, count: u64) -> SearchQuery<'static> {
        SearchQuery {
            filter: None,
            sort: None,
            start_index,
            count,
        }
    }

    #[test]
    fn a_short_page_proves_the_total_and_a_full_or_empty_one_does_not() {
        assert_eq!(total_from_page(&q(1, 100), 0), Some(0));
        assert_eq!(total_from_page(&q(1, 100), 1), Some(1));
        assert_eq!(total_from_page(&q(201, 100), 7), Some(207));
        assert_eq!(total_from_page(&q(1, 100), 100), None);
        assert_eq!(total_from_page(&q(301, 100), 0), None);
        assert_eq!(total_from_page(&q(1, 0), 0), None);
    }
}
