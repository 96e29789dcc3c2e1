//! The provisioning log: a filter form (tenant, time range, action, outcome, resource id,
//! userName, free text), newest first with an "older" link carrying the cursor, and one
//! event's detail (every field, changes before → after, normalisations, the request body).

use super::html::{
    badge, code, dash, esc, field, heading, json_inline, layout, link, query, select, table, text,
    time, Section,
};
use super::session::Admin;
use super::tenants::tenant_path;
use super::{block, ok, ConsoleError, Pairs};
use crate::http::AppState;
use crate::service::{EventPage, EventQuery, EventView, Tenant};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;
use std::fmt::Write;

/// Events per page of the log.
const PAGE_SIZE: u32 = 50;

/// The filter fields, in form order: (query name, label, placeholder).
const FIELDS: [(&str, &str, &str); 6] = [
    ("since", "Since", "2026-01-31T00:00:00Z"),
    ("until", "Until", "2026-02-01T00:00:00Z"),
    ("action", "Action", "Create, Update, Delete…"),
    ("resource_id", "Resource id", ""),
    ("user_name", "userName / group name", "amy@contoso.com"),
    ("text", "Text", "path, detail, ids"),
];

const OUTCOMES: [(&str, &str); 4] = [
    ("", "any"),
    ("success", "success"),
    ("failure", "failure"),
    ("skipped", "skipped"),
];

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/log", web::get().to(list))
        .route("/log/{id}", web::get().to(show));
}

/// `2026-01-31T12:00` or `2026-01-31` (as typed, read as UTC) → RFC 3339; anything else is
/// passed on for the service to accept or reject with its message.
fn normalise_time(v: &str) -> String {
    use chrono::{NaiveDate, NaiveDateTime};
    let v = v.trim();
    if let Ok(t) = NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M") {
        return format!("{}Z", t.format("%Y-%m-%dT%H:%M:%S"));
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S") {
        return format!("{}Z", t.format("%Y-%m-%dT%H:%M:%S"));
    }
    if let Ok(d) = NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        return format!("{}T00:00:00Z", d.format("%Y-%m-%d"));
    }
    v.to_string()
}

fn event_query(q: &Pairs) -> Result<EventQuery, ConsoleError> {
    let opt = |name: &str| Some(q.get(name)).filter(|v| !v.is_empty());
    let cursor = match opt("cursor") {
        None => None,
        Some(c) => Some(c.parse::<i64>().map_err(|_| {
            ConsoleError::bad_request(format!("cursor must be an event id (a number), got {c:?}"))
        })?),
    };
    let outcome = opt("outcome");
    if let Some(o) = &outcome {
        if !OUTCOMES.iter().any(|(v, _)| v == o) {
            return Err(ConsoleError::bad_request(format!(
                "outcome must be success, failure or skipped, got {o:?}"
            )));
        }
    }
    Ok(EventQuery {
        tenant: opt("tenant"),
        since: opt("since").map(|v| normalise_time(&v)),
        until: opt("until").map(|v| normalise_time(&v)),
        action: opt("action"),
        outcome,
        resource_id: opt("resource_id"),
        user_name: opt("user_name"),
        text: opt("text"),
        cursor,
        after: None,
        limit: Some(PAGE_SIZE),
    })
}

async fn list(
    _: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    let q = Pairs::query(&req)?;
    let eq = event_query(&q)?;
    let query = eq.clone();
    let (tenants, page) = block(&state, move |s| {
        Ok((s.list_tenants()?, s.query_events(&query)?))
    })
    .await?;
    Ok(ok(&list_page(&q, &eq, &tenants, &page)))
}

fn filter_form(q: &Pairs, tenants: &[Tenant]) -> String {
    let mut options: Vec<(&str, &str)> = vec![("", "all tenants")];
    options.extend(tenants.iter().map(|t| (t.name.as_str(), t.name.as_str())));
    let tenant = q.get("tenant");
    let outcome = q.get("outcome");
    let mut out = format!(
        "<form method=\"get\" action=\"/admin/log\" class=\"filters\" id=\"log-filter\">{}{}",
        select("tenant", "Tenant", &options, &tenant),
        select("outcome", "Outcome", &OUTCOMES, &outcome),
    );
    for (name, label, placeholder) in FIELDS {
        out.push_str(&field(name, label, &q.get(name), placeholder));
    }
    out.push_str(
        "<div class=\"buttons\"><button type=\"submit\" id=\"apply-filter\">Filter</button> <a href=\"/admin/log\">Clear</a></div></form>",
    );
    out
}

