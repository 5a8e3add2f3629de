//! Manifest-level `definitions`: schemas that tool schemas share by reference,
//! `$ref: "#/definitions/<name>"`.
//!
//! A served schema must stand alone, so each tool schema gets the definitions it
//! uses (and those they use) copied into its own `$defs`, and its references
//! rewritten to `#/$defs/<name>`: what `tools/list` serves and what the runtime
//! validates against is that self-contained schema. On the Rust side each used
//! definition is one type, `<Name>`, which every tool's type names.
//!
//! A schema with a `definitions` keyword of its own keeps its references to it (as
//! JSON Schema reads them); references inside a definition may only name other
//! definitions (a `#…` pointer would mean another document once copied).

use indexmap::{IndexMap, IndexSet};
use serde_json::{Map, Value};

use crate::diag::Reporter;
use crate::hints::did_you_mean;
use crate::keywords::{DATA, SCHEMA_MAPS};
use crate::model::{Definitions, Elicitation, JsonObject, Manifest};
use crate::path::{index, join};

/// The hint for an unknown definition: the closest name, or where to add it.
fn unknown_hint(name: &str, names: &[&str]) -> String {
    if names.is_empty() {
        format!(
            "the manifest has no `definitions`: add `{name}` there, or point at this schema's own `$defs`"
        )
    } else {
        did_you_mean(name, names)
    }
}

/// Reports the `$ref` at `ref_path` naming `target`, which `names` lacks.
fn report_unknown(rep: &mut Reporter<'_>, ref_path: &str, target: &str, names: &[&str]) {
    rep.error_value(
        ref_path,
        format!("unknown definition `{target}`"),
        Some(unknown_hint(target, names)),
    );
}

const PREFIX: &str = "#/definitions/";

/// The definitions each definition names, reported once for unknown names and
/// for references that would not survive being copied.
fn check_definitions(defs: &Definitions, rep: &mut Reporter<'_>) {
    let names: Vec<&str> = defs.keys().map(String::as_str).collect();
    for (name, body) in defs {
        let path = join("definitions", name);
        let mut body = Value::Object(body.clone());
        walk(&mut body, &path, &mut |r, at| {
            match r.strip_prefix(PREFIX) {
                Some(rest) => {
                    let target = first_segment(rest);
                    if !defs.contains_key(&target) {
                        report_unknown(rep, &join(at, "$ref"), &target, &names);
                    }
                }
                None if r.starts_with('#') => rep.error_value(
                    &join(at, "$ref"),
                    format!("`{r}` inside a definition points into whichever schema uses it"),
                    Some(format!(
                        "reference other definitions as `#/definitions/<name>`, and this one as `#/definitions/{name}`"
                    )),
                ),
                None => {}
            }
            None
        });
    }
}

/// Copies the definitions every tool schema references into its `$defs`,
/// rewriting the references; returns the definitions used, in manifest order.
/// Unknown names are errors with a did-you-mean hint.
pub(crate) fn inline(m: &mut Manifest, rep: &mut Reporter<'_>) -> Vec<String> {
    let Manifest {
        tools,
        elicitations,
        definitions: defs,
        ..
    } = m;
    let defs = &*defs;
    check_definitions(defs, rep);
    let names: Vec<&str> = defs.keys().map(String::as_str).collect();
    let mut used: IndexSet<String> = IndexSet::new();
    for (tool_name, tool) in tools.iter_mut() {
        for (kind, schema) in [("input", &mut tool.input), ("output", &mut tool.output)] {
            let Some(schema) = schema else { continue };
            if schema.contains_key("definitions") {
                continue;
            }
            let path = join(&join("tools", tool_name), kind);
            let mut wanted: IndexSet<String> = IndexSet::new();
            let mut root = Value::Object(std::mem::take(schema));
            walk(&mut root, &path, &mut |r, at| {
                let rest = r.strip_prefix(PREFIX)?;
                let target = first_segment(rest);
                if !defs.contains_key(&target) {
                    report_unknown(rep, &join(at, "$ref"), &target, &names);
                    // Reported here; `#` keeps the schema checks from reporting
                    // it again as a reference that resolves to nothing.
                    return Some("#".to_owned());
                }
                wanted.insert(target);
                Some(format!("#/$defs/{rest}"))
            });
            let Value::Object(mut root) = root else {
                continue;
            };
            let closure = closure(wanted, defs);
            if !closure.is_empty() {
                let own = root
                    .entry("$defs")
                    .or_insert_with(|| Value::Object(Map::new()));
                match own {
                    Value::Object(own) => {
                        for name in &closure {
                            if own.contains_key(name) {
                                rep.error_hint(
                                    &join(&join(&path, "$defs"), name),
                                    format!("`$defs` has its own `{name}`, and the schema also uses the manifest's definition `{name}`"),
                                    "rename one of them",
                                );
                                continue;
                            }
                            own.insert(name.clone(), Value::Object(rewritten(&defs[name])));
                        }
                    }
                    _ => rep.error_hint(
                        &join(&path, "$defs"),
                        "`$defs` must be a map to hold the definitions the schema uses",
                        "make `$defs` a map of schemas",
                    ),
                }
                used.extend(closure);
            }
            *schema = root;
        }
    }
    inline_forms(elicitations, defs, &names, rep);
    defs.keys().filter(|k| used.contains(*k)).cloned().collect()
}

