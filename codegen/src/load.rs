//! Loading a manifest: YAML (or JSON) text → positions of every node → the model.
//!
//! serde_yaml reads YAML (serde_json reads `.json` manifests, for JSON's own syntax
//! errors); a yaml-rust2 event pass maps every manifest path to the line, column and
//! width of its key and value. The value is then checked against the manifest
//! format's JSON Schema (derived from the model, so the two agree), which reports
//! every unknown field, wrong type and missing field at once; items that pass are
//! deserialized, items that do not are left out and remembered as broken.

use std::collections::HashSet;
use std::ops::Range;
use std::path::Path;
use std::sync::LazyLock;

use indexmap::IndexMap;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::diag::{Diagnostic, Reporter, Severity};
use crate::hints::{backticks, did_you_mean};
use crate::model::{Manifest, ServerInfo};
use crate::path::{field_name, index, join, last_key, segment_starts};
use crate::span::{At, MERGE_KEY, Pos, Style};

/// A manifest's bytes as text, or an error at the first byte that is not UTF-8.
pub(crate) fn decode(file: &Path, bytes: Vec<u8>) -> Result<String, Box<Diagnostic>> {
    let e = match String::from_utf8(bytes) {
        Ok(text) => return Ok(text),
        Err(e) => e,
    };
    let bytes = e.as_bytes();
    let at = e.utf8_error().valid_up_to();
    let valid = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
    let line_start = valid.rfind('\n').map_or(0, |i| i + 1);
    let line = valid.matches('\n').count() + 1;
    let column = valid[line_start..].chars().count() + 1;
    let line_end = bytes[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| at + i);
    let text = String::from_utf8_lossy(&bytes[line_start..line_end]);
    let bad = bytes.get(at).copied().unwrap_or_default();
    let hint = if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
        "the file looks like UTF-16; save it as UTF-8"
    } else {
        "save the file as UTF-8 (it may be in Latin-1 or Windows-1252)"
    };
    Err(Box::new(Diagnostic {
        severity: Severity::Error,
        file: file.to_owned(),
        line: Some(line),
        column: Some(column),
        end_column: Some(column + 1),
        path: String::new(),
        message: format!("the manifest is not valid UTF-8: byte 0x{bad:02X} at byte offset {at}"),
        hint: Some(hint.to_owned()),
        source_line: Some(text.trim_end_matches('\r').to_owned()),
    }))
}

/// The manifest format's JSON Schema, as the shape check reads it.
static MANIFEST_SCHEMA: LazyLock<Value> =
    LazyLock::new(|| serde_json::to_value(schemars1::schema_for!(Manifest)).unwrap_or(Value::Null));

/// A manifest as loaded: the items that loaded, and what did not.
pub(crate) struct Loaded {
    pub manifest: Manifest,
    /// What was left out (and reported).
    pub broken: Broken,
    /// The manifest paths of items loaded without their unknown fields; their
    /// warnings are dropped, as what they lack is likely in the misspelt field.
    pub partial: Vec<String>,
}

/// What did not load: checks that refer to it stay quiet rather than report a
/// second, derived problem.
#[derive(Debug, Default)]
pub(crate) struct Broken {
    /// The server's identity (a placeholder stands in for it).
    pub server: bool,
    /// Sections that are not the map or list they should be.
    pub sections: HashSet<Section>,
    /// Items of a named section (tools, prompts, forms) by section and name.
    pub items: HashSet<(Section, String)>,
    /// Resource templates whose shape is wrong, by their URI template.
    pub uri_templates: HashSet<String>,
}

impl Broken {
    /// Whether the prompt `name` may exist but did not load.
    pub fn prompt(&self, name: &str) -> bool {
        self.sections.contains(&Section::Prompts)
            || self.items.contains(&(Section::Prompts, name.to_owned()))
    }

    /// Whether a resource template of `uri_template` may exist but did not load.
    pub fn resource_template(&self, uri_template: &str) -> bool {
        self.sections.contains(&Section::ResourceTemplates)
            || self.uri_templates.contains(uri_template)
    }
}

/// A top-level section of the manifest that holds items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Section {
    Tools,
    Resources,
    ResourceTemplates,
    Prompts,
    Elicitations,
    Completions,
    Definitions,
    Roles,
}

impl Section {
    /// Its key in the manifest.
    fn key(self) -> &'static str {
        match self {
            Section::Tools => "tools",
            Section::Resources => "resources",
            Section::ResourceTemplates => "resource_templates",
            Section::Prompts => "prompts",
            Section::Elicitations => "elicitations",
            Section::Completions => "completions",
            Section::Definitions => "definitions",
            Section::Roles => "roles",
        }
    }
}

/// Parses and deserializes a manifest, reporting every problem it can find.
///
/// Returns `None` when the text does not parse; otherwise the items that loaded,
/// and what did not.
pub(crate) fn load(rep: &mut Reporter<'_>) -> Option<Loaded> {
    let is_json = rep
        .file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    // Numbers too large for JSON, by manifest path: each stands in as the largest
    // float of its sign until it is reported.
    let mut overflow = HashSet::new();
    let root = if is_json {
        parse_json(rep, &mut overflow)?
    } else {
        parse_yaml(rep, &mut overflow)?
    };
    if !rep.index.duplicates.is_empty() {
        report_duplicates(rep);
        return None;
    }
    let root = match root {
        Value::Object(map) => map,
        Value::Null => {
            rep.error_hint(
                "",
                "the manifest is empty",
                "a manifest needs at least `server: { name: my-server, version: 0.1.0 }`",
            );
            return None;
        }
        other => {
            rep.error_value(
                "",
                format!(
                    "the manifest must be a map with `server`, `tools`, … at the top level, not {}",
                    kind(&other)
                ),
                None,
            );
            return None;
        }
    };

    let schema = &*MANIFEST_SCHEMA;
    let no_defs = Map::new();
    let shape = Shape {
        defs: schema
            .get("$defs")
            .and_then(Value::as_object)
            .unwrap_or(&no_defs),
        overflow: &overflow,
    };
    let sections = schema.get("properties").and_then(Value::as_object);
    let section_schema = |name: &str| sections.and_then(|s| s.get(name)).unwrap_or(&Value::Null);
    let known: Vec<&str> = sections
        .map(|s| s.keys().map(String::as_str).collect())
        .unwrap_or_default();
    for key in root.keys() {
        if !known.contains(&key.as_str()) {
            rep.error_hint(
                &join("", key),
                format!("unknown top-level key `{key}`"),
                unknown_key_hint(key, &known),
            );
        }
    }

    let mut broken = Broken::default();
    let mut partial = Vec::new();
    let server = match root.get("server") {
        Some(v) => shape
            .loadable(v, section_schema("server"), "server", rep)
            .value("server", &mut partial)
            .and_then(|v| item(&v, "server", rep)),
        None => {
            rep.error_hint(
                "",
                "missing `server`",
                "add `server: { name: my-server, version: 0.1.0 }`",
            );
            None
        }
    };
    // A server that did not load stands in as a placeholder so the rest is checked.
    let server = server.unwrap_or_else(|| {
        broken.server = true;
        ServerInfo {
            name: "server".to_owned(),
            version: "0".to_owned(),
            title: None,
            description: None,
            instructions: None,
            website_url: None,
            icons: None,
            cache: None,
            scopes: None,
            tenancy: None,
        }
    });
    let section = |section: Section,
                   rep: &mut Reporter<'_>,
                   broken: &mut Broken,
                   partial: &mut Vec<String>| {
        let v = root.get(section.key()).unwrap_or(&Value::Null);
        let schema = section_schema(section.key());
        SectionItems::new(v, section, schema, &shape, rep, broken, partial)
    };
    let (b, p) = (&mut broken, &mut partial);
    let tools = section(Section::Tools, rep, b, p).named(rep, b);
    let resources = section(Section::Resources, rep, b, p).listed(rep);
    let resource_templates = section(Section::ResourceTemplates, rep, b, p).listed(rep);
    let prompts = section(Section::Prompts, rep, b, p).named(rep, b);
    let elicitations = section(Section::Elicitations, rep, b, p).named(rep, b);
    let completions = section(Section::Completions, rep, b, p).listed(rep);
    let definitions = section(Section::Definitions, rep, b, p).named(rep, b);
    let roles = section(Section::Roles, rep, b, p).named(rep, b);
    let manifest = Manifest {
        server,
        tools,
        resources,
        resource_templates,
        prompts,
        elicitations,
        completions,
        definitions,
        roles,
    };
    report_overflow(rep, &overflow);
    Some(Loaded {
        manifest,
        broken,
        partial,
    })
}

