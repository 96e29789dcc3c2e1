//! Users and Groups: create, get, replace, patch, delete, list (RFC 7644 §3.3–§3.6).
//! One implementation serves both kinds; `store.rs` hides which tables are behind them.

mod members;
mod store;

use super::audit::{self, EventData, Outcome, RequestInfo};
use super::redact;
use super::{ServiceError, Services, Tenant};
use crate::scim::diff::{self, diff, Change};
use crate::scim::filter;
use crate::scim::list::{list_response, ListParams};
use crate::scim::patch::{self, PatchOutcome};
use crate::scim::projection::Projection;
use crate::scim::resource::{self, CheckOptions, MemberOut, Meta, Notes};
use crate::scim::schema::ResourceKind;
use crate::scim::ScimError;
use crate::storage::{events, DbConn, NewEvent, SearchQuery, SortKey, StorageError};
use serde_json::{Map, Value};
use store::Stored;

/// How many times a PATCH/PUT is retried when a concurrent writer bumped the version first.
const MAX_WRITE_ATTEMPTS: usize = 8;

/// The context of one request against a tenant.
pub struct Ctx<'a> {
    pub tenant: &'a Tenant,
    /// SCIM base URL the client used (no trailing slash); `meta.location` is built from it.
    pub base_url: &'a str,
    pub request: &'a RequestInfo,
}

impl Ctx<'_> {
    fn options(&self) -> CheckOptions {
        CheckOptions {
            strict: self.tenant.strict,
        }
    }
    fn location(&self, kind: ResourceKind, id: &str) -> String {
        format!("{}{}/{}", self.base_url, kind.endpoint(), id)
    }
}

/// A resource ready to send: body plus the headers that go with it.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub body: Map<String, Value>,
    pub etag: String,
    pub location: String,
}

impl Services {
    /// RFC 7644 §3.3 POST.
    pub fn create_resource(
        &self,
        ctx: &Ctx<'_>,
        kind: ResourceKind,
        body: &Value,
    ) -> Result<Rendered, ServiceError> {
        let checked = self.audited(ctx, kind, "Create", None, Some(body), || {
            resource::check(kind, body, ctx.options()).map_err(ServiceError::from)
        })?;
        let id = uuid::Uuid::now_v7().to_string();
        let now = self.clock.now();
        let tenant = &ctx.tenant.id;
        let changes = redact::changes(&diff::assigned(&checked.doc), None);
        let data = event_data(
            kind,
            "Create",
            &id,
            &checked.doc,
            &checked.notes,
            Some(changes),
        );
        let mut event = audit::success(ctx.request, tenant, now, 201, data);
        let (stored, members) =
            self.audited_write(ctx, kind, "Create", None, Some(body), |conn| {
                let members = members::resolve(conn, tenant, kind, &id, &checked.members)?;
                let stored = store::insert(conn, kind, tenant, &id, &checked.doc, now)
                    .map_err(|e| conflict(kind, &checked.doc, e))?;
                members::add(conn, tenant, &id, &members, now)?;
                audit::settle(&mut event, ctx.request, "Create", Outcome::Success);
                Ok(((stored, members), event))
            })?;
        let outs = (kind == ResourceKind::Group).then(|| members::outs(ctx, &members));
        Ok(self.render(
            ctx,
            kind,
            &stored,
            outs.as_deref(),
            &Projection::default(),
            None,
        ))
    }

    /// RFC 7644 §3.4.1 GET by id.
    pub fn get_resource(
        &self,
        ctx: &Ctx<'_>,
        kind: ResourceKind,
        id: &str,
        projection: &Projection,
    ) -> Result<Rendered, ServiceError> {
        let tenant = &ctx.tenant.id;
        let found = self.db.read(|conn| {
            let stored = store::find(conn, kind, tenant, id)?.ok_or_else(|| not_found(kind, id))?;
            let members = match kind {
                ResourceKind::Group if projection.wants_members() => {
                    Some(members::list(conn, ctx, id)?)
                }
                _ => None,
            };
            let groups = match kind {
                ResourceKind::User => Some(members::groups_of(conn, ctx, id)?),
                ResourceKind::Group => None,
            };
            Ok::<_, ServiceError>((stored, members, groups))
        });
        let (stored, members, groups) =
            found.inspect_err(|e| self.record_failure(ctx, kind, LOOKUP, Some(id), None, e))?;
        self.read_succeeded(ctx, || {
            event_data(
                kind,
                LOOKUP,
                &stored.id,
                &stored.doc,
                &Notes::default(),
                None,
            )
        });
        Ok(self.render(ctx, kind, &stored, members.as_deref(), projection, groups))
    }

