//! The identity platform's token endpoint, client-credentials grant only (graph.md §1):
//! `POST /{tenant}/oauth2/v2.0/token`, secret (form or HTTP Basic) or `private_key_jwt`,
//! errors in the platform's own shape with AADSTS codes. Tokens are opaque random strings,
//! deliberately not JWTs.

use crate::assertion::{self, Certificate};
use crate::clock;
use crate::query::decode;
use crate::reply::Reply;
use crate::request::Incoming;
use crate::state::{IssuedToken, State};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::{json, Value};

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

struct Refusal {
    status: u16,
    error: &'static str,
    code: u32,
    message: String,
}

fn refuse(status: u16, error: &'static str, code: u32, message: impl Into<String>) -> Refusal {
    Refusal {
        status,
        error,
        code,
        message: message.into(),
    }
}

fn missing(parameter: &str) -> Refusal {
    refuse(
        400,
        "invalid_request",
        900144,
        format!("The request body must contain the following parameter: '{parameter}'."),
    )
}

/// The identity platform's error body.
pub(crate) fn platform_error(
    status: u16,
    error: &str,
    code: u32,
    message: &str,
    base: &str,
    correlation: Option<&str>,
    now: u64,
) -> Reply {
    let trace = uuid::Uuid::new_v4().to_string();
    let correlation = correlation.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    let timestamp = clock::platform_timestamp(now);
    let body = json!({
        "error": error,
        "error_description": format!("AADSTS{code}: {message} Trace ID: {trace} Correlation ID: {correlation} Timestamp: {timestamp}"),
        "error_codes": [code],
        "timestamp": timestamp,
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": format!("{base}/error?code={code}"),
    });
    Reply::json(body)
        .with_status(status)
        .with_header("x-ms-request-id", trace)
}

pub(crate) fn serve(state: &mut State, tenant: &str, req: &Incoming) -> Reply {
    let now = state.clock.now();
    match issue(state, tenant, req, now) {
        Ok(body) => Reply::json(body).with_header("Cache-Control", "no-store, no-cache"),
        Err(r) => platform_error(
            r.status,
            r.error,
            r.code,
            &r.message,
            &state.base,
            req.header("client-request-id"),
            now,
        ),
    }
}

fn form(body: &[u8]) -> Result<Vec<(String, String)>, Refusal> {
    let text = std::str::from_utf8(body).map_err(|_| missing("grant_type"))?;
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            match (decode(k, true), decode(v, true)) {
                (Some(k), Some(v)) => Ok((k, v)),
                _ => Err(refuse(
                    400,
                    "invalid_request",
                    900144,
                    "The request body is not valid application/x-www-form-urlencoded.",
                )),
            }
        })
        .collect()
}

/// `Authorization: Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1) → the
/// client id and the secret as sent and as decoded (many clients skip the urlencoding, so
/// either spelling is accepted).
fn basic(header: Option<&str>) -> Option<(String, Vec<String>)> {
    let (scheme, b64) = header?.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = String::from_utf8(STANDARD.decode(b64.trim()).ok()?).ok()?;
    let (id, secret) = raw.split_once(':')?;
    let mut secrets = vec![secret.to_owned()];
    secrets.extend(decode(secret, true));
    Some((decode(id, true).unwrap_or_else(|| id.to_owned()), secrets))
}

fn issue(state: &mut State, tenant_id: &str, req: &Incoming, now: u64) -> Result<Value, Refusal> {
    if !req.method.eq_ignore_ascii_case("POST") {
        return Err(refuse(
            400,
            "invalid_request",
            900561,
            format!(
                "The endpoint only accepts POST requests. Received a {} request.",
                req.method
            ),
        ));
    }
    let form_encoded = req.header("content-type").is_some_and(|ct| {
        ct.trim()
            .to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
    });
    if !form_encoded {
        return Err(missing("grant_type"));
    }
    let form = form(&req.body)?;
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let grant_type = field("grant_type").ok_or_else(|| missing("grant_type"))?;
    if grant_type != "client_credentials" {
        return Err(refuse(
            400,
            "unsupported_grant_type",
            70003,
            format!("The app requested an unsupported grant type '{grant_type}'."),
        ));
    }
    let basic = basic(req.header("authorization"));
    let client_id = match (field("client_id"), &basic) {
        (Some(form_id), Some((basic_id, _))) if form_id != basic_id => return Err(refuse(
            400,
            "invalid_request",
            900144,
            "The client_id in the request body does not match the one in the Authorization header.",
        )),
        (Some(id), _) => id.to_owned(),
        (None, Some((id, _))) => id.clone(),
        (None, None) => return Err(missing("client_id")),
    };
    let scope = field("scope").ok_or_else(|| missing("scope"))?;
    let expected_scope = format!("{}/.default", state.base);
    if scope != expected_scope {
        return Err(refuse(
            400,
            "invalid_scope",
            70011,
            format!("The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid. Expected '{expected_scope}'."),
        ));
    }

    let not_found = || {
        refuse(
            400,
            "unauthorized_client",
            700016,
            format!("Application with identifier '{client_id}' was not found in the directory '{tenant_id}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."),
        )
    };
    let tenant = state.tenant(tenant_id).ok_or_else(not_found)?;
    let app = tenant.apps.get(&client_id).ok_or_else(not_found)?;
    let sp = tenant.sp_by_app(&client_id).ok_or_else(not_found)?.1;

    let secrets = field("client_secret")
        .map(|s| vec![s.to_owned()])
        .or(basic.map(|(_, s)| s));
    let assertion = field("client_assertion");
    match (secrets, assertion) {
        (Some(_), Some(_)) => {
            return Err(refuse(
                400,
                "invalid_request",
                90014,
                "Only one of 'client_secret' and 'client_assertion' may be presented.",
            ))
        }
        (Some(secrets), None) => {
            if !secrets.iter().any(|s| app.secret.as_deref() == Some(s.as_str())) {
                return Err(refuse(
                    401,
                    "invalid_client",
                    7000215,
                    format!("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."),
                ));
            }
            if app.secret_expired {
                return Err(refuse(
                    401,
                    "invalid_client",
                    7000222,
                    format!("The provided client secret keys for app '{client_id}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds."),
                ));
            }
        }
        (None, Some(jwt)) => {
            if field("client_assertion_type") != Some(JWT_BEARER) {
                return Err(refuse(
                    400,
                    "invalid_request",
                    90014,
                    "The required field 'client_assertion_type' is missing from the credential or is not jwt-bearer.",
                ));
            }
            let url = format!("{}/{tenant_id}/oauth2/v2.0/token", state.base);
            let certificates: &[Certificate] = &app.certificates;
            assertion::verify(jwt, &client_id, &url, certificates, clock::wall_secs())
                .map_err(|r| refuse(401, "invalid_client", r.code, r.message))?;
        }
        (None, None) => {
            return Err(refuse(
                401,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            ))
        }
    }

    let roles = sp.permissions.clone();
    let tenant_key = tenant.id.clone();
    let mut raw = [0u8; 32];
    let _ = getrandom::getrandom(&mut raw);
    let token = URL_SAFE_NO_PAD.encode(raw);
    let lifetime = state.token_lifetime;
    state.tokens.insert(
        token.clone(),
        IssuedToken {
            tenant: tenant_key,
            client_id,
            expires_at: now.saturating_add(lifetime),
            roles,
        },
    );
    Ok(json!({
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": token,
    }))
}
