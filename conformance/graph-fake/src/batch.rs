//! `POST /v1.0/$batch` (graph.md §2.11): up to 20 requests with relative, version-less
//! urls, each run through the same pipeline as a top-level request (faults, logging) with
//! the batch's `Authorization` and its own headers; each answers with its own status,
//! headers and body.

use crate::auth;
use crate::reply::{Body, GraphError, Reply, Result};
use crate::request::Incoming;
use crate::server;
use crate::state::State;
use serde_json::{json, Map, Value};
use std::collections::HashSet;
use std::time::Duration;

const MAX_REQUESTS: usize = 20;

fn invalid(message: &str) -> GraphError {
    GraphError::new(400, "BadRequest", message)
}

/// A batch item, validated.
struct Item {
    id: String,
    incoming: Incoming,
}

fn parse_items(req: &Incoming) -> Result<Vec<Item>> {
    let body: Value =
        serde_json::from_slice(&req.body).map_err(|_| invalid("Invalid batch payload format."))?;
    let requests = body
        .get("requests")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("Invalid batch payload format: 'requests' must be an array."))?;
    if requests.is_empty() {
        return Err(invalid(
            "Invalid batch payload format: 'requests' is empty.",
        ));
    }
    if requests.len() > MAX_REQUESTS {
        return Err(invalid(&format!(
            "The number of requests in a batch ({}) exceeds the maximum of {MAX_REQUESTS}.",
            requests.len()
        )));
    }
    let authorization = req.header("authorization").map(str::to_owned);
    let mut seen = HashSet::new();
    requests
        .iter()
        .map(|r| {
            let field = |name: &str| r.get(name).and_then(Value::as_str);
            let id = field("id")
                .filter(|id| !id.is_empty())
                .ok_or_else(|| invalid("Each batch request needs a string 'id'."))?;
            if !seen.insert(id.to_owned()) {
                return Err(invalid(&format!("Duplicate batch request id '{id}'.")));
            }
            let method = field("method")
                .ok_or_else(|| invalid(&format!("Batch request '{id}' has no 'method'.")))?;
            let url = field("url")
                .ok_or_else(|| invalid(&format!("Batch request '{id}' has no 'url'.")))?;
            if url.contains("://") {
                return Err(invalid(&format!(
                    "Batch request '{id}': the url must be relative, without the version."
                )));
            }
            let mut headers: Vec<(String, String)> = match r.get("headers") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Object(h)) => h
                    .iter()
                    .map(|(k, v)| {
                        let v = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                        (k.to_ascii_lowercase(), v)
                    })
                    .collect(),
                Some(_) => {
                    return Err(invalid(&format!(
                        "Batch request '{id}': 'headers' must be an object."
                    )))
                }
            };
            headers.retain(|(k, _)| k != "authorization");
            if let Some(a) = &authorization {
                headers.push(("authorization".into(), a.clone()));
            }
            let url = url.strip_prefix('/').unwrap_or(url);
            let (path, query) = url.split_once('?').unwrap_or((url, ""));
            Ok(Item {
                id: id.to_owned(),
                incoming: Incoming {
                    method: method.to_ascii_uppercase(),
                    path: format!("/v1.0/{path}"),
                    query: query.to_owned(),
                    headers,
                    body: r
                        .get("body")
                        .map(|b| b.to_string().into_bytes())
                        .unwrap_or_default(),
                },
            })
        })
        .collect()
}

pub(crate) fn serve(state: &mut State, req: &Incoming) -> Result<Reply> {
    if !req.method.eq_ignore_ascii_case("POST") {
        return Err(GraphError::new(
            405,
            "Request_BadRequest",
            "$batch accepts only POST.",
        ));
    }
    // The batch itself needs a valid token; its items are then checked one by one.
    auth::authenticate(state, req.header("authorization"))?;
    let items = parse_items(req)?;
    let mut responses = Vec::with_capacity(items.len());
    let mut delay: Option<Duration> = None;
    let mut truncated = false;
    for item in items {
        let reply = server::handle(state, &item.incoming, true);
        delay = delay.max(reply.delay);
        let mut headers = Map::new();
        headers.insert("Content-Type".into(), json!(reply.content_type()));
        for (k, v) in &reply.headers {
            headers.insert(k.clone(), json!(v));
        }
        let body = match &reply.body {
            Body::Json(v) => v.clone(),
            Body::Text(t) => json!(t),
            Body::Raw(bytes, _) => {
                // A broken item body cannot live inside valid JSON: the whole batch breaks.
                truncated = true;
                json!(String::from_utf8_lossy(bytes))
            }
        };
        responses.push(
            json!({ "id": item.id, "status": reply.status, "headers": headers, "body": body }),
        );
    }
    let mut reply = Reply::json(json!({ "responses": responses }));
    if truncated {
        let bytes = reply.bytes();
        let cut = bytes.get(..bytes.len() / 2).unwrap_or_default().to_vec();
        reply.body = Body::Raw(cut, crate::reply::JSON);
    }
    reply.delay = delay;
    Ok(reply)
}
