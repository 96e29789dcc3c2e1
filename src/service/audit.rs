//! Provisioning events: one row per change, written in the same transaction as the change
//! (docs/provisioning-log.md). Failures are written after the rolled-back attempt.

use crate::scim::ScimError;
use crate::storage::rows::NewEvent;
use chrono::NaiveDateTime;

/// Who made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A SCIM client (Entra's provisioning engine).
    Scim,
    /// The Microsoft Graph reconciler.
    Graph,
    /// The admin API or console.
    Admin,
    /// The command line.
    Cli,
}

impl Actor {
    pub fn as_str(self) -> &'static str {
        match self {
            Actor::Scim => "scim",
            Actor::Graph => "graph",
            Actor::Admin => "admin",
            Actor::Cli => "cli",
        }
    }
}

/// What the log needs to know about the request behind a change.
#[derive(Debug, Clone)]
pub struct RequestInfo {
    pub request_id: String,
    pub actor: Actor,
    pub credential_id: Option<String>,
    pub client_addr: Option<String>,
    pub method: String,
    pub path: String,
    pub started: std::time::Instant,
    /// Request body as received (already size-capped and redacted by the caller).
    pub body: Option<String>,
}

impl RequestInfo {
    /// For changes made outside HTTP (CLI, reconciler).
    pub fn internal(actor: Actor, what: &str) -> Self {
        RequestInfo {
            request_id: uuid::Uuid::now_v7().to_string(),
            actor,
            credential_id: None,
            client_addr: None,
            method: "-".into(),
            path: what.into(),
            started: std::time::Instant::now(),
            body: None,
        }
    }
}

/// How a request ended, as the log records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
    /// Accepted, but it changed nothing (a PATCH that set what was already there).
    Skipped,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Skipped => "skipped",
        }
    }
}

/// The resource-specific part of an event.
#[derive(Debug, Clone, Default)]
pub struct EventData {
    pub action: &'static str,
    pub resource_type: Option<&'static str>,
    pub resource_id: Option<String>,
    pub resource_name: Option<String>,
    pub external_id: Option<String>,
    /// The change list as the log stores it: JSON from [`super::redact::changes`].
    pub changes: Option<String>,
    pub normalizations: Vec<String>,
    /// A note on a successful event (what a probe or lookup found); failures use the error's.
    pub detail: Option<String>,
}

pub(crate) fn success(
    info: &RequestInfo,
    tenant_id: &str,
    now: NaiveDateTime,
    status: u16,
    d: EventData,
) -> NewEvent {
    build(info, tenant_id, now, status, None, d)
}

/// Finish a success event built before its write ran, so that the write transaction (which
/// other writers queue behind on SQLite) only inserts it: the action and outcome the write
/// turned out to have, and the duration up to now.
pub(crate) fn settle(event: &mut NewEvent, info: &RequestInfo, action: &str, outcome: Outcome) {
    if event.action != action {
        event.action = action.to_string();
    }
    if event.outcome != outcome.as_str() {
        event.outcome = outcome.as_str().to_string();
    }
    event.duration_us = duration_us(info);
}

pub(crate) fn failure(
    info: &RequestInfo,
    tenant_id: &str,
    now: NaiveDateTime,
    err: &ScimError,
    d: EventData,
) -> NewEvent {
    build(info, tenant_id, now, err.status, Some(err), d)
}

fn build(
    info: &RequestInfo,
    tenant_id: &str,
    now: NaiveDateTime,
    status: u16,
    err: Option<&ScimError>,
    d: EventData,
) -> NewEvent {
    NewEvent {
        tenant_id: Some(tenant_id.to_string()),
        occurred_at: now,
        request_id: info.request_id.clone(),
        actor: info.actor.as_str().to_string(),
        credential_id: info.credential_id.clone(),
        client_addr: info.client_addr.clone(),
        method: info.method.clone(),
        path: info.path.clone(),
        resource_type: d.resource_type.map(str::to_string),
        resource_id: d.resource_id,
        resource_name: d.resource_name,
        external_id: d.external_id,
        action: d.action.to_string(),
        outcome: if err.is_some() {
            Outcome::Failure
        } else {
            Outcome::Success
        }
        .as_str()
        .to_string(),
        status: i32::from(status),
        scim_type: err
            .and_then(|e| e.scim_type)
            .map(|t| t.as_str().to_string()),
        detail: err.map(|e| e.detail.clone()).or(d.detail),
        changes: d.changes,
        normalizations: (!d.normalizations.is_empty())
            .then(|| serde_json::to_string(&d.normalizations).ok())
            .flatten(),
        duration_us: duration_us(info),
        request_body: info.body.clone(),
    }
}

fn duration_us(info: &RequestInfo) -> i64 {
    i64::try_from(info.started.elapsed().as_micros()).unwrap_or(i64::MAX)
}