    /// RFC 7644 §3.5.1 PUT: replace every client-writable attribute (and, for Groups, the members).
    pub fn replace_resource(
        &self,
        ctx: &Ctx<'_>,
        kind: ResourceKind,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
    ) -> Result<Rendered, ServiceError> {
        let checked = self.audited(ctx, kind, "Update", Some(id), Some(body), || {
            resource::check(kind, body, ctx.options()).map_err(ServiceError::from)
        })?;
        let members = patch::MemberChanges {
            clear: kind == ResourceKind::Group,
            add: checked.members.clone(),
            remove: Vec::new(),
        };
        self.write_changes(ctx, kind, id, if_match, "Update", |current| {
            Ok(PatchOutcome {
                changes: diff(&current.doc, &checked.doc),
                checked: checked.clone(),
                members: members.clone(),
            })
        })
    }

    /// RFC 7644 §3.5.2 PATCH, all-or-nothing.
    pub fn patch_resource(
        &self,
        ctx: &Ctx<'_>,
        kind: ResourceKind,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
    ) -> Result<Rendered, ServiceError> {
        let request = self.audited(ctx, kind, "Update", Some(id), None, || {
            patch::parse_request(body).map_err(ServiceError::from)
        })?;
        let opts = ctx.options();
        self.write_changes(ctx, kind, id, if_match, "Update", |current| {
            patch::apply(kind, &current.doc, &request, opts).map_err(ServiceError::from)
        })
    }

