//! Typed rows: what storage reads (`*Row`), inserts (`New*`) and updates (`*Changeset`).
//! Data only; the queries live in the module named for the table.
//!
//! Case-folded shadow columns (`user_name_norm`, `display_name_norm`, `value_norm`) are not in
//! the write structs: storage derives them with [`fold`] so they cannot disagree with the
//! filter translation that compares against them.

use super::schema::{
    admin_credentials, credentials, events, groups, memberships, oauth_client_secrets,
    oauth_clients, signing_keys, sync_directories, sync_runs, tenants, users,
};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Case folding for case-insensitive attributes (`caseExact: false`), applied to stored shadow
/// columns and to filter values alike.
pub fn fold(s: &str) -> String {
    s.to_lowercase()
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = tenants, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct TenantRow {
    pub id: String,
    pub name: String,
    pub strict: bool,
    pub log_reads: bool,
    pub created_at: NaiveDateTime,
    pub entra_tenant_id: Option<String>,
    pub jwt_audience: Option<String>,
    pub entra_metadata_url: Option<String>,
    pub rate_limit_per_sec: Option<i64>,
    /// Comma-separated CIDRs.
    pub ip_allowlist: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = tenants)]
pub struct NewTenant {
    pub id: String,
    pub name: String,
    pub strict: bool,
    pub log_reads: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = credentials, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct CredentialRow {
    pub id: String,
    pub tenant_id: String,
    /// `token` (bearer secret); `oauth_client` later.
    pub kind: String,
    pub label: Option<String>,
    /// Hex SHA-256 of the secret; the secret itself is never stored.
    pub secret_hash: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub expires_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = credentials)]
pub struct NewCredential {
    pub id: String,
    pub tenant_id: String,
    pub kind: String,
    pub label: Option<String>,
    pub secret_hash: String,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = users, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct UserRow {
    pub tenant_id: String,
    pub id: String,
    pub user_name: String,
    pub user_name_norm: String,
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    pub display_name_norm: Option<String>,
    pub active: bool,
    /// The JSON document without `id`, `meta` and `groups`.
    pub doc: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A user to insert (`version` is normally 1).
#[derive(Debug, Clone)]
pub struct NewUser {
    pub tenant_id: String,
    pub id: String,
    pub user_name: String,
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    /// Must equal the document's `active` (filters on `active` are answered from this column).
    pub active: bool,
    pub doc: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Everything a user update replaces, including the new `version`.
#[derive(Debug, Clone)]
pub struct UserChangeset {
    pub user_name: String,
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    pub active: bool,
    pub doc: String,
    pub version: i64,
    pub updated_at: NaiveDateTime,
}

/// One element of a user's `emails`, as indexed for filters. `kind` and `value` are stored
/// case-folded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailRow {
    /// Index in the document's `emails` array.
    pub position: i64,
    /// The `type` sub-attribute (`work`, `home`, …).
    pub kind: Option<String>,
    pub value: String,
}

impl EmailRow {
    /// The indexable emails of a user document: every element of `emails` with a string `value`.
    pub fn from_document(doc: &serde_json::Map<String, serde_json::Value>) -> Vec<EmailRow> {
        let Some(emails) = doc
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("emails"))
            .and_then(|(_, v)| v.as_array())
        else {
            return Vec::new();
        };
        emails
            .iter()
            .enumerate()
            .filter_map(|(i, e)| {
                let e = e.as_object()?;
                let field = |name: &str| {
                    e.iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(name))
                        .and_then(|(_, v)| v.as_str())
                };
                Some(EmailRow {
                    position: i64::try_from(i).ok()?,
                    kind: field("type").map(str::to_owned),
                    value: field("value")?.to_owned(),
                })
            })
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = groups, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct GroupRow {
    pub tenant_id: String,
    pub id: String,
    pub display_name: String,
    pub display_name_norm: String,
    pub external_id: Option<String>,
    /// The JSON document without `id`, `meta` and `members`.
    pub doc: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone)]
pub struct NewGroup {
    pub tenant_id: String,
    pub id: String,
    pub display_name: String,
    pub external_id: Option<String>,
    pub doc: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone)]
