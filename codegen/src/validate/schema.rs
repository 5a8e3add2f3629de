//! Tool schemas: an object at the root (MCP's `inputSchema` and `outputSchema`
//! are `type: object`), valid JSON Schema 2020-12, and every `$ref` resolvable
//! inside the schema, since each tool's schema is served and checked on its own.
//!
//! The common mistakes get messages of their own (a misspelt type, `required:
//! true`, `items` as a list); the 2020-12 meta-schema catches the rest.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::{Ctx, backticks};
use crate::diag::Severity;
use crate::hints::closest;
use crate::keywords::{DATA, SCHEMA_LISTS, SCHEMA_MAPS};
use crate::path::{index, join};
use crate::span::At;

/// JSON Schema's type names.
const TYPES: &[&str] = &[
    "string", "number", "integer", "boolean", "array", "object", "null",
];
/// Type names from other languages, and the JSON Schema name for each.
const TYPE_ALIASES: &[(&str, &str)] = &[
    ("int", "integer"),
    ("i64", "integer"),
    ("long", "integer"),
    ("str", "string"),
    ("text", "string"),
    ("bool", "boolean"),
    ("float", "number"),
    ("double", "number"),
    ("f64", "number"),
    ("dict", "object"),
    ("map", "object"),
    ("list", "array"),
    ("none", "null"),
];

/// Keywords whose value is one schema.
pub(super) const SCHEMA_ONE: &[&str] = &[
    "items",
    "additionalProperties",
    "unevaluatedProperties",
    "unevaluatedItems",
    "contains",
    "propertyNames",
    "not",
    "if",
    "then",
    "else",
    "contentSchema",
];
const NUMBERS: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
];
const COUNTS: &[&str] = &[
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "minContains",
    "maxContains",
];
const STRINGS: &[&str] = &[
    "pattern",
    "format",
    "$ref",
    "$dynamicRef",
    "$id",
    "$anchor",
    "$dynamicAnchor",
    "$schema",
    "$comment",
    "title",
    "description",
    "contentEncoding",
    "contentMediaType",
];
const BOOLEANS: &[&str] = &["uniqueItems", "deprecated", "readOnly", "writeOnly"];
/// Keywords checked by the meta-schema only, and annotations other tools use.
const OTHERS: &[&str] = &[
    "type",
    "enum",
    "const",
    "default",
    "examples",
    "required",
    "dependentRequired",
    "$vocabulary",
    "additionalItems",
    "dependencies",
    "enumNames",
    "discriminator",
];
/// Checks a tool's input or output schema.
pub(super) fn tool_schema(s: &Map<String, Value>, path: &str, what: &str, cx: &mut Ctx<'_, '_>) {
    root_is_object(s, path, what, cx);
    let value = Value::Object(s.clone());
    let mut walk = Walk { cx, what, ok: true };
    walk.schema(&value, path);
    let keywords_ok = walk.ok;
    let mut refs = Refs {
        root: &value,
        ids: Vec::new(),
        anchors: HashSet::new(),
        ok: true,
    };
    refs.collect(&value);
    refs.check(&value, &value, path, what, cx);
    // The meta-schema and the compiler would repeat what is reported already.
    if keywords_ok && refs.ok && meta(&value, path, what, cx) {
        compiles(&value, path, what, cx);
    }
}

/// MCP requires `type: object` at the root of tool input and output schemas.
fn root_is_object(s: &Map<String, Value>, path: &str, what: &str, cx: &mut Ctx<'_, '_>) {
    let hint = "MCP sends tool arguments and structured results as JSON objects; describe each value as a property, e.g. `properties: { items: { type: array } }`";
    match s.get("type") {
        Some(Value::String(t)) if t == "object" => {}
        Some(other) => cx.rep.report(
            Severity::Error,
            At::Value,
            &join(path, "type"),
            format!(
                "the {what} schema's root is {}, but MCP requires `type: object`",
                match other {
                    Value::String(t) => format!("`type: {t}`"),
                    Value::Array(_) => "a list of types".to_owned(),
                    _ => "not a type name".to_owned(),
                }
            ),
            Some(hint.to_owned()),
        ),
        None => cx.rep.error_hint(
            path,
            format!("the {what} schema has no `type: object` at its root, which MCP requires"),
            if s.contains_key("$ref") {
                "add `type: object` beside the `$ref`".to_owned()
            } else {
                hint.to_owned()
            },
        ),
    }
}

