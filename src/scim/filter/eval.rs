//! In-memory evaluation of a bound filter against a resource document (canonical keys).
//!
//! This is the reference semantics the SQL translation is tested against (docs/filtering.md):
//! - a comparison on a multi-valued attribute holds if it holds for ANY element;
//! - `ne` is exactly `not eq`: true when the attribute is absent, and on a multi-valued
//!   attribute true when NO element is equal;
//! - `eq null` holds when the attribute is absent or null (no element has a non-null value),
//!   `ne null` when it has a value; every other operator is false on an absent attribute;
//! - `pr` holds when some value is not null, not `""`, not `[]` and not `{}`;
//! - strings compare case-insensitively (Unicode lowercase) unless the attribute is `caseExact`;
//!   `gt`/`ge`/`lt`/`le` on strings compare the (lowercased) text lexicographically;
//! - dateTimes compare chronologically when both sides parse as RFC 3339, as text otherwise;
//! - numbers compare numerically, booleans only with `eq`/`ne`.

use super::ast::{CompValue, CompareOp};
use super::bind::{AttrLoc, BoundAttr, BoundFilter};
use crate::scim::schema::AttrType;
use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::cmp::Ordering;

/// Whether the resource document `doc` (top-level object with canonical attribute names, including
/// `id`, `meta` and, for groups, `members`) satisfies `filter`.
pub fn matches(filter: &BoundFilter, doc: &Map<String, Value>) -> bool {
    eval(filter, doc, None)
}

/// `element` is the multi-valued attribute's element a value filter (`Any`) is looking at; the
/// attributes inside it are sub-attributes of that element.
fn eval(filter: &BoundFilter, doc: &Map<String, Value>, element: Option<&Value>) -> bool {
    match filter {
        BoundFilter::Compare(attr, op, value) => {
            compare(&leaves(attr, doc, element), attr, *op, value)
        }
        BoundFilter::Present(attr) => leaves(attr, doc, element).into_iter().any(is_present),
        BoundFilter::And(l, r) => eval(l, doc, element) && eval(r, doc, element),
        BoundFilter::Or(l, r) => eval(l, doc, element) || eval(r, doc, element),
        BoundFilter::Not(inner) => !eval(inner, doc, element),
        // RFC 7644 §3.4.2.2 valuePath: one element must satisfy the whole inner filter.
        BoundFilter::Any(attr, inner) => elements(attr, doc).any(|e| eval(inner, doc, Some(e))),
    }
}

/// RFC 3339 date-time with any number of fractional digits (`2015-10-10T14:38:21.8617979-07:00`).
pub(crate) fn parse_date_time(text: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(text).ok()
}

/// The attribute's value: a top-level key, or a key of its extension object (URN matched
/// case-insensitively). Keys are looked up exactly first, then case-insensitively.
fn top_value<'a>(attr: &BoundAttr, doc: &'a Map<String, Value>) -> Option<&'a Value> {
    match &attr.loc {
        AttrLoc::Core => get_ci(doc, &attr.name),
        AttrLoc::Extension(urn) => get_ci(doc, urn)?
            .as_object()
            .and_then(|ext| get_ci(ext, &attr.name)),
    }
}

fn get_ci<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

fn sub_value<'a>(value: &'a Value, sub: Option<&str>) -> Option<&'a Value> {
    match sub {
        None => Some(value),
        Some(sub) => value.as_object().and_then(|o| get_ci(o, sub)),
    }
}

/// The non-null values a comparison applies to: one per element of a multi-valued attribute
/// (its sub-attribute, or the element itself), or the single value.
fn leaves<'a>(
    attr: &BoundAttr,
    doc: &'a Map<String, Value>,
    element: Option<&'a Value>,
) -> Vec<&'a Value> {
    let sub = attr.sub.as_deref();
    let mut values: Vec<&Value> = match (element, top_value(attr, doc)) {
        (Some(e), _) => sub_value(e, sub).into_iter().collect(),
        (None, Some(Value::Array(items))) => {
            items.iter().filter_map(|i| sub_value(i, sub)).collect()
        }
        (None, Some(v)) => sub_value(v, sub).into_iter().collect(),
        (None, None) => Vec::new(),
    };
    values.retain(|v| !v.is_null());
    values
}

