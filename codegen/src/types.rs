//! Rust types for tool input and output schemas, generated with typify.
//!
//! The schema served on the wire (and written to `<stem>.schemas/`) is always the
//! author's, byte for byte. Types come from a *typing copy* of it, rewritten into
//! the draft-07-like subset typify handles soundly:
//!
//! - **Precise where possible.** Objects, arrays, maps, string enums, `const`,
//!   nullable types, `oneOf`/`anyOf` (tagged and untagged), `allOf`, defaults,
//!   `$defs`/`$ref` (any pointer or `$anchor` in the document, recursion included),
//!   fixed-length `prefixItems` (tuples), and integer bounds (the narrowest standard
//!   integer holding the range, `NonZero*` when zero is excluded).
//! - **Sound always.** Every instance the author's schema accepts must deserialize:
//!   keywords that only *constrain* (`not`, `if`/`then`/`else`,
//!   `dependentRequired`, `dependentSchemas`, `propertyNames`, `contains`,
//!   `unevaluated*` next to in-place applicators, `oneOf`/`anyOf` that only demand
//!   properties) are left out of the copy with a warning that the runtime checks them
//!   (the runtime validates arguments against the author's schema before
//!   deserializing). Value-level constraints that Rust types never carry (`pattern`,
//!   `minLength`, `format`, `multipleOf`, `minItems`, …) are left out silently;
//!   `format` is an annotation in 2020-12, so strings stay `String`.
//! - **Local fallback.** A part that has no sound Rust type becomes
//!   `serde_json::Value` (or the nearest sound type: `String`, `Vec<Value>`,
//!   `Map<String, Value>`), the rest stays precise, and a warning names the part,
//!   the keyword and the Rust type.
//!
//! Every type name is chosen here (as a `title`, unique within the schema), because
//! typify silently merges distinct types that end up with the same name.
//!
//! Property names and string enum values whose Rust names would clash (`self` and
//! `Self`, `camelCase` and `camel_case`, `UPPER` and `upper`) are given stand-ins
//! in the copy (`<name>⁠<n>`, with a word joiner) so typify numbers their Rust
//! names (`self_2`, `Upper2`); the author's names are written back into its
//! output (serde renames, `Display`, `FromStr`), so the rest stays typed.
//!
//! An optional property that admits `null` (and has no default) is required in
//! the copy, so typify types it as something that holds `null`, and its field then
//! becomes `Option<that>` with the facade's `present`: absent is `None`, `null` is
//! `Some(None)` (or `Some(Value::Null)`), and each serializes back as it came.
//!
//! typify panics on some inputs. The rewriting keeps it away from the constructs
//! known to panic; as a last resort each typify run is behind `catch_unwind` with a
//! panic hook that stays silent on this thread while typify runs (other threads'
//! panics still print). When a run fails, each part of the schema is tried alone,
//! innermost first, and only the parts that fail fall back.

mod typified;

use std::collections::{HashMap, HashSet};

use heck::ToUpperCamelCase;

use crate::guard::quietly;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::{Map, Value, json};
use typify::{TypeDetails, TypeSpace, TypeSpaceSettings};

use self::typified::Facade;
use crate::diag::Reporter;
use crate::items::{self, Part};
use crate::keywords::{SCHEMA_LISTS, SCHEMA_MAPS};
use crate::path::{index, join};

/// Which of a tool's schemas a type is for; decides what warnings promise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// Arguments: validated against the served schema before the handler runs.
    Input,
    /// Structured results: not validated; the handler must uphold the schema.
    Output,
}

/// What to generate: the type's name and docs, the private module holding it, and
/// where its schema is in the manifest.
pub(crate) struct Target<'a> {
    /// The root type, e.g. `GetForecastInput`.
    pub type_name: &'a str,
    /// Its doc comment when the schema has no `description`.
    pub doc: &'a str,
    /// The private module for the types of this schema.
    pub module: &'a str,
    /// The manifest path of the schema, e.g. `tools.get_forecast.input`.
    pub path: &'a str,
    /// Input or output.
    pub role: Role,
    /// The manifest's shared definitions `(name, Rust type)`: a `$defs/<name>`
    /// of this schema names the shared type (`super::<Type>`) rather than a type
    /// of its own.
    pub shared: &'a [(String, String)],
}

/// Generates the type `target.type_name` (and its helper types) for `schema`, in a
/// private module with `pub use` of the nameable types, reporting every part that
/// is not expressed in the type.
///
/// `reserved` holds names already used in the generated module; helper types that
/// would clash are left unexported.
pub(crate) fn schema_types(
    schema: &Map<String, Value>,
    target: &Target<'_>,
    runtime: &str,
    reserved: &mut HashSet<String>,
    rep: &mut Reporter<'_>,
) -> Vec<Part> {
    let root = Value::Object(schema.clone());
    let mut norm = Normalizer::new(&root, target);
    let mut copy = norm.run();
    let mut notes = std::mem::take(&mut norm.notes);

    let generated = match attempt(&copy, target.type_name, runtime) {
        Ok(out) => Ok(out),
        Err(_) => {
            localize(&mut copy, target, runtime, &mut notes);
            attempt(&copy, target.type_name, runtime)
        }
    };
    let parts = match generated {
        Ok(generated) => module_parts(generated, target, reserved),
        Err(why) => {
            // Unreachable in practice (the localized copy always types), kept so
            // that no input can fail the build.
            notes.push(Note {
                path: target.path.to_owned(),
                message: format!(
                    "typify could not type this schema ({why}): `{}` is `Map<String, serde_json::Value>`",
                    target.type_name
                ),
                hint: Some(checked_hint(target.role).to_owned()),
            });
            let id = format_ident!("{}", target.type_name);
            let docs = crate::docs::doc_attrs(target.doc);
            vec![Part::parse(
                quote! { #(#docs)* pub type #id = Map<String, Value>; },
            )]
        }
    };
    // In source order, as the author reads the manifest.
    notes.sort_by_key(|n| {
        rep.index
            .locate(&n.path, crate::span::At::Key)
            .map_or((usize::MAX, 0), |p| (p.line, p.column))
    });
    for note in notes {
        rep.warning(&note.path, note.message, note.hint);
    }
    parts
}

/// A warning about a part of a schema the type does not express.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Note {
    path: String,
    message: String,
    hint: Option<String>,
}

fn checked_hint(role: Role) -> &'static str {
    match role {
        Role::Input => {
            "the served schema is unchanged, and arguments are validated against it before the handler runs"
        }
        Role::Output => "the served schema is unchanged; results are not checked against it",
    }
}

// ---------------------------------------------------------------------------
// JSON types of instances.

/// A set of JSON instance types; integers and other numbers are apart so that
/// `integer` ⊂ `number`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Types(u8);

impl Types {
    const NONE: Types = Types(0);
    const NULL: Types = Types(1);
    const BOOLEAN: Types = Types(2);
    const OBJECT: Types = Types(4);
    const ARRAY: Types = Types(8);
    const STRING: Types = Types(16);
    const INTEGER: Types = Types(32);
    /// Numbers with a fractional part.
    const FRACTION: Types = Types(64);
    const NUMBER: Types = Types(32 | 64);
    const ALL: Types = Types(127);

    fn named(name: &str) -> Types {
        match name {
            "null" => Types::NULL,
            "boolean" => Types::BOOLEAN,
            "object" => Types::OBJECT,
            "array" => Types::ARRAY,
            "string" => Types::STRING,
            "integer" => Types::INTEGER,
            "number" => Types::NUMBER,
            _ => Types::NONE,
        }
    }

    /// The set a `type` keyword allows.
    fn of_keyword(value: &Value) -> Types {
        match value {
            Value::String(s) => Types::named(s),
            Value::Array(names) => names
                .iter()
                .filter_map(Value::as_str)
                .fold(Types::NONE, |acc, n| acc.or(Types::named(n))),
            _ => Types::ALL,
        }
    }

    fn of_value(value: &Value) -> Types {
        match value {
            Value::Null => Types::NULL,
            Value::Bool(_) => Types::BOOLEAN,
            Value::Object(_) => Types::OBJECT,
            Value::Array(_) => Types::ARRAY,
            Value::String(_) => Types::STRING,
            Value::Number(n) => {
                if n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0) {
                    Types::INTEGER
                } else {
                    Types::FRACTION
                }
            }
        }
    }

    fn and(self, other: Types) -> Types {
        Types(self.0 & other.0)
    }
    fn or(self, other: Types) -> Types {
        Types(self.0 | other.0)
    }
    fn without(self, other: Types) -> Types {
        Types(self.0 & !other.0)
    }
    fn has(self, other: Types) -> bool {
        self.0 & other.0 == other.0
    }
    fn meets(self, other: Types) -> bool {
        self.0 & other.0 != 0
    }
    fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// `type` keyword names for this set, in a fixed order.
    fn names(self) -> Vec<&'static str> {
        let mut out = Vec::new();
        for (t, name) in [
            (Types::BOOLEAN, "boolean"),
            (Types::OBJECT, "object"),
            (Types::ARRAY, "array"),
            (Types::STRING, "string"),
        ] {
            if self.has(t) {
                out.push(name);
            }
        }
        if self.meets(Types::FRACTION) {
            out.push("number");
        } else if self.has(Types::INTEGER) {
            out.push("integer");
        }
        if self.has(Types::NULL) {
            out.push("null");
        }
        out
    }

    /// The `type` keyword value for this set.
    fn keyword(self) -> Value {
        let names = self.names();
        match names.as_slice() {
            [one] => Value::String((*one).to_owned()),
            many => Value::Array(
                many.iter()
                    .map(|n| Value::String((*n).to_owned()))
                    .collect(),
            ),
        }
    }
}

// ---------------------------------------------------------------------------
// Locations.

/// Where a subschema is: its JSON pointer in the author's schema and its manifest
/// path.
#[derive(Debug, Clone)]
struct At {
    pointer: String,
    path: String,
}