/// How a JSON value is shown in a message.
fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => format!("the string `{s}`"),
        Value::Array(list) if list.is_empty() => "an empty list".to_owned(),
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "a map".to_owned(),
        Value::Null => "an empty value".to_owned(),
        Value::Bool(b) => format!("`{b}`"),
        Value::Number(n) => format!("the number `{n}`"),
    }
}

/// Walks a schema, checking the keywords whose mistakes are common.
struct Walk<'c, 'r, 'a> {
    cx: &'c mut Ctx<'r, 'a>,
    what: &'c str,
    ok: bool,
}

impl Walk<'_, '_, '_> {
    fn error(&mut self, path: &str, message: String, hint: Option<String>) {
        self.cx
            .rep
            .report(Severity::Error, At::Value, path, message, hint);
        self.ok = false;
    }

    fn expect(&mut self, path: &str, key: &str, good: bool, expected: &str, v: &Value) {
        if !good {
            let message = format!(
                "in the {} schema, `{key}` must be {expected}, found {}",
                self.what,
                shown(v)
            );
            self.error(path, message, None);
        }
    }

    fn schema(&mut self, v: &Value, path: &str) {
        let obj = match v {
            Value::Object(obj) => obj,
            Value::Bool(_) => return,
            other => {
                let message = format!(
                    "in the {} schema, a schema must be a map (or `true` / `false`), found {}",
                    self.what,
                    shown(other)
                );
                self.error(path, message, None);
                return;
            }
        };
        for (key, value) in obj {
            let sub = join(path, key);
            let k = key.as_str();
            if k == "type" {
                self.type_keyword(value, &sub);
            } else if SCHEMA_MAPS.contains(&k) {
                match value {
                    Value::Object(map) => {
                        for (name, s) in map {
                            self.schema(s, &join(&sub, name));
                        }
                    }
                    other => self.expect(&sub, k, false, "a map of schemas", other),
                }
            } else if k == "items" && value.is_array() {
                self.error(
                    &sub,
                    format!(
                        "in the {} schema, `items` is one schema, not a list",
                        self.what
                    ),
                    Some("JSON Schema 2020-12 writes a tuple as `prefixItems: [...]`".to_owned()),
                );
            } else if SCHEMA_ONE.contains(&k) {
                self.schema(value, &sub);
            } else if SCHEMA_LISTS.contains(&k) {
                match value {
                    Value::Array(list) if !list.is_empty() => {
                        for (i, s) in list.iter().enumerate() {
                            self.schema(s, &index(&sub, i));
                        }
                    }
                    other => self.expect(&sub, k, false, "a non-empty list of schemas", other),
                }
            } else if NUMBERS.contains(&k) {
                self.expect(&sub, k, value.is_number(), "a number", value);
            } else if COUNTS.contains(&k) {
                self.expect(
                    &sub,
                    k,
                    value.is_u64(),
                    "a whole number of zero or more",
                    value,
                );
            } else if STRINGS.contains(&k) {
                self.expect(&sub, k, value.is_string(), "a string", value);
            } else if BOOLEANS.contains(&k) {
                self.expect(&sub, k, value.is_boolean(), "`true` or `false`", value);
            } else if k == "required" {
                self.required(obj, value, &sub);
            } else if k == "enum" || k == "examples" {
                self.expect(&sub, k, value.is_array(), "a list", value);
            } else if !OTHERS.contains(&k) && !k.starts_with("x-") {
                self.unknown_keyword(k, &sub);
            }
        }
    }

    fn type_keyword(&mut self, v: &Value, path: &str) {
        let names: Vec<(&str, String)> = match v {
            Value::String(t) => vec![(t.as_str(), path.to_owned())],
            Value::Array(list) if !list.is_empty() && list.iter().all(Value::is_string) => list
                .iter()
                .enumerate()
                .filter_map(|(i, t)| Some((t.as_str()?, index(path, i))))
                .collect(),
            other => {
                self.expect(path, "type", false, "a type name or a list of them", other);
                return;
            }
        };
        let mut seen = Vec::new();
        for (name, at) in names {
            if !TYPES.contains(&name) {
                let near = TYPE_ALIASES
                    .iter()
                    .find(|(alias, _)| alias.eq_ignore_ascii_case(name))
                    .map(|(_, t)| *t)
                    .or_else(|| closest(name, TYPES));
                let hint = match near {
                    Some(t) => format!(
                        "did you mean `{t}`? JSON Schema's types are {}",
                        backticks(TYPES)
                    ),
                    None => format!("JSON Schema's types are {}", backticks(TYPES)),
                };
                self.error(&at, format!("unknown type `{name}`"), Some(hint));
            } else if seen.contains(&name) {
                self.error(&at, format!("type `{name}` is listed twice"), None);
            }
            seen.push(name);
        }
    }

    /// `required`: a list of property names; those missing from `properties` are
    /// likely typos, and impossible under `additionalProperties: false`.
    fn required(&mut self, obj: &Map<String, Value>, v: &Value, path: &str) {
        let Some(names) = v
            .as_array()
            .and_then(|a| a.iter().map(Value::as_str).collect::<Option<Vec<&str>>>())
        else {
            let message = format!(
                "in the {} schema, `required` must be a list of property names, found {}",
                self.what,
                shown(v)
            );
            // `required: true` on a property: name the property in the hint.
            let grandparent = crate::path::parent(crate::path::parent(path));
            let property = if grandparent.ends_with("properties") {
                crate::path::last_key(crate::path::parent(path))
            } else {
                "name".to_owned()
            };
            let hint = format!(
                "`required` belongs to the object, listing its required properties: `required: [{property}]`"
            );
            self.error(path, message, Some(hint));
            return;
        };
        let Some(props) = obj.get("properties").and_then(Value::as_object) else {
            return;
        };
        let declared: Vec<&str> = props.keys().map(String::as_str).collect();
        let closed = obj.get("additionalProperties") == Some(&Value::Bool(false));
        for (i, name) in names.iter().enumerate() {
            if declared.contains(name) {
                continue;
            }
            let near = closest(name, &declared);
            let at = index(path, i);
            if closed {
                let message = format!(
                    "`{name}` is required, but it is not a property and `additionalProperties: false` forbids others"
                );
                let hint = match near {
                    Some(n) => format!("did you mean `{n}`? (as written, no value is valid)"),
                    None => {
                        "declare it under `properties`; as written, no value is valid".to_owned()
                    }
                };
                self.error(&at, message, Some(hint));
            } else {
                let message = format!("`{name}` is required but is not among `properties`");
                let hint = match near {
                    Some(n) => format!("did you mean `{n}`?"),
                    None => "declare it under `properties`, or remove it".to_owned(),
                };
                self.cx
                    .rep
                    .report(Severity::Warning, At::Value, &at, message, Some(hint));
            }
        }
    }

    fn unknown_keyword(&mut self, key: &str, path: &str) {
        let (message, hint) = match key {
            "nullable" => (
                "`nullable` is an OpenAPI keyword, which JSON Schema ignores".to_owned(),
                "allow null with `type: [string, \"null\"]`".to_owned(),
            ),
            "optional" => (
                "`optional` is not a JSON Schema keyword and is ignored".to_owned(),
                "a property is optional unless its object lists it in `required`".to_owned(),
            ),
            _ => {
                let known: Vec<&str> = [
                    SCHEMA_MAPS,
                    SCHEMA_ONE,
                    SCHEMA_LISTS,
                    NUMBERS,
                    COUNTS,
                    STRINGS,
                    BOOLEANS,
                    OTHERS,
                ]
                .concat();
                let Some(near) = closest(key, &known) else {
                    // An annotation of the author's own; JSON Schema allows them.
                    return;
                };
                (
                    format!("unknown keyword `{key}`, which JSON Schema ignores"),
                    format!("did you mean `{near}`?"),
                )
            }
        };
        self.cx
            .rep
            .report(Severity::Warning, At::Key, path, message, Some(hint));
    }
}

