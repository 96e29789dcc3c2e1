//! RFC 7644 §4 discovery endpoints. They need no credential: they describe the server, not a tenant.

use super::{base_url, method_not_allowed, path_param};
use crate::http::error::ApiError;
use crate::http::scim_json::respond;
use crate::http::AppState;
use crate::scim::discovery::{self, Limits};
use crate::scim::ScimError;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

pub fn configure(cfg: &mut web::ServiceConfig) {
    let get_only = || method_not_allowed("GET");
    cfg.service(
        web::resource("/ServiceProviderConfig")
            .route(web::get().to(service_provider_config))
            .default_service(web::to(get_only())),
    )
    .service(
        web::resource("/ResourceTypes")
            .route(web::get().to(resource_types))
            .default_service(web::to(get_only())),
    )
    .service(
        web::resource("/ResourceTypes/{name}")
            .route(web::get().to(resource_type))
            .default_service(web::to(get_only())),
    )
    .service(
        web::resource("/Schemas")
            .route(web::get().to(schemas))
            .default_service(web::to(get_only())),
    )
    .service(
        web::resource("/Schemas/{urn}")
            .route(web::get().to(schema))
            .default_service(web::to(get_only())),
    );
}

fn base(req: &HttpRequest, state: &AppState) -> String {
    base_url(req, state.settings.public_url.as_deref())
}

async fn service_provider_config(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let limits = Limits {
        max_results: state.services.settings().max_results,
    };
    respond(
        StatusCode::OK,
        &discovery::service_provider_config(&base(&req, &state), limits),
        None,
        None,
    )
}

async fn resource_types(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    respond(
        StatusCode::OK,
        &discovery::resource_types(&base(&req, &state)),
        None,
        None,
    )
}

async fn resource_type(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let name = path_param(&req, "name");
    let kind = discovery::KINDS
        .iter()
        .find(|k| k.name().eq_ignore_ascii_case(&name))
        .copied()
        .ok_or_else(|| {
            ApiError(ScimError::not_found(format!(
                "no resource type {:?}; there are User and Group",
                name.as_str()
            )))
        })?;
    Ok(respond(
        StatusCode::OK,
        &discovery::resource_type(&base(&req, &state), kind),
        None,
        None,
    ))
}

async fn schemas(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    respond(
        StatusCode::OK,
        &discovery::schemas(&base(&req, &state)),
        None,
        None,
    )
}

async fn schema(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let urn = path_param(&req, "urn");
    let doc = discovery::schema(&base(&req, &state), &urn).ok_or_else(|| {
        ApiError(ScimError::not_found(format!(
            "no schema {:?}",
            urn.as_str()
        )))
    })?;
    Ok(respond(StatusCode::OK, &doc, None, None))
}
