//! Service principals and their app role assignments, for "assigned users and groups only"
//! (graph.md §2.9): `/servicePrincipals?$filter=appId eq '…'`,
//! `/servicePrincipals(appId='…')`, `/servicePrincipals/{id}/appRoleAssignedTo`.

use crate::directory::{Id, ServicePrincipal, Tenant};
use crate::filter::{parse_filter, Filter, Target};
use crate::graph::Call;
use crate::lists::{matches, range_after, render, tenant, units};
use crate::paging::{collection, page_size, take, Listing};
use crate::query::Select;
use crate::reply::{GraphError, Reply, Result};
use crate::schema::{Props, APP_ROLE_ASSIGNMENT, SERVICE_PRINCIPAL};
use crate::state::State;
use serde_json::{json, Map, Value};
use std::ops::Bound;

/// How the path names a service principal.
pub(crate) enum SpKey {
    Id(String),
    AppId(String),
}

impl SpKey {
    /// `servicePrincipals(appId='…')` as one path segment.
    pub fn from_segment(segment: &str) -> Option<SpKey> {
        let lower = segment.to_ascii_lowercase();
        let open = "serviceprincipals(appid='";
        if !lower.starts_with(open) || !lower.ends_with("')") {
            return None;
        }
        segment
            .get(open.len()..segment.len() - 2)
            .map(|app| SpKey::AppId(app.replace("''", "'")))
    }

    fn resolve<'t>(&self, t: &'t Tenant) -> Result<(Id, &'t ServicePrincipal)> {
        let found = match self {
            SpKey::AppId(app) => t.sp_by_app(app).map(|(id, sp)| (*id, sp)),
            SpKey::Id(raw) => {
                let id = crate::lists::parse_id(raw)?;
                t.sps.get(&id).map(|sp| (id, sp))
            }
        };
        found.ok_or_else(|| {
            GraphError::not_found(match self {
                SpKey::AppId(a) | SpKey::Id(a) => a,
            })
        })
    }
}

/// `GET /servicePrincipals`.
pub(crate) fn list(state: &State, call: &Call) -> Result<Reply> {
    call.caller.require_applications()?;
    let q = &call.query;
    q.reject_unsupported(call.advanced.eventual, false)?;
    let select = Select::parse(q, &[&SERVICE_PRINCIPAL], false)?;
    let filter = q
        .get("$filter")
        .map(|f| parse_filter(f, Target::ServicePrincipals, call.advanced))
        .transpose()?;
    let size = page_size(state, q)?;
    let listing = Listing {
        tenant: &call.caller.tenant,
        path: call.path,
        query: q,
    };
    let after = listing.after(state)?;
    let t = tenant(state, call)?;
    let indexes = select.indexes(&SERVICE_PRINCIPAL);
    let keep = |sp: &ServicePrincipal| match &filter {
        Some(f @ Filter::AppId(_)) => matches(Some(f), &SERVICE_PRINCIPAL, &sp.obj.props),
        _ => true,
    };
    let items = range_after(&t.sps, after.as_deref())?
        .filter(|(_, sp)| keep(sp))
        .map(|(id, sp)| {
            (
                id.to_string(),
                render(&SERVICE_PRINCIPAL, id, &sp.obj.props, &indexes),
            )
        });
    let (value, more) = take(items, size);
    let count = (call.advanced.counts() && after.is_none())
        .then(|| t.sps.values().filter(|sp| keep(sp)).count());
    let next = more.map(|a| listing.next_link(state, &a));
    let context = select.context("servicePrincipals");
    Ok(Reply::json(collection(&state.base, &context, count, next, value)).with_units(units(1, q)))
}

/// `GET /servicePrincipals/{id}` or `/servicePrincipals(appId='…')`.
pub(crate) fn get(state: &State, call: &Call, key: &SpKey) -> Result<Reply> {
    call.caller.require_applications()?;
    let select = Select::parse(&call.query, &[&SERVICE_PRINCIPAL], false)?;
    let t = tenant(state, call)?;
    let (id, sp) = key.resolve(t)?;
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        json!(format!(
            "{}/v1.0/$metadata#{}/$entity",
            state.base,
            select.context("servicePrincipals")
        )),
    );
    sp.obj.props.render(
        &SERVICE_PRINCIPAL,
        &id.to_string(),
        &select.indexes(&SERVICE_PRINCIPAL),
        &mut body,
    );
    Ok(Reply::json(Value::Object(body)))
}

/// `GET /servicePrincipals/{id}/appRoleAssignedTo`: who is assigned to the app.
pub(crate) fn assigned_to(state: &State, call: &Call, key: &SpKey) -> Result<Reply> {
    call.caller.require_applications()?;
    let q = &call.query;
    q.reject_unsupported(call.advanced.eventual, false)?;
    if q.has("$filter") {
        call.advanced.require("filter")?;
        return Err(GraphError::unsupported("Unsupported Query."));
    }
    let select = Select::parse(q, &[&APP_ROLE_ASSIGNMENT], false)?;
    let size = page_size(state, q)?;
    let listing = Listing {
        tenant: &call.caller.tenant,
        path: call.path,
        query: q,
    };
    let after = listing.after(state)?;
    let t = tenant(state, call)?;
    let (sp_id, sp) = key.resolve(t)?;
    let indexes = select.indexes(&APP_ROLE_ASSIGNMENT);
    let start = after.map_or(Bound::Unbounded, Bound::Excluded);
    let sp_name = sp
        .obj
        .props
        .str(SERVICE_PRINCIPAL.index("displayName").unwrap_or(0))
        .unwrap_or_default();
    let items = sp
        .assignments
        .range::<String, _>((start, Bound::Unbounded))
        .filter(|(_, a)| t.visible(&a.principal, a.kind))
        .map(|(aid, a)| {
            let principal_name = t
                .object(&a.principal, a.kind)
                .and_then(|o| {
                    o.props
                        .str(a.kind.schema().index("displayName").unwrap_or(0))
                })
                .map(str::to_owned);
            let mut props = Props::default();
            for (name, value) in [
                ("appRoleId", json!(a.app_role_id)),
                ("createdDateTime", json!(crate::clock::iso(a.created))),
                ("principalDisplayName", json!(principal_name)),
                ("principalId", json!(a.principal.to_string())),
                ("principalType", json!(a.kind.principal_type())),
                ("resourceDisplayName", json!(sp_name)),
                ("resourceId", json!(sp_id.to_string())),
            ] {
                if let Some(i) = APP_ROLE_ASSIGNMENT.index(name) {
                    props.set(i, value);
                }
            }
            let mut out = Map::new();
            props.render(&APP_ROLE_ASSIGNMENT, aid, &indexes, &mut out);
            (aid.clone(), Value::Object(out))
        });
    let (value, more) = take(items, size);
    let next = more.map(|a| listing.next_link(state, &a));
    let context = format!("servicePrincipals('{sp_id}')/appRoleAssignedTo");
    Ok(Reply::json(collection(&state.base, &context, None, next, value)).with_units(units(2, q)))
}
