//! The directory browser: a tenant's Users and Groups, paged, filtered with a SCIM filter;
//! a User with its attributes and groups, a Group with its members. Read through the same
//! service calls as the SCIM endpoints, as the `admin` actor.

use super::html::{
    badge, code, esc, field, heading, json_block, layout, link, query, table, text, time, url_part,
    Section,
};
use super::session::Admin;
use super::tenants::{tenant_of, tenant_path};
use super::{block, ok, root_url, tenant_url, ConsoleError, Pairs};
use crate::http::AppState;
use crate::scim::list::ListParams;
use crate::scim::projection::Projection;
use crate::scim::schema::ResourceKind;
use crate::service::{Actor, Ctx, RequestInfo, ServiceError, Services, Tenant};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Rows per page of the browser.
const PAGE_SIZE: u64 = 50;
/// Members listed (with their names looked up) on a group's page; the rest are counted.
const MEMBERS_SHOWN: usize = 200;

/// userName/displayName of listed members, by id.
type Names = HashMap<String, (Option<String>, Option<String>)>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    for kind in [ResourceKind::User, ResourceKind::Group] {
        let plural = plural(kind);
        cfg.route(
            &format!("/tenants/{{tenant}}/{plural}"),
            web::get().to(move |a, r, s| list(kind, a, r, s)),
        )
        .route(
            &format!("/tenants/{{tenant}}/{plural}/{{id}}"),
            web::get().to(move |a, r, s| show(kind, a, r, s)),
        );
    }
}

fn plural(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::User => "users",
        ResourceKind::Group => "groups",
    }
}

fn resource_path(tenant: &str, kind: ResourceKind, id: &str) -> String {
    format!("{}/{}/{}", tenant_path(tenant), plural(kind), url_part(id))
}

/// Run `f` with a service context for `tenant`, as the console.
async fn with_ctx<T: Send + 'static>(
    state: &AppState,
    tenant: Tenant,
    base: String,
    f: impl FnOnce(&Services, &Ctx<'_>) -> Result<T, ServiceError> + Send + 'static,
) -> Result<T, ConsoleError> {
    block(state, move |s| {
        let info = RequestInfo::internal(Actor::Admin, "console");
        let ctx = Ctx {
            tenant: &tenant,
            base_url: &base,
            request: &info,
        };
        f(s, &ctx)
    })
    .await
}

async fn list(
    kind: ResourceKind,
    _: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    let t = tenant_of(&req, &state).await?;
    let q = Pairs::query(&req)?;
    let page = q.page()?;
    let filter = q.get("filter");
    let params = ListParams {
        filter: Some(filter.clone()).filter(|f| !f.is_empty()),
        ascending: true,
        start_index: (page - 1) * PAGE_SIZE + 1,
        count: PAGE_SIZE,
        excluded_attributes: (kind == ResourceKind::Group).then(|| "members".to_string()),
        ..ListParams::default()
    };
    let base = tenant_url(&root_url(&req, &state), &t.name);
    let body = with_ctx(&state, t.clone(), base, move |s, ctx| {
        s.list_resources(ctx, kind, &params)
    })
    .await
    .map_err(|e| match e {
        ConsoleError::Page { status, message } if status.is_client_error() => ConsoleError::Page {
            status,
            message: format!("the filter cannot be used: {message}"),
        },
        other => other,
    })?;
    Ok(ok(&list_page(kind, &t.name, &filter, page, &body)))
}

fn list_page(kind: ResourceKind, tenant: &str, filter: &str, page: u64, list: &Value) -> String {
    let total = list["totalResults"].as_u64().unwrap_or(0);
    let empty = Vec::new();
    let items = list["Resources"].as_array().unwrap_or(&empty);
    let rows: Vec<Vec<String>> = items
        .iter()
        .filter_map(Value::as_object)
        .map(|r| row(kind, tenant, r))
        .collect();
    let headers: &[&str] = match kind {
        ResourceKind::User => &[
            "userName",
            "displayName",
            "Active",
            "externalId",
            "Last modified",
        ],
        ResourceKind::Group => &["displayName", "externalId", "Last modified"],
    };
    let title = match kind {
        ResourceKind::User => "Users",
        ResourceKind::Group => "Groups",
    };
    let example = match kind {
        ResourceKind::User => "userName sw \"a\" and active eq true",
        ResourceKind::Group => "displayName co \"sales\"",
    };
    let path = format!("{}/{}", tenant_path(tenant), plural(kind));
    let pager = pager(&path, filter, page, total);
    let body = format!(
        "{}<form method=\"get\" action=\"{}\" class=\"filters\">{}<button type=\"submit\" id=\"apply-filter\">Filter</button></form>\
<p class=\"count\">{total} {}</p>{}{pager}",
        heading(
            &[("/admin/tenants", "Tenants"), (&tenant_path(tenant), tenant)],
            title
        ),
        esc(&path),
        field("filter", "SCIM filter", filter, example),
        if total == 1 { kind.name().to_lowercase() } else { title.to_lowercase() },
        table(plural(kind), headers, &rows, "Nothing matches."),
    );
    layout(
        &format!("{title} · {tenant}"),
        Section::Tenants,
        true,
        &body,
    )
}

