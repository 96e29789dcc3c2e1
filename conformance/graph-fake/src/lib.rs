//! A faithful in-process fake of Microsoft Graph (v1.0 directory reads) and of the identity
//! platform's token endpoint, for scimd's pull-sync tests and benchmarks
//! (shared/reference/graph.md §5.1).
//!
//! One server plays both roles at `http://127.0.0.1:PORT`: the authority
//! (`POST /{tenant}/oauth2/v2.0/token`, scope `{url}/.default`) and the Graph root
//! (`/v1.0/…`). Tests set the directory up through [`FakeGraph`]'s methods; every mutation
//! lands in the tenant's change log, which drives `users/delta` and `groups/delta`.
//!
//! Deliberate simplifications (everything else aims to behave like Graph):
//! - permission changes (`revoke_permission`) apply to live tokens at once, as if they had
//!   been re-issued; a token minted before `revoke_consent` keeps its permissions;
//! - delta reads objects' current state, so a change made during a round may appear in that
//!   round and again in the next (Graph replays as well);
//! - `$filter` supports only what graph.md lists; anything else is a 400;
//! - client assertions are checked against the wall clock, not the fake clock.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

mod apps;
mod assertion;
mod auth;
mod batch;
mod changes;
mod clock;
mod delta;
mod directory;
mod faults;
mod filter;
pub mod fixtures;
mod graph;
mod lists;
mod members;
mod paging;
mod query;
mod reply;
mod request;
mod schema;
mod seal;
mod seed;
mod server;
mod state;
mod token;

#[cfg(test)]
mod tests;

pub use directory::{
    NewUser, APPLICATION_READ_ALL, DIRECTORY_READ_ALL, GROUP_MEMBER_READ_ALL, GROUP_READ_ALL,
    USER_READ_ALL,
};
pub use faults::{Fault, FaultResponse};
pub use seed::Seeded;
pub use state::LoggedRequest;

use assertion::Certificate;
use directory::{AppReg, Id, Tenant};
use server::{Running, Shared};
use state::State;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

/// A running fake; dropping it stops the server.
pub struct FakeGraph {
    shared: Arc<Shared>,
    url: String,
    _running: Running,
}

fn parse_id(id: &str) -> Id {
    Id::parse_str(id).unwrap_or_else(|_| panic!("graph-fake: {id:?} is not an object id"))
}

fn random_id() -> Id {
    Id::new_v4()
}

impl FakeGraph {
    /// Binds `127.0.0.1:0` and serves on a thread of its own.
    pub fn start() -> FakeGraph {
        FakeGraph::start_on("127.0.0.1:0")
            .unwrap_or_else(|e| panic!("graph-fake: cannot start: {e}"))
    }

    /// Binds `addr` (the standalone binary's `--listen`).
    pub fn start_on(addr: &str) -> std::io::Result<FakeGraph> {
        let listener = TcpListener::bind(addr)?;
        let local: SocketAddr = listener.local_addr()?;
        let host = if local.ip().is_unspecified() {
            "127.0.0.1".to_owned()
        } else {
            local.ip().to_string()
        };
        let url = format!("http://{host}:{}", local.port());
        let shared = Arc::new(Shared::new(url.clone()));
        let running = server::start(listener, Arc::clone(&shared))?;
        Ok(FakeGraph {
            shared,
            url,
            _running: running,
        })
    }

    /// `http://127.0.0.1:PORT`: the authority root and the Graph root.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// `{url}/{tenant}/oauth2/v2.0/token`.
    pub fn token_url(&self, tenant: &str) -> String {
        format!("{}/{tenant}/oauth2/v2.0/token", self.url)
    }