/// Numbers too large for JSON that no check of the manifest's shape reported
/// (in schemas, or in fields that are not numbers): each in plain words.
fn report_overflow(rep: &mut Reporter<'_>, overflow: &HashSet<String>) {
    let mut left: Vec<String> = overflow
        .iter()
        .filter(|p| !rep.diags.iter().any(|d| &d.path == *p))
        .cloned()
        .collect();
    left.sort();
    for path in left {
        let text = rep
            .index
            .value_text(rep.source, &path)
            .unwrap_or("the number")
            .to_owned();
        let (message, hint) = float_overflow(&text, &field_name(&path));
        rep.error_value(&path, message, hint);
    }
}

/// One top-level section: its items, each checked for shape.
struct SectionItems {
    section: Section,
    /// Items that can be loaded (some without their unknown fields), with their
    /// key and path.
    items: Vec<(Option<String>, Value, String)>,
}

impl SectionItems {
    fn new(
        value: &Value,
        section: Section,
        schema: &Value,
        shape: &Shape<'_>,
        rep: &mut Reporter<'_>,
        broken: &mut Broken,
        partial: &mut Vec<String>,
    ) -> Self {
        let name = section.key();
        let mut items = Vec::new();
        let item_schema = schema
            .get("additionalProperties")
            .or_else(|| schema.get("items"))
            .unwrap_or(&Value::Null);
        match value {
            Value::Null => {}
            Value::Object(map) if schema.get("additionalProperties").is_some() => {
                for (key, v) in map {
                    let path = join(name, key);
                    match shape
                        .loadable(v, item_schema, &path, rep)
                        .value(&path, partial)
                    {
                        Some(v) => items.push((Some(key.clone()), v, path)),
                        None => {
                            broken.items.insert((section, key.clone()));
                        }
                    }
                }
            }
            Value::Array(list) if schema.get("items").is_some() => {
                for (i, v) in list.iter().enumerate() {
                    let path = index(name, i);
                    if let Some(v) = shape
                        .loadable(v, item_schema, &path, rep)
                        .value(&path, partial)
                    {
                        items.push((None, v, path));
                    } else if let Some(t) = v.get("uri_template").and_then(Value::as_str) {
                        broken.uri_templates.insert(t.to_owned());
                    }
                }
            }
            other => {
                shape.check(other, schema, name, rep);
                broken.sections.insert(section);
            }
        }
        SectionItems { section, items }
    }

    fn named<T: DeserializeOwned>(
        self,
        rep: &mut Reporter<'_>,
        broken: &mut Broken,
    ) -> IndexMap<String, T> {
        let mut out = IndexMap::new();
        for (key, value, path) in self.items {
            let Some(key) = key else { continue };
            match item(&value, &path, rep) {
                Some(v) => {
                    out.insert(key, v);
                }
                None => {
                    broken.items.insert((self.section, key));
                }
            }
        }
        out
    }

    fn listed<T: DeserializeOwned>(self, rep: &mut Reporter<'_>) -> Vec<T> {
        let mut out = Vec::new();
        for (_, value, path) in self.items {
            // Listed items are not referred to by other items but resource
            // templates, which are recorded by URI template when their shape is wrong.
            if let Some(v) = item(&value, &path, rep) {
                out.push(v);
            }
        }
        out
    }
}

/// Reads a `.json` manifest; reports a syntax error at its position.
fn parse_json(rep: &mut Reporter<'_>, overflow: &mut HashSet<String>) -> Option<Value> {
    // serde_json refuses numbers beyond a 64-bit float; blank them out (keeping
    // every position), and report them where they are.
    let overflows = json_overflows(rep.source);
    let mut patched = String::new();
    let text = if overflows.is_empty() {
        rep.source
    } else {
        patched.push_str(rep.source);
        for r in &overflows {
            let blank = format!("0{}", " ".repeat(r.len() - 1));
            patched.replace_range(r.clone(), &blank);
        }
        &patched
    };
    match serde_json::from_str(text) {
        Ok(mut v) => {
            for r in overflows {
                let before = &rep.source[..r.start];
                let line = before.matches('\n').count() + 1;
                let column = before
                    .rsplit('\n')
                    .next()
                    .unwrap_or_default()
                    .chars()
                    .count()
                    + 1;
                let negative = rep.source[r.clone()].starts_with('-');
                match rep.index.path_at(line, column).map(str::to_owned) {
                    Some(path) => {
                        if let Some(slot) = value_at(&mut v, &path) {
                            *slot = stand_in(negative);
                        }
                        overflow.insert(path);
                    }
                    None => {
                        let text = &rep.source[r];
                        rep.at(
                            Severity::Error,
                            Some(Pos::new(line, column, text.len())),
                            "",
                            format!("`{text}` is too large for a JSON number, which goes up to about 1.8e308"),
                            Some(FLOAT_HINT.to_owned()),
                        );
                    }
                }
            }
            Some(v)
        }
        Err(e) => {
            let mut message = e.to_string();
            if let Some(cut) = message.find(" at line ") {
                message.truncate(cut);
            }
            let hint = if message.starts_with("trailing comma") {
                Some("JSON allows no comma after the last entry; remove it")
            } else if message.starts_with("EOF while parsing") {
                Some("a bracket or quote opened earlier is not closed")
            } else if message.starts_with("expected `,` or") {
                Some("separate entries with `,`")
            } else if rep.index.line(rep.source, e.line()).is_some_and(|l| {
                l.chars()
                    .skip(e.column().saturating_sub(1))
                    .take(2)
                    .eq("//".chars())
                    || l.chars()
                        .skip(e.column().saturating_sub(1))
                        .take(2)
                        .eq("/*".chars())
            }) {
                Some("JSON has no comments; remove it, or write the manifest in YAML")
            } else if message.starts_with("key must be a string") {
                Some("JSON keys are double-quoted strings")
            } else if message.starts_with("expected value") || message.starts_with("expected ident")
            {
                Some(
                    "JSON values are double-quoted strings, numbers, `true`, `false`, `null`, objects or arrays; JSON has no comments",
                )
            } else if message.starts_with("control character") {
                Some("write line breaks and tabs inside strings as `\\n` and `\\t`")
            } else {
                None
            };
            let message = message
                .replace("EOF", "end of file")
                .replace("expected ident", "expected `true`, `false` or `null`");
            let pos = (e.line() > 0).then(|| (e.line(), e.column().max(1)));
            rep.at_pos(Severity::Error, pos, "", message, hint.map(str::to_owned));
            None
        }
    }
}

