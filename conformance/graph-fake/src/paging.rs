//! Paging of plain lists (graph.md §2.8): page size from `$top` (default 100, optionally
//! capped by a knob), an absolute `@odata.nextLink` carrying the original query plus a
//! sealed `$skiptoken` bound to tenant, path and query. Each page is cut from the current
//! state by key, so a page costs O(page) whatever the directory's size.

use crate::query::{Query, DEFAULT_TOP};
use crate::reply::{GraphError, Result};
use crate::state::State;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// What a list's `$skiptoken` says: where the previous page ended.
#[derive(Serialize, Deserialize)]
struct ListToken {
    /// Kind tag, so a delta token can never pass for a list token.
    k: String,
    /// Binding of tenant, path and query.
    b: String,
    /// The sort key of the last item served.
    a: String,
}

const LIST: &str = "list";

/// The list being paged: who asks for which path with which query.
pub(crate) struct Listing<'a> {
    pub tenant: &'a str,
    /// Graph path after `/v1.0`, as requested.
    pub path: &'a str,
    pub query: &'a Query,
}

impl Listing<'_> {
    fn binding(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.tenant.as_bytes());
        h.update(b"\n");
        h.update(self.path.to_ascii_lowercase().as_bytes());
        h.update(b"\n");
        h.update(self.query.fingerprint("$skiptoken").as_bytes());
        h.finalize()
            .iter()
            .take(12)
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The key the previous page ended at, from `$skiptoken`; `None` on the first page.
    pub fn after(&self, state: &State) -> Result<Option<String>> {
        let Some(raw) = self.query.get("$skiptoken") else {
            return Ok(None);
        };
        match state.sealer.open::<ListToken>(raw) {
            Some(t) if t.k == LIST && t.b == self.binding() => Ok(Some(t.a)),
            _ => Err(expired_page_token()),
        }
    }

    pub fn next_link(&self, state: &State, after: &str) -> String {
        let token = state.sealer.seal(&ListToken {
            k: LIST.into(),
            b: self.binding(),
            a: after.to_owned(),
        });
        let rest = self.query.encode_without("$skiptoken");
        let sep = if rest.is_empty() { "" } else { "&" };
        format!(
            "{}/v1.0{}?{rest}{sep}$skiptoken={token}",
            state.base, self.path
        )
    }
}

pub(crate) fn expired_page_token() -> GraphError {
    GraphError::new(
        400,
        "Directory_ExpiredPageToken",
        "The specified page token value has expired and can no longer be included in your request.",
    )
}

/// Items per page: `$top` (or 100), lowered by the page-cap knob.
pub(crate) fn page_size(state: &State, query: &Query) -> Result<usize> {
    let top = query.top()?.unwrap_or(DEFAULT_TOP);
    Ok(state.list_page_cap.map_or(top, |cap| top.min(cap.max(1))))
}

/// Takes one page from `items` (sort key, item); the key to resume after when more remain.
pub(crate) fn take<T>(
    items: impl Iterator<Item = (String, T)>,
    size: usize,
) -> (Vec<T>, Option<String>) {
    let mut page = Vec::with_capacity(size.min(1024));
    let mut last = None;
    for (key, item) in items {
        if page.len() == size {
            return (page, last);
        }
        page.push(item);
        last = Some(key);
    }
    (page, None)
}

/// A collection body: `@odata.context`, `@odata.count` (first page of counted advanced
/// queries), `@odata.nextLink`, `value`.
pub(crate) fn collection(
    base: &str,
    context: &str,
    count: Option<usize>,
    next: Option<String>,
    value: Vec<Value>,
) -> Value {
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        Value::String(format!("{base}/v1.0/$metadata#{context}")),
    );
    if let Some(n) = count {
        body.insert("@odata.count".into(), Value::from(n));
    }
    if let Some(link) = next {
        body.insert("@odata.nextLink".into(), Value::String(link));
    }
    body.insert("value".into(), Value::Array(value));
    Value::Object(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_reports_where_to_resume_only_when_more_remain() {
        let items = |n: usize| (0..n).map(|i| (i.to_string(), i));
        assert_eq!(take(items(5), 2), (vec![0, 1], Some("1".into())));
        assert_eq!(take(items(2), 2), (vec![0, 1], None));
        assert_eq!(take(items(0), 2), (vec![], None));
    }
}
