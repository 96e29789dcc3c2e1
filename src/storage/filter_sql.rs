//! Bound SCIM filter → SQL predicate over the extracted columns.
//!
//! A filter is split into an SQL part that is a *necessary* condition and, when some attribute has
//! no column (`title`, `name.givenName`, extensions, …), a residual: the caller fetches candidates
//! with the SQL part and re-checks the whole filter in memory (`crate::scim::filter::matches`).
//! Every predicate produced here is two-valued (never SQL NULL), so `NOT` means what the
//! in-memory evaluator means: an absent attribute fails every comparison except `ne`.

use super::rows::fold;
use super::schema::{groups, memberships, user_emails, users};
use super::time::{is_sub_microsecond, parse_rfc3339};
use super::Backend;
use crate::scim::filter::{AttrLoc, BoundAttr, BoundFilter, CompValue, CompareOp};
use diesel::expression::{
    AppearsOnTable, BoxableExpression, Expression, SelectableExpression, ValidGrouping,
};
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::Bool;

pub(crate) type UserPred = Box<dyn BoxableExpression<users::table, Backend, SqlType = Bool>>;
pub(crate) type GroupPred = Box<dyn BoxableExpression<groups::table, Backend, SqlType = Bool>>;
type EmailPred = Box<dyn BoxableExpression<user_emails::table, Backend, SqlType = Bool>>;
type MemberPred = Box<dyn BoxableExpression<memberships::table, Backend, SqlType = Bool>>;

/// The SQL side of a filter. `sql: None` means "no constraint"; `residual` means the rows it
/// selects are only candidates and the filter must be re-evaluated on each.
pub(crate) struct SqlFilter<P> {
    pub sql: Option<P>,
    pub residual: bool,
}

/// What a filter subtree becomes in SQL.
enum Part<P> {
    /// Equivalent to the subtree.
    Exact(P),
    /// Implied by the subtree (every match satisfies it), but may admit non-matches.
    Necessary(P),
    /// Nothing usable.
    Unknown,
}

impl<P> Part<P> {
    fn map<Q>(self, f: impl FnOnce(P) -> Q) -> Part<Q> {
        match self {
            Part::Exact(p) => Part::Exact(f(p)),
            Part::Necessary(p) => Part::Necessary(f(p)),
            Part::Unknown => Part::Unknown,
        }
    }

    fn into_filter(self) -> SqlFilter<P> {
        match self {
            Part::Exact(p) => SqlFilter {
                sql: Some(p),
                residual: false,
            },
            Part::Necessary(p) => SqlFilter {
                sql: Some(p),
                residual: true,
            },
            Part::Unknown => SqlFilter {
                sql: None,
                residual: true,
            },
        }
    }
}

/// Boolean connectives for one table's predicates.
struct Logic<P> {
    and: fn(P, P) -> P,
    or: fn(P, P) -> P,
    not: fn(P) -> P,
}

macro_rules! logic {
    ($pred:ty) => {
        Logic::<$pred> {
            and: |a, b| Box::new(a.and(b)),
            or: |a, b| Box::new(a.or(b)),
            not: |a| Box::new(diesel::dsl::not(a)),
        }
    };
}

/// Translate And/Or/Not structurally and hand every other node to `leaf`.
fn walk<P>(f: &BoundFilter, logic: &Logic<P>, leaf: &dyn Fn(&BoundFilter) -> Part<P>) -> Part<P> {
    use Part::*;
    match f {
        BoundFilter::And(a, b) => match (walk(a, logic, leaf), walk(b, logic, leaf)) {
            (Exact(a), Exact(b)) => Exact((logic.and)(a, b)),
            (Exact(a) | Necessary(a), Exact(b) | Necessary(b)) => Necessary((logic.and)(a, b)),
            (Exact(p) | Necessary(p), Unknown) | (Unknown, Exact(p) | Necessary(p)) => Necessary(p),
            (Unknown, Unknown) => Unknown,
        },
        BoundFilter::Or(a, b) => match (walk(a, logic, leaf), walk(b, logic, leaf)) {
            (Exact(a), Exact(b)) => Exact((logic.or)(a, b)),
            (Exact(a) | Necessary(a), Exact(b) | Necessary(b)) => Necessary((logic.or)(a, b)),
            _ => Unknown,
        },
        // The negation of a necessary condition implies nothing.
        BoundFilter::Not(a) => match walk(a, logic, leaf) {
            Exact(a) => Exact((logic.not)(a)),
            _ => Unknown,
        },
        other => leaf(other),
    }
}

