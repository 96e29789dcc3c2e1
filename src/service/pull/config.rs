//! A tenant's pull-sync directory: where and as whom scimd reads Graph, what is in scope, and
//! the deletion guard's thresholds. Secrets are stored usable and never shown or logged.

use crate::service::{ServiceError, Services};
use crate::storage::rows::SyncDirectoryRow;
use crate::storage::sync_directories;
use chrono::NaiveDateTime;

pub const DEFAULT_AUTHORITY_URL: &str = "https://login.microsoftonline.com";
pub const DEFAULT_GRAPH_URL: &str = "https://graph.microsoft.com";
/// Two hours between scheduled runs, as Firezone; delta rounds make shorter ones cheap.
pub const DEFAULT_INTERVAL_SECS: u64 = 7200;
/// Entra Connect's export deletion threshold.
pub const DEFAULT_MAX_REMOVALS: u64 = 500;
pub const DEFAULT_MAX_REMOVAL_PERCENT: u64 = 20;
const MIN_INTERVAL_SECS: u64 = 60;

/// Which users and groups of the Entra directory are provisioned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScopeMode {
    /// Every user and group.
    All,
    /// Users and groups assigned to the enterprise app (its service principal's
    /// appRoleAssignedTo), and the members of assigned groups.
    Assigned,
    /// The listed groups, and users only from them.
    Groups,
}

impl ScopeMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ScopeMode::All => "all",
            ScopeMode::Assigned => "assigned",
            ScopeMode::Groups => "groups",
        }
    }
    pub fn parse(s: &str) -> Result<ScopeMode, ServiceError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "all" => Ok(ScopeMode::All),
            "assigned" => Ok(ScopeMode::Assigned),
            "groups" => Ok(ScopeMode::Groups),
            _ => Err(ServiceError::Invalid(format!(
                "mode {s:?} is not one of all, assigned, groups"
            ))),
        }
    }
}

#[derive(Clone, PartialEq, Eq)]
pub enum PullCredential {
    Secret(String),
    /// `private_key_jwt`: the PEM private key and the certificate uploaded to the app.
    Certificate {
        private_key_pem: String,
        certificate_pem: String,
    },
}

impl std::fmt::Debug for PullCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PullCredential::Secret(_) => "Secret(…)",
            PullCredential::Certificate { .. } => "Certificate(…)",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryConfig {
    pub tenant_id: String,
    pub entra_tenant_id: String,
    pub client_id: String,
    pub credential: PullCredential,
    pub authority_url: String,
    pub graph_url: String,
    pub mode: ScopeMode,
    pub group_ids: Vec<String>,
    /// Assigned mode: the application whose assignments scope the sync (default: client id).
    pub app_id: Option<String>,
    pub flatten: bool,
    pub include_disabled: bool,
    pub interval_secs: u64,
    pub max_removals: u64,
    pub max_removal_percent: u64,
    pub enabled: bool,
}

