//! Bind a parsed filter to a resource kind's schemas: canonical names, types and case rules.

use super::ast::{AttrPath, CompValue, CompareOp, Filter};
use super::eval::parse_date_time;
use crate::scim::schema::{self, AttrHome, AttrType, AttributeDef, ResourceKind, Returned};
use crate::scim::ScimError;

/// Where the top-level attribute lives in a resource document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttrLoc {
    /// A top-level key of the document (common attributes and core-schema attributes).
    Core,
    /// Under the extension object keyed by this canonical URN (enterprise or a custom extension).
    Extension(String),
}

/// A schema-resolved attribute reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundAttr {
    pub loc: AttrLoc,
    /// Canonical top-level attribute name (`emails`, `userName`, `meta`).
    pub name: String,
    /// Canonical sub-attribute name (`value`, `givenName`, `created`).
    pub sub: Option<String>,
    /// Type of the compared leaf. Attributes of custom extensions are bound as `String`.
    pub ty: AttrType,
    /// Whether string comparison on the leaf is case-sensitive.
    pub case_exact: bool,
    /// Whether the top-level attribute is multi-valued (any element may satisfy the comparison).
    pub multi_valued: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum BoundFilter {
    Compare(BoundAttr, CompareOp, CompValue),
    Present(BoundAttr),
    And(Box<BoundFilter>, Box<BoundFilter>),
    Or(Box<BoundFilter>, Box<BoundFilter>),
    Not(Box<BoundFilter>),
    /// Some single element of the multi-valued attribute `.0` satisfies `.1`. The inner filter's
    /// attributes are full paths (`name` = the multi-valued attribute, `sub` = the element field),
    /// all evaluated against the same element.
    Any(BoundAttr, Box<BoundFilter>),
}

/// Resolve every attribute of `filter` against `kind`'s schemas. Unknown attributes and
/// operators that make no sense for the type (`gt` on a boolean) are `invalidFilter`.
///
/// Normalisations, so that evaluation and SQL need not repeat them:
/// - a complex attribute compared without a sub-attribute compares its `value` sub-attribute
///   (RFC 7643 §2.4: `emails co "x"` is `emails.value co "x"`; Entra's `manager eq "id"`);
/// - interop(entra): a boolean compared with the string `"True"`/`"false"` (any case) compares
///   with the boolean (`roles[primary eq "True"]`);
/// - a number or boolean literal compared with a string attribute becomes its text (legacy
///   unquoted `externalId eq 12345`).
pub fn bind(kind: ResourceKind, filter: &Filter) -> Result<BoundFilter, ScimError> {
    bind_filter(kind, filter, None)
}

/// The element of a value path (`emails[...]`) that inner attributes are relative to.
struct Element {
    attr: BoundAttr,
    def: &'static AttributeDef,
}

/// A resolved top-level attribute. `def` is `None` for custom-extension attributes, whose
/// schemas scimd does not know.
struct Top {
    loc: AttrLoc,
    name: String,
    def: Option<&'static AttributeDef>,
}

fn bind_filter(
    kind: ResourceKind,
    filter: &Filter,
    element: Option<&Element>,
) -> Result<BoundFilter, ScimError> {
    let bound = match filter {
        Filter::Compare(path, op, value) => {
            let attr = leaf(kind, path, element, false)?;
            let value = check_comparison(&attr, *op, value)?;
            BoundFilter::Compare(attr, *op, value)
        }
        Filter::Present(path) => BoundFilter::Present(leaf(kind, path, element, true)?),
        Filter::And(l, r) => BoundFilter::And(
            Box::new(bind_filter(kind, l, element)?),
            Box::new(bind_filter(kind, r, element)?),
        ),
        Filter::Or(l, r) => BoundFilter::Or(
            Box::new(bind_filter(kind, l, element)?),
            Box::new(bind_filter(kind, r, element)?),
        ),
        Filter::Not(inner) => BoundFilter::Not(Box::new(bind_filter(kind, inner, element)?)),
        Filter::ValuePath(path, inner) => {
            if element.is_some() {
                return Err(ScimError::invalid_filter("value filters cannot be nested"));
            }
            let element = value_path_element(kind, path)?;
            let inner = bind_filter(kind, inner, Some(&element))?;
            BoundFilter::Any(element.attr, Box::new(inner))
        }
    };
    Ok(bound)
}