/// The byte ranges of the numbers in JSON text that a 64-bit float cannot hold.
fn json_overflows(source: &str) -> Vec<Range<usize>> {
    let b = source.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < b.len() && matches!(b[i], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
                {
                    i += 1;
                }
                if source
                    .get(start..i)
                    .is_some_and(|t| t.parse::<f64>().is_ok_and(f64::is_infinite))
                {
                    out.push(start..i);
                }
            }
            _ => i += 1,
        }
    }
    out
}

/// The value at a manifest path.
fn value_at<'v>(root: &'v mut Value, path: &str) -> Option<&'v mut Value> {
    let mut cur = root;
    let mut from = 0;
    for end in segment_starts(path)
        .into_iter()
        .chain(std::iter::once(path.len()))
    {
        let seg = path.get(from..end)?;
        from = end;
        if seg.is_empty() {
            continue;
        }
        cur = match seg.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            Some(quoted) if quoted.starts_with('"') => {
                let key: String = serde_json::from_str(quoted).ok()?;
                cur.get_mut(key.as_str())?
            }
            Some(i) => cur.get_mut(i.parse::<usize>().ok()?)?,
            None => cur.get_mut(seg.trim_start_matches('.'))?,
        };
    }
    Some(cur)
}

/// Why a number is too large for JSON, and what to do.
const FLOAT_HINT: &str =
    "JSON numbers are 64-bit floating point and go no further; write a number within that range";

/// Reads a YAML manifest; reports a syntax error at its position, in plain words
/// where libyaml's are obscure.
fn parse_yaml(rep: &mut Reporter<'_>, overflow: &mut HashSet<String>) -> Option<Value> {
    let yaml: Node = match serde_yaml::from_str(rep.source) {
        Ok(v) => v,
        Err(e) => {
            if e.to_string().contains("duplicate entry") && !rep.index.duplicates.is_empty() {
                report_duplicates(rep);
                return None;
            }
            if e.to_string().contains("more than one document") {
                let at = rep.index.second_document;
                rep.at(
                    Severity::Error,
                    at,
                    "",
                    "a second YAML document starts here; a manifest is one document",
                    Some(
                        "remove this `---` (a `---` may only open the file), or move what follows into the first document"
                            .to_owned(),
                    ),
                );
                return None;
            }
            report_yaml_error(rep, &e);
            return None;
        }
    };
    to_json(&yaml, "", rep, overflow)
}

/// A position `at line L column C` at the end of `text`, cut off it.
fn take_position(text: &str) -> (&str, Option<(usize, usize)>) {
    let Some(cut) = text.rfind(" at line ") else {
        return (text, None);
    };
    let mut words = text[cut + " at line ".len()..].split(' ');
    let line = words.next().and_then(|l| l.parse().ok());
    let column = match (words.next(), words.next()) {
        (Some("column"), Some(c)) => c.parse().ok(),
        _ => None,
    };
    match (line, column) {
        (Some(l), Some(c)) => (&text[..cut], Some((l, c))),
        _ => (text, None),
    }
}

fn report_yaml_error(rep: &mut Reporter<'_>, e: &serde_yaml::Error) {
    let text = e.to_string();
    // libyaml: "<problem>[ at line L column C][, <context>[ at line L column C]]".
    let (problem, context) = match text.split_once(", while ") {
        Some((p, c)) => (p, Some(format!("while {c}"))),
        None => (text.as_str(), None),
    };
    let (problem, _) = take_position(problem);
    let (context, context_pos) = match context.as_deref().map(take_position) {
        Some((c, pos)) => (Some(c), pos),
        None => (None, None),
    };
    let pos = e.location().map(|l| (l.line(), l.column()));
    let char_at = |p: Option<(usize, usize)>| {
        p.and_then(|(l, c)| {
            rep.source
                .lines()
                .nth(l.checked_sub(1)?)?
                .chars()
                .nth(c.checked_sub(1)?)
        })
    };
    let flow_close = |what: &str, close: char| match context_pos {
        Some((l, c)) => format!(
            "close the {what} opened at line {l}, column {c} with `{close}`, and separate its entries with `,`"
        ),
        None => format!("close the {what} with `{close}`, and separate its entries with `,`"),
    };
    let (at, message, hint) = match (problem, context) {
        (_, Some(c)) if c.starts_with("while scanning a quoted scalar") && context_pos.is_some() => (
            context_pos,
            "this quoted string is never closed".to_owned(),
            Some("end it with the quote it starts with; inside double quotes, write `\\\"` for a quote".to_owned()),
        ),
        ("found character that cannot start any token", _) if char_at(pos) == Some('\t') => (
            pos,
            "a tab where YAML expects indentation or a value".to_owned(),
            Some("YAML indents with spaces, never tabs".to_owned()),
        ),
        ("found character that cannot start any token", _) => (
            pos,
            match char_at(pos) {
                Some(c) => format!("`{c}` cannot start a plain value"),
                None => problem.to_owned(),
            },
            Some("quote the value, e.g. \"@home\"".to_owned()),
        ),
        ("mapping values are not allowed in this context", _) => (
            pos,
            "unexpected `:`; is a value with `: ` in it unquoted?".to_owned(),
            Some("quote a value that contains `: `, e.g. `description: \"Note: …\"`".to_owned()),
        ),
        ("did not find expected key", Some(c)) if c.starts_with("while parsing a block mapping") => (
            pos,
            "this key is not indented like the keys around it".to_owned(),
            Some(match context_pos {
                Some((l, c)) => format!(
                    "indent it exactly as far as the keys of its map (the enclosing map starts at line {l}, column {c})"
                ),
                None => "indent it exactly as far as the keys of its map".to_owned(),
            }),
        ),
        ("did not find expected ',' or ']'", _) => (
            pos,
            "expected `,` or `]` in a `[…]` list".to_owned(),
            Some(flow_close("list", ']')),
        ),
        ("did not find expected ',' or '}'", _) => (
            pos,
            "expected `,` or `}` in a `{…}` map".to_owned(),
            Some(flow_close("map", '}')),
        ),
        ("found unexpected end of stream", _) => (
            pos,
            "unexpected end of file".to_owned(),
            Some("a quote or bracket opened earlier is not closed".to_owned()),
        ),
        ("unknown anchor", _) => (
            pos,
            "this alias refers to an anchor that is not defined".to_owned(),
            Some("define `&name` on a value before `*name` refers to it".to_owned()),
        ),
        _ if problem.contains("duplicate entry") => (
            pos,
            "a key appears twice in one map".to_owned(),
            Some("names in a map must be unique".to_owned()),
        ),
        (_, context) => (
            pos,
            problem.to_owned(),
            context.map(|c| match context_pos {
                Some((l, col)) => format!("{c} (line {l}, column {col})"),
                None => c.to_owned(),
            }),
        ),
    };
    rep.at_pos(Severity::Error, at, "", message, hint);
}