fn list_page(q: &Pairs, eq: &EventQuery, tenants: &[Tenant], page: &EventPage) -> String {
    let rows: Vec<Vec<String>> = page.events.iter().map(row).collect();
    let older = match page.next_cursor {
        Some(c) => {
            let c = c.to_string();
            let mut pairs: Vec<(&str, String)> = ["tenant", "outcome"]
                .into_iter()
                .chain(FIELDS.iter().map(|f| f.0))
                .map(|k| (k, q.get(k)))
                .collect();
            pairs.push(("cursor", c));
            let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            link(&format!("/admin/log{}", query(&borrowed)), "Older events →")
        }
        None => String::new(),
    };
    let newest = if eq.cursor.is_some() {
        let keep: Vec<(&str, String)> = ["tenant", "outcome"]
            .into_iter()
            .chain(FIELDS.iter().map(|f| f.0))
            .map(|k| (k, q.get(k)))
            .collect();
        let borrowed: Vec<(&str, &str)> = keep.iter().map(|(k, v)| (*k, v.as_str())).collect();
        link(&format!("/admin/log{}", query(&borrowed)), "← Newest")
    } else {
        String::new()
    };
    let body = format!(
        "{}{}{}<p class=\"pager\">{newest} {older}</p>",
        heading(&[], "Provisioning log"),
        filter_form(q, tenants),
        table(
            "events",
            &["Time", "Tenant", "Action", "Outcome", "Resource", "Detail"],
            &rows,
            "No events match these filters."
        ),
    );
    layout("Provisioning log", Section::Log, true, &body)
}

fn resource_label(e: &EventView) -> String {
    let name = e.resource_name.as_deref().or(e.resource_id.as_deref());
    match (&e.resource_type, name) {
        (Some(t), Some(n)) => format!("<span class=\"muted\">{}</span> {}", esc(t), esc(n)),
        (None, Some(n)) => esc(n),
        (Some(t), None) => format!("<span class=\"muted\">{}</span>", esc(t)),
        (None, None) => dash(),
    }
}

fn outcome(e: &EventView) -> String {
    format!(
        "{} <span class=\"muted\">{}</span>",
        badge(&e.outcome, &e.outcome),
        e.status
    )
}

fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max).collect();
    format!("{cut}…")
}

fn row(e: &EventView) -> Vec<String> {
    let detail = e.detail.as_deref().map(|d| short(d, 90));
    vec![
        format!(
            "<a class=\"event-link\" href=\"/admin/log/{}\">{}</a>",
            e.id,
            time(Some(&e.time))
        ),
        text(e.tenant.as_deref()),
        format!("<strong>{}</strong>", esc(&e.action)),
        outcome(e),
        resource_label(e),
        text(detail.as_deref()),
    ]
}

async fn show(
    _: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    let raw = req.match_info().get("id").unwrap_or_default().to_string();
    let id = raw
        .parse::<i64>()
        .map_err(|_| ConsoleError::bad_request(format!("an event id is a number, got {raw:?}")))?;
    let e = block(&state, move |s| s.event(id))
        .await?
        .ok_or_else(|| ConsoleError::not_found(format!("no event with id {id}")))?;
    Ok(ok(&detail_page(&e)))
}

