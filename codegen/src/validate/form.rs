//! Elicitation forms: MCP's restricted schema (`ElicitRequestFormParams.
//! requestedSchema`): a flat object whose properties are each a
//! `PrimitiveSchemaDefinition`: a string (optionally a date, date-time, email or
//! uri), a number or integer, a boolean, a single-select enum (`enum`, titled
//! `oneOf`, or legacy `enumNames`), or a multi-select enum (an array of them).

use std::collections::HashMap;

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::{Ctx, Namespace, backticks};
use crate::diag::Severity;
use crate::hints::{closest, did_you_mean};
use crate::model::Manifest;
use crate::names::{camel, member};
use crate::path::join;

/// The Rust type of an elicitation form field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldType {
    String,
    Integer,
    Number,
    Boolean,
    StringList,
}

/// A field of an elicitation form.
pub(crate) struct FormField {
    pub name: String,
    pub ty: FieldType,
    pub required: bool,
    pub description: Option<String>,
}

/// Keys of the form's root. MCP lists `type`, `properties`, `required` and
/// `$schema`; `title` and `description` are harmless annotations.
const ROOT_KEYS: &[&str] = &[
    "type",
    "properties",
    "required",
    "$schema",
    "title",
    "description",
];
const COMMON_KEYS: &[&str] = &["type", "title", "description", "default"];
const STRING_KEYS: &[&str] = &[
    "minLength",
    "maxLength",
    "format",
    "enum",
    "enumNames",
    "oneOf",
];
const NUMBER_KEYS: &[&str] = &["minimum", "maximum"];
const ARRAY_KEYS: &[&str] = &["items", "minItems", "maxItems"];
/// The string formats a form field may have.
const FORMATS: &[&str] = &["date", "date-time", "email", "uri"];
const FIELD_TYPES: &[&str] = &["string", "number", "integer", "boolean", "array"];

const FLAT: &str = "form fields are flat: `string`, `number`, `integer`, `boolean`, or an `array` of enum strings (a multi-select)";

pub(super) fn elicitations(m: &Manifest, cx: &mut Ctx<'_, '_>) -> IndexMap<String, Vec<FormField>> {
    let mut out = IndexMap::new();
    for (name, e) in &m.elicitations {
        let path = join("elicitations", name);
        if cx.wordy(name, &path, "elicitation form", "a struct") {
            cx.claim(
                Namespace::Type,
                camel(name),
                name,
                &path,
                &format!("elicitation `{name}`"),
            );
        }
        if e.message.trim().is_empty() {
            cx.rep.report(
                Severity::Warning,
                crate::span::At::Value,
                &join(&path, "message"),
                "the form's message is empty",
                Some("clients show it above the form; say what you ask for and why".to_owned()),
            );
        }
        let fields = form(&e.schema, &join(&path, "schema"), cx);
        out.insert(name.clone(), fields);
    }
    out
}