/// The elements a value filter ranges over: array items, or a single complex value.
fn elements<'a>(
    attr: &BoundAttr,
    doc: &'a Map<String, Value>,
) -> Box<dyn Iterator<Item = &'a Value> + 'a> {
    match top_value(attr, doc) {
        Some(Value::Array(items)) => Box::new(items.iter().filter(|v| v.is_object())),
        Some(v @ Value::Object(_)) => Box::new(std::iter::once(v)),
        _ => Box::new(std::iter::empty()),
    }
}

fn is_present(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

fn compare(leaves: &[&Value], attr: &BoundAttr, op: CompareOp, value: &CompValue) -> bool {
    match (op, value) {
        (CompareOp::Eq, CompValue::Null) => leaves.is_empty(),
        (CompareOp::Ne, CompValue::Null) => !leaves.is_empty(),
        (CompareOp::Ne, value) => !leaves
            .iter()
            .any(|l| compare_one(l, attr, CompareOp::Eq, value)),
        (op, value) => leaves.iter().any(|l| compare_one(l, attr, op, value)),
    }
}

fn compare_one(leaf: &Value, attr: &BoundAttr, op: CompareOp, value: &CompValue) -> bool {
    match value {
        CompValue::Str(s) => {
            let text = match leaf {
                Value::String(t) => Cow::Borrowed(t.as_str()),
                // Custom-extension values stored as numbers or booleans compare as their text.
                Value::Number(n) => Cow::Owned(n.to_string()),
                Value::Bool(b) => Cow::Owned(b.to_string()),
                _ => return false,
            };
            let substring = matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew);
            if attr.ty == AttrType::DateTime && !substring {
                if let (Some(a), Some(b)) = (parse_date_time(&text), parse_date_time(s)) {
                    return ordered(a.cmp(&b), op);
                }
            }
            compare_text(&text, s, op, attr.case_exact)
        }
        CompValue::Bool(b) => op == CompareOp::Eq && leaf.as_bool() == Some(*b),
        CompValue::Number(n) => match leaf {
            Value::Number(l) => compare_numbers(l, n).is_some_and(|o| ordered(o, op)),
            _ => false,
        },
        CompValue::Null => false,
    }
}

fn compare_text(text: &str, value: &str, op: CompareOp, case_exact: bool) -> bool {
    let (text, value) = if case_exact {
        (Cow::Borrowed(text), Cow::Borrowed(value))
    } else {
        (
            Cow::Owned(text.to_lowercase()),
            Cow::Owned(value.to_lowercase()),
        )
    };
    match op {
        CompareOp::Co => text.contains(value.as_ref()),
        CompareOp::Sw => text.starts_with(value.as_ref()),
        CompareOp::Ew => text.ends_with(value.as_ref()),
        op => ordered(text.cmp(&value), op),
    }
}

