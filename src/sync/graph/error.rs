//! What a failed response means (graph.md §1.2, §3.1–§3.2): the identity platform's and
//! Graph's error bodies, classified into "retry", "get a new token" or a [`GraphError`] an
//! admin (or a developer, for `Malformed`) can act on. Branches on codes, never on messages.

use super::GraphError;
use serde_json::Value;
use std::time::Duration;

/// Which part of the directory a call reads: names the permission a 403 is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Area {
    Users,
    Groups,
    Applications,
}

impl Area {
    fn reading(self) -> &'static str {
        match self {
            Area::Users => "users",
            Area::Groups => "groups and their members",
            Area::Applications => "the app's service principal and its assignments",
        }
    }

    fn permission(self) -> &'static str {
        match self {
            Area::Users => "User.Read.All",
            Area::Groups => "GroupMember.Read.All (or Group.Read.All)",
            Area::Applications => "Application.Read.All",
        }
    }
}

/// Every application permission pull sync can need, for the 403 hint.
const PERMISSIONS_HINT: &str = "In the app registration, add the Microsoft Graph application \
permissions User.Read.All, GroupMember.Read.All (or Group.Read.All) and, for the assigned-users \
mode, Application.Read.All, then click \"Grant admin consent\".";

/// Graph's error body: `{"error": {"code", "message", "innerError": {"code"?, "request-id"}}}`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct GraphErrorBody {
    pub code: String,
    pub inner_code: String,
    pub message: String,
    pub request_id: Option<String>,
}

impl GraphErrorBody {
    /// Anything that is not Graph's shape (an HTML error page, a proxy's text) gives empty codes.
    pub fn parse(body: &[u8]) -> GraphErrorBody {
        match serde_json::from_slice::<Value>(body) {
            Ok(v) => GraphErrorBody::from_value(&v),
            Err(_) => GraphErrorBody::default(),
        }
    }

    /// The same from an already parsed body (a `$batch` item's).
    pub fn from_value(v: &Value) -> GraphErrorBody {
        let err = &v["error"];
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        GraphErrorBody {
            code: text(&err["code"]),
            inner_code: text(&err["innerError"]["code"]),
            message: text(&err["message"]),
            request_id: err["innerError"]["request-id"].as_str().map(str::to_string),
        }
    }

    fn has_code(&self, code: &str) -> bool {
        self.code.eq_ignore_ascii_case(code) || self.inner_code.eq_ignore_ascii_case(code)
    }

    /// `"TooManyRequests: Please retry again later."`, or the status alone.
    fn summary(&self, status: u16) -> String {
        match (self.code.is_empty(), self.message.is_empty()) {
            (true, true) => format!("HTTP {status}"),
            (false, true) => format!("HTTP {status} {}", self.code),
            (true, false) => format!("HTTP {status}: {}", self.message),
            (false, false) => format!("HTTP {status} {}: {}", self.code, self.message),
        }
    }
}

/// What to do about a non-2xx Graph response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Throttling or an outage: wait (`after` = the server's Retry-After) and try again.
    Retry {
        after: Option<Duration>,
        throttled: bool,
        why: String,
    },
    /// 401: the token expired or was revoked; drop it and try once more with a new one.
    Reauthenticate,
    Fail(GraphError),
}

/// The classification table of graph.md §3.2. `delta` says the request was part of a delta
/// round, where 410 means "start over".
pub(super) fn classify(
    status: u16,
    body: &GraphErrorBody,
    retry_after: Option<Duration>,
    area: Area,
    delta: bool,
) -> Verdict {
    let summary = body.summary(status);
    if body.has_code("syncStateNotFound") || body.has_code("resyncRequired") {
        return Verdict::Fail(GraphError::DeltaExpired(summary));
    }
    match status {
        408 | 429 | 503 | 504 => Verdict::Retry {
            after: retry_after,
            throttled: matches!(status, 429 | 503),
            why: summary,
        },
        // Other 5xx are outages too; a Retry-After on them is honoured but rarely sent.
        500..=599 => Verdict::Retry {
            after: retry_after,
            throttled: false,
            why: summary,
        },
        401 => Verdict::Reauthenticate,
        403 => Verdict::Fail(GraphError::Config {
            code: non_empty(&body.code, "Authorization_RequestDenied"),
            message: format!(
                "Microsoft Graph denied reading {} (needs {})",
                area.reading(),
                area.permission()
            ),
            hint: PERMISSIONS_HINT.to_string(),
        }),
        410 if delta => Verdict::Fail(GraphError::DeltaExpired(summary)),
        404 if area == Area::Applications => Verdict::Fail(sp_not_found()),
        // A Graph root that is not Graph (typo in graph_url, a proxy) answers 404 to /v1.0/….
        404 => Verdict::Fail(GraphError::Config {
            code: non_empty(&body.code, "Request_ResourceNotFound"),
            message: format!("Microsoft Graph answered {summary}"),
            hint: "Check graph_url: it must be the Graph root of the tenant's cloud, e.g. \
                   https://graph.microsoft.com."
                .to_string(),
        }),
        // 400 Request_UnsupportedQuery / Request_BadRequest and every other 4xx: scimd asked
        // something Graph does not support. A bug, not the admin's to fix.
        _ => Verdict::Fail(GraphError::Malformed(format!(
            "Microsoft Graph rejected scimd's request ({summary}); this is a scimd bug"
        ))),
    }
}

