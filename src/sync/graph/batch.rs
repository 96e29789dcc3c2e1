//! Test Connection in one `POST /$batch` (graph.md §2.11, §5.2.9): user count, group count and
//! (assigned mode) the service principal. Each inner response has its own status; the failed
//! ones are retried alone, after their own Retry-After, and the probe fails if they keep failing.

use super::error::{classify, sp_not_found, token_rejected, Area, GraphErrorBody, Verdict};
use super::model::{service_principal_id, service_principal_path};
use super::request::{backoff, jitter, retry_after, Call};
use super::{GraphClient, GraphError, ProbeReport};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::Utc;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::time::Duration;

/// One inner request of the probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    Users,
    Groups,
    ServicePrincipal,
}

impl Probe {
    fn id(self) -> &'static str {
        match self {
            Probe::Users => "users",
            Probe::Groups => "groups",
            Probe::ServicePrincipal => "servicePrincipal",
        }
    }

    fn area(self) -> Area {
        match self {
            Probe::Users => Area::Users,
            Probe::Groups => Area::Groups,
            Probe::ServicePrincipal => Area::Applications,
        }
    }

    fn request(self, app_id: &str) -> Value {
        // `$count` is an advanced query: without ConsistencyLevel Graph answers 400.
        match self {
            Probe::Users => json!({"id": self.id(), "method": "GET", "url": "/users/$count",
                "headers": {"ConsistencyLevel": "eventual"}}),
            Probe::Groups => json!({"id": self.id(), "method": "GET", "url": "/groups/$count",
                "headers": {"ConsistencyLevel": "eventual"}}),
            Probe::ServicePrincipal => json!({"id": self.id(), "method": "GET",
                "url": service_principal_path(app_id)}),
        }
    }
}

/// An inner response: status, headers, body.
#[derive(Debug, PartialEq)]
struct Reply {
    status: u16,
    headers: Map<String, Value>,
    body: Value,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_str())
    }
}

/// `{"responses": [{"id", "status", "headers"?, "body"?}, …]}` by id.
fn parse_responses(body: Value) -> Result<HashMap<String, Reply>, GraphError> {
    let bad = |why: &str| GraphError::Malformed(format!("POST /$batch: {why}"));
    let Value::Object(mut body) = body else {
        return Err(bad("the response is not a JSON object"));
    };
    let Some(Value::Array(responses)) = body.remove("responses") else {
        return Err(bad("the response has no `responses` array"));
    };
    let mut out = HashMap::new();
    for r in responses {
        let Value::Object(mut r) = r else {
            return Err(bad("a response is not an object"));
        };
        let id = match r.remove("id") {
            Some(Value::String(id)) => id,
            _ => return Err(bad("a response has no id")),
        };
        let status = r
            .get("status")
            .and_then(Value::as_u64)
            .and_then(|s| u16::try_from(s).ok())
            .ok_or_else(|| bad("a response has no status"))?;
        let headers = match r.remove("headers") {
            Some(Value::Object(h)) => h,
            _ => Map::new(),
        };
        let body = r.remove("body").unwrap_or(Value::Null);
        out.insert(
            id,
            Reply {
                status,
                headers,
                body,
            },
        );
    }
    Ok(out)
}

/// `$count` answers `text/plain`; inside a batch that arrives as a number, a string, or the
/// base64 of the text, depending on the service. All three are accepted.
fn count(body: &Value) -> Option<u64> {
    match body {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok().or_else(|| {
            let text = STANDARD.decode(s.trim()).ok()?;
            String::from_utf8(text).ok()?.trim().parse().ok()
        }),
        Value::Object(o) => o.get("@odata.count").and_then(Value::as_u64),
        _ => None,
    }
}