/// RFC 7644 §3.4.2.2 `valuePath`: the attribute must be complex (usually multi-valued).
fn value_path_element(kind: ResourceKind, path: &AttrPath) -> Result<Element, ScimError> {
    let top = resolve_top(kind, path)?;
    match top.def {
        Some(def) if def.ty == AttrType::Complex && path.sub.is_none() => {
            let attr = BoundAttr {
                loc: top.loc,
                name: top.name,
                sub: None,
                ty: AttrType::Complex,
                case_exact: def.case_exact,
                multi_valued: def.multi_valued,
            };
            Ok(Element { attr, def })
        }
        _ => Err(ScimError::invalid_filter(format!(
            "a value filter \"[...]\" needs a complex attribute; \"{path}\" is not one"
        ))),
    }
}

/// The compared (or tested) attribute of an `attrExp`, inside a value path or not.
fn leaf(
    kind: ResourceKind,
    path: &AttrPath,
    element: Option<&Element>,
    present: bool,
) -> Result<BoundAttr, ScimError> {
    if let Some(element) = element {
        return element_leaf(kind, path, element);
    }
    let top = resolve_top(kind, path)?;
    let Some(def) = top.def else {
        // Custom extension attributes are stored schemaless; compare them as strings.
        return Ok(BoundAttr {
            loc: top.loc,
            name: top.name,
            sub: path.sub.clone(),
            ty: AttrType::String,
            case_exact: false,
            multi_valued: false,
        });
    };
    let sub = match &path.sub {
        Some(sub) => Some(
            def.sub(sub)
                .ok_or_else(|| unknown(kind, &format!("{}.{sub}", def.name)))?,
        ),
        // RFC 7643 §2.4: a complex attribute's `value` stands for the attribute in comparisons.
        None if def.ty == AttrType::Complex && !present => def.sub("value"),
        None => None,
    };
    let leaf = sub.unwrap_or(def);
    Ok(BoundAttr {
        loc: top.loc,
        name: top.name,
        sub: sub.map(|s| s.name.to_string()),
        ty: leaf.ty,
        case_exact: leaf.case_exact,
        multi_valued: def.multi_valued,
    })
}

/// An attribute inside `attr[...]`: a sub-attribute of the element.
fn element_leaf(
    kind: ResourceKind,
    path: &AttrPath,
    element: &Element,
) -> Result<BoundAttr, ScimError> {
    let parent = &element.attr.name;
    let sub = match (&path.urn, &path.sub) {
        (None, None) => element.def.sub(&path.name),
        _ => None,
    };
    let sub = sub.ok_or_else(|| unknown(kind, &format!("{parent}.{path}")))?;
    Ok(BoundAttr {
        loc: element.attr.loc.clone(),
        name: parent.clone(),
        sub: Some(sub.name.to_string()),
        ty: sub.ty,
        case_exact: sub.case_exact,
        multi_valued: element.attr.multi_valued,
    })
}

/// Resolve the top-level attribute of `path` (common, core, enterprise, or a custom extension).
fn resolve_top(kind: ResourceKind, path: &AttrPath) -> Result<Top, ScimError> {
    let urn = path.urn.as_deref();
    if let Some(resolved) = schema::resolve(kind, urn, &path.name) {
        if resolved.def.returned == Returned::Never {
            return Err(ScimError::invalid_filter(format!(
                "attribute \"{}\" cannot be used in a filter",
                resolved.def.name
            )));
        }
        let loc = match resolved.home {
            AttrHome::Core => AttrLoc::Core,
            AttrHome::Extension(s) => AttrLoc::Extension(s.id.to_string()),
        };
        return Ok(Top {
            loc,
            name: resolved.def.name.to_string(),
            def: Some(resolved.def),
        });
    }
    match urn {
        Some(urn) if kind.is_custom_extension(urn) => Ok(Top {
            loc: AttrLoc::Extension(urn.to_string()),
            name: path.name.clone(),
            def: None,
        }),
        Some(urn) if !is_known_schema(kind, urn) => Err(ScimError::invalid_filter(format!(
            "unknown schema \"{urn}\" in filter for {}",
            kind.name()
        ))),
        Some(urn) => Err(unknown(kind, &format!("{urn}:{}", path.name))),
        None => Err(unknown(kind, &path.name)),
    }
}

fn is_known_schema(kind: ResourceKind, urn: &str) -> bool {
    kind.core().id.eq_ignore_ascii_case(urn) || schema::extension(kind, urn).is_some()
}