impl At {
    fn key(&self, key: &str) -> At {
        At {
            pointer: format!("{}/{}", self.pointer, escape(key)),
            path: join(&self.path, key),
        }
    }
    fn item(&self, keyword: &str, i: usize) -> At {
        At {
            pointer: format!("{}/{keyword}/{i}", self.pointer),
            path: index(&join(&self.path, keyword), i),
        }
    }
}

/// Keywords whose value is one subschema.
const SCHEMA_ONE: &[&str] = &[
    "items",
    "additionalItems",
    "additionalProperties",
    "unevaluatedProperties",
    "unevaluatedItems",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "contentSchema",
];

/// Keywords that only make sense for one kind of instance: a schema with them but
/// no `type` probably meant one.
const TYPE_SPECIFIC: &[&str] = &[
    "properties",
    "required",
    "additionalProperties",
    "patternProperties",
    "items",
    "prefixItems",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
];

/// Applicators that evaluate properties or items of the instance in place (what
/// `unevaluated*` looks through).
const IN_PLACE: &[&str] = &[
    "allOf",
    "anyOf",
    "oneOf",
    "$ref",
    "$dynamicRef",
    "if",
    "dependentSchemas",
];

/// Deeper schemas fall back to `Value` (typify recurses on them, and deep
/// nesting is no way to write a tool's arguments).
const MAX_DEPTH: usize = 48;

/// The key marking a node of the typing copy with its manifest path, for
/// localizing failures; removed before typify sees the copy.
const MARK: &str = "x-mcpgen-path";

// ---------------------------------------------------------------------------
// The typing copy.

/// The typing copy of one schema: the root and its definitions.
#[derive(Debug, Clone)]
struct TypingCopy {
    root: Value,
    definitions: Vec<(String, Value)>,
    /// Stand-in names (see [`distinct`]) → the author's property names and enum
    /// values, written back into typify's output.
    renames: Vec<(String, String)>,
    /// `(struct, property)`: optional properties that admit `null`, made
    /// required in the copy, whose fields become `Option<T>` for presence.
    presence: Vec<(String, String)>,
    /// Definitions of the copy that are the manifest's shared types, named as
    /// `super::<name>` rather than generated.
    external: Vec<String>,
}

/// Where a node sits, for naming and for what it may become.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pos {
    /// The schema's root.
    Root,
    /// The body of a definition (a `$ref` target).
    Definition,
    /// A branch of `oneOf`/`anyOf`: named, so variants are named.
    Branch,
    /// An `allOf` branch: merged into its parent by typify.
    Merged,
    /// Anywhere else.
    Other,
}

/// How a rewritten branch shapes its parent.
enum Shape {
    /// It accepts every instance of the parent's types.
    Any,
    /// It only requires these properties.
    Requires(Vec<String>),
    /// It has a shape of its own.
    Shaped,
}

struct Normalizer<'a> {
    /// The author's schema.
    root: &'a Value,
    target: &'a Target<'a>,
    /// `$schema` names a draft before 2019-09, where `$ref` overrides its siblings.
    legacy_refs: bool,
    /// The root's `$id`, a prefix of same-document references.
    root_id: Option<String>,
    /// `$anchor` and `$dynamicAnchor` names → pointers.
    anchors: HashMap<String, String>,
    /// Every pointer some `$ref` resolves to (but the root) → its definition name.
    targets: HashMap<String, String>,
    /// Whether some `$ref` points at the root.
    root_referenced: bool,
    /// Type names taken.
    names: HashSet<String>,
    /// Definitions to rewrite: pointer and name, in order of first reference.
    queue: Vec<(String, String)>,
    queued: HashSet<String>,
    type_memo: HashMap<String, Types>,
    notes: Vec<Note>,
    /// How deep in the schema the rewriting is.
    depth: usize,
    /// Pointers of the defaults valid under the author's schema (`None`: could
    /// not be checked).
    valid_defaults: Option<HashSet<String>>,
    /// See [`TypingCopy::renames`].
    renames: Vec<(String, String)>,
    /// See [`TypingCopy::presence`].
    presence: Vec<(String, String)>,
    /// See [`TypingCopy::external`].
    external: Vec<String>,
}

impl<'a> Normalizer<'a> {
    fn new(root: &'a Value, target: &'a Target<'a>) -> Self {
        let legacy_refs = root
            .get("$schema")
            .and_then(Value::as_str)
            .is_some_and(|s| {
                ["draft-03", "draft-04", "draft-06", "draft-07"]
                    .iter()
                    .any(|d| s.contains(d))
            });
        let root_id = root
            .get("$id")
            .and_then(Value::as_str)
            .map(|id| id.trim_end_matches('#').to_owned());
        let mut n = Normalizer {
            root,
            target,
            legacy_refs,
            root_id,
            anchors: HashMap::new(),
            targets: HashMap::new(),
            root_referenced: false,
            names: HashSet::from([target.type_name.to_owned()]),
            queue: Vec::new(),
            queued: HashSet::new(),
            type_memo: HashMap::new(),
            notes: Vec::new(),
            depth: 0,
            valid_defaults: None,
            renames: Vec::new(),
            presence: Vec::new(),
            external: Vec::new(),
        };
        for (_, rust) in target.shared {
            n.names.insert(rust.clone());
        }
        let mut found = Found::default();
        scan(root, "", &mut found);
        n.anchors = found.anchors;
        n.valid_defaults = valid_defaults(root, &found.defaults);
        let resolved: Vec<String> = found.refs.iter().filter_map(|r| n.resolve(r)).collect();
        // `$defs` first, in the author's order, so their names are stable.
        for key in ["$defs", "definitions"] {
            if let Some(Value::Object(defs)) = root.get(key) {
                for name in defs.keys() {
                    let pointer = format!("/{key}/{}", escape(name));
                    let shared = target
                        .shared
                        .iter()
                        .find(|(def, _)| key == "$defs" && def == name);
                    if let Some((_, rust)) = shared {
                        n.external.push(rust.clone());
                        n.targets.insert(pointer, rust.clone());
                    } else if resolved.contains(&pointer) {
                        let def = n.unique(&format!("{} {name}", target.type_name));
                        n.targets.insert(pointer, def);
                    }
                }
            }
        }
        for p in resolved {
            match p {
                p if p.is_empty() => n.root_referenced = true,
                p if !n.targets.contains_key(&p) => {
                    let last = p
                        .rsplit('/')
                        .find(|s| s.parse::<usize>().is_err())
                        .unwrap_or("part")
                        .to_owned();
                    let def = n.unique(&format!("{} {last}", target.type_name));
                    n.targets.insert(p, def);
                }
                _ => {}
            }
        }
        n
    }

    /// The typing copy of the whole schema.
    fn run(&mut self) -> TypingCopy {
        let at = At {
            pointer: String::new(),
            path: self.target.path.to_owned(),
        };
        let mut definitions = Vec::new();
        let root = if self.root_referenced {
            let mut body = self.node(
                self.root,
                &at,
                self.target.type_name,
                Types::ALL,
                Pos::Definition,
            );
            add_doc(&mut body, self.root, self.target.doc);
            definitions.push((self.target.type_name.to_owned(), body));
            marked(
                json!({ "$ref": format!("#/definitions/{}", self.target.type_name) }),
                &at,
            )
        } else {
            let mut root = self.node(self.root, &at, self.target.type_name, Types::ALL, Pos::Root);
            add_doc(&mut root, self.root, self.target.doc);
            root
        };
        let mut done = 0;
        while done < self.queue.len() {
            let (pointer, name) = self.queue[done].clone();
            done += 1;
            let at = self.at_pointer(&pointer);
            let body = match self.root.pointer(&pointer) {
                Some(schema) => self.node(schema, &at, &name, Types::ALL, Pos::Definition),
                None => marked(json!({}), &at),
            };
            definitions.push((name, body));
        }
        let mut copy = TypingCopy {
            root,
            definitions,
            renames: std::mem::take(&mut self.renames),
            presence: std::mem::take(&mut self.presence),
            external: std::mem::take(&mut self.external),
        };
        self.break_merge_cycles(&mut copy);
        copy
    }

    /// typify merges `allOf` (and unions beside other keywords) by inlining
    /// references, so a definition that reaches itself through such keywords
    /// alone makes it recurse until the stack overflows, which no guard can
    /// catch. Those references fall back to `Value`. (Cycles through properties or
    /// items are ordinary recursive types.)
    fn break_merge_cycles(&mut self, copy: &mut TypingCopy) {
        let edges: HashMap<String, HashSet<String>> = copy
            .definitions
            .iter()
            .map(|(name, body)| {
                let mut targets = HashSet::new();
                merged_refs(body, &mut |r| {
                    targets.insert(r.to_owned());
                });
                (name.clone(), targets)
            })
            .collect();
        let reaches = |from: &str, to: &str| {
            let mut stack = vec![from.to_owned()];
            let mut seen = HashSet::new();
            while let Some(d) = stack.pop() {
                if d == to {
                    return true;
                }
                if seen.insert(d.clone())
                    && let Some(next) = edges.get(&d)
                {
                    stack.extend(next.iter().cloned());
                }
            }
            false
        };
        for (name, body) in &mut copy.definitions {
            let cyclic: HashSet<String> = edges
                .get(name.as_str())
                .into_iter()
                .flatten()
                .filter(|target| reaches(target, name))
                .cloned()
                .collect();
            if cyclic.is_empty() {
                continue;
            }
            replace_merged_refs(body, &cyclic, &mut |node| {
                let path = node
                    .get(MARK)
                    .and_then(Value::as_str)
                    .unwrap_or(self.target.path)
                    .to_owned();
                self.notes.push(fallback_note(
                    self.target,
                    &path,
                    "a `$ref` that reaches itself through `allOf`, `anyOf` or `oneOf` alone has no Rust type",
                    "serde_json::Value",
                    None,
                ));
                marked(
                    json!({}),
                    &At {
                        pointer: String::new(),
                        path,
                    },
                )
            });
        }
    }

    /// A type name not taken yet, derived from `words`.
    fn unique(&mut self, words: &str) -> String {
        let base = pascal(words);
        let mut name = base.clone();
        let mut n = 2;
        while !self.names.insert(name.clone()) {
            name = format!("{base}{n}");
            n += 1;
        }
        name
    }

