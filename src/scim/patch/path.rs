//! Resolving a PATCH `path` (RFC 7644 §3.5.2: `attrPath / valuePath [subAttr]`) against a
//! resource kind's schemas, and selecting the elements a value filter names.

use super::apply::Deps;
use super::members;
use crate::scim::filter::{AttrPath, BoundFilter, CompValue, CompareOp, Filter, PatchPath};
use crate::scim::resource::parse_bool_text;
use crate::scim::schema::{self, AttrHome, AttrType, AttributeDef, Mutability, ResourceKind};
use crate::scim::ScimError;
use serde_json::{Map, Value};

/// Where a schema attribute lives in a stored document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Home {
    /// A top-level key.
    Core,
    /// Under the extension object keyed by this canonical URN.
    Ext(&'static str),
}

/// What a path names.
#[derive(Debug)]
pub(super) enum Target {
    /// A schema attribute, optionally narrowed by a value filter and/or a sub-attribute.
    Attr(AttrTarget),
    /// An attribute of a custom extension (no schema: stored as sent).
    Custom { urn: String, name: String },
    /// A whole schema object: an extension URN (or the core URN) used as the path or as a key of
    /// a path-less value. Its value is an object of that schema's attributes.
    Schema { urn: String },
    /// Group `members`, optionally narrowed to these ids by a `value eq` filter.
    Members(Option<Vec<String>>),
    /// Names no attribute of the resource type.
    Unknown,
}

#[derive(Debug)]
pub(super) struct AttrTarget {
    pub home: Home,
    pub def: &'static AttributeDef,
    pub filter: Option<Selector>,
    pub sub: Option<&'static AttributeDef>,
}

/// A bound value filter (`emails[type eq "work"]`) plus what a new element would hold.
#[derive(Debug)]
pub(super) struct Selector {
    bound: BoundFilter,
    /// The filter's `sub eq value` conditions when it is only such conditions joined by `and`;
    /// `None` when no element can be built from it.
    pub create: Option<Map<String, Value>>,
}

/// A path before schema resolution.
pub(super) enum Parsed {
    /// A bare schema URN (`urn:…:enterprise:2.0:User`).
    Schema(String),
    Path(PatchPath),
}

/// Parse `text` as a PATCH path. A bare schema URN is recognised here, because the path grammar
/// cannot tell it from `urn:…:2.0` + attribute `User`.
pub(super) fn parse(kind: ResourceKind, text: &str, deps: &Deps) -> Result<Parsed, ScimError> {
    let text = text.trim();
    if let Some(ext) = schema::extension(kind, text) {
        return Ok(Parsed::Schema(ext.id.to_string()));
    }
    if text.eq_ignore_ascii_case(kind.core().id) {
        return Ok(Parsed::Schema(kind.core().id.to_string()));
    }
    if kind.is_custom_extension(text) {
        return Ok(Parsed::Schema(text.to_string()));
    }
    (deps.parse_path)(text)
        .map(Parsed::Path)
        .map_err(|e| ScimError::invalid_path(format!("path {text:?} is malformed: {}", e.detail)))
}