fn unknown(kind: ResourceKind, name: &str) -> ScimError {
    ScimError::invalid_filter(format!(
        "unknown attribute \"{name}\" in filter for {}",
        kind.name()
    ))
}

/// RFC 7644 §3.4.2.2 operator/type rules; returns the value to compare with (see [`bind`]).
fn check_comparison(
    attr: &BoundAttr,
    op: CompareOp,
    value: &CompValue,
) -> Result<CompValue, ScimError> {
    let label = match &attr.sub {
        Some(sub) => format!("{}.{sub}", attr.name),
        None => attr.name.clone(),
    };
    let ty = attr.ty;
    if ty == AttrType::Complex {
        return Err(ScimError::invalid_filter(format!(
            "attribute \"{label}\" is complex; filter on one of its sub-attributes or use \"pr\""
        )));
    }
    let ordering = matches!(
        op,
        CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le
    );
    let substring = matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew);
    let unordered = matches!(ty, AttrType::Boolean | AttrType::Binary);
    let non_text = matches!(
        ty,
        AttrType::Boolean | AttrType::Integer | AttrType::Decimal
    );
    if (ordering && unordered) || (substring && non_text) {
        return Err(ScimError::invalid_filter(format!(
            "operator \"{op}\" cannot be used with {} attribute \"{label}\"",
            ty.as_str()
        )));
    }
    if *value == CompValue::Null {
        return match op {
            CompareOp::Eq | CompareOp::Ne => Ok(CompValue::Null),
            _ => Err(ScimError::invalid_filter(format!(
                "operator \"{op}\" cannot be used with null"
            ))),
        };
    }
    let mismatch = |expected: &str| {
        ScimError::invalid_filter(format!(
            "attribute \"{label}\" is {}; compare it with {expected}",
            ty.as_str()
        ))
    };
    match (ty, value) {
        (AttrType::Boolean, CompValue::Bool(_)) => Ok(value.clone()),
        // interop(entra): `roles[primary eq "True"]`.
        (AttrType::Boolean, CompValue::Str(s)) if s.eq_ignore_ascii_case("true") => {
            Ok(CompValue::Bool(true))
        }
        (AttrType::Boolean, CompValue::Str(s)) if s.eq_ignore_ascii_case("false") => {
            Ok(CompValue::Bool(false))
        }
        (AttrType::Boolean, _) => Err(mismatch("true or false")),
        (AttrType::Integer | AttrType::Decimal, CompValue::Number(_)) => Ok(value.clone()),
        (AttrType::Integer | AttrType::Decimal, _) => Err(mismatch("a number")),
        (AttrType::DateTime, CompValue::Str(s)) if substring || parse_date_time(s).is_some() => {
            Ok(value.clone())
        }
        (AttrType::DateTime, _) => Err(mismatch(
            "an RFC 3339 date-time such as \"2024-01-31T12:00:00Z\"",
        )),
        (_, CompValue::Str(_)) => Ok(value.clone()),
        // Legacy unquoted literals: `externalId eq 12345` means the text.
        (_, CompValue::Number(n)) => Ok(CompValue::Str(n.to_string())),
        (_, CompValue::Bool(b)) => Ok(CompValue::Str(b.to_string())),
        (_, CompValue::Null) => Ok(CompValue::Null),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::filter::parse;
    use crate::scim::schema::ENTERPRISE_USER_URN;

    #[track_caller]
    fn bound(kind: ResourceKind, text: &str) -> BoundFilter {
        bind(kind, &parse(text).unwrap()).unwrap_or_else(|e| panic!("{text}: {}", e.detail))
    }

    #[track_caller]
    fn user(text: &str) -> BoundFilter {
        bound(ResourceKind::User, text)
    }

    #[track_caller]
    fn rejected(kind: ResourceKind, text: &str) -> String {
        let e = bind(kind, &parse(text).unwrap()).unwrap_err();
        assert_eq!(e.scim_type, Some(crate::scim::ScimType::InvalidFilter));
        e.detail
    }

    #[track_caller]
    fn compared(f: &BoundFilter) -> (&BoundAttr, &CompValue) {
        match f {
            BoundFilter::Compare(attr, _, value) => (attr, value),
            other => panic!("not a comparison: {other:?}"),
        }
    }

    fn attr(
        loc: AttrLoc,
        name: &str,
        sub: Option<&str>,
        ty: AttrType,
        case_exact: bool,
        multi: bool,
    ) -> BoundAttr {
        BoundAttr {
            loc,
            name: name.into(),
            sub: sub.map(Into::into),
            ty,
            case_exact,
            multi_valued: multi,
        }
    }

    #[test]
    fn names_are_canonicalised() {
        let f = user("DisplayName eq \"BobIsAmazing\"");
        assert_eq!(
            compared(&f).0,
            &attr(
                AttrLoc::Core,
                "displayName",
                None,
                AttrType::String,
                false,
                false
            )
        );
        let f = user("meta.Created gt 2015-10-10T14:38:21.8617979-07:00");
        assert_eq!(
            compared(&f).0,
            &attr(
                AttrLoc::Core,
                "meta",
                Some("created"),
                AttrType::DateTime,
                false,
                false
            )
        );
        let f = user("emails.Value co example.com");
        assert_eq!(
            compared(&f).0,
            &attr(
                AttrLoc::Core,
                "emails",
                Some("value"),
                AttrType::String,
                false,
                true
            )
        );
        let f = user("ID eq \"x\"");
        assert_eq!(
            compared(&f).0,
            &attr(AttrLoc::Core, "id", None, AttrType::String, true, false)
        );
    }

    #[test]
    fn complex_attributes_compare_their_value_sub_attribute() {
        let f = user("emails co \"x\"");
        assert_eq!(compared(&f).0.sub.as_deref(), Some("value"));
        let f = user("id eq \"x\" and manager eq \"y\"");
        let BoundFilter::And(_, manager) = f else {
            panic!()
        };
        let expected = attr(
            AttrLoc::Extension(ENTERPRISE_USER_URN.into()),
            "manager",
            Some("value"),
            AttrType::String,
            false,
            false,
        );
        assert_eq!(compared(&manager).0, &expected);
        assert!(matches!(user("emails pr"), BoundFilter::Present(a) if a.sub.is_none()));
        assert!(rejected(ResourceKind::User, "name eq \"x\"").contains("complex"));
        assert!(rejected(ResourceKind::User, "meta eq \"x\"").contains("complex"));
        assert!(matches!(user("name pr"), BoundFilter::Present(_)));
    }

    #[test]
    fn enterprise_attributes_bind_with_or_without_urn() {
        for text in [
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq \"1\"",
            "employeeNumber eq \"1\"",
            "URN:IETF:params:scim:schemas:extension:enterprise:2.0:user:EmployeeNumber eq \"1\"",
        ] {
            let f = user(text);
            let expected = attr(
                AttrLoc::Extension(ENTERPRISE_USER_URN.into()),
                "employeeNumber",
                None,
                AttrType::String,
                false,
                false,
            );
            assert_eq!(compared(&f).0, &expected, "{text}");
        }
        let f = user(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq \"x\"",
        );
        assert_eq!(compared(&f).0.sub.as_deref(), Some("value"));
        let f = user("urn:ietf:params:scim:schemas:core:2.0:User:userName eq \"x\"");
        assert_eq!(compared(&f).0.name, "userName");
    }

    #[test]
    fn custom_extension_attributes_bind_as_strings() {
        let urn = "urn:ietf:params:scim:schemas:extension:Acme:2.0:User";
        let f = user(&format!("{urn}:badge eq 42"));
        let (a, v) = compared(&f);
        assert_eq!(
            a,
            &attr(
                AttrLoc::Extension(urn.into()),
                "badge",
                None,
                AttrType::String,
                false,
                false
            )
        );
        assert_eq!(v, &CompValue::Str("42".into()));
        assert!(
            rejected(ResourceKind::Group, &format!("{urn}:badge eq 42")).contains("unknown schema")
        );
    }

    #[test]
    fn unknown_attributes_are_named() {
        assert_eq!(
            rejected(ResourceKind::User, "fooBar eq \"x\""),
            "unknown attribute \"fooBar\" in filter for User"
        );
        assert_eq!(
            rejected(ResourceKind::User, "emails.foo eq \"x\""),
            "unknown attribute \"emails.foo\" in filter for User"
        );
        assert_eq!(
            rejected(ResourceKind::User, "emails[foo eq \"x\"]"),
            "unknown attribute \"emails.foo\" in filter for User"
        );
        assert_eq!(
            rejected(ResourceKind::User, "userName.x eq \"x\""),
            "unknown attribute \"userName.x\" in filter for User"
        );
        assert_eq!(
            rejected(ResourceKind::Group, "userName eq \"x\""),
            "unknown attribute \"userName\" in filter for Group"
        );
        assert!(rejected(
            ResourceKind::User,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:foo pr"
        )
        .contains("unknown attribute"));
        assert!(
            rejected(ResourceKind::User, "urn:x:y:foo pr").contains("unknown schema \"urn:x:y\"")
        );
    }

    #[test]
    fn password_is_not_filterable() {
        assert_eq!(
            rejected(ResourceKind::User, "password eq \"x\""),
            "attribute \"password\" cannot be used in a filter"
        );
    }

    #[test]
    fn value_paths_bind_inner_attributes_relative_to_the_element() {
        let f = user("emails[type eq \"work\"].value eq \"a@b\"");
        let BoundFilter::Any(outer, inner) = f else {
            panic!()
        };
        assert_eq!(
            outer,
            attr(
                AttrLoc::Core,
                "emails",
                None,
                AttrType::Complex,
                false,
                true
            )
        );
        let BoundFilter::And(t, v) = *inner else {
            panic!()
        };
        assert_eq!(
            compared(&t).0,
            &attr(
                AttrLoc::Core,
                "emails",
                Some("type"),
                AttrType::String,
                false,
                true
            )
        );
        assert_eq!(
            compared(&v).0,
            &attr(
                AttrLoc::Core,
                "emails",
                Some("value"),
                AttrType::String,
                false,
                true
            )
        );
        assert!(
            rejected(ResourceKind::User, "userName[value eq \"x\"]").contains("complex attribute")
        );
        assert!(matches!(
            bound(ResourceKind::Group, "members[value eq \"x\"]"),
            BoundFilter::Any(..)
        ));
        assert!(matches!(
            bound(ResourceKind::Group, "members.value eq \"x\""),
            BoundFilter::Compare(..)
        ));
    }

    #[test]
    fn string_true_and_false_compare_with_booleans() {
        let f = user("roles[primary eq \"True\"]");
        let BoundFilter::Any(_, inner) = f else {
            panic!()
        };
        assert_eq!(compared(&inner).1, &CompValue::Bool(true));
        assert_eq!(
            compared(&user("active eq \"FALSE\"")).1,
            &CompValue::Bool(false)
        );
        assert!(rejected(ResourceKind::User, "active eq \"yes\"").contains("boolean"));
        assert!(rejected(ResourceKind::User, "active eq 1").contains("boolean"));
    }

    #[test]
    fn operators_must_suit_the_type() {
        assert_eq!(
            rejected(ResourceKind::User, "active gt true"),
            "operator \"gt\" cannot be used with boolean attribute \"active\""
        );
        assert!(rejected(ResourceKind::User, "active co \"t\"").contains("\"co\""));
        assert!(rejected(ResourceKind::User, "x509Certificates.value lt \"a\"").contains("binary"));
        assert!(rejected(ResourceKind::User, "title gt null").contains("null"));
        assert!(matches!(
            user("meta.created sw \"2015\""),
            BoundFilter::Compare(..)
        ));
        assert!(matches!(user("title gt \"a\""), BoundFilter::Compare(..)));
        assert!(matches!(user("title eq null"), BoundFilter::Compare(..)));
    }

    #[test]
    fn date_times_must_parse() {
        assert!(
            rejected(ResourceKind::User, "meta.lastModified gt \"yesterday\"").contains("RFC 3339")
        );
        assert!(rejected(ResourceKind::User, "meta.created eq 5").contains("dateTime"));
        assert!(matches!(
            user("meta.lastModified ge \"2024-01-31T12:00:00Z\""),
            BoundFilter::Compare(..)
        ));
    }

    #[test]
    fn numbers_and_booleans_compared_with_strings_become_text() {
        assert_eq!(
            compared(&user("externalId eq 12345")).1,
            &CompValue::Str("12345".into())
        );
        assert_eq!(
            compared(&user("title eq true")).1,
            &CompValue::Str("true".into())
        );
    }

    #[test]
    fn meta_sub_attributes_bind_with_their_case_rules() {
        for sub in ["resourceType", "location", "version"] {
            let f = user(&format!("meta.{sub} eq \"x\""));
            assert!(compared(&f).0.case_exact, "{sub}");
        }
    }
}