    /// Read, change and conditionally write one resource, retrying when another writer won the
    /// race (the conditional UPDATE matched no row). With `If-Match`, a stale version is 412.
    fn write_changes(
        &self,
        ctx: &Ctx<'_>,
        kind: ResourceKind,
        id: &str,
        if_match: Option<&str>,
        action: &'static str,
        change: impl Fn(&Stored) -> Result<PatchOutcome, ServiceError>,
    ) -> Result<Rendered, ServiceError> {
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let result = self.try_change(ctx, kind, id, if_match, action, &change);
            match result {
                Ok(stored) => {
                    // Read after COMMIT: the writer lock is held only for the write itself.
                    let groups = match kind {
                        ResourceKind::Group => None,
                        ResourceKind::User => {
                            Some(self.db.read(|c| members::groups_of(c, ctx, id))?)
                        }
                    };
                    return Ok(self.render(
                        ctx,
                        kind,
                        &stored,
                        None,
                        &Projection::new(kind, None, Some("members")),
                        groups,
                    ));
                }
                Err(ServiceError::Storage(StorageError::VersionMismatch)) if if_match.is_none() => {
                    continue
                }
                Err(e) => {
                    self.record_failure(ctx, kind, action, Some(id), None, &e);
                    return Err(e);
                }
            }
        }
        let e = ServiceError::Scim(ScimError::new(
            409,
            None,
            "the resource changed concurrently too many times; retry",
        ));
        self.record_failure(ctx, kind, action, Some(id), None, &e);
        Err(e)
    }

    /// One optimistic attempt: read and compute outside the write transaction (on SQLite the
    /// writer lock is held only for the statements), then write conditionally on the version
    /// that was read. A concurrent writer makes the UPDATE match no row: `VersionMismatch`.
    fn try_change(
        &self,
        ctx: &Ctx<'_>,
        kind: ResourceKind,
        id: &str,
        if_match: Option<&str>,
        action: &'static str,
        change: &impl Fn(&Stored) -> Result<PatchOutcome, ServiceError>,
    ) -> Result<Stored, ServiceError> {
        let tenant = &ctx.tenant.id;
        let current = self
            .db
            .read(|conn| store::find(conn, kind, tenant, id))?
            .ok_or_else(|| not_found(kind, id))?;
        check_if_match(if_match, current.version)?;
        let mut outcome = change(&current)?;
        let changes = std::mem::take(&mut outcome.changes);
        let changed = !changes.is_empty();
        let m = &outcome.members;
        let member_change = m.clear || !m.add.is_empty() || !m.remove.is_empty();
        let now = self.clock.now();
        let doc = &outcome.checked.doc;
        let listed: Vec<_> = changes.iter().map(Change::as_ref).collect();
        let changes = redact::changes(&listed, member_change.then_some(m));
        let data = event_data(kind, action, id, doc, &outcome.checked.notes, Some(changes));
        let mut event = audit::success(ctx.request, tenant, now, 200, data);
        self.db.write_logged(|conn| {
            let stored = if changed {
                store::update(conn, kind, tenant, &current, doc, now)
                    .map_err(|e| conflict(kind, doc, e))?
            } else if member_change {
                store::touch(
                    conn,
                    tenant,
                    &current,
                    if_match.map(|_| current.version),
                    now,
                )?
            } else {
                current.clone()
            };
            let (added, removed) = members::apply(conn, tenant, kind, id, m, now)?;
            let action = classify(action, kind, &current.doc, doc, added, removed);
            let no_op = !changed && !m.clear && added == 0 && removed == 0;
            let logged = if no_op {
                Outcome::Skipped
            } else {
                Outcome::Success
            };
            audit::settle(&mut event, ctx.request, action, logged);
            Ok((stored, event))
        })
    }

    /// RFC 7644 §3.6 DELETE.
    pub fn delete_resource(
        &self,
        ctx: &Ctx<'_>,
        kind: ResourceKind,
        id: &str,
        if_match: Option<&str>,
    ) -> Result<(), ServiceError> {
        let tenant = &ctx.tenant.id;
        let now = self.clock.now();
        self.audited_write(ctx, kind, "Delete", Some(id), None, |conn| {
            let current =
                store::find(conn, kind, tenant, id)?.ok_or_else(|| not_found(kind, id))?;
            check_if_match(if_match, current.version)?;
            store::delete(conn, kind, tenant, id)?;
            let data = event_data(kind, "Delete", id, &current.doc, &Notes::default(), None);
            Ok(((), audit::success(ctx.request, tenant, now, 204, data)))
        })
    }

    /// RFC 7644 §3.4.2 query: filter, sort, page, project.
    pub fn list_resources(
        &self,
        ctx: &Ctx<'_>,
        kind: ResourceKind,
        params: &ListParams,
    ) -> Result<Value, ServiceError> {
        let (body, total, probe) = self
            .search(ctx, kind, params)
            .inspect_err(|e| self.record_failure(ctx, kind, LOOKUP, None, None, e))?;
        let filter_text = params.filter.as_deref().unwrap_or("(none)");
        let data = || EventData {
            action: if probe { TEST_CONNECTION } else { LOOKUP },
            resource_type: Some(kind.name()),
            detail: Some(if probe {
                format!("Entra Test Connection probe: filter {filter_text} matched nothing, as expected")
            } else {
                format!("filter {filter_text}: {total} result(s)")
            }),
            ..Default::default()
        };
        if probe {
            // The admin's evidence that Entra connected: logged even when reads are only counted.
            self.record_read(ctx, data());
        } else {
            self.read_succeeded(ctx, data);
        }
        Ok(body)
    }

    /// The list query itself: the response, the total, and whether it was Entra's probe.
    fn search(
        &self,
        ctx: &Ctx<'_>,
        kind: ResourceKind,
        params: &ListParams,
    ) -> Result<(Value, u64, bool), ServiceError> {
        let parsed = match &params.filter {
            Some(text) => Some(filter::parse(text)?),
            None => None,
        };
        let bound = match &parsed {
            Some(f) => Some(filter::bind(kind, f)?),
            None => None,
        };
        let sort = match &params.sort_by {
            Some(s) => Some((sort_key(kind, s)?, params.ascending)),
            None => None,
        };
        let projection = Projection::new(
            kind,
            params.attributes.as_deref(),
            params.excluded_attributes.as_deref(),
        );
        let query = SearchQuery {
            filter: bound.as_ref(),
            sort,
            start_index: params.start_index,
            count: params.count,
        };
        let tenant = &ctx.tenant.id;
        let wants_members = kind == ResourceKind::Group && projection.wants_members();
        let (total, items) = self.db.read(|conn| {
            let page = store::search(conn, kind, tenant, &query)?;
            let mut items = Vec::with_capacity(page.rows.len());
            for stored in page.rows {
                let members = if wants_members {
                    Some(members::list(conn, ctx, &stored.id)?)
                } else {
                    None
                };
                items.push((stored, members));
            }
            Ok::<_, ServiceError>((page.total, items))
        })?;
        let resources = items
            .iter()
            .map(|(s, m)| {
                Value::Object(
                    self.render(ctx, kind, s, m.as_deref(), &projection, None)
                        .body,
                )
            })
            .collect();
        let probe = total == 0 && parsed.as_ref().is_some_and(|f| is_probe(kind, f));
        Ok((
            list_response(total, params.start_index, resources),
            total,
            probe,
        ))
    }

    /// A successful read: counted, or logged when the tenant asked for every read.
    fn read_succeeded(&self, ctx: &Ctx<'_>, data: impl FnOnce() -> EventData) {
        if ctx.tenant.log_reads {
            self.record_read(ctx, data());
        } else {
            self.count_read(&ctx.tenant.id);
        }
    }

    /// Log a successful read in its own short transaction (best effort, like failures).
    fn record_read(&self, ctx: &Ctx<'_>, data: EventData) {
        let row = audit::success(ctx.request, &ctx.tenant.id, self.clock.now(), 200, data);
        if let Err(e) = self
            .db
            .write(|conn| events::insert(conn, &row).map_err(ServiceError::from))
        {
            log::error!("could not record a read in the provisioning log: {e}");
        }
    }

    /// Log a request the HTTP layer refused before it reached a use case (a malformed body or
    /// query string), under the action it was attempting.
    pub fn record_rejected(
        &self,
        ctx: &Ctx<'_>,
        kind: ResourceKind,
        action: &'static str,
        id: Option<&str>,
        err: &ScimError,
    ) {
        self.record_failure(
            ctx,
            kind,
            action,
            id,
            None,
            &ServiceError::Scim(err.clone()),
        );
    }

    fn render(
        &self,
        ctx: &Ctx<'_>,
        kind: ResourceKind,
        stored: &Stored,
        members: Option<&[MemberOut]>,
        projection: &Projection,
        groups: Option<Vec<Value>>,
    ) -> Rendered {
        let meta = Meta {
            id: stored.id.clone(),
            created: crate::storage::time::rfc3339(stored.created),
            last_modified: crate::storage::time::rfc3339(stored.updated),
            version: stored.version,
            location: ctx.location(kind, &stored.id),
        };
        let mut body = resource::render(kind, &stored.doc, &meta, members);
        if let Some(groups) = groups.filter(|g| !g.is_empty()) {
            body.insert("groups".into(), Value::Array(groups));
        }
        let body = projection.apply(kind, body);
        Rendered {
            body,
            etag: meta.etag(),
            location: meta.location,
        }
    }

    /// Run a check that happens before any write; log its failure as an event.
    fn audited<T>(
        &self,
        ctx: &Ctx<'_>,
        kind: ResourceKind,
        action: &'static str,
        id: Option<&str>,
        body: Option<&Value>,
        f: impl FnOnce() -> Result<T, ServiceError>,
    ) -> Result<T, ServiceError> {
        f().inspect_err(|e| self.record_failure(ctx, kind, action, id, body, e))
    }

    /// A write transaction that logs the event `f` returns; a failure is logged as an event
    /// after the rollback.
    fn audited_write<T>(
        &self,
        ctx: &Ctx<'_>,
        kind: ResourceKind,
        action: &'static str,
        id: Option<&str>,
        body: Option<&Value>,
        f: impl FnOnce(&mut DbConn) -> Result<(T, NewEvent), ServiceError>,
    ) -> Result<T, ServiceError> {
        self.db
            .write_logged(f)
            .inspect_err(|e| self.record_failure(ctx, kind, action, id, body, e))
    }

    /// Best effort: a failed request is logged in its own transaction (the change's was rolled
    /// back). The resource is named from the request body, or else from the stored resource,
    /// so a failure can be found by userName/displayName and externalId.
    fn record_failure(
        &self,
        ctx: &Ctx<'_>,
        kind: ResourceKind,
        action: &'static str,
        id: Option<&str>,
        body: Option<&Value>,
        e: &ServiceError,
    ) {
        if self.db.in_plain_unit() {
            // The unit fails whole, and its caller redoes it write by write, logging then.
            return;
        }
        let err = e.to_scim();
        let text = |v: &Value, attr: &str| v.get(attr).and_then(Value::as_str).map(str::to_string);
        let (mut name, mut external_id) = match body {
            Some(b) => (text(b, kind.naming_attr()), text(b, "externalId")),
            None => (None, None),
        };
        if let (None, Some(id)) = (&name, id) {
            if let Ok(Some(stored)) = self
                .db
                .read(|conn| store::find(conn, kind, &ctx.tenant.id, id))
            {
                let x = resource::extract(kind, &stored.doc);
                (name, external_id) = (Some(x.name), x.external_id);
            }
        }
        let data = EventData {
            action,
            resource_type: Some(kind.name()),
            resource_id: id.map(str::to_string),
            resource_name: name,
            external_id,
            ..Default::default()
        };
        let row = audit::failure(ctx.request, &ctx.tenant.id, self.clock.now(), &err, data);
        if let Err(log_err) = self
            .db
            .write(|conn| events::insert(conn, &row).map_err(ServiceError::from))
        {
            log::error!("could not record a failed {action} in the provisioning log: {log_err}");
        }
        if let ServiceError::Storage(cause) = e {
            log::error!(
                "request {} failed in storage: {cause}",
                ctx.request.request_id
            );
        }
    }
}

