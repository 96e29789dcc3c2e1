//! Relationship lists: `/groups/{id}/members`, `/groups/{id}/transitiveMembers` (with the
//! `microsoft.graph.*` casts and `$count`), `/users/{id}/memberOf` (graph.md §2.4–2.5).
//! Items carry `@odata.type`; objects the app may not read come back as "limited
//! information": `@odata.type` and `id` only (graph.md §1.5).

use crate::auth::Caller;
use crate::directory::{Id, Kind, Tenant};
use crate::filter::{parse_filter, Target};
use crate::graph::Call;
use crate::lists::{matches, parse_id, range_after, require_count_header, tenant, units};
use crate::paging::{collection, page_size, take, Listing};
use crate::query::Select;
use crate::reply::{GraphError, Reply, Result};
use crate::schema::{DEVICE, GROUP, SERVICE_PRINCIPAL, USER};
use crate::state::State;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// How one member list renders each type (index lists computed once per request).
pub(crate) struct MemberView<'a> {
    caller: &'a Caller,
    user: Vec<u8>,
    group: Vec<u8>,
    device: Vec<u8>,
    sp: Vec<u8>,
}

impl<'a> MemberView<'a> {
    pub fn new(caller: &'a Caller, select: &Select) -> MemberView<'a> {
        MemberView {
            caller,
            user: select.indexes(&USER),
            group: select.indexes(&GROUP),
            device: select.indexes(&DEVICE),
            sp: select.indexes(&SERVICE_PRINCIPAL),
        }
    }

    pub fn render(&self, t: &Tenant, id: &Id, kind: Kind) -> Value {
        let mut out = Map::new();
        out.insert(
            "@odata.type".into(),
            Value::String(kind.odata_type().into()),
        );
        let obj = t.object(id, kind);
        match obj {
            Some(obj) if self.caller.can_read(kind) => {
                let indexes = match kind {
                    Kind::User => &self.user,
                    Kind::Group => &self.group,
                    Kind::Device => &self.device,
                    Kind::ServicePrincipal => &self.sp,
                };
                obj.props
                    .render(kind.schema(), &id.to_string(), indexes, &mut out);
            }
            _ => {
                out.insert("id".into(), Value::String(id.to_string()));
            }
        }
        Value::Object(out)
    }
}

/// `microsoft.graph.user` → the type it keeps.
pub(crate) fn cast_kind(segment: &str) -> Result<Kind> {
    match segment.to_ascii_lowercase().as_str() {
        "microsoft.graph.user" => Ok(Kind::User),
        "microsoft.graph.group" => Ok(Kind::Group),
        "microsoft.graph.device" => Ok(Kind::Device),
        "microsoft.graph.serviceprincipal" => Ok(Kind::ServicePrincipal),
        _ => Err(GraphError::no_segment(segment)),
    }
}

/// Direct members, or the closure over nested groups (cycle-safe; a group never counts as
/// its own transitive member).
fn member_set<'t>(t: &'t Tenant, group: &Id, transitive: bool) -> Cow<'t, BTreeMap<Id, Kind>> {
    let Some(g) = t.groups.get(group) else {
        return Cow::Owned(BTreeMap::new());
    };
    if !transitive {
        return Cow::Borrowed(&g.members);
    }
    let mut seen: BTreeMap<Id, Kind> = BTreeMap::new();
    let mut queue = vec![*group];
    while let Some(next) = queue.pop() {
        let Some(g) = t.groups.get(&next) else {
            continue;
        };
        for (id, kind) in &g.members {
            // Objects in the recycle bin break the chain, as they do in Entra.
            if id == group || !t.visible(id, *kind) || seen.contains_key(id) {
                continue;
            }
            seen.insert(*id, *kind);
            if *kind == Kind::Group {
                queue.push(*id);
            }
        }
    }
    Cow::Owned(seen)
}

pub(crate) struct MemberQuery<'a> {
    pub group: &'a str,
    pub transitive: bool,
    pub cast: Option<Kind>,
    /// The `$count` segment.
    pub count_only: bool,
}

