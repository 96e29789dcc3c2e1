//! Scripted faults (graph.md §5.1 "Throttling" and "Malformed-response faults"): a rule
//! matches requests by method and a substring of the request target, lets `skip` of them
//! through, then fails the next `times`. Faults hit `$batch` items individually too.

use crate::reply::{Body, GraphError, Reply};
use serde_json::{json, Value};
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Fault {
    /// `None` matches any method.
    pub method: Option<String>,
    /// Matched against the request target: path plus `?query` (so `$deltatoken` works).
    /// `$batch` items are matched as `/v1.0` + their relative url.
    pub path_contains: String,
    /// Let this many matching requests through first.
    pub skip: u32,
    /// Then fail this many (`u32::MAX` = always).
    pub times: u32,
    pub response: FaultResponse,
}

impl Fault {
    /// Fails the next request whose target contains `path_contains`, once.
    pub fn on(path_contains: &str, response: FaultResponse) -> Fault {
        Fault {
            method: None,
            path_contains: path_contains.to_owned(),
            skip: 0,
            times: 1,
            response,
        }
    }

    pub fn method(mut self, method: &str) -> Fault {
        self.method = Some(method.to_owned());
        self
    }

    pub fn skip(mut self, n: u32) -> Fault {
        self.skip = n;
        self
    }

    pub fn times(mut self, n: u32) -> Fault {
        self.times = n;
        self
    }

    pub fn always(self) -> Fault {
        self.times(u32::MAX)
    }
}

#[derive(Clone, Debug)]
pub enum FaultResponse {
    /// A Graph error: `429` + `Retry-After` (seconds or an HTTP-date), `503` with or
    /// without it, `500`, `504`… `code` is the error code (`TooManyRequests`, …).
    Status {
        status: u16,
        retry_after: Option<String>,
        code: String,
    },
    /// 200 whose body has no `value`.
    MissingValue,
    /// 200 whose `value` is an object.
    ValueNotArray,
    /// 200 whose JSON body is cut in half.
    TruncatedJson,
    /// 401 `InvalidAuthenticationToken`, lifetime validation failed.
    ExpiredToken,
    /// 410 Gone with a `Location` header (delta state reset).
    Gone,
    /// 400 `syncStateNotFound` (delta token expired).
    SyncStateNotFound,
    /// Answers normally, after this long.
    Hang(Duration),
}

impl FaultResponse {
    /// 429 with `Retry-After: {seconds}`.
    pub fn throttled(seconds: u64) -> FaultResponse {
        FaultResponse::Status {
            status: 429,
            retry_after: Some(seconds.to_string()),
            code: "TooManyRequests".into(),
        }
    }

    /// A bare status (e.g. 503 without `Retry-After`), with Graph's usual code for it.
    pub fn status(status: u16) -> FaultResponse {
        let code = match status {
            429 => "TooManyRequests",
            500 => "InternalServerError",
            502 => "BadGateway",
            503 => "ServiceNotAvailable",
            504 => "GatewayTimeout",
            408 => "RequestTimeout",
            _ => "UnknownError",
        };
        FaultResponse::Status {
            status,
            retry_after: None,
            code: code.into(),
        }
    }
}

pub(crate) struct Armed {
    fault: Fault,
    seen: u32,
    fired: u32,
}

impl Armed {
    pub fn new(fault: Fault) -> Armed {
        Armed {
            fault,
            seen: 0,
            fired: 0,
        }
    }
}

/// The fault to apply to this request, if any. Every rule counts the requests it matches;
/// the first rule due to fire wins.
pub(crate) fn take(armed: &mut [Armed], method: &str, target: &str) -> Option<FaultResponse> {
    let mut chosen = None;
    for a in armed.iter_mut() {
        let f = &a.fault;
        let method_ok = f
            .method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method));
        if !method_ok || !target.contains(&f.path_contains) {
            continue;
        }
        a.seen = a.seen.saturating_add(1);
        if chosen.is_none() && a.seen > f.skip && a.fired < f.times {
            a.fired += 1;
            chosen = Some(f.response.clone());
        }
    }
    chosen
}