    /// The pointer a `$ref` (or `$dynamicRef`) in this document resolves to.
    fn resolve(&self, reference: &str) -> Option<String> {
        let local = match (&self.root_id, reference.split_once('#')) {
            (_, Some(("", frag))) => frag,
            (Some(id), Some((base, frag))) if base == id => frag,
            _ => return None,
        };
        let decoded = percent_encoding::percent_decode_str(local)
            .decode_utf8()
            .ok()?
            .into_owned();
        if decoded.is_empty() {
            return Some(String::new());
        }
        if decoded.starts_with('/') {
            return self.root.pointer(&decoded).map(|_| decoded);
        }
        self.anchors.get(&decoded).cloned()
    }

    /// `{"$ref": "#/definitions/<name>"}` for the schema at `pointer`, following
    /// references to references so each type is defined once.
    fn reference(&mut self, pointer: &str) -> Value {
        let mut pointer = pointer.to_owned();
        for _ in 0..16 {
            let next = match self.root.pointer(&pointer) {
                Some(Value::Object(m))
                    if m.keys().all(|k| {
                        matches!(
                            k.as_str(),
                            "$ref" | "$dynamicRef" | "description" | "title" | "$comment"
                        )
                    }) =>
                {
                    ref_of(m).and_then(|(_, r)| self.resolve(r))
                }
                _ => None,
            };
            match next {
                Some(next) if next != pointer => pointer = next,
                _ => break,
            }
        }
        let pointer = pointer.as_str();
        let name = if pointer.is_empty() {
            self.target.type_name.to_owned()
        } else {
            let name = match self.targets.get(pointer) {
                Some(name) => name.clone(),
                None => {
                    let name = self.unique(&format!("{} part", self.target.type_name));
                    self.targets.insert(pointer.to_owned(), name.clone());
                    name
                }
            };
            if self.queued.insert(pointer.to_owned()) {
                self.queue.push((pointer.to_owned(), name.clone()));
            }
            name
        };
        json!({ "$ref": format!("#/definitions/{name}") })
    }

    /// The location of a pointer into the author's schema.
    fn at_pointer(&self, pointer: &str) -> At {
        let mut at = At {
            pointer: String::new(),
            path: self.target.path.to_owned(),
        };
        let segments: Vec<String> = pointer
            .split('/')
            .skip(1)
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect();
        let mut expect_name = false;
        let mut i = 0;
        while i < segments.len() {
            let seg = &segments[i];
            if expect_name {
                at = at.key(seg);
                expect_name = false;
                i += 1;
            } else if SCHEMA_LISTS.contains(&seg.as_str())
                && let Some(n) = segments.get(i + 1).and_then(|s| s.parse::<usize>().ok())
            {
                at = at.item(seg, n);
                i += 2;
            } else {
                expect_name = SCHEMA_MAPS.contains(&seg.as_str());
                at = at.key(seg);
                i += 1;
            }
        }
        at
    }

    /// The instance types `schema` can accept (a superset: `not` and
    /// `if`/`then`/`else` are not looked at).
    fn types_of(&mut self, schema: &Value, depth: usize) -> Types {
        let Value::Object(m) = schema else {
            return if schema == &Value::Bool(false) {
                Types::NONE
            } else {
                Types::ALL
            };
        };
        if depth > 64 {
            return Types::ALL;
        }
        let mut t = m.get("type").map_or(Types::ALL, Types::of_keyword);
        if let Some(c) = m.get("const") {
            t = t.and(Types::of_value(c));
        }
        if let Some(Value::Array(values)) = m.get("enum") {
            t = t.and(
                values
                    .iter()
                    .fold(Types::NONE, |a, v| a.or(Types::of_value(v))),
            );
        }
        if let Some(target) = ref_of(m).and_then(|(_, r)| self.resolve(r)) {
            let referenced = self.types_at(&target, depth);
            if self.legacy_refs {
                return referenced;
            }
            t = t.and(referenced);
        }
        if let Some(Value::Array(all)) = m.get("allOf") {
            for b in all {
                t = t.and(self.types_of(b, depth + 1));
            }
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(Value::Array(branches)) = m.get(key) {
                let mut union = Types::NONE;
                for b in branches {
                    union = union.or(self.types_of(b, depth + 1));
                }
                t = t.and(union);
            }
        }
        t
    }

    fn types_at(&mut self, pointer: &str, depth: usize) -> Types {
        if let Some(t) = self.type_memo.get(pointer) {
            return *t;
        }
        // A cycle answers "anything" for its inner occurrence: still a superset.
        self.type_memo.insert(pointer.to_owned(), Types::ALL);
        let t = match self.root.pointer(pointer) {
            Some(schema) => self.types_of(schema, depth + 1),
            None => Types::ALL,
        };
        self.type_memo.insert(pointer.to_owned(), t);
        t
    }

    /// The types of the applicators of `m` alone (what the keywords beside them
    /// narrow).
    fn applicator_types(&mut self, m: &Map<String, Value>) -> Types {
        let mut bare = m.clone();
        bare.retain(|k, _| {
            matches!(
                k.as_str(),
                "$ref" | "$dynamicRef" | "allOf" | "anyOf" | "oneOf"
            )
        });
        self.types_of(&Value::Object(bare), 0)
    }

    fn runtime_only(&mut self, at: &At, what: &str) {
        let ty = self.target.type_name;
        let message = match self.target.role {
            Role::Input => format!(
                "{what} is not expressed in `{ty}`: arguments are checked against it at runtime, before the handler runs"
            ),
            Role::Output => format!(
                "{what} is not expressed in `{ty}`: results are not checked against it, so the handler must uphold it"
            ),
        };
        self.notes.push(Note {
            path: at.path.clone(),
            message,
            hint: None,
        });
    }

    /// Replaces a part by the nearest sound type for `types`, with a warning.
    fn fallback(
        &mut self,
        at: &At,
        path: &str,
        types: Types,
        why: &str,
        hint: Option<&str>,
    ) -> Value {
        let (schema, rust) = nearest(types);
        self.notes
            .push(fallback_note(self.target, path, why, &rust, hint));
        marked(schema, at)
    }

    /// Rewrites one subschema.
    fn node(&mut self, schema: &Value, at: &At, name: &str, inherited: Types, pos: Pos) -> Value {
        self.depth += 1;
        let out = if self.depth > MAX_DEPTH {
            let types = self.types_of(schema, 0).and(inherited);
            self.fallback(
                at,
                &at.path,
                types,
                &format!("a schema nested more than {MAX_DEPTH} levels deep has no Rust type"),
                None,
            )
        } else {
            self.node_inner(schema, at, name, inherited, pos)
        };
        self.depth -= 1;
        out
    }