/// Each key that repeats within a map, at its second occurrence.
fn report_duplicates(rep: &mut Reporter<'_>) {
    for (path, at) in &rep.index.duplicates {
        let key = last_key(path);
        let first = rep.index.locate(path, At::Key).map(|p| p.line);
        let hint = match first {
            Some(l) => {
                format!("`{key}` is first defined on line {l}; names in a map must be unique")
            }
            None => "names in a map must be unique".to_owned(),
        };
        rep.at(
            Severity::Error,
            Some(*at),
            path,
            format!("duplicate key `{key}`"),
            Some(hint),
        );
    }
}

/// How a JSON value is described in a message.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "an empty value",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

/// Checks a value against the manifest format's schema, reporting every unknown
/// field, wrong type, missing field and unknown value. The schema is schemars'
/// rendering of the model, so only the keywords schemars emits are read.
struct Shape<'s> {
    defs: &'s Map<String, Value>,
    /// The paths of numbers too large for JSON.
    overflow: &'s HashSet<String>,
}

/// Names that MCP messages use where the manifest uses another.
const WIRE_NAMES: &[(&str, &str)] = &[
    ("inputSchema", "input"),
    ("outputSchema", "output"),
    ("mimeType", "mime_type"),
    ("uriTemplate", "uri_template"),
    ("websiteUrl", "website_url"),
    ("requestedSchema", "schema"),
];

/// The hint for an unknown key: a near or renamed key, else the valid ones.
fn unknown_key_hint(key: &str, candidates: &[&str]) -> String {
    if key == MERGE_KEY {
        return "`<<` merges maps in YAML manifests only; in JSON, write the fields out".to_owned();
    }
    if key == "optional" && candidates.contains(&"required") {
        return "arguments are optional unless `required: true`".to_owned();
    }
    if let Some((_, ours)) = WIRE_NAMES
        .iter()
        .find(|(wire, ours)| *wire == key && candidates.contains(ours))
    {
        return format!("did you mean `{ours}`? (`{key}` is its name in MCP messages)");
    }
    did_you_mean(key, candidates)
}

/// What the shape check leaves of an item.
enum Checked {
    /// The item as written.
    Whole(Value),
    /// The item without its unknown fields (reported).
    Stripped(Value),
    /// Nothing that loads.
    Broken,
}

impl Checked {
    /// The value to load, recording the path of a stripped one in `partial`.
    fn value(self, path: &str, partial: &mut Vec<String>) -> Option<Value> {
        match self {
            Checked::Whole(v) => Some(v),
            Checked::Stripped(v) => {
                partial.push(path.to_owned());
                Some(v)
            }
            Checked::Broken => None,
        }
    }
}