/// Elicitation forms are flat (MCP's `PrimitiveSchemaDefinition`s), so a form
/// property naming a definition gets the definition copied in its place (the
/// property's other keys win); the form checks then apply to it as written there.
fn inline_forms(
    forms: &mut IndexMap<String, Elicitation>,
    defs: &Definitions,
    names: &[&str],
    rep: &mut Reporter<'_>,
) {
    for (form_name, form) in forms.iter_mut() {
        let path = join(
            &join(&join("elicitations", form_name), "schema"),
            "properties",
        );
        let Some(Value::Object(props)) = form.schema.get_mut("properties") else {
            continue;
        };
        for (key, prop) in props.iter_mut() {
            let Value::Object(p) = prop else { continue };
            let Some(rest) = p
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix(PREFIX))
            else {
                continue;
            };
            let at = join(&join(&path, key), "$ref");
            let target = first_segment(rest);
            match defs.get(&target) {
                Some(body) if rest == escape(&target) => {
                    let mut merged = body.clone();
                    for (k, v) in p.iter().filter(|(k, _)| *k != "$ref") {
                        merged.insert(k.clone(), v.clone());
                    }
                    *p = merged;
                }
                Some(_) => rep.error_value(
                    &at,
                    "a form property can name a whole definition only",
                    Some(format!("use `#/definitions/{target}`")),
                ),
                None => {
                    report_unknown(rep, &at, &target, names);
                    // Reported here; a plain string keeps the form checks quiet.
                    p.remove("$ref");
                    p.entry("type").or_insert_with(|| Value::from("string"));
                }
            }
        }
    }
}

/// `name` and every definition it reaches, in the order they are first reached.
fn closure(start: IndexSet<String>, defs: &Definitions) -> IndexSet<String> {
    let mut out = start;
    let mut i = 0;
    while i < out.len() {
        let mut body = Value::Object(defs.get(&out[i]).cloned().unwrap_or_default());
        let mut found = Vec::new();
        walk(&mut body, "", &mut |r, _| {
            if let Some(rest) = r.strip_prefix(PREFIX) {
                let target = first_segment(rest);
                if defs.contains_key(&target) {
                    found.push(target);
                }
            }
            None
        });
        out.extend(found);
        i += 1;
    }
    out
}

/// A definition's body with its references rewritten to `#/$defs/…`.
fn rewritten(body: &JsonObject) -> JsonObject {
    let mut value = Value::Object(body.clone());
    walk(&mut value, "", &mut |r, _| {
        r.strip_prefix(PREFIX).map(|rest| format!("#/$defs/{rest}"))
    });
    match value {
        Value::Object(o) => o,
        _ => Map::new(),
    }
}

/// The schema the shared type of definition `name` is generated from: the
/// definition with the definitions it uses in `$defs` (references to itself
/// point at its root).
pub(crate) fn standalone(name: &str, defs: &Definitions) -> JsonObject {
    let own = format!("{PREFIX}{}", escape(name));
    let mut root = Value::Object(defs.get(name).cloned().unwrap_or_default());
    walk(&mut root, "", &mut |r, _| {
        if r == own {
            Some("#".to_owned())
        } else if let Some(rest) = r.strip_prefix(&format!("{own}/")) {
            Some(format!("#/{rest}"))
        } else {
            r.strip_prefix(PREFIX).map(|rest| format!("#/$defs/{rest}"))
        }
    });
    let Value::Object(mut root) = root else {
        return Map::new();
    };
    let mut start = IndexSet::new();
    let mut body = Value::Object(defs.get(name).cloned().unwrap_or_default());
    walk(&mut body, "", &mut |r, _| {
        if let Some(rest) = r.strip_prefix(PREFIX) {
            start.insert(first_segment(rest));
        }
        None
    });
    let others: Vec<String> = closure(start, defs)
        .into_iter()
        .filter(|n| n != name && defs.contains_key(n))
        .collect();
    if !others.is_empty() {
        let own_defs = root
            .entry("$defs")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(own_defs) = own_defs {
            for other in others {
                // A reference back to `name` from another definition is to the
                // root here.
                let mut body = Value::Object(rewritten(&defs[&other]));
                let back = format!("#/$defs/{}", escape(name));
                walk(&mut body, "", &mut |r, _| {
                    if r == back {
                        Some("#".to_owned())
                    } else {
                        r.strip_prefix(&format!("{back}/"))
                            .map(|rest| format!("#/{rest}"))
                    }
                });
                own_defs.insert(other, body);
            }
        }
    }
    root
}

/// The definition name a `#/definitions/` reference names (its first pointer
/// segment, unescaped).
fn first_segment(rest: &str) -> String {
    let segment = rest.split('/').next().unwrap_or_default();
    let decoded = percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .map(|s| s.into_owned())
        .unwrap_or_else(|_| segment.to_owned());
    decoded.replace("~1", "/").replace("~0", "~")
}

fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// Calls `visit` with every `$ref` string of a schema document (and the manifest
/// path of the object holding it), replacing it with what `visit` returns.
fn walk(value: &mut Value, path: &str, visit: &mut dyn FnMut(&str, &str) -> Option<String>) {
    walk_in(value, path, false, visit);
}

/// [`walk`]; `names`: `value` is a map of names to schemas (`properties`, …),
/// whose keys are no keywords.
fn walk_in(
    value: &mut Value,
    path: &str,
    names: bool,
    visit: &mut dyn FnMut(&str, &str) -> Option<String>,
) {
    match value {
        Value::Object(o) if names => {
            for (k, v) in o.iter_mut() {
                walk_in(v, &join(path, k), false, visit);
            }
        }
        Value::Object(o) => {
            if let Some(Value::String(r)) = o.get("$ref")
                && let Some(new) = visit(r, path)
            {
                o.insert("$ref".into(), Value::String(new));
            }
            for (k, v) in o.iter_mut() {
                if k == "$ref" || DATA.contains(&k.as_str()) {
                    continue;
                }
                walk_in(v, &join(path, k), SCHEMA_MAPS.contains(&k.as_str()), visit);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                walk_in(v, &index(path, i), false, visit);
            }
        }
        _ => {}
    }
}
