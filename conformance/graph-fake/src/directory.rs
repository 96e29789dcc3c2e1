//! One tenant's directory: users, groups with their direct member edges, devices, service
//! principals with app role assignments, app registrations, and the change log. Every
//! mutation that delta can see is recorded in the log.

use crate::assertion::Certificate;
use crate::changes::{ChangeLog, Collection, What};
use crate::clock;
use crate::schema::{self, Props, Schema, DEVICE, GROUP, SERVICE_PRINCIPAL, USER};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub(crate) type Id = uuid::Uuid;

/// The application permissions an app can hold (graph.md §1.5).
pub const USER_READ_ALL: &str = "User.Read.All";
pub const GROUP_READ_ALL: &str = "Group.Read.All";
pub const GROUP_MEMBER_READ_ALL: &str = "GroupMember.Read.All";
pub const APPLICATION_READ_ALL: &str = "Application.Read.All";
pub const DIRECTORY_READ_ALL: &str = "Directory.Read.All";
pub(crate) const ALL_PERMISSIONS: [&str; 5] = [
    USER_READ_ALL,
    GROUP_READ_ALL,
    GROUP_MEMBER_READ_ALL,
    APPLICATION_READ_ALL,
    DIRECTORY_READ_ALL,
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    User,
    Group,
    Device,
    ServicePrincipal,
}

impl Kind {
    pub fn schema(self) -> &'static Schema {
        match self {
            Kind::User => &USER,
            Kind::Group => &GROUP,
            Kind::Device => &DEVICE,
            Kind::ServicePrincipal => &SERVICE_PRINCIPAL,
        }
    }

    pub fn odata_type(self) -> &'static str {
        self.schema().odata_type
    }

    /// `principalType` of an app role assignment.
    pub fn principal_type(self) -> &'static str {
        match self {
            Kind::User => "User",
            Kind::Group => "Group",
            Kind::Device => "Device",
            Kind::ServicePrincipal => "ServicePrincipal",
        }
    }
}

/// A user, device or service principal's properties; groups add members.
#[derive(Clone, Debug, Default)]
pub(crate) struct Object {
    pub props: Props,
    /// Soft-deleted (in the recycle bin) since.
    pub deleted_at: Option<u64>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Group {
    pub obj: Object,
    pub members: BTreeMap<Id, Kind>,
}

pub(crate) struct ServicePrincipal {
    pub obj: Object,
    pub app_id: String,
    pub permissions: BTreeSet<String>,
    /// `appRoleAssignedTo`, keyed by assignment id.
    pub assignments: BTreeMap<String, Assignment>,
}

pub(crate) struct Assignment {
    pub principal: Id,
    pub kind: Kind,
    pub app_role_id: String,
    pub created: u64,
}

/// An app registration's credentials in this tenant.
#[derive(Default)]
pub(crate) struct AppReg {
    pub secret: Option<String>,
    pub secret_expired: bool,
    pub certificates: Vec<Certificate>,
}

/// A user to create (`FakeGraph::create_user`).
#[derive(Clone, Debug)]
pub struct NewUser {
    pub user_principal_name: String,
    pub display_name: Option<String>,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub mail: Option<String>,
    pub account_enabled: bool,
    pub employee_id: Option<String>,
    /// `Member` when not given.
    pub user_type: Option<String>,
}

impl Default for NewUser {
    fn default() -> Self {
        NewUser {
            user_principal_name: String::new(),
            display_name: None,
            given_name: None,
            surname: None,
            mail: None,
            account_enabled: true,
            employee_id: None,
            user_type: None,
        }
    }
}

impl NewUser {
    /// `ada` → `ada@contoso.com`, display name `Ada Tester`, mail as the UPN, enabled member.
    pub fn named(name: &str) -> NewUser {
        let mut given: String = name.chars().take(1).flat_map(char::to_uppercase).collect();
        given.extend(name.chars().skip(1));
        let upn = format!("{name}@contoso.com");
        NewUser {
            user_principal_name: upn.clone(),
            display_name: Some(format!("{given} Tester")),
            given_name: Some(given),
            surname: Some("Tester".into()),
            mail: Some(upn),
            ..NewUser::default()
        }
    }
}

pub(crate) struct Tenant {
    pub id: String,
    pub users: BTreeMap<Id, Object>,
    pub groups: BTreeMap<Id, Group>,
    pub devices: BTreeMap<Id, Object>,
    pub sps: BTreeMap<Id, ServicePrincipal>,
    pub apps: HashMap<String, AppReg>,
    /// Lower-cased UPN → user (unique, soft-deleted users included, as in Entra).
    pub upns: HashMap<String, Id>,
    pub log: ChangeLog,
}

type Outcome<T> = std::result::Result<T, String>;

fn upn_index() -> u8 {
    USER.index("userPrincipalName").unwrap_or(0)
}

impl Tenant {
    pub fn new(id: &str) -> Tenant {
        Tenant {
            id: id.to_owned(),
            users: BTreeMap::new(),
            groups: BTreeMap::new(),
            devices: BTreeMap::new(),
            sps: BTreeMap::new(),
            apps: HashMap::new(),
            upns: HashMap::new(),
            log: ChangeLog::default(),
        }
    }