/// The action of a read (a GET by id or a list query).
pub const LOOKUP: &str = "Lookup";
/// Entra's Test Connection probe (also opens every provisioning cycle).
pub const TEST_CONNECTION: &str = "TestConnection";

/// Entra's probe: `userName eq "<GUID>"` (Users) or `displayName eq "<GUID>"` (Groups), a value
/// no real object has. Only meaningful when it matched nothing.
fn is_probe(kind: ResourceKind, f: &filter::Filter) -> bool {
    let filter::Filter::Compare(path, filter::CompareOp::Eq, filter::CompValue::Str(v)) = f else {
        return false;
    };
    path.sub.is_none()
        && path.name.eq_ignore_ascii_case(kind.naming_attr())
        && crate::scim::is_guid(v)
}

fn event_data(
    kind: ResourceKind,
    action: &'static str,
    id: &str,
    doc: &Map<String, Value>,
    notes: &Notes,
    changes: Option<String>,
) -> EventData {
    let x = resource::extract(kind, doc);
    EventData {
        action,
        resource_type: Some(kind.name()),
        resource_id: Some(id.to_string()),
        resource_name: Some(x.name),
        external_id: x.external_id,
        changes,
        normalizations: notes.lines(),
        detail: None,
    }
}

/// Name the change the way admins think of it (Disable/Enable/AddMembers/RemoveMembers).
fn classify(
    default: &'static str,
    kind: ResourceKind,
    before: &Map<String, Value>,
    after: &Map<String, Value>,
    added: usize,
    removed: usize,
) -> &'static str {
    let active = |d: &Map<String, Value>| d.get("active").and_then(Value::as_bool);
    match kind {
        ResourceKind::User => match (active(before), active(after)) {
            (Some(true), Some(false)) => "Disable",
            (Some(false), Some(true)) => "Enable",
            _ => default,
        },
        ResourceKind::Group if before == after && added > 0 && removed == 0 => "AddMembers",
        ResourceKind::Group if before == after && removed > 0 && added == 0 => "RemoveMembers",
        ResourceKind::Group => default,
    }
}