fn form(s: &Map<String, Value>, spath: &str, cx: &mut Ctx<'_, '_>) -> Vec<FormField> {
    for key in s.keys() {
        if !ROOT_KEYS.contains(&key.as_str()) {
            let hint = match key.as_str() {
                "$defs" | "definitions" | "allOf" | "anyOf" | "oneOf" | "$ref" => {
                    "a form schema is one flat object: `type: object`, `properties`, `required`"
                        .to_owned()
                }
                _ => format!("a form schema may have {}", backticks(ROOT_KEYS)),
            };
            cx.rep.error_hint(
                &join(spath, key),
                format!("`{key}` is outside the restricted elicitation schema"),
                hint,
            );
        }
    }
    match s.get("type") {
        Some(Value::String(t)) if t == "object" => {}
        Some(other) => cx.rep.error_value(
            &join(spath, "type"),
            format!("a form schema's `type` is `object`, not {}", shown(other)),
            Some("a form is an object of fields; put each value under `properties`".to_owned()),
        ),
        None => cx.rep.error_hint(
            spath,
            "a form schema needs `type: object`",
            "add `type: object` beside `properties`",
        ),
    }
    let props = match s.get("properties") {
        Some(Value::Object(p)) => p.clone(),
        Some(other) => {
            cx.rep.error_value(
                &join(spath, "properties"),
                format!(
                    "`properties` must be a map of fields, found {}",
                    shown(other)
                ),
                Some("e.g. `properties: { email: { type: string, format: email } }`".to_owned()),
            );
            Map::new()
        }
        None => {
            cx.rep.error_hint(
                spath,
                "a form schema needs `properties`",
                "e.g. `properties: { email: { type: string, format: email } }`",
            );
            Map::new()
        }
    };
    let names: Vec<&str> = props.keys().map(String::as_str).collect();
    let required: Vec<&str> = match s.get("required") {
        None => Vec::new(),
        Some(Value::Array(r)) if r.iter().all(Value::is_string) => {
            r.iter().filter_map(Value::as_str).collect()
        }
        Some(other) => {
            cx.rep.error_value(
                &join(spath, "required"),
                format!(
                    "`required` must be a list of field names, found {}",
                    shown(other)
                ),
                Some("e.g. `required: [email]`".to_owned()),
            );
            Vec::new()
        }
    };
    for (i, r) in required.iter().enumerate() {
        if !props.contains_key(*r) {
            cx.rep.error_value(
                &crate::path::index(&join(spath, "required"), i),
                format!("`{r}` is required but is not a field"),
                Some(did_you_mean(r, &names)),
            );
        }
    }
    let mut fields = Vec::new();
    let mut rust_names: HashMap<String, String> = HashMap::new();
    for (pname, prop) in &props {
        let ppath = join(&join(spath, "properties"), pname);
        if let Some(other) = rust_names.insert(member(pname), pname.clone()) {
            cx.rep.error_hint(
                &ppath,
                format!(
                    "fields `{other}` and `{pname}` become the same Rust field `{}`",
                    member(pname)
                ),
                "rename one of them",
            );
        }
        let Some(prop) = prop.as_object() else {
            cx.rep.error_value(
                &ppath,
                format!(
                    "a form field is a map like `{{ type: string }}`, not {}",
                    shown(prop)
                ),
                None,
            );
            continue;
        };
        if let Some(ty) = field(prop, &ppath, cx) {
            fields.push(FormField {
                name: pname.clone(),
                ty,
                required: required.contains(&pname.as_str()),
                description: prop
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            });
        }
    }
    fields
}

/// How a value is shown in a message: `` `array` ``, a list, a map, ….
fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => format!("`{s}`"),
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "a map".to_owned(),
        Value::Null => "an empty value".to_owned(),
        other => format!("`{other}`"),
    }
}

