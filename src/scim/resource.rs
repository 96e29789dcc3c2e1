//! Resource documents: checking a client-sent User or Group against its schemas (RFC 7643),
//! normalising what Entra sends, and rendering stored documents back to SCIM JSON.
//!
//! A stored document ("doc") is a JSON object with canonical attribute names and values kept
//! exactly as sent, minus what the server owns: no `schemas`, `id`, `meta`, User `groups` or
//! Group `members` (memberships are rows). Rendering adds those back.

use crate::scim::schema::{
    self, AttrType, AttributeDef, Mutability, ResourceKind, ENTERPRISE_USER_URN,
};
use crate::scim::ScimError;
use serde_json::{Map, Value};

/// What checking a document changed or dropped, for the provisioning log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notes {
    /// Lenient readings applied, e.g. `active: string "False" read as false`.
    pub normalizations: Vec<String>,
    /// Attributes that belong to no schema and were dropped.
    pub dropped: Vec<String>,
}

impl Notes {
    pub fn is_empty(&self) -> bool {
        self.normalizations.is_empty() && self.dropped.is_empty()
    }
    pub fn extend(&mut self, other: Notes) {
        self.normalizations.extend(other.normalizations);
        self.dropped.extend(other.dropped);
    }
    /// All notes as log lines.
    pub fn lines(&self) -> Vec<String> {
        let dropped = self
            .dropped
            .iter()
            .map(|d| format!("{d}: not in any schema, dropped"));
        self.normalizations.iter().cloned().chain(dropped).collect()
    }
}

/// Per-tenant checking options.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckOptions {
    /// Reject attributes that belong to no schema (400) instead of dropping them.
    pub strict: bool,
}

/// A member reference from a Group body or a members PATCH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRef {
    pub value: String,
    /// `User` or `Group` when the client said so (case-normalised); otherwise storage decides.
    pub kind: Option<String>,
    pub display: Option<String>,
}

/// A checked document, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub doc: Map<String, Value>,
    /// Group members from the body (always empty for Users).
    pub members: Vec<MemberRef>,
    pub notes: Notes,
}

/// Check a full resource body (POST, PUT) for `kind`.
///
/// RFC 7643 §2.1: attribute names and schema URNs are case-insensitive; §2.5: null and empty
/// arrays mean "unassigned"; §3.1: `id` and `meta` are server-owned and ignored when sent.
pub fn check(kind: ResourceKind, body: &Value, opts: CheckOptions) -> Result<Checked, ScimError> {
    let obj = body.as_object().ok_or_else(|| {
        ScimError::invalid_syntax(format!("the {} body must be a JSON object", kind.name()))
    })?;
    let mut notes = Notes::default();
    if let Some(s) = get_ci(obj, "schemas") {
        check_schemas(kind, s)?;
    }
    let mut doc = DocBuilder::default();
    let mut members = Vec::new();
    for (key, value) in obj {
        check_top_level(kind, key, value, opts, &mut doc, &mut members, &mut notes)?;
    }
    let doc = finish(kind, doc.into_doc(), &mut notes)?;
    Ok(Checked {
        doc,
        members,
        notes,
    })
}

/// Re-check a document produced by applying PATCH operations to a stored one: same rules as
/// [`check`], so a PATCH can never store what a POST could not.
pub fn recheck(
    kind: ResourceKind,
    doc: Map<String, Value>,
    opts: CheckOptions,
) -> Result<Checked, ScimError> {
    check(kind, &Value::Object(doc), opts)
}