/// RFC 7644 §3.14: `If-Match` with a weak or strong tag, or `*`.
fn check_if_match(if_match: Option<&str>, version: i64) -> Result<(), ScimError> {
    let Some(header) = if_match else {
        return Ok(());
    };
    let current = format!("W/\"{version}\"");
    let ok = header.split(',').map(str::trim).any(|tag| {
        tag == "*"
            || tag == current
            || tag.strip_prefix("W/").unwrap_or(tag) == format!("\"{version}\"")
    });
    if ok {
        Ok(())
    } else {
        Err(ScimError::precondition_failed(format!(
            "If-Match {header} does not match the current version {current}; fetch the resource again"
        )))
    }
}

fn not_found(kind: ResourceKind, id: &str) -> ServiceError {
    ServiceError::Scim(ScimError::not_found(format!(
        "no {} with id {id:?} in this tenant",
        kind.name()
    )))
}

/// A unique-index violation becomes the 409 Entra expects, naming the value.
fn conflict(kind: ResourceKind, doc: &Map<String, Value>, e: StorageError) -> ServiceError {
    match e {
        StorageError::Conflict { .. } => {
            let attr = kind.naming_attr();
            let value = doc.get(attr).and_then(Value::as_str).unwrap_or_default();
            ServiceError::Scim(ScimError::uniqueness(format!(
                "a {} with {attr} {value:?} already exists in this tenant ({attr} is compared case-insensitively)",
                kind.name()
            )))
        }
        other => ServiceError::Storage(other),
    }
}

