//! The mirror: the Graph directory as the last rounds described it. Delta rounds send partial
//! objects (absent ≠ null), so properties are merged into what is stored.

use crate::service::{ServiceError, Services};
use crate::storage::sync_directories;
use crate::storage::sync_mirror::{self, EdgeRow, ObjectRow};
use chrono::NaiveDateTime;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Rows read per query when walking the mirror.
const PAGE: i64 = 5000;
/// Marks a permanently deleted object kept until the next full round (so the planner can tell
/// "deleted" from "soft-deleted").
const TOMBSTONE: &str = "@removed";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MirrorKind {
    User,
    Group,
}

impl MirrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MirrorKind::User => "user",
            MirrorKind::Group => "group",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MirrorRemoval {
    /// In Entra's recycle bin: restorable for 30 days.
    SoftDeleted,
    /// Gone for good.
    Deleted,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MirrorObject {
    pub kind: MirrorKind,
    pub entra_id: String,
    pub props: Map<String, Value>,
    pub removed: Option<MirrorRemoval>,
}

/// A completed round: its delta links, when it was a full one, and the assignments it read.
#[derive(Debug, Clone, Copy)]
pub struct RoundEnd<'a> {
    pub users_link: &'a str,
    pub groups_link: &'a str,
    /// Set for a full round (whose unreported objects are swept).
    pub full_at: Option<NaiveDateTime>,
    pub assignments_hash: Option<&'a str>,
}

/// A direct membership edge; `member_kind` is `user`, `group` or `other`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirrorEdge {
    pub group_id: String,
    pub member_id: String,
    pub member_kind: &'static str,
    pub removed: bool,
}

/// The whole props of a permanently deleted object (kept until the next full round).
fn tombstone() -> Map<String, Value> {
    let mut props = Map::new();
    props.insert(TOMBSTONE.into(), Value::from("deleted"));
    props
}

fn kind_name(k: &str) -> &'static str {
    match k {
        "user" => "user",
        "group" => "group",
        _ => "other",
    }
}

impl Services {
    /// Store one batch of a round: objects merged into the mirror, edges added or removed.
    /// Everything written is stamped with `run_id` (a full round sweeps what it did not stamp).
    pub fn mirror_merge(
        &self,
        tenant_id: &str,
        run_id: &str,
        objects: &[MirrorObject],
        edges: &[MirrorEdge],
    ) -> Result<(), ServiceError> {
        self.db.write(|conn| {
            for kind in [MirrorKind::User, MirrorKind::Group] {
                let batch: Vec<&MirrorObject> = objects.iter().filter(|o| o.kind == kind).collect();
                if batch.is_empty() {
                    continue;
                }
                let ids: Vec<&str> = batch.iter().map(|o| o.entra_id.as_str()).collect();
                let mut stored: HashMap<String, Map<String, Value>> =
                    sync_mirror::find_objects(conn, tenant_id, kind.as_str(), &ids)?
                        .into_iter()
                        .filter_map(|r| {
                            serde_json::from_str::<Map<String, Value>>(&r.props)
                                .ok()
                                .map(|p| (r.entra_id, p))
                        })
                        .collect();
                let mut rows = Vec::with_capacity(batch.len());
                let mut gone = Vec::new();
                for o in batch {
                    let mut props = stored.remove(&o.entra_id).unwrap_or_default();
                    props.remove(TOMBSTONE);
                    let removed = match o.removed {
                        Some(MirrorRemoval::Deleted) => {
                            gone.push(o.entra_id.as_str());
                            props = tombstone();
                            true
                        }
                        Some(MirrorRemoval::SoftDeleted) => true,
                        None => {
                            for (k, v) in &o.props {
                                props.insert(k.clone(), v.clone());
                            }
                            false
                        }
                    };
                    rows.push(ObjectRow {
                        tenant_id: tenant_id.to_string(),
                        kind: kind.as_str().into(),
                        entra_id: o.entra_id.clone(),
                        props: Value::Object(props).to_string(),
                        removed,
                        seen_run: run_id.to_string(),
                    });
                }
                // The last occurrence of an object in a batch wins (Graph may repeat one).
                let mut seen = std::collections::HashSet::new();
                let mut unique: Vec<ObjectRow> = rows
                    .into_iter()
                    .rev()
                    .filter(|r| seen.insert(r.entra_id.clone()))
                    .collect();
                unique.reverse();
                sync_mirror::put_objects(conn, &unique)?;
                if !gone.is_empty() {
                    // Edges from or to a deleted object go with it; the object stays as a
                    // tombstone until the next full round.
                    sync_mirror::delete_edges_of(conn, tenant_id, &gone)?;
                }
            }
            let (removed, added): (Vec<&MirrorEdge>, Vec<&MirrorEdge>) =
                edges.iter().partition(|e| e.removed);
            sync_mirror::remove_edges(
                conn,
                removed
                    .iter()
                    .map(|e| (tenant_id, e.group_id.as_str(), e.member_id.as_str())),
            )?;
            let mut seen = std::collections::HashSet::new();
            let rows: Vec<EdgeRow> = added
                .iter()
                .filter(|e| seen.insert((e.group_id.as_str(), e.member_id.as_str())))
                .map(|e| EdgeRow {
                    tenant_id: tenant_id.to_string(),
                    group_id: e.group_id.clone(),
                    member_id: e.member_id.clone(),
                    member_kind: e.member_kind.to_string(),
                    seen_run: run_id.to_string(),
                })
                .collect();
            sync_mirror::put_edges(conn, &rows)?;
            Ok(())
        })
    }