fn detail_page(e: &EventView) -> String {
    let tenant = match &e.tenant {
        Some(t) => link(&tenant_path(t), t),
        None => dash(),
    };
    let resource = match (&e.tenant, &e.resource_type, &e.resource_id) {
        (Some(t), Some(kind), Some(id)) if e.action != "Delete" => {
            let plural = if kind == "Group" { "groups" } else { "users" };
            link(
                &format!("{}/{plural}/{}", tenant_path(t), super::html::url_part(id)),
                e.resource_name.as_deref().unwrap_or(id),
            )
        }
        _ => text(e.resource_name.as_deref()),
    };
    let fields: Vec<(&str, String)> = vec![
        ("Time", time(Some(&e.time))),
        ("Tenant", tenant),
        (
            "Action",
            format!("<strong id=\"event-action\">{}</strong>", esc(&e.action)),
        ),
        ("Outcome", outcome(e)),
        ("scimType", code(e.scim_type.as_deref())),
        ("Detail", text(e.detail.as_deref())),
        ("Resource type", text(e.resource_type.as_deref())),
        ("Resource", resource),
        ("Resource id", code(e.resource_id.as_deref())),
        ("externalId", code(e.external_id.as_deref())),
        (
            "Request",
            format!("<code>{} {}</code>", esc(&e.method), esc(&e.path)),
        ),
        ("Request id", code(Some(&e.request_id))),
        ("Actor", text(Some(&e.actor))),
        ("Credential", code(e.credential_id.as_deref())),
        ("Client address", code(e.client_addr.as_deref())),
        ("Duration", format!("{:.2} ms", e.duration_ms)),
    ];
    let dl = super::html::fields("event-fields", &fields);
    let body = format!(
        "{}<section class=\"card\">{dl}</section>\
<section class=\"card\"><h2>Changes</h2>{}</section>\
<section class=\"card\"><h2>Normalisations</h2>{}</section>\
<section class=\"card\"><h2>Request body</h2>{}</section>",
        heading(
            &[("/admin/log", "Provisioning log")],
            &format!("Event {}", e.id)
        ),
        changes(e.changes.as_ref()),
        normalisations(&e.normalizations),
        request_body(e.request_body.as_deref()),
    );
    layout(&format!("Event {}", e.id), Section::Log, true, &body)
}

fn changes(changes: Option<&Value>) -> String {
    let empty = Vec::new();
    let list = changes.and_then(Value::as_array).unwrap_or(&empty);
    let mut rows = Vec::new();
    let mut members = String::new();
    for c in list {
        let attribute = c.get("attribute").and_then(Value::as_str).unwrap_or("?");
        if c.get("before").is_some() || c.get("after").is_some() {
            rows.push(vec![
                format!("<code>{}</code>", esc(attribute)),
                json_inline(c.get("before")),
                "→".to_string(),
                json_inline(c.get("after")),
            ]);
        } else {
            members.push_str(&member_change(attribute, c));
        }
    }
    let table = table(
        "changes",
        &["Attribute", "Before", "", "After"],
        &rows,
        "No attribute changes recorded.",
    );
    format!("{table}{members}")
}

fn member_change(attribute: &str, c: &Value) -> String {
    let ids = |key: &str| -> String {
        let list: Vec<String> = c
            .get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|v| match v {
                        Value::String(s) => format!("<code>{}</code>", esc(s)),
                        other => format!("<code>{}</code>", esc(&other.to_string())),
                    })
                    .collect()
            })
            .unwrap_or_default();
        if list.is_empty() {
            dash()
        } else {
            list.join(" ")
        }
    };
    let mut out = format!(
        "<h3><code>{}</code></h3><dl class=\"fields\"><dt>Added</dt><dd>{}</dd><dt>Removed</dt><dd>{}</dd>",
        esc(attribute),
        ids("added"),
        ids("removed")
    );
    if c.get("removedAll").and_then(Value::as_bool) == Some(true) {
        out.push_str("<dt>Replaced</dt><dd>every previous member was removed first</dd>");
    }
    out.push_str("</dl>");
    out
}

fn normalisations(list: &[String]) -> String {
    if list.is_empty() {
        return "<p class=\"empty\">None: the request was stored as sent.</p>".to_string();
    }
    let mut out = String::from("<ul class=\"normalisations\">");
    for n in list {
        let _ = write!(out, "<li>{}</li>", esc(n));
    }
    out.push_str("</ul>");
    out
}

fn request_body(body: Option<&str>) -> String {
    match body {
        None | Some("") => "<p class=\"empty\">No body.</p>".to_string(),
        Some(b) => {
            let pretty = serde_json::from_str::<Value>(b)
                .ok()
                .and_then(|v| serde_json::to_string_pretty(&v).ok())
                .unwrap_or_else(|| b.to_string());
            format!(
                "<pre class=\"json\" id=\"request-body\">{}</pre>",
                esc(&pretty)
            )
        }
    }
}