impl Shape<'_> {
    /// Checks an item; returns what can be loaded of it: the item, or the item
    /// without its unknown fields when that is well-formed (so the rest of it is
    /// still checked), or nothing.
    fn loadable(&self, v: &Value, schema: &Value, path: &str, rep: &mut Reporter<'_>) -> Checked {
        if self.check(v, schema, path, rep) {
            return Checked::Whole(v.clone());
        }
        let stripped = self.strip(v, schema);
        let mut scratch = Reporter::new(rep.file, rep.source, rep.index);
        if stripped != *v && self.check(&stripped, schema, path, &mut scratch) {
            Checked::Stripped(stripped)
        } else {
            Checked::Broken
        }
    }

    /// `v` without the fields `schema` does not know, at any depth.
    fn strip(&self, v: &Value, schema: &Value) -> Value {
        let schema = self.resolve(schema);
        if let Some(branches) = schema
            .get("anyOf")
            .or_else(|| schema.get("oneOf"))
            .and_then(Value::as_array)
        {
            let mut rest = branches
                .iter()
                .map(|b| self.resolve(b))
                .filter(|b| b.get("type").and_then(Value::as_str) != Some("null"));
            return match (rest.next(), rest.next()) {
                (Some(one), None) => self.strip(v, one),
                _ => v.clone(),
            };
        }
        match v {
            Value::Object(map) => {
                let props = schema.get("properties").and_then(Value::as_object);
                let mut out = Map::new();
                for (key, x) in map {
                    let sub = match (
                        props.and_then(|p| p.get(key)),
                        schema.get("additionalProperties"),
                    ) {
                        (Some(p), _) => self.strip(x, p),
                        (None, Some(Value::Bool(false))) => continue,
                        (None, Some(more @ Value::Object(_))) => self.strip(x, more),
                        (None, _) => x.clone(),
                    };
                    out.insert(key.clone(), sub);
                }
                Value::Object(out)
            }
            Value::Array(items) => match schema.get("items") {
                Some(item) => Value::Array(items.iter().map(|x| self.strip(x, item)).collect()),
                None => v.clone(),
            },
            _ => v.clone(),
        }
    }

    /// Resolves `$ref` to `#/$defs/…`.
    fn resolve<'a>(&'a self, mut schema: &'a Value) -> &'a Value {
        // schemars' refs are never cyclic without an object in between.
        for _ in 0..16 {
            let Some(r) = schema.get("$ref").and_then(Value::as_str) else {
                break;
            };
            match r.strip_prefix("#/$defs/").and_then(|n| self.defs.get(n)) {
                Some(s) => schema = s,
                None => break,
            }
        }
        schema
    }

    /// Checks `v` at `path`; returns whether it conforms.
    fn check(&self, v: &Value, schema: &Value, path: &str, rep: &mut Reporter<'_>) -> bool {
        let schema = self.resolve(schema);
        if let Some(branches) = schema
            .get("anyOf")
            .or_else(|| schema.get("oneOf"))
            .and_then(Value::as_array)
        {
            return self.check_branches(v, branches, path, rep);
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            let names: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
            return self.check_enum(v, &names, path, rep);
        }
        let types: Vec<&str> = match schema.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let limits = Limits::of(schema, &types);
        if let Some((message, hint)) =
            limits.and_then(|l| l.problem(v, path, self.overflow.contains(path), rep))
        {
            rep.report(Severity::Error, At::Value, path, message, hint);
            return false;
        }
        if !types.is_empty() && !types.iter().any(|t| type_matches(t, v)) {
            self.wrong_type(v, schema, &types, path, rep);
            return false;
        }
        match v {
            Value::Object(map) => self.check_object(map, schema, path, rep),
            Value::Array(items) => match schema.get("items") {
                Some(item) => {
                    let mut ok = true;
                    for (i, x) in items.iter().enumerate() {
                        ok &= self.check(x, item, &index(path, i), rep);
                    }
                    ok
                }
                None => true,
            },
            _ => true,
        }
    }

    fn check_object(
        &self,
        map: &Map<String, Value>,
        schema: &Value,
        path: &str,
        rep: &mut Reporter<'_>,
    ) -> bool {
        let mut ok = true;
        let props = schema.get("properties").and_then(Value::as_object);
        let known: Vec<&str> = props
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        for (key, value) in map {
            let sub = join(path, key);
            if let Some(prop) = props.and_then(|p| p.get(key)) {
                ok &= self.check(value, prop, &sub, rep);
            } else {
                match schema.get("additionalProperties") {
                    Some(Value::Bool(false)) => {
                        rep.error_hint(
                            &sub,
                            format!("unknown field `{key}`"),
                            unknown_key_hint(key, &known),
                        );
                        ok = false;
                    }
                    Some(more @ Value::Object(_)) => ok &= self.check(value, more, &sub, rep),
                    _ => {}
                }
            }
        }
        for field in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !map.contains_key(field) {
                let what = props
                    .and_then(|p| p.get(field))
                    .and_then(|p| p.get("description"))
                    .and_then(Value::as_str)
                    .map(|d| format!(" ({})", first_sentence(d)))
                    .unwrap_or_default();
                let owner = if path.is_empty() {
                    "the manifest"
                } else {
                    path
                };
                rep.error_hint(
                    path,
                    format!("missing field `{field}` in `{owner}`"),
                    format!("add `{field}: …`{what}"),
                );
                ok = false;
            }
        }
        ok
    }

    /// `anyOf`/`oneOf` as schemars writes them: an optional value (a branch and
    /// `null`) or an enum of documented constants.
    fn check_branches(
        &self,
        v: &Value,
        branches: &[Value],
        path: &str,
        rep: &mut Reporter<'_>,
    ) -> bool {
        let branches: Vec<&Value> = branches.iter().map(|b| self.resolve(b)).collect();
        let is_null = |b: &&Value| b.get("type").and_then(Value::as_str) == Some("null");
        if v.is_null() && branches.iter().any(is_null) {
            return true;
        }
        let rest: Vec<&Value> = branches.into_iter().filter(|b| !is_null(b)).collect();
        let consts: Option<Vec<&str>> = rest
            .iter()
            .map(|b| b.get("const").and_then(Value::as_str))
            .collect();
        match (consts, rest.as_slice()) {
            (Some(names), _) if !names.is_empty() => self.check_enum(v, &names, path, rep),
            (_, [one]) => self.check(v, one, path, rep),
            _ => {
                // Not a shape schemars gives the model today; the deserializer
                // reports whatever is wrong.
                true
            }
        }
    }

    fn check_enum(&self, v: &Value, names: &[&str], path: &str, rep: &mut Reporter<'_>) -> bool {
        match v.as_str() {
            Some(s) if names.contains(&s) => true,
            Some(s) => {
                rep.report(
                    Severity::Error,
                    At::Value,
                    path,
                    format!("unknown value `{s}` for `{}`", field_name(path)),
                    Some(did_you_mean(s, names)),
                );
                false
            }
            None => {
                rep.report(
                    Severity::Error,
                    At::Value,
                    path,
                    format!(
                        "expected one of {}, found {}",
                        backticks(names),
                        found(v, path, rep)
                    ),
                    None,
                );
                false
            }
        }
    }

    fn wrong_type(
        &self,
        v: &Value,
        schema: &Value,
        types: &[&str],
        path: &str,
        rep: &mut Reporter<'_>,
    ) {
        let uint = schema.get("format").and_then(Value::as_str) == Some("uint64");
        let expected: Vec<&str> = types
            .iter()
            .filter(|t| **t != "null")
            .map(|t| match *t {
                "integer" if uint => "a size (a whole number of zero or more)",
                "integer" => "a whole number",
                "number" => "a number",
                "string" => "a string",
                "boolean" => "`true` or `false`",
                "array" => "a list",
                "object" => "a map",
                other => other,
            })
            .collect();
        let expected = expected.join(" or ");
        let optional = types.contains(&"null");
        let key = last_key(path);
        let section = !path.contains(['.', '[']);
        let hint = match (v, types.first().copied()) {
            (Value::Null, Some("object")) => {
                Some("the value is empty; write `{}` for an empty map".to_owned())
            }
            (_, Some("object")) if matches!(key.as_str(), "input" | "output" | "schema") => Some(
                format!("a schema is a map, e.g. `{key}: {{ type: object, properties: {{ … }} }}`"),
            ),
            (Value::Null, _) if optional => Some(format!(
                "the value is empty; give {expected}, or remove `{key}`"
            )),
            (Value::Null, _) => Some(format!("the value is empty; give {expected}")),
            // Quoting a bare number would not make it a duration.
            (Value::Number(n), Some("string")) if key == "timeout" => Some(format!(
                "a timeout needs a unit, e.g. `timeout: {n}s` or `timeout: {n}ms`"
            )),
            (Value::Number(_) | Value::Bool(_), Some("string")) => rep
                .index
                .value_text(rep.source, path)
                .map(|t| format!("quote it to make it a string: \"{t}\"")),
            (Value::Array(_), Some("object")) if section => Some(format!(
                "`{key}` maps each name to its definition: `{key}: {{ my_name: {{ … }} }}`, not a `- ` list"
            )),
            (Value::Object(_), Some("array")) if section => {
                Some(format!("`{key}` is a list: start each item with `- `"))
            }
            (Value::String(s), Some("array"))
                if self
                    .resolve(schema.get("items").unwrap_or(&Value::Null))
                    .get("type")
                    == Some(&Value::from("string")) =>
            {
                Some(format!("write a list, e.g. `[{s}]`"))
            }
            (Value::String(s), Some("boolean")) if s == "true" || s == "false" => {
                Some(format!("remove the quotes: `{s}`"))
            }
            (Value::String(s), Some("integer" | "number")) if s.trim().parse::<f64>().is_ok() => {
                Some(format!("remove the quotes: `{}`", s.trim()))
            }
            _ => None,
        };
        // Point at a scalar or `{…}` value; at the key of an indented one.
        let at = match rep.index.style(path) {
            Some(Style::Block) => At::Key,
            _ => At::Value,
        };
        let message = format!("expected {expected}, found {}", found(v, path, rep));
        rep.report(Severity::Error, at, path, message, hint);
    }
}

/// The numbers a numeric field of the model holds, from the `format` schemars
/// gives it.
#[derive(Debug, Clone, Copy)]
enum Limits {
    /// A whole number from `min` to `max`, held as `rust`.
    Int {
        min: i128,
        max: i128,
        rust: &'static str,
    },
    /// A 64-bit float.
    Float,
}

impl Limits {
    fn of(schema: &Value, types: &[&str]) -> Option<Limits> {
        let format = schema.get("format").and_then(Value::as_str);
        if types.contains(&"integer") {
            let (min, max, rust) = match format? {
                "uint8" => (0, i128::from(u8::MAX), "u8"),
                "uint16" => (0, i128::from(u16::MAX), "u16"),
                "uint32" => (0, i128::from(u32::MAX), "u32"),
                "uint64" | "uint" => (0, i128::from(u64::MAX), "u64"),
                "int8" => (i128::from(i8::MIN), i128::from(i8::MAX), "i8"),
                "int16" => (i128::from(i16::MIN), i128::from(i16::MAX), "i16"),
                "int32" => (i128::from(i32::MIN), i128::from(i32::MAX), "i32"),
                "int64" | "int" => (i128::from(i64::MIN), i128::from(i64::MAX), "i64"),
                _ => return None,
            };
            Some(Limits::Int { min, max, rust })
        } else if types.contains(&"number") {
            Some(Limits::Float)
        } else {
            None
        }
    }

