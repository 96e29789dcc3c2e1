//! Filter → SQL, checked against the results the in-memory evaluator must give.
//!
//! Tests named `residual_*` exercise filters with an attribute that has no column (`title`, …):
//! storage narrows with SQL and re-checks each candidate with `scim::filter::matches`. They are
//! written against the intended semantics and fail while `matches` is the stub returning false.

use super::{at, group, read, tenant, write};
use crate::storage::memberships::member;
use crate::support::each_backend;
use scimd::scim::filter::{AttrLoc, BoundAttr, BoundFilter, CompValue, CompareOp};
use scimd::scim::schema::AttrType;
use scimd::storage::{groups, memberships, users, Db, SearchQuery};
use serde_json::json;

/// The binding `scim::filter::bind` gives these paths (type, caseExact, multiValued).
pub fn attr(path: &str) -> BoundAttr {
    let (name, sub) = match path.split_once('.') {
        Some((n, s)) => (n, Some(s.to_owned())),
        None => (path, None),
    };
    let (ty, case_exact, multi_valued) = match path {
        "id" | "externalId" => (AttrType::String, true, false),
        "active" => (AttrType::Boolean, false, false),
        "meta.created" | "meta.lastModified" => (AttrType::DateTime, false, false),
        "emails.value" | "emails.type" | "members.value" | "members.type" | "emails"
        | "members" => (AttrType::String, false, true),
        _ => (AttrType::String, false, false),
    };
    BoundAttr {
        loc: AttrLoc::Core,
        name: name.to_owned(),
        sub,
        ty,
        case_exact,
        multi_valued,
    }
}

pub fn cmp(path: &str, op: CompareOp, v: impl Into<Value>) -> BoundFilter {
    BoundFilter::Compare(attr(path), op, v.into().0)
}
pub fn eq(path: &str, v: impl Into<Value>) -> BoundFilter {
    cmp(path, CompareOp::Eq, v)
}
pub fn pr(path: &str) -> BoundFilter {
    BoundFilter::Present(attr(path))
}
pub fn and(a: BoundFilter, b: BoundFilter) -> BoundFilter {
    BoundFilter::And(Box::new(a), Box::new(b))
}
pub fn or(a: BoundFilter, b: BoundFilter) -> BoundFilter {
    BoundFilter::Or(Box::new(a), Box::new(b))
}
pub fn not(a: BoundFilter) -> BoundFilter {
    BoundFilter::Not(Box::new(a))
}
pub fn any(path: &str, inner: BoundFilter) -> BoundFilter {
    BoundFilter::Any(attr(path), Box::new(inner))
}

pub struct Value(CompValue);
impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value(CompValue::Str(s.to_owned()))
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value(CompValue::Bool(b))
    }
}

pub fn user_ids(db: &Db, t: &str, f: &BoundFilter) -> Vec<String> {
    let q = SearchQuery {
        filter: Some(f),
        sort: None,
        start_index: 1,
        count: 1000,
    };
    let page = read(db, |c| users::search(c, t, &q));
    let ids: Vec<String> = page.rows.into_iter().map(|u| u.id).collect();
    assert_eq!(
        page.total,
        ids.len() as u64,
        "total matches the rows when all fit on a page"
    );
    ids
}

pub fn group_ids(db: &Db, t: &str, f: &BoundFilter) -> Vec<String> {
    let q = SearchQuery {
        filter: Some(f),
        sort: None,
        start_index: 1,
        count: 1000,
    };
    let page = read(db, |c| groups::search(c, t, &q));
    let ids: Vec<String> = page.rows.into_iter().map(|g| g.id).collect();
    assert_eq!(page.total, ids.len() as u64);
    ids
}

fn put_user(db: &Db, t: &str, id: &str, user_name: &str, created: i64, extra: serde_json::Value) {
    let (mut u, emails) = super::new_user(t, id, user_name, extra);
    u.created_at = at(created);
    u.updated_at = at(created * 10);
    write(db, |c| users::insert(c, &u, &emails));
}

/// u1 Alice, u2 bob, u3 carol_x% in tenant `t`; a decoy in tenant `o` reusing id `u2` and
/// Alice's email, so a subquery that forgot the tenant would be caught.
fn directory(db: &Db) -> String {
    let t = tenant(db, "t");
    let o = tenant(db, "o");
    put_user(
        db,
        &t,
        "u1",
        "Alice",
        10,
        json!({
            "displayName": "Alice Smith", "externalId": "E1", "title": "Engineer",
            "emails": [{ "type": "work", "value": "alice@corp.com" }, { "type": "Home", "value": "alice@home.org" }]
        }),
    );
    put_user(
        db,
        &t,
        "u2",
        "bob",
        20,
        json!({
            "active": false, "title": "Manager", "emails": [{ "type": "work", "value": "Bob@Corp.com" }]
        }),
    );
    put_user(
        db,
        &t,
        "u3",
        "carol_x%",
        30,
        json!({ "displayName": "Carol", "externalId": "e1" }),
    );
    put_user(
        db,
        &o,
        "u2",
        "decoy",
        5,
        json!({ "emails": [{ "type": "work", "value": "alice@corp.com" }] }),
    );
    t
}

