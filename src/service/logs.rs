//! Reading the provisioning log: the same filters for the admin API, the console and
//! `scimd logs`, with cursor paging.

use super::{ServiceError, Services};
use crate::storage::events::{self, EventFilter};
use crate::storage::rows::EventRow;
use crate::storage::tenants;
use crate::storage::time::{parse_rfc3339, rfc3339};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;

/// Largest page of events one query returns.
pub const MAX_EVENTS_PAGE: u32 = 1000;
const DEFAULT_EVENTS_PAGE: u32 = 50;
/// Page size of an export (one page in memory at a time).
const EXPORT_PAGE: u32 = 500;

/// Every action an event can have.
pub const ACTIONS: &[&str] = &[
    "Create",
    "Update",
    "Disable",
    "Enable",
    "Delete",
    "AddMembers",
    "RemoveMembers",
    "Lookup",
    "TestConnection",
    "Authenticate",
];
/// Every outcome an event can have.
pub const OUTCOMES: &[&str] = &["success", "failure", "skipped"];

/// Filters over the log. Every field narrows; empty strings count as absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct EventQuery {
    /// Tenant name.
    pub tenant: Option<String>,
    /// RFC 3339: events at or after this time.
    pub since: Option<String>,
    /// RFC 3339: events before this time.
    pub until: Option<String>,
    /// Create, Update, Disable, Enable, Delete, AddMembers, RemoveMembers, Lookup, …
    pub action: Option<String>,
    /// success, failure or skipped.
    pub outcome: Option<String>,
    pub resource_id: Option<String>,
    /// userName (Users) or displayName (Groups), case-insensitive.
    pub user_name: Option<String>,
    /// Case-insensitive text in the path, detail, names, ids or request id.
    pub text: Option<String>,
    /// Page cursor from a previous answer: events older than it.
    pub cursor: Option<i64>,
    /// For tailing: events newer than this id, oldest first.
    pub after: Option<i64>,
    /// Page size (default 50, at most 1000).
    pub limit: Option<u32>,
}

/// One provisioning event as admins see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventView {
    pub id: i64,
    pub tenant: Option<String>,
    pub time: String,
    pub request_id: String,
    pub actor: String,
    pub credential_id: Option<String>,
    pub client_addr: Option<String>,
    pub method: String,
    pub path: String,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub resource_name: Option<String>,
    pub external_id: Option<String>,
    pub action: String,
    pub outcome: String,
    pub status: u16,
    pub scim_type: Option<String>,
    pub detail: Option<String>,
    /// `[{"attribute", "before", "after"}, …]` (members: `{"attribute":"members","added",…}`).
    pub changes: Option<Value>,
    pub normalizations: Vec<String>,
    pub duration_ms: f64,
    pub request_body: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventPage {
    pub events: Vec<EventView>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<i64>,
}

impl EventQuery {
    fn text(v: &Option<String>) -> Option<String> {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }

    fn time(name: &str, v: &Option<String>) -> Result<Option<chrono::NaiveDateTime>, ServiceError> {
        match Self::text(v) {
            None => Ok(None),
            Some(s) => parse_rfc3339(&s).map(Some).ok_or_else(|| {
                ServiceError::Invalid(format!(
                    "{name} must be an RFC 3339 time such as 2026-01-31T12:00:00Z, got {s:?}"
                ))
            }),
        }
    }

    fn limit(&self) -> u32 {
        self.limit
            .unwrap_or(DEFAULT_EVENTS_PAGE)
            .clamp(1, MAX_EVENTS_PAGE)
    }

    /// A value that must be one of `allowed` (matched case-insensitively, returned canonical).
    fn one_of(
        name: &str,
        v: &Option<String>,
        allowed: &[&str],
    ) -> Result<Option<String>, ServiceError> {
        match Self::text(v) {
            None => Ok(None),
            Some(s) => allowed
                .iter()
                .find(|a| a.eq_ignore_ascii_case(&s))
                .map(|a| Some(a.to_string()))
                .ok_or_else(|| {
                    ServiceError::Invalid(format!(
                        "{name} must be one of {}, got {s:?}",
                        allowed.join(", ")
                    ))
                }),
        }
    }

    /// Reject what no query can mean, before running one.
    pub fn check(&self) -> Result<(), ServiceError> {
        if let Some(l) = self.limit {
            if !(1..=MAX_EVENTS_PAGE).contains(&l) {
                return Err(ServiceError::Invalid(format!(
                    "limit must be between 1 and {MAX_EVENTS_PAGE}, got {l}"
                )));
            }
        }
        Self::time("since", &self.since)?;
        Self::time("until", &self.until)?;
        Self::one_of("action", &self.action, ACTIONS)?;
        Self::one_of("outcome", &self.outcome, OUTCOMES)?;
        Ok(())
    }
}