/// Checks one field; its Rust type when it is within the restricted subset.
fn field(prop: &Map<String, Value>, path: &str, cx: &mut Ctx<'_, '_>) -> Option<FieldType> {
    let (ty, extra): (FieldType, &[&str]) = match prop.get("type") {
        Some(Value::String(t)) => match t.as_str() {
            "string" => (FieldType::String, STRING_KEYS),
            "integer" => (FieldType::Integer, NUMBER_KEYS),
            "number" => (FieldType::Number, NUMBER_KEYS),
            "boolean" => (FieldType::Boolean, &[]),
            "array" => (FieldType::StringList, ARRAY_KEYS),
            "object" => {
                cx.rep.error_hint(
                    &join(path, "type"),
                    "a form field cannot be an object",
                    format!("{FLAT}; make each nested value a field of its own"),
                );
                return None;
            }
            other => {
                cx.rep.report(
                    Severity::Error,
                    crate::span::At::Value,
                    &join(path, "type"),
                    format!("type `{other}` is outside the restricted elicitation schema"),
                    Some(match closest(other, FIELD_TYPES) {
                        Some(near) => format!("did you mean `{near}`? ({FLAT})"),
                        None => FLAT.to_owned(),
                    }),
                );
                return None;
            }
        },
        Some(other) => {
            cx.rep.error_value(
                &join(path, "type"),
                format!("a form field's `type` is one name, not {}", shown(other)),
                Some(FLAT.to_owned()),
            );
            return None;
        }
        None => {
            cx.rep.error_hint(path, "a form field needs a `type`", FLAT);
            return None;
        }
    };
    let type_name = prop.get("type").and_then(Value::as_str).unwrap_or_default();
    let mut ok = true;
    for key in prop.keys() {
        if !COMMON_KEYS.contains(&key.as_str()) && !extra.contains(&key.as_str()) {
            let allowed: Vec<&str> = COMMON_KEYS.iter().chain(extra).copied().collect();
            cx.rep.error_hint(
                &join(path, key),
                format!("`{key}` is outside the restricted elicitation schema"),
                format!("a {type_name} field may have {}", backticks(&allowed)),
            );
            ok = false;
        }
    }
    let mut check = |key: &str, good: bool, expected: &str| {
        if let Some(v) = prop.get(key) {
            if !good {
                cx.rep.error_value(
                    &join(path, key),
                    format!("`{key}` must be {expected}, found {}", shown(v)),
                    None,
                );
                ok = false;
            }
        }
    };
    let is = |key: &str, f: fn(&Value) -> bool| prop.get(key).is_none_or(f);
    check("title", is("title", Value::is_string), "a string");
    check(
        "description",
        is("description", Value::is_string),
        "a string",
    );
    for key in ["minLength", "maxLength", "minItems", "maxItems"] {
        check(
            key,
            is(key, Value::is_u64),
            "a whole number of zero or more",
        );
    }
    for key in ["minimum", "maximum"] {
        check(key, is(key, Value::is_number), "a number");
    }
    for (low, high) in [
        ("minLength", "maxLength"),
        ("minItems", "maxItems"),
        ("minimum", "maximum"),
    ] {
        let n = |k: &str| prop.get(k).and_then(Value::as_f64);
        if let (Some(l), Some(h)) = (n(low), n(high)) {
            if l > h {
                cx.rep.error_value(
                    &join(path, low),
                    format!("`{low}` ({l}) is greater than `{high}` ({h})"),
                    Some("no value can satisfy both; swap them".to_owned()),
                );
                ok = false;
            }
        }
    }
    if let Some(format) = prop.get("format") {
        match format.as_str() {
            Some(f) if FORMATS.contains(&f) => {}
            Some(f) => {
                cx.rep.error_value(
                    &join(path, "format"),
                    format!("format `{f}` is outside the restricted elicitation schema"),
                    Some(match closest(f, FORMATS) {
                        Some(near) => format!(
                            "did you mean `{near}`? (forms allow {})",
                            backticks(FORMATS)
                        ),
                        None => format!("forms allow {}", backticks(FORMATS)),
                    }),
                );
                ok = false;
            }
            None => {
                cx.rep.error_value(
                    &join(path, "format"),
                    format!("`format` must be a string, found {}", shown(format)),
                    None,
                );
                ok = false;
            }
        }
    }
    let mut options: Option<Vec<String>> = None;
    if let Some(e) = prop.get("enum") {
        options = string_list(e, &join(path, "enum"), cx);
        ok &= options.is_some();
    }
    if let Some(names) = prop.get("enumNames") {
        let count = prop.get("enum").and_then(Value::as_array).map(Vec::len);
        let strings = names.as_array().filter(|a| a.iter().all(Value::is_string));
        match (count, strings) {
            (None, _) => {
                cx.rep.error_hint(
                    &join(path, "enumNames"),
                    "`enumNames` without `enum`",
                    "`enumNames` titles the values of `enum`; prefer `oneOf: [{ const, title }]`",
                );
                ok = false;
            }
            (Some(n), Some(s)) if s.len() == n => {}
            (Some(n), _) => {
                cx.rep.error_value(
                    &join(path, "enumNames"),
                    format!("`enumNames` must be a list of {n} strings, one per `enum` value"),
                    None,
                );
                ok = false;
            }
        }
    }
    if let Some(one_of) = prop.get("oneOf") {
        if prop.contains_key("enum") {
            cx.rep.error_hint(
                &join(path, "oneOf"),
                "a field has `enum` or `oneOf`, not both",
                "`oneOf: [{ const, title }]` is the titled form of `enum`",
            );
            ok = false;
        }
        options = titled_consts(one_of, &join(path, "oneOf"), cx);
        ok &= options.is_some();
    }
    if ty == FieldType::StringList {
        match prop.get("items") {
            Some(Value::Object(items)) => {
                let ipath = join(path, "items");
                options = multi_select(items, &ipath, cx);
                ok &= options.is_some();
            }
            Some(other) => {
                cx.rep.error_value(
                    &join(path, "items"),
                    format!("`items` must be a map, found {}", shown(other)),
                    Some("`items: { type: string, enum: [a, b] }`".to_owned()),
                );
                ok = false;
            }
            None => {
                cx.rep.error_hint(
                    path,
                    "an array field needs `items`",
                    "form arrays are multi-select enums: `items: { type: string, enum: [a, b] }`",
                );
                ok = false;
            }
        }
    }
    if let Some(default) = prop.get("default") {
        ok &= check_default(default, ty, options.as_deref(), &join(path, "default"), cx);
    }
    ok.then_some(ty)
}

