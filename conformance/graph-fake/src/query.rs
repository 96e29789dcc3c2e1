//! OData system query options as Graph's directory endpoints accept them (graph.md §2.1,
//! §2.12): parsing, `$select`, `$top`, `$count`, and the advanced-query rule.

use crate::reply::{GraphError, Result};
use crate::schema::Schema;

const OPTIONS: [&str; 11] = [
    "$select",
    "$top",
    "$filter",
    "$count",
    "$skiptoken",
    "$deltatoken",
    "$expand",
    "$orderby",
    "$search",
    "$skip",
    "$format",
];

/// Default page size of directory collections.
pub(crate) const DEFAULT_TOP: usize = 100;
pub(crate) const MAX_TOP: usize = 999;

/// The decoded query string; system options are keyed in lower case.
pub(crate) struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    pub fn parse(raw: &str) -> Result<Query> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for part in raw.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            let k = decode(k, true).ok_or_else(|| {
                GraphError::bad_request("Invalid percent-encoding in the query string.")
            })?;
            let v = decode(v, true).ok_or_else(|| {
                GraphError::bad_request("Invalid percent-encoding in the query string.")
            })?;
            let k = if k.starts_with('$') {
                let lower = k.to_ascii_lowercase();
                if !OPTIONS.contains(&lower.as_str()) {
                    return Err(GraphError::bad_request(format!(
                        "The query parameter '{k}' is not supported."
                    )));
                }
                if pairs.iter().any(|(p, _)| *p == lower) {
                    return Err(GraphError::bad_request(format!(
                        "Query option '{k}' was specified more than once, but it must be specified at most once."
                    )));
                }
                lower
            } else {
                k
            };
            pairs.push((k, v));
        }
        Ok(Query { pairs })
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The query re-encoded without `skip` (for building links), in the order received.
    pub fn encode_without(&self, skip: &str) -> String {
        self.pairs
            .iter()
            .filter(|(k, _)| k != skip)
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// A canonical form that binds a page token to the query that produced it.
    pub fn fingerprint(&self, skip: &str) -> String {
        let mut pairs: Vec<_> = self.pairs.iter().filter(|(k, _)| k != skip).collect();
        pairs.sort();
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// `$top`: 1–999, absent → `None`.
    pub fn top(&self) -> Result<Option<usize>> {
        let Some(raw) = self.get("$top") else {
            return Ok(None);
        };
        match raw.trim().parse::<i64>() {
            Ok(n) if (1..=MAX_TOP as i64).contains(&n) => Ok(usize::try_from(n).ok()),
            Ok(_) => Err(GraphError::bad_request(format!(
                "Invalid page size specified: '{raw}'. Must be between 1 and {MAX_TOP} inclusive."
            ))),
            Err(_) => Err(GraphError::bad_request(format!(
                "Invalid value '{raw}' for query option '$top'."
            ))),
        }
    }

    /// `$count=true|false`.
    pub fn count(&self) -> Result<bool> {
        match self.get("$count").map(str::to_ascii_lowercase).as_deref() {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(other) => Err(GraphError::bad_request(format!(
                "Invalid value '{other}' for query option '$count'."
            ))),
        }
    }

    /// Rejects the options this endpoint does not implement, with Graph's wording where known.
    pub fn reject_unsupported(&self, eventual: bool, allow_expand: bool) -> Result<()> {
        if self.has("$skip") {
            return Err(GraphError::bad_request(
                "'$skip' is not supported by the service.",
            ));
        }
        if self.has("$search") {
            return Err(if eventual {
                GraphError::unsupported("$search is not supported on this resource.")
            } else {
                GraphError::unsupported(
                    "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
                )
            });
        }
        if self.has("$orderby") {
            return Err(GraphError::unsupported(
                "Sorting not supported for current query.",
            ));
        }
        if self.has("$expand") && !allow_expand {
            return Err(GraphError::unsupported(
                "$expand is not supported on this resource.",
            ));
        }
        if self
            .get("$format")
            .is_some_and(|f| !f.eq_ignore_ascii_case("json"))
        {
            return Err(GraphError::bad_request("Unsupported $format."));
        }
        Ok(())
    }
}

/// Whether a request carries both advanced-query parameters (graph.md §2.12).
#[derive(Clone, Copy)]
pub(crate) struct Advanced {
    /// `ConsistencyLevel: eventual`
    pub eventual: bool,
    /// `$count=true`
    pub count: bool,
}

impl Advanced {
    pub fn of(query: &Query, consistency_level: Option<&str>) -> Result<Advanced> {
        Ok(Advanced {
            eventual: consistency_level.is_some_and(|v| v.trim().eq_ignore_ascii_case("eventual")),
            count: query.count()?,
        })
    }

    pub fn on(self) -> bool {
        self.eventual && self.count
    }

    /// A feature that only works as an advanced query.
    pub fn require(self, operator: &str) -> Result<()> {
        if self.on() {
            Ok(())
        } else {
            Err(GraphError::unsupported(format!(
                "Operator '{operator}' is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information"
            )))
        }
    }

    /// `@odata.count` is sent only for `$count=true` with the header; otherwise the
    /// parameter is silently ignored, as Graph documents.
    pub fn counts(self) -> bool {
        self.on()
    }
}

/// A compiled `$select`: the names as asked (validated), or Graph's default set.
pub(crate) struct Select {
    names: Option<Vec<&'static str>>,
    /// `members` was selected (groups delta).
    pub members: bool,
}

impl Select {
    /// `schemas`: the types the endpoint can return (member lists return several); a name
    /// must belong to one of them. `members` is accepted only where `allow_members`.
    pub fn parse(
        query: &Query,
        schemas: &[&'static Schema],
        allow_members: bool,
    ) -> Result<Select> {
        let Some(raw) = query.get("$select") else {
            return Ok(Select {
                names: None,
                members: allow_members,
            });
        };
        let mut names = Vec::new();
        let mut members = false;
        for name in raw.split(',').map(str::trim) {
            if name.is_empty() {
                return Err(GraphError::bad_request(
                    "Syntax error: empty name in $select.",
                ));
            }
            if allow_members && name.eq_ignore_ascii_case("members") {
                members = true;
                continue;
            }
            let canonical = schemas
                .iter()
                .find_map(|s| s.index(name).map(|i| s.name(i)))
                .ok_or_else(|| {
                    GraphError::bad_request(format!(
                        "Could not find a property named '{name}' on type '{}'.",
                        schemas
                            .first()
                            .map_or("directoryObject", |s| s.odata_type.trim_start_matches('#'))
                    ))
                })?;
            if !names.contains(&canonical) {
                names.push(canonical);
            }
        }
        Ok(Select {
            names: Some(names),
            members,
        })
    }

    pub fn explicit(&self) -> Option<&[&'static str]> {
        self.names.as_deref()
    }

    /// The schema indexes to render for objects of `schema`.
    pub fn indexes(&self, schema: &Schema) -> Vec<u8> {
        match &self.names {
            None => schema.defaults(),
            Some(names) => names.iter().filter_map(|n| schema.index(n)).collect(),
        }
    }

    /// Rebuilds a selection from names a token carried.
    pub fn from_names(
        names: Option<Vec<String>>,
        schema: &'static Schema,
        members: bool,
    ) -> Select {
        Select {
            names: names.map(|ns| {
                ns.iter()
                    .filter_map(|n| schema.index(n).map(|i| schema.name(i)))
                    .collect()
            }),
            members,
        }
    }

    pub fn names_owned(&self) -> Option<Vec<String>> {
        self.names
            .as_ref()
            .map(|ns| ns.iter().map(|n| (*n).to_owned()).collect())
    }

    /// `users(id,displayName)` for `@odata.context`.
    pub fn context(&self, entity_set: &str) -> String {
        match &self.names {
            None => entity_set.to_owned(),
            Some(names) => format!("{entity_set}({})", names.join(",")),
        }
    }
}

/// Percent-decoding; `plus_as_space` for form and query encoding. `None` on bad escapes or
/// non-UTF-8 results.
pub(crate) fn decode(s: &str, plus_as_space: bool) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'%' => {
                let hex = [bytes.next()?, bytes.next()?];
                let hex = std::str::from_utf8(&hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
            }
            b'+' if plus_as_space => out.push(b' '),
            b => out.push(b),
        }
    }
    String::from_utf8(out).ok()
}