    /// What is wrong with `v` at `path` as a number of these limits: a message and
    /// a hint, when it is out of range. Values of other types are left to the type
    /// check.
    fn problem(
        self,
        v: &Value,
        path: &str,
        overflow: bool,
        rep: &Reporter<'_>,
    ) -> Option<(String, Option<String>)> {
        let n = v.as_number()?;
        let text = rep
            .index
            .value_text(rep.source, path)
            .map_or_else(|| n.to_string(), str::to_owned);
        let field = field_name(path);
        match self {
            Limits::Int { min, max, rust } => {
                use std::cmp::Ordering;
                let range = |x: i128| {
                    if x < min {
                        Ordering::Less
                    } else if x > max {
                        Ordering::Greater
                    } else {
                        Ordering::Equal
                    }
                };
                let side = if let Some(i) = n.as_i64() {
                    range(i128::from(i))
                } else if let Some(u) = n.as_u64() {
                    range(i128::from(u))
                } else {
                    let f = n.as_f64()?;
                    // A float that is not whole is the type check's to report.
                    if !overflow && f.fract() != 0.0 {
                        return None;
                    }
                    // `max as f64` may round up (u64::MAX to 2^64); `+ 1.0` then
                    // changes nothing, and the bound is exclusive either way.
                    if f < min as f64 {
                        Ordering::Less
                    } else if f >= max as f64 + 1.0 {
                        Ordering::Greater
                    } else {
                        Ordering::Equal
                    }
                };
                match side {
                    Ordering::Equal => None,
                    Ordering::Less if min == 0 => Some((
                        if rust == "u64" {
                            format!("expected a size of zero or more, found the number `{text}`")
                        } else {
                            format!(
                                "expected a whole number of zero or more, found the number `{text}`"
                            )
                        },
                        None,
                    )),
                    Ordering::Less => Some((
                        format!(
                            "`{text}` is too small for `{field}`, which takes whole numbers down to {min}"
                        ),
                        Some(format!(
                            "`{field}` is a Rust `{rust}`: give a whole number from {min} to {max}"
                        )),
                    )),
                    Ordering::Greater => Some((
                        format!(
                            "`{text}` is too large for `{field}`, which takes whole numbers up to {max}"
                        ),
                        Some(format!(
                            "`{field}` is a Rust `{rust}`: give a whole number from {min} to {max}"
                        )),
                    )),
                }
            }
            Limits::Float if overflow => Some(float_overflow(&text, &field)),
            Limits::Float => None,
        }
    }
}

/// The message and hint for a number too large for a 64-bit float.
fn float_overflow(text: &str, field: &str) -> (String, Option<String>) {
    let message = if text.starts_with('-') {
        format!("`{text}` is too small for `{field}`, which takes numbers down to about -1.8e308")
    } else {
        format!("`{text}` is too large for `{field}`, which takes numbers up to about 1.8e308")
    };
    (message, Some(FLOAT_HINT.to_owned()))
}

/// Whether `v` is of JSON Schema type `t`.
fn type_matches(t: &str, v: &Value) -> bool {
    match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "string" => v.is_string(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => true,
    }
}

/// What was found, for a message: `the number `1.0``, `a map`, ….
fn found(v: &Value, path: &str, rep: &Reporter<'_>) -> String {
    let text = rep.index.value_text(rep.source, path);
    match v {
        Value::Null => "an empty value".to_owned(),
        Value::Bool(b) => format!("`{}`", text.unwrap_or(if *b { "true" } else { "false" })),
        Value::Number(n) => format!(
            "the number `{}`",
            text.map_or_else(|| n.to_string(), str::to_owned)
        ),
        Value::String(s) => {
            let short: String = s.chars().take(40).collect();
            let dots = if short.len() < s.len() { "…" } else { "" };
            format!("the string `{short}{dots}`")
        }
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "a map".to_owned(),
    }
}

/// `Program version.` → `program version`.
fn first_sentence(text: &str) -> String {
    // A sentence ends at a period before a capital, not at `e.g. `.
    let end = text
        .match_indices(". ")
        .find(|(i, _)| text[i + 2..].starts_with(char::is_uppercase))
        .map_or(text.len(), |(i, _)| i);
    let first = &text[..end];
    let first = first.trim().trim_end_matches('.').replace('\n', " ");
    // Lowercase a capitalised first word, not an acronym (`URI`).
    let word: Vec<char> = first.chars().take_while(|c| c.is_alphanumeric()).collect();
    match word.split_first() {
        Some((c, rest)) if rest.is_empty() || rest.iter().any(|c| c.is_lowercase()) => {
            c.to_lowercase().chain(first.chars().skip(1)).collect()
        }
        _ => first,
    }
}

/// Deserializes one item that passed the shape check; reports what serde still
/// refuses (nothing, while the schema and the model agree).
fn item<T: DeserializeOwned>(value: &Value, path: &str, rep: &mut Reporter<'_>) -> Option<T> {
    match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(v) => Some(v),
        Err(e) => {
            let mut full = path.to_owned();
            for seg in e.path().iter() {
                match seg {
                    serde_path_to_error::Segment::Seq { index: i } => full = index(&full, *i),
                    serde_path_to_error::Segment::Map { key } => full = join(&full, key),
                    serde_path_to_error::Segment::Enum { .. }
                    | serde_path_to_error::Segment::Unknown => {}
                }
            }
            rep.error_value(&full, e.inner().to_string(), None);
            None
        }
    }
}

