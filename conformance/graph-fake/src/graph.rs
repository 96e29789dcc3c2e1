//! Graph's URL space under `/v1.0`: authentication first (401 precedes 400), then the
//! query string, then the path. Read-only: anything but GET (and POST `$batch`) is refused.

use crate::apps::{self, SpKey};
use crate::auth::{self, Caller};
use crate::batch;
use crate::changes::Collection;
use crate::delta;
use crate::lists;
use crate::members::{self, cast_kind, MemberQuery};
use crate::query::{decode, Advanced, Query};
use crate::reply::{GraphError, Reply, Result};
use crate::request::Incoming;
use crate::state::State;

/// One authenticated Graph call.
pub(crate) struct Call<'a> {
    pub caller: Caller,
    pub req: &'a Incoming,
    pub query: Query,
    /// Path after `/v1.0`, as requested (still encoded).
    pub path: &'a str,
    pub advanced: Advanced,
}

/// The path after the version segment; Graph's beta and unknown versions are refused.
fn versionless(path: &str) -> Result<&str> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    let version = trimmed.split('/').next().unwrap_or_default();
    if version.eq_ignore_ascii_case("v1.0") {
        Ok(trimmed.get(version.len()..).unwrap_or_default())
    } else {
        Err(GraphError::new(
            400,
            "BadRequest",
            format!("Invalid version: {version}"),
        ))
    }
}

/// A request to `/v1.0/…`. `batch_item`: it came out of a `$batch` (which cannot nest).
pub(crate) fn serve(state: &mut State, req: &Incoming, batch_item: bool) -> Result<Reply> {
    let path = versionless(&req.path)?;
    if path.eq_ignore_ascii_case("/$batch") {
        if batch_item {
            return Err(GraphError::bad_request(
                "A $batch request cannot contain another $batch.",
            ));
        }
        return batch::serve(state, req);
    }
    let caller = auth::authenticate(state, req.header("authorization"))?;
    let query = Query::parse(&req.query)?;
    let advanced = Advanced::of(&query, req.header("consistencylevel"))?;
    let call = Call {
        caller,
        req,
        query,
        path,
        advanced,
    };
    if !req.method.eq_ignore_ascii_case("GET") {
        return Err(GraphError::new(
            405,
            "Request_BadRequest",
            format!(
                "The {} method is not supported on this resource.",
                req.method
            ),
        ));
    }
    route(state, &call)
}

fn route(state: &mut State, call: &Call) -> Result<Reply> {
    // A trailing slash names the same resource.
    let segments = call
        .path
        .strip_suffix('/')
        .unwrap_or(call.path)
        .split('/')
        .skip(1)
        .map(|s| {
            decode(s, false)
                .ok_or_else(|| GraphError::bad_request("Invalid percent-encoding in the path."))
        })
        .collect::<Result<Vec<String>>>()?;
    let lower: Vec<String> = segments.iter().map(|s| s.to_ascii_lowercase()).collect();
    let l: Vec<&str> = lower.iter().map(String::as_str).collect();
    // The original spelling of segment `i` (ids, UPNs and app ids keep their case).
    let s = |i: usize| segments.get(i).map_or("", String::as_str);
    let is_cast = |seg: &str| seg.starts_with("microsoft.graph.");
    let relationship = |rel: &str| rel == "members" || rel == "transitivemembers";
    match l.as_slice() {
        ["users"] => lists::list(state, call, Collection::Users),
        ["users", "$count"] => lists::count(state, call, Collection::Users),
        ["users", "delta" | "delta()"] => delta::serve(state, call, Collection::Users),
        ["users", _] => lists::user(state, call, s(1)),
        ["users", _, "memberof"] => members::member_of(state, call, s(1)),
        ["groups"] => lists::list(state, call, Collection::Groups),
        ["groups", "$count"] => lists::count(state, call, Collection::Groups),
        ["groups", "delta" | "delta()"] => delta::serve(state, call, Collection::Groups),
        ["groups", _] => lists::group(state, call, s(1)),
        ["groups", _, rel] if relationship(rel) => members(state, call, s(1), rel, None, false),
        ["groups", _, rel, "$count"] if relationship(rel) => {
            members(state, call, s(1), rel, None, true)
        }
        ["groups", _, rel, cast] if relationship(rel) && is_cast(cast) => {
            members(state, call, s(1), rel, Some(cast), false)
        }
        ["groups", _, rel, cast, "$count"] if relationship(rel) && is_cast(cast) => {
            members(state, call, s(1), rel, Some(cast), true)
        }
        ["serviceprincipals"] => apps::list(state, call),
        ["serviceprincipals", id] => apps::get(state, call, &SpKey::Id((*id).to_owned())),
        ["serviceprincipals", _, "approleassignedto"] => {
            apps::assigned_to(state, call, &SpKey::Id(s(1).to_owned()))
        }
        [sp] if SpKey::from_segment(s(0)).is_some() && sp.starts_with("serviceprincipals(") => {
            let key = SpKey::from_segment(s(0)).ok_or_else(|| GraphError::no_segment(s(0)))?;
            apps::get(state, call, &key)
        }
        [_, "approleassignedto"] if SpKey::from_segment(s(0)).is_some() => {
            let key = SpKey::from_segment(s(0)).ok_or_else(|| GraphError::no_segment(s(0)))?;
            apps::assigned_to(state, call, &key)
        }
        ["directory", "deleteditems", "microsoft.graph.user"] => {
            lists::deleted_items(state, call, Collection::Users)
        }
        ["directory", "deleteditems", "microsoft.graph.group"] => {
            lists::deleted_items(state, call, Collection::Groups)
        }
        _ => {
            let unknown = segments
                .iter()
                .find(|seg| !seg.is_empty())
                .map_or("", String::as_str);
            Err(GraphError::no_segment(unknown))
        }
    }
}

fn members(
    state: &State,
    call: &Call,
    group: &str,
    relationship: &str,
    cast: Option<&str>,
    count_only: bool,
) -> Result<Reply> {
    let cast = cast.map(cast_kind).transpose()?;
    members::members(
        state,
        call,
        &MemberQuery {
            group,
            transitive: relationship == "transitivemembers",
            cast,
            count_only,
        },
    )
}
