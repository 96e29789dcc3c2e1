//! `/users/delta` and `/groups/delta` (graph.md §2.6–2.7).
//!
//! A round is fixed at its start: `to` is the change-log sequence then. The initial round
//! walks the current objects by id; an incremental round walks the plan of `(from, to]`.
//! Both read objects' *current* state, so a change after `to` may show up early and again
//! in the next round (Graph replays too). The `$skiptoken` carries the round and a cursor;
//! the final page carries a `$deltatoken` for `to`. Page size is the service's
//! (`set_delta_page_size`); a group object and each `members@delta` entry count one, and a
//! group whose members do not fit is repeated on the next page with the next slice.

use crate::changes::{Collection, PlanItem};
use crate::directory::{Group, Id, Kind, Object, Tenant};
use crate::faults::sync_state_not_found;
use crate::filter::{parse_filter, Filter, Target};
use crate::graph::Call;
use crate::paging::expired_page_token;
use crate::query::Select;
use crate::reply::{GraphError, Reply, Result};
use crate::schema::{self, Schema, GROUP, USER};
use crate::state::{State, DELTA_TOKEN_LIFETIME};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::ops::Bound;

/// What a round tracks; fixed by the initial request and carried in every token.
#[derive(Clone, Serialize, Deserialize)]
struct Spec {
    /// `users` or `groups`.
    c: String,
    /// `$select`ed names (`None`: the default set).
    s: Option<Vec<String>>,
    /// `members@delta` tracked.
    m: bool,
    /// `$filter=id eq …` ids.
    i: Option<Vec<Id>>,
}

/// `$skiptoken` of a round in progress.
#[derive(Serialize, Deserialize)]
struct Round {
    k: String,
    t: String,
    spec: Spec,
    /// Sequence the round continues from; `None` for the initial round.
    from: Option<u64>,
    /// Sequence at the round's start.
    to: u64,
    /// Initial round: the last object (partly) served.
    at: Option<Id>,
    /// Initial round: the last member served of `at`, when `at` is unfinished.
    mc: Option<Id>,
    /// Incremental round: the plan item to serve next, and how many of its members are done.
    i: usize,
    j: usize,
}

/// `$deltatoken`.
#[derive(Serialize, Deserialize)]
struct DeltaLink {
    k: String,
    t: String,
    spec: Spec,
    seq: u64,
    /// When it was handed out (the fake's clock), for the 7-day expiry.
    ts: u64,
}

const ROUND: &str = "round";
const DELTA: &str = "delta";

fn name(c: Collection) -> &'static str {
    match c {
        Collection::Users => "users",
        Collection::Groups => "groups",
    }
}

fn schema(c: Collection) -> &'static Schema {
    match c {
        Collection::Users => &USER,
        Collection::Groups => &GROUP,
    }
}

fn spec_from_query(call: &Call, c: Collection) -> Result<Spec> {
    let q = &call.query;
    let groups = c == Collection::Groups;
    let select = Select::parse(q, &[schema(c)], groups)?;
    let mut members = select.members;
    if let Some(expand) = q.get("$expand") {
        // Older examples turn on membership tracking with `$expand=members`.
        if groups && expand.trim().eq_ignore_ascii_case("members") {
            members = true;
        } else {
            return Err(GraphError::unsupported(
                "$expand is not supported on this resource.",
            ));
        }
    }
    let ids = match q.get("$filter") {
        None => None,
        Some(f) => match parse_filter(f, Target::Delta, call.advanced)? {
            Filter::Ids(ids) => Some(ids),
            _ => return Err(GraphError::unsupported("Unsupported Query.")),
        },
    };
    Ok(Spec {
        c: name(c).into(),
        s: select.names_owned(),
        m: members,
        i: ids,
    })
}

pub(crate) fn serve(state: &mut State, call: &Call, c: Collection) -> Result<Reply> {
    match c {
        Collection::Users => call.caller.require_users()?,
        Collection::Groups => call.caller.require_groups()?,
    }
    let q = &call.query;
    for option in ["$top", "$orderby", "$count", "$search", "$skip"] {
        if q.has(option) {
            return Err(GraphError::unsupported(format!(
                "The query option '{option}' is not supported with delta."
            )));
        }
    }
    let minimal = call
        .req
        .header("prefer")
        .is_some_and(|p| p.to_ascii_lowercase().contains("return=minimal"));
    let tenant_key = call.caller.tenant.clone();
    let seq = state
        .tenants
        .get(&tenant_key)
        .map(|t| t.log.seq())
        .unwrap_or_default();
    let now = state.clock.now();
    let round = if let Some(raw) = q.get("$skiptoken") {
        match state.sealer.open::<Round>(raw) {
            Some(r) if r.k == ROUND && r.t == tenant_key && r.spec.c == name(c) => r,
            _ => return Err(expired_page_token()),
        }
    } else if let Some(raw) = q.get("$deltatoken") {
        if raw.eq_ignore_ascii_case("latest") {
            let spec = spec_from_query(call, c)?;
            let link = delta_link(state, &tenant_key, spec, seq, now, c);
            return Ok(page_reply(state, c, None, link, true, Vec::new(), false));
        }
        let link = match state.sealer.open::<DeltaLink>(raw) {
            Some(d) if d.k == DELTA && d.t == tenant_key && d.spec.c == name(c) => d,
            _ => return Err(GraphError::bad_request("Badly formed delta token.")),
        };
        if now.saturating_sub(link.ts) > DELTA_TOKEN_LIFETIME {
            return Err(sync_state_not_found());
        }
        Round {
            k: ROUND.into(),
            t: tenant_key.clone(),
            spec: link.spec,
            from: Some(link.seq.saturating_sub(state.delta_replay)),
            to: seq,
            at: None,
            mc: None,
            i: 0,
            j: 0,
        }
    } else {
        Round {
            k: ROUND.into(),
            t: tenant_key.clone(),
            spec: spec_from_query(call, c)?,
            from: None,
            to: seq,
            at: None,
            mc: None,
            i: 0,
            j: 0,
        }
    };
    serve_page(state, c, round, minimal)
}