/// A non-empty list of distinct strings.
fn string_list(v: &Value, path: &str, cx: &mut Ctx<'_, '_>) -> Option<Vec<String>> {
    let strings: Option<Vec<String>> = v
        .as_array()
        .filter(|a| !a.is_empty())
        .and_then(|a| a.iter().map(|x| x.as_str().map(str::to_owned)).collect());
    match strings {
        Some(s) => {
            if let Some(dup) = s.iter().enumerate().find(|(i, x)| s[..*i].contains(x)) {
                cx.rep
                    .error_value(path, format!("`{}` is listed twice", dup.1), None);
                return None;
            }
            Some(s)
        }
        None => {
            cx.rep.error_value(
                path,
                "expected a non-empty list of strings",
                Some(
                    "quote values that YAML would read as numbers or booleans, e.g. \"yes\""
                        .to_owned(),
                ),
            );
            None
        }
    }
}

/// `[{const, title}]`, as `oneOf` of a single-select or `anyOf` of a
/// multi-select; the constants.
fn titled_consts(v: &Value, path: &str, cx: &mut Ctx<'_, '_>) -> Option<Vec<String>> {
    let consts: Option<Vec<String>> = v.as_array().filter(|a| !a.is_empty()).and_then(|items| {
        items
            .iter()
            .map(|i| {
                let o = i.as_object()?;
                let ok = o.get("title").is_some_and(Value::is_string)
                    && o.keys().all(|k| k == "const" || k == "title");
                o.get("const")
                    .and_then(Value::as_str)
                    .filter(|_| ok)
                    .map(str::to_owned)
            })
            .collect()
    });
    if consts.is_none() {
        cx.rep.error_hint(
            path,
            "expected a list of `{ const: <string>, title: <string> }`",
            "titled options list each value with the label clients show: `{ const: eu, title: Europe }`",
        );
    }
    consts
}

/// The `items` of a multi-select: `{ type: string, enum }` or `{ anyOf: [{ const,
/// title }] }`; the options.
fn multi_select(
    items: &Map<String, Value>,
    path: &str,
    cx: &mut Ctx<'_, '_>,
) -> Option<Vec<String>> {
    if let Some(any_of) = items.get("anyOf") {
        if let Some(extra) = items.keys().find(|k| *k != "anyOf") {
            cx.rep.error_hint(
                &join(path, extra),
                format!("`{extra}` is outside the restricted elicitation schema"),
                "titled multi-select items are `{ anyOf: [{ const, title }] }` alone",
            );
            return None;
        }
        return titled_consts(any_of, &join(path, "anyOf"), cx);
    }
    let mut ok = true;
    for key in items.keys() {
        if key != "type" && key != "enum" {
            cx.rep.error_hint(
                &join(path, key),
                format!("`{key}` is outside the restricted elicitation schema"),
                "multi-select items are `{ type: string, enum: [...] }` or `{ anyOf: [{ const, title }] }`",
            );
            ok = false;
        }
    }
    if items.get("type").and_then(Value::as_str) != Some("string") || !items.contains_key("enum") {
        cx.rep.error_hint(
            path,
            "array items must be `{ type: string, enum: [...] }` or `{ anyOf: [{ const, title }] }`",
            "form arrays are multi-selects of strings",
        );
        return None;
    }
    let options = string_list(items.get("enum")?, &join(path, "enum"), cx)?;
    ok.then_some(options)
}

fn check_default(
    v: &Value,
    ty: FieldType,
    options: Option<&[String]>,
    path: &str,
    cx: &mut Ctx<'_, '_>,
) -> bool {
    let (good, expected) = match ty {
        FieldType::String => (v.is_string(), "a string"),
        FieldType::Integer => (v.is_i64() || v.is_u64(), "a whole number"),
        FieldType::Number => (v.is_number(), "a number"),
        FieldType::Boolean => (v.is_boolean(), "`true` or `false`"),
        FieldType::StringList => (
            v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
            "a list of strings",
        ),
    };
    if !good {
        cx.rep.error_value(
            path,
            format!("the default must be {expected}, found {}", shown(v)),
            None,
        );
        return false;
    }
    let Some(options) = options else { return true };
    let given: Vec<&str> = match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let names: Vec<&str> = options.iter().map(String::as_str).collect();
    for g in given {
        if !names.contains(&g) {
            cx.rep.error_value(
                path,
                format!("the default `{g}` is not one of the options"),
                Some(did_you_mean(g, &names)),
            );
            return false;
        }
    }
    true
}