#[test]
fn user_filters_on_columns() {
    use CompareOp::*;
    each_backend(|db| {
        let t = directory(db);
        let check = |f: BoundFilter, want: &[&str]| assert_eq!(user_ids(db, &t, &f), want, "{f:?}");
        check(eq("userName", "ALICE"), &["u1"]);
        check(cmp("userName", Ne, "alice"), &["u2", "u3"]);
        check(cmp("userName", Sw, "CAR"), &["u3"]);
        check(cmp("userName", Ew, "X%"), &["u3"]);
        check(cmp("userName", Co, "%"), &["u3"]);
        check(cmp("userName", Co, "_"), &["u3"]);
        check(cmp("userName", Co, "l"), &["u1", "u3"]);
        check(cmp("userName", Gt, "bob"), &["u3"]);
        check(cmp("userName", Ge, "BOB"), &["u2", "u3"]);
        check(cmp("userName", Lt, "bob"), &["u1"]);
        check(cmp("userName", Le, "bob"), &["u1", "u2"]);
        check(pr("userName"), &["u1", "u2", "u3"]);
        check(eq("id", "u2"), &["u2"]);
        check(cmp("id", Ne, "u2"), &["u1", "u3"]);
        check(eq("externalId", "E1"), &["u1"]);
        check(cmp("externalId", Ne, "E1"), &["u2", "u3"]);
        check(pr("externalId"), &["u1", "u3"]);
        check(eq("displayName", "alice SMITH"), &["u1"]);
        check(cmp("displayName", Ne, "carol"), &["u1", "u2"]);
        check(cmp("displayName", Sw, "a"), &["u1"]);
        check(pr("displayName"), &["u1", "u3"]);
        check(not(pr("displayName")), &["u2"]);
        check(eq("active", false), &["u2"]);
        check(cmp("active", Ne, false), &["u1", "u3"]);
        check(
            cmp("meta.created", Gt, "2026-01-01T00:00:15Z"),
            &["u2", "u3"],
        );
        check(
            cmp("meta.created", Gt, "2026-01-01T01:00:15+01:00"),
            &["u2", "u3"],
        );
        check(eq("meta.created", "2026-01-01T00:00:20Z"), &["u2"]);
        check(
            cmp("meta.lastModified", Le, "2026-01-01T00:03:20.000Z"),
            &["u1", "u2"],
        );
        check(
            cmp("meta.lastModified", Lt, "2026-01-01T00:03:20Z"),
            &["u1"],
        );
        check(
            or(eq("userName", "bob"), eq("displayName", "carol")),
            &["u2", "u3"],
        );
        check(
            and(eq("active", true), cmp("userName", Co, "a")),
            &["u1", "u3"],
        );
        check(not(or(eq("userName", "bob"), eq("id", "u1"))), &["u3"]);
    });
}

#[test]
fn user_filters_on_emails() {
    use CompareOp::*;
    each_backend(|db| {
        let t = directory(db);
        let check = |f: BoundFilter, want: &[&str]| assert_eq!(user_ids(db, &t, &f), want, "{f:?}");
        check(eq("emails.value", "BOB@corp.com"), &["u2"]);
        check(eq("emails.value", "alice@corp.com"), &["u1"]);
        check(cmp("emails.value", Co, "corp"), &["u1", "u2"]);
        check(cmp("emails.value", Ew, ".ORG"), &["u1"]);
        check(pr("emails.value"), &["u1", "u2"]);
        check(eq("emails.type", "HOME"), &["u1"]);
        check(not(cmp("emails.value", Co, "corp")), &["u3"]);
        // Entra: emails[type eq "work"].value eq "…" — type and value on the same element.
        let work = |v: &str| {
            any(
                "emails",
                and(eq("emails.type", "work"), eq("emails.value", v)),
            )
        };
        check(work("Alice@Corp.com"), &["u1"]);
        check(work("bob@corp.com"), &["u2"]);
        check(work("alice@home.org"), &[]);
        check(any("emails", cmp("emails.type", Ne, "work")), &["u1"]);
        check(and(eq("active", true), not(pr("emails.value"))), &["u3"]);
    });
}