    /// What `id` is, soft-deleted objects included.
    pub fn kind_of(&self, id: &Id) -> Option<Kind> {
        if self.users.contains_key(id) {
            Some(Kind::User)
        } else if self.groups.contains_key(id) {
            Some(Kind::Group)
        } else if self.devices.contains_key(id) {
            Some(Kind::Device)
        } else if self.sps.contains_key(id) {
            Some(Kind::ServicePrincipal)
        } else {
            None
        }
    }

    pub fn object(&self, id: &Id, kind: Kind) -> Option<&Object> {
        match kind {
            Kind::User => self.users.get(id),
            Kind::Group => self.groups.get(id).map(|g| &g.obj),
            Kind::Device => self.devices.get(id),
            Kind::ServicePrincipal => self.sps.get(id).map(|s| &s.obj),
        }
    }

    /// Exists and is not in the recycle bin.
    pub fn visible(&self, id: &Id, kind: Kind) -> bool {
        self.object(id, kind)
            .is_some_and(|o| o.deleted_at.is_none())
    }

    pub fn sp_by_app(&self, app_id: &str) -> Option<(&Id, &ServicePrincipal)> {
        self.sps
            .iter()
            .find(|(_, sp)| sp.app_id.eq_ignore_ascii_case(app_id))
    }

    fn sp_by_app_mut(&mut self, app_id: &str) -> Outcome<&mut ServicePrincipal> {
        self.sps
            .values_mut()
            .find(|sp| sp.app_id.eq_ignore_ascii_case(app_id))
            .ok_or_else(|| format!("app {app_id} has no service principal in this tenant"))
    }

    fn groups_containing(&self, member: &Id) -> Vec<Id> {
        self.groups
            .iter()
            .filter(|(_, g)| g.members.contains_key(member))
            .map(|(id, _)| *id)
            .collect()
    }

    /// Tells groups delta that `member`'s edges changed (it left or came back).
    fn touch_edges(&mut self, member: Id, kind: Kind) {
        for group in self.groups_containing(&member) {
            self.log
                .record(Collection::Groups, group, What::Member(member, kind));
        }
    }

    // ---- users ----

    pub fn create_user(&mut self, id: Id, user: &NewUser, now: u64) -> Outcome<()> {
        let upn = user.user_principal_name.trim();
        if upn.is_empty() || !upn.contains('@') {
            return Err(format!("userPrincipalName {upn:?} is not user@domain"));
        }
        if self.upns.contains_key(&upn.to_lowercase()) {
            return Err(format!("userPrincipalName {upn} is already taken"));
        }
        let mut props = Props::default();
        let mut set = |name: &str, value: Value| {
            if let Some(i) = USER.index(name) {
                props.set(i, value);
            }
        };
        set("userPrincipalName", json!(upn));
        set("mailNickname", json!(upn.split('@').next().unwrap_or(upn)));
        set("displayName", json!(user.display_name));
        set("givenName", json!(user.given_name));
        set("surname", json!(user.surname));
        set("mail", json!(user.mail));
        set("accountEnabled", json!(user.account_enabled));
        set("employeeId", json!(user.employee_id));
        set(
            "userType",
            json!(user.user_type.as_deref().unwrap_or("Member")),
        );
        set("createdDateTime", json!(clock::iso(now)));
        self.insert_user(id, props, upn);
        Ok(())
    }