fn sort_key(kind: ResourceKind, by: &str) -> Result<SortKey, ScimError> {
    let key = by.trim().to_ascii_lowercase();
    let k = match key.as_str() {
        "id" => SortKey::Id,
        "username" if kind == ResourceKind::User => SortKey::UserName,
        "displayname" => SortKey::DisplayName,
        "externalid" => SortKey::ExternalId,
        "meta.created" => SortKey::Created,
        "meta.lastmodified" => SortKey::LastModified,
        _ => {
            return Err(ScimError::invalid_value(format!(
                "sortBy {by:?} is not supported; use id, {}displayName, externalId, meta.created or meta.lastModified",
                if kind == ResourceKind::User { "userName, " } else { "" }
            )))
        }
    };
    Ok(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_accepts_weak_strong_and_star() {
        assert!(check_if_match(None, 3).is_ok());
        assert!(check_if_match(Some("W/\"3\""), 3).is_ok());
        assert!(check_if_match(Some("\"3\""), 3).is_ok());
        assert!(check_if_match(Some("*"), 3).is_ok());
        assert!(check_if_match(Some("W/\"1\", W/\"3\""), 3).is_ok());
        assert_eq!(check_if_match(Some("W/\"2\""), 3).unwrap_err().status, 412);
    }

    #[test]
    fn disable_and_enable_are_named() {
        let on = serde_json::json!({"active": true});
        let off = serde_json::json!({"active": false});
        let (on, off) = (
            on.as_object().cloned().unwrap(),
            off.as_object().cloned().unwrap(),
        );
        assert_eq!(
            classify("Update", ResourceKind::User, &on, &off, 0, 0),
            "Disable"
        );
        assert_eq!(
            classify("Update", ResourceKind::User, &off, &on, 0, 0),
            "Enable"
        );
        assert_eq!(
            classify("Update", ResourceKind::Group, &on, &on, 2, 0),
            "AddMembers"
        );
    }

    #[test]
    fn sort_keys_are_case_insensitive_and_checked() {
        assert_eq!(
            sort_key(ResourceKind::User, "UserName").unwrap(),
            SortKey::UserName
        );
        assert!(sort_key(ResourceKind::Group, "userName").is_err());
        assert!(sort_key(ResourceKind::User, "title")
            .unwrap_err()
            .detail
            .contains("not supported"));
    }
}