/// The app has no service principal in the tenant: never "zero assignments" (graph.md §2.9).
pub(super) fn sp_not_found() -> GraphError {
    GraphError::Config {
        code: "ServicePrincipalNotFound".to_string(),
        message: "service principal not found: the app is not consented in this tenant".to_string(),
        hint: "An admin of the tenant must consent to the app (Enterprise applications, or the \
               admin-consent link), or the consent was revoked; check the client id and tenant \
               id too."
            .to_string(),
    }
}

/// A second 401 right after fetching a fresh token: the token is not for this Graph.
pub(super) fn token_rejected(body: &GraphErrorBody) -> GraphError {
    GraphError::Config {
        code: non_empty(&body.code, "InvalidAuthenticationToken"),
        message: "Microsoft Graph rejected a freshly issued access token".to_string(),
        hint: "Check that authority_url and graph_url belong to the same cloud (e.g. \
               login.microsoftonline.us with graph.microsoft.us) and that the tenant id is right."
            .to_string(),
    }
}

/// The identity platform's error body (graph.md §1.2) → an admin-facing configuration error.
/// `status` is the token endpoint's HTTP status (400 or 401 for the cases mapped here).
pub(super) fn token_error(status: u16, body: &[u8]) -> GraphError {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let error = v["error"].as_str().unwrap_or_default();
    let description = v["error_description"]
        .as_str()
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let code = v["error_codes"][0]
        .as_u64()
        .or_else(|| aadsts_in(&description));
    let (message, hint) = match code {
        Some(7000215) => (
            "Invalid client secret",
            "The client secret is wrong: you may have pasted the secret ID instead of its \
             value. Create a new secret under Certificates & secrets and copy its Value.",
        ),
        Some(7000222) => (
            "The client secret has expired",
            "Create a new client secret under the app registration's Certificates & secrets \
             and give it to scimd.",
        ),
        Some(700016) => (
            "The application was not found in the tenant",
            "Check the tenant id and the application (client) id; an admin of this tenant must \
             have consented to the app.",
        ),
        Some(90002) => (
            "The tenant was not found",
            "Check the Entra tenant id (Overview page of Microsoft Entra ID) and authority_url.",
        ),
        Some(70011) => (
            "The requested scope is invalid",
            "graph_url must be the Graph root of the same cloud as authority_url, e.g. \
             https://graph.microsoft.com with https://login.microsoftonline.com.",
        ),
        Some(700027) => (
            "The certificate assertion's signature was not accepted",
            "Upload the certificate (public part) to the app registration under Certificates & \
             secrets, and check that the private key belongs to it.",
        ),
        Some(700021) | Some(700023) => (
            "The certificate assertion was rejected (issuer, subject or audience)",
            "Check the client id, the tenant id and that authority_url is the app's cloud.",
        ),
        _ => ("", ""),
    };
    let code = match code {
        Some(n) => format!("AADSTS{n}"),
        None if !error.is_empty() => error.to_string(),
        None => format!("HTTP {status}"),
    };
    if !message.is_empty() {
        return GraphError::Config {
            code,
            message: message.to_string(),
            hint: hint.to_string(),
        };
    }
    let message = if description.is_empty() {
        format!("The token endpoint answered HTTP {status}")
    } else {
        description
    };
    let hint = if status == 404 {
        "Check authority_url and the tenant id: the token endpoint was not found."
    } else {
        "Check the tenant id, the client id and the credential of the app registration."
    };
    GraphError::Config {
        code,
        message,
        hint: hint.to_string(),
    }
}

