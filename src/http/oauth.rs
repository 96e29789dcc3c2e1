//! `POST /oauth2/token` and `POST /t/{tenant}/oauth2/token`: the OAuth 2.0 client credentials
//! grant (RFC 6749 §4.4). Credentials come as HTTP Basic (`client_secret_basic`) or in the form
//! body (`client_secret_post`), never both; unknown parameters (`scope`, `resource`) are
//! ignored, since what Entra sends there is not documented. On the tenant-qualified URL the
//! client must belong to that tenant. Refusals are logged by the service against the tenant they
//! aimed at (never the body: it holds the secret).

use super::error::OAuthError;
use super::limits::client_addr;
use super::request_id::request_info;
use super::AppState;
use actix_web::http::header;
use actix_web::ResponseError;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine;

pub fn configure(cfg: &mut web::ServiceConfig) {
    for path in ["/oauth2/token", "/t/{tenant}/oauth2/token"] {
        cfg.service(
            web::resource(path)
                .route(web::post().to(token))
                .default_service(web::to(method_not_allowed)),
        );
    }
}

async fn method_not_allowed(req: HttpRequest) -> Result<HttpResponse, OAuthError> {
    Err(OAuthError::new(
        actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
        "invalid_request",
        format!("{} is not supported here; use POST", req.method()),
    ))
}

async fn token(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, OAuthError> {
    let path_tenant = req.match_info().get("tenant").map(str::to_string);
    let mut info = request_info(&req, None, None);
    // The path only: a query string may carry what a confused client meant as a secret.
    info.path = req.path().to_string();
    let services = state.services.clone();
    let (client_id, client_secret) = match client_credentials(&req, &body) {
        Ok(c) => c,
        Err(e) => {
            let claimed = claimed_client_id(&req, &body);
            let (status, reason) = (e.status.as_u16(), e.log_detail().to_string());
            let logged = web::block(move || {
                services.refuse_token_request(
                    claimed.as_deref(),
                    path_tenant.as_deref(),
                    status,
                    &reason,
                    &info,
                )
            })
            .await;
            // The refusal stands whether or not it could be logged.
            if let Ok(Err(failure)) = logged {
                log::error!("could not log a refused token request: {failure}");
            }
            return Err(e);
        }
    };
    let issued = web::block(move || {
        services.issue_access_token(&client_id, &client_secret, path_tenant.as_deref(), &info)
    })
    .await
    .map_err(|_| OAuthError::unavailable())?
    .map_err(OAuthError::server)?;
    let Some(issued) = issued else {
        return match state.limits.failed(client_addr(&req)) {
            Some(wait) => Ok(throttled(wait)),
            None => Err(OAuthError::invalid_client("logged by the service")),
        };
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(issued))
}

/// `(client_id, client_secret)` of a well-formed client credentials request.
fn client_credentials(req: &HttpRequest, body: &[u8]) -> Result<(String, String), OAuthError> {
    let form = form_pairs(req, body)?;
    let grant = single(&form, "grant_type")?
        .ok_or_else(|| OAuthError::invalid_request("grant_type is missing"))?;
    if grant != "client_credentials" {
        return Err(OAuthError::unsupported_grant_type(&grant));
    }
    credentials(req, &form)
}

/// The client id a refused request named (form first, then Basic), to attribute the refusal.
fn claimed_client_id(req: &HttpRequest, body: &[u8]) -> Option<String> {
    let from_form = form_pairs(req, body)
        .ok()
        .and_then(|form| single(&form, "client_id").ok().flatten());
    from_form.or_else(|| basic(req).ok().flatten().map(|(id, _)| id))
}

/// 429 with the seconds to wait, after too many failed attempts from one address.
fn throttled(wait: u64) -> HttpResponse {
    let mut res = OAuthError::new(
        actix_web::http::StatusCode::TOO_MANY_REQUESTS,
        "temporarily_unavailable",
        "too many failed client authentications from this address; retry later",
    )
    .error_response();
    res.headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from(wait));
    res
}

/// The form body's pairs; the media type must be `application/x-www-form-urlencoded`.
fn form_pairs(req: &HttpRequest, body: &[u8]) -> Result<Vec<(String, String)>, OAuthError> {
    let media = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let essence = media.split(';').next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(OAuthError::invalid_request(
            "send the token request as Content-Type: application/x-www-form-urlencoded",
        ));
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| OAuthError::invalid_request("the form body is not UTF-8"))?;
    web::Query::<Vec<(String, String)>>::from_query(text)
        .map(web::Query::into_inner)
        .map_err(|e| OAuthError::invalid_request(format!("malformed form body: {e}")))
}

/// A parameter that may appear at most once (RFC 6749 §3.2); empty counts as absent.
fn single(form: &[(String, String)], name: &str) -> Result<Option<String>, OAuthError> {
    let mut values = form.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
    let first = values.next().cloned();
    if values.next().is_some() {
        return Err(OAuthError::invalid_request(format!(
            "{name} is given more than once"
        )));
    }
    Ok(first.filter(|v| !v.is_empty()))
}

/// `(client_id, client_secret)` from exactly one authentication method.
fn credentials(
    req: &HttpRequest,
    form: &[(String, String)],
) -> Result<(String, String), OAuthError> {
    let form_id = single(form, "client_id")?;
    let form_secret = single(form, "client_secret")?;
    match basic(req)? {
        Some((id, secret)) => {
            if form_secret.is_some() {
                return Err(OAuthError::invalid_request(
                    "use one client authentication method: HTTP Basic or client_secret in the body, not both",
                ));
            }
            if form_id.is_some_and(|f| f != id) {
                return Err(OAuthError::invalid_request(
                    "client_id in the body differs from the one in the Authorization header",
                ));
            }
            Ok((id, secret))
        }
        None => match (form_id, form_secret) {
            (Some(id), Some(secret)) => Ok((id, secret)),
            (Some(_), None) => Err(OAuthError::invalid_client("client_secret is missing")),
            (None, _) => Err(OAuthError::invalid_client(
                "no client credentials: neither HTTP Basic nor client_id and client_secret in the body",
            )),
        },
    }
}

/// `Authorization: Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1), or `None`
/// when there is no Basic header.
fn basic(req: &HttpRequest) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || OAuthError::invalid_client("malformed HTTP Basic client credentials");
    let value = value.to_str().unwrap_or_default().trim();
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return Err(malformed());
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::invalid_client(
            "the Authorization header is not HTTP Basic client authentication",
        ));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(malformed)?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    match (form_decode(id), form_decode(secret)) {
        (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => Ok(Some((id, secret))),
        _ => Err(malformed()),
    }
}

/// Undo `application/x-www-form-urlencoded` encoding (`+` and `%XX`); `None` when malformed.
fn form_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = char::from(bytes.next()?).to_digit(16)?;
                let lo = char::from(bytes.next()?).to_digit(16)?;
                out.push(u8::try_from(hi * 16 + lo).ok()?);
            }
            other => out.push(other),
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::form_decode;

    #[test]
    fn form_decoding() {
        assert_eq!(form_decode("a+b%3Ac").as_deref(), Some("a b:c"));
        assert_eq!(form_decode("plain_1").as_deref(), Some("plain_1"));
        assert_eq!(form_decode("%zz"), None);
        assert_eq!(form_decode("%4"), None);
    }
}
