//! Collections and their pages (graph.md §2.1, §2.8): `value` must be an array, nextLinks are
//! followed verbatim but only to the configured Graph host, and a listing longer than the page
//! cap fails instead of being cut short (a truncated read must never look like deletions).

use super::request::{path_of, Call};
use super::{GraphClient, GraphError};
use reqwest::Url;
use serde_json::{Map, Value};

/// Scheme, host and port of the configured Graph root: the only place links may lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Origin {
    scheme: String,
    host: String,
    port: Option<u16>,
}

impl Origin {
    pub fn of(url: &str) -> Option<Origin> {
        let u = Url::parse(url).ok()?;
        Some(Origin {
            scheme: u.scheme().to_ascii_lowercase(),
            host: u.host_str()?.to_ascii_lowercase(),
            port: u.port_or_known_default(),
        })
    }

    /// SSRF guard: a link elsewhere (another host, plain http, another port) is not followed.
    pub fn admits(&self, link: &str) -> bool {
        Origin::of(link).as_ref() == Some(self)
    }
}

/// One page of a collection or a delta round.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Page {
    pub items: Vec<Map<String, Value>>,
    pub next: Option<String>,
    pub delta: Option<String>,
}

/// A 200 body as a page. Anything but `{"value": [objects…]}` with string links is refused:
/// a format change must fail loudly, never read as "the directory is empty".
pub(super) fn parse_page(body: Value) -> Result<Page, String> {
    let Value::Object(mut body) = body else {
        return Err("the response is not a JSON object".to_string());
    };
    let link = |body: &mut Map<String, Value>, key: &str| match body.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("{key} is not a string")),
    };
    let next = link(&mut body, "@odata.nextLink")?;
    let delta = link(&mut body, "@odata.deltaLink")?;
    if next.is_some() && delta.is_some() {
        return Err("the page has both a nextLink and a deltaLink".to_string());
    }
    let Some(Value::Array(values)) = body.remove("value") else {
        return Err("the response has no `value` array".to_string());
    };
    let items = values
        .into_iter()
        .map(|v| match v {
            Value::Object(o) => Ok(o),
            _ => Err("an item of `value` is not an object".to_string()),
        })
        .collect::<Result<_, _>>()?;
    Ok(Page { items, next, delta })
}

impl GraphClient {
    /// GETs `first` and every nextLink after it, handing each page's items to `on_page` as it
    /// arrives. Returns the last page's deltaLink, if any.
    pub(super) fn pages(
        &self,
        first: &str,
        call: Call,
        on_page: &mut dyn FnMut(Vec<Map<String, Value>>) -> Result<(), GraphError>,
    ) -> Result<Option<String>, GraphError> {
        let cap = self.pacing.page_cap.max(1);
        let mut url = first.to_string();
        let mut fetched = 0u32;
        loop {
            let body = self.get(&url, call)?;
            fetched += 1;
            let page = parse_page(body)
                .map_err(|why| GraphError::Malformed(format!("GET {}: {why}", path_of(&url))))?;
            for link in page.next.iter().chain(page.delta.iter()) {
                if !self.origin.admits(link) {
                    return Err(GraphError::Malformed(format!(
                        "GET {}: Graph sent a link to {}, not to the configured graph_url; \
                         refusing to follow it",
                        path_of(&url),
                        Origin::of(link).map_or_else(
                            || "an unparsable URL".to_string(),
                            |o| { format!("{}://{}", o.scheme, o.host) }
                        )
                    )));
                }
            }
            on_page(page.items)?;
            match page.next {
                None => return Ok(page.delta),
                Some(_) if fetched >= cap => {
                    return Err(GraphError::Malformed(format!(
                        "GET {}: more than {cap} pages (the page cap); stopping rather than \
                         reading a truncated directory",
                        path_of(first)
                    )))
                }
                Some(next) => url = next,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn links_are_followed_only_to_the_graph_origin() {
        let o = Origin::of("https://graph.microsoft.com").expect("origin");
        assert!(o.admits("https://graph.microsoft.com/v1.0/users?$skiptoken=x"));
        assert!(o.admits("https://GRAPH.microsoft.com:443/v1.0/users/delta?$deltatoken=y"));
        for bad in [
            "http://graph.microsoft.com/v1.0/users",
            "https://graph.microsoft.com:8443/v1.0/users",
            "https://graph.microsoft.com.evil.example/v1.0/users",
            "https://169.254.169.254/latest/meta-data",
            "https://evil.example/?https://graph.microsoft.com/",
            "/v1.0/users?$skiptoken=relative",
            "not a url",
        ] {
            assert!(!o.admits(bad), "{bad}");
        }
        let local = Origin::of("http://127.0.0.1:8080/").expect("origin");
        assert!(local.admits("http://127.0.0.1:8080/v1.0/users"));
        assert!(!local.admits("http://127.0.0.1:8081/v1.0/users"));
        assert!(!local.admits("http://localhost:8080/v1.0/users"));
    }

    #[test]
    fn pages_need_a_value_array_of_objects() {
        let page = parse_page(json!({
            "@odata.context": "x",
            "@odata.nextLink": "https://graph.microsoft.com/v1.0/users?$skiptoken=a",
            "value": [{"id": "1"}]
        }))
        .expect("page");
        assert_eq!(page.items.len(), 1);
        assert_eq!(
            page.next.as_deref(),
            Some("https://graph.microsoft.com/v1.0/users?$skiptoken=a")
        );
        assert_eq!(page.delta, None);
        // An empty page with a nextLink is normal.
        let empty = parse_page(json!({"value": [], "@odata.nextLink": "n"})).expect("page");
        assert!(empty.items.is_empty() && empty.next.is_some());
        for bad in [
            json!({}),
            json!({"value": {}}),
            json!({"value": null}),
            json!({"value": [1]}),
            json!([]),
            json!({"value": [], "@odata.nextLink": 5}),
            json!({"value": [], "@odata.nextLink": "a", "@odata.deltaLink": "b"}),
        ] {
            assert!(parse_page(bad.clone()).is_err(), "{bad}");
        }
    }
}
