//! Loading a manifest: YAML (or JSON) text → positions of every node → the model.
//!
//! serde_yaml reads the text (syntax errors and duplicate keys carry its positions);
//! a yaml-rust2 event pass maps every manifest path to its line and column; then each
//! item is deserialized on its own, so that every malformed item is reported, not
//! only the first.

use std::collections::HashMap;

use indexmap::IndexMap;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use crate::diag::{At, Reporter, Severity, Span};
use crate::model::Manifest;

/// Manifest path → where its key and value are in the source.
#[derive(Debug, Default)]
pub(crate) struct SpanIndex {
    spans: HashMap<String, Span>,
    /// Keys that repeat within one mapping: their path and position.
    duplicates: Vec<(String, (usize, usize))>,
}

impl SpanIndex {
    /// Indexes YAML (or JSON) text. Text that does not parse gives a partial index.
    pub fn build(source: &str) -> Self {
        let mut builder = IndexBuilder::default();
        let mut parser = Parser::new_from_str(source);
        let _ = parser.load(&mut builder, false);
        SpanIndex {
            spans: builder.spans,
            duplicates: builder.duplicates,
        }
    }

    /// The position of `path` (or of its nearest indexed ancestor).
    pub fn locate(&self, path: &str, at: At) -> Option<(usize, usize)> {
        let mut p = path;
        loop {
            if let Some(span) = self.spans.get(p) {
                let pos = match at {
                    At::Key => span.key.or(span.value),
                    At::Value => span.value.or(span.key),
                };
                if pos.is_some() {
                    return pos;
                }
            }
            if p.is_empty() {
                return None;
            }
            p = parent(p);
        }
    }
}

/// The parent of a manifest path: `a.b[2]` → `a.b` → `a` → ``.
pub(crate) fn parent(path: &str) -> &str {
    let cut = path.rfind(['.', '[']).unwrap_or(0);
    &path[..cut]
}

/// Joins a manifest path and a map key.
pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Joins a manifest path and a sequence index.
pub(crate) fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

enum Frame {
    Map {
        path: String,
        key: Option<(String, (usize, usize))>,
        keys: Vec<String>,
    },
    Seq {
        path: String,
        next: usize,
    },
    /// A complex key (a mapping or sequence used as a key): ignored.
    Skip,
}

#[derive(Default)]
struct IndexBuilder {
    stack: Vec<Frame>,
    spans: HashMap<String, Span>,
    duplicates: Vec<(String, (usize, usize))>,
}

fn pos(mark: Marker) -> (usize, usize) {
    (mark.line(), mark.col() + 1)
}

impl IndexBuilder {
    /// Where the next value goes: its path and its key's position. `None` when the
    /// next node is a mapping key.
    fn next_value(&mut self) -> Option<(String, Option<(usize, usize)>)> {
        match self.stack.last_mut() {
            None => Some((String::new(), None)),
            Some(Frame::Map { path, key, .. }) => {
                key.take().map(|(k, kpos)| (join(path, &k), Some(kpos)))
            }
            Some(Frame::Seq { path, next }) => {
                let p = index(path, *next);
                *next += 1;
                Some((p, None))
            }
            Some(Frame::Skip) => Some((String::from("\u{0}"), None)),
        }
    }

    fn record(&mut self, path: String, key: Option<(usize, usize)>, value: (usize, usize)) {
        // The first occurrence wins; later duplicates are reported separately.
        self.spans.entry(path).or_insert(Span {
            key: key.or(Some(value)),
            value: Some(value),
        });
    }
}

