//! `/Users` and `/Groups`: RFC 7644 §3.3–§3.6. One set of handlers serves both kinds.

use super::{base_url, method_not_allowed, path_param, query_pairs};
use crate::http::auth::Principal;
use crate::http::error::ApiError;
use crate::http::request_id::request_info;
use crate::http::scim_json::{respond, ScimBody};
use crate::http::AppState;
use crate::scim::list::ListParams;
use crate::scim::projection::Projection;
use crate::scim::schema::ResourceKind;
use crate::scim::ScimError;
use crate::service::{body_for_log, Ctx, RequestInfo, ServiceError, Services, LOOKUP};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

pub fn configure(cfg: &mut web::ServiceConfig) {
    for kind in [ResourceKind::User, ResourceKind::Group] {
        let collection = kind.endpoint();
        let item = format!("{collection}/{{id}}");
        cfg.service(
            web::resource([collection.to_string(), format!("{collection}/")])
                .route(web::get().to(move |p, r, s| list(kind, p, r, s)))
                .route(web::post().to(move |p, r, s, b| create(kind, p, r, s, b)))
                .default_service(web::to(method_not_allowed("GET, POST"))),
        )
        .service(
            web::resource(item)
                .route(web::get().to(move |p, r, s| get(kind, p, r, s)))
                .route(web::put().to(move |p, r, s, b| replace(kind, p, r, s, b)))
                .route(web::patch().to(move |p, r, s, b| patch(kind, p, r, s, b)))
                .route(web::delete().to(move |p, r, s| delete(kind, p, r, s)))
                .default_service(web::to(method_not_allowed("GET, PUT, PATCH, DELETE"))),
        );
    }
}

/// Everything a service call needs from the request, owned so it can move to the blocking pool.
struct Call {
    services: Services,
    principal: crate::service::Principal,
    base: String,
    info: RequestInfo,
    timeout: std::time::Duration,
}

impl Call {
    fn new(p: Principal, req: &HttpRequest, state: &AppState, body: Option<&ScimBody>) -> Self {
        let body = body.map(|b| body_for_log(&b.text, &b.value));
        let info = request_info(req, Some(p.0.credential_id.clone()), body);
        Call {
            services: state.services.clone(),
            principal: p.0,
            base: base_url(req, state.settings.public_url.as_deref()),
            info,
            timeout: state.settings.request_timeout,
        }
    }

    /// Run a service call on the blocking pool, bounded by the request timeout.
    async fn run<T: Send + 'static>(
        self,
        f: impl FnOnce(&Services, &Ctx<'_>) -> Result<T, ServiceError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let timeout = self.timeout;
        let job = web::block(move || {
            let ctx = Ctx {
                tenant: &self.principal.tenant,
                base_url: &self.base,
                request: &self.info,
            };
            f(&self.services, &ctx)
        });
        match actix_web::rt::time::timeout(timeout, job).await {
            Ok(Ok(result)) => result.map_err(ApiError::from),
            Ok(Err(_)) => Err(ApiError(ScimError::unavailable(
                "the server is overloaded; retry later",
            ))),
            Err(_) => Err(ApiError(ScimError::unavailable(
                "the request took too long; retry later",
            ))),
        }
    }

    /// A request refused before it reached a use case (bad query string or body): logged under
    /// the action it attempted, and answered with the same error.
    async fn reject(
        self,
        kind: ResourceKind,
        action: &'static str,
        id: Option<String>,
        err: ApiError,
    ) -> ApiError {
        let e = err.0;
        let result: Result<(), ApiError> = self
            .run(move |s, ctx| {
                s.record_rejected(ctx, kind, action, id.as_deref(), &e);
                Err(ServiceError::Scim(e))
            })
            .await;
        result
            .err()
            .unwrap_or_else(|| ApiError(ScimError::internal()))
    }
}