fn str_of<'a>(r: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    r.get(key).and_then(Value::as_str)
}

fn last_modified(r: &Map<String, Value>) -> Option<&str> {
    r.get("meta")
        .and_then(|m| m.get("lastModified"))
        .and_then(Value::as_str)
}

fn row(kind: ResourceKind, tenant: &str, r: &Map<String, Value>) -> Vec<String> {
    let id = str_of(r, "id").unwrap_or_default();
    let href = resource_path(tenant, kind, id);
    match kind {
        ResourceKind::User => {
            let active = match r.get("active").and_then(Value::as_bool) {
                Some(false) => badge("inactive", "inactive"),
                _ => badge("active", "active"),
            };
            vec![
                link(&href, str_of(r, "userName").unwrap_or(id)),
                text(str_of(r, "displayName")),
                active,
                code(str_of(r, "externalId")),
                time(last_modified(r)),
            ]
        }
        ResourceKind::Group => vec![
            link(&href, str_of(r, "displayName").unwrap_or(id)),
            code(str_of(r, "externalId")),
            time(last_modified(r)),
        ],
    }
}

fn pager(path: &str, filter: &str, page: u64, total: u64) -> String {
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let to = |p: u64| {
        let p = p.to_string();
        format!("{path}{}", query(&[("filter", filter), ("page", &p)]))
    };
    let prev = if page > 1 {
        link(&to(page - 1), "← Previous")
    } else {
        String::new()
    };
    let next = if page < pages {
        link(&to(page + 1), "Next →")
    } else {
        String::new()
    };
    format!("<p class=\"pager\">{prev} <span>page {page} of {pages}</span> {next}</p>")
}

async fn show(
    kind: ResourceKind,
    _: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    let t = tenant_of(&req, &state).await?;
    let id = req.match_info().get("id").unwrap_or_default().to_string();
    let base = tenant_url(&root_url(&req, &state), &t.name);
    let (r, names) = with_ctx(&state, t.clone(), base, move |s, ctx| {
        let r = s.get_resource(ctx, kind, &id, &Projection::default())?;
        let names = member_names(s, ctx, &r.body)?;
        Ok((r, names))
    })
    .await?;
    Ok(ok(&detail_page(kind, &t.name, &r.body, &names)))
}

/// Look up the names of the first members (Entra sends members without `display`).
fn member_names(
    s: &Services,
    ctx: &Ctx<'_>,
    r: &Map<String, Value>,
) -> Result<Names, ServiceError> {
    let mut names = Names::new();
    let Some(members) = r.get("members").and_then(Value::as_array) else {
        return Ok(names);
    };
    for m in members.iter().take(MEMBERS_SHOWN) {
        let Some(id) = m.get("value").and_then(Value::as_str) else {
            continue;
        };
        let kind = match m.get("type").and_then(Value::as_str) {
            Some("Group") => ResourceKind::Group,
            _ => ResourceKind::User,
        };
        let projection = Projection::new(kind, Some("userName,displayName"), None);
        match s.get_resource(ctx, kind, id, &projection) {
            Ok(found) => {
                let get = |k: &str| {
                    found
                        .body
                        .get(k)
                        .and_then(Value::as_str)
                        .map(str::to_string)
                };
                names.insert(id.to_string(), (get("userName"), get("displayName")));
            }
            Err(ServiceError::Scim(e)) if e.status == 404 => {}
            Err(e) => return Err(e),
        }
    }
    Ok(names)
}

