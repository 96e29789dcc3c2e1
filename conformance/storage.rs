//! Storage layer tests, each run on every backend (`support::each_backend`).

mod concurrency;
mod crud;
mod filters;
mod memberships;
mod migrations;
mod paging;
mod parity;
mod units;

use chrono::{NaiveDate, NaiveDateTime};
use scimd::storage::{
    groups, tenants, users, Db, DbConn, EmailRow, NewGroup, NewTenant, NewUser, StorageError,
};
use serde_json::json;

/// A fixed instant plus `secs` seconds: tests never read the clock.
pub fn at(secs: i64) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("valid date")
        + chrono::Duration::seconds(secs)
}

/// Run `f` in a write transaction and unwrap.
#[track_caller]
pub fn write<T>(db: &Db, f: impl FnOnce(&mut DbConn) -> Result<T, StorageError>) -> T {
    db.write(f)
        .unwrap_or_else(|e| panic!("write failed: {e:?}"))
}

#[track_caller]
pub fn read<T>(db: &Db, f: impl FnOnce(&mut DbConn) -> Result<T, StorageError>) -> T {
    db.read(f).unwrap_or_else(|e| panic!("read failed: {e:?}"))
}

/// Insert a tenant named `name` (its id is `tenant-<name>`) and return the id.
pub fn tenant(db: &Db, name: &str) -> String {
    let id = format!("tenant-{name}");
    let t = NewTenant {
        id: id.clone(),
        name: name.to_owned(),
        strict: false,
        log_reads: false,
        created_at: at(0),
    };
    write(db, |c| tenants::insert(c, &t));
    id
}

/// A user whose document carries `userName`, `active` and whatever `extra` adds.
pub fn new_user(
    tenant_id: &str,
    id: &str,
    user_name: &str,
    extra: serde_json::Value,
) -> (NewUser, Vec<EmailRow>) {
    let mut doc = json!({ "userName": user_name, "active": true });
    if let (Some(d), Some(e)) = (doc.as_object_mut(), extra.as_object()) {
        d.extend(e.clone());
    }
    let map = doc.as_object().cloned().unwrap_or_default();
    let str_field = |k: &str| map.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    let user = NewUser {
        tenant_id: tenant_id.to_owned(),
        id: id.to_owned(),
        user_name: user_name.to_owned(),
        external_id: str_field("externalId"),
        display_name: str_field("displayName"),
        active: map.get("active").and_then(|v| v.as_bool()).unwrap_or(true),
        doc: doc.to_string(),
        version: 1,
        created_at: at(0),
        updated_at: at(0),
    };
    (user, EmailRow::from_document(&map))
}

/// Insert a user (see [`new_user`]).
pub fn user(db: &Db, tenant_id: &str, id: &str, user_name: &str, extra: serde_json::Value) {
    let (u, emails) = new_user(tenant_id, id, user_name, extra);
    write(db, |c| users::insert(c, &u, &emails));
}

pub fn new_group(tenant_id: &str, id: &str, display_name: &str) -> NewGroup {
    NewGroup {
        tenant_id: tenant_id.to_owned(),
        id: id.to_owned(),
        display_name: display_name.to_owned(),
        external_id: None,
        doc: json!({ "displayName": display_name }).to_string(),
        version: 1,
        created_at: at(0),
        updated_at: at(0),
    }
}

pub fn group(db: &Db, tenant_id: &str, id: &str, display_name: &str) {
    let g = new_group(tenant_id, id, display_name);
    write(db, |c| groups::insert(c, &g));
}

/// A provisioning-log event of tenant `t`, numbered `n` in its request id and resource name.
pub fn event(t: &str, n: usize) -> scimd::storage::NewEvent {
    scimd::storage::NewEvent {
        tenant_id: Some(t.to_string()),
        occurred_at: chrono::Utc::now().naive_utc(),
        request_id: format!("req-{n}"),
        actor: "graph".into(),
        credential_id: None,
        client_addr: None,
        method: "POST".into(),
        path: "/Users".into(),
        resource_type: Some("User".into()),
        resource_id: None,
        resource_name: Some(format!("user{n}")),
        external_id: None,
        action: "Create".into(),
        outcome: "success".into(),
        status: 201,
        scim_type: None,
        detail: None,
        changes: None,
        normalizations: None,
        duration_us: 0,
        request_body: None,
    }
}
