//! What a handler hands back, before it becomes an HTTP response (or a `$batch` item), and
//! Graph's error shape (graph.md §3.1).

use crate::clock;
use serde_json::{json, Map, Value};
use std::time::Duration;

pub(crate) const JSON: &str =
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

pub(crate) enum Body {
    Json(Value),
    Text(String),
    /// Already serialized (or deliberately broken) bytes with their content type.
    Raw(Vec<u8>, &'static str),
}

pub(crate) struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
    /// Held back this long before it is sent (the `Hang` fault).
    pub delay: Option<Duration>,
    /// Throttling cost, sent as `x-ms-resource-unit` on success.
    pub resource_units: u32,
}

impl Reply {
    pub fn json(value: Value) -> Reply {
        Reply {
            status: 200,
            headers: Vec::new(),
            body: Body::Json(value),
            delay: None,
            resource_units: 1,
        }
    }

    pub fn text(text: String) -> Reply {
        Reply {
            body: Body::Text(text),
            ..Reply::json(Value::Null)
        }
    }

    pub fn with_status(mut self, status: u16) -> Reply {
        self.status = status;
        self
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    pub fn with_units(mut self, units: u32) -> Reply {
        self.resource_units = units;
        self
    }

    pub fn content_type(&self) -> &'static str {
        match &self.body {
            Body::Json(_) => JSON,
            Body::Text(_) => "text/plain;charset=utf-8",
            Body::Raw(_, ct) => ct,
        }
    }

    pub fn bytes(&self) -> Vec<u8> {
        match &self.body {
            Body::Json(v) => serde_json::to_vec(v).unwrap_or_default(),
            Body::Text(t) => t.clone().into_bytes(),
            Body::Raw(b, _) => b.clone(),
        }
    }
}

/// A Graph error before it is given its `innerError` (which needs the request's ids).
#[derive(Debug)]
pub(crate) struct GraphError {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub headers: Vec<(String, String)>,
    /// Extra `innerError` members (throttling puts `code`/`status` there).
    pub inner: Vec<(String, Value)>,
}

pub(crate) type Result<T> = std::result::Result<T, GraphError>;

impl GraphError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> GraphError {
        GraphError {
            status,
            code: code.to_owned(),
            message: message.into(),
            headers: Vec::new(),
            inner: Vec::new(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> GraphError {
        GraphError::new(400, "Request_BadRequest", message)
    }

    pub fn unsupported(message: impl Into<String>) -> GraphError {
        GraphError::new(400, "Request_UnsupportedQuery", message)
    }

    /// An unknown path segment, as Graph's OData layer words it.
    pub fn no_segment(segment: &str) -> GraphError {
        GraphError::new(
            400,
            "BadRequest",
            format!("Resource not found for the segment '{segment}'."),
        )
    }

    pub fn not_found(id: &str) -> GraphError {
        GraphError::new(
            404,
            "Request_ResourceNotFound",
            format!(
                "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
            ),
        )
    }

    pub fn denied() -> GraphError {
        GraphError::new(
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )
    }

    /// 401 with the challenge header every Graph 401 carries.
    pub fn unauthenticated(message: &str, base: &str) -> GraphError {
        GraphError::new(401, "InvalidAuthenticationToken", message).with_header(
            "WWW-Authenticate",
            format!(
                "Bearer realm=\"\", authorization_uri=\"{base}/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\""
            ),
        )
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> GraphError {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    pub fn with_inner(mut self, name: &str, value: Value) -> GraphError {
        self.inner.push((name.to_owned(), value));
        self
    }

    pub fn into_reply(self, ids: &RequestIds, now: u64) -> Reply {
        let mut inner: Map<String, Value> = self.inner.into_iter().collect();
        inner.insert("date".into(), json!(clock::inner_date(now)));
        inner.insert("request-id".into(), json!(ids.request_id));
        inner.insert(
            "client-request-id".into(),
            json!(ids.client_request_id.as_deref().unwrap_or(&ids.request_id)),
        );
        let body =
            json!({ "error": { "code": self.code, "message": self.message, "innerError": inner } });
        let mut reply = Reply::json(body).with_status(self.status);
        reply.headers = self.headers;
        reply
    }
}

/// The ids Graph stamps on every response and error.
pub(crate) struct RequestIds {
    pub request_id: String,
    pub client_request_id: Option<String>,
}

impl RequestIds {
    pub fn new(client_request_id: Option<&str>) -> RequestIds {
        RequestIds {
            request_id: uuid::Uuid::new_v4().to_string(),
            client_request_id: client_request_id.map(str::to_owned),
        }
    }
}