/// g1 Admins {u1, u2}, g2 Users {u3}, g3 Empty; tenant `o` has a g3 containing u1.
fn teams(db: &Db) -> String {
    let t = tenant(db, "t");
    let o = tenant(db, "o");
    group(db, &t, "g1", "Admins");
    group(db, &t, "g2", "Users");
    group(db, &t, "g3", "Empty");
    group(db, &o, "g3", "Decoy");
    write(db, |c| {
        memberships::add(c, &t, "g1", &[member("u1"), member("u2")])
    });
    write(db, |c| memberships::add(c, &t, "g2", &[member("u3")]));
    write(db, |c| memberships::add(c, &o, "g3", &[member("u1")]));
    let ext = scimd::storage::GroupChangeset {
        display_name: "Admins".into(),
        external_id: Some("X1".into()),
        doc: json!({ "displayName": "Admins", "externalId": "X1" }).to_string(),
        version: 2,
        updated_at: at(1),
    };
    write(db, |c| groups::update(c, &t, "g1", 1, &ext));
    t
}

#[test]
fn group_filters_on_columns_and_members() {
    use CompareOp::*;
    each_backend(|db| {
        let t = teams(db);
        let check =
            |f: BoundFilter, want: &[&str]| assert_eq!(group_ids(db, &t, &f), want, "{f:?}");
        check(eq("displayName", "ADMINS"), &["g1"]);
        check(cmp("displayName", Sw, "u"), &["g2"]);
        check(eq("externalId", "X1"), &["g1"]);
        check(cmp("externalId", Ne, "X1"), &["g2", "g3"]);
        check(eq("members.value", "u3"), &["g2"]);
        check(eq("members.value", "U3"), &["g2"]);
        check(eq("members.value", "u1"), &["g1"]);
        check(any("members", eq("members.value", "u2")), &["g1"]);
        check(pr("members"), &["g1", "g2"]);
        check(not(pr("members")), &["g3"]);
        check(
            and(eq("displayName", "admins"), eq("members.value", "u3")),
            &[],
        );
        check(
            cmp("meta.lastModified", Gt, "2026-01-01T00:00:00Z"),
            &["g1"],
        );
    });
}

#[test]
fn residual_user_filters_are_rechecked_in_memory() {
    use CompareOp::*;
    each_backend(|db| {
        let t = directory(db);
        let check = |f: BoundFilter, want: &[&str]| assert_eq!(user_ids(db, &t, &f), want, "{f:?}");
        check(eq("title", "engineer"), &["u1"]);
        check(and(eq("title", "Manager"), eq("active", false)), &["u2"]);
        check(
            or(eq("title", "Engineer"), eq("userName", "carol_x%")),
            &["u1", "u3"],
        );
        check(not(pr("title")), &["u3"]);
        // LIKE folds ASCII case on SQLite, so co/sw/ew on a caseExact column is re-checked.
        check(cmp("externalId", Sw, "E"), &["u1"]);
        check(
            any(
                "emails",
                and(eq("emails.type", "work"), eq("emails.primary", true)),
            ),
            &[],
        );
    });
}

#[test]
fn residual_group_filters_see_members() {
    each_backend(|db| {
        let t = teams(db);
        assert_eq!(group_ids(db, &t, &eq("members.type", "user")), ["g1", "g2"]);
        assert_eq!(
            group_ids(db, &t, &any("members", eq("members.display", "name of u3"))),
            ["g2"]
        );
    });
}

#[test]
fn residual_paging_counts_after_filtering_across_batches() {
    each_backend(|db| {
        let t = tenant(db, "t");
        write(db, |c| {
            for i in 0..1050 {
                let extra = if i % 10 == 0 {
                    json!({ "title": "T" })
                } else {
                    json!({})
                };
                let (u, e) =
                    super::new_user(&t, &format!("u{i:05}"), &format!("user{i:05}"), extra);
                users::insert(c, &u, &e)?;
            }
            Ok(())
        });
        let f = eq("title", "T");
        let q = SearchQuery {
            filter: Some(&f),
            sort: None,
            start_index: 100,
            count: 10,
        };
        let page = read(db, |c| users::search(c, &t, &q));
        assert_eq!(page.total, 105);
        let ids: Vec<String> = page.rows.into_iter().map(|u| u.id).collect();
        assert_eq!(
            ids,
            ["u00990", "u01000", "u01010", "u01020", "u01030", "u01040"]
        );
        let sorted = SearchQuery {
            filter: Some(&f),
            sort: Some((scimd::storage::SortKey::UserName, false)),
            start_index: 1,
            count: 2,
        };
        let page = read(db, |c| users::search(c, &t, &sorted));
        assert_eq!(page.total, 105);
        assert_eq!(
            page.rows.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(),
            ["u01040", "u01030"]
        );
    });
}