    /// Adds a fully built user (the bulk seeder skips `NewUser`).
    pub fn insert_user(&mut self, id: Id, props: Props, upn: &str) {
        self.upns.insert(upn.to_lowercase(), id);
        self.users.insert(
            id,
            Object {
                props,
                deleted_at: None,
            },
        );
        self.log.record(Collection::Users, id, What::Lifecycle);
    }

    pub fn user_by_upn(&self, upn: &str) -> Option<Id> {
        self.upns.get(&upn.to_lowercase()).copied()
    }

    pub fn update_user(&mut self, id: &Id, props: &Value) -> Outcome<()> {
        let changes = parse_props(&USER, props)?;
        let upn_i = upn_index();
        let user = self.users.get(id).ok_or_else(|| format!("no user {id}"))?;
        let old_upn = user.props.str(upn_i).unwrap_or_default().to_lowercase();
        if let Some((_, new)) = changes.iter().find(|(i, _)| *i == upn_i) {
            let new = new.as_str().unwrap_or_default().to_lowercase();
            if !new.contains('@') {
                return Err(format!("userPrincipalName {new:?} is not user@domain"));
            }
            if new != old_upn && self.upns.contains_key(&new) {
                return Err(format!("userPrincipalName {new} is already taken"));
            }
            self.upns.remove(&old_upn);
            self.upns.insert(new, *id);
        }
        let user = self
            .users
            .get_mut(id)
            .ok_or_else(|| format!("no user {id}"))?;
        let changed = changes
            .into_iter()
            .filter_map(|(i, v)| user.props.set(i, v).then_some(schema::bit(i)))
            .fold(0, |m, b| m | b);
        if changed != 0 {
            self.log
                .record(Collection::Users, *id, What::Props(changed));
        }
        Ok(())
    }

    pub fn soft_delete_user(&mut self, id: &Id, now: u64) -> Outcome<()> {
        let user = self
            .users
            .get_mut(id)
            .ok_or_else(|| format!("no user {id}"))?;
        if user.deleted_at.is_some() {
            return Ok(());
        }
        user.deleted_at = Some(now);
        self.log.record(Collection::Users, *id, What::Lifecycle);
        self.touch_edges(*id, Kind::User);
        Ok(())
    }

    pub fn restore_user(&mut self, id: &Id) -> Outcome<()> {
        let user = self
            .users
            .get_mut(id)
            .ok_or_else(|| format!("no user {id}"))?;
        if user.deleted_at.take().is_none() {
            return Err(format!("user {id} is not in the recycle bin"));
        }
        self.log.record(Collection::Users, *id, What::Lifecycle);
        self.touch_edges(*id, Kind::User);
        Ok(())
    }

    pub fn hard_delete_user(&mut self, id: &Id) -> Outcome<()> {
        let user = self.users.get(id).ok_or_else(|| format!("no user {id}"))?;
        let upn = user
            .props
            .str(upn_index())
            .unwrap_or_default()
            .to_lowercase();
        self.upns.remove(&upn);
        self.touch_edges(*id, Kind::User);
        self.purge_edges(id);
        self.users.remove(id);
        self.log.record(Collection::Users, *id, What::Lifecycle);
        Ok(())
    }

    /// Removes a permanently deleted object from every group and assignment.
    fn purge_edges(&mut self, id: &Id) {
        for group in self.groups.values_mut() {
            group.members.remove(id);
        }
        for sp in self.sps.values_mut() {
            sp.assignments.retain(|_, a| a.principal != *id);
        }
    }