/// Percent-encodes a query component, leaving what Graph's own links leave readable.
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'~'
            | b'$'
            | b','
            | b'\''
            | b'('
            | b')'
            | b'@'
            | b':' => out.push(char::from(b)),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{GROUP, USER};

    #[test]
    fn parses_options_case_insensitively_and_rejects_repeats() {
        let q = Query::parse("$SELECT=id,displayName&$top=5&foo=bar").unwrap();
        assert_eq!(q.get("$select"), Some("id,displayName"));
        assert_eq!(q.top().unwrap(), Some(5));
        assert!(Query::parse("$top=1&$top=2").is_err());
        assert!(Query::parse("$bogus=1").is_err());
        assert!(Query::parse("$filter=%zz").is_err());
        assert_eq!(
            Query::parse("$filter=accountEnabled+eq+true")
                .unwrap()
                .get("$filter"),
            Some("accountEnabled eq true")
        );
    }

    #[test]
    fn top_bounds() {
        for bad in ["0", "1000", "-1", "abc", "99999999999999999999"] {
            let q = Query::parse(&format!("$top={bad}")).unwrap();
            assert_eq!(q.top().unwrap_err().status, 400, "{bad}");
        }
        assert_eq!(Query::parse("$top=999").unwrap().top().unwrap(), Some(999));
    }

    #[test]
    fn select_validates_against_the_returned_types() {
        let q = Query::parse("$select=ID,userPrincipalName,displayName").unwrap();
        let s = Select::parse(&q, &[&USER, &GROUP], false).unwrap();
        assert_eq!(
            s.explicit().unwrap(),
            ["id", "userPrincipalName", "displayName"]
        );
        assert_eq!(s.indexes(&GROUP).len(), 2, "groups have no UPN");
        let q = Query::parse("$select=id,nope").unwrap();
        assert!(Select::parse(&q, &[&USER], false).is_err());
        let q = Query::parse("$select=members").unwrap();
        assert!(Select::parse(&q, &[&GROUP], false).is_err());
        assert!(Select::parse(&q, &[&GROUP], true).unwrap().members);
    }

    #[test]
    fn encode_decode_round_trip() {
        let s = "displayName in ('A&B','C''s') +x/é";
        assert_eq!(decode(&encode(s), true).as_deref(), Some(s));
    }
}
