//! `/users`, `/groups` (lists, `$count`, single objects) and the recycle bin
//! (`/directory/deletedItems/…`), plus helpers the other read endpoints share.

use crate::changes::Collection;
use crate::directory::{Id, Object, Tenant};
use crate::filter::{parse_filter, Filter, Target};
use crate::graph::Call;
use crate::paging::{collection, page_size, take, Listing};
use crate::query::{Query, Select};
use crate::reply::{GraphError, Reply, Result};
use crate::schema::{Props, Schema, GROUP, USER};
use crate::state::State;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::ops::Bound;

pub(crate) fn tenant<'s>(state: &'s State, call: &Call) -> Result<&'s Tenant> {
    state
        .tenant(&call.caller.tenant)
        .ok_or_else(|| GraphError::unauthenticated("Invalid tenant.", &state.base))
}

/// An object id from a path segment (Graph answers 400 for a malformed one).
pub(crate) fn parse_id(key: &str) -> Result<Id> {
    Id::parse_str(key)
        .map_err(|_| GraphError::bad_request(format!("Invalid object identifier '{key}'.")))
}

/// Resource units of a read (graph.md §3.3): base cost, −1 with `$select`, −1 with a small
/// `$top`, at least 1.
pub(crate) fn units(base: u32, query: &Query) -> u32 {
    let mut u = base;
    if query.has("$select") {
        u = u.saturating_sub(1);
    }
    if query.top().ok().flatten().is_some_and(|t| t < 20) {
        u = u.saturating_sub(1);
    }
    u.max(1)
}

/// The entries of `map` after `after` (a key from a `$skiptoken`).
pub(crate) fn range_after<'m, V>(
    map: &'m BTreeMap<Id, V>,
    after: Option<&str>,
) -> Result<impl Iterator<Item = (&'m Id, &'m V)>> {
    let start = match after {
        None => Bound::Unbounded,
        Some(a) => {
            Bound::Excluded(Id::parse_str(a).map_err(|_| crate::paging::expired_page_token())?)
        }
    };
    Ok(map.range((start, Bound::Unbounded)))
}

pub(crate) fn matches(filter: Option<&Filter>, schema: &Schema, props: &Props) -> bool {
    let Some(filter) = filter else { return true };
    let prop = |name: &str| schema.index(name).and_then(|i| props.get(i));
    match filter {
        Filter::AccountEnabled(b) => prop("accountEnabled") == Some(&Value::Bool(*b)),
        Filter::DisplayName(names) => prop("displayName")
            .and_then(Value::as_str)
            .is_some_and(|d| names.iter().any(|n| n.eq_ignore_ascii_case(d))),
        Filter::AppId(app) => prop("appId")
            .and_then(Value::as_str)
            .is_some_and(|a| a.eq_ignore_ascii_case(app)),
        Filter::Ids(_) => true,
    }
}

pub(crate) fn render(schema: &Schema, id: &Id, props: &Props, indexes: &[u8]) -> Value {
    let mut out = Map::new();
    props.render(schema, &id.to_string(), indexes, &mut out);
    Value::Object(out)
}

/// The `$count` segment needs only the header (graph.md §2.12).
pub(crate) fn require_count_header(call: &Call) -> Result<()> {
    if call.advanced.eventual {
        Ok(())
    } else {
        Err(GraphError::bad_request(
            "$count is not currently supported.",
        ))
    }
}

/// What differs between `/users` and `/groups`.
struct Shape {
    schema: &'static Schema,
    target: Target,
    /// Base throttling cost of a page (graph.md §3.3).
    cost: u32,
}

fn shape(c: Collection) -> Shape {
    match c {
        Collection::Users => Shape {
            schema: &USER,
            target: Target::Users,
            cost: 2,
        },
        Collection::Groups => Shape {
            schema: &GROUP,
            target: Target::Groups,
            cost: 1,
        },
    }
}

/// The collection's objects in id order, after `after`.
fn objects<'t>(
    t: &'t Tenant,
    c: Collection,
    after: Option<&str>,
) -> Result<Box<dyn Iterator<Item = (&'t Id, &'t Object)> + 't>> {
    Ok(match c {
        Collection::Users => Box::new(range_after(&t.users, after)?),
        Collection::Groups => Box::new(range_after(&t.groups, after)?.map(|(id, g)| (id, &g.obj))),
    })
}

fn require_read(call: &Call, c: Collection) -> Result<()> {
    match c {
        Collection::Users => call.caller.require_users(),
        Collection::Groups => call.caller.require_groups(),
    }
}