pub struct GroupChangeset {
    pub display_name: String,
    pub external_id: Option<String>,
    pub doc: String,
    pub version: i64,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = memberships, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct MemberRow {
    pub group_id: String,
    pub member_id: String,
    /// `User` or `Group`.
    pub member_type: String,
    pub display: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone)]
pub struct NewMember {
    pub member_id: String,
    pub member_type: String,
    pub display: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = events, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct EventRow {
    pub id: i64,
    pub tenant_id: Option<String>,
    pub occurred_at: NaiveDateTime,
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
    pub status: i32,
    pub scim_type: Option<String>,
    pub detail: Option<String>,
    /// JSON.
    pub changes: Option<String>,
    /// JSON.
    pub normalizations: Option<String>,
    pub duration_us: i64,
    pub request_body: Option<String>,
}

#[derive(Debug, Clone, Default, Insertable)]
#[diesel(table_name = events)]
pub struct NewEvent {
    pub tenant_id: Option<String>,
    pub occurred_at: NaiveDateTime,
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
    pub status: i32,
    pub scim_type: Option<String>,
    pub detail: Option<String>,
    pub changes: Option<String>,
    pub normalizations: Option<String>,
    pub duration_us: i64,
    pub request_body: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = admin_credentials, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct AdminCredentialRow {
    pub id: String,
    pub label: Option<String>,
    pub secret_hash: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = admin_credentials)]
pub struct NewAdminCredential {
    pub id: String,
    pub label: Option<String>,
    pub secret_hash: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = oauth_clients, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct OAuthClientRow {
    /// The `client_id` of RFC 6749 (not secret).
    pub id: String,
    pub tenant_id: String,
    pub label: Option<String>,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = oauth_client_secrets, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct OAuthSecretRow {
    pub id: String,
    pub client_id: String,
    /// Hex SHA-256 of the secret; the secret itself is never stored.
    pub secret_hash: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = signing_keys, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct SigningKeyRow {
    pub id: String,
    /// `HS256`.
    pub algorithm: String,
    /// The raw key, hex.
    pub secret: String,
    pub created_at: NaiveDateTime,
}

/// A tenant's pull-sync directory (configuration and state).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = sync_directories, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct SyncDirectoryRow {
    pub tenant_id: String,
    pub entra_tenant_id: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub certificate_pem: Option<String>,
    pub private_key_pem: Option<String>,
    pub authority_url: String,
    pub graph_url: String,
    pub mode: String,
    /// Comma-separated Entra group object ids (`groups` mode).
    pub group_ids: String,
    pub app_id: Option<String>,
    pub flatten: bool,
    pub include_disabled: bool,
    pub interval_secs: i64,
    pub max_removals: i64,
    pub max_removal_percent: i64,
    pub enabled: bool,
    pub needs_dry_run: bool,
    pub users_delta_link: Option<String>,
    pub groups_delta_link: Option<String>,
    pub assignments_hash: Option<String>,
    pub last_full_at: Option<NaiveDateTime>,
    pub next_run_at: Option<NaiveDateTime>,
    pub generation: i64,
    pub lease_holder: Option<String>,
    pub lease_expires_at: Option<NaiveDateTime>,
    pub last_success_at: Option<NaiveDateTime>,
    pub errored_since: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// One pull-sync run (or a requested one, `status = pending`).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = sync_runs, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct SyncRunRow {
    pub id: String,
    pub tenant_id: String,
    pub trigger: String,
    pub requested_by: String,
    pub dry_run: bool,
    pub status: String,
    pub round: Option<String>,
    pub requested_at: NaiveDateTime,
    pub started_at: Option<NaiveDateTime>,
    pub finished_at: Option<NaiveDateTime>,
    /// JSON: counts, Graph calls, throttle waits, progress.
    pub summary: Option<String>,
    /// JSON: the plan (dry runs) or the removals held back (quarantined runs).
    pub plan: Option<String>,
    pub plan_hash: Option<String>,
    pub approved_at: Option<NaiveDateTime>,
    pub approved_by: Option<String>,
    pub error: Option<String>,
}