    fn node_inner(
        &mut self,
        schema: &Value,
        at: &At,
        name: &str,
        inherited: Types,
        pos: Pos,
    ) -> Value {
        if !matches!(pos, Pos::Definition | Pos::Root) && self.targets.contains_key(&at.pointer) {
            let pointer = at.pointer.clone();
            let mut r = self.reference(&pointer);
            if let (Some(d), Value::Object(o)) = (schema.get("description"), &mut r) {
                o.insert("description".into(), d.clone());
            }
            return marked(r, at);
        }
        let m = match schema {
            Value::Object(m) => m,
            Value::Bool(false) => return Value::Bool(false),
            _ => return marked(json!({}), at),
        };
        let types = self.types_of(schema, 0).and(inherited);
        if types.is_empty() {
            // Nothing is valid here, so any type is sound.
            return marked(describe(Map::new(), m), at);
        }
        if !at.pointer.is_empty() && m.contains_key("$id") && has_refs(schema) {
            return self.fallback(
                at,
                &join(&at.path, "$id"),
                types,
                "`$id` below the root has no Rust type (its `$ref`s resolve against another base)",
                None,
            );
        }

        // Constraints the type cannot carry; the runtime checks them.
        if m.contains_key("not") {
            self.runtime_only(&at.key("not"), "`not`");
        }
        if m.contains_key("if") {
            self.runtime_only(&at.key("if"), "`if`/`then`/`else`");
        }
        if types.meets(Types::OBJECT) {
            for kw in ["dependentRequired", "dependentSchemas", "propertyNames"] {
                if m.contains_key(kw) {
                    self.runtime_only(&at.key(kw), &format!("`{kw}`"));
                }
            }
        }
        if types.meets(Types::ARRAY) && m.contains_key("contains") {
            self.runtime_only(&at.key("contains"), "`contains`");
        }

        // References: in 2020-12 `$ref` applies beside its siblings.
        let mut all_of: Vec<Value> = Vec::new();
        if let Some((kw, r)) = ref_of(m) {
            match self.resolve(r) {
                Some(pointer) => {
                    let reference = self.reference(&pointer);
                    if self.legacy_refs {
                        return marked(describe(as_map(reference), m), at);
                    }
                    all_of.push(reference);
                }
                None => {
                    return self.fallback(
                        at,
                        &join(&at.path, kw),
                        types,
                        &format!("`{kw}: {r}` points outside this schema"),
                        None,
                    );
                }
            }
        }

        // allOf: branches that only require properties merge into this node.
        let mut required_extra = Vec::new();
        if let Some(Value::Array(branches)) = m.get("allOf") {
            for (i, b) in branches.iter().enumerate() {
                let nb = self.node(b, &at.item("allOf", i), name, types, Pos::Merged);
                match shape(&nb, types) {
                    Shape::Any => {}
                    Shape::Requires(req) => required_extra.extend(req),
                    Shape::Shaped => all_of.push(nb),
                }
            }
        }
        let one_of = self.branches(m, "oneOf", at, name, types);
        let mut any_of = self.branches(m, "anyOf", at, name, types);
        let mut one_of = one_of;
        if let Some(branches) = any_of.take() {
            // typify reads a non-exclusive `anyOf` as a struct of flattened
            // options, sound only for objects; anything else becomes an untagged
            // enum, whose first accepting variant wins.
            let mut distinct: Vec<Value> = Vec::new();
            for b in branches {
                if !distinct.iter().any(|d| same_schema(d, &b)) {
                    distinct.push(b);
                }
            }
            let nulls = distinct.iter().filter(|b| is_null_schema(b)).count();
            let objects = distinct
                .iter()
                .all(|b| b.get("type").and_then(Value::as_str) == Some("object"));
            if distinct.len() == 1 {
                all_of.extend(distinct);
            } else if objects || (nulls > 0 && distinct.len() - nulls == 1) {
                any_of = Some(distinct);
            } else if one_of.is_none() {
                one_of = Some(distinct);
            } else {
                all_of.push(json!({ "oneOf": distinct }));
            }
        }

        // The node's own keywords.
        let comb = if all_of.is_empty() && one_of.is_none() && any_of.is_none() {
            Types::ALL
        } else {
            self.applicator_types(m)
        };
        let mut own = Map::new();
        let non_null = types.without(Types::NULL);
        // Every kind of value: object or array keywords alone would make typify
        // assume that kind.
        let any_value = non_null.has(Types::ALL.without(Types::NULL));
        let values = enum_values(m, types);
        if let Some((kw, values)) = &values {
            if let Err(fallback) = self.enum_keywords(&mut own, kw, values, at, types) {
                return fallback;
            }
        } else if non_null.is_empty() {
            own.insert("type".into(), json!("null"));
        } else if any_value {
            // Any JSON value: `Value`, and worth a word when keywords suggest
            // the author meant a type.
            if !m.contains_key("type")
                && comb == Types::ALL
                && TYPE_SPECIFIC.iter().any(|k| m.contains_key(*k))
            {
                self.notes.push(fallback_note(
                    self.target,
                    &at.path,
                    "this schema has no `type`, so any JSON value is valid here",
                    "serde_json::Value",
                    Some("add `type: object` (or the type you mean) to get a precise type"),
                ));
                return marked(describe(Map::new(), m), at);
            }
        } else if types != comb {
            own.insert("type".into(), types.keyword());
        }
        let mut presence = Vec::new();
        if non_null.meets(Types::OBJECT) && !any_value {
            // Union and `allOf` branches keep their `required` as it is: typify
            // reads their shape from it.
            let fields = !matches!(pos, Pos::Branch | Pos::Merged);
            presence = self.object_keywords(&mut own, m, at, name, &required_extra, fields);
        }
        if non_null.meets(Types::ARRAY) && !any_value {
            self.array_keywords(&mut own, m, at, name);
        }
        if non_null == Types::INTEGER && values.is_none() {
            integer_keywords(&mut own, m);
        }

        // Assemble: at most one combinator keyword per node, for typify.
        let mut out = own;
        let has_shape_keywords = out.keys().any(|k| k != "type");
        if all_of.len() == 1
            && one_of.is_none()
            && any_of.is_none()
            && !has_shape_keywords
            && !out.contains_key("type")
        {
            out = as_map(all_of.pop().unwrap_or_else(|| json!({})));
        } else {
            let mut kinds: Vec<(&str, Vec<Value>)> = Vec::new();
            if !all_of.is_empty() {
                kinds.push(("allOf", all_of));
            }
            if let Some(b) = one_of {
                kinds.push(("oneOf", b));
            }
            if let Some(b) = any_of {
                kinds.push(("anyOf", b));
            }
            match kinds.len() {
                0 => {}
                1 => {
                    let (k, v) = kinds.remove(0);
                    out.insert(k.into(), Value::Array(v));
                }
                _ => {
                    let nested = kinds
                        .into_iter()
                        .flat_map(|(k, v)| {
                            if k == "allOf" {
                                v
                            } else {
                                vec![json!({ k: v })]
                            }
                        })
                        .collect();
                    out.insert("allOf".into(), Value::Array(nested));
                }
            }
        }

        // Beside applicators typify may not make a struct of this node, so its
        // fields keep `required` as the author wrote it.
        if !presence.is_empty()
            && ["allOf", "oneOf", "anyOf", "$ref"]
                .iter()
                .any(|k| out.contains_key(*k))
        {
            if let Some(Value::Array(required)) = out.get_mut("required") {
                required.retain(|r| !r.as_str().is_some_and(|r| presence.iter().any(|p| p == r)));
                if required.is_empty() {
                    out.remove("required");
                }
            }
            presence.clear();
        }
        let pure_ref = out.len() == 1 && out.contains_key("$ref");
        let named = pos == Pos::Branch
            || ["properties", "required", "enum", "oneOf", "anyOf", "allOf"]
                .iter()
                .any(|k| out.contains_key(*k))
            || out.get("additionalProperties") == Some(&Value::Bool(false))
            || out
                .get("type")
                .and_then(Value::as_array)
                .is_some_and(|t| t.iter().filter(|t| t.as_str() != Some("null")).count() > 1);
        let mut type_name = name.to_owned();
        if named && !pure_ref && !matches!(pos, Pos::Root | Pos::Definition | Pos::Merged) {
            let title = self.unique(name);
            type_name.clone_from(&title);
            out.insert("title".into(), Value::String(title));
        }
        for key in presence {
            self.presence.push((type_name.clone(), key));
        }
        if let Some(d) = m.get("default")
            && !out.is_empty()
        {
            let ty = self.target.type_name;
            let problem = match &self.valid_defaults {
                // typify writes such a number as an integer literal rustc refuses.
                _ if has_huge_integral_float(d) => Some(format!(
                    "the default {d} holds an integer beyond 64 bits, so `{ty}` does not apply it"
                )),
                Some(valid) if valid.contains(&at.pointer) => None,
                Some(_) => Some(format!(
                    "the default {d} is not valid under its own schema, so `{ty}` does not apply it"
                )),
                None => Some(format!(
                    "the default {d} could not be checked against its schema, so `{ty}` does not apply it"
                )),
            };
            match problem {
                None => {
                    // A default among renamed enum values names its stand-in.
                    let values = out.get("enum").and_then(Value::as_array);
                    let stand_in = match d {
                        Value::String(v) if values.is_some_and(|e| !e.contains(d)) => self
                            .renames
                            .iter()
                            .find(|(temp, original)| {
                                original == v && values.is_some_and(|e| e.contains(&json!(temp)))
                            })
                            .map(|(temp, _)| json!(temp)),
                        _ => None,
                    };
                    out.insert("default".into(), stand_in.unwrap_or_else(|| d.clone()));
                }
                Some(message) => self.notes.push(Note {
                    path: join(&at.path, "default"),
                    message,
                    hint: Some("fix or remove the default".to_owned()),
                }),
            }
        }
        marked(describe(out, m), at)
    }

    /// Rewrites the branches of `oneOf` or `anyOf`; `None` when there are none or
    /// when they only constrain (then a warning says so).
    fn branches(
        &mut self,
        m: &Map<String, Value>,
        kw: &str,
        at: &At,
        name: &str,
        types: Types,
    ) -> Option<Vec<Value>> {
        let Some(Value::Array(branches)) = m.get(kw) else {
            return None;
        };
        let notes_before = self.notes.len();
        let names_before = self.names.clone();
        let suffixes = branch_suffixes(branches);
        let mut out = Vec::new();
        for (i, b) in branches.iter().enumerate() {
            let branch_name = format!("{name} {}", suffixes[i]);
            let nb = self.node(b, &at.item(kw, i), &branch_name, types, Pos::Branch);
            if nb != Value::Bool(false) {
                out.push(nb);
            }
        }
        self.tame_union(&mut out);
        let shapes: Vec<Shape> = out.iter().map(|b| shape(b, types)).collect();
        let any = shapes.iter().any(|s| matches!(s, Shape::Any));
        let shaped = shapes.iter().any(|s| matches!(s, Shape::Shaped));
        // An `anyOf` with a branch that accepts everything constrains nothing.
        let unconstrained = kw == "anyOf" && any;
        if unconstrained || !shaped {
            // The branches add no shape: drop them and what they reported.
            self.notes.truncate(notes_before);
            self.names = names_before;
            if !unconstrained && !out.is_empty() {
                self.runtime_only(
                    &at.key(kw),
                    &format!("`{kw}` (it only requires properties)"),
                );
            }
            return None;
        }
        Some(out)
    }

    /// Keeps typify's reading of a union sound. typify gives the whole enum
    /// `deny_unknown_fields` when any inline branch has `additionalProperties:
    /// false`, so when branches disagree the closed ones are opened (the runtime
    /// still checks them). Its externally tagged reading (single-property objects)
    /// and adjacently tagged reading (a tag plus one content property) reject
    /// undeclared properties, so unless every branch is closed they are steered to
    /// the untagged reading with `minProperties: 1`, a no-op for objects that
    /// require a property.
    fn tame_union(&mut self, branches: &mut [Value]) {
        let is_object = |b: &Value| b.get("type").and_then(Value::as_str) == Some("object");
        let is_closed = |b: &Value| b.get("additionalProperties") == Some(&Value::Bool(false));
        let objects = branches.iter().filter(|b| is_object(b)).count();
        let closed = branches
            .iter()
            .filter(|b| is_object(b) && is_closed(b))
            .count();
        if closed > 0 && closed < objects {
            for b in branches.iter_mut().filter(|b| is_object(b) && is_closed(b)) {
                let path = b
                    .get(MARK)
                    .and_then(Value::as_str)
                    .unwrap_or(self.target.path)
                    .to_owned();
                if let Value::Object(o) = b {
                    o.remove("additionalProperties");
                }
                self.runtime_only(
                    &At {
                        pointer: String::new(),
                        path: join(&path, "additionalProperties"),
                    },
                    "`additionalProperties: false` on some branches of a union but not all",
                );
            }
        }
        if objects > 0 && closed == objects {
            return;
        }
        let props = |b: &Value| {
            b.get("properties")
                .and_then(Value::as_object)
                .map(|p| p.len())
        };
        let required = |b: &Value| b.get("required").and_then(Value::as_array).map(Vec::len);
        let single_property =
            |b: &Value| is_object(b) && props(b) == Some(1) && required(b) == Some(1);
        let string_enum = |b: &Value| {
            b.get("type").and_then(Value::as_str) == Some("string") && b.get("enum").is_some()
        };
        let external = branches
            .iter()
            .all(|b| single_property(b) || string_enum(b));
        let names: HashSet<&String> = branches
            .iter()
            .filter_map(|b| b.get("properties").and_then(Value::as_object))
            .flat_map(|p| p.keys())
            .collect();
        let adjacent = objects == branches.len()
            && names.len() == 2
            && branches
                .iter()
                .all(|b| props(b).is_some() && props(b) == required(b));
        if external || adjacent {
            for b in branches.iter_mut() {
                if is_object(b)
                    && let Value::Object(o) = b
                {
                    o.insert("minProperties".into(), json!(1));
                }
            }
        }
    }

