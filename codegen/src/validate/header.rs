//! `x-mcp-header` annotations in tool input schemas (2026-07-28, SEP-2243): a
//! property so annotated is mirrored by the client in an `Mcp-Param-<Name>` HTTP
//! header. Clients drop a tool whose annotations break the rules from `tools/list`,
//! so each rule is an error here: the name is a non-empty RFC 9110 token, unique
//! ignoring ASCII case; the property is a `string`, `integer` or `boolean`; and it
//! is reached from the root through `properties` only.

use serde_json::{Map, Value};

use super::Ctx;
use super::schema::SCHEMA_ONE;
use crate::diag::Severity;
use crate::keywords::{SCHEMA_LISTS, SCHEMA_MAPS};
use crate::path::{index, join};
use crate::span::At;

/// The annotation's key.
pub(crate) const KEY: &str = "x-mcp-header";

/// The property types a header can carry.
const TYPES: &[&str] = &["string", "integer", "boolean"];

/// RFC 9110 `tchar`: what a header name is made of.
pub(crate) fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// How a schema node is reached from the root.
#[derive(Clone, Copy)]
enum Route<'k> {
    /// The root itself.
    Root,
    /// Through `properties` only.
    Properties,
    /// Through another keyword first: the first one met.
    Through(&'k str),
}

/// Checks every `x-mcp-header` annotation of a tool's input schema at `path`.
pub(super) fn annotations(schema: &Map<String, Value>, path: &str, cx: &mut Ctx<'_, '_>) {
    let mut walk = Walk {
        cx,
        names: Vec::new(),
    };
    walk.node(schema, path, Route::Root);
}

struct Walk<'c, 'r, 'a> {
    cx: &'c mut Ctx<'r, 'a>,
    /// The names declared so far, lowercased, each with its annotation's path.
    names: Vec<(String, String)>,
}

