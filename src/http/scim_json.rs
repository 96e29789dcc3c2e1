//! `application/scim+json` in and out: the body extractor (media type, size and depth limits,
//! clear syntax errors) and the responder.

use super::error::{ApiError, SCIM_JSON};
use super::AppState;
use crate::scim::ScimError;
use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;

/// A JSON request body accepted as `application/scim+json` or `application/json` (any charset).
pub struct ScimBody {
    pub value: Value,
    /// The raw text, for the provisioning log.
    pub text: String,
}

fn media_type_ok(req: &HttpRequest) -> bool {
    let Some(ct) = req.headers().get(header::CONTENT_TYPE) else {
        return true;
    };
    let Ok(ct) = ct.to_str() else { return false };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/scim+json" || essence == "application/json"
}

/// Deepest bracket nesting, ignoring brackets inside strings. Checked before parsing so a
/// hostile body gets a clear 400 instead of reaching the parser's own recursion limit.
fn json_depth(bytes: &[u8]) -> usize {
    let (mut depth, mut max, mut in_str, mut escaped) = (0usize, 0usize, false, false);
    for &b in bytes {
        if in_str {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' | b'[' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

impl FromRequest for ScimBody {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let settings = req
            .app_data::<web::Data<AppState>>()
            .map(|s| s.settings.clone())
            .unwrap_or_default();
        let media_ok = media_type_ok(req);
        let payload = web::Payload::from_request(req, payload);
        Box::pin(async move {
            if !media_ok {
                return Err(ApiError(ScimError::unsupported_media_type(
                    "send the body as application/scim+json (application/json is accepted too)",
                )));
            }
            let limit = settings.max_body_bytes;
            let payload = payload.await.map_err(|e| {
                ApiError(ScimError::invalid_syntax(format!(
                    "could not read the request body: {e}"
                )))
            })?;
            let buf = match payload.to_bytes_limited(limit).await {
                Ok(Ok(bytes)) => bytes,
                Ok(Err(e)) => {
                    return Err(ApiError(ScimError::invalid_syntax(format!(
                        "could not read the request body: {e}"
                    ))))
                }
                Err(_) => {
                    return Err(ApiError(ScimError::payload_too_large(format!(
                        "request body is larger than the {limit}-byte limit"
                    ))))
                }
            };
            if json_depth(&buf) > settings.max_json_depth {
                return Err(ApiError(ScimError::invalid_syntax(format!(
                    "request body nests JSON deeper than {} levels",
                    settings.max_json_depth
                ))));
            }
            let text = String::from_utf8(buf.to_vec()).map_err(|_| {
                ApiError(ScimError::invalid_syntax("request body is not UTF-8 text"))
            })?;
            if text.trim().is_empty() {
                return Err(ApiError(ScimError::invalid_syntax(
                    "request body is empty; send a JSON object",
                )));
            }
            let value = serde_json::from_str(&text).map_err(|e| {
                ApiError(ScimError::invalid_syntax(format!(
                    "request body is not valid JSON: {e}"
                )))
            })?;
            Ok(ScimBody { value, text })
        })
    }
}

/// A SCIM JSON response with optional `ETag` and `Location`.
pub fn respond(
    status: StatusCode,
    body: &impl serde::Serialize,
    etag: Option<&str>,
    location: Option<&str>,
) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    res.insert_header((header::CONTENT_TYPE, SCIM_JSON));
    if let Some(e) = etag {
        res.insert_header((header::ETAG, e));
    }
    if let Some(l) = location {
        res.insert_header((header::LOCATION, l));
    }
    res.body(serde_json::to_string(body).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::json_depth;

    #[test]
    fn depth_ignores_brackets_in_strings() {
        assert_eq!(json_depth(br#"{"a":[1,{"b":"[[[["}]}"#), 3);
        assert_eq!(json_depth(br#""\"{""#), 0);
        assert_eq!(json_depth(&[b'['; 1000]), 1000);
    }
}