impl MarkedEventReceiver for IndexBuilder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(text, ..) => {
                if let Some(Frame::Map { key, keys, path }) = self.stack.last_mut() {
                    if key.is_none() {
                        if keys.is_empty() {
                            // A block mapping's start mark is not where it is
                            // written; its first key is.
                            if let Some(span) = self.spans.get_mut(path.as_str()) {
                                if span.key == span.value {
                                    span.key = Some(pos(mark));
                                }
                                span.value = Some(pos(mark));
                            }
                        }
                        if keys.contains(&text) {
                            self.duplicates.push((join(path, &text), pos(mark)));
                        }
                        keys.push(text.clone());
                        *key = Some((text, pos(mark)));
                        return;
                    }
                }
                if let Some((path, kpos)) = self.next_value() {
                    self.record(path, kpos, pos(mark));
                }
            }
            Event::Alias(_) => {
                if let Some((path, kpos)) = self.next_value() {
                    self.record(path, kpos, pos(mark));
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let is_map = matches!(ev, Event::MappingStart(..));
                let frame = if matches!(self.stack.last(), Some(Frame::Map { key: None, .. })) {
                    // A complex key; give it an unused key so its value is skipped.
                    if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
                        *key = Some(("\u{0}".to_owned(), pos(mark)));
                    }
                    Frame::Skip
                } else if let Some((path, kpos)) = self.next_value() {
                    self.record(path.clone(), kpos, pos(mark));
                    if is_map {
                        Frame::Map {
                            path,
                            key: None,
                            keys: Vec::new(),
                        }
                    } else {
                        Frame::Seq { path, next: 0 }
                    }
                } else {
                    Frame::Skip
                };
                self.stack.push(frame);
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

/// The manifest's top-level keys.
pub(crate) const TOP_LEVEL_KEYS: &[&str] = &[
    "server",
    "tools",
    "resources",
    "resource_templates",
    "prompts",
    "elicitations",
    "completions",
];

/// Parses and deserializes a manifest, reporting every problem it can find.
pub(crate) fn load(rep: &mut Reporter<'_>) -> Option<Manifest> {
    let yaml: serde_yaml::Value = match serde_yaml::from_str(rep.source) {
        Ok(v) => v,
        Err(e) => {
            let pos = e.location().map(|l| (l.line(), l.column()));
            let mut message = e.to_string();
            // serde_yaml appends " at line L column C"; the position is shown anyway.
            if let Some(cut) = message.find(" at line ") {
                message.truncate(cut);
            }
            if message.contains("duplicate entry") && !rep.index.duplicates.is_empty() {
                for (path, at) in &rep.index.duplicates {
                    let key = path.rsplit('.').next().unwrap_or_default();
                    let first = rep.index.locate(path, At::Key).map(|(l, _)| l);
                    let hint = match first {
                        Some(l) => format!(
                            "`{key}` is first defined on line {l}; names in a map must be unique"
                        ),
                        None => "names in a map must be unique".to_owned(),
                    };
                    rep.at_pos(
                        Severity::Error,
                        Some(*at),
                        path,
                        format!("duplicate key `{key}`"),
                        Some(hint),
                    );
                }
                return None;
            }
            let hint = if message.contains("end of stream") {
                Some("a quote or bracket opened earlier is not closed".to_owned())
            } else if message.contains("duplicate entry") {
                Some("names in a map must be unique".to_owned())
            } else {
                None
            };
            rep.at_pos(Severity::Error, pos, "", message, hint);
            return None;
        }
    };
    let root = match to_json(&yaml, "", rep) {
        Some(Value::Object(map)) => map,
        Some(Value::Null) => {
            rep.error_hint(
                "",
                "the manifest is empty",
                "a manifest needs at least `server: { name, version }`",
            );
            return None;
        }
        Some(_) => {
            rep.error(
                "",
                "the manifest must be a mapping with `server`, `tools`, … at the top level",
            );
            return None;
        }
        None => return None,
    };

    for key in root.keys() {
        if !TOP_LEVEL_KEYS.contains(&key.as_str()) {
            rep.error_hint(
                key,
                format!("unknown top-level key `{key}`"),
                did_you_mean(key, TOP_LEVEL_KEYS),
            );
        }
    }

    let server = match root.get("server") {
        Some(v) => item(v, "server", rep),
        None => {
            rep.error_hint(
                "",
                "missing `server`",
                "add `server: { name: my-server, version: 0.1.0 }`",
            );
            None
        }
    };
    let tools = named_section(&root, "tools", rep);
    let resources = list_section(&root, "resources", rep);
    let resource_templates = list_section(&root, "resource_templates", rep);
    let prompts = named_section(&root, "prompts", rep);
    let elicitations = named_section(&root, "elicitations", rep);
    let completions = list_section(&root, "completions", rep);

    Some(Manifest {
        server: server?,
        tools: tools?,
        resources: resources?,
        resource_templates: resource_templates?,
        prompts: prompts?,
        elicitations: elicitations?,
        completions: completions?,
    })
}

/// A section that maps names to items. `None` when any item is malformed.
fn named_section<T: DeserializeOwned>(
    root: &Map<String, Value>,
    section: &str,
    rep: &mut Reporter<'_>,
) -> Option<IndexMap<String, T>> {
    let mut out = IndexMap::new();
    let mut ok = true;
    match root.get(section) {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (name, value) in map {
                match item(value, &join(section, name), rep) {
                    Some(v) => {
                        out.insert(name.clone(), v);
                    }
                    None => ok = false,
                }
            }
        }
        Some(other) => {
            rep.error_value(
                section,
                format!(
                    "`{section}` must be a map from names to definitions, not {}",
                    kind(other)
                ),
                None,
            );
            ok = false;
        }
    }
    ok.then_some(out)
}

/// A section that lists items. `None` when any item is malformed.
fn list_section<T: DeserializeOwned>(
    root: &Map<String, Value>,
    section: &str,
    rep: &mut Reporter<'_>,
) -> Option<Vec<T>> {
    let mut out = Vec::new();
    let mut ok = true;
    match root.get(section) {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, value) in items.iter().enumerate() {
                match item(value, &index(section, i), rep) {
                    Some(v) => out.push(v),
                    None => ok = false,
                }
            }
        }
        Some(other) => {
            rep.error_value(
                section,
                format!("`{section}` must be a list, not {}", kind(other)),
                None,
            );
            ok = false;
        }
    }
    ok.then_some(out)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