fn compare_numbers(a: &Number, b: &Number) -> Option<Ordering> {
    let int = |n: &Number| {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    };
    match (int(a), int(b)) {
        (Some(x), Some(y)) => Some(x.cmp(&y)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

/// Whether `ordering` (stored value against the filter's value) satisfies `op`.
fn ordered(ordering: Ordering, op: CompareOp) -> bool {
    match op {
        CompareOp::Eq => ordering == Ordering::Equal,
        CompareOp::Ne => ordering != Ordering::Equal,
        CompareOp::Gt => ordering == Ordering::Greater,
        CompareOp::Ge => ordering != Ordering::Less,
        CompareOp::Lt => ordering == Ordering::Less,
        CompareOp::Le => ordering != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::filter::{bind, parse};
    use crate::scim::schema::ResourceKind;
    use serde_json::json;

    fn alice() -> Map<String, Value> {
        let doc = json!({
            "id": "2819c223-7f76-453a-919d-413861904646",
            "externalId": "Alice01",
            "userName": "Alice@Example.com",
            "displayName": "Ålice Ünderwood",
            "name": {"givenName": "Alice", "familyName": "Employee"},
            "active": true,
            "title": "",
            "emails": [
                {"value": "alice@work.example", "type": "work", "primary": true},
                {"value": "alice@home.example", "type": "home"}
            ],
            "roles": [{"value": "admin", "primary": false}],
            "meta": {
                "created": "2015-10-10T14:38:21.8617979-07:00",
                "lastModified": "2024-01-31T12:00:00Z",
                "resourceType": "User",
                "version": "W/\"3\""
            },
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                "employeeNumber": "701984",
                "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}
            },
            "urn:ietf:params:scim:schemas:extension:acme:2.0:User": {"badge": 42}
        });
        match doc {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    #[track_caller]
    fn user_matches(text: &str) -> bool {
        let f = parse(text).unwrap_or_else(|e| panic!("{text}: {}", e.detail));
        let f = bind(ResourceKind::User, &f).unwrap_or_else(|e| panic!("{text}: {}", e.detail));
        matches(&f, &alice())
    }

    #[track_caller]
    fn check(cases: &[(&str, bool)]) {
        for (text, expected) in cases {
            assert_eq!(user_matches(text), *expected, "{text}");
        }
    }

    #[test]
    fn string_operators() {
        check(&[
            ("userName eq \"alice@example.com\"", true),
            ("userName ne \"alice@example.com\"", false),
            ("userName ne \"bob\"", true),
            ("userName co \"EXAMPLE\"", true),
            ("userName sw \"ali\"", true),
            ("userName ew \".COM\"", true),
            ("userName ew \"org\"", false),
            ("userName gt \"alice\"", true),
            ("userName ge \"alice@example.com\"", true),
            ("userName lt \"alice\"", false),
            ("userName le \"b\"", true),
            ("userName sw O", false),
        ]);
    }

    #[test]
    fn case_exactness_follows_the_schema() {
        check(&[
            ("displayName eq \"ålice ünderwood\"", true), // Unicode lowercase
            ("externalId eq \"alice01\"", false),
            ("externalId eq \"Alice01\"", true),
            ("id eq \"2819C223-7F76-453A-919D-413861904646\"", false),
            ("id eq \"2819c223-7f76-453a-919d-413861904646\"", true),
            ("meta.resourceType eq \"user\"", false),
            ("meta.version eq \"W/\\\"3\\\"\"", true),
        ]);
    }

    #[test]
    fn booleans_and_numbers() {
        check(&[
            ("active eq true", true),
            ("active eq \"True\"", true),
            ("active ne true", false),
            ("active eq false", false),
            (
                "urn:ietf:params:scim:schemas:extension:acme:2.0:User:badge eq 42",
                true,
            ),
            (
                "urn:ietf:params:scim:schemas:extension:ACME:2.0:User:badge sw \"4\"",
                true,
            ),
        ]);
        let n = |s: &str| serde_json::from_str::<Number>(s).unwrap();
        assert_eq!(compare_numbers(&n("1"), &n("1.0")), Some(Ordering::Equal));
        assert_eq!(
            compare_numbers(&n("-1"), &n("18446744073709551615")),
            Some(Ordering::Less)
        );
        assert_eq!(compare_numbers(&n("2.5"), &n("2")), Some(Ordering::Greater));
    }

    #[test]
    fn date_times_compare_chronologically() {
        check(&[
            ("meta.created gt 2015-10-10T14:38:21.8617979-07:00", false),
            ("meta.created eq 2015-10-10T21:38:21.8617979Z", true),
            (
                "meta.created ge \"2015-10-10T21:38:21.8617979+00:00\"",
                true,
            ),
            ("meta.created gt \"2015-10-10T21:00:00Z\"", true),
            ("meta.created lt \"2015-10-10T22:00:00+01:00\"", false),
            (
                "meta.lastModified gt \"2024-01-31T11:59:59.999999999Z\"",
                true,
            ),
            (
                "meta.lastModified lt \"2024-01-31T12:00:00.000000001Z\"",
                true,
            ),
            ("meta.created sw \"2015-10\"", true),
        ]);
    }

    #[test]
    fn date_times_that_do_not_parse_compare_as_text() {
        let f = bind(
            ResourceKind::User,
            &parse("meta.created gt \"2015-01-01T00:00:00Z\"").unwrap(),
        )
        .unwrap();
        let mut doc = alice();
        doc.insert("meta".into(), json!({"created": "2016 sometime"}));
        assert!(matches(&f, &doc));
    }

    #[test]
    fn absent_attributes() {
        check(&[
            ("nickName eq \"x\"", false),
            ("nickName ne \"x\"", true),
            ("nickName co \"x\"", false),
            ("nickName gt \"a\"", false),
            ("nickName pr", false),
            ("nickName eq null", true),
            ("nickName ne null", false),
            ("userName eq null", false),
            ("userName ne null", true),
            ("title pr", false), // empty string
            ("name.middleName eq \"x\"", false),
            ("x509Certificates pr", false),
            ("not (nickName pr)", true),
        ]);
    }

    #[test]
    fn presence() {
        check(&[
            ("userName pr", true),
            ("emails pr", true),
            ("emails.type pr", true),
            ("emails.display pr", false),
            ("name pr", true),
            ("active pr", true),
            ("manager pr", true),
        ]);
    }

    #[test]
    fn multi_valued_attributes_match_any_element() {
        check(&[
            ("emails.value eq \"alice@home.example\"", true),
            ("emails co \"home\"", true),
            ("emails.type eq \"work\"", true),
            ("emails.type ne \"work\"", false), // ne is "no element eq"
            ("emails.type ne \"other\"", true),
            ("emails.primary eq true", true),
            ("emails.value eq null", false),
        ]);
    }

    #[test]
    fn value_filters_need_one_element_to_satisfy_every_condition() {
        check(&[
            ("emails[type eq \"work\" and value co \"work\"]", true),
            ("emails[type eq \"work\" and value co \"home\"]", false),
            ("emails.type eq \"work\" and emails.value co \"home\"", true),
            (
                "emails[type eq \"work\"].value eq \"Alice@Work.example\"",
                true,
            ),
            (
                "emails[type eq \"home\"].value eq \"alice@work.example\"",
                false,
            ),
            ("emails[type eq \"home\"].primary pr", false),
            ("emails[not (primary eq true)]", true),
            ("roles[primary eq \"True\"]", false),
            ("roles[primary eq \"False\"].value eq \"admin\"", true),
            ("name[givenName eq \"alice\"]", true),
            ("addresses[type eq \"work\"]", false),
        ]);
    }

    #[test]
    fn extension_attributes_are_found_under_their_urn() {
        check(&[
            ("employeeNumber eq \"701984\"", true),
            ("manager eq \"26118915-6090-4610-87e4-49d8ca9f808d\"", true),
            ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value sw \"2611\"", true),
            ("id eq \"2819c223-7f76-453a-919d-413861904646\" and manager eq \"x\"", false),
            ("department pr", false),
        ]);
    }

    #[test]
    fn logical_operators() {
        check(&[
            ("name.FamilyName eq Employee and (emails.Value co example.com or emails.Value co example.org)", false),
            ("name.FamilyName eq Employee and (emails.Value co work.example or emails.Value co example.org)", true),
            ("userName eq \"x\" or active eq true and title pr", false),
            ("(userName eq \"x\" or active eq true) and not (title pr)", true),
            ("not (userName pr)", false),
        ]);
    }

    #[test]
    fn groups_match_on_members() {
        let doc = json!({"id": "g1", "displayName": "Finance", "members": [{"value": "u1"}, {"value": "u2", "type": "User"}]});
        let Value::Object(doc) = doc else {
            unreachable!()
        };
        let m = |text: &str| {
            matches(
                &bind(ResourceKind::Group, &parse(text).unwrap()).unwrap(),
                &doc,
            )
        };
        assert!(m("displayName eq \"finance\""));
        assert!(m("members[value eq \"u2\"]"));
        assert!(m("members.value eq \"u1\""));
        assert!(!m("members[value eq \"u1\" and type eq \"User\"]"));
        assert!(!m("members eq \"u3\""));
    }
}