    /// End of a complete round: keep its delta links (only now that its changes are stored);
    /// after a full round also forget what it did not report.
    pub fn mirror_commit_round(
        &self,
        tenant_id: &str,
        run_id: &str,
        round: &RoundEnd<'_>,
    ) -> Result<(), ServiceError> {
        self.db.write(|conn| {
            if round.full_at.is_some() {
                sync_mirror::sweep(conn, tenant_id, run_id)?;
            }
            sync_directories::save_round(
                conn,
                tenant_id,
                Some(round.users_link),
                Some(round.groups_link),
                round.full_at,
                round.assignments_hash,
            )?;
            Ok(())
        })
    }

    /// Forget the delta links (Graph said they expired): the next round is a full one.
    pub fn mirror_forget_links(&self, tenant_id: &str) -> Result<(), ServiceError> {
        self.db
            .write(|conn| Ok(sync_directories::clear_delta_links(conn, tenant_id)?))
    }

    /// Visit every mirrored object of a kind, a page at a time, in Entra id order.
    pub fn mirror_pages<E: From<ServiceError>>(
        &self,
        tenant_id: &str,
        kind: MirrorKind,
        mut visit: impl FnMut(Vec<MirrorObject>) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut after: Option<String> = None;
        loop {
            let page = self
                .db
                .read(|conn| {
                    sync_mirror::objects_page(
                        conn,
                        tenant_id,
                        kind.as_str(),
                        after.as_deref(),
                        PAGE,
                    )
                })
                .map_err(ServiceError::from)?;
            let Some(last) = page.last() else {
                return Ok(());
            };
            after = Some(last.entra_id.clone());
            let objects = page
                .into_iter()
                .map(|r| {
                    let mut props: Map<String, Value> =
                        serde_json::from_str(&r.props).unwrap_or_default();
                    let removed = match (r.removed, props.remove(TOMBSTONE)) {
                        (true, Some(_)) => Some(MirrorRemoval::Deleted),
                        (true, None) => Some(MirrorRemoval::SoftDeleted),
                        (false, _) => None,
                    };
                    MirrorObject {
                        kind,
                        entra_id: r.entra_id,
                        props,
                        removed,
                    }
                })
                .collect();
            visit(objects)?;
        }
    }

    /// Every mirrored object of a kind as (Entra id, removal), in Entra id order, without
    /// reading its properties: what the scope needs before users are planned.
    pub fn mirror_states(
        &self,
        tenant_id: &str,
        kind: MirrorKind,
    ) -> Result<Vec<(String, Option<MirrorRemoval>)>, ServiceError> {
        let tomb = Value::Object(tombstone()).to_string();
        let mut out = Vec::new();
        loop {
            let after = out.last().map(|(id, _): &(String, _)| id.as_str());
            let page = self.db.read(|conn| {
                sync_mirror::states_page(conn, tenant_id, kind.as_str(), &tomb, after, PAGE)
            })?;
            if page.is_empty() {
                return Ok(out);
            }
            out.extend(page.into_iter().map(|(id, removed, deleted)| {
                let removal = match (removed, deleted) {
                    (true, true) => Some(MirrorRemoval::Deleted),
                    (true, false) => Some(MirrorRemoval::SoftDeleted),
                    (false, _) => None,
                };
                (id, removal)
            }));
        }
    }

    /// The Graph properties of these mirrored objects, by Entra id.
    pub fn mirror_props(
        &self,
        tenant_id: &str,
        kind: MirrorKind,
        ids: &[&str],
    ) -> Result<HashMap<String, Map<String, Value>>, ServiceError> {
        let rows = self
            .db
            .read(|conn| sync_mirror::find_objects(conn, tenant_id, kind.as_str(), ids))?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let props = serde_json::from_str::<Map<String, Value>>(&r.props).ok()?;
                Some((r.entra_id, props))
            })
            .collect())
    }

    /// Visit every mirrored membership edge, in (group, member) order.
    pub fn mirror_edges(
        &self,
        tenant_id: &str,
        mut visit: impl FnMut(MirrorEdge),
    ) -> Result<(), ServiceError> {
        let mut after: Option<(String, String)> = None;
        loop {
            let page = self.db.read(|conn| {
                sync_mirror::edges_page(
                    conn,
                    tenant_id,
                    after.as_ref().map(|(g, m)| (g.as_str(), m.as_str())),
                    PAGE,
                )
            })?;
            let Some(last) = page.last() else {
                return Ok(());
            };
            after = Some((last.group_id.clone(), last.member_id.clone()));
            for r in page {
                visit(MirrorEdge {
                    member_kind: kind_name(&r.member_kind),
                    group_id: r.group_id,
                    member_id: r.member_id,
                    removed: false,
                });
            }
        }
    }
}