/// Deserializes one item, reporting a failure at the exact field.
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
            let message = e.inner().to_string();
            report_serde(rep, &full, &message);
            None
        }
    }
}

/// Turns a serde message into a diagnostic with a useful position and hint.
fn report_serde(rep: &mut Reporter<'_>, path: &str, message: &str) {
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let field = rest.split('`').next().unwrap_or_default();
        let expected = backticked(
            rest.split_once(", expected")
                .map(|(_, e)| e)
                .unwrap_or_default(),
        );
        let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
        // serde_path_to_error's path stops at the struct; the unknown key is below it.
        let at = if path.ends_with(&format!(".{field}")) {
            path.to_owned()
        } else {
            join(path, field)
        };
        rep.error_hint(
            &at,
            format!("unknown field `{field}`"),
            did_you_mean(field, &expected),
        );
    } else if let Some(rest) = message.strip_prefix("unknown variant `") {
        let variant = rest.split('`').next().unwrap_or_default();
        let expected = backticked(
            rest.split_once(", expected")
                .map(|(_, e)| e)
                .unwrap_or_default(),
        );
        let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
        rep.report(
            Severity::Error,
            At::Value,
            path,
            format!("unknown value `{variant}`"),
            Some(did_you_mean(variant, &expected)),
        );
    } else if let Some(rest) = message.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or_default();
        rep.error_hint(
            path,
            format!("missing field `{field}`"),
            format!("add `{field}: …` here"),
        );
    } else if message.starts_with("invalid type") {
        let hint = if message.contains("expected a string") {
            Some("quote the value to make it a string, e.g. \"1.0\"".to_owned())
        } else {
            None
        };
        rep.error_value(path, message.to_owned(), hint);
    } else {
        rep.error_value(path, message.to_owned(), None);
    }
}

/// The backticked words of a serde "expected" list.
fn backticked(text: &str) -> Vec<String> {
    text.split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s.to_owned())
        .collect()
}

/// "did you mean `x`?" when a candidate is close, else the list of candidates.
pub(crate) fn did_you_mean(word: &str, candidates: &[&str]) -> String {
    let best = candidates
        .iter()
        .map(|c| {
            (
                strsim::jaro_winkler(&word.to_lowercase(), &c.to_lowercase()),
                *c,
            )
        })
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, c)) => format!("did you mean `{c}`?"),
        None if candidates.is_empty() => "remove it".to_owned(),
        None => format!(
            "expected one of {}",
            candidates
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Converts serde_yaml's value to JSON, keeping key order.
fn to_json(v: &serde_yaml::Value, path: &str, rep: &mut Reporter<'_>) -> Option<Value> {
    use serde_yaml::Value as Y;
    Some(match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(*b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                match n.as_f64().and_then(serde_json::Number::from_f64) {
                    Some(f) => Value::Number(f),
                    None => {
                        rep.error_value(path, format!("`{n}` is not a number JSON can hold"), None);
                        return None;
                    }
                }
            }
        }
        Y::String(s) => Value::String(s.clone()),
        Y::Sequence(items) => {
            let mut out = Vec::with_capacity(items.len());
            let mut ok = true;
            for (i, item) in items.iter().enumerate() {
                match to_json(item, &index(path, i), rep) {
                    Some(v) => out.push(v),
                    None => ok = false,
                }
            }
            if !ok {
                return None;
            }
            Value::Array(out)
        }
        Y::Mapping(map) => {
            let mut out = Map::new();
            let mut ok = true;
            for (k, item) in map {
                let key = match k {
                    Y::String(s) => s.clone(),
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    _ => {
                        rep.error(path, "map keys must be strings");
                        ok = false;
                        continue;
                    }
                };
                match to_json(item, &join(path, &key), rep) {
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
        Y::Tagged(t) => {
            rep.error_value(
                path,
                format!("YAML tags (`{}`) are not supported in manifests", t.tag),
                Some("remove the tag".to_owned()),
            );
            return None;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_positions() {
        let src = "server:\n  name: x\ntools:\n  a:\n    input: { type: object }\nlist:\n  - one\n  - k: v\n";
        let idx = SpanIndex::build(src);
        assert_eq!(idx.locate("server.name", At::Key), Some((2, 3)));
        assert_eq!(idx.locate("server.name", At::Value), Some((2, 9)));
        assert_eq!(idx.locate("tools.a.input.type", At::Value), Some((5, 20)));
        assert_eq!(idx.locate("list[1].k", At::Key), Some((8, 5)));
        assert_eq!(idx.locate("list[0]", At::Value), Some((7, 5)));
        assert_eq!(idx.locate("tools.a.nope", At::Key), Some((4, 3)));
    }

    #[test]
    fn parents() {
        assert_eq!(parent("a.b[2]"), "a.b");
        assert_eq!(parent("a.b"), "a");
        assert_eq!(parent("a"), "");
    }
}
