//! Stand-ins for the filter parser, binder and evaluator, which are built on another branch.
//! They cover exactly the paths and filters the PATCH tests use; once the real ones are merged,
//! every scenario also runs through them (see `tests::run`) and must give the same outcome.

use super::apply::Deps;
use crate::scim::filter::{
    self, AttrLoc, AttrPath, BoundAttr, BoundFilter, CompValue, CompareOp, Filter, PatchPath,
};
use crate::scim::schema::{self, AttrHome, ResourceKind};
use crate::scim::ScimError;
use serde_json::{Map, Value};

pub(super) static STAND_INS: Deps = Deps {
    parse_path,
    bind,
    matches,
};

fn ap(name: &str) -> AttrPath {
    AttrPath {
        urn: None,
        name: name.to_string(),
        sub: None,
    }
}

fn eq(name: &str, v: &str) -> Filter {
    Filter::Compare(ap(name), CompareOp::Eq, CompValue::Str(v.to_string()))
}

fn pp(name: &str, filter: Filter, sub: Option<&str>) -> PatchPath {
    PatchPath {
        urn: None,
        name: name.to_string(),
        filter: Some(filter),
        sub: sub.map(str::to_string),
    }
}

/// Every filtered path the tests use, with the `PatchPath` the real parser must produce.
pub(super) fn filtered_paths() -> Vec<(&'static str, PatchPath)> {
    let work = || eq("type", "work");
    let or = |a: Filter, b: Filter| Filter::Or(Box::new(a), Box::new(b));
    vec![
        (
            r#"emails[type eq "work"].value"#,
            pp("emails", work(), Some("value")),
        ),
        (r#"emails[type eq "work"]"#, pp("emails", work(), None)),
        (
            r#"emails[type eq "other"].Value"#,
            pp("emails", eq("type", "other"), Some("Value")),
        ),
        (
            r#"emails[value eq "amy.lee@contoso.example"]"#,
            pp("emails", eq("value", "amy.lee@contoso.example"), None),
        ),
        (
            r#"emails[type co "wor"].value"#,
            pp(
                "emails",
                Filter::Compare(ap("type"), CompareOp::Co, CompValue::Str("wor".into())),
                Some("value"),
            ),
        ),
        (
            r#"emails[type eq "work" and primary eq true].display"#,
            pp(
                "emails",
                Filter::And(
                    Box::new(work()),
                    Box::new(Filter::Compare(
                        ap("primary"),
                        CompareOp::Eq,
                        CompValue::Bool(true),
                    )),
                ),
                Some("display"),
            ),
        ),
        (
            r#"addresses[type eq "work"].streetAddress"#,
            pp("addresses", work(), Some("streetAddress")),
        ),
        (
            r#"addresses[type eq "work"].locality"#,
            pp("addresses", work(), Some("locality")),
        ),
        (
            r#"addresses[type eq "work"].postalCode"#,
            pp("addresses", work(), Some("postalCode")),
        ),
        (
            r#"addresses[type eq "work"].formatted"#,
            pp("addresses", work(), Some("formatted")),
        ),
        (
            r#"Addresses[Type eq "work"].Formatted"#,
            pp("Addresses", eq("Type", "work"), Some("Formatted")),
        ),
        (
            r#"phoneNumbers[type eq "mobile"].value"#,
            pp("phoneNumbers", eq("type", "mobile"), Some("value")),
        ),
        (
            r#"phoneNumbers[type eq "fax"]"#,
            pp("phoneNumbers", eq("type", "fax"), None),
        ),
        (
            r#"roles[primary eq "True"].value"#,
            pp("roles", eq("primary", "True"), Some("value")),
        ),
        (
            r#"manager[value eq "mgr-1"]"#,
            pp("manager", eq("value", "mgr-1"), None),
        ),
        (
            r#"manager[value eq "someone-else"]"#,
            pp("manager", eq("value", "someone-else"), None),
        ),
        (
            r#"displayName[value eq "x"]"#,
            pp("displayName", eq("value", "x"), None),
        ),
        (
            r#"emails[nope eq "x"].value"#,
            pp("emails", eq("nope", "x"), Some("value")),
        ),
        (
            r#"members[value eq "a"]"#,
            pp("members", eq("value", "a"), None),
        ),
        (
            r#"members[value eq "a" or value eq "b"]"#,
            pp("members", or(eq("value", "a"), eq("value", "b")), None),
        ),
        (
            r#"members[display eq "Amy"]"#,
            pp("members", eq("display", "Amy"), None),
        ),
        (
            r#"members[value eq "a"].display"#,
            pp("members", eq("value", "a"), Some("display")),
        ),
    ]
}

/// Paths without a filter, split by the RFC 7644 grammar: `[urn ":"] name ["." sub]`, the URN
/// ending at the last ':'. Filtered paths come from [`filtered_paths`].
pub(super) fn parse_path(text: &str) -> Result<PatchPath, ScimError> {
    if text.contains('[') {
        return filtered_paths()
            .into_iter()
            .find(|(t, _)| *t == text)
            .map(|(_, p)| p)
            .ok_or_else(|| ScimError::invalid_path(format!("{text:?} is not in the test table")));
    }
    let (urn, rest) = match text.rfind(':') {
        Some(i)
            if text
                .get(..4)
                .is_some_and(|p| p.eq_ignore_ascii_case("urn:")) =>
        {
            (Some(text[..i].to_string()), &text[i + 1..])
        }
        Some(_) => return Err(ScimError::invalid_path(format!("{text:?}: stray ':'"))),
        None => (None, text),
    };
    let (name, sub) = match rest.split_once('.') {
        Some((n, s)) => (n, Some(s.to_string())),
        None => (rest, None),
    };
    let valid = |s: &str| {
        s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '$')
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "$-_".contains(c))
    };
    if !valid(name) || !sub.as_deref().is_none_or(valid) {
        return Err(ScimError::invalid_path(format!(
            "{text:?} is not an attribute path"
        )));
    }
    Ok(PatchPath {
        urn,
        name: name.to_string(),
        filter: None,
        sub,
    })
}

