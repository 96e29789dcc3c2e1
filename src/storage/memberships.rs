//! Group memberships as rows: adding and removing members is an insert or delete of exactly the
//! members named, never a read-modify-write of a list, so concurrent PATCHes cannot lose members.

use super::rows::{MemberRow, NewMember};
use super::schema::{groups, memberships};
use super::time::to_storage_precision;
use super::{DbConn, StorageError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// Rows per INSERT statement (6 binds each, well under SQLite's limit).
const INSERT_CHUNK: usize = 500;
const ID_CHUNK: usize = 500;

#[derive(Insertable)]
#[diesel(table_name = memberships)]
struct MemberInsert<'a> {
    tenant_id: &'a str,
    group_id: &'a str,
    member_id: &'a str,
    member_type: &'a str,
    display: Option<&'a str>,
    created_at: NaiveDateTime,
}

/// Add members; pairs already present are left alone. Returns how many rows were inserted.
/// `NotFound` when the group does not exist.
pub fn add(
    conn: &mut DbConn,
    tenant_id: &str,
    group_id: &str,
    members: &[NewMember],
) -> Result<usize, StorageError> {
    let mut inserted = 0;
    for chunk in members.chunks(INSERT_CHUNK) {
        let rows: Vec<MemberInsert<'_>> = chunk
            .iter()
            .map(|m| MemberInsert {
                tenant_id,
                group_id,
                member_id: &m.member_id,
                member_type: &m.member_type,
                display: m.display.as_deref(),
                created_at: to_storage_precision(m.created_at),
            })
            .collect();
        // MultiBackend has no ON CONFLICT, so each backend gets its own idempotent insert.
        let result = match conn {
            DbConn::Sqlite(c) => diesel::insert_or_ignore_into(memberships::table)
                .values(&rows)
                .execute(c),
            DbConn::Postgres(c) => diesel::insert_into(memberships::table)
                .values(&rows)
                .on_conflict_do_nothing()
                .execute(c),
        };
        inserted += result.map_err(|e| match e {
            DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
                StorageError::NotFound
            }
            other => StorageError::from(other),
        })?;
    }
    Ok(inserted)
}

/// Remove exactly the listed members; returns how many were removed.
pub fn remove(
    conn: &mut DbConn,
    tenant_id: &str,
    group_id: &str,
    member_ids: &[String],
) -> Result<usize, StorageError> {
    let mut removed = 0;
    for chunk in member_ids.chunks(ID_CHUNK) {
        removed += diesel::delete(
            memberships::table
                .filter(memberships::tenant_id.eq(tenant_id))
                .filter(memberships::group_id.eq(group_id))
                .filter(memberships::member_id.eq_any(chunk)),
        )
        .execute(conn)?;
    }
    Ok(removed)
}

/// Remove every member of the group; returns how many were removed.
pub fn clear(conn: &mut DbConn, tenant_id: &str, group_id: &str) -> Result<usize, StorageError> {
    Ok(diesel::delete(
        memberships::table
            .filter(memberships::tenant_id.eq(tenant_id))
            .filter(memberships::group_id.eq(group_id)),
    )
    .execute(conn)?)
}

/// The group's members, ordered by member id.
pub fn list(
    conn: &mut DbConn,
    tenant_id: &str,
    group_id: &str,
) -> Result<Vec<MemberRow>, StorageError> {
    Ok(memberships::table
        .filter(memberships::tenant_id.eq(tenant_id))
        .filter(memberships::group_id.eq(group_id))
        .order(memberships::member_id.asc())
        .select(MemberRow::as_select())
        .load(conn)?)
}

/// `(group id, group displayName)` of every group the member directly belongs to, by group id.
pub fn groups_of(
    conn: &mut DbConn,
    tenant_id: &str,
    member_id: &str,
) -> Result<Vec<(String, String)>, StorageError> {
    Ok(memberships::table
        .inner_join(
            groups::table.on(groups::tenant_id
                .eq(memberships::tenant_id)
                .and(groups::id.eq(memberships::group_id))),
        )
        .filter(memberships::tenant_id.eq(tenant_id))
        .filter(memberships::member_id.eq(member_id))
        .order(groups::id.asc())
        .select((groups::id, groups::display_name))
        .load(conn)?)
}

pub fn count(conn: &mut DbConn, tenant_id: &str, group_id: &str) -> Result<u64, StorageError> {
    let n: i64 = memberships::table
        .filter(memberships::tenant_id.eq(tenant_id))
        .filter(memberships::group_id.eq(group_id))
        .count()
        .get_result(conn)?;
    Ok(u64::try_from(n).unwrap_or(0))
}