/// How a fault changes a request's outcome.
pub(crate) enum Effect {
    /// Answer with this error instead of serving the request.
    Fail(GraphError),
    /// Serve the request, then break the body.
    Break(Breakage),
    /// Serve the request, then hold the answer back.
    Delay(Duration),
}

#[derive(Clone, Copy)]
pub(crate) enum Breakage {
    MissingValue,
    ValueNotArray,
    Truncated,
}

pub(crate) fn effect(response: &FaultResponse, base: &str, path: &str) -> Effect {
    match response {
        FaultResponse::Status {
            status,
            retry_after,
            code,
        } => {
            let message = match status {
                429 => "Please retry again later.",
                503 => "The service is temporarily unavailable. Please retry later.",
                504 => "The gateway timed out.",
                _ => "An error occurred while processing the request.",
            };
            let mut e = GraphError::new(*status, code, message)
                .with_inner("code", json!(status.to_string()))
                .with_inner("status", json!(status.to_string()));
            if *status == 429 {
                e = e
                    .with_header("x-ms-throttle-scope", "Tenant_Application/ReadOnly")
                    .with_header("x-ms-throttle-information", "ResourceUnitLimitExceeded");
            }
            if let Some(after) = retry_after {
                e = e.with_header("Retry-After", after.clone());
            }
            Effect::Fail(e)
        }
        FaultResponse::ExpiredToken => Effect::Fail(GraphError::unauthenticated(
            "Lifetime validation failed, the token is expired.",
            base,
        )),
        FaultResponse::Gone => {
            // Graph points at a fresh initial query of the same resource.
            let fresh = path.split('?').next().unwrap_or(path);
            Effect::Fail(
                GraphError::new(
                    410,
                    "resyncRequired",
                    "Resync required. Replace any local items with the server's items, then restart the sync from the Location URL.",
                )
                .with_header("Location", format!("{base}{fresh}")),
            )
        }
        FaultResponse::SyncStateNotFound => Effect::Fail(sync_state_not_found()),
        FaultResponse::MissingValue => Effect::Break(Breakage::MissingValue),
        FaultResponse::ValueNotArray => Effect::Break(Breakage::ValueNotArray),
        FaultResponse::TruncatedJson => Effect::Break(Breakage::Truncated),
        FaultResponse::Hang(d) => Effect::Delay(*d),
    }
}

/// The error for a delta token the service no longer knows.
pub(crate) fn sync_state_not_found() -> GraphError {
    GraphError::new(
        400,
        "syncStateNotFound",
        "The sync state generation is not found. The delta token is expired or invalid; restart the sync without a token.",
    )
}

pub(crate) fn apply(breakage: Breakage, reply: &mut Reply) {
    if reply.status >= 300 {
        return;
    }
    match (breakage, &mut reply.body) {
        (Breakage::MissingValue, Body::Json(Value::Object(map))) => {
            map.remove("value");
        }
        (Breakage::ValueNotArray, Body::Json(Value::Object(map))) => {
            map.insert("value".into(), json!({ "unexpected": "object" }));
        }
        (Breakage::Truncated, _) => {
            let bytes = reply.bytes();
            let cut = bytes.get(..bytes.len() / 2).unwrap_or_default().to_vec();
            let ct = reply.content_type();
            reply.body = Body::Raw(cut, ct);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_then_fires_then_lets_through() {
        let mut armed = vec![Armed::new(
            Fault::on("/users", FaultResponse::status(503))
                .method("GET")
                .skip(1)
                .times(2),
        )];
        let fired: Vec<bool> = (0..5)
            .map(|_| take(&mut armed, "GET", "/v1.0/users?$top=1").is_some())
            .collect();
        assert_eq!(fired, [false, true, true, false, false]);
        assert!(take(&mut armed, "POST", "/v1.0/users").is_none());
    }
}