fn if_match(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn projection_of(kind: ResourceKind, req: &HttpRequest) -> Result<Projection, ApiError> {
    let pairs = query_pairs(req)?;
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    Ok(Projection::new(
        kind,
        get("attributes"),
        get("excludedAttributes"),
    ))
}

async fn list(
    kind: ResourceKind,
    p: Principal,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let settings = state.services.settings();
    let call = Call::new(p, &req, &state, None);
    let params = query_pairs(&req).and_then(|pairs| {
        ListParams::from_pairs(
            pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            settings.default_count,
            settings.max_results,
        )
        .map_err(ApiError)
    });
    let params = match params {
        Ok(p) => p,
        Err(e) => return Err(call.reject(kind, LOOKUP, None, e).await),
    };
    let body = call
        .run(move |s, ctx| s.list_resources(ctx, kind, &params))
        .await?;
    Ok(respond(StatusCode::OK, &body, None, None))
}

async fn create(
    kind: ResourceKind,
    p: Principal,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Result<ScimBody, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            return Err(Call::new(p, &req, &state, None)
                .reject(kind, "Create", None, e)
                .await)
        }
    };
    let call = Call::new(p, &req, &state, Some(&body));
    let r = call
        .run(move |s, ctx| s.create_resource(ctx, kind, &body.value))
        .await?;
    Ok(respond(
        StatusCode::CREATED,
        &r.body,
        Some(&r.etag),
        Some(&r.location),
    ))
}

async fn get(
    kind: ResourceKind,
    p: Principal,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = path_param(&req, "id");
    let call = Call::new(p, &req, &state, None);
    let projection = match projection_of(kind, &req) {
        Ok(p) => p,
        Err(e) => return Err(call.reject(kind, LOOKUP, Some(id), e).await),
    };
    let r = call
        .run(move |s, ctx| s.get_resource(ctx, kind, &id, &projection))
        .await?;
    Ok(respond(
        StatusCode::OK,
        &r.body,
        Some(&r.etag),
        Some(&r.location),
    ))
}

/// PUT (RFC 7644 §3.5.1) or PATCH (§3.5.2) of one resource.
#[derive(Clone, Copy)]
enum Change {
    Replace,
    Patch,
}

async fn replace(
    kind: ResourceKind,
    p: Principal,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Result<ScimBody, ApiError>,
) -> Result<HttpResponse, ApiError> {
    change(Change::Replace, kind, p, req, state, body).await
}

async fn patch(
    kind: ResourceKind,
    p: Principal,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Result<ScimBody, ApiError>,
) -> Result<HttpResponse, ApiError> {
    change(Change::Patch, kind, p, req, state, body).await
}

/// PUT answers 200 with the resource; PATCH answers 200 with the User (Entra prefers it) and
/// 204 for Groups (Entra's guidance: never send member lists back).
async fn change(
    how: Change,
    kind: ResourceKind,
    p: Principal,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Result<ScimBody, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let (id, if_match) = (path_param(&req, "id"), if_match(&req));
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            let call = Call::new(p, &req, &state, None);
            return Err(call.reject(kind, "Update", Some(id), e).await);
        }
    };
    let call = Call::new(p, &req, &state, Some(&body));
    let r = call
        .run(move |s, ctx| {
            let if_match = if_match.as_deref();
            match how {
                Change::Replace => s.replace_resource(ctx, kind, &id, &body.value, if_match),
                Change::Patch => s.patch_resource(ctx, kind, &id, &body.value, if_match),
            }
        })
        .await?;
    Ok(match (how, kind) {
        (Change::Patch, ResourceKind::Group) => HttpResponse::NoContent()
            .insert_header((header::ETAG, r.etag))
            .finish(),
        _ => respond(StatusCode::OK, &r.body, Some(&r.etag), Some(&r.location)),
    })
}

async fn delete(
    kind: ResourceKind,
    p: Principal,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (id, if_match) = (path_param(&req, "id"), if_match(&req));
    Call::new(p, &req, &state, None)
        .run(move |s, ctx| s.delete_resource(ctx, kind, &id, if_match.as_deref()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
