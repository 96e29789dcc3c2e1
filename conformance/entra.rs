//! Replays of the requests Microsoft Entra ID's provisioning engine sends
//! (shared/reference/entra-scim.md §2), kept as data in `conformance/entra/*.json`.
//!
//! A scenario file is `{"description": "…", "steps": [step, …]}`. A step:
//! - `name`, `method`, `path` (relative to the tenant base `/t/acme/scim/v2`, or absolute
//!   via `{{root}}`), optional `body` (JSON) and `headers` (map; `Authorization` and
//!   `Content-Type` default to the tenant's token and `application/scim+json`);
//! - `expect`: `status`, optional `json` (JSON Pointer → exact value), `absent` (pointers that
//!   must not exist), `present` (pointers that must exist), `len` (pointer → array length), `includes` (pointer → values each
//!   contained in that array, objects matched as subsets);
//! - optional `save` (variable → pointer into the response) for later `{{variable}}`s.
//!
//! `{{name}}` placeholders are substituted in every string (path, headers, body, expectations).
//! Built in: `{{guid}}` (a random GUID per run, as Test Connection uses), `{{root}}`, `{{token}}`.

use crate::support::{each_server, TestServer};
use serde_json::{Map, Value};
use std::collections::HashMap;

macro_rules! scenarios {
    ($($test:ident => $file:literal),* $(,)?) => {
        $(#[test] fn $test() { replay($file) })*
        const FILES: &[&str] = &[$($file),*];
    };
}

scenarios! {
    test_connection_probes_answer_200_with_an_empty_list => "test-connection.json",
    user_create_accepts_every_shape_entra_posts => "user-create.json",
    user_lookups_by_every_matching_attribute_and_paging => "user-lookup.json",
    user_updates_in_the_default_dialect => "user-update-default.json",
    user_updates_in_the_aadoptscim062020_dialect => "user-update-aadOptscim062020.json",
    user_disable_restore_and_delete => "user-disable-delete.json",
    group_operations_in_the_default_dialect => "group-default.json",
    group_operations_in_the_aadoptscim062020_dialect => "group-aadOptscim062020.json",
    a_full_provisioning_cycle => "provisioning-cycle.json",
}

#[test]
fn every_scenario_file_is_replayed() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/conformance/entra");
    for entry in std::fs::read_dir(dir).expect("conformance/entra") {
        let name = entry.expect("dir entry").file_name();
        let name = name.to_string_lossy();
        assert!(
            FILES.contains(&name.as_ref()),
            "{name} is not listed in scenarios!"
        );
    }
}