pub(crate) fn members(state: &State, call: &Call, m: &MemberQuery) -> Result<Reply> {
    call.caller.require_groups()?;
    let q = &call.query;
    q.reject_unsupported(call.advanced.eventual, false)?;
    // Casts and filters on relationships exist only as advanced queries (graph.md §2.12).
    if m.count_only {
        require_count_header(call)?;
    } else {
        if m.cast.is_some() {
            call.advanced.require("cast")?;
        }
        if q.has("$filter") {
            call.advanced.require("filter")?;
        }
    }
    let schemas = match m.cast {
        Some(kind) => vec![kind.schema()],
        None => vec![&USER, &GROUP, &DEVICE, &SERVICE_PRINCIPAL],
    };
    let select = Select::parse(q, &schemas, false)?;
    let filter = q
        .get("$filter")
        .map(|f| parse_filter(f, Target::Members, call.advanced))
        .transpose()?;
    let id = parse_id(m.group)?;
    let t = tenant(state, call)?;
    if !t.visible(&id, Kind::Group) {
        return Err(GraphError::not_found(m.group));
    }
    let set = member_set(t, &id, m.transitive);
    let keep = |mid: &Id, kind: Kind| {
        m.cast.is_none_or(|c| c == kind)
            && t.object(mid, kind).is_some_and(|o| {
                o.deleted_at.is_none() && matches(filter.as_ref(), kind.schema(), &o.props)
            })
    };
    if m.count_only {
        let n = set.iter().filter(|(mid, kind)| keep(mid, **kind)).count();
        return Ok(Reply::text(n.to_string()));
    }
    let size = page_size(state, q)?;
    let listing = Listing {
        tenant: &call.caller.tenant,
        path: call.path,
        query: q,
    };
    let after = listing.after(state)?;
    let view = MemberView::new(&call.caller, &select);
    let items = range_after(&*set, after.as_deref())?
        .filter(|(mid, kind)| keep(mid, **kind))
        .map(|(mid, kind)| (mid.to_string(), view.render(t, mid, *kind)));
    let (value, more) = take(items, size);
    let count = (call.advanced.counts() && after.is_none())
        .then(|| set.iter().filter(|(mid, kind)| keep(mid, **kind)).count());
    let next = more.map(|a| listing.next_link(state, &a));
    let context = match m.cast {
        Some(kind) => kind.schema().entity_set,
        None => "directoryObjects",
    };
    let cost = if m.transitive { 5 } else { 3 };
    Ok(
        Reply::json(collection(&state.base, context, count, next, value))
            .with_units(units(cost, q)),
    )
}

/// `GET /users/{id}/memberOf`: the groups the user is a direct member of.
pub(crate) fn member_of(state: &State, call: &Call, user: &str) -> Result<Reply> {
    call.caller.require_users()?;
    let q = &call.query;
    q.reject_unsupported(call.advanced.eventual, false)?;
    if q.has("$filter") {
        call.advanced.require("filter")?;
        return Err(GraphError::unsupported("Unsupported Query."));
    }
    let select = Select::parse(q, &[&GROUP], false)?;
    let t = tenant(state, call)?;
    let id = Id::parse_str(user).ok().or_else(|| t.user_by_upn(user));
    let id = id
        .filter(|id| t.visible(id, Kind::User))
        .ok_or_else(|| GraphError::not_found(user))?;
    let groups: BTreeMap<Id, Kind> = t
        .groups
        .iter()
        .filter(|(_, g)| g.obj.deleted_at.is_none() && g.members.contains_key(&id))
        .map(|(gid, _)| (*gid, Kind::Group))
        .collect();
    let size = page_size(state, q)?;
    let listing = Listing {
        tenant: &call.caller.tenant,
        path: call.path,
        query: q,
    };
    let after = listing.after(state)?;
    let view = MemberView::new(&call.caller, &select);
    let items = range_after(&groups, after.as_deref())?
        .map(|(gid, kind)| (gid.to_string(), view.render(t, gid, *kind)));
    let (value, more) = take(items, size);
    let next = more.map(|a| listing.next_link(state, &a));
    Ok(Reply::json(collection(
        &state.base,
        "directoryObjects",
        None,
        next,
        value,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitive_closure_survives_cycles() {
        let mut t = Tenant::new("t");
        let (a, b, u) = (Id::from_u128(1), Id::from_u128(2), Id::from_u128(3));
        t.create_group(a, "A", 0);
        t.create_group(b, "B", 0);
        t.create_user(u, &crate::NewUser::named("u"), 0).unwrap();
        t.add_member(&a, &b).unwrap();
        t.add_member(&b, &a).unwrap();
        t.add_member(&b, &u).unwrap();
        let set = member_set(&t, &a, true);
        assert_eq!(set.keys().copied().collect::<Vec<_>>(), [b, u]);
        assert_eq!(member_set(&t, &a, false).len(), 1);
        assert!(matches!(cast_kind("Microsoft.Graph.User"), Ok(Kind::User)));
    }
}
