//! RFC 7644 §3.4.2 list queries: parameters (filter, sortBy, sortOrder, startIndex, count,
//! attributes, excludedAttributes) and the ListResponse document.

use crate::scim::ScimError;
use serde_json::{json, Value};

pub const LIST_RESPONSE_URN: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// The query parameters of a list request, as text (filter parsing happens elsewhere).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListParams {
    pub filter: Option<String>,
    pub sort_by: Option<String>,
    pub ascending: bool,
    /// 1-based (RFC 7644 §3.4.2.4: values below 1 are read as 1).
    pub start_index: u64,
    pub count: u64,
    pub attributes: Option<String>,
    pub excluded_attributes: Option<String>,
}

impl ListParams {
    /// Read the parameters from decoded query pairs. Names are matched case-insensitively and
    /// unknown ones (e.g. Entra's `aadOptscim062020` flag) are ignored. `count` above
    /// `max_count` is capped (RFC 7644 §3.4.2.4 lets the server return fewer).
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
        default_count: u64,
        max_count: u64,
    ) -> Result<Self, ScimError> {
        let mut p = ListParams {
            ascending: true,
            start_index: 1,
            count: default_count.min(max_count),
            ..Default::default()
        };
        for (k, v) in pairs {
            let key = k.to_ascii_lowercase();
            match key.as_str() {
                "filter" => p.filter = Some(v.to_string()).filter(|s| !s.trim().is_empty()),
                "sortby" => p.sort_by = Some(v.to_string()).filter(|s| !s.trim().is_empty()),
                "sortorder" => {
                    p.ascending = match v.to_ascii_lowercase().as_str() {
                        "" | "ascending" => true,
                        "descending" => false,
                        _ => {
                            return Err(ScimError::invalid_value(format!(
                                "sortOrder must be \"ascending\" or \"descending\", got {v:?}"
                            )))
                        }
                    }
                }
                "startindex" => p.start_index = int_param("startIndex", v)?.max(1) as u64,
                "count" => p.count = (int_param("count", v)?.max(0) as u64).min(max_count),
                "attributes" => p.attributes = Some(v.to_string()).filter(|s| !s.trim().is_empty()),
                "excludedattributes" => {
                    p.excluded_attributes = Some(v.to_string()).filter(|s| !s.trim().is_empty())
                }
                _ => {}
            }
        }
        Ok(p)
    }
}

fn int_param(name: &str, v: &str) -> Result<i64, ScimError> {
    v.trim()
        .parse::<i64>()
        .map_err(|_| ScimError::invalid_value(format!("{name} must be an integer, got {v:?}")))
}

/// RFC 7644 §3.4.2 ListResponse. `Resources` is always present, also when empty (Entra and
/// Microsoft's suite expect it).
pub fn list_response(total: u64, start_index: u64, resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_RESPONSE_URN],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(q: &[(&str, &str)]) -> Result<ListParams, ScimError> {
        ListParams::from_pairs(q.iter().copied(), 100, 1000)
    }

    #[test]
    fn defaults_and_unknown_parameters() {
        let p = params(&[("aadOptscim062020", ""), ("filter", "userName eq \"a\"")]).unwrap();
        assert_eq!((p.start_index, p.count, p.ascending), (1, 100, true));
        assert_eq!(p.filter.as_deref(), Some("userName eq \"a\""));
    }

    #[test]
    fn start_index_below_one_is_one_and_count_is_capped() {
        let p = params(&[("startIndex", "0"), ("count", "5000")]).unwrap();
        assert_eq!((p.start_index, p.count), (1, 1000));
        let p = params(&[("startIndex", "-4"), ("count", "-1")]).unwrap();
        assert_eq!((p.start_index, p.count), (1, 0));
    }

    #[test]
    fn names_are_case_insensitive() {
        let p = params(&[
            ("STARTINDEX", "3"),
            ("Count", "2"),
            ("sortorder", "Descending"),
        ])
        .unwrap();
        assert_eq!((p.start_index, p.count, p.ascending), (3, 2, false));
    }

    #[test]
    fn non_numeric_paging_is_invalid_value() {
        let e = params(&[("count", "ten")]).unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.detail.contains("count"));
        assert!(params(&[("sortOrder", "up")]).is_err());
    }

    #[test]
    fn empty_list_response_keeps_resources() {
        let v = list_response(0, 1, vec![]);
        assert_eq!(v["Resources"], json!([]));
        assert_eq!(v["totalResults"], 0);
    }
}