impl GraphClient {
    pub(super) fn probe_batch(&self, app_id: Option<&str>) -> Result<ProbeReport, GraphError> {
        // Credentials first: a wrong secret is reported as such, not as a failed batch.
        self.access_token()?;
        let mut pending = vec![Probe::Users, Probe::Groups];
        if app_id.is_some() {
            pending.push(Probe::ServicePrincipal);
        }
        let app_id = app_id.unwrap_or_default();
        let mut report = ProbeReport {
            users: None,
            groups: None,
            service_principal_id: None,
        };
        let url = format!("{}/$batch", self.api);
        let call = Call {
            area: Area::Users,
            delta: false,
        };
        let max = self.pacing.max_attempts.max(1);
        let mut reauthenticated = false;
        let mut attempt = 1;
        while !pending.is_empty() {
            let requests: Vec<Value> = pending.iter().map(|p| p.request(app_id)).collect();
            let mut replies =
                parse_responses(self.post(&url, &json!({ "requests": requests }), call)?)?;
            let mut again = Vec::new();
            let mut wait: Option<Duration> = None;
            let mut why = String::new();
            for probe in pending {
                let reply = replies.remove(probe.id()).ok_or_else(|| {
                    GraphError::Malformed(format!("POST /$batch: no response for {}", probe.id()))
                })?;
                if (200..300).contains(&reply.status) {
                    self.record(&mut report, probe, reply.body)?;
                    continue;
                }
                let err = GraphErrorBody::from_value(&reply.body);
                let after = reply
                    .header("Retry-After")
                    .and_then(|v| retry_after(v, Utc::now()));
                match classify(reply.status, &err, after, probe.area(), false) {
                    Verdict::Retry {
                        after,
                        throttled,
                        why: w,
                    } => {
                        if throttled {
                            self.state().stats.throttled += 1;
                        }
                        if let Some(a) = after {
                            wait = Some(wait.map_or(a, |w| w.max(a)));
                        }
                        why = format!("{}: {w}", probe.id());
                        again.push(probe);
                    }
                    Verdict::Reauthenticate if !reauthenticated => {
                        reauthenticated = true;
                        // The outer request's token is the inner requests' token.
                        if let Ok(t) = self.access_token() {
                            self.forget_token(&t);
                        }
                        why = format!("{}: HTTP 401", probe.id());
                        again.push(probe);
                    }
                    Verdict::Reauthenticate => return Err(token_rejected(&err)),
                    Verdict::Fail(e) => return Err(e),
                }
            }
            if again.is_empty() {
                break;
            }
            if attempt >= max {
                return Err(GraphError::Transient(format!(
                    "POST /v1.0/$batch: {why} (gave up after {max} attempts); the next run will \
                     try again"
                )));
            }
            let wait = match wait {
                Some(w) => w.min(self.pacing.max_wait),
                None => backoff(attempt, self.pacing.max_wait, jitter()),
            };
            self.wait(wait);
            attempt += 1;
            pending = again;
        }
        if app_id.is_empty() || report.service_principal_id.is_some() {
            Ok(report)
        } else {
            Err(sp_not_found())
        }
    }

    fn record(
        &self,
        report: &mut ProbeReport,
        probe: Probe,
        body: Value,
    ) -> Result<(), GraphError> {
        let malformed =
            || GraphError::Malformed(format!("POST /$batch: {} is not a count", probe.id()));
        match probe {
            Probe::Users => report.users = Some(count(&body).ok_or_else(malformed)?),
            Probe::Groups => report.groups = Some(count(&body).ok_or_else(malformed)?),
            Probe::ServicePrincipal => {
                report.service_principal_id = service_principal_id(body)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_arrive_as_numbers_text_or_base64() {
        assert_eq!(count(&json!(42)), Some(42));
        assert_eq!(count(&json!("42")), Some(42));
        assert_eq!(count(&json!(STANDARD.encode("42"))), Some(42));
        assert_eq!(count(&json!({"@odata.count": 7})), Some(7));
        assert_eq!(count(&json!(-1)), None);
        assert_eq!(count(&json!("many")), None);
        assert_eq!(count(&Value::Null), None);
    }

    #[test]
    fn batch_responses_are_indexed_by_id() {
        let r = parse_responses(json!({"responses": [
            {"id": "users", "status": 200, "body": 3},
            {"id": "groups", "status": 429, "headers": {"retry-after": "7"}, "body": {}}
        ]}))
        .expect("responses");
        assert_eq!(r["users"].body, json!(3));
        assert_eq!(r["groups"].status, 429);
        assert_eq!(r["groups"].header("Retry-After"), Some("7"));
        for bad in [
            json!({}),
            json!({"responses": [{"status": 200}]}),
            json!({"responses": [{"id": "x"}]}),
            json!({"responses": [1]}),
        ] {
            assert!(matches!(
                parse_responses(bad),
                Err(GraphError::Malformed(_))
            ));
        }
    }

    #[test]
    fn inner_requests_carry_consistency_level_for_count() {
        for p in [Probe::Users, Probe::Groups] {
            assert_eq!(p.request("")["headers"]["ConsistencyLevel"], "eventual");
        }
        assert_eq!(
            Probe::ServicePrincipal.request("a'b")["url"],
            "/servicePrincipals?$filter=appId eq 'a''b'&$select=id,appId"
        );
    }
}