/// How one round renders objects.
struct View {
    indexes: Vec<u8>,
    select_mask: u64,
    members: bool,
    ids: Option<BTreeSet<Id>>,
    minimal: bool,
    budget: usize,
}

fn serve_page(state: &mut State, c: Collection, mut round: Round, minimal: bool) -> Result<Reply> {
    let sch = schema(c);
    let select = Select::from_names(round.spec.s.clone(), sch, round.spec.m);
    let indexes = select.indexes(sch);
    let view = View {
        select_mask: schema::mask(&indexes),
        indexes,
        members: round.spec.m,
        ids: round
            .spec
            .i
            .as_ref()
            .map(|ids| ids.iter().copied().collect()),
        // Only incremental rounds have "changed properties" to be minimal about.
        minimal: minimal && round.from.is_some(),
        budget: state.delta_page_size.max(1),
    };
    let tenant = state
        .tenants
        .get_mut(&round.t)
        .ok_or_else(|| GraphError::unauthenticated("Invalid tenant.", &state.base))?;
    let (value, done) = match (c, round.from) {
        (Collection::Users, None) => initial_users(tenant, &mut round, &view),
        (Collection::Groups, None) => initial_groups(tenant, &mut round, &view),
        (_, Some(from)) => {
            let plan = tenant
                .log
                .plan(c, from, round.to, view.select_mask, view.members);
            incremental(tenant, c, &plan, &mut round, &view)
        }
    };
    let now = state.clock.now();
    let link = if done {
        delta_link(state, &round.t, round.spec.clone(), round.to, now, c)
    } else {
        format!(
            "{}/v1.0/{}/delta?$skiptoken={}",
            state.base,
            name(c),
            state.sealer.seal(&round)
        )
    };
    let context = select.context(name(c));
    Ok(page_reply(
        state,
        c,
        Some(context),
        link,
        done,
        value,
        view.minimal,
    ))
}

fn delta_link(
    state: &State,
    tenant: &str,
    spec: Spec,
    seq: u64,
    now: u64,
    c: Collection,
) -> String {
    let token = state.sealer.seal(&DeltaLink {
        k: DELTA.into(),
        t: tenant.to_owned(),
        spec,
        seq,
        ts: now,
    });
    format!("{}/v1.0/{}/delta?$deltatoken={token}", state.base, name(c))
}

fn page_reply(
    state: &State,
    c: Collection,
    context: Option<String>,
    link: String,
    done: bool,
    value: Vec<Value>,
    minimal: bool,
) -> Reply {
    let mut body = Map::new();
    let context = context.unwrap_or_else(|| name(c).to_owned());
    body.insert(
        "@odata.context".into(),
        json!(format!("{}/v1.0/$metadata#{context}", state.base)),
    );
    let key = if done {
        "@odata.deltaLink"
    } else {
        "@odata.nextLink"
    };
    body.insert(key.into(), Value::String(link));
    body.insert("value".into(), Value::Array(value));
    let reply = Reply::json(Value::Object(body));
    if minimal {
        reply.with_header("Preference-Applied", "return=minimal")
    } else {
        reply
    }
}

/// Candidates of an initial round in id order from `start`: all objects, or the filtered ids.
fn candidates<'t, V>(
    map: &'t std::collections::BTreeMap<Id, V>,
    ids: Option<&'t BTreeSet<Id>>,
    start: Bound<Id>,
) -> Box<dyn Iterator<Item = (&'t Id, &'t V)> + 't> {
    match ids {
        None => Box::new(map.range((start, Bound::Unbounded))),
        Some(ids) => Box::new(
            ids.range((start, Bound::Unbounded))
                .filter_map(|id| map.get_key_value(id)),
        ),
    }
}

fn object(schema: &Schema, id: &Id, obj: &Object, indexes: &[u8]) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("id".into(), Value::String(id.to_string()));
    obj.props.render(schema, &id.to_string(), indexes, &mut out);
    out
}

fn removed(id: &Id, reason: &str) -> Value {
    json!({ "id": id.to_string(), "@removed": { "reason": reason } })
}