/// Meta-validation against JSON Schema 2020-12; whether the schema passed.
fn meta(value: &Value, path: &str, what: &str, cx: &mut Ctx<'_, '_>) -> bool {
    let found = crate::guard::quietly(|| {
        let validator = jsonschema::draft202012::meta::validator();
        validator
            .iter_errors(value)
            .map(|e| (e.instance_path().as_str().to_owned(), e.to_string()))
            .collect::<Vec<_>>()
    });
    match found {
        Ok(errors) => {
            for (pointer, message) in &errors {
                cx.rep.report(
                    Severity::Error,
                    At::Value,
                    &pointer_to_path(path, pointer, value),
                    format!("the {what} schema is not valid JSON Schema 2020-12: {message}"),
                    None,
                );
            }
            errors.is_empty()
        }
        Err(_) => {
            cx.rep.error_value(
                path,
                format!("the {what} schema could not be checked against JSON Schema 2020-12"),
                None,
            );
            false
        }
    }
}

/// Compiles the schema as the runtime will; reports what only compilation finds
/// (a `pattern` that is no regular expression, …).
fn compiles(value: &Value, path: &str, what: &str, cx: &mut Ctx<'_, '_>) {
    let compiled = crate::guard::quietly(|| {
        jsonschema::validator_for(value)
            .err()
            .map(|e| (e.instance_path().as_str().to_owned(), e.to_string()))
    });
    match compiled {
        Ok(None) => {}
        Ok(Some((pointer, message))) => {
            let at = pointer_to_path(path, &pointer, value);
            let message = if message.ends_with("is not a \"regex\"") {
                format!(
                    "in the {what} schema, `{}` is not a valid regular expression",
                    crate::path::last_key(&at)
                )
            } else {
                format!("the {what} schema does not compile: {message}")
            };
            cx.rep.error_value(&at, message, None);
        }
        Err(_) => cx
            .rep
            .error_value(path, format!("the {what} schema does not compile"), None),
    }
}