    /// `{url}/.default`, the only scope the token endpoint accepts.
    pub fn scope(&self) -> String {
        format!("{}/.default", self.url)
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.shared.lock())
    }

    /// Runs a setup step on `tenant`; setup mistakes (unknown ids, …) panic with the reason.
    fn tenant<T>(&self, tenant: &str, f: impl FnOnce(&mut Tenant, u64) -> Result<T, String>) -> T {
        self.with(|s| {
            let now = s.clock.now();
            let t = s
                .tenant_mut(tenant)
                .unwrap_or_else(|| panic!("graph-fake: no tenant {tenant} (add_tenant first)"));
            f(t, now).unwrap_or_else(|e| panic!("graph-fake: {e}"))
        })
    }

    // ---- tenants and apps ----

    pub fn add_tenant(&self, tenant_id: &str) {
        self.with(|s| {
            s.tenants
                .entry(tenant_id.to_lowercase())
                .or_insert_with(|| Tenant::new(tenant_id));
        });
    }

    /// Registers the app with a client secret and consents to it: its service principal
    /// exists and holds every read permission.
    pub fn add_app(&self, tenant_id: &str, client_id: &str, secret: &str) {
        self.tenant(tenant_id, |t, now| {
            let reg = t.apps.entry(client_id.to_owned()).or_default();
            reg.secret = Some(secret.to_owned());
            reg.secret_expired = false;
            ensure_sp(t, client_id, now);
            Ok(())
        });
    }

    /// Uploads a certificate (PEM) for `private_key_jwt`; registers and consents the app if
    /// it is not yet. Assertions are verified: claims, `x5t#S256`/`x5t`, RS256/PS256.
    pub fn add_app_certificate(&self, tenant_id: &str, client_id: &str, certificate_pem: &str) {
        let cert = Certificate::from_pem(certificate_pem)
            .unwrap_or_else(|e| panic!("graph-fake: bad certificate: {e}"));
        self.tenant(tenant_id, |t, now| {
            t.apps
                .entry(client_id.to_owned())
                .or_insert_with(AppReg::default)
                .certificates
                .push(cert);
            ensure_sp(t, client_id, now);
            Ok(())
        });
    }

    /// A service principal for an app that has no credentials here (another app's
    /// enterprise application, to assign principals to). Returns its object id.
    pub fn add_service_principal(&self, tenant: &str, app_id: &str, display_name: &str) -> String {
        let id = random_id();
        self.tenant(tenant, |t, now| {
            t.add_service_principal(id, app_id, display_name, now);
            Ok(())
        });
        id.to_string()
    }

    /// Removes the app's service principal (and its assignments): new tokens fail with
    /// AADSTS700016 and `servicePrincipals?$filter=appId eq …` comes back empty.
    pub fn revoke_consent(&self, tenant: &str, client_id: &str) {
        self.tenant(tenant, |t, _| t.revoke_consent(client_id));
    }

    pub fn set_secret_expired(&self, tenant: &str, client_id: &str, expired: bool) {
        self.tenant(tenant, |t, _| {
            let reg = t
                .apps
                .get_mut(client_id)
                .ok_or_else(|| format!("no app {client_id}"))?;
            reg.secret_expired = expired;
            Ok(())
        });
    }

    /// One of `User.Read.All`, `Group.Read.All`, `GroupMember.Read.All`,
    /// `Application.Read.All`, `Directory.Read.All`.
    pub fn revoke_permission(&self, tenant: &str, client_id: &str, permission: &str) {
        self.tenant(tenant, |t, _| {
            t.set_permission(client_id, permission, false)
        });
    }

    pub fn grant_permission(&self, tenant: &str, client_id: &str, permission: &str) {
        self.tenant(tenant, |t, _| t.set_permission(client_id, permission, true));
    }

    // ---- users ----

    pub fn create_user(&self, tenant: &str, user: NewUser) -> String {
        let id = random_id();
        self.tenant(tenant, |t, now| t.create_user(id, &user, now));
        id.to_string()
    }

    /// Sets Graph properties (`{"displayName": "…", "jobTitle": null}`); `null` clears.
    pub fn update_user(&self, tenant: &str, id: &str, props: serde_json::Value) {
        let id = parse_id(id);
        self.tenant(tenant, |t, _| t.update_user(&id, &props));
    }

    pub fn set_account_enabled(&self, tenant: &str, id: &str, enabled: bool) {
        self.update_user(tenant, id, serde_json::json!({ "accountEnabled": enabled }));
    }

    /// To the recycle bin: gone from lists and groups; delta says `@removed: changed`.
    pub fn soft_delete_user(&self, tenant: &str, id: &str) {
        let id = parse_id(id);
        self.tenant(tenant, |t, now| t.soft_delete_user(&id, now));
    }

    pub fn restore_user(&self, tenant: &str, id: &str) {
        let id = parse_id(id);
        self.tenant(tenant, |t, _| t.restore_user(&id));
    }

    /// Permanently deleted (from anywhere): delta says `@removed: deleted`.
    pub fn hard_delete_user(&self, tenant: &str, id: &str) {
        let id = parse_id(id);
        self.tenant(tenant, |t, _| t.hard_delete_user(&id));
    }

    // ---- groups, devices, membership, assignments ----

    pub fn create_group(&self, tenant: &str, display_name: &str) -> String {
        let id = random_id();
        self.tenant(tenant, |t, now| {
            t.create_group(id, display_name, now);
            Ok(())
        });
        id.to_string()
    }

    pub fn update_group(&self, tenant: &str, id: &str, props: serde_json::Value) {
        let id = parse_id(id);
        self.tenant(tenant, |t, _| t.update_group(&id, &props));
    }

    /// `permanent = false`: to the recycle bin (`@removed: changed`); true: gone for good.
    pub fn delete_group(&self, tenant: &str, id: &str, permanent: bool) {
        let id = parse_id(id);
        self.tenant(tenant, |t, now| t.delete_group(&id, permanent, now));
    }

    pub fn restore_group(&self, tenant: &str, id: &str) {
        let id = parse_id(id);
        self.tenant(tenant, |t, _| t.restore_group(&id));
    }

    /// `member`: a user, a group (nesting), a device or a service principal.
    pub fn add_member(&self, tenant: &str, group: &str, member: &str) {
        let (group, member) = (parse_id(group), parse_id(member));
        self.tenant(tenant, |t, _| t.add_member(&group, &member));
    }

    pub fn remove_member(&self, tenant: &str, group: &str, member: &str) {
        let (group, member) = (parse_id(group), parse_id(member));
        self.tenant(tenant, |t, _| t.remove_member(&group, &member));
    }

    /// A device: a member type that is never a user or a group.
    pub fn create_device(&self, tenant: &str, name: &str) -> String {
        let id = random_id();
        self.tenant(tenant, |t, now| {
            t.create_device(id, name, now);
            Ok(())
        });
        id.to_string()
    }

    /// Assigns a user, group or service principal to the app (`appRoleAssignedTo`, default
    /// access role).
    pub fn assign_to_app(&self, tenant: &str, client_id: &str, principal: &str) {
        let principal = parse_id(principal);
        let mut raw = [0u8; 32];
        let _ = getrandom::getrandom(&mut raw);
        use base64::Engine;
        let assignment = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
        self.tenant(tenant, |t, now| {
            t.assign(client_id, &principal, assignment, now)
        });
    }

    pub fn unassign(&self, tenant: &str, client_id: &str, principal: &str) {
        let principal = parse_id(principal);
        self.tenant(tenant, |t, _| t.unassign(client_id, &principal));
    }

    /// Bulk load for benchmarks: `users` enabled users, `groups` groups, each with
    /// `members_per_group` user members spread evenly over the users.
    pub fn seed(
        &self,
        tenant: &str,
        users: usize,
        groups: usize,
        members_per_group: usize,
    ) -> Seeded {
        self.with(|s| {
            s.seeds += 1;
            let batch = s.seeds;
            let now = s.clock.now();
            let t = s
                .tenant_mut(tenant)
                .unwrap_or_else(|| panic!("graph-fake: no tenant {tenant} (add_tenant first)"));
            seed::seed(t, batch, users, groups, members_per_group, now)
        })
    }

    // ---- knobs ----

    /// `expires_in` of tokens issued from now on (default 3599).
    pub fn set_token_lifetime(&self, secs: u64) {
        self.with(|s| s.token_lifetime = secs);
    }

    /// Every token issued so far fails from now on with the lifetime 401.
    pub fn expire_tokens(&self) {
        self.with(|s| {
            let now = s.clock.now();
            for t in s.tokens.values_mut() {
                t.expires_at = t.expires_at.min(now);
            }
        });
    }

    /// Moves the fake's clock forward: tokens and delta tokens age (delta tokens expire
    /// after 7 days).
    pub fn advance_clock(&self, by: Duration) {
        self.with(|s| s.clock.advance(by));
    }

    /// Service-chosen delta page size (default 200): objects plus `members@delta` entries.
    pub fn set_delta_page_size(&self, n: usize) {
        self.with(|s| s.delta_page_size = n.max(1));
    }

    /// Incremental delta rounds re-deliver the last `n` changes before their deltaLink
    /// (Graph may replay changes; the client must apply them idempotently). 0 = off.
    pub fn set_delta_replay(&self, n: u64) {
        self.with(|s| s.delta_replay = n);
    }

    /// Serve at most `n` items per list page whatever `$top` says.
    pub fn set_list_page_cap(&self, n: usize) {
        self.with(|s| s.list_page_cap = Some(n.max(1)));
    }

    pub fn inject(&self, fault: Fault) {
        self.with(|s| s.faults.push(faults::Armed::new(fault)));
    }

    pub fn clear_faults(&self) {
        self.with(|s| s.faults.clear());
    }

    /// Requests so far, oldest first (`$batch` items are logged before their batch).
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.with(|s| s.log.clone())
    }

    pub fn clear_requests(&self) {
        self.with(|s| s.log.clear());
    }
}

/// The app's service principal, created on first registration.
fn ensure_sp(t: &mut Tenant, client_id: &str, now: u64) {
    if t.sp_by_app(client_id).is_none() {
        t.add_service_principal(random_id(), client_id, &format!("App {client_id}"), now);
    }
}