    /// `enum`/`const` → the keywords of a typed enum, or a fallback.
    fn enum_keywords(
        &mut self,
        own: &mut Map<String, Value>,
        kw: &str,
        values: &[Value],
        at: &At,
        types: Types,
    ) -> Result<(), Value> {
        let kinds = values
            .iter()
            .filter(|v| !v.is_null())
            .fold(Types::NONE, |a, v| a.or(Types::of_value(v)));
        let null = if values.iter().any(Value::is_null) {
            Types::NULL
        } else {
            Types::NONE
        };
        if kinds.is_empty() {
            own.insert("type".into(), json!("null"));
        } else if kinds == Types::STRING || kinds == Types::INTEGER || Types::NUMBER.has(kinds) {
            let t = if kinds == Types::STRING || kinds == Types::INTEGER {
                kinds
            } else {
                Types::NUMBER
            };
            own.insert("type".into(), t.or(null).keyword());
            let mut values = values.to_vec();
            if kinds == Types::STRING {
                self.distinct_values(&mut values);
            }
            own.insert("enum".into(), Value::Array(values));
        } else if kinds == Types::BOOLEAN {
            own.insert("type".into(), Types::BOOLEAN.or(null).keyword());
        } else {
            let what = if kinds == Types::OBJECT || kinds == Types::ARRAY {
                let kind = if kinds == Types::OBJECT {
                    "object"
                } else {
                    "array"
                };
                if kw == "const" {
                    format!("a `const` {kind} has no Rust type")
                } else {
                    format!("`enum` with {kind} values has no Rust type")
                }
            } else {
                format!("`{kw}` with values of several JSON types has no Rust type")
            };
            return Err(self.fallback(
                at,
                &join(&at.path, kw),
                kinds.or(null).and(types),
                &what,
                None,
            ));
        }
        Ok(())
    }

    /// The object keywords of the copy; returns the (copy's) names of the
    /// optional properties that admit `null`, made required in the copy so that
    /// their fields can tell `null` from absent (only when `fields`).
    fn object_keywords(
        &mut self,
        own: &mut Map<String, Value>,
        m: &Map<String, Value>,
        at: &At,
        name: &str,
        required_extra: &[String],
        fields: bool,
    ) -> Vec<String> {
        let mut properties = Map::new();
        let mut required: Vec<String> = Vec::new();
        if let Some(Value::Array(req)) = m.get("required") {
            required.extend(req.iter().filter_map(Value::as_str).map(str::to_owned));
        }
        required.extend(required_extra.iter().cloned());
        let mut seen = HashSet::new();
        required.retain(|r| seen.insert(r.clone()));
        let mut presence = Vec::new();
        if let Some(Value::Object(props)) = m.get("properties") {
            let pat = at.key("properties");
            let keys = distinct(props.keys().map(String::as_str), false, &mut self.renames);
            for ((key, schema), copy_key) in props.iter().zip(keys) {
                let sub = self.node(
                    schema,
                    &pat.key(key),
                    &format!("{name} {key}"),
                    Types::ALL,
                    Pos::Other,
                );
                if let Some(r) = required.iter_mut().find(|r| r.as_str() == key.as_str()) {
                    r.clone_from(&copy_key);
                } else if fields
                    && schema.get("default").is_none()
                    && sub != Value::Bool(false)
                    && self.types_of(schema, 0).has(Types::NULL)
                {
                    presence.push(copy_key.clone());
                }
                properties.insert(copy_key, sub);
            }
        }
        required.extend(presence.iter().cloned());

        let in_place = IN_PLACE.iter().any(|k| m.contains_key(*k));
        let patterns = m
            .get("patternProperties")
            .and_then(Value::as_object)
            .filter(|p| !p.is_empty());
        let additional = match (
            m.get("additionalProperties"),
            m.get("unevaluatedProperties"),
        ) {
            (Some(a), _) => Some(("additionalProperties", a)),
            // With nothing else evaluating properties, it means the same.
            (None, Some(u)) if !in_place && patterns.is_none() => {
                Some(("unevaluatedProperties", u))
            }
            (None, Some(_)) => {
                self.runtime_only(&at.key("unevaluatedProperties"), "`unevaluatedProperties`");
                None
            }
            (None, None) => None,
        };
        let mut extra: Option<Value> = None;
        if let Some(patterns) = patterns {
            let single = patterns.iter().next().filter(|_| patterns.len() == 1);
            match (single, additional) {
                (Some((pattern, schema)), Some((_, Value::Bool(false))))
                    if properties.is_empty() =>
                {
                    let sub = self.node(
                        schema,
                        &at.key("patternProperties").key(pattern),
                        &format!("{name} value"),
                        Types::ALL,
                        Pos::Other,
                    );
                    extra = Some(sub);
                    self.runtime_only(
                        &at.key("patternProperties"),
                        &format!("the key pattern `{pattern}` of `patternProperties`"),
                    );
                }
                _ => {
                    let (why, rust) = if properties.is_empty() {
                        (
                            "`patternProperties` with values of different schemas has no Rust type",
                            "Map<String, serde_json::Value>",
                        )
                    } else {
                        // `{}` makes typify keep the undeclared properties in a
                        // flattened `extra` map.
                        extra = Some(json!({}));
                        (
                            "`patternProperties` beside `properties` has no Rust type (the properties it matches are kept in the `extra` field)",
                            "Map<String, serde_json::Value>",
                        )
                    };
                    let note = fallback_note(
                        self.target,
                        &join(&at.path, "patternProperties"),
                        why,
                        rust,
                        None,
                    );
                    self.notes.push(note);
                }
            }
        } else if let Some((kw, a)) = additional {
            match a {
                Value::Bool(false) => extra = Some(Value::Bool(false)),
                Value::Bool(true) => {}
                schema => {
                    let sub = self.node(
                        schema,
                        &at.key(kw),
                        &format!("{name} value"),
                        Types::ALL,
                        Pos::Other,
                    );
                    if !is_any(&sub) {
                        extra = Some(sub);
                    }
                }
            }
        }
        if !properties.is_empty() {
            own.insert("properties".into(), Value::Object(properties));
        }
        if !required.is_empty() {
            own.insert(
                "required".into(),
                Value::Array(required.into_iter().map(Value::String).collect()),
            );
        }
        if let Some(extra) = extra {
            own.insert("additionalProperties".into(), extra);
        }
        presence
    }

    /// Gives string enum values whose Rust variants would clash (typify names
    /// them by its two strategies, and fails when both clash) stand-ins whose
    /// variants are distinct; the stand-ins are renamed back in typify's output.
    fn distinct_values(&mut self, values: &mut [Value]) {
        let strings: Vec<String> = values
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        let unique = |names: Vec<String>| names.iter().collect::<HashSet<_>>().len() == names.len();
        let plain = strings.iter().map(|v| typify_name(v, true)).collect();
        let elided = strings
            .iter()
            .map(|v| {
                typify_name(
                    &v.replace(
                        |c: char| c == '_' || !unicode_ident::is_xid_continue(c),
                        "X",
                    ),
                    true,
                )
            })
            .collect();
        if unique(plain) || unique(elided) {
            return;
        }
        let names = distinct(strings.iter().map(String::as_str), true, &mut self.renames);
        for (value, name) in values.iter_mut().filter(|v| v.is_string()).zip(names) {
            *value = Value::String(name);
        }
    }

    fn array_keywords(
        &mut self,
        own: &mut Map<String, Value>,
        m: &Map<String, Value>,
        at: &At,
        name: &str,
    ) {
        let prefix: &[Value] = m
            .get("prefixItems")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice);
        let in_place = IN_PLACE.iter().any(|k| m.contains_key(*k));
        let items = match (m.get("items"), m.get("unevaluatedItems")) {
            (Some(i), _) => Some(("items", i)),
            (None, Some(u)) if !in_place => Some(("unevaluatedItems", u)),
            (None, Some(_)) => {
                self.runtime_only(&at.key("unevaluatedItems"), "`unevaluatedItems`");
                None
            }
            (None, None) => None,
        };
        let count = |k: &str| m.get(k).and_then(Value::as_u64);
        let (min, max) = (count("minItems").unwrap_or(0), count("maxItems"));
        let closed = matches!(items, Some((_, Value::Bool(false))));
        if !prefix.is_empty() {
            let len = prefix.len() as u64;
            let fixed = (max == Some(min) || (closed && min == len)).then_some(min);
            match fixed {
                Some(n) if (1..=16).contains(&n) && (n <= len || !closed) => {
                    let mut tuple = Vec::new();
                    for (i, s) in prefix.iter().take(n as usize).enumerate() {
                        tuple.push(self.node(
                            s,
                            &at.item("prefixItems", i),
                            &format!("{name} item {i}"),
                            Types::ALL,
                            Pos::Other,
                        ));
                    }
                    own.insert("items".into(), Value::Array(tuple));
                    if n > len
                        && let Some((kw, rest)) = items
                    {
                        let rest = self.node(
                            rest,
                            &at.key(kw),
                            &format!("{name} item"),
                            Types::ALL,
                            Pos::Other,
                        );
                        own.insert("additionalItems".into(), rest);
                    }
                    own.insert("minItems".into(), json!(n));
                    own.insert("maxItems".into(), json!(n));
                }
                _ => {
                    let same = |s: &Value| same_schema(s, &prefix[0]);
                    // Without `items`, later items may be anything.
                    let uniform =
                        prefix.iter().all(same) && items.is_some_and(|(_, i)| closed || same(i));
                    if uniform {
                        let item = self.node(
                            &prefix[0],
                            &at.item("prefixItems", 0),
                            &format!("{name} item"),
                            Types::ALL,
                            Pos::Other,
                        );
                        own.insert("items".into(), item);
                    } else {
                        let note = fallback_note(
                            self.target,
                            &join(&at.path, "prefixItems"),
                            "`prefixItems` has no Rust type when the items differ and the length varies",
                            "Vec<serde_json::Value>",
                            None,
                        );
                        self.notes.push(note);
                    }
                }
            }
            return;
        }
        if let Some((kw, schema)) = items
            && !matches!(schema, Value::Bool(_))
        {
            let item = self.node(
                schema,
                &at.key(kw),
                &format!("{name} item"),
                Types::ALL,
                Pos::Other,
            );
            if !is_any(&item) {
                own.insert("items".into(), item);
            }
        }
        // A fixed length becomes an array type (serde handles up to 32).
        if max == Some(min) && (1..=32).contains(&min) && !closed {
            own.insert("minItems".into(), json!(min));
            own.insert("maxItems".into(), json!(min));
        }
    }
}

