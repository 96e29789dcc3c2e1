//! The store as the reconciler compares it: the keys of every user (the linked ones to diff,
//! the others as candidates for linking), every group, and the links. User documents and
//! group members are read a page or a group at a time, when the planner gets to them.

use crate::service::{ServiceError, Services};
use crate::storage::{memberships, scan, sync_mirror};
use std::collections::HashMap;

const PAGE: i64 = 5000;

/// A stored user's keys, without its document.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredUser {
    pub id: String,
    pub user_name_norm: String,
    pub external_id: Option<String>,
    pub active: bool,
    /// Case-folded email values.
    pub emails: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredGroup {
    pub id: String,
    pub display_name_norm: String,
    pub external_id: Option<String>,
    pub doc: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoreSnapshot {
    pub users: Vec<StoredUser>,
    pub groups: Vec<StoredGroup>,
    /// Entra object id → resource id, for the resources the reconciler owns.
    pub user_links: HashMap<String, String>,
    pub group_links: HashMap<String, String>,
}

impl Services {
    /// Read the tenant's store for planning, a page at a time.
    pub fn pull_snapshot(&self, tenant_id: &str) -> Result<StoreSnapshot, ServiceError> {
        let mut snap = StoreSnapshot::default();
        let mut emails: HashMap<String, Vec<String>> = HashMap::new();
        let mut after: Option<(String, i64)> = None;
        loop {
            let page = self.db.read(|c| {
                scan::emails(
                    c,
                    tenant_id,
                    after.as_ref().map(|(u, p)| (u.as_str(), *p)),
                    PAGE,
                )
            })?;
            let Some(last) = page.last() else { break };
            after = Some((last.0.clone(), last.1));
            for (user, _, value) in page {
                emails.entry(user).or_default().push(value);
            }
        }
        let mut after: Option<String> = None;
        loop {
            let page = self
                .db
                .read(|c| scan::user_keys(c, tenant_id, after.as_deref(), PAGE))?;
            let Some(last) = page.last() else { break };
            after = Some(last.0.clone());
            snap.users.extend(
                page.into_iter()
                    .map(|(id, user_name_norm, external_id, active)| StoredUser {
                        emails: emails.remove(&id).unwrap_or_default(),
                        id,
                        user_name_norm,
                        external_id,
                        active,
                    }),
            );
        }
        let mut after: Option<String> = None;
        loop {
            let page = self
                .db
                .read(|c| scan::groups(c, tenant_id, after.as_deref(), PAGE))?;
            let Some(last) = page.last() else { break };
            after = Some(last.id.clone());
            snap.groups.extend(page.into_iter().map(|g| StoredGroup {
                id: g.id,
                display_name_norm: g.display_name_norm,
                external_id: g.external_id,
                doc: g.doc,
            }));
        }
        let (users, groups) = self.db.read(|c| {
            Ok::<_, ServiceError>((
                sync_mirror::links(c, tenant_id, "user")?,
                sync_mirror::links(c, tenant_id, "group")?,
            ))
        })?;
        snap.user_links = users.into_iter().collect();
        snap.group_links = groups.into_iter().collect();
        Ok(snap)
    }

    /// The documents of these users (id → JSON), for the planner's current page.
    pub fn pull_user_docs(
        &self,
        tenant_id: &str,
        ids: &[&str],
    ) -> Result<HashMap<String, String>, ServiceError> {
        let mut docs = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(PAGE as usize) {
            let rows = self.db.read(|c| scan::user_docs(c, tenant_id, chunk))?;
            docs.extend(rows);
        }
        Ok(docs)
    }

    /// (member id, member type) of every member of a group.
    pub fn pull_group_members(
        &self,
        tenant_id: &str,
        group_id: &str,
    ) -> Result<Vec<(String, String)>, ServiceError> {
        let rows = self
            .db
            .read(|c| memberships::list(c, tenant_id, group_id))?;
        Ok(rows
            .into_iter()
            .map(|m| (m.member_id, m.member_type))
            .collect())
    }

    /// Record which resources the reconciler owns as which Entra objects: each Entra id of
    /// `kind` to its resource id, or to nothing (`None`: the resource was deleted, or no longer
    /// exists).
    pub fn save_links(
        &self,
        tenant_id: &str,
        kind: super::MirrorKind,
        links: &[(&str, Option<&str>)],
    ) -> Result<(), ServiceError> {
        self.db
            .write(|c| Ok(sync_mirror::set_links(c, tenant_id, kind.as_str(), links)?))
    }
}