fn check_schemas(kind: ResourceKind, schemas: &Value) -> Result<(), ScimError> {
    let list = match schemas {
        Value::Null => return Ok(()),
        Value::Array(a) => a,
        _ => {
            return Err(ScimError::invalid_syntax(
                "\"schemas\" must be an array of schema URNs",
            ))
        }
    };
    for s in list {
        let urn = s
            .as_str()
            .ok_or_else(|| ScimError::invalid_syntax("\"schemas\" must contain only strings"))?;
        if !looks_like_uri(urn) {
            return Err(ScimError::invalid_syntax(format!(
                "\"schemas\" contains {urn:?}, which is not a schema URN (expected e.g. {:?})",
                kind.core().id
            )));
        }
        let is_other_kind = [ResourceKind::User, ResourceKind::Group]
            .iter()
            .any(|k| *k != kind && k.core().id.eq_ignore_ascii_case(urn));
        if is_other_kind {
            return Err(ScimError::invalid_value(format!(
                "\"schemas\" lists {urn:?}, but this endpoint takes {} resources ({:?})",
                kind.name(),
                kind.core().id
            )));
        }
    }
    Ok(())
}

fn looks_like_uri(s: &str) -> bool {
    match s.split_once(':') {
        Some((scheme, rest)) => {
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                && !rest.is_empty()
                && !s.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

#[allow(clippy::too_many_arguments)]
fn check_top_level(
    kind: ResourceKind,
    key: &str,
    value: &Value,
    opts: CheckOptions,
    doc: &mut DocBuilder,
    members: &mut Vec<MemberRef>,
    notes: &mut Notes,
) -> Result<(), ScimError> {
    if key.eq_ignore_ascii_case("schemas")
        || key.eq_ignore_ascii_case("id")
        || key.eq_ignore_ascii_case("meta")
    {
        return Ok(());
    }
    if kind == ResourceKind::Group && key.eq_ignore_ascii_case("members") {
        members.extend(check_members(value)?);
        return Ok(());
    }
    if has_urn_prefix(key) {
        return check_urn_key(kind, key, value, opts, doc, notes);
    }
    match schema::resolve(kind, None, key) {
        Some(r) if r.home == schema::AttrHome::Core => {
            if r.def.mutability == Mutability::ReadOnly {
                return Ok(());
            }
            if let Some(v) = check_value(r.def, value, r.def.name, opts, notes)? {
                doc.attrs.insert(r.def.name.to_string(), v);
            }
            Ok(())
        }
        // An extension attribute written at the top level without its URN: put it where it belongs.
        Some(r) => {
            let urn = r.schema_urn(kind);
            if let Some(v) = check_value(r.def, value, r.def.name, opts, notes)? {
                doc.ext(urn).insert(r.def.name.to_string(), v);
                notes
                    .normalizations
                    .push(format!("{key}: read as {urn}:{}", r.def.name));
            }
            Ok(())
        }
        None => unknown(kind, key, opts, notes),
    }
}

fn unknown(
    kind: ResourceKind,
    name: &str,
    opts: CheckOptions,
    notes: &mut Notes,
) -> Result<(), ScimError> {
    if opts.strict {
        return Err(ScimError::invalid_value(format!(
            "attribute {name:?} is not defined for {} (this tenant is in strict mode)",
            kind.name()
        )));
    }
    notes.dropped.push(name.to_string());
    Ok(())
}

fn has_urn_prefix(key: &str) -> bool {
    key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
}

/// A top-level key that is a schema URN (an extension object) or a URN-qualified attribute.
fn check_urn_key(
    kind: ResourceKind,
    key: &str,
    value: &Value,
    opts: CheckOptions,
    doc: &mut DocBuilder,
    notes: &mut Notes,
) -> Result<(), ScimError> {
    if let Some(ext) = schema::extension(kind, key) {
        return check_extension(kind, ext, value, opts, doc, notes);
    }
    if key.eq_ignore_ascii_case(kind.core().id) {
        // Core attributes nested under the core URN: read them as top-level attributes.
        let obj = value.as_object().ok_or_else(|| {
            ScimError::invalid_value(format!(
                "{key:?} must be an object of {} attributes",
                kind.name()
            ))
        })?;
        for (k, v) in obj {
            check_top_level(kind, k, v, opts, doc, &mut Vec::new(), notes)?;
        }
        return Ok(());
    }
    if kind.is_custom_extension(key) {
        return check_custom_extension(key, value, doc);
    }
    if let Some((urn, rest)) = schema::split_urn(kind, key) {
        return check_qualified(kind, &urn, &rest, value, opts, doc, notes);
    }
    unknown(kind, key, opts, notes)
}

/// `urn:…:enterprise:2.0:User:department` (or `…:manager.value`) as a top-level key.
fn check_qualified(
    kind: ResourceKind,
    urn: &str,
    rest: &str,
    value: &Value,
    opts: CheckOptions,
    doc: &mut DocBuilder,
    notes: &mut Notes,
) -> Result<(), ScimError> {
    if kind.is_custom_extension(urn) {
        if !value.is_null() {
            doc.ext(urn).insert(rest.to_string(), value.clone());
        }
        return Ok(());
    }
    let (name, sub) = match rest.split_once('.') {
        Some((n, s)) => (n, Some(s)),
        None => (rest, None),
    };
    let Some(r) = schema::resolve(kind, Some(urn), name) else {
        return unknown(kind, &format!("{urn}:{rest}"), opts, notes);
    };
    let wrapped;
    let value = match sub {
        Some(s) => {
            wrapped = Value::Object(Map::from_iter([(s.to_string(), value.clone())]));
            &wrapped
        }
        None => value,
    };
    if let Some(v) = check_value(r.def, value, r.def.name, opts, notes)? {
        let target = if urn.eq_ignore_ascii_case(kind.core().id) {
            &mut doc.attrs
        } else {
            doc.ext(r.schema_urn(kind))
        };
        target.insert(r.def.name.to_string(), v);
    }
    Ok(())
}

fn check_extension(
    kind: ResourceKind,
    ext: &'static schema::SchemaDef,
    value: &Value,
    opts: CheckOptions,
    doc: &mut DocBuilder,
    notes: &mut Notes,
) -> Result<(), ScimError> {
    let obj = match value {
        Value::Null => return Ok(()),
        Value::Object(o) => o,
        _ => {
            return Err(ScimError::invalid_value(format!(
                "{} must be an object of extension attributes",
                ext.id
            )))
        }
    };
    for (k, v) in obj {
        match ext.attr(k) {
            Some(def) if def.mutability == Mutability::ReadOnly => {}
            Some(def) => {
                let path = format!("{}:{}", ext.id, def.name);
                if let Some(v) = check_value(def, v, &path, opts, notes)? {
                    doc.ext(ext.id).insert(def.name.to_string(), v);
                }
            }
            None => unknown(kind, &format!("{}:{k}", ext.id), opts, notes)?,
        }
    }
    Ok(())
}

/// Custom extensions (`urn:ietf:params:scim:schemas:extension:<Name>:2.0:User`) have no schema
/// here: their attributes are kept as sent, minus nulls.
fn check_custom_extension(urn: &str, value: &Value, doc: &mut DocBuilder) -> Result<(), ScimError> {
    let obj = match value {
        Value::Null => return Ok(()),
        Value::Object(o) => o,
        _ => {
            return Err(ScimError::invalid_value(format!(
                "{urn} must be an object of extension attributes"
            )))
        }
    };
    for (k, v) in obj {
        if !is_unassigned(v) {
            doc.ext(urn).insert(k.clone(), v.clone());
        }
    }
    Ok(())
}

/// Collects a document: top-level attributes plus extension objects keyed by URN (matched
/// case-insensitively, so `Department` under two spellings of one URN ends up together).
#[derive(Default)]
struct DocBuilder {
    attrs: Map<String, Value>,
    exts: Vec<(String, Map<String, Value>)>,
}

impl DocBuilder {
    fn ext(&mut self, urn: &str) -> &mut Map<String, Value> {
        let i = match self
            .exts
            .iter()
            .position(|(k, _)| k.eq_ignore_ascii_case(urn))
        {
            Some(i) => i,
            None => {
                self.exts.push((urn.to_string(), Map::new()));
                self.exts.len() - 1
            }
        };
        &mut self.exts[i].1
    }

    fn into_doc(self) -> Map<String, Value> {
        let mut doc = self.attrs;
        for (urn, obj) in self.exts {
            if !obj.is_empty() {
                doc.insert(urn, Value::Object(obj));
            }
        }
        doc
    }
}

/// RFC 7643 §2.5: null, "" for a reference to clear, and empty arrays/objects are unassigned.
fn is_unassigned(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Check one attribute value against its definition. `Ok(None)` means "unassigned".
pub fn check_value(
    def: &'static AttributeDef,
    value: &Value,
    path: &str,
    opts: CheckOptions,
    notes: &mut Notes,
) -> Result<Option<Value>, ScimError> {
    if is_unassigned(value) {
        return Ok(None);
    }
    if !def.multi_valued {
        return check_single(def, value, path, opts, notes);
    }
    let items: Vec<&Value> = match value {
        Value::Array(a) => a.iter().collect(),
        other => {
            notes
                .normalizations
                .push(format!("{path}: single value read as a one-element list"));
            vec![other]
        }
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        if let Some(v) = check_single(def, item, &format!("{path}[{i}]"), opts, notes)? {
            out.push(v);
        }
    }
    Ok((!out.is_empty()).then_some(Value::Array(out)))
}

fn check_single(
    def: &'static AttributeDef,
    value: &Value,
    path: &str,
    opts: CheckOptions,
    notes: &mut Notes,
) -> Result<Option<Value>, ScimError> {
    if is_unassigned(value) {
        return Ok(None);
    }
    match def.ty {
        AttrType::Complex => check_complex(def, value, path, opts, notes),
        AttrType::Boolean => check_boolean(value, path, notes).map(Some),
        AttrType::String | AttrType::Reference | AttrType::Binary => match value {
            Value::String(_) => Ok(Some(value.clone())),
            other => Err(wrong_type(path, "a string", other)),
        },
        AttrType::DateTime => match value {
            Value::String(s) if chrono::DateTime::parse_from_rfc3339(s).is_ok() => {
                Ok(Some(value.clone()))
            }
            Value::String(s) => Err(ScimError::invalid_value(format!(
                "{path} must be an RFC 3339 date-time such as \"2026-01-31T12:00:00Z\", got {s:?}"
            ))),
            other => Err(wrong_type(path, "an RFC 3339 date-time string", other)),
        },
        AttrType::Integer => match value {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(Some(value.clone())),
            other => Err(wrong_type(path, "an integer", other)),
        },
        AttrType::Decimal => match value {
            Value::Number(_) => Ok(Some(value.clone())),
            other => Err(wrong_type(path, "a number", other)),
        },
    }
}

fn check_complex(
    def: &'static AttributeDef,
    value: &Value,
    path: &str,
    opts: CheckOptions,
    notes: &mut Notes,
) -> Result<Option<Value>, ScimError> {
    let obj = match value {
        Value::Object(o) => o,
        // interop(entra): the manager arrives as a bare id string (entra-scim.md §2.5 V9).
        Value::String(s) if def.name == "manager" => {
            if s.is_empty() {
                return Ok(None);
            }
            notes
                .normalizations
                .push(format!("{path}: bare string read as {{\"value\": {s:?}}}"));
            return Ok(Some(Value::Object(Map::from_iter([(
                "value".to_string(),
                value.clone(),
            )]))));
        }
        // interop(entra): a roles/entitlements element sent as a JSON string holding an object
        // (entra-scim.md §2.5 V10), or a plain string standing for the "value" sub-attribute.
        Value::String(s) if def.sub("value").is_some() => {
            if let Ok(Value::Object(inner)) = serde_json::from_str::<Value>(s) {
                notes
                    .normalizations
                    .push(format!("{path}: JSON text read as an object"));
                return check_complex(def, &Value::Object(inner), path, opts, notes);
            }
            notes
                .normalizations
                .push(format!("{path}: bare string read as {{\"value\": {s:?}}}"));
            return Ok(Some(Value::Object(Map::from_iter([(
                "value".to_string(),
                value.clone(),
            )]))));
        }
        other => return Err(wrong_type(path, "an object", other)),
    };
    let mut out = Map::new();
    for (k, v) in obj {
        let Some(sub) = def.sub(k) else {
            let name = format!("{path}.{k}");
            if opts.strict {
                return Err(ScimError::invalid_value(format!(
                    "sub-attribute {name:?} is not defined (this tenant is in strict mode)"
                )));
            }
            notes.dropped.push(name);
            continue;
        };
        if sub.mutability == Mutability::ReadOnly {
            continue;
        }
        if let Some(v) = check_single(sub, v, &format!("{path}.{}", sub.name), opts, notes)? {
            out.insert(sub.name.to_string(), v);
        }
    }
    Ok((!out.is_empty()).then_some(Value::Object(out)))
}

/// interop(entra): booleans may arrive as "True"/"False" strings in any case (entra-scim.md §4.1).
fn check_boolean(value: &Value, path: &str, notes: &mut Notes) -> Result<Value, ScimError> {
    match value {
        Value::Bool(_) => Ok(value.clone()),
        Value::String(s) => {
            let b = parse_bool_text(s).ok_or_else(|| {
                ScimError::invalid_value(format!(
                    "{path} must be a boolean (true or false), got the string {s:?}"
                ))
            })?;
            notes
                .normalizations
                .push(format!("{path}: string {s:?} read as {b}"));
            Ok(Value::Bool(b))
        }
        other => Err(wrong_type(path, "a boolean", other)),
    }
}

/// `"true"`/`"false"` in any letter case.
pub fn parse_bool_text(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn wrong_type(path: &str, expected: &str, got: &Value) -> ScimError {
    ScimError::invalid_value(format!("{path} must be {expected}, got {}", json_kind(got)))
}

pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Group members in a body: objects with `value`, or bare id strings (Microsoft's Postman suite).
pub fn check_members(value: &Value) -> Result<Vec<MemberRef>, ScimError> {
    let items: Vec<&Value> = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    items
        .into_iter()
        .enumerate()
        .filter(|(_, v)| !v.is_null())
        .map(|(i, v)| member_ref(v).map_err(|e| e.context(format!("members[{i}]"))))
        .collect()
}

fn member_ref(v: &Value) -> Result<MemberRef, ScimError> {
    match v {
        Value::String(s) if !s.is_empty() => Ok(MemberRef {
            value: s.clone(),
            kind: None,
            display: None,
        }),
        Value::Object(o) => {
            let value = match get_ci(o, "value") {
                Some(Value::String(s)) if !s.is_empty() => s.clone(),
                Some(other) if !other.is_null() => {
                    return Err(ScimError::invalid_value(format!(
                        "value must be a member id string, got {}",
                        json_kind(other)
                    )))
                }
                _ => {
                    return Err(ScimError::invalid_value(
                        "value (the member's id) is required",
                    ))
                }
            };
            let kind = match get_ci(o, "type") {
                Some(Value::String(t)) if t.eq_ignore_ascii_case("user") => {
                    Some("User".to_string())
                }
                Some(Value::String(t)) if t.eq_ignore_ascii_case("group") => {
                    Some("Group".to_string())
                }
                None | Some(Value::Null) => None,
                Some(other) => {
                    return Err(ScimError::invalid_value(format!(
                        "type must be \"User\" or \"Group\", got {other}"
                    )))
                }
            };
            let display = match get_ci(o, "display").or_else(|| get_ci(o, "displayName")) {
                Some(Value::String(s)) => Some(s.clone()),
                _ => None,
            };
            Ok(MemberRef {
                value,
                kind,
                display,
            })
        }
        other => Err(ScimError::invalid_value(format!(
            "a member must be an object with a \"value\" id, got {}",
            json_kind(other)
        ))),
    }
}

/// Case-insensitive object lookup (RFC 7643 §2.1).
pub fn get_ci<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// Required attributes and the invariants scimd keeps for every stored document.
fn finish(
    kind: ResourceKind,
    mut doc: Map<String, Value>,
    notes: &mut Notes,
) -> Result<Map<String, Value>, ScimError> {
    let naming = kind.naming_attr();
    match doc.get(naming) {
        Some(Value::String(s)) if !s.trim().is_empty() => {}
        Some(Value::String(_)) => {
            return Err(ScimError::invalid_value(format!(
                "{naming} must not be empty"
            )))
        }
        _ => {
            return Err(ScimError::invalid_value(format!(
                "{naming} is required for a {} (RFC 7643 §{})",
                kind.name(),
                if kind == ResourceKind::User {
                    "4.1"
                } else {
                    "4.2"
                }
            )))
        }
    }
    // A User always has a boolean `active`, so the stored column and the document agree.
    if kind == ResourceKind::User && !doc.contains_key("active") {
        doc.insert("active".to_string(), Value::Bool(true));
        notes
            .normalizations
            .push("active: not sent, defaulted to true".to_string());
    }
    // Drop extension objects that ended up empty.
    doc.retain(|_, v| !is_unassigned(v));
    Ok(doc)
}

/// Columns storage keeps next to the document for indexed lookups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    /// userName (Users) or displayName (Groups).
    pub name: String,
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    pub active: bool,
}

pub fn extract(kind: ResourceKind, doc: &Map<String, Value>) -> Extracted {
    let text = |k: &str| doc.get(k).and_then(Value::as_str).map(str::to_string);
    Extracted {
        name: text(kind.naming_attr()).unwrap_or_default(),
        external_id: text("externalId"),
        display_name: text("displayName"),
        active: doc.get("active").and_then(Value::as_bool).unwrap_or(true),
    }
}

/// Server-owned metadata of a stored resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub id: String,
    pub created: String,
    pub last_modified: String,
    pub version: i64,
    /// Absolute URL of the resource (`{base}/Users/{id}`).
    pub location: String,
}

impl Meta {
    /// RFC 7644 §3.14 weak entity tag.
    pub fn etag(&self) -> String {
        format!("W/\"{}\"", self.version)
    }
}

/// A member as rendered in a Group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberOut {
    pub value: String,
    pub kind: String,
    pub display: Option<String>,
    /// Absolute URL of the member resource.
    pub location: String,
}

/// Render a stored document as the full SCIM resource (before projection).
pub fn render(
    kind: ResourceKind,
    doc: &Map<String, Value>,
    meta: &Meta,
    members: Option<&[MemberOut]>,
) -> Map<String, Value> {
    let mut schemas = vec![Value::String(kind.core().id.to_string())];
    let mut out = Map::new();
    out.insert("schemas".into(), Value::Null);
    out.insert("id".into(), Value::String(meta.id.clone()));
    for (k, v) in doc {
        if has_urn_prefix(k) {
            schemas.push(Value::String(k.clone()));
        }
        out.insert(k.clone(), v.clone());
    }
    if let Some(members) = members {
        let list = members
            .iter()
            .map(|m| {
                let mut o = Map::new();
                o.insert("value".into(), Value::String(m.value.clone()));
                o.insert("$ref".into(), Value::String(m.location.clone()));
                o.insert("type".into(), Value::String(m.kind.clone()));
                if let Some(d) = &m.display {
                    o.insert("display".into(), Value::String(d.clone()));
                }
                Value::Object(o)
            })
            .collect();
        out.insert("members".into(), Value::Array(list));
    }
    out.insert("schemas".into(), Value::Array(schemas));
    out.insert(
        "meta".into(),
        serde_json::json!({
            "resourceType": kind.name(),
            "created": meta.created,
            "lastModified": meta.last_modified,
            "location": meta.location,
            "version": meta.etag(),
        }),
    );
    out
}

/// The enterprise manager id, if set.
pub fn manager_id(doc: &Map<String, Value>) -> Option<&str> {
    doc.get(ENTERPRISE_USER_URN)?
        .get("manager")?
        .get("value")?
        .as_str()
}

#[cfg(test)]
mod tests;