/// Characters escaped in a URI fragment holding a JSON pointer.
const FRAGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'[')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}')
    .add(b'\\');

/// What a walk over a schema document finds.
#[derive(Default)]
struct Found {
    /// `$anchor` and `$dynamicAnchor` names → pointers.
    anchors: HashMap<String, String>,
    /// Every `$ref` and `$dynamicRef`.
    refs: Vec<String>,
    /// Pointers of the subschemas with a `default`.
    defaults: Vec<String>,
}

/// Walks every subschema of a document.
fn scan(schema: &Value, pointer: &str, found: &mut Found) {
    let Value::Object(m) = schema else { return };
    for key in ["$anchor", "$dynamicAnchor"] {
        if let Some(Value::String(a)) = m.get(key) {
            found
                .anchors
                .entry(a.clone())
                .or_insert_with(|| pointer.to_owned());
        }
    }
    for key in ["$ref", "$dynamicRef"] {
        if let Some(Value::String(r)) = m.get(key) {
            found.refs.push(r.clone());
        }
    }
    if m.contains_key("default") {
        found.defaults.push(pointer.to_owned());
    }
    for (key, value) in m {
        let k = key.as_str();
        let here = format!("{pointer}/{}", escape(key));
        if SCHEMA_MAPS.contains(&k) {
            if let Value::Object(subs) = value {
                for (name, sub) in subs {
                    scan(sub, &format!("{here}/{}", escape(name)), found);
                }
            }
        } else if SCHEMA_ONE.contains(&k) {
            scan(value, &here, found);
        } else if SCHEMA_LISTS.contains(&k)
            && let Value::Array(subs) = value
        {
            for (i, sub) in subs.iter().enumerate() {
                scan(sub, &format!("{here}/{i}"), found);
            }
        }
    }
}

/// Whether `value` holds a float with no fraction outside the 64-bit integers.
fn has_huge_integral_float(value: &Value) -> bool {
    match value {
        Value::Number(n) => n
            .as_f64()
            .is_some_and(|f| n.is_f64() && f.fract() == 0.0 && !(-9.2e18..=1.8e19).contains(&f)),
        Value::Array(items) => items.iter().any(has_huge_integral_float),
        Value::Object(map) => map.values().any(has_huge_integral_float),
        _ => false,
    }
}

/// A JSON pointer segment for `key`.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn has_refs(schema: &Value) -> bool {
    let mut found = Found::default();
    scan(schema, "", &mut found);
    !found.refs.is_empty()
}

/// The pointers, among `pointers`, whose `default` is valid under the author's
/// schema there, checked in one validator: `None` when it cannot be built.
fn valid_defaults(root: &Value, pointers: &[String]) -> Option<HashSet<String>> {
    if pointers.is_empty() {
        return Some(HashSet::new());
    }
    let mut document = root.clone();
    if let Value::Object(doc) = &mut document {
        doc.insert("$id".into(), json!("urn:mcpgen:schema"));
    }
    let mut properties = Map::new();
    let mut instance = Map::new();
    for (i, pointer) in pointers.iter().enumerate() {
        let encoded: String = percent_encoding::utf8_percent_encode(pointer, FRAGMENT).collect();
        properties.insert(
            i.to_string(),
            json!({ "$ref": format!("urn:mcpgen:schema#{encoded}") }),
        );
        let default = root
            .pointer(pointer)
            .and_then(|s| s.get("default"))
            .cloned()
            .unwrap_or(Value::Null);
        instance.insert(i.to_string(), default);
    }
    let wrapper = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": { "schema": document },
        "properties": properties,
    });
    let instance = Value::Object(instance);
    quietly(|| {
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .build(&wrapper)
            .ok()?;
        let invalid: HashSet<String> = validator
            .iter_errors(&instance)
            .filter_map(|e| {
                let path = e.instance_path().to_string();
                path.split('/').nth(1).map(str::to_owned)
            })
            .collect();
        Some(
            pointers
                .iter()
                .enumerate()
                .filter(|(i, _)| !invalid.contains(&i.to_string()))
                .map(|(_, p)| p.clone())
                .collect(),
        )
    })
    .ok()
    .flatten()
}

/// The definitions a node of the copy references through its applicators only.
fn merged_refs(node: &Value, found: &mut dyn FnMut(&str)) {
    let Value::Object(o) = node else { return };
    if let Some(name) = o
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/definitions/"))
    {
        found(name);
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(branches)) = o.get(key) {
            for b in branches {
                merged_refs(b, found);
            }
        }
    }
}

/// Replaces the references to `targets` that [`merged_refs`] finds.
fn replace_merged_refs(
    node: &mut Value,
    targets: &HashSet<String>,
    replace: &mut dyn FnMut(&Value) -> Value,
) {
    let Value::Object(o) = node else { return };
    let hit = o
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/definitions/"))
        .is_some_and(|name| targets.contains(name));
    if hit {
        *node = replace(node);
        return;
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(branches)) = o.get_mut(key) {
            for b in branches {
                replace_merged_refs(b, targets, replace);
            }
        }
    }
}

fn ref_of(m: &Map<String, Value>) -> Option<(&'static str, &str)> {
    if let Some(r) = m.get("$ref").and_then(Value::as_str) {
        return Some(("$ref", r));
    }
    // Within one schema resource a `$dynamicRef` resolves like a `$ref`.
    m.get("$dynamicRef")
        .and_then(Value::as_str)
        .map(|r| ("$dynamicRef", r))
}

/// The values of `enum` and `const` that `types` admits, with the keyword they
/// came from.
fn enum_values(m: &Map<String, Value>, types: Types) -> Option<(&'static str, Vec<Value>)> {
    let keep = |v: &&Value| types.has(Types::of_value(v));
    if let Some(c) = m.get("const") {
        let values: Vec<Value> = std::iter::once(c).filter(keep).cloned().collect();
        return Some(("const", values));
    }
    let Some(Value::Array(values)) = m.get("enum") else {
        return None;
    };
    let mut out: Vec<Value> = Vec::new();
    for v in values.iter().filter(keep) {
        if !out.contains(v) {
            out.push(v.clone());
        }
    }
    Some(("enum", out))
}

/// Integer bounds → the narrowest standard integer type holding them, as typify
/// reads it (`format` plus `minimum: 1` for `NonZero*`).
fn integer_keywords(own: &mut Map<String, Value>, m: &Map<String, Value>) {
    let num = |k: &str| m.get(k).and_then(Value::as_f64);
    let lo = [
        num("minimum"),
        num("exclusiveMinimum").map(|e| e.floor() + 1.0),
    ]
    .into_iter()
    .flatten()
    .map(f64::ceil)
    .reduce(f64::max);
    let hi = [
        num("maximum"),
        num("exclusiveMaximum").map(|e| e.ceil() - 1.0),
    ]
    .into_iter()
    .flatten()
    .map(f64::floor)
    .reduce(f64::min);
    let fits = |max: f64| hi.is_some_and(|h| h <= max);
    let (format, nonzero) = match lo {
        // Unsigned, and non-zero when zero is excluded.
        Some(lo) if lo >= 0.0 => {
            let f = if fits(f64::from(u8::MAX)) {
                "uint8"
            } else if fits(f64::from(u16::MAX)) {
                "uint16"
            } else if fits(f64::from(u32::MAX)) {
                "uint32"
            } else {
                "uint64"
            };
            (f, lo >= 1.0)
        }
        Some(lo) => {
            let within = |min: f64, max: f64| lo >= min && fits(max);
            let f = if within(f64::from(i8::MIN), f64::from(i8::MAX)) {
                "int8"
            } else if within(f64::from(i16::MIN), f64::from(i16::MAX)) {
                "int16"
            } else if within(f64::from(i32::MIN), f64::from(i32::MAX)) {
                "int32"
            } else {
                return;
            };
            (f, false)
        }
        None => return,
    };
    own.insert("format".into(), json!(format));
    if nonzero {
        own.insert("minimum".into(), json!(1));
    }
}

/// Names for the branches of a `oneOf`/`anyOf`: the tag value, the author's
/// title, or the JSON type, when these tell the branches apart; else `VariantN`.
fn branch_suffixes(branches: &[Value]) -> Vec<String> {
    let suffix = |b: &Value| -> Option<String> {
        let m = b.as_object()?;
        if let Some(Value::Object(props)) = m.get("properties") {
            let required: Vec<&str> = m
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            for (key, p) in props {
                let tag = p.get("const").or_else(|| {
                    p.get("enum")
                        .and_then(Value::as_array)
                        .filter(|e| e.len() == 1)
                        .and_then(|e| e.first())
                });
                if required.contains(&key.as_str())
                    && let Some(Value::String(tag)) = tag
                {
                    return Some(tag.clone());
                }
            }
        }
        if let Some(Value::String(title)) = m.get("title") {
            return Some(title.clone());
        }
        match m.get("type") {
            Some(Value::String(t)) => Some(t.clone()),
            _ => None,
        }
    };
    let named: Option<Vec<String>> = branches
        .iter()
        .map(|b| suffix(b).map(|s| pascal(&s)).filter(|s| !s.is_empty()))
        .collect();
    match named {
        Some(names) if names.iter().collect::<HashSet<_>>().len() == names.len() => names,
        _ => (0..branches.len()).map(|i| format!("Variant{i}")).collect(),
    }
}