fn member_entry(id: &Id, kind: Kind, present: bool) -> Value {
    if present {
        json!({ "@odata.type": kind.odata_type(), "id": id.to_string() })
    } else {
        json!({ "@odata.type": kind.odata_type(), "id": id.to_string(), "@removed": { "reason": "deleted" } })
    }
}

fn initial_users(t: &Tenant, round: &mut Round, view: &View) -> (Vec<Value>, bool) {
    let start = round.at.map_or(Bound::Unbounded, Bound::Excluded);
    let mut out = Vec::new();
    for (id, user) in candidates(&t.users, view.ids.as_ref(), start) {
        if user.deleted_at.is_some() {
            continue;
        }
        if out.len() == view.budget {
            return (out, false);
        }
        out.push(Value::Object(object(&USER, id, user, &view.indexes)));
        round.at = Some(*id);
    }
    (out, true)
}

fn initial_groups(t: &Tenant, round: &mut Round, view: &View) -> (Vec<Value>, bool) {
    let resume = round.at.zip(round.mc);
    let start = match (round.at, resume) {
        (Some(at), Some(_)) => Bound::Included(at),
        (Some(at), None) => Bound::Excluded(at),
        (None, _) => Bound::Unbounded,
    };
    let mut budget = view.budget;
    let mut out = Vec::new();
    for (id, group) in candidates(&t.groups, view.ids.as_ref(), start) {
        if group.obj.deleted_at.is_some() {
            continue;
        }
        if budget == 0 {
            return (out, false);
        }
        budget -= 1;
        let mut obj = object(&GROUP, id, &group.obj, &view.indexes);
        let member_after = resume.filter(|(at, _)| at == id).map(|(_, mc)| mc);
        if view.members {
            let (slice, last, more) = member_slice(t, group, member_after, budget.max(1));
            budget = budget.saturating_sub(slice.len());
            if !slice.is_empty() {
                obj.insert("members@delta".into(), Value::Array(slice));
            }
            if more {
                out.push(Value::Object(obj));
                round.at = Some(*id);
                round.mc = last.or(member_after);
                return (out, false);
            }
        }
        out.push(Value::Object(obj));
        round.at = Some(*id);
        round.mc = None;
    }
    (out, true)
}

/// Up to `max` current members after `after`; the last one served and whether more remain.
fn member_slice(
    t: &Tenant,
    group: &Group,
    after: Option<Id>,
    max: usize,
) -> (Vec<Value>, Option<Id>, bool) {
    let start = after.map_or(Bound::Unbounded, Bound::Excluded);
    let mut slice = Vec::new();
    let mut last = None;
    for (mid, kind) in group.members.range((start, Bound::Unbounded)) {
        if !t.visible(mid, *kind) {
            continue;
        }
        if slice.len() == max {
            return (slice, last, true);
        }
        slice.push(member_entry(mid, *kind, true));
        last = Some(*mid);
    }
    (slice, last, false)
}

fn incremental(
    t: &Tenant,
    c: Collection,
    plan: &[PlanItem],
    round: &mut Round,
    view: &View,
) -> (Vec<Value>, bool) {
    let sch = schema(c);
    let mut budget = view.budget;
    let mut out = Vec::new();
    while let Some(item) = plan.get(round.i) {
        if view.ids.as_ref().is_some_and(|ids| !ids.contains(&item.id)) {
            round.i += 1;
            round.j = 0;
            continue;
        }
        if budget == 0 {
            return (out, false);
        }
        budget -= 1;
        let current = match c {
            Collection::Users => t.users.get(&item.id),
            Collection::Groups => t.groups.get(&item.id).map(|g| &g.obj),
        };
        let obj = match current {
            None => {
                out.push(removed(&item.id, "deleted"));
                round.i += 1;
                round.j = 0;
                continue;
            }
            Some(o) if o.deleted_at.is_some() => {
                out.push(removed(&item.id, "changed"));
                round.i += 1;
                round.j = 0;
                continue;
            }
            Some(o) => o,
        };
        let indexes: Vec<u8> = if view.minimal && !item.lifecycle {
            view.indexes
                .iter()
                .copied()
                .filter(|i| item.mask & schema::bit(*i) != 0 && *i != schema::ID)
                .collect()
        } else {
            view.indexes.clone()
        };
        let mut rendered = object(sch, &item.id, obj, &indexes);
        if let (true, Some(group)) = (view.members, t.groups.get(&item.id)) {
            let end = item.members.len().min(round.j + budget.max(1));
            let slice: Vec<Value> = item
                .members
                .get(round.j..end)
                .unwrap_or_default()
                .iter()
                .map(|(mid, kind)| {
                    let present = group.members.contains_key(mid) && t.visible(mid, *kind);
                    member_entry(mid, *kind, present)
                })
                .collect();
            budget = budget.saturating_sub(slice.len());
            if !slice.is_empty() {
                rendered.insert("members@delta".into(), Value::Array(slice));
            }
            if end < item.members.len() {
                out.push(Value::Object(rendered));
                round.j = end;
                return (out, false);
            }
        }
        out.push(Value::Object(rendered));
        round.i += 1;
        round.j = 0;
    }
    (out, true)
}
