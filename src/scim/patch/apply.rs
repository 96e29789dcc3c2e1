//! Applying operations to a working copy of a stored document (RFC 7644 §3.5.2.1–§3.5.2.3).
//!
//! Every value an operation writes is checked against its attribute definition as it is
//! applied (`resource::check_value`), so the working document is always canonical and
//! normalised (a later filter sees `primary: true`, not `"True"`), and errors name the
//! operation. The whole result is re-checked at the end by `resource::recheck`.

use super::path::{self, AttrTarget, Home, Target};
use super::{members, MemberChanges, OpKind, PatchOp, PatchOutcome, PatchRequest};
use crate::scim::diff;
use crate::scim::filter::{self, BoundFilter, Filter, PatchPath};
use crate::scim::resource::{self, json_kind, CheckOptions, Checked, Notes};
use crate::scim::schema::{AttributeDef, ResourceKind};
use crate::scim::ScimError;
use serde_json::{Map, Value};

/// The filter functions the engine uses. Production uses the crate's parser, binder and
/// evaluator ([`REAL`]); unit tests can substitute stand-ins while those are built elsewhere.
pub(super) struct Deps {
    pub(super) parse_path: fn(&str) -> Result<PatchPath, ScimError>,
    pub(super) bind: fn(ResourceKind, &Filter) -> Result<BoundFilter, ScimError>,
    pub(super) matches: fn(&BoundFilter, &Map<String, Value>) -> bool,
}

pub(super) static REAL: Deps = Deps {
    parse_path: filter::parse_patch_path,
    bind: filter::bind,
    matches: filter::matches,
};

/// See [`super::apply`].
pub(super) fn run(
    deps: &Deps,
    kind: ResourceKind,
    current: &Map<String, Value>,
    req: &PatchRequest,
    opts: CheckOptions,
) -> Result<PatchOutcome, ScimError> {
    let mut engine = Engine {
        kind,
        opts,
        deps,
        doc: current.clone(),
        members: MemberChanges::default(),
        notes: Notes::default(),
        index: 0,
    };
    engine
        .notes
        .normalizations
        .extend(req.notes.iter().cloned());
    for (i, op) in req.operations.iter().enumerate() {
        engine.index = i;
        engine
            .op(op)
            .map_err(|e| e.context(format!("Operations[{i}]")))?;
    }
    let Engine {
        doc,
        members,
        mut notes,
        ..
    } = engine;
    let checked = resource::recheck(kind, doc, opts).map_err(|e| {
        e.context(format!(
            "the {} this PATCH would produce is invalid",
            kind.name()
        ))
    })?;
    notes.extend(checked.notes);
    let changes = diff::diff(current, &checked.doc);
    Ok(PatchOutcome {
        checked: Checked {
            doc: checked.doc,
            members: Vec::new(),
            notes,
        },
        members,
        changes,
    })
}

struct Engine<'a> {
    kind: ResourceKind,
    opts: CheckOptions,
    deps: &'a Deps,
    doc: Map<String, Value>,
    members: MemberChanges,
    notes: Notes,
    /// Index of the operation being applied, for notes.
    index: usize,
}

/// How an operation reached its target: through `path`, or as a key of a path-less value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    Path,
    Key,
}