pub(crate) fn users(f: &BoundFilter, tenant_id: &str) -> SqlFilter<UserPred> {
    walk(f, &logic!(UserPred), &|leaf| user_leaf(leaf, tenant_id)).into_filter()
}

pub(crate) fn groups(f: &BoundFilter, tenant_id: &str) -> SqlFilter<GroupPred> {
    walk(f, &logic!(GroupPred), &|leaf| group_leaf(leaf, tenant_id)).into_filter()
}

/// Whether the filter refers to the group's `members` (their rows are then loaded for residual
/// evaluation).
pub(crate) fn mentions_members(f: &BoundFilter) -> bool {
    match f {
        BoundFilter::Compare(a, _, _) | BoundFilter::Present(a) => is_attr(a, "members"),
        BoundFilter::Any(a, inner) => is_attr(a, "members") || mentions_members(inner),
        BoundFilter::And(a, b) | BoundFilter::Or(a, b) => {
            mentions_members(a) || mentions_members(b)
        }
        BoundFilter::Not(a) => mentions_members(a),
    }
}

fn is_attr(a: &BoundAttr, name: &str) -> bool {
    a.loc == AttrLoc::Core && a.name.eq_ignore_ascii_case(name)
}

fn is_sub(a: &BoundAttr, name: &str, sub: &str) -> bool {
    is_attr(a, name)
        && a.sub
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case(sub))
}

fn is_top(a: &BoundAttr, name: &str) -> bool {
    is_attr(a, name) && a.sub.is_none()
}

/// `\`, `%` and `_` are literal in SCIM values; escape them for `LIKE … ESCAPE '\'`.
pub(super) fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// How a text column stores values.
#[derive(Clone, Copy, PartialEq)]
enum Case {
    /// Verbatim: only case-exact attributes compare exactly.
    Exact,
    /// Stored folded with [`fold`]: only case-insensitive attributes compare exactly.
    Folded,
}

/// The comparison value for a text column, or `None` when SQL cannot compare it exactly.
fn text_value(attr: &BoundAttr, v: &CompValue, case: Case) -> Option<String> {
    let CompValue::Str(s) = v else { return None };
    match (case, attr.case_exact) {
        (Case::Exact, true) => Some(s.clone()),
        (Case::Folded, false) => Some(fold(s)),
        _ => None,
    }
}

fn time_value(v: &CompValue) -> Option<chrono::NaiveDateTime> {
    let CompValue::Str(s) = v else { return None };
    // Stored timestamps have microsecond precision; a finer bound cannot be compared exactly.
    parse_rfc3339(s).filter(|t| !is_sub_microsecond(*t))
}