/// How a rewritten branch shapes a parent whose instances have `parent` types.
fn shape(branch: &Value, parent: Types) -> Shape {
    let Value::Object(o) = branch else {
        return if branch == &Value::Bool(true) {
            Shape::Any
        } else {
            Shape::Shaped
        };
    };
    let keys: Vec<&str> = o
        .keys()
        .map(String::as_str)
        .filter(|k| !matches!(*k, "title" | "description" | "default" | MARK))
        .collect();
    let widens = o
        .get("type")
        .is_none_or(|t| Types::of_keyword(t).has(parent));
    if !widens || keys.iter().any(|k| !matches!(*k, "type" | "required")) {
        return Shape::Shaped;
    }
    match o.get("required").and_then(Value::as_array) {
        Some(req) if !req.is_empty() => Shape::Requires(
            req.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
        ),
        _ => Shape::Any,
    }
}

/// The nearest sound schema for instances of `types`, and its Rust type.
fn nearest(types: Types) -> (Value, String) {
    let non_null = types.without(Types::NULL);
    let nullable = types.has(Types::NULL) && !non_null.is_empty();
    let base = match non_null {
        t if t == Types::STRING => Some(("string", "String")),
        t if t == Types::BOOLEAN => Some(("boolean", "bool")),
        t if t == Types::INTEGER => Some(("integer", "i64")),
        t if Types::NUMBER.has(t) && !t.is_empty() => Some(("number", "f64")),
        t if t == Types::OBJECT => Some(("object", "Map<String, serde_json::Value>")),
        t if t == Types::ARRAY => Some(("array", "Vec<serde_json::Value>")),
        _ => None,
    };
    match base {
        Some((t, rust)) if nullable => (json!({ "type": [t, "null"] }), format!("Option<{rust}>")),
        Some((t, rust)) => (json!({ "type": t }), rust.to_owned()),
        None => (json!({}), "serde_json::Value".to_owned()),
    }
}

fn fallback_note(
    target: &Target<'_>,
    path: &str,
    what: &str,
    rust: &str,
    hint: Option<&str>,
) -> Note {
    Note {
        path: path.to_owned(),
        message: format!("{what}: `{}` holds this part as `{rust}`", target.type_name),
        hint: Some(hint.unwrap_or(checked_hint(target.role)).to_owned()),
    }
}

/// `words` as a type name typify keeps as it is: ASCII, upper camel case, stable
/// under typify's own case conversion.
fn pascal(words: &str) -> String {
    let ascii: String = words
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect();
    let mut name = ascii.to_upper_camel_case();
    loop {
        let next = name.to_upper_camel_case();
        if next == name {
            break;
        }
        name = next;
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, 'X');
    }
    if name.is_empty() {
        "Part".to_owned()
    } else {
        name
    }
}

/// The Rust name typify gives a property (snake case) or an enum value (Pascal
/// case), as its own `sanitize` makes it.
fn typify_name(input: &str, pascal: bool) -> String {
    use heck::ToSnakeCase;
    let case = |s: &str| {
        if pascal {
            s.to_upper_camel_case()
        } else {
            s.to_snake_case()
        }
    };
    let out = match input {
        "+1" => "plus1".to_owned(),
        "-1" => "minus1".to_owned(),
        _ => case(
            &input
                .replace('\'', "")
                .replace(|c: char| !unicode_ident::is_xid_continue(c), "-"),
        ),
    };
    let out = match out.chars().next() {
        None => case("x"),
        Some(c) if unicode_ident::is_xid_start(c) => out,
        Some(_) => format!("{}{out}", case("x")),
    };
    if typify::accept_as_ident(&out) {
        out
    } else {
        format!("{out}_")
    }
}

/// What separates a name from its number in a stand-in: a word joiner, which no
/// identifier holds (typify reads it as a word break) and no author writes.
const STAND_IN: char = '\u{2060}';

/// The names for the copy: each as it is, but one whose Rust name (see
/// [`typify_name`]) is taken by an earlier one, which becomes the stand-in
/// `<name>⁠<n>` (recorded in `renames`) with a Rust name of its own.
fn distinct<'k>(
    names: impl Iterator<Item = &'k str>,
    pascal: bool,
    renames: &mut Vec<(String, String)>,
) -> Vec<String> {
    let names: Vec<&str> = names.collect();
    let mut taken: HashSet<String> = HashSet::new();
    let mut clashing = Vec::new();
    for (i, name) in names.iter().enumerate() {
        if !taken.insert(typify_name(name, pascal)) {
            clashing.push(i);
        }
    }
    let mut out: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    for i in clashing {
        let mut n = 2;
        let stand_in = loop {
            let candidate = format!("{}{STAND_IN}{n}", names[i]);
            if taken.insert(typify_name(&candidate, pascal)) {
                break candidate;
            }
            n += 1;
        };
        renames.push((stand_in.clone(), names[i].to_owned()));
        out[i] = stand_in;
    }
    out
}

fn marked(mut schema: Value, at: &At) -> Value {
    if let Value::Object(o) = &mut schema {
        o.insert(MARK.into(), Value::String(at.path.clone()));
    }
    schema
}

fn as_map(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Copies the author's `description` (typify turns it into docs).
fn describe(mut out: Map<String, Value>, author: &Map<String, Value>) -> Value {
    if let Some(d @ Value::String(_)) = author.get("description") {
        out.insert("description".into(), d.clone());
    }
    Value::Object(out)
}

fn add_doc(node: &mut Value, author: &Value, doc: &str) {
    if let Value::Object(o) = node
        && author.get("description").is_none()
    {
        o.insert("description".into(), Value::String(doc.to_owned()));
    }
}

/// A schema that accepts anything (`{}` plus annotations).
fn is_any(schema: &Value) -> bool {
    match schema {
        Value::Bool(b) => *b,
        Value::Object(o) => o
            .keys()
            .all(|k| matches!(k.as_str(), "title" | "description" | MARK)),
        _ => false,
    }
}

fn is_null_schema(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("null")
}

/// Equal as schemas, ignoring names, docs and marks.
fn same_schema(a: &Value, b: &Value) -> bool {
    fn strip(v: &Value) -> Value {
        match v {
            Value::Object(o) => Value::Object(
                o.iter()
                    .filter(|(k, _)| !matches!(k.as_str(), "title" | "description" | MARK))
                    .map(|(k, v)| (k.clone(), strip(v)))
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(strip).collect()),
            other => other.clone(),
        }
    }
    strip(a) == strip(b)
}

/// The typing copy without marks, as typify reads it.
fn unmarked(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .filter(|(k, _)| k.as_str() != MARK)
                .map(|(k, v)| (k.clone(), unmarked(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(unmarked).collect()),
        other => other.clone(),
    }
}

// ---------------------------------------------------------------------------
// Running typify.

/// What one typify run produced.
struct Generated {
    /// The items (types, `defaults`, `error`), naming serde through the runtime.
    file: syn::File,
    /// The names of the types it defines.
    names: Vec<String>,
    /// The root's type when the root is not a named type (for an alias).
    alias: Option<TokenStream>,
}

/// Why a typify run failed: its error, its panic message, or a problem in the
/// code it produced.
#[derive(Debug)]
struct Failure(String);

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// typify on the copy, root named `type_name`, behind the guard; its output names
/// serde through `runtime` and is checked for code that would not compile.
fn attempt(copy: &TypingCopy, type_name: &str, runtime: &str) -> Result<Generated, Failure> {
    let definitions: Map<String, Value> = copy
        .definitions
        .iter()
        .map(|(n, s)| (n.clone(), unmarked(s)))
        .collect();
    let root = match unmarked(&copy.root) {
        Value::Object(mut o) => {
            o.insert("definitions".into(), Value::Object(definitions));
            Value::Object(o)
        }
        other => other,
    };
    let result = quietly(|| typify_one(root, type_name, &copy.external));
    let (tokens, names, alias) = match result {
        Ok(Ok(generated)) => generated,
        Ok(Err(e)) => return Err(Failure(explain(&e))),
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("a panic");
            return Err(Failure(explain(message)));
        }
    };
    let facade = Facade::new(runtime);
    let mut file = facade
        .parse(tokens)
        .map_err(|e| Failure(format!("typify wrote code that does not parse: {e}")))?;
    check_items(&file.items).map_err(Failure)?;
    typified::add_serde_crate(&mut file.items, runtime);
    typified::add_presence(&mut file.items, &copy.presence, runtime);
    typified::restore_names(&mut file, &copy.renames);
    Ok(Generated {
        file,
        names,
        alias: alias.map(|ty| facade.rewrite_tokens(ty)),
    })
}

/// A typify error or panic message, made readable: its first line, with the
/// common ones reworded.
fn explain(text: &str) -> String {
    let line = first_line(text);
    if let Some(values) = line
        .strip_prefix("Failed to make unique variant names for [")
        .and_then(|rest| rest.strip_suffix(']'))
    {
        let values: Vec<String> = values.split(',').map(|v| format!("`{v}`")).collect();
        return format!(
            "the values {} have no distinct Rust names",
            values.join(", ")
        );
    }
    line
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default().trim();
    let line = line.trim_end_matches([':', '{', ' ']);
    if line.chars().count() > 120 {
        let cut: String = line.chars().take(117).collect();
        format!("{cut}...")
    } else {
        line.to_owned()
    }
}

/// typify's items, the names of the types it defines, and the root's type when
/// the root is not a named type.
type Typified = (TokenStream, Vec<String>, Option<TokenStream>);

fn typify_one(schema: Value, type_name: &str, external: &[String]) -> Result<Typified, String> {
    let root: schemars::schema::RootSchema =
        serde_json::from_value(schema).map_err(|e| e.to_string())?;
    let mut settings = TypeSpaceSettings::default();
    settings.with_struct_builder(false);
    for name in external {
        settings.with_replacement(name, format!("super::{name}"), std::iter::empty());
    }
    let mut space = TypeSpace::new(&settings);
    space
        .add_ref_types(root.definitions)
        .map_err(|e| e.to_string())?;
    let id = space
        .add_type_with_name(
            &schemars::schema::Schema::Object(root.schema),
            Some(type_name.to_owned()),
        )
        .map_err(|e| e.to_string())?;
    if space.uses_chrono() || space.uses_uuid() || space.uses_regress() {
        return Err("the type needs crates beyond serde".to_owned());
    }
    let ty = space.get_type(&id).map_err(|e| e.to_string())?;
    let alias = (ty.name() != type_name).then(|| ty.ident());
    let names = space
        .iter_types()
        .filter(|t| {
            matches!(
                t.details(),
                TypeDetails::Struct(_) | TypeDetails::Enum(_) | TypeDetails::Newtype(_)
            )
        })
        .map(|t| t.name())
        .collect();
    Ok((space.to_stream(), names, alias))
}

/// Problems rustc would reject (or that betray an unsound merge): duplicate
/// names, duplicate fields or variants, empty enums.
fn check_items(items: &[syn::Item]) -> Result<(), String> {
    fn unique<'a>(what: &str, names: impl Iterator<Item = String> + 'a) -> Result<(), String> {
        let mut seen = HashSet::new();
        for n in names {
            if !seen.insert(n.clone()) {
                return Err(format!("two {what} named `{n}`"));
            }
        }
        Ok(())
    }
    fn fields(f: &syn::Fields) -> Result<(), String> {
        unique(
            "fields",
            f.iter()
                .filter_map(|f| f.ident.as_ref().map(ToString::to_string)),
        )
    }
    let mut names = Vec::new();
    for item in items {
        match item {
            syn::Item::Struct(s) => {
                names.push(s.ident.to_string());
                fields(&s.fields)?;
            }
            syn::Item::Enum(e) => {
                names.push(e.ident.to_string());
                if e.variants.is_empty() {
                    return Err(format!("`{}` has no values", e.ident));
                }
                unique("variants", e.variants.iter().map(|v| v.ident.to_string()))?;
                for v in &e.variants {
                    fields(&v.fields)?;
                }
            }
            syn::Item::Type(t) => names.push(t.ident.to_string()),
            syn::Item::Mod(m) => {
                names.push(m.ident.to_string());
                if let Some((_, inner)) = &m.content {
                    check_items(inner)?;
                }
            }
            syn::Item::Fn(f) => names.push(f.sig.ident.to_string()),
            _ => {}
        }
    }
    unique("items", names.into_iter())
}

