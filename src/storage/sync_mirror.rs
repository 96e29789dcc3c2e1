//! The reconciler's copy of the Graph directory (objects and direct membership edges) and its
//! links from Entra object ids to the store's resources.

use super::schema::{sync_edges as e, sync_links as l, sync_objects as o};
use super::{DbConn, StorageError};
use diesel::prelude::*;

/// Rows per statement: ids in an `IN` list, or rows in a multi-row INSERT.
const CHUNK: usize = 400;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = o, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct ObjectRow {
    pub tenant_id: String,
    pub kind: String,
    pub entra_id: String,
    /// JSON object of the Graph properties.
    pub props: String,
    /// Soft-deleted (in Entra's recycle bin).
    pub removed: bool,
    pub seen_run: String,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = e, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct EdgeRow {
    pub tenant_id: String,
    pub group_id: String,
    pub member_id: String,
    pub member_kind: String,
    pub seen_run: String,
}

/// Insert or replace objects (keyed by tenant, kind, Entra id).
pub fn put_objects(conn: &mut DbConn, rows: &[ObjectRow]) -> Result<(), StorageError> {
    for chunk in rows.chunks(CHUNK) {
        // MultiBackend has no ON CONFLICT: delete what is there, then insert.
        for kind in ["user", "group"] {
            let ids: Vec<&str> = chunk
                .iter()
                .filter(|r| r.kind == kind)
                .map(|r| r.entra_id.as_str())
                .collect();
            if let Some(first) = chunk.first().filter(|_| !ids.is_empty()) {
                diesel::delete(
                    o::table
                        .filter(o::tenant_id.eq(&first.tenant_id))
                        .filter(o::kind.eq(kind))
                        .filter(o::entra_id.eq_any(&ids)),
                )
                .execute(conn)?;
            }
        }
        insert_rows!(conn, o::table, chunk)?;
    }
    Ok(())
}

/// The stored objects of these ids (to merge the partial properties of a delta round).
pub fn find_objects(
    conn: &mut DbConn,
    tenant_id: &str,
    kind: &str,
    ids: &[&str],
) -> Result<Vec<ObjectRow>, StorageError> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        out.extend(
            o::table
                .filter(o::tenant_id.eq(tenant_id))
                .filter(o::kind.eq(kind))
                .filter(o::entra_id.eq_any(chunk))
                .select(ObjectRow::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

/// Drop every edge from or to these objects.
pub fn delete_edges_of(
    conn: &mut DbConn,
    tenant_id: &str,
    ids: &[&str],
) -> Result<(), StorageError> {
    for chunk in ids.chunks(CHUNK) {
        diesel::delete(
            e::table
                .filter(e::tenant_id.eq(tenant_id))
                .filter(e::member_id.eq_any(chunk).or(e::group_id.eq_any(chunk))),
        )
        .execute(conn)?;
    }
    Ok(())
}

/// Insert or replace membership edges.
pub fn put_edges(conn: &mut DbConn, rows: &[EdgeRow]) -> Result<(), StorageError> {
    for chunk in rows.chunks(CHUNK) {
        remove_edges(
            conn,
            chunk.iter().map(|r| {
                (
                    r.tenant_id.as_str(),
                    r.group_id.as_str(),
                    r.member_id.as_str(),
                )
            }),
        )?;
        insert_rows!(conn, e::table, chunk)?;
    }
    Ok(())
}

/// Remove edges given as (tenant, group, member).
pub fn remove_edges<'a>(
    conn: &mut DbConn,
    edges: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
) -> Result<(), StorageError> {
    let mut by_group: std::collections::BTreeMap<(&str, &str), Vec<&str>> = Default::default();
    for (t, g, m) in edges {
        by_group.entry((t, g)).or_default().push(m);
    }
    for ((tenant, group), members) in by_group {
        for chunk in members.chunks(CHUNK) {
            diesel::delete(
                e::table
                    .filter(e::tenant_id.eq(tenant))
                    .filter(e::group_id.eq(group))
                    .filter(e::member_id.eq_any(chunk)),
            )
            .execute(conn)?;
        }
    }
    Ok(())
}

/// After a complete full round: drop what the round did not report.
pub fn sweep(conn: &mut DbConn, tenant_id: &str, run_id: &str) -> Result<(), StorageError> {
    diesel::delete(
        o::table
            .filter(o::tenant_id.eq(tenant_id))
            .filter(o::seen_run.ne(run_id)),
    )
    .execute(conn)?;
    diesel::delete(
        e::table
            .filter(e::tenant_id.eq(tenant_id))
            .filter(e::seen_run.ne(run_id)),
    )
    .execute(conn)?;
    Ok(())
}

/// Objects of one kind in Entra id order, a page at a time (`after`: the last id seen).
pub fn objects_page(
    conn: &mut DbConn,
    tenant_id: &str,
    kind: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<ObjectRow>, StorageError> {
    let mut q = o::table
        .filter(o::tenant_id.eq(tenant_id))
        .filter(o::kind.eq(kind))
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(o::entra_id.gt(after));
    }
    Ok(q.order(o::entra_id.asc())
        .limit(limit)
        .select(ObjectRow::as_select())
        .load(conn)?)
}

/// (Entra id, removed, permanently deleted) of objects in Entra id order, without parsing
/// their properties: a permanently deleted object is stored with exactly `tombstone` as props.
pub fn states_page(
    conn: &mut DbConn,
    tenant_id: &str,
    kind: &str,
    tombstone: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<(String, bool, bool)>, StorageError> {
    let mut q = o::table
        .filter(o::tenant_id.eq(tenant_id))
        .filter(o::kind.eq(kind))
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(o::entra_id.gt(after));
    }
    Ok(q.order(o::entra_id.asc())
        .limit(limit)
        .select((o::entra_id, o::removed, o::props.eq(tombstone)))
        .load(conn)?)
}

/// Edges in (group, member) order, a page at a time.
pub fn edges_page(
    conn: &mut DbConn,
    tenant_id: &str,
    after: Option<(&str, &str)>,
    limit: i64,
) -> Result<Vec<EdgeRow>, StorageError> {
    let mut q = e::table.filter(e::tenant_id.eq(tenant_id)).into_boxed();
    if let Some((g, m)) = after {
        // The `>=` bound lets PostgreSQL range-scan the index; the OR alone it cannot.
        q = q
            .filter(e::group_id.ge(g))
            .filter(e::group_id.gt(g).or(e::member_id.gt(m)));
    }
    Ok(q.order((e::group_id.asc(), e::member_id.asc()))
        .limit(limit)
        .select(EdgeRow::as_select())
        .load(conn)?)
}

/// Entra id → resource id of every resource of `kind` the reconciler owns in the tenant.
pub fn links(
    conn: &mut DbConn,
    tenant_id: &str,
    kind: &str,
) -> Result<Vec<(String, String)>, StorageError> {
    Ok(l::table
        .filter(l::tenant_id.eq(tenant_id))
        .filter(l::kind.eq(kind))
        .select((l::entra_id, l::resource_id))
        .load(conn)?)
}

#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = l, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct LinkRow<'a> {
    tenant_id: &'a str,
    kind: &'a str,
    entra_id: &'a str,
    resource_id: &'a str,
}

/// Set links of one kind: each Entra id to its resource id, or to nothing (`None`). A resource
/// linked here loses any link it had to another Entra id. A few statements per batch of links
/// rather than three per link.
pub fn set_links(
    conn: &mut DbConn,
    tenant_id: &str,
    kind: &str,
    links: &[(&str, Option<&str>)],
) -> Result<(), StorageError> {
    for chunk in links.chunks(CHUNK) {
        let entra_ids: Vec<&str> = chunk.iter().map(|(e, _)| *e).collect();
        let rows: Vec<LinkRow> = chunk
            .iter()
            .filter_map(|(entra_id, resource_id)| {
                Some(LinkRow {
                    tenant_id,
                    kind,
                    entra_id,
                    resource_id: (*resource_id)?,
                })
            })
            .collect();
        let resource_ids: Vec<&str> = rows.iter().map(|r| r.resource_id).collect();
        // Two statements: with an OR of the two lists PostgreSQL scans the table.
        let of_kind = l::tenant_id.eq(tenant_id).and(l::kind.eq(kind));
        diesel::delete(
            l::table
                .filter(of_kind)
                .filter(l::entra_id.eq_any(&entra_ids)),
        )
        .execute(conn)?;
        if !resource_ids.is_empty() {
            diesel::delete(
                l::table
                    .filter(of_kind)
                    .filter(l::resource_id.eq_any(&resource_ids)),
            )
            .execute(conn)?;
        }
        if rows.is_empty() {
            continue;
        }
        insert_rows!(conn, l::table, &rows)?;
    }
    Ok(())
}