impl Engine<'_> {
    fn op(&mut self, op: &PatchOp) -> Result<(), ScimError> {
        match (&op.path, op.op) {
            (None, OpKind::Remove) => Err(ScimError::no_target(
                "remove needs a \"path\" naming what to remove (RFC 7644 §3.5.2.2)",
            )),
            (_, OpKind::Add | OpKind::Replace) if op.value.is_none() => {
                Err(ScimError::invalid_value(format!(
                    "{} needs a \"value\" (RFC 7644 §3.5.2)",
                    op.op.as_str()
                )))
            }
            (Some(p), _) => {
                let parsed = path::parse(self.kind, p, self.deps)?;
                let target = path::resolve(self.kind, parsed, p, self.deps)?;
                self.target(op.op, target, p, Via::Path, op.value.as_ref())
            }
            (None, _) => self.pathless(op.op, op.value.as_ref()),
        }
    }

    /// RFC 7644 §3.5.2.1: "If omitted, the target location is assumed to be the resource itself.
    /// The "value" parameter contains a set of attributes to be added to the resource."
    /// (§3.5.2.3 likewise for replace.) Each key is applied as if it were the path.
    ///
    /// interop(entra): with `aadOptscim062020` the keys are attribute paths: `name.givenName`,
    /// `urn:…:enterprise:2.0:User:employeeNumber`, mixed with plain names such as `active`
    /// (entra-scim.md §2.5 V3, §5.4).
    fn pathless(&mut self, op: OpKind, value: Option<&Value>) -> Result<(), ScimError> {
        let obj = match value {
            Some(Value::Object(o)) => o,
            other => {
                return Err(ScimError::invalid_value(format!(
                    "{} without a \"path\" needs an object of attributes as its \"value\", e.g. {{\"displayName\":\"…\"}}, got {}",
                    op.as_str(),
                    json_kind(other.unwrap_or(&Value::Null))
                )))
            }
        };
        for (key, v) in obj {
            self.key(op, key, v)?;
        }
        Ok(())
    }

    /// One key of a path-less value (or of a schema object): resolved like a path, but a key
    /// that is no valid path is an unknown attribute rather than a syntax error.
    fn key(&mut self, op: OpKind, key: &str, v: &Value) -> Result<(), ScimError> {
        if key.eq_ignore_ascii_case("schemas") {
            return Ok(());
        }
        let target = match path::parse(self.kind, key, self.deps) {
            Ok(parsed) => path::resolve(self.kind, parsed, key, self.deps)?,
            Err(_) => Target::Unknown,
        };
        self.target(op, target, key, Via::Key, Some(v))
    }

    fn target(
        &mut self,
        op: OpKind,
        target: Target,
        label: &str,
        via: Via,
        value: Option<&Value>,
    ) -> Result<(), ScimError> {
        match target {
            Target::Unknown => self.unknown(label, via),
            Target::Members(ids) => {
                if op == OpKind::Remove && ids.is_none() && value.is_some_and(|v| !v.is_null()) {
                    self.note(format!(
                        "{label}: remove with a value list read as removing only the listed members"
                    ));
                }
                members::apply(&mut self.members, op, ids, value)
            }
            Target::Schema { urn } => self.schema_object(op, &urn, label, value),
            Target::Custom { urn, name } => {
                let new = match op {
                    OpKind::Remove => None,
                    _ => Some(self.blank(value.unwrap_or(&Value::Null), label))
                        .filter(|v| !v.is_null()),
                };
                self.put(Some(&urn), &name, new);
                Ok(())
            }
            Target::Attr(t) => self.attr(op, &t, label, value),
        }
    }

    /// A path naming no attribute: RFC 7644 would answer `400 invalidPath`, which strict
    /// tenants get. interop(entra): Entra's default mappings name attributes a tenant may not
    /// store, and Microsoft's reference implementation skips unknown paths (entra-scim.md §4.4),
    /// so by default the operation is skipped and noted.
    fn unknown(&mut self, label: &str, via: Via) -> Result<(), ScimError> {
        let what = match via {
            Via::Path => "path",
            Via::Key => "value key",
        };
        if self.opts.strict {
            return Err(ScimError::invalid_path(format!(
                "{what} {label:?} names no attribute of {} (this tenant is in strict mode)",
                self.kind.name()
            )));
        }
        self.notes
            .dropped
            .push(format!("Operations[{}]: {what} {label:?}", self.index));
        Ok(())
    }

    /// A bare schema URN as the path (or a key): its value is an object of that schema's
    /// attributes, each applied as `urn:attr`. Remove drops the whole extension.
    fn schema_object(
        &mut self,
        op: OpKind,
        urn: &str,
        label: &str,
        value: Option<&Value>,
    ) -> Result<(), ScimError> {
        let is_core = urn.eq_ignore_ascii_case(self.kind.core().id);
        let value = value.map(|v| self.blank(v, label));
        match (op, value) {
            (OpKind::Remove, _) | (_, Some(Value::Null)) if !is_core => {
                self.remove_ext(urn);
                Ok(())
            }
            (OpKind::Add | OpKind::Replace, Some(Value::Object(obj))) => {
                for (k, v) in &obj {
                    self.key(op, &format!("{urn}:{k}"), v)?;
                }
                Ok(())
            }
            (OpKind::Remove, _) => Err(ScimError::invalid_path(format!(
                "{label:?} names the core schema; remove needs the path of one attribute"
            ))),
            (_, other) => Err(ScimError::invalid_value(format!(
                "the value for {label} must be an object of its attributes, got {}",
                json_kind(other.as_ref().unwrap_or(&Value::Null))
            ))),
        }
    }

    fn attr(
        &mut self,
        op: OpKind,
        t: &AttrTarget,
        label: &str,
        value: Option<&Value>,
    ) -> Result<(), ScimError> {
        let value = value.map(|v| self.blank(v, label));
        let value = value.as_ref();
        let ext = match t.home {
            Home::Core => None,
            Home::Ext(u) => Some(u),
        };
        let old = self.get(ext, t.def.name);
        let new = match (&t.filter, t.sub) {
            (None, None) => self.whole(op, t.def, old, value, label)?,
            (None, Some(sub)) if t.def.multi_valued => {
                self.every_element(op, sub, old, value, label)?
            }
            (None, Some(sub)) => self.sub_of_single(op, sub, old, value, label)?,
            (Some(_), _) => self.filtered(op, t, old, value, label)?,
        };
        // RFC 7644 §3.5.2.2: "If an attribute is removed or becomes unassigned and is defined
        // as a required attribute or a read-only attribute, the server SHALL return [...] a
        // "scimType" error code of "mutability"."
        if t.def.required && new.is_none() {
            return Err(ScimError::mutability(format!(
                "{} is required for a {} and cannot be removed or emptied",
                t.def.name,
                self.kind.name()
            )));
        }
        self.put(ext, t.def.name, new);
        Ok(())
    }

    /// The whole attribute (no filter, no sub-attribute).
    ///
    /// RFC 7644 §3.5.2.1 add: "If the target location specifies a complex attribute, a set of
    /// sub-attributes SHALL be specified in the "value" parameter"; "If the target location
    /// specifies a multi-valued attribute, a new value is added to the attribute."
    /// §3.5.2.3 replace: "If the target location is a multi-valued attribute and no filter is
    /// specified, the attribute and all values are replaced"; for a complex attribute
    /// "Sub-attributes that are not specified in the "value" parameter are left unchanged."
    /// §3.5.2.2 remove: the attribute "SHALL be considered unassigned".
    fn whole(
        &mut self,
        op: OpKind,
        def: &'static AttributeDef,
        old: Option<Value>,
        value: Option<&Value>,
        label: &str,
    ) -> Result<Option<Value>, ScimError> {
        let v = value.unwrap_or(&Value::Null);
        if def.multi_valued {
            let new = elements(self.check(def, v, label)?, true);
            return Ok(match op {
                OpKind::Replace => non_empty(new),
                // Not RFC 7644 (remove carries no value), but clients send the values to
                // remove: remove only those, never the whole attribute.
                OpKind::Remove if !v.is_null() => {
                    self.note(format!(
                        "{label}: remove with a value read as removing only the matching elements"
                    ));
                    let mut list = elements(old, true);
                    list.retain(|e| !new.iter().any(|gone| contains(e, gone)));
                    non_empty(list)
                }
                OpKind::Remove => None,
                OpKind::Add => {
                    let mut list = elements(old, true);
                    for e in new {
                        if !list.contains(&e) {
                            list.push(e);
                        }
                    }
                    non_empty(list)
                }
            });
        }
        if op == OpKind::Remove {
            return Ok(None);
        }
        let v = self.single(v, label)?;
        Ok(match (self.check(def, &v, label)?, old) {
            // interop(entra): the manager is a reference; a new id makes an old `$ref` wrong,
            // so a new manager replaces the old one whole (entra-scim.md §2.5 V9).
            (Some(Value::Object(new)), Some(Value::Object(mut old))) if def.name != "manager" => {
                merge(&mut old, new);
                Some(Value::Object(old))
            }
            (new, _) => new,
        })
    }

    /// `emails.value` without a filter: the sub-attribute of every element (add/replace create
    /// one element when there is none).
    fn every_element(
        &mut self,
        op: OpKind,
        sub: &'static AttributeDef,
        old: Option<Value>,
        value: Option<&Value>,
        label: &str,
    ) -> Result<Option<Value>, ScimError> {
        let mut list = elements(old, true);
        let v = match op {
            OpKind::Remove => None,
            _ => self.check(sub, value.unwrap_or(&Value::Null), label)?,
        };
        if list.is_empty() {
            if let Some(v) = v {
                list.push(Value::Object(Map::from_iter([(sub.name.to_string(), v)])));
            }
        } else {
            for e in &mut list {
                set_sub(e, sub.name, v.clone());
            }
        }
        Ok(non_empty(list))
    }

    /// `name.givenName`, `urn:…:User:manager.value`: one sub-attribute of a single-valued
    /// complex attribute; the others stay.
    fn sub_of_single(
        &mut self,
        op: OpKind,
        sub: &'static AttributeDef,
        old: Option<Value>,
        value: Option<&Value>,
        label: &str,
    ) -> Result<Option<Value>, ScimError> {
        let mut obj = match old {
            Some(Value::Object(o)) => o,
            _ => Map::new(),
        };
        let v = match op {
            OpKind::Remove => None,
            _ => self.check(sub, value.unwrap_or(&Value::Null), label)?,
        };
        set_in(&mut obj, sub.name, v);
        Ok((!obj.is_empty()).then_some(Value::Object(obj)))
    }

    /// `emails[type eq "work"]` and `emails[type eq "work"].value`.
    ///
    /// RFC 7644 §3.5.2.3: "If the target location is a multi-valued attribute and a value
    /// selection ("valuePath") filter is specified that matches one or more values of the
    /// multi-valued attribute, then all matching record values SHALL be replaced."
    /// §3.5.2.2: "If the target location is a complex multi-valued attribute and a complex
    /// filter is specified based on the attribute's sub-attributes, the matching records are
    /// removed." A remove that matches nothing changes nothing (Entra retries removals).
    fn filtered(
        &mut self,
        op: OpKind,
        t: &AttrTarget,
        old: Option<Value>,
        value: Option<&Value>,
        label: &str,
    ) -> Result<Option<Value>, ScimError> {
        let Some(sel) = &t.filter else {
            return Ok(old);
        };
        let multi = t.def.multi_valued;
        let mut list = elements(old, multi);
        let hits: Vec<bool> = list
            .iter()
            .map(|e| sel.matches(self.deps, t.home, t.def, e))
            .collect();
        let finish = |list: Vec<Value>| {
            if multi {
                non_empty(list)
            } else {
                list.into_iter().next()
            }
        };
        if op == OpKind::Remove {
            let mut hit = hits.iter().copied();
            match t.sub {
                None => list.retain(|_| !hit.next().unwrap_or(false)),
                Some(sub) => list
                    .iter_mut()
                    .zip(hits.iter().copied())
                    .filter(|(_, h)| *h)
                    .for_each(|(e, _)| set_sub(e, sub.name, None)),
            }
            return Ok(finish(list));
        }
        if !multi {
            return Err(ScimError::invalid_path(format!(
                "{label:?}: {} is single-valued; a [filter] on it can only be used with remove",
                t.def.name
            )));
        }
        let v = value.unwrap_or(&Value::Null);
        let change = match t.sub {
            Some(sub) => Change::Sub(sub.name, self.check(sub, v, label)?),
            None => Change::Merge(self.element(t.def, v, label)?),
        };
        if !hits.contains(&true) {
            // RFC 7644 §3.5.2.3 says 400 noTarget here. interop(entra): Entra sends add/replace
            // on `emails[type eq "work"].value` when the user has no work e-mail and expects it
            // to be created (entra-scim.md §2.5 V6, §5.6).
            let Some(mut elem) = sel.create.clone() else {
                return Err(ScimError::no_target(format!(
                    "no element of {} matches {label:?}, and a new one can only be made from a filter of eq conditions joined by and",
                    t.def.name
                )));
            };
            if change.is_empty() {
                return Ok(finish(list));
            }
            change.apply_to(&mut elem);
            self.note(format!(
                "{label}: no element matched, so one was created from the filter"
            ));
            list.push(Value::Object(elem));
            return Ok(finish(list));
        }
        if matches!(change, Change::Merge(None)) && op == OpKind::Replace {
            // Replacing the selected elements with nothing unassigns them (RFC 7643 §2.5).
            let mut hit = hits.iter().copied();
            list.retain(|_| !hit.next().unwrap_or(false));
            return Ok(finish(list));
        }
        for (e, _) in list.iter_mut().zip(hits).filter(|(_, h)| *h) {
            if let Value::Object(obj) = e {
                change.apply_to(obj);
            }
        }
        Ok(finish(list))
    }

    fn note(&mut self, text: String) {
        self.notes
            .normalizations
            .push(format!("Operations[{}]: {text}", self.index));
    }

    /// `""` as a value means "clear" (interop(entra): Microsoft's gallery validator clears with
    /// `""`, entra-scim.md §2.5 V11); RFC 7643 §2.5 already treats null that way.
    fn blank(&mut self, v: &Value, label: &str) -> Value {
        if v.as_str() == Some("") {
            self.note(format!("{label}: \"\" read as null (the value is cleared)"));
            return Value::Null;
        }
        v.clone()
    }

    /// A single-valued target given an array: one element is read as that element
    /// (interop(entra): legacy manager `"value":[{"$ref":…,"value":"id"}]`, entra-scim.md §2.5 V9).
    fn single(&mut self, v: &Value, label: &str) -> Result<Value, ScimError> {
        match v {
            Value::Array(a) if a.len() > 1 => Err(ScimError::invalid_value(format!(
                "{label} is single-valued, got an array of {} values",
                a.len()
            ))),
            Value::Array(a) => match a.first() {
                Some(first) => {
                    self.note(format!("{label}: one-element array read as its element"));
                    Ok(first.clone())
                }
                None => Ok(Value::Null),
            },
            other => Ok(other.clone()),
        }
    }

    /// Check `v` against `def` (normalising it) and keep the notes, tagged with the operation.
    fn check(
        &mut self,
        def: &'static AttributeDef,
        v: &Value,
        label: &str,
    ) -> Result<Option<Value>, ScimError> {
        let mut notes = Notes::default();
        let out = resource::check_value(def, v, label, self.opts, &mut notes)?;
        self.add_notes(notes, None);
        Ok(out)
    }

    /// Check `v` as one element of the multi-valued `def`.
    fn element(
        &mut self,
        def: &'static AttributeDef,
        v: &Value,
        label: &str,
    ) -> Result<Option<Map<String, Value>>, ScimError> {
        let mut notes = Notes::default();
        let out = resource::check_value(
            def,
            &Value::Array(vec![v.clone()]),
            label,
            self.opts,
            &mut notes,
        )?;
        self.add_notes(notes, Some(label));
        Ok(elements(out, true).into_iter().find_map(|e| match e {
            Value::Object(o) => Some(o),
            _ => None,
        }))
    }

    /// Record `notes`; `element` strips the `[0]` that checking one wrapped element adds.
    fn add_notes(&mut self, notes: Notes, element: Option<&str>) {
        let i = self.index;
        let fix = |n: String| {
            let n = match element {
                Some(label) => n.replacen(&format!("{label}[0]"), label, 1),
                None => n,
            };
            format!("Operations[{i}]: {n}")
        };
        self.notes
            .normalizations
            .extend(notes.normalizations.into_iter().map(fix));
        self.notes
            .dropped
            .extend(notes.dropped.into_iter().map(fix));
    }

    fn ext_key(&self, urn: &str) -> Option<String> {
        self.doc
            .keys()
            .find(|k| k.eq_ignore_ascii_case(urn))
            .cloned()
    }

    /// The current value of a top-level attribute (`ext: None`) or of an extension attribute.
    fn get(&self, ext: Option<&str>, name: &str) -> Option<Value> {
        let obj = match ext {
            None => &self.doc,
            Some(u) => self.doc.get(&self.ext_key(u)?)?.as_object()?,
        };
        resource::get_ci(obj, name).cloned()
    }

    /// Set (`Some`) or unassign (`None`) an attribute; an extension left empty is removed.
    fn put(&mut self, ext: Option<&str>, name: &str, v: Option<Value>) {
        let Some(urn) = ext else {
            set_in(&mut self.doc, name, v);
            return;
        };
        let key = self.ext_key(urn).unwrap_or_else(|| urn.to_string());
        let slot = self
            .doc
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        let empty = match slot {
            Value::Object(obj) => {
                set_in(obj, name, v);
                obj.is_empty()
            }
            _ => true,
        };
        if empty {
            self.doc.shift_remove(&key);
        }
    }

    fn remove_ext(&mut self, urn: &str) {
        if let Some(key) = self.ext_key(urn) {
            self.doc.shift_remove(&key);
        }
    }
}