/// A comparison on a NOT NULL text column. `co`/`sw`/`ew` use LIKE, which SQLite folds for
/// ASCII: exact on folded columns, only a necessary condition on verbatim ones.
macro_rules! text_cmp {
    ($pred:ty, $col:expr, $op:expr, $v:expr, $case:expr) => {{
        let v: String = $v;
        let like_part = |p: $pred| {
            if $case == Case::Folded {
                Part::Exact(p)
            } else {
                Part::Necessary(p)
            }
        };
        let part: Part<$pred> = match $op {
            CompareOp::Eq => Part::Exact(Box::new($col.eq(v))),
            CompareOp::Ne => Part::Exact(Box::new($col.ne(v))),
            CompareOp::Gt => Part::Exact(Box::new($col.gt(v))),
            CompareOp::Ge => Part::Exact(Box::new($col.ge(v))),
            CompareOp::Lt => Part::Exact(Box::new($col.lt(v))),
            CompareOp::Le => Part::Exact(Box::new($col.le(v))),
            CompareOp::Co => like_part(Box::new(
                $col.like(format!("%{}%", escape_like(&v))).escape('\\'),
            )),
            CompareOp::Sw => like_part(Box::new(
                $col.like(format!("{}%", escape_like(&v))).escape('\\'),
            )),
            CompareOp::Ew => like_part(Box::new(
                $col.like(format!("%{}", escape_like(&v))).escape('\\'),
            )),
        };
        part
    }};
}

/// A comparison on a nullable text column: NULL (absent) satisfies only `ne`.
macro_rules! nullable_text_cmp {
    ($pred:ty, $col:expr, $op:expr, $v:expr, $case:expr) => {{
        let op: CompareOp = $op;
        text_cmp!($pred, $col.assume_not_null(), op, $v, $case).map(|inner| -> $pred {
            if op == CompareOp::Ne {
                Box::new($col.is_null().or(inner))
            } else {
                Box::new($col.is_not_null().and(inner))
            }
        })
    }};
}

/// Text attribute: compare when the value is usable, otherwise leave it to the residual.
macro_rules! text_leaf {
    ($pred:ty, $col:expr, $attr:expr, $op:expr, $v:expr, $case:expr, nullable) => {
        match text_value($attr, $v, $case) {
            Some(v) => nullable_text_cmp!($pred, $col, *$op, v, $case),
            None => Part::Unknown,
        }
    };
    ($pred:ty, $col:expr, $attr:expr, $op:expr, $v:expr, $case:expr) => {
        match text_value($attr, $v, $case) {
            Some(v) => text_cmp!($pred, $col, *$op, v, $case),
            None => Part::Unknown,
        }
    };
}

/// `pr`: present and not the empty string.
macro_rules! present {
    ($pred:ty, $col:expr, nullable) => {
        Part::<$pred>::Exact(Box::new(
            $col.is_not_null().and($col.assume_not_null().ne("")),
        ))
    };
    ($pred:ty, $col:expr) => {
        Part::<$pred>::Exact(Box::new($col.ne("")))
    };
}

macro_rules! time_leaf {
    ($pred:ty, $col:expr, $op:expr, $v:expr) => {
        match time_value($v) {
            None => Part::Unknown,
            Some(t) => {
                let part: Part<$pred> = match *$op {
                    CompareOp::Eq => Part::Exact(Box::new($col.eq(t))),
                    CompareOp::Ne => Part::Exact(Box::new($col.ne(t))),
                    CompareOp::Gt => Part::Exact(Box::new($col.gt(t))),
                    CompareOp::Ge => Part::Exact(Box::new($col.ge(t))),
                    CompareOp::Lt => Part::Exact(Box::new($col.lt(t))),
                    CompareOp::Le => Part::Exact(Box::new($col.le(t))),
                    CompareOp::Co | CompareOp::Sw | CompareOp::Ew => Part::Unknown,
                };
                part
            }
        }
    };
}