/// A JSON pointer (`/properties/days`) into `root` → a manifest path below
/// `base`; a segment is an index where the value there is a list.
fn pointer_to_path(base: &str, pointer: &str, root: &Value) -> String {
    let mut out = base.to_owned();
    let mut at = Some(root);
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        match (at, seg.parse::<usize>()) {
            (Some(Value::Array(list)), Ok(i)) => {
                out = index(&out, i);
                at = list.get(i);
            }
            _ => {
                at = at.and_then(|v| v.get(&seg));
                out = join(&out, &seg);
            }
        }
    }
    out
}

/// Resolves every `$ref` and `$dynamicRef` within the schema.
struct Refs<'v> {
    root: &'v Value,
    /// `$id`s below the root and the schema each names.
    ids: Vec<(&'v str, &'v Value)>,
    anchors: HashSet<&'v str>,
    ok: bool,
}

const REF_HINT: &str = "each tool's schema is served and checked on its own: copy the definition under `$defs` and refer to it as `#/$defs/<name>`";

impl<'v> Refs<'v> {
    fn collect(&mut self, v: &'v Value) {
        match v {
            Value::Object(obj) => {
                for (key, child) in obj {
                    match (key.as_str(), child) {
                        ("$id", Value::String(id)) if !std::ptr::eq(v, self.root) => {
                            self.ids.push((id.trim_end_matches('#'), v));
                        }
                        ("$anchor" | "$dynamicAnchor", Value::String(a)) => {
                            self.anchors.insert(a);
                        }
                        (k, _) if DATA.contains(&k) => {}
                        _ => self.collect(child),
                    }
                }
            }
            Value::Array(list) => list.iter().for_each(|x| self.collect(x)),
            _ => {}
        }
    }

    /// Checks the refs in `v` (at `path`), which belongs to the schema resource
    /// `resource` (the root, or the nearest subschema with an `$id`).
    fn check(
        &mut self,
        v: &'v Value,
        resource: &'v Value,
        path: &str,
        what: &str,
        cx: &mut Ctx<'_, '_>,
    ) {
        match v {
            Value::Object(obj) => {
                let resource = if obj.get("$id").is_some_and(Value::is_string)
                    && !std::ptr::eq(v, self.root)
                {
                    v
                } else {
                    resource
                };
                for (key, child) in obj {
                    let sub = join(path, key);
                    match (key.as_str(), child) {
                        ("$ref" | "$dynamicRef", Value::String(r)) => {
                            if let Err((message, hint)) = self.resolve(r, resource) {
                                cx.rep.report(
                                    Severity::Error,
                                    At::Value,
                                    &sub,
                                    format!("in the {what} schema, `{key}` `{r}` {message}"),
                                    Some(hint),
                                );
                                self.ok = false;
                            }
                        }
                        (k, _) if DATA.contains(&k) => {}
                        _ => self.check(child, resource, &sub, what, cx),
                    }
                }
            }
            Value::Array(list) => {
                for (i, x) in list.iter().enumerate() {
                    self.check(x, resource, &index(path, i), what, cx);
                }
            }
            _ => {}
        }
    }