    // ---- groups ----

    pub fn create_group(&mut self, id: Id, display_name: &str, now: u64) {
        let mut props = Props::default();
        let mut set = |name: &str, value: Value| {
            if let Some(i) = GROUP.index(name) {
                props.set(i, value);
            }
        };
        set("displayName", json!(display_name));
        set("mailNickname", json!(nickname(display_name)));
        set("securityEnabled", json!(true));
        set("mailEnabled", json!(false));
        set("createdDateTime", json!(clock::iso(now)));
        self.insert_group(id, props);
    }

    pub fn insert_group(&mut self, id: Id, props: Props) {
        self.groups.insert(
            id,
            Group {
                obj: Object {
                    props,
                    deleted_at: None,
                },
                members: BTreeMap::new(),
            },
        );
        self.log.record(Collection::Groups, id, What::Lifecycle);
    }

    pub fn update_group(&mut self, id: &Id, props: &Value) -> Outcome<()> {
        let changes = parse_props(&GROUP, props)?;
        let group = self
            .groups
            .get_mut(id)
            .ok_or_else(|| format!("no group {id}"))?;
        let changed = changes
            .into_iter()
            .filter_map(|(i, v)| group.obj.props.set(i, v).then_some(schema::bit(i)))
            .fold(0, |m, b| m | b);
        if changed != 0 {
            self.log
                .record(Collection::Groups, *id, What::Props(changed));
        }
        Ok(())
    }

    pub fn delete_group(&mut self, id: &Id, permanent: bool, now: u64) -> Outcome<()> {
        let group = self
            .groups
            .get_mut(id)
            .ok_or_else(|| format!("no group {id}"))?;
        if !permanent {
            if group.obj.deleted_at.is_none() {
                group.obj.deleted_at = Some(now);
                self.log.record(Collection::Groups, *id, What::Lifecycle);
                self.touch_edges(*id, Kind::Group);
            }
            return Ok(());
        }
        self.touch_edges(*id, Kind::Group);
        self.purge_edges(id);
        self.groups.remove(id);
        self.log.record(Collection::Groups, *id, What::Lifecycle);
        Ok(())
    }

    pub fn restore_group(&mut self, id: &Id) -> Outcome<()> {
        let group = self
            .groups
            .get_mut(id)
            .ok_or_else(|| format!("no group {id}"))?;
        if group.obj.deleted_at.take().is_none() {
            return Err(format!("group {id} is not in the recycle bin"));
        }
        self.log.record(Collection::Groups, *id, What::Lifecycle);
        self.touch_edges(*id, Kind::Group);
        Ok(())
    }

    pub fn add_member(&mut self, group: &Id, member: &Id) -> Outcome<()> {
        let kind = self
            .kind_of(member)
            .ok_or_else(|| format!("no directory object {member}"))?;
        if group == member {
            return Err(format!("group {group} cannot be a member of itself"));
        }
        let g = self
            .groups
            .get_mut(group)
            .ok_or_else(|| format!("no group {group}"))?;
        if g.members.insert(*member, kind).is_none() {
            self.log
                .record(Collection::Groups, *group, What::Member(*member, kind));
        }
        Ok(())
    }

    pub fn remove_member(&mut self, group: &Id, member: &Id) -> Outcome<()> {
        let g = self
            .groups
            .get_mut(group)
            .ok_or_else(|| format!("no group {group}"))?;
        if let Some(kind) = g.members.remove(member) {
            self.log
                .record(Collection::Groups, *group, What::Member(*member, kind));
        }
        Ok(())
    }

    // ---- devices, service principals, assignments ----

    pub fn create_device(&mut self, id: Id, name: &str, now: u64) {
        let mut props = Props::default();
        for (name, value) in [
            ("displayName", json!(name)),
            ("deviceId", json!(uuid::Uuid::new_v4().to_string())),
            ("accountEnabled", json!(true)),
            ("operatingSystem", json!("Windows")),
            ("trustType", json!("AzureAd")),
            ("createdDateTime", json!(clock::iso(now))),
        ] {
            if let Some(i) = DEVICE.index(name) {
                props.set(i, value);
            }
        }
        self.devices.insert(
            id,
            Object {
                props,
                deleted_at: None,
            },
        );
    }