fn replay(file: &str) {
    let path = format!("{}/conformance/entra/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let scenario: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let steps = scenario["steps"].as_array().expect("scenario has steps");
    each_server(|s| {
        let mut vars = HashMap::from([
            ("guid".to_string(), uuid::Uuid::new_v4().to_string()),
            ("root".to_string(), s.root.clone()),
            ("token".to_string(), s.token.clone()),
        ]);
        for (i, step) in steps.iter().enumerate() {
            run_step(s, file, i + 1, step, &mut vars);
        }
    });
}

fn run_step(
    s: &TestServer,
    file: &str,
    n: usize,
    step: &Value,
    vars: &mut HashMap<String, String>,
) {
    let step = subst(step, vars);
    let (method, path) = (str_at(&step, "method"), str_at(&step, "path"));
    let url = if path.starts_with("http") {
        path.to_string()
    } else {
        format!("{}{path}", s.base)
    };
    let mut headers = vec![("Authorization".to_string(), format!("Bearer {}", s.token))];
    let body = step.get("body").map(Value::to_string);
    if body.is_some() {
        headers.push(("Content-Type".into(), "application/scim+json".into()));
    }
    for (k, v) in step["headers"].as_object().into_iter().flatten() {
        headers.retain(|(h, _)| !h.eq_ignore_ascii_case(k));
        headers.push((k.clone(), v.as_str().unwrap_or_default().to_string()));
    }
    let hdrs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = s.raw(method, &url, &hdrs, body.as_deref());
    let json = r.json();
    let fail = |what: String| -> ! {
        panic!(
            "\nscenario {file}, step {n} {:?} on backend {}:\n  {what}\n  request: {method} {path}\n  body: {}\n  response {}: {}\n",
            step["name"].as_str().unwrap_or("?"),
            s.services.db().kind().as_str(),
            body.as_deref().unwrap_or("-"),
            r.status,
            r.text
        )
    };
    let expect = &step["expect"];
    let status = expect["status"].as_u64().expect("expect.status");
    if u64::from(r.status) != status {
        fail(format!("expected status {status}, got {}", r.status));
    }
    for (ptr, want) in expect["json"].as_object().into_iter().flatten() {
        match json.pointer(ptr) {
            Some(got) if got == want => {}
            got => fail(format!("at {ptr}: expected {want}, got {}", shown(got))),
        }
    }
    for ptr in expect["absent"].as_array().into_iter().flatten() {
        let ptr = ptr.as_str().expect("absent: pointers");
        if let Some(got) = json.pointer(ptr) {
            fail(format!("expected no {ptr}, got {got}"));
        }
    }
    for ptr in expect["present"].as_array().into_iter().flatten() {
        let ptr = ptr.as_str().expect("present: pointers");
        if json.pointer(ptr).is_none() {
            fail(format!("expected {ptr} to be present"));
        }
    }
    for (ptr, want) in expect["len"].as_object().into_iter().flatten() {
        let got = json.pointer(ptr).and_then(Value::as_array).map(Vec::len);
        if got.map(|g| g as u64) != want.as_u64() {
            fail(format!(
                "expected {ptr} to have {want} elements, got {got:?}"
            ));
        }
    }
    for (ptr, wants) in expect["includes"].as_object().into_iter().flatten() {
        let got = json.pointer(ptr).and_then(Value::as_array);
        for want in wants.as_array().expect("includes: arrays") {
            if !got.is_some_and(|g| g.iter().any(|e| contains(e, want))) {
                fail(format!(
                    "expected {ptr} to include {want}, got {}",
                    shown(json.pointer(ptr))
                ));
            }
        }
    }
    for (var, ptr) in step["save"].as_object().into_iter().flatten() {
        match json.pointer(ptr.as_str().expect("save: pointers")) {
            Some(Value::String(v)) => vars.insert(var.clone(), v.clone()),
            got => fail(format!("cannot save {var} from {ptr}: {}", shown(got))),
        };
    }
}

#[track_caller]
fn str_at<'a>(step: &'a Value, key: &str) -> &'a str {
    step[key]
        .as_str()
        .unwrap_or_else(|| panic!("step without {key}: {step}"))
}

fn shown(v: Option<&Value>) -> String {
    v.map_or_else(|| "nothing".to_string(), Value::to_string)
}

/// `want` ⊆ `got`: objects by their keys, everything else by equality.
fn contains(got: &Value, want: &Value) -> bool {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => w
            .iter()
            .all(|(k, wv)| g.get(k).is_some_and(|gv| contains(gv, wv))),
        _ => got == want,
    }
}

/// Replace `{{var}}` in every string of `v` (object keys included).
fn subst(v: &Value, vars: &HashMap<String, String>) -> Value {
    let text = |s: &str| {
        let mut out = s.to_string();
        while let Some(start) = out.find("{{") {
            let end = out[start..]
                .find("}}")
                .map(|e| start + e)
                .unwrap_or_else(|| panic!("unclosed {{{{ in {s:?}"));
            let name = &out[start + 2..end];
            let value = vars
                .get(name)
                .unwrap_or_else(|| panic!("unknown variable {{{{{name}}}}} in {s:?}"));
            out.replace_range(start..end + 2, value);
        }
        out
    };
    match v {
        Value::String(s) => Value::String(text(s)),
        Value::Array(a) => Value::Array(a.iter().map(|e| subst(e, vars)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, e)| (text(k), subst(e, vars)))
                .collect::<Map<_, _>>(),
        ),
        other => other.clone(),
    }
}