/// All events matching a query, oldest first, one page at a time (bounded memory). Stops at
/// the newest event that existed when it started, so a busy log cannot keep it running.
pub struct EventExport {
    services: Services,
    query: EventQuery,
    done: bool,
}

impl Iterator for EventExport {
    type Item = Result<Vec<EventView>, ServiceError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let page = match self.services.query_events(&self.query) {
            Ok(p) => p.events,
            Err(e) => {
                self.done = true;
                return Some(Err(e));
            }
        };
        self.done = page.len() < self.query.limit() as usize;
        self.query.after = page.last().map(|e| e.id).or(self.query.after);
        (!page.is_empty()).then_some(Ok(page))
    }
}

impl Services {
    /// Every event matching `q` (filters, and `after` to resume), oldest first; see
    /// [`EventExport`]. `cursor` and `limit` belong to paged queries and are refused here.
    pub fn export_events(&self, q: &EventQuery) -> Result<EventExport, ServiceError> {
        if q.cursor.is_some() || q.limit.is_some() {
            return Err(ServiceError::Invalid(
                "an export returns every matching event, oldest first: drop cursor and limit (resume with after=<last id>)".into(),
            ));
        }
        q.check()?;
        let newest = self.db.read(events::max_id)?;
        let query = EventQuery {
            after: Some(q.after.unwrap_or(0)),
            cursor: Some(newest.saturating_add(1)),
            limit: Some(EXPORT_PAGE),
            ..q.clone()
        };
        Ok(EventExport {
            services: self.clone(),
            query,
            done: false,
        })
    }

    /// Events matching `q`, newest first (or oldest first after `q.after`).
    pub fn query_events(&self, q: &EventQuery) -> Result<EventPage, ServiceError> {
        q.check()?;
        let tenant_id = match EventQuery::text(&q.tenant) {
            Some(name) => Some(self.require_tenant(&name)?.id),
            None => None,
        };
        let limit = q.limit();
        let filter = EventFilter {
            tenant_id,
            since: EventQuery::time("since", &q.since)?,
            until: EventQuery::time("until", &q.until)?,
            action: EventQuery::one_of("action", &q.action, ACTIONS)?,
            outcome: EventQuery::one_of("outcome", &q.outcome, OUTCOMES)?,
            resource_id: EventQuery::text(&q.resource_id),
            user_name: EventQuery::text(&q.user_name),
            text: EventQuery::text(&q.text),
            before_id: q.cursor,
            after_id: q.after,
            // One extra row tells whether another page exists.
            limit: i64::from(limit) + 1,
        };
        let (mut rows, names) = self.db.read(|conn| {
            let rows = events::search(conn, &filter)?;
            let names: HashMap<String, String> = tenants::list(conn)?
                .into_iter()
                .map(|t| (t.id, t.name))
                .collect();
            Ok::<_, ServiceError>((rows, names))
        })?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = if more && q.after.is_none() {
            rows.last().map(|r| r.id)
        } else {
            None
        };
        Ok(EventPage {
            events: rows.into_iter().map(|r| view(r, &names)).collect(),
            next_cursor,
        })
    }

    /// One event by id.
    pub fn event(&self, id: i64) -> Result<Option<EventView>, ServiceError> {
        self.db.read(|conn| {
            let Some(row) = events::find(conn, id)? else {
                return Ok(None);
            };
            let names: HashMap<String, String> = tenants::list(conn)?
                .into_iter()
                .map(|t| (t.id, t.name))
                .collect();
            Ok(Some(view(row, &names)))
        })
    }
}

fn view(r: EventRow, tenants: &HashMap<String, String>) -> EventView {
    let json = |s: Option<String>| s.and_then(|t| serde_json::from_str::<Value>(&t).ok());
    let normalizations = json(r.normalizations)
        .and_then(|v| serde_json::from_value::<Vec<String>>(v).ok())
        .unwrap_or_default();
    EventView {
        id: r.id,
        tenant: r
            .tenant_id
            .as_ref()
            .map(|t| tenants.get(t).cloned().unwrap_or_else(|| t.clone())),
        time: rfc3339(r.occurred_at),
        request_id: r.request_id,
        actor: r.actor,
        credential_id: r.credential_id,
        client_addr: r.client_addr,
        method: r.method,
        path: r.path,
        resource_type: r.resource_type,
        resource_id: r.resource_id,
        resource_name: r.resource_name,
        external_id: r.external_id,
        action: r.action,
        outcome: r.outcome,
        status: u16::try_from(r.status).unwrap_or(0),
        scim_type: r.scim_type,
        detail: r.detail,
        changes: json(r.changes),
        normalizations,
        duration_ms: r.duration_us as f64 / 1000.0,
        request_body: r.request_body,
    }
}