/// A YAML value as serde_yaml reads it, but keeping what `serde_yaml::Value`
/// refuses (integers beyond 64 bits), so one odd number does not stop the load.
#[derive(Debug)]
enum Node {
    Null,
    Bool(bool),
    Number(serde_yaml::Number),
    /// An integer beyond 64 bits (but within 128), in decimal.
    BigInt(String),
    String(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
    /// A tagged value (`!include x`): its tag, `!` included.
    Tagged(String),
}

impl<'de> serde::Deserialize<'de> for Node {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> serde::de::Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<Node, E> {
        Ok(Node::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Node, E> {
        Ok(Node::Number(n.into()))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Node, E> {
        Ok(Node::Number(n.into()))
    }
    fn visit_i128<E>(self, n: i128) -> Result<Node, E> {
        Ok(Node::BigInt(n.to_string()))
    }
    fn visit_u128<E>(self, n: u128) -> Result<Node, E> {
        Ok(Node::BigInt(n.to_string()))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Node, E> {
        Ok(Node::Number(n.into()))
    }
    fn visit_str<E>(self, s: &str) -> Result<Node, E> {
        Ok(Node::String(s.to_owned()))
    }
    fn visit_string<E>(self, s: String) -> Result<Node, E> {
        Ok(Node::String(s))
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        serde::Deserialize::deserialize(d)
    }
    fn visit_newtype_struct<D: serde::Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        serde::Deserialize::deserialize(d)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Node::Map(entries))
    }
    fn visit_enum<A: serde::de::EnumAccess<'de>>(self, data: A) -> Result<Node, A::Error> {
        use serde::de::VariantAccess;
        let (tag, contents): (String, _) = data.variant()?;
        contents.newtype_variant::<serde::de::IgnoredAny>()?;
        Ok(Node::Tagged(format!(
            "!{}",
            tag.strip_prefix('!').unwrap_or(&tag)
        )))
    }
}

impl Node {
    /// The text of a map key, unless the key is a list, a map or tagged.
    fn key_text(&self) -> Option<String> {
        match self {
            Node::String(s) | Node::BigInt(s) => Some(s.clone()),
            Node::Number(n) => Some(n.to_string()),
            Node::Bool(b) => Some(b.to_string()),
            Node::Null => Some("null".to_owned()),
            Node::Seq(_) | Node::Map(_) | Node::Tagged(_) => None,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Node::Null => "an empty value",
            Node::Bool(_) => "a boolean",
            Node::Number(_) | Node::BigInt(_) => "a number",
            Node::String(_) => "a string",
            Node::Seq(_) => "a list",
            Node::Map(_) => "a map",
            Node::Tagged(_) => "a tagged value",
        }
    }
}

/// Whether `text`, a plain YAML scalar, is a number too large for a 64-bit float
/// (`1e400`; serde_yaml leaves those as strings).
fn too_large_literal(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    body.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && body.contains(|c: char| c.is_ascii_digit())
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        && text.parse::<f64>().is_ok_and(f64::is_infinite)
}

/// What stands in for a number too large for JSON (its path is in
/// the loader's overflow set, and it is reported): the largest float of its sign.
fn stand_in(negative: bool) -> Value {
    Value::from(if negative { -f64::MAX } else { f64::MAX })
}

/// How deep merges may nest (`<<: *a` where `a` merges `b`, …).
const MAX_MERGE_DEPTH: usize = 16;

/// Converts a YAML value to JSON, keeping key order and applying merge keys.
fn to_json(
    v: &Node,
    path: &str,
    rep: &mut Reporter<'_>,
    overflow: &mut HashSet<String>,
) -> Option<Value> {
    Some(match v {
        Node::Null => Value::Null,
        Node::Bool(b) => Value::Bool(*b),
        Node::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                match n.as_f64().and_then(serde_json::Number::from_f64) {
                    Some(f) => Value::Number(f),
                    None => {
                        rep.error_value(
                            path,
                            format!("`{n}` is not a number JSON can hold"),
                            Some(
                                "JSON has no infinities or NaN; quote it to make it a string"
                                    .to_owned(),
                            ),
                        );
                        return None;
                    }
                }
            }
        }
        // As JSON reads an integer beyond 64 bits: the nearest float.
        Node::BigInt(text) => Value::from(text.parse::<f64>().unwrap_or(0.0)),
        Node::String(s) => {
            if too_large_literal(s) && rep.index.style(path) == Some(Style::Plain) {
                overflow.insert(path.to_owned());
                stand_in(s.starts_with('-'))
            } else {
                Value::String(s.clone())
            }
        }
        Node::Seq(items) => {
            let mut out = Vec::with_capacity(items.len());
            let mut ok = true;
            for (i, item) in items.iter().enumerate() {
                match to_json(item, &index(path, i), rep, overflow) {
                    Some(v) => out.push(v),
                    None => ok = false,
                }
            }
            if !ok {
                return None;
            }
            Value::Array(out)
        }
        Node::Map(entries) => {
            let (entries, mut ok) = map_entries(entries, path, rep, MAX_MERGE_DEPTH);
            let mut out = Map::new();
            for (key, item) in entries {
                match to_json(item, &join(path, &key), rep, overflow) {
                    Some(v) => {
                        out.insert(key, v);
                    }
                    None => ok = false,
                }
            }
            if !ok {
                return None;
            }
            Value::Object(out)
        }
        Node::Tagged(tag) => {
            rep.error_value(
                path,
                format!("YAML tags (`{tag}`) are not supported in manifests"),
                Some("remove the tag".to_owned()),
            );
            return None;
        }
    })
}

