//! The one place that knows Users and Groups live in different tables.

use crate::scim::resource;
use crate::scim::schema::ResourceKind;
use crate::storage::rows::{EmailRow, GroupChangeset, NewGroup, NewUser, UserChangeset};
use crate::storage::{groups, users, DbConn, SearchPage, SearchQuery, StorageError};
use chrono::NaiveDateTime;
use serde_json::{Map, Value};

/// A stored resource, whatever its table.
#[derive(Debug, Clone)]
pub struct Stored {
    pub id: String,
    pub doc: Map<String, Value>,
    pub version: i64,
    pub created: NaiveDateTime,
    pub updated: NaiveDateTime,
}

fn parse_doc(text: &str) -> Result<Map<String, Value>, StorageError> {
    serde_json::from_str(text)
        .map_err(|e| StorageError::Corrupt(format!("stored document is not a JSON object: {e}")))
}

fn to_text(doc: &Map<String, Value>) -> String {
    // Serialising a Map of Values cannot fail.
    serde_json::to_string(doc).unwrap_or_else(|_| "{}".to_string())
}

fn from_user(r: crate::storage::rows::UserRow) -> Result<Stored, StorageError> {
    Ok(Stored {
        doc: parse_doc(&r.doc)?,
        id: r.id,
        version: r.version,
        created: r.created_at,
        updated: r.updated_at,
    })
}

fn from_group(r: crate::storage::rows::GroupRow) -> Result<Stored, StorageError> {
    Ok(Stored {
        doc: parse_doc(&r.doc)?,
        id: r.id,
        version: r.version,
        created: r.created_at,
        updated: r.updated_at,
    })
}

pub fn find(
    conn: &mut DbConn,
    kind: ResourceKind,
    tenant: &str,
    id: &str,
) -> Result<Option<Stored>, StorageError> {
    match kind {
        ResourceKind::User => users::find(conn, tenant, id)?.map(from_user).transpose(),
        ResourceKind::Group => groups::find(conn, tenant, id)?.map(from_group).transpose(),
    }
}

pub fn insert(
    conn: &mut DbConn,
    kind: ResourceKind,
    tenant: &str,
    id: &str,
    doc: &Map<String, Value>,
    now: NaiveDateTime,
) -> Result<Stored, StorageError> {
    let x = resource::extract(kind, doc);
    match kind {
        ResourceKind::User => {
            let row = NewUser {
                tenant_id: tenant.to_string(),
                id: id.to_string(),
                user_name: x.name.clone(),
                external_id: x.external_id.clone(),
                display_name: x.display_name.clone(),
                active: x.active,
                doc: to_text(doc),
                version: 1,
                created_at: now,
                updated_at: now,
            };
            users::insert(conn, &row, &EmailRow::from_document(doc))?;
        }
        ResourceKind::Group => {
            let row = NewGroup {
                tenant_id: tenant.to_string(),
                id: id.to_string(),
                display_name: x.name.clone(),
                external_id: x.external_id.clone(),
                doc: to_text(doc),
                version: 1,
                created_at: now,
                updated_at: now,
            };
            groups::insert(conn, &row)?;
        }
    }
    let now = crate::storage::time::to_storage_precision(now);
    Ok(Stored {
        id: id.to_string(),
        doc: doc.clone(),
        version: 1,
        created: now,
        updated: now,
    })
}

/// Record a membership-only change: bump version and `lastModified` without touching the
/// document. Concurrent member PATCHes queue on the row lock instead of conflicting.
pub fn touch(
    conn: &mut DbConn,
    tenant: &str,
    current: &Stored,
    expected: Option<i64>,
    now: NaiveDateTime,
) -> Result<Stored, StorageError> {
    let version = groups::bump_version(conn, tenant, &current.id, expected, now)?;
    Ok(Stored {
        version,
        updated: now,
        ..current.clone()
    })
}

/// Conditional update: fails with `VersionMismatch` if someone else wrote since `current` was read.
pub fn update(
    conn: &mut DbConn,
    kind: ResourceKind,
    tenant: &str,
    current: &Stored,
    doc: &Map<String, Value>,
    now: NaiveDateTime,
) -> Result<Stored, StorageError> {
    let x = resource::extract(kind, doc);
    let version = current.version + 1;
    match kind {
        ResourceKind::User => {
            let change = UserChangeset {
                user_name: x.name.clone(),
                external_id: x.external_id.clone(),
                display_name: x.display_name.clone(),
                active: x.active,
                doc: to_text(doc),
                version,
                updated_at: now,
            };
            // The e-mail index is rewritten only when the e-mails changed (most PATCHes don't).
            let emails = (current.doc.get("emails") != doc.get("emails"))
                .then(|| EmailRow::from_document(doc));
            users::update(
                conn,
                tenant,
                &current.id,
                current.version,
                &change,
                emails.as_deref(),
            )?;
        }
        ResourceKind::Group => {
            let change = GroupChangeset {
                display_name: x.name.clone(),
                external_id: x.external_id.clone(),
                doc: to_text(doc),
                version,
                updated_at: now,
            };
            groups::update(conn, tenant, &current.id, current.version, &change)?;
        }
    }
    let updated = crate::storage::time::to_storage_precision(now);
    Ok(Stored {
        id: current.id.clone(),
        doc: doc.clone(),
        version,
        created: current.created,
        updated,
    })
}

pub fn delete(
    conn: &mut DbConn,
    kind: ResourceKind,
    tenant: &str,
    id: &str,
) -> Result<bool, StorageError> {
    match kind {
        ResourceKind::User => users::delete(conn, tenant, id),
        ResourceKind::Group => groups::delete(conn, tenant, id),
    }
}

pub fn search(
    conn: &mut DbConn,
    kind: ResourceKind,
    tenant: &str,
    q: &SearchQuery<'_>,
) -> Result<SearchPage<Stored>, StorageError> {
    match kind {
        ResourceKind::User => {
            let page = users::search(conn, tenant, q)?;
            Ok(SearchPage {
                total: page.total,
                rows: page
                    .rows
                    .into_iter()
                    .map(from_user)
                    .collect::<Result<_, _>>()?,
            })
        }
        ResourceKind::Group => {
            let page = groups::search(conn, tenant, q)?;
            Ok(SearchPage {
                total: page.total,
                rows: page
                    .rows
                    .into_iter()
                    .map(from_group)
                    .collect::<Result<_, _>>()?,
            })
        }
    }
}