/// `AADSTS7000215: Invalid client secret…` → 7000215 (for bodies without `error_codes`).
fn aadsts_in(description: &str) -> Option<u64> {
    let rest = &description[description.find("AADSTS")? + "AADSTS".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn non_empty(code: &str, fallback: &str) -> String {
    if code.is_empty() { fallback } else { code }.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(code: &str) -> GraphErrorBody {
        GraphErrorBody {
            code: code.to_string(),
            ..GraphErrorBody::default()
        }
    }

    fn verdict(status: u16, code: &str) -> Verdict {
        classify(status, &body(code), None, Area::Users, false)
    }

    #[test]
    fn graph_error_body_is_read_from_graphs_shape_and_tolerates_others() {
        let b = GraphErrorBody::parse(
            json!({"error": {"code": "TooManyRequests", "message": "Please retry again later.",
                "innerError": {"code": "429", "request-id": "r-1"}}})
            .to_string()
            .as_bytes(),
        );
        assert_eq!(b.code, "TooManyRequests");
        assert_eq!(b.inner_code, "429");
        assert_eq!(b.request_id.as_deref(), Some("r-1"));
        assert_eq!(GraphErrorBody::parse(b"<html>"), GraphErrorBody::default());
        assert_eq!(GraphErrorBody::parse(b"[1]"), GraphErrorBody::default());
    }

    #[test]
    fn throttling_and_outages_are_retried_never_configuration() {
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(
                matches!(verdict(status, "x"), Verdict::Retry { .. }),
                "{status}"
            );
        }
        let after = Some(Duration::from_secs(7));
        assert_eq!(
            classify(429, &body("TooManyRequests"), after, Area::Groups, false),
            Verdict::Retry {
                after,
                throttled: true,
                why: "HTTP 429 TooManyRequests".to_string()
            }
        );
        assert!(matches!(
            verdict(500, ""),
            Verdict::Retry {
                throttled: false,
                ..
            }
        ));
    }

    #[test]
    fn a_401_asks_for_a_new_token() {
        assert_eq!(
            verdict(401, "InvalidAuthenticationToken"),
            Verdict::Reauthenticate
        );
    }

    #[test]
    fn a_403_is_configuration_naming_the_permission() {
        let Verdict::Fail(GraphError::Config {
            code,
            message,
            hint,
        }) = classify(
            403,
            &body("Authorization_RequestDenied"),
            None,
            Area::Groups,
            false,
        )
        else {
            panic!("not config")
        };
        assert_eq!(code, "Authorization_RequestDenied");
        assert!(message.contains("GroupMember.Read.All"), "{message}");
        for p in ["User.Read.All", "Application.Read.All", "admin consent"] {
            assert!(hint.contains(p), "{hint}");
        }
    }

    #[test]
    fn unsupported_queries_are_scimd_bugs() {
        for code in ["Request_UnsupportedQuery", "Request_BadRequest", ""] {
            assert!(matches!(
                verdict(400, code),
                Verdict::Fail(GraphError::Malformed(_))
            ));
        }
        assert!(matches!(
            verdict(405, ""),
            Verdict::Fail(GraphError::Malformed(_))
        ));
    }

    #[test]
    fn expired_delta_state_means_resync() {
        assert!(matches!(
            classify(410, &body(""), None, Area::Users, true),
            Verdict::Fail(GraphError::DeltaExpired(_))
        ));
        // 410 outside a delta round is not a delta matter.
        assert!(matches!(
            verdict(410, ""),
            Verdict::Fail(GraphError::Malformed(_))
        ));
        for code in ["syncStateNotFound", "SYNCSTATENOTFOUND", "resyncRequired"] {
            assert!(matches!(
                classify(400, &body(code), None, Area::Groups, true),
                Verdict::Fail(GraphError::DeltaExpired(_))
            ));
        }
        let inner = GraphErrorBody {
            inner_code: "resyncrequired".to_string(),
            ..GraphErrorBody::default()
        };
        assert!(matches!(
            classify(400, &inner, None, Area::Groups, true),
            Verdict::Fail(GraphError::DeltaExpired(_))
        ));
    }

    #[test]
    fn a_404_on_the_service_principal_means_no_consent() {
        assert_eq!(
            classify(404, &body(""), None, Area::Applications, false),
            Verdict::Fail(sp_not_found())
        );
        assert!(matches!(
            verdict(404, ""),
            Verdict::Fail(GraphError::Config { .. })
        ));
    }

    fn token(status: u16, v: Value) -> (String, String, String) {
        match token_error(status, v.to_string().as_bytes()) {
            GraphError::Config {
                code,
                message,
                hint,
            } => (code, message, hint),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn token_endpoint_errors_become_admin_messages() {
        let (code, _, hint) = token(
            401,
            json!({"error": "invalid_client", "error_codes": [7000215],
                "error_description": "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: t"}),
        );
        assert_eq!(code, "AADSTS7000215");
        assert!(hint.contains("secret ID instead of its value"), "{hint}");
        assert!(token(401, json!({"error_codes": [7000222]}))
            .1
            .contains("expired"));
        assert!(token(400, json!({"error_codes": [700016]}))
            .1
            .contains("not found in the tenant"));
        assert!(token(400, json!({"error_codes": [70011]}))
            .2
            .contains("graph_url"));
        assert!(token(401, json!({"error_codes": [700027]}))
            .1
            .contains("certificate"));
        for code in [700021, 700023] {
            assert!(token(401, json!({"error_codes": [code]}))
                .1
                .contains("assertion"));
        }
        // Codes only in the description still map.
        assert_eq!(
            token(401, json!({"error_description": "AADSTS7000222: The provided client secret keys are expired."})).0,
            "AADSTS7000222"
        );
    }

    #[test]
    fn unknown_token_errors_pass_the_description_through() {
        let (code, message, _) = token(
            400,
            json!({"error": "invalid_request", "error_codes": [9002313],
                "error_description": "AADSTS9002313: Invalid request.\r\n Trace ID: x"}),
        );
        assert_eq!(code, "AADSTS9002313");
        assert_eq!(message, "AADSTS9002313: Invalid request. Trace ID: x");
        let (code, message, hint) = token(404, Value::Null);
        assert_eq!(code, "HTTP 404");
        assert!(message.contains("404"));
        assert!(hint.contains("authority_url"));
    }
}