    fn resolve(&self, r: &str, resource: &'v Value) -> Result<(), (String, String)> {
        let (base, fragment) = match r.split_once('#') {
            Some((b, f)) => (b, Some(f)),
            None => (r, None),
        };
        let target = if base.is_empty() {
            resource
        } else if let Some((_, s)) = self.ids.iter().find(|(id, _)| *id == base) {
            s
        } else if base.contains("://") {
            return Err((
                "is a remote reference, which is not fetched".to_owned(),
                REF_HINT.to_owned(),
            ));
        } else {
            return Err((
                "refers to another file, which is not read".to_owned(),
                REF_HINT.to_owned(),
            ));
        };
        match fragment {
            None | Some("") => Ok(()),
            Some(pointer) if pointer.starts_with('/') => resolve_pointer(target, pointer),
            Some(anchor) if self.anchors.contains(anchor) => Ok(()),
            Some(anchor) => {
                let names: Vec<&str> = self.anchors.iter().copied().collect();
                let hint = match closest(anchor, &names) {
                    Some(n) => format!("did you mean `#{n}`?"),
                    None => "name a subschema with `$anchor: <name>`, or point at it with a JSON pointer like `#/$defs/<name>`".to_owned(),
                };
                Err((
                    format!("names the anchor `{anchor}`, which no subschema declares"),
                    hint,
                ))
            }
        }
    }
}

/// Follows a JSON pointer fragment (percent-encoded, `~0` / `~1` escaped) from
/// `target`.
fn resolve_pointer(target: &Value, pointer: &str) -> Result<(), (String, String)> {
    let pointer_hint = "a JSON pointer writes `~` as `~0` and `/` as `~1`, and percent-encodes what a URI cannot hold";
    let Some(decoded) = percent_decode(pointer) else {
        return Err((
            "is not a valid URI fragment".to_owned(),
            pointer_hint.to_owned(),
        ));
    };
    let mut at = target;
    let mut walked = String::from("#");
    for raw in decoded.split('/').skip(1) {
        if raw
            .match_indices('~')
            .any(|(i, _)| !matches!(raw.as_bytes().get(i + 1), Some(b'0' | b'1')))
        {
            return Err((
                format!("has `~` not followed by `0` or `1` in `{raw}`"),
                pointer_hint.to_owned(),
            ));
        }
        let seg = raw.replace("~1", "/").replace("~0", "~");
        let next = match at {
            Value::Object(map) => map.get(&seg),
            Value::Array(list) => seg.parse::<usize>().ok().and_then(|i| list.get(i)),
            _ => None,
        };
        match next {
            Some(v) => {
                at = v;
                walked = format!("{walked}/{raw}");
            }
            None => {
                let keys: Vec<&str> = at
                    .as_object()
                    .map(|m| m.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                let near = closest(&seg, &keys).map(|k| {
                    let escaped = k.replace('~', "~0").replace('/', "~1");
                    format!("did you mean `{walked}/{escaped}`?")
                });
                let hint = near.unwrap_or_else(|| match keys.len() {
                    0 => format!("`{walked}` has nothing below it"),
                    _ => format!("`{walked}` has {}", backticks(&keys)),
                });
                return Err((
                    format!("points at nothing in this schema: `{walked}` has no `{seg}`"),
                    hint,
                ));
            }
        }
    }
    Ok(())
}

/// Decodes `%XX` escapes; `None` when one is malformed or the result is not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pointers_resolve_with_escapes() {
        let s =
            json!({ "$defs": { "a/b": { "type": "string" }, "t~": {}, "list": [{}, {"x": 1}] } });
        assert!(resolve_pointer(&s, "/$defs/a~1b").is_ok());
        assert!(resolve_pointer(&s, "/$defs/t~0").is_ok());
        assert!(resolve_pointer(&s, "/%24defs/list/1/x").is_ok());
        let (message, hint) = resolve_pointer(&s, "/$defs/a~1c").unwrap_err();
        assert_eq!(
            message,
            "points at nothing in this schema: `#/$defs` has no `a/c`"
        );
        assert_eq!(hint, "did you mean `#/$defs/a~1b`?");
        assert!(resolve_pointer(&s, "/$defs/t~2").is_err());
        assert!(resolve_pointer(&s, "/%zz").is_err());
        assert!(resolve_pointer(&s, "/$defs/list/2").is_err());
    }

    #[test]
    fn pointers_become_manifest_paths() {
        let s = json!({ "properties": { "0": { "enum": [1, 2] } }, "allOf": [{}] });
        assert_eq!(
            pointer_to_path("t", "/properties/0/enum/1", &s),
            "t.properties.0.enum[1]"
        );
        assert_eq!(pointer_to_path("t", "/allOf/0", &s), "t.allOf[0]");
        assert_eq!(pointer_to_path("t", "/a~1b", &s), "t.a/b");
        assert_eq!(pointer_to_path("t", "/a.b", &s), "t[\"a.b\"]");
    }
}