/// `GET /users`, `GET /groups`.
pub(crate) fn list(state: &State, call: &Call, c: Collection) -> Result<Reply> {
    require_read(call, c)?;
    let k = shape(c);
    let q = &call.query;
    q.reject_unsupported(call.advanced.eventual, false)?;
    let select = Select::parse(q, &[k.schema], false)?;
    let filter = q
        .get("$filter")
        .map(|f| parse_filter(f, k.target, call.advanced))
        .transpose()?;
    let size = page_size(state, q)?;
    let listing = Listing {
        tenant: &call.caller.tenant,
        path: call.path,
        query: q,
    };
    let after = listing.after(state)?;
    let t = tenant(state, call)?;
    let indexes = select.indexes(k.schema);
    let keep = |o: &Object| o.deleted_at.is_none() && matches(filter.as_ref(), k.schema, &o.props);
    let items = objects(t, c, after.as_deref())?
        .filter(|(_, o)| keep(o))
        .map(|(id, o)| (id.to_string(), render(k.schema, id, &o.props, &indexes)));
    let (value, more) = take(items, size);
    let count = (call.advanced.counts() && after.is_none())
        .then(|| objects(t, c, None).map(|all| all.filter(|(_, o)| keep(o)).count()))
        .transpose()?;
    let next = more.map(|a| listing.next_link(state, &a));
    let context = select.context(k.schema.entity_set);
    Ok(
        Reply::json(collection(&state.base, &context, count, next, value))
            .with_units(units(k.cost, q)),
    )
}

/// `GET /users/$count`, `GET /groups/$count`.
pub(crate) fn count(state: &State, call: &Call, c: Collection) -> Result<Reply> {
    require_read(call, c)?;
    require_count_header(call)?;
    let k = shape(c);
    let filter = call
        .query
        .get("$filter")
        .map(|f| parse_filter(f, k.target, call.advanced))
        .transpose()?;
    let t = tenant(state, call)?;
    let n = objects(t, c, None)?
        .filter(|(_, o)| o.deleted_at.is_none() && matches(filter.as_ref(), k.schema, &o.props))
        .count();
    Ok(Reply::text(n.to_string()))
}

/// `GET /users/{id | userPrincipalName}`.
pub(crate) fn user(state: &State, call: &Call, key: &str) -> Result<Reply> {
    call.caller.require_users()?;
    let select = Select::parse(&call.query, &[&USER], false)?;
    let t = tenant(state, call)?;
    let id = Id::parse_str(key).ok().or_else(|| t.user_by_upn(key));
    let (id, user) = id
        .and_then(|id| t.users.get(&id).map(|u| (id, u)))
        .filter(|(_, u)| u.deleted_at.is_none())
        .ok_or_else(|| GraphError::not_found(key))?;
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        Value::String(format!(
            "{}/v1.0/$metadata#{}/$entity",
            state.base,
            select.context("users")
        )),
    );
    user.props
        .render(&USER, &id.to_string(), &select.indexes(&USER), &mut body);
    Ok(Reply::json(Value::Object(body)).with_units(units(1, &call.query)))
}

/// `GET /groups/{id}`.
pub(crate) fn group(state: &State, call: &Call, key: &str) -> Result<Reply> {
    call.caller.require_groups()?;
    let select = Select::parse(&call.query, &[&GROUP], false)?;
    let id = parse_id(key)?;
    let t = tenant(state, call)?;
    let g = t
        .groups
        .get(&id)
        .filter(|g| g.obj.deleted_at.is_none())
        .ok_or_else(|| GraphError::not_found(key))?;
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        Value::String(format!(
            "{}/v1.0/$metadata#{}/$entity",
            state.base,
            select.context("groups")
        )),
    );
    g.obj
        .props
        .render(&GROUP, &id.to_string(), &select.indexes(&GROUP), &mut body);
    Ok(Reply::json(Value::Object(body)).with_units(units(1, &call.query)))
}

/// `GET /directory/deletedItems/microsoft.graph.user|group`: the recycle bin.
pub(crate) fn deleted_items(state: &State, call: &Call, c: Collection) -> Result<Reply> {
    require_read(call, c)?;
    let schema = shape(c).schema;
    let q = &call.query;
    q.reject_unsupported(call.advanced.eventual, false)?;
    if q.has("$filter") {
        return Err(GraphError::unsupported("Unsupported Query."));
    }
    let select = Select::parse(q, &[schema], false)?;
    let size = page_size(state, q)?;
    let listing = Listing {
        tenant: &call.caller.tenant,
        path: call.path,
        query: q,
    };
    let after = listing.after(state)?;
    let t = tenant(state, call)?;
    let mut indexes = select.indexes(schema);
    if select.explicit().is_none() {
        indexes.extend(schema.index("deletedDateTime"));
    }
    let items = objects(t, c, after.as_deref())?.filter_map(|(id, o)| {
        let deleted = o.deleted_at?;
        let mut v = render(schema, id, &o.props, &indexes);
        if let (Some(map), Some(i)) = (v.as_object_mut(), schema.index("deletedDateTime")) {
            if indexes.contains(&i) {
                map.insert(
                    "deletedDateTime".into(),
                    Value::String(crate::clock::iso(deleted)),
                );
            }
        }
        Some((id.to_string(), v))
    });
    let (value, more) = take(items, size);
    let next = more.map(|a| listing.next_link(state, &a));
    let context = format!(
        "directory/deletedItems/{}",
        schema.odata_type.trim_start_matches('#')
    );
    Ok(Reply::json(collection(
        &state.base,
        &context,
        None,
        next,
        value,
    )))
}