/// What add/replace on a filtered path does to each selected element.
enum Change {
    /// Set (or, with `None`, unassign) one sub-attribute.
    Sub(&'static str, Option<Value>),
    /// Merge these sub-attributes (`None`: nothing given).
    Merge(Option<Map<String, Value>>),
}

impl Change {
    fn is_empty(&self) -> bool {
        matches!(self, Change::Sub(_, None) | Change::Merge(None))
    }
    fn apply_to(&self, obj: &mut Map<String, Value>) {
        match self {
            Change::Sub(name, v) => set_in(obj, name, v.clone()),
            Change::Merge(Some(m)) => merge(obj, m.clone()),
            Change::Merge(None) => {}
        }
    }
}

/// The elements of a multi-valued value (`multi`), or the single complex value as one element.
fn elements(v: Option<Value>, multi: bool) -> Vec<Value> {
    match v {
        Some(Value::Array(a)) if multi => a,
        Some(v @ Value::Object(_)) if !multi => vec![v],
        _ => Vec::new(),
    }
}

fn non_empty(list: Vec<Value>) -> Option<Value> {
    (!list.is_empty()).then_some(Value::Array(list))
}

/// Whether element `e` holds every sub-attribute given in `probe` (or equals it).
fn contains(e: &Value, probe: &Value) -> bool {
    match (e, probe) {
        (Value::Object(e), Value::Object(p)) => p
            .iter()
            .all(|(k, v)| resource::get_ci(e, k).is_some_and(|x| x == v)),
        _ => e == probe,
    }
}

/// Set or unassign `name` in `obj`, matching the existing key case-insensitively and keeping
/// its position.
fn set_in(obj: &mut Map<String, Value>, name: &str, v: Option<Value>) {
    let key = obj.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned();
    match (key, v) {
        (Some(k), Some(v)) => {
            obj.insert(k, v);
        }
        (None, Some(v)) => {
            obj.insert(name.to_string(), v);
        }
        (Some(k), None) => {
            obj.shift_remove(&k);
        }
        (None, None) => {}
    }
}

fn set_sub(e: &mut Value, name: &str, v: Option<Value>) {
    if let Value::Object(obj) = e {
        set_in(obj, name, v);
    }
}

fn merge(into: &mut Map<String, Value>, from: Map<String, Value>) {
    for (k, v) in from {
        set_in(into, &k, Some(v));
    }
}
