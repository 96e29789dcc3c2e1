//! The store as the reconciler compares it. Groups are few: their keys, documents and links
//! are read whole. Users are many: the planner asks about one page of mirrored users at a
//! time (their links, the unowned users matching their keys, their documents), so a run holds
//! the page at hand and the plan, not every user of the tenant.

use crate::service::{ServiceError, Services};
pub use crate::storage::owned::MatchKey;
use crate::storage::{owned, scan, sync_mirror};
use std::collections::HashMap;

const PAGE: i64 = 5000;

/// An owned user: the Entra object it is linked to, and its resource.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedUser {
    pub entra_id: String,
    pub resource_id: String,
    pub active: bool,
}

impl From<owned::OwnedUser> for OwnedUser {
    fn from((entra_id, resource_id, active): owned::OwnedUser) -> Self {
        OwnedUser {
            entra_id,
            resource_id,
            active,
        }
    }
}

/// A stored user whose key matched a value the planner asked about.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The matched value, case-folded.
    pub value: String,
    pub user_id: String,
    /// The Entra object the reconciler links the user to, if any.
    pub owner: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredGroup {
    pub id: String,
    pub display_name_norm: String,
    pub external_id: Option<String>,
    pub doc: String,
}

/// What the planner reads whole before it starts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoreSnapshot {
    pub groups: Vec<StoredGroup>,
    /// Entra object id → resource id, for the groups the reconciler owns.
    pub group_links: HashMap<String, String>,
    /// How many users the reconciler owns.
    pub owned_users: usize,
    /// Entra ids of user links whose resource someone deleted.
    pub dead_user_links: Vec<String>,
}

impl Services {
    /// Read what the planner needs whole: the groups, their links, and a summary of the
    /// user links.
    pub fn pull_snapshot(&self, tenant_id: &str) -> Result<StoreSnapshot, ServiceError> {
        let mut snap = StoreSnapshot::default();
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
        let (group_links, (owned_users, dead_user_links)) = self.db.read(|c| {
            Ok::<_, ServiceError>((
                sync_mirror::links(c, tenant_id, "group")?,
                owned::user_links_summary(c, tenant_id)?,
            ))
        })?;
        snap.group_links = group_links.into_iter().collect();
        snap.owned_users = usize::try_from(owned_users).unwrap_or_default();
        snap.dead_user_links = dead_user_links;
        Ok(snap)
    }

    /// The users the reconciler owns among these Entra ids.
    pub fn pull_owned_users(
        &self,
        tenant_id: &str,
        entra_ids: &[&str],
    ) -> Result<Vec<OwnedUser>, ServiceError> {
        let rows = self
            .db
            .read(|c| owned::users_linked_to(c, tenant_id, entra_ids))?;
        Ok(rows.into_iter().map(OwnedUser::from).collect())
    }

    /// The users the reconciler owns whose Entra object is no longer mirrored at all.
    pub fn pull_unmirrored_users(&self, tenant_id: &str) -> Result<Vec<OwnedUser>, ServiceError> {
        let rows = self.db.read(|c| owned::users_not_mirrored(c, tenant_id))?;
        Ok(rows.into_iter().map(OwnedUser::from).collect())
    }

    /// The users whose `key` is one of `values` (case-folded), with their owners: candidates
    /// for linking, and holders of userNames.
    pub fn pull_candidates(
        &self,
        tenant_id: &str,
        key: MatchKey,
        values: &[&str],
    ) -> Result<Vec<Candidate>, ServiceError> {
        let rows = self
            .db
            .read(|c| owned::users_matching(c, tenant_id, key, values))?;
        Ok(rows
            .into_iter()
            .map(|(value, user_id, owner)| Candidate {
                value,
                user_id,
                owner,
            })
            .collect())
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

    /// The stored members of a group that the reconciler owns: (Entra id, member type).
    pub fn pull_owned_members(
        &self,
        tenant_id: &str,
        group_id: &str,
    ) -> Result<Vec<(String, String)>, ServiceError> {
        Ok(self
            .db
            .read(|c| owned::owned_members(c, tenant_id, group_id))?)
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
