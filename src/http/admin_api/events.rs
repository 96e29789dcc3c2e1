//! `GET /admin/v1/events`, `/events/{id}` and `/events/export` (NDJSON).

use super::{blocking, services, Admin};
use crate::http::error::AdminError;
use crate::http::AppState;
use crate::service::{EventQuery, EventView};
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

const NDJSON: &str = "application/x-ndjson";

/// The query string as an [`EventQuery`]: unknown or repeated parameters and malformed numbers
/// are 400s that name the parameter.
fn event_query(req: &HttpRequest) -> Result<EventQuery, AdminError> {
    let pairs = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map_err(|e| AdminError::bad_request(format!("malformed query string: {e}")))?
        .into_inner();
    let mut q = EventQuery::default();
    let mut seen = std::collections::HashSet::new();
    for (k, v) in pairs {
        if !seen.insert(k.clone()) {
            return Err(AdminError::bad_request(format!(
                "query parameter {k:?} is given more than once"
            )));
        }
        let number = |v: &str| {
            v.trim().parse::<i64>().map_err(|_| {
                AdminError::bad_request(format!(
                    "query parameter {k} must be a whole number, got {v:?}"
                ))
            })
        };
        match k.as_str() {
            "tenant" => q.tenant = Some(v),
            "since" => q.since = Some(v),
            "until" => q.until = Some(v),
            "action" => q.action = Some(v),
            "outcome" => q.outcome = Some(v),
            "resource_id" => q.resource_id = Some(v),
            "user_name" => q.user_name = Some(v),
            "text" => q.text = Some(v),
            "cursor" => q.cursor = Some(number(&v)?),
            "after" => q.after = Some(number(&v)?),
            "limit" => {
                q.limit = Some(u32::try_from(number(&v)?).map_err(|_| {
                    AdminError::bad_request(format!("query parameter limit must be positive, got {v:?}"))
                })?)
            }
            _ => {
                return Err(AdminError::bad_request(format!(
                    "unknown query parameter {k:?}; known: tenant, since, until, action, outcome, resource_id, user_name, text, cursor, after, limit"
                )))
            }
        }
    }
    Ok(q)
}

/// One page, newest first: `{"events": […], "next_cursor": id|null}`.
pub async fn list(
    _: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    let q = event_query(&req)?;
    let page = blocking(services(&state), move |s| s.query_events(&q)).await?;
    Ok(HttpResponse::Ok().json(page))
}

pub async fn one(
    _: Admin,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    let id: i64 = id
        .trim()
        .parse()
        .map_err(|_| AdminError::bad_request(format!("event id must be a number, got {id:?}")))?;
    match blocking(services(&state), move |s| s.event(id)).await? {
        Some(e) => Ok(HttpResponse::Ok().json(e)),
        None => Err(AdminError::not_found(format!("no event with id {id}"))),
    }
}

/// Every matching event, oldest first, one JSON object per line, streamed page by page.
pub async fn export(
    _: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    let q = event_query(&req)?;
    // The first page is fetched before answering, so a bad query is still a clean 400.
    let (first, rest) = blocking(services(&state), move |s| {
        let mut export = s.export_events(&q)?;
        let first = export.next().transpose()?;
        Ok((first, export))
    })
    .await?;
    let first = futures_util::stream::iter(first.map(|page| Ok(ndjson(&page))));
    let rest = futures_util::stream::unfold(Some(rest), |export| {
        async move {
            let mut export = export?;
            let (export, page) = web::block(move || {
                let page = export.next();
                (export, page)
            })
            .await
            .ok()?;
            match page? {
                Ok(page) => Some((Ok(ndjson(&page)), Some(export))),
                Err(e) => {
                    // Mid-stream the status is sent; end the body early and say why in the log.
                    log::error!("provisioning log export stopped: {e}");
                    Some((
                        Err(actix_web::error::ErrorInternalServerError(e.to_string())),
                        None,
                    ))
                }
            }
        }
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, NDJSON))
        .streaming(futures_util::StreamExt::chain(first, rest)))
}

fn ndjson(page: &[EventView]) -> Bytes {
    let mut out = Vec::with_capacity(page.len() * 512);
    for e in page {
        if serde_json::to_writer(&mut out, e).is_ok() {
            out.push(b'\n');
        }
    }
    Bytes::from(out)
}