fn detail_page(kind: ResourceKind, tenant: &str, r: &Map<String, Value>, names: &Names) -> String {
    let id = str_of(r, "id").unwrap_or_default();
    let title = match kind {
        ResourceKind::User => str_of(r, "userName"),
        ResourceKind::Group => str_of(r, "displayName"),
    }
    .unwrap_or(id);
    let mut fields = vec![
        ("id", code(Some(id))),
        ("externalId", code(str_of(r, "externalId"))),
        (
            "Created",
            time(
                r.get("meta")
                    .and_then(|m| m.get("created"))
                    .and_then(Value::as_str),
            ),
        ),
        ("Last modified", time(last_modified(r))),
    ];
    if kind == ResourceKind::User {
        fields.insert(1, ("displayName", text(str_of(r, "displayName"))));
        let active = match r.get("active").and_then(Value::as_bool) {
            Some(false) => badge("inactive", "inactive"),
            _ => badge("active", "active"),
        };
        fields.insert(2, ("Active", active));
    }
    let dl: String = fields
        .iter()
        .map(|(k, v)| format!("<dt>{}</dt><dd>{v}</dd>", esc(k)))
        .collect();
    let related = match kind {
        ResourceKind::User => groups_of(tenant, r),
        ResourceKind::Group => members_of(tenant, r, names),
    };
    let log = format!(
        "/admin/log{}",
        query(&[("tenant", tenant), ("resource_id", id)])
    );
    let list_title = match kind {
        ResourceKind::User => "Users",
        ResourceKind::Group => "Groups",
    };
    let list_path = format!("{}/{}", tenant_path(tenant), plural(kind));
    let body = format!(
        "{}<p class=\"subnav\">{}</p><section class=\"card\"><dl class=\"fields\">{dl}</dl></section>{related}\
<section class=\"card\"><h2>Attributes</h2>{}</section>",
        heading(
            &[
                ("/admin/tenants", "Tenants"),
                (&tenant_path(tenant), tenant),
                (&list_path, list_title)
            ],
            title
        ),
        link(&log, "Provisioning events for this resource"),
        json_block(&Value::Object(r.clone())),
    );
    layout(
        &format!("{title} · {tenant}"),
        Section::Tenants,
        true,
        &body,
    )
}

fn groups_of(tenant: &str, r: &Map<String, Value>) -> String {
    let empty = Vec::new();
    let groups = r.get("groups").and_then(Value::as_array).unwrap_or(&empty);
    let rows: Vec<Vec<String>> = groups
        .iter()
        .map(|g| {
            let id = g.get("value").and_then(Value::as_str).unwrap_or_default();
            let name = g.get("display").and_then(Value::as_str).unwrap_or(id);
            vec![
                link(&resource_path(tenant, ResourceKind::Group, id), name),
                code(Some(id)),
            ]
        })
        .collect();
    format!(
        "<section class=\"card\"><h2>Groups ({})</h2>{}</section>",
        groups.len(),
        table(
            "groups",
            &["Group", "Id"],
            &rows,
            "Not a member of any group."
        )
    )
}

fn members_of(tenant: &str, r: &Map<String, Value>, names: &Names) -> String {
    let empty = Vec::new();
    let members = r.get("members").and_then(Value::as_array).unwrap_or(&empty);
    let rows: Vec<Vec<String>> = members
        .iter()
        .take(MEMBERS_SHOWN)
        .map(|m| {
            let id = m.get("value").and_then(Value::as_str).unwrap_or_default();
            let kind = match m.get("type").and_then(Value::as_str) {
                Some("Group") => ResourceKind::Group,
                _ => ResourceKind::User,
            };
            let (user_name, display) = names.get(id).cloned().unwrap_or_default();
            let display =
                display.or_else(|| m.get("display").and_then(Value::as_str).map(str::to_string));
            let label = user_name.as_deref().or(display.as_deref()).unwrap_or(id);
            vec![
                link(&resource_path(tenant, kind, id), label),
                text(display.as_deref()),
                esc(kind.name()),
                code(Some(id)),
            ]
        })
        .collect();
    let more = if members.len() > MEMBERS_SHOWN {
        format!(
            "<p class=\"hint\">Showing the first {MEMBERS_SHOWN} of {} members.</p>",
            members.len()
        )
    } else {
        String::new()
    };
    format!(
        "<section class=\"card\"><h2>Members ({})</h2>{}{more}</section>",
        members.len(),
        table(
            "members",
            &["Member", "displayName", "Type", "Id"],
            &rows,
            "No members."
        )
    )
}