fn user_leaf(f: &BoundFilter, tenant_id: &str) -> Part<UserPred> {
    match f {
        BoundFilter::Compare(a, op, v) => {
            if is_top(a, "id") {
                text_leaf!(UserPred, users::id, a, op, v, Case::Exact)
            } else if is_top(a, "externalId") {
                text_leaf!(
                    UserPred,
                    users::external_id,
                    a,
                    op,
                    v,
                    Case::Exact,
                    nullable
                )
            } else if is_top(a, "userName") {
                text_leaf!(UserPred, users::user_name_norm, a, op, v, Case::Folded)
            } else if is_top(a, "displayName") {
                text_leaf!(
                    UserPred,
                    users::display_name_norm,
                    a,
                    op,
                    v,
                    Case::Folded,
                    nullable
                )
            } else if is_top(a, "active") {
                match (op, v) {
                    (CompareOp::Eq, CompValue::Bool(b)) => {
                        Part::Exact(Box::new(users::active.eq(*b)))
                    }
                    (CompareOp::Ne, CompValue::Bool(b)) => {
                        Part::Exact(Box::new(users::active.ne(*b)))
                    }
                    _ => Part::Unknown,
                }
            } else if is_sub(a, "meta", "created") {
                time_leaf!(UserPred, users::created_at, op, v)
            } else if is_sub(a, "meta", "lastModified") {
                time_leaf!(UserPred, users::updated_at, op, v)
            } else if is_attr(a, "emails") && *op != CompareOp::Ne {
                // Multi-valued: some email satisfies it. (`ne` on a multi-valued attribute is left
                // to the evaluator.)
                email_leaf(f).map(|p| users_with_email(tenant_id, p))
            } else {
                Part::Unknown
            }
        }
        BoundFilter::Present(a) => {
            if is_top(a, "id") {
                present!(UserPred, users::id)
            } else if is_top(a, "externalId") {
                present!(UserPred, users::external_id, nullable)
            } else if is_top(a, "userName") {
                present!(UserPred, users::user_name_norm)
            } else if is_top(a, "displayName") {
                present!(UserPred, users::display_name_norm, nullable)
            } else if is_sub(a, "emails", "value") || is_sub(a, "emails", "type") {
                email_leaf(f).map(|p| users_with_email(tenant_id, p))
            } else {
                Part::Unknown
            }
        }
        BoundFilter::Any(a, inner) if is_top(a, "emails") => {
            walk(inner, &logic!(EmailPred), &email_leaf).map(|p| users_with_email(tenant_id, p))
        }
        _ => Part::Unknown,
    }
}

/// A predicate on one `user_emails` row (one element of `emails`).
fn email_leaf(f: &BoundFilter) -> Part<EmailPred> {
    match f {
        BoundFilter::Compare(a, op, v) if is_sub(a, "emails", "value") => {
            text_leaf!(EmailPred, user_emails::value_norm, a, op, v, Case::Folded)
        }
        BoundFilter::Compare(a, op, v) if is_sub(a, "emails", "type") => {
            text_leaf!(
                EmailPred,
                user_emails::email_type,
                a,
                op,
                v,
                Case::Folded,
                nullable
            )
        }
        BoundFilter::Present(a) if is_sub(a, "emails", "value") => {
            present!(EmailPred, user_emails::value_norm)
        }
        BoundFilter::Present(a) if is_sub(a, "emails", "type") => {
            present!(EmailPred, user_emails::email_type, nullable)
        }
        _ => Part::Unknown,
    }
}

/// `users.id IN (SELECT user_id FROM user_emails WHERE tenant_id = ? AND <p>)`.
fn users_with_email(tenant_id: &str, p: EmailPred) -> UserPred {
    let ids = user_emails::table
        .filter(user_emails::tenant_id.eq(tenant_id.to_owned()))
        .filter(p)
        .select(user_emails::user_id)
        .into_boxed::<Backend>();
    Box::new(InSubquery {
        column: users::id,
        query: ids,
    })
}