impl<'k> Walk<'_, '_, '_> {
    fn node(&mut self, schema: &'k Map<String, Value>, path: &str, route: Route<'k>) {
        if let Some(value) = schema.get(KEY) {
            self.annotation(schema, value, &join(path, KEY), route);
        }
        for (key, child) in schema {
            let k = key.as_str();
            let sub = join(path, k);
            // Below anything but `properties`, the first other keyword is the route.
            let deeper = |route: Route<'k>| match route {
                Route::Through(first) => Route::Through(first),
                _ => Route::Through(k),
            };
            if k == "properties" {
                let route = match route {
                    Route::Through(first) => Route::Through(first),
                    _ => Route::Properties,
                };
                self.map(child, &sub, route);
            } else if SCHEMA_MAPS.contains(&k) {
                self.map(child, &sub, deeper(route));
            } else if SCHEMA_ONE.contains(&k) {
                if let Value::Object(s) = child {
                    self.node(s, &sub, deeper(route));
                }
            } else if SCHEMA_LISTS.contains(&k) {
                for (i, s) in child.as_array().into_iter().flatten().enumerate() {
                    if let Value::Object(s) = s {
                        self.node(s, &index(&sub, i), deeper(route));
                    }
                }
            }
        }
    }

    fn map(&mut self, map: &'k Value, path: &str, route: Route<'k>) {
        for (name, s) in map.as_object().into_iter().flatten() {
            if let Value::Object(s) = s {
                self.node(s, &join(path, name), route);
            }
        }
    }

    fn error(&mut self, at: At, path: &str, message: String, hint: &str) {
        self.cx
            .rep
            .report(Severity::Error, at, path, message, Some(hint.to_owned()));
    }

    /// One annotation at `path`, on the schema `owner`.
    fn annotation(&mut self, owner: &Map<String, Value>, value: &Value, path: &str, route: Route) {
        const WHERE: &str = "clients send `Mcp-Param-*` headers only for properties reached from the root through `properties`; annotate a top-level property, or a property of a nested object";
        match route {
            Route::Root => self.error(
                At::Key,
                path,
                format!("`{KEY}` is on the schema's root, not on a property"),
                WHERE,
            ),
            Route::Through(keyword) => self.error(
                At::Key,
                path,
                format!("`{KEY}` is on a schema reached through `{keyword}`, not through `properties` only"),
                WHERE,
            ),
            Route::Properties => {}
        }
        let parent = crate::path::parent(path).to_owned();
        // A root's type is checked as the root of a tool schema.
        let owner_type = match route {
            Route::Root => None,
            _ => Some(owner.get("type")),
        };
        match owner_type.flatten() {
            Some(Value::String(t)) if TYPES.contains(&t.as_str()) => {}
            Some(Value::String(t)) => self.error(
                At::Value,
                &join(&parent, "type"),
                format!("a header parameter is a `string`, `integer` or `boolean`, but this property is a `{t}`"),
                if t == "number" {
                    "a number's text form is ambiguous (`1`, `1.0`, `1e0`), so MCP refuses it; use `integer`, or a `string` the tool parses"
                } else {
                    "header values are one line of text; annotate a `string`, `integer` or `boolean` property"
                },
            ),
            Some(_) => self.error(
                At::Value,
                &join(&parent, "type"),
                "a header parameter has exactly one type: `string`, `integer` or `boolean`".to_owned(),
                "a property that may also be `null` or another type cannot be mirrored in a header; give it one `type`",
            ),
            None if owner_type.is_some() => self.error(
                At::Key,
                path,
                format!("`{KEY}` is on a property with no `type`"),
                "header parameters are `string`, `integer` or `boolean`; give the property its `type`",
            ),
            None => {}
        }
        let Value::String(name) = value else {
            self.error(
                At::Value,
                path,
                format!("the value of `{KEY}` must be a string, the header's name"),
                "e.g. `x-mcp-header: Region`, sent as `Mcp-Param-Region`",
            );
            return;
        };
        const TOKEN: &str = "a header name is an RFC 9110 token, of letters, digits and the symbols ! # $ % & ' * + - . ^ _ ` | ~ (e.g. `Region`)";
        if name.is_empty() {
            self.error(At::Value, path, format!("the `{KEY}` name is empty"), TOKEN);
            return;
        }
        let mut bad: Vec<char> = Vec::new();
        for c in name.chars().filter(|c| !is_tchar(*c)) {
            if !bad.contains(&c) {
                bad.push(c);
            }
        }
        if !bad.is_empty() {
            let shown: Vec<String> = bad
                .iter()
                .map(|c| match c {
                    ' ' => "space".to_owned(),
                    c if c.is_control() || !c.is_ascii() => format!("{c:?}"),
                    c => format!("`{c}`"),
                })
                .collect();
            self.error(
                At::Value,
                path,
                format!(
                    "header name `{}` has {} a header name cannot have: {}",
                    name.escape_debug(),
                    if bad.len() == 1 {
                        "a character"
                    } else {
                        "characters"
                    },
                    shown.join(", ")
                ),
                TOKEN,
            );
            return;
        }
        let folded = name.to_ascii_lowercase();
        if let Some((_, first)) = self.names.iter().find(|(n, _)| *n == folded) {
            let hint = format!(
                "`{first}` declares it already; header names are compared ignoring case, so give each parameter its own"
            );
            self.error(
                At::Value,
                path,
                format!("header name `{name}` is declared twice in this schema"),
                &hint,
            );
        } else {
            self.names.push((folded, path.to_owned()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_tchar;

    #[test]
    fn header_names_are_tokens() {
        assert!("Region".chars().all(is_tchar));
        assert!("X-Trace_id.2~!#$%&'*+^`|".chars().all(is_tchar));
        for c in [' ', ':', '"', '(', ')', ',', '/', '\u{e9}', '\n', '\0'] {
            assert!(!is_tchar(c), "{c:?}");
        }
    }
}