/// The entries of the YAML map at `path` with its merge keys applied, as YAML 1.1
/// defines them (`<<: *base`, `<<: [*a, *b]`): keys written in the map win over
/// merged ones, and of several merged maps the earlier wins. Entries keep the
/// place where their key first appears (merged ones, that of their `<<`), as
/// PyYAML and js-yaml order them. Also whether every key is usable.
fn map_entries<'n>(
    entries: &'n [(Node, Node)],
    path: &str,
    rep: &mut Reporter<'_>,
    depth: usize,
) -> (Vec<(String, &'n Node)>, bool) {
    let mut ok = true;
    let mut out: IndexMap<String, &Node> = IndexMap::new();
    let mut written = std::collections::HashSet::new();
    for (k, v) in entries {
        let Some(key) = k.key_text() else {
            rep.error_hint(
                path,
                "a map key is itself a list or a map",
                "keys are names; write them as plain text",
            );
            ok = false;
            continue;
        };
        if key != MERGE_KEY {
            // Keys spelt alike are reported by the index; these are keys spelt
            // differently that mean the same (`16` and `0x10`). A merged map's are
            // reported where it is written.
            if !written.insert(key.clone())
                && depth == MAX_MERGE_DEPTH
                && rep.index.duplicates.is_empty()
            {
                rep.error_hint(
                    &join(path, &key),
                    format!("duplicate key `{key}`"),
                    "names in a map must be unique",
                );
                ok = false;
            }
            // A written key wins, in the place of a merged one it overrides.
            out.insert(key, v);
            continue;
        }
        let merge_path = join(path, MERGE_KEY);
        let sources: Option<Vec<&[(Node, Node)]>> = match v {
            Node::Map(m) => Some(vec![m.as_slice()]),
            Node::Seq(items) => items
                .iter()
                .map(|item| match item {
                    Node::Map(m) => Some(m.as_slice()),
                    _ => None,
                })
                .collect(),
            _ => None,
        };
        let Some(sources) = sources else {
            let found = match v {
                Node::Seq(items) => items
                    .iter()
                    .find(|i| !matches!(i, Node::Map(_)))
                    .map_or("a list", |i| i.kind()),
                other => other.kind(),
            };
            rep.error_hint(
                &merge_path,
                format!("a merge key (`<<`) takes a map or a list of maps, not {found}"),
                "merge maps marked with `&name` earlier: `<<: *name` or `<<: [*a, *b]`",
            );
            ok = false;
            continue;
        };
        let Some(deeper) = depth.checked_sub(1) else {
            rep.error_hint(
                &merge_path,
                "merge keys (`<<`) nest too deeply here",
                format!("merge at most {MAX_MERGE_DEPTH} levels deep"),
            );
            ok = false;
            continue;
        };
        for source in sources {
            let (merged, fine) = map_entries(source, path, rep, deeper);
            ok &= fine;
            for (key, value) in merged {
                out.entry(key).or_insert(value);
            }
        }
    }
    (out.into_iter().collect(), ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::SpanIndex;

    /// Parses a YAML manifest's text as the loader does, with its diagnostics.
    fn parsed(src: &str) -> (Option<Value>, String) {
        let idx = SpanIndex::build(src);
        let mut rep = Reporter::new(Path::new("m.yaml"), src, &idx);
        let v = parse_yaml(&mut rep, &mut HashSet::new());
        (v, rep.diags.render())
    }

    #[test]
    fn merge_keys_apply_as_in_yaml_1_1() {
        let src = "a: &a { x: 1, y: 1 }\nb: &b { y: 2, z: 2 }\nc: &c\n  <<: [*a, *b]\n  w: 0\n  x: 3\nd: { <<: *c, v: 4 }\n";
        let (v, diags) = parsed(src);
        assert_eq!(diags, "");
        let v = v.expect("parses");
        // Merged entries where the `<<` is, written ones winning (in the place of
        // the entry they override), earlier merges winning over later ones;
        // merges of merges.
        assert_eq!(
            serde_json::to_string(&v["c"]).unwrap(),
            r#"{"x":3,"y":1,"z":2,"w":0}"#
        );
        assert_eq!(
            serde_json::to_string(&v["d"]).unwrap(),
            r#"{"x":3,"y":1,"z":2,"w":0,"v":4}"#
        );
        assert!(
            v.as_object()
                .unwrap()
                .values()
                .all(|x| x.get("<<").is_none())
        );
    }

    #[test]
    fn keys_spelt_differently_can_still_repeat() {
        let (v, diags) = parsed("a:\n  16: x\n  0x10: y\n");
        assert!(v.is_none());
        assert!(diags.contains("duplicate key `16`"), "{diags}");
    }

    #[test]
    fn merge_keys_of_other_values_are_errors() {
        for (src, found) in [
            ("a: { <<: 1 }\n", "a number"),
            ("a: { <<: [{ x: 1 }, text] }\n", "a string"),
            ("a: { <<: }\n", "an empty value"),
        ] {
            let (v, diags) = parsed(src);
            assert!(v.is_none(), "{src}");
            assert!(
                diags.contains(&format!("takes a map or a list of maps, not {found}")),
                "{diags}"
            );
            assert!(diags.contains("= path: a.<<"), "{diags}");
        }
    }

    #[test]
    fn bytes_that_are_not_utf8_are_located() {
        let d = decode(Path::new("m.yaml"), b"a: 1\nb: caf\xe9 \xe9\n".to_vec())
            .expect_err("not UTF-8");
        assert_eq!((d.line, d.column), (Some(2), Some(7)));
        assert!(
            d.message.contains("byte 0xE9 at byte offset 11"),
            "{}",
            d.message
        );
        assert!(
            d.render().contains("2 | b: caf\u{fffd} \u{fffd}\n"),
            "{}",
            d.render()
        );
        let d = decode(Path::new("m.yaml"), b"\xff\xfea\x00".to_vec()).expect_err("UTF-16");
        assert!(d.hint.is_some_and(|h| h.contains("UTF-16")));
        assert_eq!(
            decode(Path::new("m.yaml"), b"a: 1".to_vec())
                .ok()
                .as_deref(),
            Some("a: 1")
        );
    }

    #[test]
    fn numbers_too_large_for_a_float() {
        for yes in ["1e400", "-1e999", "+1E+400", "1.5e309", &"9".repeat(400)] {
            assert!(too_large_literal(yes), "{yes}");
        }
        for no in [
            "1e300",
            "inf",
            "-infinity",
            ".inf",
            "1e400x",
            "e400",
            "1e-400",
            "-",
            "0x1",
        ] {
            assert!(!too_large_literal(no), "{no}");
        }
        let src = r#"{"a": 1e400, "s": "1e400 \" 1e400", "b": [-1E+999, 2, 1e-999]}"#;
        let found: Vec<&str> = json_overflows(src).into_iter().map(|r| &src[r]).collect();
        assert_eq!(found, ["1e400", "-1E+999"]);
    }

    #[test]
    fn integers_beyond_a_field_are_reported_in_plain_words() {
        let src = "page_size: 5000000000\nlimit: 99999999999999999999\nneg: -3\nok: 7\n";
        let idx = SpanIndex::build(src);
        let mut rep = Reporter::new(Path::new("m.yaml"), src, &idx);
        let mut overflow = HashSet::new();
        let v = parse_yaml(&mut rep, &mut overflow).expect("parses");
        let defs = Map::new();
        let shape = Shape {
            defs: &defs,
            overflow: &overflow,
        };
        let u32_schema = serde_json::json!({ "type": "integer", "format": "uint32", "minimum": 0 });
        let i8_schema = serde_json::json!({ "type": "integer", "format": "int8" });
        assert!(!shape.check(&v["page_size"], &u32_schema, "page_size", &mut rep));
        assert!(!shape.check(&v["limit"], &i8_schema, "limit", &mut rep));
        assert!(!shape.check(&v["neg"], &u32_schema, "neg", &mut rep));
        assert!(shape.check(&v["ok"], &u32_schema, "ok", &mut rep));
        let text = rep.diags.render();
        assert!(text.contains("error: `5000000000` is too large for `page_size`, which takes whole numbers up to 4294967295\n --> m.yaml:1:12\n"), "{text}");
        assert!(
            text.contains(
                "= hint: `page_size` is a Rust `u32`: give a whole number from 0 to 4294967295"
            ),
            "{text}"
        );
        assert!(text.contains("`99999999999999999999` is too large for `limit`, which takes whole numbers up to 127"), "{text}");
        assert!(
            text.contains("expected a whole number of zero or more, found the number `-3`"),
            "{text}"
        );
        assert_eq!(rep.diags.len(), 3);
    }

    #[test]
    fn sentences() {
        assert_eq!(first_sentence("Program version."), "program version");
        assert_eq!(first_sentence("URI of it. More."), "URI of it");
        assert_eq!(
            first_sentence("A template, e.g. `x`."),
            "a template, e.g. `x`"
        );
    }

    #[test]
    fn a_second_document_is_located() {
        let idx = SpanIndex::build("---\na: 1\n---\nb: 2\n");
        assert_eq!(idx.second_document, Some(Pos::new(3, 1, 3)));
        assert_eq!(SpanIndex::build("---\na: 1\n").second_document, None);
        let (v, diags) = parsed("a: 1\n---\nb: 2\n");
        assert!(v.is_none());
        assert!(diags.contains("--> m.yaml:2:1"), "{diags}");
    }

    #[test]
    fn definitions_load_like_every_section() {
        let src = "server: { name: s, version: 1.0.0 }\ndefinitions:\n  unit: { type: string }\n  bad: 5\n";
        let idx = SpanIndex::build(src);
        let mut rep = Reporter::new(Path::new("m.yaml"), src, &idx);
        let loaded = load(&mut rep).expect("loads");
        let names: Vec<&str> = loaded
            .manifest
            .definitions
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(names, ["unit"]);
        let text = rep.diags.render();
        assert!(
            text.contains("error: expected a map, found the number `5`\n --> m.yaml:4:8\n"),
            "{text}"
        );
        assert_eq!(rep.diags.len(), 1);
    }
}