fn bind(kind: ResourceKind, f: &Filter) -> Result<BoundFilter, ScimError> {
    Ok(match f {
        Filter::Compare(a, op, v) => BoundFilter::Compare(bind_attr(kind, a)?, *op, v.clone()),
        Filter::Present(a) => BoundFilter::Present(bind_attr(kind, a)?),
        Filter::And(a, b) => BoundFilter::And(Box::new(bind(kind, a)?), Box::new(bind(kind, b)?)),
        Filter::Or(a, b) => BoundFilter::Or(Box::new(bind(kind, a)?), Box::new(bind(kind, b)?)),
        Filter::Not(a) => BoundFilter::Not(Box::new(bind(kind, a)?)),
        Filter::ValuePath(..) => return Err(ScimError::invalid_filter("stand-in: no value paths")),
    })
}

fn bind_attr(kind: ResourceKind, a: &AttrPath) -> Result<BoundAttr, ScimError> {
    let r = schema::resolve(kind, a.urn.as_deref(), &a.name)
        .ok_or_else(|| ScimError::invalid_filter(format!("unknown attribute {:?}", a.name)))?;
    let (leaf, sub) = match &a.sub {
        Some(s) => {
            let d = r
                .def
                .sub(s)
                .ok_or_else(|| ScimError::invalid_filter("unknown sub"))?;
            (d, Some(d.name.to_string()))
        }
        None => (r.def, None),
    };
    Ok(BoundAttr {
        loc: match r.home {
            AttrHome::Core => AttrLoc::Core,
            AttrHome::Extension(s) => AttrLoc::Extension(s.id.to_string()),
        },
        name: r.def.name.to_string(),
        sub,
        ty: leaf.ty,
        case_exact: leaf.case_exact,
        multi_valued: r.def.multi_valued,
    })
}

fn matches(f: &BoundFilter, doc: &Map<String, Value>) -> bool {
    match f {
        BoundFilter::Compare(a, op, v) => values(a, doc)
            .iter()
            .any(|x| compare(x, *op, v, a.case_exact)),
        BoundFilter::Present(a) => !values(a, doc).is_empty(),
        BoundFilter::And(a, b) => matches(a, doc) && matches(b, doc),
        BoundFilter::Or(a, b) => matches(a, doc) || matches(b, doc),
        BoundFilter::Not(a) => !matches(a, doc),
        BoundFilter::Any(..) => false,
    }
}

fn values<'a>(a: &BoundAttr, doc: &'a Map<String, Value>) -> Vec<&'a Value> {
    let top = match &a.loc {
        AttrLoc::Core => doc.get(&a.name),
        AttrLoc::Extension(u) => doc.get(u).and_then(|e| e.get(&a.name)),
    };
    let items: Vec<&Value> = match top {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(v) => vec![v],
        None => vec![],
    };
    match &a.sub {
        Some(s) => items.into_iter().filter_map(|i| i.get(s)).collect(),
        None => items,
    }
}

fn compare(x: &Value, op: CompareOp, v: &CompValue, case_exact: bool) -> bool {
    let eq = match (x, v) {
        (Value::String(a), CompValue::Str(b)) if case_exact => a == b,
        (Value::String(a), CompValue::Str(b)) => a.to_lowercase() == b.to_lowercase(),
        (Value::Bool(a), CompValue::Bool(b)) => a == b,
        (Value::Number(a), CompValue::Number(b)) => a.as_f64() == b.as_f64(),
        _ => false,
    };
    match op {
        CompareOp::Eq => eq,
        CompareOp::Ne => !eq,
        CompareOp::Co => match (x, v) {
            (Value::String(a), CompValue::Str(b)) => a.to_lowercase().contains(&b.to_lowercase()),
            _ => false,
        },
        _ => false,
    }
}

/// Whether the real parser, binder and evaluator are merged (the stubs reject everything):
/// parse a filtered path, bind its filter qualified the way `path::Selector` does
/// (`emails.type eq "work"`), and evaluate it against an element wrapped as a document.
pub(super) fn real_filters_available() -> bool {
    let Ok(p) = filter::parse_patch_path(r#"emails[type eq "work"].value"#) else {
        return false;
    };
    if p.filter != Some(eq("type", "work")) {
        return false;
    }
    let qualified = Filter::Compare(
        AttrPath {
            urn: None,
            name: "emails".into(),
            sub: Some("type".into()),
        },
        CompareOp::Eq,
        CompValue::Str("work".into()),
    );
    let Ok(b) = filter::bind(ResourceKind::User, &qualified) else {
        return false;
    };
    let doc = serde_json::json!({"emails":[{"type":"work","value":"x"}]});
    doc.as_object().is_some_and(|d| filter::matches(&b, d))
}