fn group_leaf(f: &BoundFilter, tenant_id: &str) -> Part<GroupPred> {
    match f {
        BoundFilter::Compare(a, op, v) => {
            if is_top(a, "id") {
                text_leaf!(GroupPred, groups::id, a, op, v, Case::Exact)
            } else if is_top(a, "externalId") {
                text_leaf!(
                    GroupPred,
                    groups::external_id,
                    a,
                    op,
                    v,
                    Case::Exact,
                    nullable
                )
            } else if is_top(a, "displayName") {
                text_leaf!(GroupPred, groups::display_name_norm, a, op, v, Case::Folded)
            } else if is_sub(a, "meta", "created") {
                time_leaf!(GroupPred, groups::created_at, op, v)
            } else if is_sub(a, "meta", "lastModified") {
                time_leaf!(GroupPred, groups::updated_at, op, v)
            } else if is_attr(a, "members") && *op != CompareOp::Ne {
                member_leaf(f).map(|p| groups_with_member(tenant_id, p))
            } else {
                Part::Unknown
            }
        }
        BoundFilter::Present(a) => {
            if is_top(a, "id") {
                present!(GroupPred, groups::id)
            } else if is_top(a, "externalId") {
                present!(GroupPred, groups::external_id, nullable)
            } else if is_top(a, "displayName") {
                present!(GroupPred, groups::display_name_norm)
            } else if is_attr(a, "members") {
                member_leaf(f).map(|p| groups_with_member(tenant_id, p))
            } else {
                Part::Unknown
            }
        }
        BoundFilter::Any(a, inner) if is_top(a, "members") => {
            walk(inner, &logic!(MemberPred), &member_leaf).map(|p| groups_with_member(tenant_id, p))
        }
        _ => Part::Unknown,
    }
}

/// A predicate on one `memberships` row (one element of `members`). Member ids are the service's
/// lowercase UUIDs, so `member_id` counts as a folded column for the case-insensitive
/// `members.value`.
fn member_leaf(f: &BoundFilter) -> Part<MemberPred> {
    match f {
        BoundFilter::Compare(a, op, v) if is_sub(a, "members", "value") => {
            text_leaf!(MemberPred, memberships::member_id, a, op, v, Case::Folded)
        }
        BoundFilter::Present(a) if is_sub(a, "members", "value") => {
            present!(MemberPred, memberships::member_id)
        }
        // `members pr`: the group has at least one member.
        BoundFilter::Present(a) if is_top(a, "members") => {
            Part::Exact(Box::new(memberships::member_id.is_not_null()))
        }
        _ => Part::Unknown,
    }
}

/// `groups.id IN (SELECT group_id FROM memberships WHERE tenant_id = ? AND <p>)`.
fn groups_with_member(tenant_id: &str, p: MemberPred) -> GroupPred {
    let ids = memberships::table
        .filter(memberships::tenant_id.eq(tenant_id.to_owned()))
        .filter(p)
        .select(memberships::group_id)
        .into_boxed::<Backend>();
    Box::new(InSubquery {
        column: groups::id,
        query: ids,
    })
}

/// `column IN (subquery)`. diesel's own `eq_any` over `MultiBackend` needs every part to be a
/// fragment of each concrete backend, which a boxed subquery is not; this node only needs
/// `MultiBackend`.
struct InSubquery<C, Q> {
    column: C,
    query: Q,
}

impl<C: Expression, Q> Expression for InSubquery<C, Q> {
    type SqlType = Bool;
}

impl<C: AppearsOnTable<QS>, Q, QS> AppearsOnTable<QS> for InSubquery<C, Q> where Self: Expression {}

impl<C: SelectableExpression<QS>, Q, QS> SelectableExpression<QS> for InSubquery<C, Q> where
    Self: AppearsOnTable<QS>
{
}

impl<C: ValidGrouping<GB>, Q, GB> ValidGrouping<GB> for InSubquery<C, Q> {
    type IsAggregate = C::IsAggregate;
}

impl<C, Q> QueryId for InSubquery<C, Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<C: QueryFragment<Backend>, Q: QueryFragment<Backend>> QueryFragment<Backend>
    for InSubquery<C, Q>
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Backend>) -> QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" IN (");
        self.query.walk_ast(out.reborrow())?;
        out.push_sql(")");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn like_metacharacters_are_escaped() {
        assert_eq!(escape_like(r"50%_off\now"), r"50\%\_off\\now");
    }
}