impl DirectoryConfig {
    pub fn assignment_app_id(&self) -> &str {
        self.app_id.as_deref().unwrap_or(&self.client_id)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryState {
    /// The next run is a dry run (the first after a configuration change).
    pub needs_dry_run: bool,
    pub users_delta_link: Option<String>,
    pub groups_delta_link: Option<String>,
    pub assignments_hash: Option<String>,
    pub last_full_at: Option<NaiveDateTime>,
    pub next_run_at: Option<NaiveDateTime>,
    pub last_success_at: Option<NaiveDateTime>,
    pub errored_since: Option<NaiveDateTime>,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directory {
    pub config: DirectoryConfig,
    pub state: DirectoryState,
}

/// A change to a directory; `None` keeps the current value. Creating one needs the Entra
/// tenant id, the client id and a credential.
#[derive(Debug, Clone, Default)]
pub struct DirectoryChange {
    pub entra_tenant_id: Option<String>,
    pub client_id: Option<String>,
    pub credential: Option<PullCredential>,
    pub authority_url: Option<String>,
    pub graph_url: Option<String>,
    pub mode: Option<ScopeMode>,
    pub group_ids: Option<Vec<String>>,
    pub app_id: Option<String>,
    pub flatten: Option<bool>,
    pub include_disabled: Option<bool>,
    pub interval_secs: Option<u64>,
    pub max_removals: Option<u64>,
    pub max_removal_percent: Option<u64>,
    pub enabled: Option<bool>,
}

/// What admins see of a directory: never the secret or key.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DirectoryView {
    pub tenant: String,
    pub entra_tenant_id: String,
    pub client_id: String,
    /// `secret` or `certificate`.
    pub credential: &'static str,
    pub authority_url: String,
    pub graph_url: String,
    pub mode: ScopeMode,
    pub group_ids: Vec<String>,
    pub app_id: Option<String>,
    pub flatten: bool,
    pub include_disabled: bool,
    pub interval_secs: u64,
    pub max_removals: u64,
    pub max_removal_percent: u64,
    pub enabled: bool,
    /// `dry_run` until a run has produced a plan since the last configuration change.
    pub next_run_kind: &'static str,
    pub next_run_at: Option<String>,
    pub last_full_at: Option<String>,
    pub last_success_at: Option<String>,
    pub errored_since: Option<String>,
    pub last_error: Option<String>,
}

fn rfc(t: Option<NaiveDateTime>) -> Option<String> {
    t.map(crate::storage::time::rfc3339)
}

impl Directory {
    pub fn view(&self, tenant_name: &str) -> DirectoryView {
        let c = &self.config;
        DirectoryView {
            tenant: tenant_name.to_string(),
            entra_tenant_id: c.entra_tenant_id.clone(),
            client_id: c.client_id.clone(),
            credential: match c.credential {
                PullCredential::Secret(_) => "secret",
                PullCredential::Certificate { .. } => "certificate",
            },
            authority_url: c.authority_url.clone(),
            graph_url: c.graph_url.clone(),
            mode: c.mode,
            group_ids: c.group_ids.clone(),
            app_id: c.app_id.clone(),
            flatten: c.flatten,
            include_disabled: c.include_disabled,
            interval_secs: c.interval_secs,
            max_removals: c.max_removals,
            max_removal_percent: c.max_removal_percent,
            enabled: c.enabled,
            next_run_kind: if self.state.needs_dry_run {
                "dry_run"
            } else {
                "apply"
            },
            next_run_at: rfc(self.state.next_run_at),
            last_full_at: rfc(self.state.last_full_at),
            last_success_at: rfc(self.state.last_success_at),
            errored_since: rfc(self.state.errored_since),
            last_error: self.state.last_error.clone(),
        }
    }
}

fn from_row(r: SyncDirectoryRow) -> Result<Directory, ServiceError> {
    let credential = match (r.client_secret, r.private_key_pem, r.certificate_pem) {
        (_, Some(key), Some(cert)) => PullCredential::Certificate {
            private_key_pem: key,
            certificate_pem: cert,
        },
        (Some(s), _, _) => PullCredential::Secret(s),
        _ => {
            return Err(ServiceError::Invalid(format!(
                "the directory of tenant {} has no credential; run `scimd sync configure` with --client-secret or --certificate",
                r.tenant_id
            )))
        }
    };
    Ok(Directory {
        config: DirectoryConfig {
            tenant_id: r.tenant_id,
            entra_tenant_id: r.entra_tenant_id,
            client_id: r.client_id,
            credential,
            authority_url: r.authority_url,
            graph_url: r.graph_url,
            mode: ScopeMode::parse(&r.mode)?,
            group_ids: split_ids(&r.group_ids),
            app_id: r.app_id,
            flatten: r.flatten,
            include_disabled: r.include_disabled,
            interval_secs: u64::try_from(r.interval_secs).unwrap_or(DEFAULT_INTERVAL_SECS),
            max_removals: u64::try_from(r.max_removals).unwrap_or(0),
            max_removal_percent: u64::try_from(r.max_removal_percent).unwrap_or(0),
            enabled: r.enabled,
        },
        state: DirectoryState {
            needs_dry_run: r.needs_dry_run,
            users_delta_link: r.users_delta_link,
            groups_delta_link: r.groups_delta_link,
            assignments_hash: r.assignments_hash,
            last_full_at: r.last_full_at,
            next_run_at: r.next_run_at,
            last_success_at: r.last_success_at,
            errored_since: r.errored_since,
            last_error: r.last_error,
        },
    })
}

fn split_ids(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

fn check_url(what: &str, url: &str) -> Result<String, ServiceError> {
    let url = url.trim().trim_end_matches('/');
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && !url.contains(char::is_whitespace)
        && !url.contains('?');
    if ok {
        Ok(url.to_string())
    } else {
        Err(ServiceError::Invalid(format!(
            "{what} {url:?} must be an http(s) URL without a query, such as {}",
            if what.contains("graph") {
                DEFAULT_GRAPH_URL
            } else {
                DEFAULT_AUTHORITY_URL
            }
        )))
    }
}

fn check_entra_tenant(id: &str) -> Result<String, ServiceError> {
    let id = id.trim();
    let ok = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    if ok {
        Ok(id.to_ascii_lowercase())
    } else {
        Err(ServiceError::Invalid(format!(
            "Entra tenant id {id:?} must be the directory's GUID (Entra admin center → Overview → Tenant ID) or a verified domain"
        )))
    }
}

fn check_guid(what: &str, id: &str) -> Result<String, ServiceError> {
    let id = id.trim();
    if crate::scim::is_guid(id) {
        Ok(id.to_ascii_lowercase())
    } else {
        Err(ServiceError::Invalid(format!(
            "{what} {id:?} is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)"
        )))
    }
}

/// Apply `change` over `current` (or over the defaults for a new directory) and validate.
fn merge(
    tenant_id: &str,
    current: Option<&DirectoryConfig>,
    change: DirectoryChange,
) -> Result<DirectoryConfig, ServiceError> {
    // Named as the CLI flag and as the admin API's field: the one message serves both.
    let missing = |what: &str, flag: &str, field: &str| {
        ServiceError::Invalid(format!(
            "pull sync is not configured for this tenant yet: {what} is required ({flag}; {field} in the admin API)"
        ))
    };
    let entra_tenant_id = match (change.entra_tenant_id, current) {
        (Some(v), _) => check_entra_tenant(&v)?,
        (None, Some(c)) => c.entra_tenant_id.clone(),
        (None, None) => {
            return Err(missing(
                "the Entra tenant id",
                "--entra-tenant-id",
                "entra_tenant_id",
            ))
        }
    };
    let client_id = match (change.client_id, current) {
        (Some(v), _) => check_guid("client id", &v)?,
        (None, Some(c)) => c.client_id.clone(),
        (None, None) => {
            return Err(missing(
                "the application (client) id",
                "--client-id",
                "client_id",
            ))
        }
    };
    let credential = match (change.credential, current) {
        (Some(PullCredential::Secret(s)), _) if s.trim().is_empty() => {
            return Err(ServiceError::Invalid(
                "the client secret is empty; paste the secret's Value from Certificates & secrets"
                    .into(),
            ))
        }
        (Some(PullCredential::Certificate { private_key_pem, certificate_pem }), _)
            if !private_key_pem.contains("PRIVATE KEY") || !certificate_pem.contains("CERTIFICATE") =>
        {
            return Err(ServiceError::Invalid(
                "the certificate credential needs a PEM private key (BEGIN PRIVATE KEY) and a PEM certificate (BEGIN CERTIFICATE)".into(),
            ))
        }
        (Some(c), _) => c,
        (None, Some(c)) => c.credential.clone(),
        (None, None) => {
            return Err(missing(
                "a credential",
                "--client-secret or --certificate",
                "client_secret or certificate_pem + private_key_pem",
            ))
        }
    };
    let pick = |v: Option<String>, cur: Option<&String>, default: &str| {
        v.or_else(|| cur.cloned())
            .unwrap_or_else(|| default.to_string())
    };
    let authority_url = check_url(
        "authority URL",
        &pick(
            change.authority_url,
            current.map(|c| &c.authority_url),
            DEFAULT_AUTHORITY_URL,
        ),
    )?;
    let graph_url = check_url(
        "graph URL",
        &pick(
            change.graph_url,
            current.map(|c| &c.graph_url),
            DEFAULT_GRAPH_URL,
        ),
    )?;
    let mode = change
        .mode
        .or(current.map(|c| c.mode))
        .unwrap_or(ScopeMode::All);
    let group_ids = match change.group_ids {
        Some(ids) => ids
            .iter()
            .map(|g| check_guid("group id", g))
            .collect::<Result<Vec<_>, _>>()?,
        None => current.map(|c| c.group_ids.clone()).unwrap_or_default(),
    };
    if mode == ScopeMode::Groups && group_ids.is_empty() {
        return Err(ServiceError::Invalid(
            "mode groups needs the object ids of the groups to read (--groups ID,ID…; group_ids in the admin API)".into(),
        ));
    }
    let app_id = match change.app_id {
        Some(a) if a.trim().is_empty() => None,
        Some(a) => Some(check_guid("app id", &a)?),
        None => current.and_then(|c| c.app_id.clone()),
    };
    let interval_secs = change
        .interval_secs
        .or(current.map(|c| c.interval_secs))
        .unwrap_or(DEFAULT_INTERVAL_SECS);
    if interval_secs < MIN_INTERVAL_SECS {
        return Err(ServiceError::Invalid(format!(
            "interval {interval_secs} s is below the minimum of {MIN_INTERVAL_SECS} s"
        )));
    }
    let max_removal_percent = change
        .max_removal_percent
        .or(current.map(|c| c.max_removal_percent))
        .unwrap_or(DEFAULT_MAX_REMOVAL_PERCENT);
    if max_removal_percent > 100 {
        return Err(ServiceError::Invalid(format!(
            "max removal percent {max_removal_percent} is above 100"
        )));
    }
    Ok(DirectoryConfig {
        tenant_id: tenant_id.to_string(),
        entra_tenant_id,
        client_id,
        credential,
        authority_url,
        graph_url,
        mode,
        group_ids,
        app_id,
        flatten: change
            .flatten
            .or(current.map(|c| c.flatten))
            .unwrap_or(false),
        include_disabled: change
            .include_disabled
            .or(current.map(|c| c.include_disabled))
            .unwrap_or(true),
        interval_secs,
        max_removals: change
            .max_removals
            .or(current.map(|c| c.max_removals))
            .unwrap_or(DEFAULT_MAX_REMOVALS),
        max_removal_percent,
        enabled: change
            .enabled
            .or(current.map(|c| c.enabled))
            .unwrap_or(true),
    })
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Services {
    /// Create or change a tenant's pull-sync directory. Every change makes the next run a dry
    /// run; a change of directory, credentials or scope also forgets the delta links (the
    /// next round reads everything).
    pub fn configure_pull(
        &self,
        tenant_name: &str,
        change: DirectoryChange,
    ) -> Result<DirectoryView, ServiceError> {
        let tenant = self.require_tenant(tenant_name)?;
        let now = self.clock.now();
        self.db.write(|conn| {
            let row = sync_directories::find(conn, &tenant.id)?;
            let current = row.clone().map(from_row).transpose()?;
            let config = merge(&tenant.id, current.as_ref().map(|d| &d.config), change)?;
            let (secret, key, cert) = match &config.credential {
                PullCredential::Secret(s) => (Some(s.clone()), None, None),
                PullCredential::Certificate {
                    private_key_pem,
                    certificate_pem,
                } => (
                    None,
                    Some(private_key_pem.clone()),
                    Some(certificate_pem.clone()),
                ),
            };
            let reread = current.as_ref().is_none_or(|c| {
                let c = &c.config;
                (
                    &c.entra_tenant_id,
                    &c.client_id,
                    &c.graph_url,
                    c.mode,
                    &c.group_ids,
                ) != (
                    &config.entra_tenant_id,
                    &config.client_id,
                    &config.graph_url,
                    config.mode,
                    &config.group_ids,
                )
            });
            let keep = |f: fn(&SyncDirectoryRow) -> Option<String>| {
                if reread {
                    None
                } else {
                    row.as_ref().and_then(f)
                }
            };
            let new = SyncDirectoryRow {
                tenant_id: tenant.id.clone(),
                entra_tenant_id: config.entra_tenant_id.clone(),
                client_id: config.client_id.clone(),
                client_secret: secret,
                certificate_pem: cert,
                private_key_pem: key,
                authority_url: config.authority_url.clone(),
                graph_url: config.graph_url.clone(),
                mode: config.mode.as_str().to_string(),
                group_ids: config.group_ids.join(","),
                app_id: config.app_id.clone(),
                flatten: config.flatten,
                include_disabled: config.include_disabled,
                interval_secs: to_i64(config.interval_secs),
                max_removals: to_i64(config.max_removals),
                max_removal_percent: to_i64(config.max_removal_percent),
                enabled: config.enabled,
                needs_dry_run: true,
                users_delta_link: keep(|r| r.users_delta_link.clone()),
                groups_delta_link: keep(|r| r.groups_delta_link.clone()),
                assignments_hash: None,
                last_full_at: None,
                // Due now: the first (dry) run follows the configuration.
                next_run_at: Some(now),
                generation: 0,
                lease_holder: None,
                lease_expires_at: None,
                last_success_at: None,
                errored_since: None,
                last_error: None,
                created_at: now,
                updated_at: now,
            };
            if row.is_some() {
                sync_directories::update_config(conn, &new)?;
            } else {
                sync_directories::insert(conn, &new)?;
            }
            let saved = sync_directories::find(conn, &tenant.id)?
                .ok_or_else(|| ServiceError::NotFound("directory vanished".into()))?;
            Ok(from_row(saved)?.view(&tenant.name))
        })
    }

    /// The tenant's directory, by tenant id; `None` when pull sync is not configured.
    pub fn pull_directory(&self, tenant_id: &str) -> Result<Option<Directory>, ServiceError> {
        self.db
            .read(|conn| sync_directories::find(conn, tenant_id))?
            .map(from_row)
            .transpose()
    }

    /// Every configured directory (the scheduler's worklist).
    pub fn pull_directories(&self) -> Result<Vec<Directory>, ServiceError> {
        self.db
            .read(sync_directories::list)?
            .into_iter()
            .map(from_row)
            .collect()
    }

    /// What admins see of a tenant's directory.
    pub fn pull_view(&self, tenant_name: &str) -> Result<Option<DirectoryView>, ServiceError> {
        let tenant = self.require_tenant(tenant_name)?;
        Ok(self
            .pull_directory(&tenant.id)?
            .map(|d| d.view(&tenant.name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUID: &str = "11111111-2222-3333-4444-555555555555";

    fn base() -> DirectoryChange {
        DirectoryChange {
            entra_tenant_id: Some("contoso.onmicrosoft.com".into()),
            client_id: Some(GUID.to_uppercase()),
            credential: Some(PullCredential::Secret("s3cret".into())),
            ..Default::default()
        }
    }

    #[test]
    fn a_new_directory_gets_the_defaults() {
        let c = merge("t", None, base()).unwrap();
        assert_eq!(c.client_id, GUID);
        assert_eq!(c.authority_url, DEFAULT_AUTHORITY_URL);
        assert_eq!(c.graph_url, DEFAULT_GRAPH_URL);
        assert_eq!(c.mode, ScopeMode::All);
        assert_eq!(c.interval_secs, DEFAULT_INTERVAL_SECS);
        assert!(c.include_disabled && c.enabled && !c.flatten);
    }

    #[test]
    fn missing_and_bad_values_are_named() {
        let e = merge("t", None, DirectoryChange::default()).unwrap_err();
        assert!(e.to_string().contains("--entra-tenant-id"), "{e}");
        let mut c = base();
        c.mode = Some(ScopeMode::Groups);
        assert!(merge("t", None, c)
            .unwrap_err()
            .to_string()
            .contains("--groups"));
        let mut c = base();
        c.graph_url = Some("ftp://x".into());
        assert!(merge("t", None, c)
            .unwrap_err()
            .to_string()
            .contains("graph URL"));
        let mut c = base();
        c.group_ids = Some(vec!["nope".into()]);
        assert!(merge("t", None, c)
            .unwrap_err()
            .to_string()
            .contains("not a GUID"));
    }

    #[test]
    fn a_change_keeps_what_it_does_not_name() {
        let first = merge("t", None, base()).unwrap();
        let change = DirectoryChange {
            flatten: Some(true),
            graph_url: Some("http://127.0.0.1:9/".into()),
            ..Default::default()
        };
        let second = merge("t", Some(&first), change).unwrap();
        assert!(second.flatten);
        assert_eq!(second.graph_url, "http://127.0.0.1:9");
        assert_eq!(second.credential, first.credential);
        assert_eq!(format!("{:?}", second.credential), "Secret(…)");
    }
}