/// Resolve a parsed path against `kind`'s schemas. `text` is the path as sent, for messages.
pub(super) fn resolve(
    kind: ResourceKind,
    parsed: Parsed,
    text: &str,
    deps: &Deps,
) -> Result<Target, ScimError> {
    let pp = match parsed {
        Parsed::Schema(urn) => return Ok(Target::Schema { urn }),
        Parsed::Path(pp) => pp,
    };
    let (urn, name, sub) = split_names(kind, pp.urn, pp.name, pp.sub)?;
    let is_core = urn
        .as_deref()
        .is_none_or(|u| u.eq_ignore_ascii_case(kind.core().id));
    if kind == ResourceKind::Group && is_core && name.eq_ignore_ascii_case("members") {
        if sub.is_some() {
            return Err(ScimError::invalid_path(format!(
                "{text:?}: members are added and removed whole, not by sub-attribute; {}",
                members::SUPPORTED_FORMS
            )));
        }
        return pp
            .filter
            .as_ref()
            .map(members::filter_ids)
            .transpose()
            .map(Target::Members);
    }
    if let Some(u) = urn.as_deref().filter(|_| !is_core) {
        if schema::extension(kind, u).is_none() {
            if !kind.is_custom_extension(u) {
                return Ok(Target::Unknown);
            }
            if pp.filter.is_some() || sub.is_some() {
                return Err(ScimError::invalid_path(format!(
                    "{text:?}: attributes of the custom extension {u} are simple values, without sub-attributes or filters"
                )));
            }
            return Ok(Target::Custom {
                urn: u.to_string(),
                name,
            });
        }
    }
    let Some(r) = schema::resolve(kind, urn.as_deref(), &name) else {
        return Ok(Target::Unknown);
    };
    let def = r.def;
    if def.mutability == Mutability::ReadOnly {
        return Err(read_only(def.name, kind));
    }
    let home = match r.home {
        AttrHome::Core => Home::Core,
        AttrHome::Extension(s) => Home::Ext(s.id),
    };
    let sub = match sub {
        None => None,
        Some(_) if def.ty != AttrType::Complex => {
            return Err(ScimError::invalid_path(format!(
                "{text:?}: {} is a simple attribute and has no sub-attributes",
                def.name
            )))
        }
        Some(s) => match def.sub(&s) {
            None => return Ok(Target::Unknown),
            Some(d) if d.mutability == Mutability::ReadOnly => {
                return Err(read_only(&format!("{}.{}", def.name, d.name), kind))
            }
            Some(d) => Some(d),
        },
    };
    let filter = match pp.filter {
        None => None,
        Some(_) if def.ty != AttrType::Complex => {
            return Err(ScimError::invalid_path(format!(
                "{text:?}: a [filter] selects elements of a multi-valued attribute, and {} is a single-valued simple attribute",
                def.name
            )))
        }
        Some(f) => Some(Selector::new(kind, home, def, &f, deps).map_err(|e| {
            ScimError::invalid_path(format!("the filter in {text:?}: {}", e.detail))
        })?),
    };
    Ok(Target::Attr(AttrTarget {
        home,
        def,
        filter,
        sub,
    }))
}

fn read_only(name: &str, kind: ResourceKind) -> ScimError {
    ScimError::mutability(format!(
        "{name} is readOnly: the server sets it and a PATCH of a {} cannot change it",
        kind.name()
    ))
}

/// `(urn, name, sub)` of a parsed path. Tolerates a parser that left the URN in the name.
fn split_names(
    kind: ResourceKind,
    urn: Option<String>,
    name: String,
    sub: Option<String>,
) -> Result<(Option<String>, String, Option<String>), ScimError> {
    if urn.is_some() || !name.contains(':') {
        return Ok((urn, name, sub));
    }
    match schema::split_urn(kind, &name) {
        Some((u, rest)) => match rest.split_once('.') {
            Some((n, s)) if sub.is_none() => Ok((Some(u), n.to_string(), Some(s.to_string()))),
            _ => Ok((Some(u), rest, sub)),
        },
        None => Ok((None, name, sub)),
    }
}

impl Selector {
    /// Bind `filter` (relative to the elements of `def`: `type eq "work"`) by qualifying every
    /// attribute with `def` (`emails.type eq "work"`), so the one filter evaluator of the code
    /// base (`filter::matches`) can test an element wrapped as a document of its own.
    fn new(
        kind: ResourceKind,
        home: Home,
        def: &'static AttributeDef,
        filter: &Filter,
        deps: &Deps,
    ) -> Result<Selector, ScimError> {
        let qualified = qualify(filter, home, def)?;
        let bound = (deps.bind)(kind, &qualified)?;
        let mut create = Some(Map::new());
        eq_conditions(&qualified, &mut create);
        Ok(Selector { bound, create })
    }

