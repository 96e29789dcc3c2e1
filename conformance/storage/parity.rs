//! Property: for any filter, SQL (plus the in-memory residual) returns exactly the users the
//! in-memory evaluator accepts. Filters are generated as text and go through the real parser and
//! binder, so this also covers how `bind` shapes what `filter_sql` sees.

use super::{at, read, tenant, write};
use crate::support::backends;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use scimd::scim::filter;
use scimd::scim::schema::ResourceKind;
use scimd::storage::time::rfc3339;
use scimd::storage::{users, Db, EmailRow, NewUser, SearchQuery};
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

const NAMES: [&str; 6] = ["alice", "Bob", "carol", "DAVE", "eve", "Mallory"];
const DOMAINS: [&str; 3] = ["ex.com", "Ex.org", "corp.example"];

/// Deterministic, varied users: some without externalId/displayName/emails, mixed case, several
/// e-mail types, disabled ones, titles and names only the document holds.
fn seed(db: &Db, tenant_id: &str) -> Vec<Map<String, Value>> {
    let mut docs = Vec::new();
    for i in 0..48usize {
        let name = NAMES[i % NAMES.len()];
        let domain = DOMAINS[i % DOMAINS.len()];
        let mut doc = json!({"userName": format!("{name}{i}@{domain}"), "active": i % 4 != 0});
        let d = doc.as_object_mut().expect("object");
        if i % 3 != 0 {
            d.insert("externalId".into(), json!(format!("EXT-{}", i % 7)));
        }
        if i % 5 != 0 {
            d.insert(
                "displayName".into(),
                json!(format!("{} {}", name.to_uppercase(), i % 4)),
            );
        }
        if i % 2 == 0 {
            d.insert("title".into(), json!(["Engineer", "manager", "VP"][i % 3]));
        }
        if i % 6 != 1 {
            let mut emails = vec![json!({"type": "work", "value": format!("{name}.{i}@{domain}")})];
            if i % 4 == 1 {
                emails.push(json!({"type": "home", "value": format!("{name}@home.net")}));
            }
            d.insert("emails".into(), Value::Array(emails));
        }
        d.insert(
            "name".into(),
            json!({"givenName": name, "familyName": format!("F{}", i % 5)}),
        );
        let map = d.clone();
        let text = |k: &str| map.get(k).and_then(Value::as_str).map(str::to_owned);
        let (id, t) = (format!("u{i:03}"), at(i as i64 * 10));
        let row = NewUser {
            tenant_id: tenant_id.to_owned(),
            id: id.clone(),
            user_name: text("userName").unwrap_or_default(),
            external_id: text("externalId"),
            display_name: text("displayName"),
            active: map.get("active").and_then(Value::as_bool).unwrap_or(true),
            doc: Value::Object(map.clone()).to_string(),
            version: 1,
            created_at: t,
            updated_at: t,
        };
        write(db, |c| {
            users::insert(c, &row, &EmailRow::from_document(&map))
        });
        let mut eval = map;
        eval.insert("id".into(), json!(id));
        eval.insert(
            "meta".into(),
            json!({"resourceType": "User", "created": rfc3339(t), "lastModified": rfc3339(t)}),
        );
        docs.push(eval);
    }
    docs
}

fn value() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "alice",
        "ALICE1",
        "bob",
        "b",
        "@ex",
        ".com",
        "Ex.org",
        "eve12@corp.example",
        "EXT-3",
        "ext-3",
        "alice.0@ex.com",
        "home",
        "work",
        "",
        "zz",
        "F2",
        "engineer",
        "u010",
    ])
    .prop_map(|s| format!("{s:?}"))
}

fn op() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"])
}

fn atom() -> impl Strategy<Value = String> {
    let text_attr = prop::sample::select(vec![
        "userName",
        "externalId",
        "displayName",
        "id",
        "emails.value",
        "emails.type",
        "emails",
        "title",
        "name.givenName",
        "name.familyName",
    ]);
    prop_oneof![
        (text_attr.clone(), op(), value()).prop_map(|(a, o, v)| format!("{a} {o} {v}")),
        text_attr.prop_map(|a| format!("{a} pr")),
        prop::bool::ANY.prop_map(|b| format!("active eq {b}")),
        (
            prop::sample::select(vec!["gt", "ge", "lt", "le", "eq", "ne"]),
            0..500i64
        )
            .prop_map(|(o, s)| format!("meta.created {o} {:?}", rfc3339(at(s)))),
        (prop::sample::select(vec!["work", "home"]), op(), value())
            .prop_map(|(t, o, v)| format!("emails[type eq {t:?} and value {o} {v}]")),
        (prop::sample::select(vec!["work", "home"]), value())
            .prop_map(|(t, v)| format!("emails[type eq {t:?}].value eq {v}")),
    ]
}

fn filter_text() -> impl Strategy<Value = String> {
    atom().prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} and {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} or {b})")),
            inner.prop_map(|a| format!("not ({a})")),
        ]
    })
}

#[test]
fn sql_filter_results_equal_in_memory_evaluation() {
    for test_db in backends() {
        let db = test_db.migrated(2);
        let tenant_id = tenant(&db, "parity");
        let docs = seed(&db, &tenant_id);
        // Guard against a vacuous property: filters must sometimes match some, but not all, users.
        let partial = std::cell::Cell::new(0usize);
        let mut runner = TestRunner::new(Config {
            cases: 400,
            failure_persistence: None,
            ..Config::default()
        });
        let result = runner.run(&filter_text(), |text| {
            let bound = filter::parse(&text).and_then(|f| filter::bind(ResourceKind::User, &f));
            let bound = bound.map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
            let expected: BTreeSet<String> = docs
                .iter()
                .filter(|d| filter::matches(&bound, d))
                .filter_map(|d| d.get("id").and_then(Value::as_str).map(str::to_owned))
                .collect();
            let query = SearchQuery {
                filter: Some(&bound),
                sort: None,
                start_index: 1,
                count: 1000,
            };
            let page = read(&db, |c| users::search(c, &tenant_id, &query));
            let got: BTreeSet<String> = page.rows.into_iter().map(|r| r.id).collect();
            prop_assert_eq!(page.total as usize, got.len());
            prop_assert_eq!(&got, &expected, "{} on {}", text, test_db.kind.as_str());
            if !expected.is_empty() && expected.len() < docs.len() {
                partial.set(partial.get() + 1);
            }
            Ok(())
        });
        if let Err(e) = result {
            panic!("backend {}: {e}", test_db.kind.as_str());
        }
        assert!(
            partial.get() > 100,
            "only {} selective filters were generated",
            partial.get()
        );
    }
}