    /// The app's enterprise application in this tenant, with every read permission granted.
    pub fn add_service_principal(&mut self, id: Id, app_id: &str, name: &str, now: u64) {
        let mut props = Props::default();
        for (prop, value) in [
            ("appId", json!(app_id)),
            ("displayName", json!(name)),
            ("appDisplayName", json!(name)),
            ("accountEnabled", json!(true)),
            ("servicePrincipalType", json!("Application")),
            ("servicePrincipalNames", json!([app_id])),
            ("appRoleAssignmentRequired", json!(false)),
            ("createdDateTime", json!(clock::iso(now))),
        ] {
            if let Some(i) = SERVICE_PRINCIPAL.index(prop) {
                props.set(i, value);
            }
        }
        self.sps.insert(
            id,
            ServicePrincipal {
                obj: Object {
                    props,
                    deleted_at: None,
                },
                app_id: app_id.to_owned(),
                permissions: ALL_PERMISSIONS.iter().map(|p| (*p).to_owned()).collect(),
                assignments: BTreeMap::new(),
            },
        );
    }

    pub fn revoke_consent(&mut self, app_id: &str) -> Outcome<()> {
        let id = *self
            .sp_by_app(app_id)
            .ok_or_else(|| format!("app {app_id} has no service principal in this tenant"))?
            .0;
        self.sps.remove(&id);
        self.purge_edges(&id);
        Ok(())
    }

    pub fn set_permission(&mut self, app_id: &str, permission: &str, granted: bool) -> Outcome<()> {
        if !ALL_PERMISSIONS.contains(&permission) {
            return Err(format!(
                "unknown permission {permission:?} (one of {ALL_PERMISSIONS:?})"
            ));
        }
        let sp = self.sp_by_app_mut(app_id)?;
        if granted {
            sp.permissions.insert(permission.to_owned());
        } else {
            sp.permissions.remove(permission);
        }
        Ok(())
    }

    pub fn assign(
        &mut self,
        app_id: &str,
        principal: &Id,
        assignment_id: String,
        now: u64,
    ) -> Outcome<()> {
        let kind = self
            .kind_of(principal)
            .filter(|k| *k != Kind::Device)
            .ok_or_else(|| format!("no user, group or service principal {principal}"))?;
        let sp = self.sp_by_app_mut(app_id)?;
        if sp.assignments.values().any(|a| a.principal == *principal) {
            return Ok(());
        }
        sp.assignments.insert(
            assignment_id,
            Assignment {
                principal: *principal,
                kind,
                app_role_id: Id::nil().to_string(),
                created: now,
            },
        );
        Ok(())
    }

    pub fn unassign(&mut self, app_id: &str, principal: &Id) -> Outcome<()> {
        let sp = self.sp_by_app_mut(app_id)?;
        sp.assignments.retain(|_, a| a.principal != *principal);
        Ok(())
    }
}

/// A mail nickname from a display name: letters and digits only.
fn nickname(display_name: &str) -> String {
    let n: String = display_name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    if n.is_empty() {
        "group".into()
    } else {
        n
    }
}

/// `{"displayName": "x", ...}` → schema indexes; `id` and unknown names are setup errors.
fn parse_props(schema: &Schema, props: &Value) -> Outcome<Vec<(u8, Value)>> {
    let map = props
        .as_object()
        .ok_or_else(|| format!("properties must be a JSON object, got {props}"))?;
    map.iter()
        .map(|(name, value)| match schema.index(name) {
            Some(schema::ID) => Err("id cannot be changed".to_owned()),
            Some(i) => Ok((i, value.clone())),
            None => Err(format!(
                "{name:?} is not a property of {}",
                schema.odata_type
            )),
        })
        .collect()
}