    /// Whether the element `elem` of `def` satisfies the filter.
    pub(super) fn matches(
        &self,
        deps: &Deps,
        home: Home,
        def: &'static AttributeDef,
        elem: &Value,
    ) -> bool {
        let v = if def.multi_valued {
            Value::Array(vec![elem.clone()])
        } else {
            elem.clone()
        };
        let attr = Map::from_iter([(def.name.to_string(), v)]);
        let doc = match home {
            Home::Core => attr,
            Home::Ext(urn) => Map::from_iter([(urn.to_string(), Value::Object(attr))]),
        };
        (deps.matches)(&self.bound, &doc)
    }
}

fn qualify(f: &Filter, home: Home, def: &'static AttributeDef) -> Result<Filter, ScimError> {
    let full = |ap: &AttrPath| -> Result<(AttrPath, &'static AttributeDef), ScimError> {
        let sub = element_attr(ap, def)?;
        let path = AttrPath {
            urn: match home {
                Home::Core => None,
                Home::Ext(u) => Some(u.to_string()),
            },
            name: def.name.to_string(),
            sub: Some(sub.name.to_string()),
        };
        Ok((path, sub))
    };
    Ok(match f {
        Filter::Compare(ap, op, v) => {
            let (path, sub) = full(ap)?;
            Filter::Compare(path, *op, coerce(sub, v))
        }
        Filter::Present(ap) => Filter::Present(full(ap)?.0),
        Filter::And(a, b) => Filter::And(
            Box::new(qualify(a, home, def)?),
            Box::new(qualify(b, home, def)?),
        ),
        Filter::Or(a, b) => Filter::Or(
            Box::new(qualify(a, home, def)?),
            Box::new(qualify(b, home, def)?),
        ),
        Filter::Not(a) => Filter::Not(Box::new(qualify(a, home, def)?)),
        Filter::ValuePath(..) => {
            return Err(ScimError::invalid_path(
                "a value filter cannot contain another [filter]",
            ))
        }
    })
}

/// The sub-attribute an attribute inside `def[...]` names: `type`, or (tolerated) `emails.type`.
fn element_attr(
    ap: &AttrPath,
    def: &'static AttributeDef,
) -> Result<&'static AttributeDef, ScimError> {
    let name = match (&ap.urn, &ap.sub) {
        (None, None) => ap.name.as_str(),
        (None, Some(s)) if ap.name.eq_ignore_ascii_case(def.name) => s.as_str(),
        _ => {
            return Err(ScimError::invalid_path(format!(
                "inside {}[...] name sub-attributes of {} (e.g. type eq \"work\")",
                def.name, def.name
            )))
        }
    };
    def.sub(name).ok_or_else(|| {
        ScimError::invalid_path(format!("{} has no sub-attribute {name:?}", def.name))
    })
}

/// interop(entra): Entra writes boolean conditions as strings, `roles[primary eq "True"]`
/// (entra-scim.md §3.1); compare them as the booleans they stand for.
fn coerce(sub: &AttributeDef, v: &CompValue) -> CompValue {
    match v {
        CompValue::Str(s) if sub.ty == AttrType::Boolean => {
            parse_bool_text(s).map_or_else(|| v.clone(), CompValue::Bool)
        }
        _ => v.clone(),
    }
}

/// Collect `sub eq value` conditions joined by `and` from a qualified filter; any other shape
/// leaves `out` as `None`.
fn eq_conditions(f: &Filter, out: &mut Option<Map<String, Value>>) {
    match f {
        Filter::And(a, b) => {
            eq_conditions(a, out);
            eq_conditions(b, out);
        }
        Filter::Compare(AttrPath { sub: Some(sub), .. }, CompareOp::Eq, v) => {
            let value = match v {
                CompValue::Str(s) => Value::String(s.clone()),
                CompValue::Bool(b) => Value::Bool(*b),
                CompValue::Number(n) => Value::Number(n.clone()),
                CompValue::Null => {
                    *out = None;
                    return;
                }
            };
            if let Some(m) = out {
                m.insert(sub.clone(), value);
            }
        }
        _ => *out = None,
    }
}