// ---------------------------------------------------------------------------
// Localizing failures.

/// Definitions as a typify run sees them.
type Definitions = [(String, Value)];

/// Makes the copy type: every part typify fails on, tried innermost first, falls
/// back to the nearest sound type (after trying it without its default).
///
/// Definitions are repaired one at a time; while probing, those not repaired yet
/// stand in as `{}` so that one broken definition cannot fail every probe.
fn localize(copy: &mut TypingCopy, target: &Target<'_>, runtime: &str, notes: &mut Vec<Note>) {
    let mut repaired: Vec<(String, Value)> = copy
        .definitions
        .iter()
        .map(|(name, _)| (name.clone(), json!({})))
        .collect();
    let external = copy.external.clone();
    for i in 0..copy.definitions.len() {
        let (name, mut def) = copy.definitions[i].clone();
        let as_root = json!({ "$ref": format!("#/definitions/{name}") });
        let probe = |node: &Value, defs: &Definitions| {
            let mut definitions = defs.to_vec();
            definitions[i].1 = node.clone();
            attempt(
                &TypingCopy {
                    root: as_root.clone(),
                    definitions,
                    renames: Vec::new(),
                    presence: Vec::new(),
                    external: external.clone(),
                },
                target.type_name,
                runtime,
            )
            .map(|_| ())
        };
        fix(&mut def, &repaired, &probe, target, runtime, notes);
        repaired[i].1 = def;
    }
    copy.definitions = repaired;
    let mut root = copy.root.clone();
    fix(
        &mut root,
        &copy.definitions,
        &probe_alone(target, runtime),
        target,
        runtime,
        notes,
    );
    copy.root = root;
}

/// Probes a node as the root of a typify run.
fn probe_alone<'a>(
    target: &'a Target<'_>,
    runtime: &'a str,
) -> impl Fn(&Value, &Definitions) -> Result<(), Failure> + 'a {
    move |node: &Value, defs: &Definitions| {
        attempt(
            &TypingCopy {
                root: node.clone(),
                definitions: defs.to_vec(),
                renames: Vec::new(),
                presence: Vec::new(),
                external: target.shared.iter().map(|(_, r)| r.clone()).collect(),
            },
            target.type_name,
            runtime,
        )
        .map(|_| ())
    }
}

/// Fixes `node` (a part of the copy, placed by `probe`): children first, then the
/// node's default, then the node itself.
fn fix(
    node: &mut Value,
    defs: &Definitions,
    probe: &dyn Fn(&Value, &Definitions) -> Result<(), Failure>,
    target: &Target<'_>,
    runtime: &str,
    notes: &mut Vec<Note>,
) {
    // `true`/`false` always type, where they stand.
    if !node.is_object() || probe(node, defs).is_ok() {
        return;
    }
    let alone = probe_alone(target, runtime);
    for child in children(node) {
        fix(child, defs, &alone, target, runtime, notes);
    }
    let failure = match probe(node, defs) {
        Ok(()) => return,
        Err(f) => f,
    };
    let path = node
        .get(MARK)
        .and_then(Value::as_str)
        .unwrap_or(target.path)
        .to_owned();
    if let Value::Object(o) = node
        && let Some(default) = o.remove("default")
    {
        if probe(node, defs).is_ok() {
            notes.push(Note {
                path: join(&path, "default"),
                message: format!(
                    "typify cannot write the default {default} into `{}` ({failure}), so the type does not apply it",
                    target.type_name
                ),
                hint: None,
            });
            return;
        }
        if let Value::Object(o) = node {
            o.insert("default".into(), default);
        }
    }
    let types = node.get("type").map_or(Types::ALL, Types::of_keyword);
    let (fallback, rust) = nearest(types);
    let mut fallback = as_map(fallback);
    if let Some(d) = node.get("description") {
        fallback.insert("description".into(), d.clone());
    }
    fallback.insert(MARK.into(), Value::String(path.clone()));
    *node = Value::Object(fallback);
    notes.push(fallback_note(
        target,
        &path,
        &format!("typify cannot type this part ({failure})"),
        &rust,
        None,
    ));
}

/// The subschemas of a node of the copy.
fn children(node: &mut Value) -> Vec<&mut Value> {
    let mut out = Vec::new();
    let Value::Object(o) = node else { return out };
    for (key, value) in o.iter_mut() {
        match (key.as_str(), value) {
            ("properties", Value::Object(props)) => out.extend(props.values_mut()),
            ("items" | "allOf" | "anyOf" | "oneOf", Value::Array(list)) => {
                out.extend(list.iter_mut())
            }
            ("items" | "additionalItems" | "additionalProperties", v @ Value::Object(_)) => {
                out.push(v)
            }
            _ => {}
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Tokens.

/// The private module of one schema's types and the `pub use` of them.
fn module_parts(
    generated: Generated,
    target: &Target<'_>,
    reserved: &mut HashSet<String>,
) -> Vec<Part> {
    let Generated { file, names, alias } = generated;
    let module = format_ident!("{}", target.module);
    let root = format_ident!("{}", target.type_name);
    let mut exports = vec![root.clone()];
    for name in names {
        if name != target.type_name && reserved.insert(name.clone()) {
            exports.push(format_ident!("{}", name));
        }
    }
    let alias = alias.map(|ty| {
        let docs = crate::docs::doc_attrs(target.doc);
        quote! { #(#docs)* pub type #root = #ty; }
    });
    let exports = quote! { pub use self::#module::{#(#exports),*}; };
    match alias.clone().map(items::parse_items).transpose() {
        Ok(alias) => {
            let mut items = file.items;
            items.extend(alias.into_iter().flatten());
            vec![
                Part::Items(vec![items::module(module, file.attrs, items)]),
                Part::parse(exports),
            ]
        }
        // Kept as tokens, as the whole file then is.
        Err(_) => vec![Part::Tokens(quote! {
            mod #module {
                #file
                #alias
            }
            #exports
        })],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stable_under_typify_case_conversion() {
        assert_eq!(
            pascal("GetForecastOutput days item"),
            "GetForecastOutputDaysItem"
        );
        assert_eq!(pascal("Root a_b"), "RootAb");
        assert_eq!(pascal("Root 日本"), "Root");
        assert_eq!(pascal("1click input"), "X1clickInput");
        assert_eq!(pascal("!!"), "Part");
        for name in ["RootAb", "RootItem0", "X1clickInput"] {
            assert_eq!(pascal(name), name);
        }
    }

    #[test]
    fn integer_bounds_pick_the_narrowest_sound_type() {
        let pick = |schema: Value| {
            let mut own = Map::new();
            integer_keywords(&mut own, schema.as_object().expect("object"));
            Value::Object(own)
        };
        assert_eq!(
            pick(json!({"minimum": 1, "maximum": 14})),
            json!({"format": "uint8", "minimum": 1})
        );
        assert_eq!(
            pick(json!({"exclusiveMinimum": 0})),
            json!({"format": "uint64", "minimum": 1})
        );
        assert_eq!(
            pick(json!({"minimum": 0, "maximum": 1000})),
            json!({"format": "uint16"})
        );
        assert_eq!(
            pick(json!({"minimum": -5, "maximum": 5})),
            json!({"format": "int8"})
        );
        // Only one bound below zero: nothing narrower than i64 holds the range.
        assert_eq!(pick(json!({"minimum": -128})), json!({}));
        assert_eq!(pick(json!({"maximum": 255})), json!({}));
        assert_eq!(
            pick(json!({"exclusiveMaximum": 0.5, "minimum": -3})),
            json!({"format": "int8"})
        );
    }
}
