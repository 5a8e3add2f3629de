//! Validation: every semantic check on a loaded manifest, and the resolved facts
//! (file contents, template variables, prompt messages) that emission needs.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use indexmap::IndexMap;
use serde_json::{Map, Value, json};

use crate::diag::{At, Reporter, Severity};
use crate::load::{index, join};
use crate::model::{EmbeddedResource, Manifest, Media, VarType};
use crate::names::{camel, snake};

/// Where a static resource's contents come from.
pub(crate) enum ResourceBody {
    /// Read by a handler.
    Dynamic,
    /// Text, inline or from a file.
    Text(String),
    /// Bytes, from base64 or a file.
    Blob(Vec<u8>),
}

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

/// A manifest that passed validation, with what emission needs resolved.
pub(crate) struct Plan<'m> {
    pub manifest: &'m Manifest,
    /// Parallel to `manifest.resources`: contents and size.
    pub resources: Vec<(ResourceBody, Option<u64>)>,
    /// Parallel to `manifest.resource_templates`: variables in template order.
    pub template_vars: Vec<Vec<(String, VarType)>>,
    /// Templated prompts' messages as `PromptMessage` JSON.
    pub prompt_messages: IndexMap<String, Value>,
    /// Elicitation forms' fields.
    pub forms: IndexMap<String, Vec<FormField>>,
}

/// MIME types served as text.
pub(crate) fn is_text_mime(mime: &str) -> bool {
    let mime = mime
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    mime.starts_with("text/")
        || mime == "application/json"
        || mime.ends_with("+json")
        || mime.ends_with("+xml")
        || mime == "application/xml"
        || mime == "application/yaml"
        || mime == "application/x-yaml"
        || mime == "application/javascript"
        || mime == "application/toml"
}

/// Template globals that are not variables.
const TEMPLATE_GLOBALS: &[&str] = &["range", "dict", "namespace", "debug", "loop"];

struct Ctx<'r, 'a> {
    rep: &'r mut Reporter<'a>,
    base: PathBuf,
    files: Vec<PathBuf>,
    idents: HashMap<String, String>,
}

impl Ctx<'_, '_> {
    /// Registers a generated Rust name; reports a collision with an earlier one.
    fn claim(&mut self, name: String, path: &str, what: &str) {
        if crate::emit::FACADE_NAMES.contains(&name.as_str()) {
            self.rep.error_hint(
                path,
                format!("{what} becomes the Rust name `{name}`, which generated code already uses"),
                format!(
                    "rename it: `{name}` would shadow the `{name}` that generated code refers to"
                ),
            );
            return;
        }
        if let Some(first) = self.idents.get(&name) {
            let first = first.clone();
            self.rep.error_hint(
                path,
                format!("{what} becomes the Rust name `{name}`, which `{first}` already uses"),
                "rename one of them: names that differ only in case or punctuation collide in Rust",
            );
        } else {
            self.idents.insert(name, path.to_owned());
        }
    }

    /// Reads a file relative to the manifest; reports a missing one.
    fn read_file(&mut self, rel: &str, path: &str) -> Option<(PathBuf, Vec<u8>)> {
        let full = self.base.join(rel);
        let abs = std::path::absolute(&full).unwrap_or(full);
        self.files.push(abs.clone());
        match std::fs::read(&abs) {
            Ok(bytes) => Some((abs, bytes)),
            Err(e) => {
                self.rep.report(
                    Severity::Error,
                    At::Value,
                    path,
                    format!("cannot read `{rel}`: {e}"),
                    Some(format!(
                        "paths are relative to the manifest's directory ({})",
                        self.base.display()
                    )),
                );
                None
            }
        }
    }

    fn base64(&mut self, data: &str, path: &str) -> Option<Vec<u8>> {
        match BASE64.decode(data.trim()) {
            Ok(b) => Some(b),
            Err(e) => {
                self.rep
                    .error_value(path, format!("invalid base64: {e}"), None);
                None
            }
        }
    }

    /// Checks a minijinja template and that it uses only `allowed` variables.
    fn template(&mut self, text: &str, path: &str, allowed: &[&str], what: &str) {
        let env = minijinja::Environment::new();
        match env.template_from_str(text) {
            Ok(t) => {
                let mut unknown: Vec<String> = t
                    .undeclared_variables(false)
                    .into_iter()
                    .filter(|v| {
                        !allowed.contains(&v.as_str()) && !TEMPLATE_GLOBALS.contains(&v.as_str())
                    })
                    .collect();
                unknown.sort();
                for v in unknown {
                    let hint = if allowed.is_empty() {
                        format!("declare it among the {what}s")
                    } else {
                        format!(
                            "declared {what}s: {}",
                            allowed
                                .iter()
                                .map(|a| format!("`{a}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    };
                    self.rep.report(
                        Severity::Error,
                        At::Value,
                        path,
                        format!("template uses `{v}`, which is not a declared {what}"),
                        Some(hint),
                    );
                }
            }
            Err(e) => {
                let msg = e.to_string();
                self.rep.report(
                    Severity::Error,
                    At::Value,
                    path,
                    format!("template does not parse: {msg}"),
                    Some("templates are minijinja (Jinja2) syntax; use {% raw %}…{% endraw %} for literal braces".to_owned()),
                );
            }
        }
    }
}

/// Validates a manifest. Returns the plan when there is no error.
/// Every file it reads (absolute, even missing ones) is added to `files`.
pub(crate) fn validate<'m>(
    m: &'m Manifest,
    manifest_path: &Path,
    stem: &str,
    rep: &mut Reporter<'_>,
    files: &mut Vec<PathBuf>,
) -> Option<Plan<'m>> {
    let base = manifest_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut cx = Ctx {
        rep,
        base,
        files: Vec::new(),
        idents: HashMap::new(),
    };
    cx.claim(
        format!("{}Server", camel(stem)),
        "",
        "the manifest's file name",
    );

    server(m, &mut cx);
    tools(m, &mut cx);
    let resources = resources(m, &mut cx);
    let template_vars = templates(m, &mut cx);
    let prompt_messages = prompts(m, &mut cx);
    let forms = elicitations(m, &mut cx);
    completions(m, &mut cx, &template_vars);

    files.append(&mut cx.files);
    if cx.rep.diags.has_errors() {
        return None;
    }
    Some(Plan {
        manifest: m,
        resources,
        template_vars,
        prompt_messages,
        forms,
    })
}

fn server(m: &Manifest, cx: &mut Ctx<'_, '_>) {
    if m.server.name.trim().is_empty() {
        cx.rep
            .error_value("server.name", "the server name is empty", None);
    }
    if m.server.version.trim().is_empty() {
        cx.rep
            .error_value("server.version", "the server version is empty", None);
    }
}

fn valid_tool_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

fn tools(m: &Manifest, cx: &mut Ctx<'_, '_>) {
    for (name, tool) in &m.tools {
        let path = join("tools", name);
        if !valid_tool_name(name) {
            cx.rep.error_hint(
                &path,
                format!("invalid tool name `{name}`"),
                "tool names are 1 to 128 characters of A-Z, a-z, 0-9, `_`, `.` and `-`",
            );
        } else if name.len() > 64 {
            cx.rep.warning(
                &path,
                format!("tool name `{name}` is longer than 64 characters"),
                Some("some clients reject tool names longer than 64 characters".to_owned()),
            );
        }
        if tool
            .description
            .as_deref()
            .is_none_or(|d| d.trim().is_empty())
        {
            cx.rep.warning(
                &path,
                format!("tool `{name}` has no description"),
                Some(
                    "the model chooses tools by their descriptions; add `description: …`"
                        .to_owned(),
                ),
            );
        }
        cx.claim(snake(name), &path, &format!("tool `{name}`"));
        if let Some(input) = &tool.input {
            cx.claim(
                format!("{}Input", camel(name)),
                &path,
                &format!("tool `{name}`"),
            );
            schema(input, &join(&path, "input"), "input", cx);
        }
        if let Some(output) = &tool.output {
            cx.claim(
                format!("{}Output", camel(name)),
                &path,
                &format!("tool `{name}`"),
            );
            schema(output, &join(&path, "output"), "output", cx);
        }
    }
}

/// A JSON pointer (`/properties/days`) → manifest path segments.
fn pointer_to_path(base: &str, pointer: &str) -> String {
    let mut out = base.to_owned();
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if let Ok(i) = seg.parse::<usize>() {
            // Array indexes and numeric keys look alike in a pointer; the index form
            // is tried first when locating.
            out = index(&out, i);
        } else {
            out = join(&out, &seg);
        }
    }
    out
}

/// Checks a tool's input or output schema.
fn schema(s: &Map<String, Value>, path: &str, what: &str, cx: &mut Ctx<'_, '_>) {
    if s.get("type").and_then(Value::as_str) != Some("object") {
        cx.rep.error_hint(
            path,
            format!("the {what} schema's root must be `type: object`"),
            "MCP tool arguments and structured results are JSON objects; wrap other values in a property",
        );
    }
    let value = Value::Object(s.clone());
    let meta = std::panic::catch_unwind(|| {
        let validator = jsonschema::draft202012::meta::validator();
        validator
            .iter_errors(&value)
            .map(|e| (e.instance_path().as_str().to_owned(), e.to_string()))
            .collect::<Vec<_>>()
    });
    match meta {
        Ok(errors) if !errors.is_empty() => {
            for (pointer, message) in errors {
                cx.rep.report(
                    Severity::Error,
                    At::Value,
                    &pointer_to_path(path, &pointer),
                    format!("the {what} schema is not valid JSON Schema 2020-12: {message}"),
                    None,
                );
            }
            return;
        }
        Ok(_) => {}
        Err(_) => {
            cx.rep.error_value(
                path,
                format!("the {what} schema could not be checked against JSON Schema 2020-12"),
                None,
            );
            return;
        }
    }
    let value = Value::Object(s.clone());
    let compiled = std::panic::catch_unwind(|| {
        jsonschema::validator_for(&value)
            .err()
            .map(|e| e.to_string())
    });
    match compiled {
        Ok(None) => {}
        Ok(Some(message)) => cx.rep.error_value(
            path,
            format!("the {what} schema does not compile: {message}"),
            None,
        ),
        Err(_) => cx
            .rep
            .error_value(path, format!("the {what} schema does not compile"), None),
    }
}

fn resources(m: &Manifest, cx: &mut Ctx<'_, '_>) -> Vec<(ResourceBody, Option<u64>)> {
    let mut out = Vec::new();
    let mut uris: HashMap<&str, String> = HashMap::new();
    for (i, r) in m.resources.iter().enumerate() {
        let path = index("resources", i);
        if let Some(first) = uris.insert(r.uri.as_str(), path.clone()) {
            cx.rep.error_hint(
                &join(&path, "uri"),
                format!("duplicate resource URI `{}`", r.uri),
                format!("{first} already declares it"),
            );
        }
        if !r.uri.contains(':') {
            cx.rep.error_value(
                &join(&path, "uri"),
                format!("`{}` is not an absolute URI", r.uri),
                Some("a URI has a scheme, e.g. `file:///…` or `app://…`".to_owned()),
            );
        }
        let given = present_keys(&[
            ("text", r.text.is_some()),
            ("blob", r.blob.is_some()),
            ("file", r.file.is_some()),
        ]);
        if given.len() > 1 {
            cx.rep.error_hint(
                &join(&path, given[1]),
                format!(
                    "resource `{}` has both `{}` and `{}`",
                    r.name, given[0], given[1]
                ),
                "give at most one of `text`, `blob` and `file` (none: a handler reads it)",
            );
            out.push((ResourceBody::Dynamic, r.size));
            continue;
        }
        let (body, size) = if let Some(text) = &r.text {
            (ResourceBody::Text(text.clone()), Some(text.len() as u64))
        } else if let Some(blob) = &r.blob {
            match cx.base64(blob, &join(&path, "blob")) {
                Some(bytes) => {
                    let n = bytes.len() as u64;
                    (ResourceBody::Blob(bytes), Some(n))
                }
                None => (ResourceBody::Dynamic, None),
            }
        } else if let Some(file) = &r.file {
            match cx.read_file(file, &join(&path, "file")) {
                Some((_, bytes)) => {
                    let n = bytes.len() as u64;
                    let text = match &r.mime_type {
                        Some(mime) => is_text_mime(mime),
                        None => std::str::from_utf8(&bytes).is_ok(),
                    };
                    if text && std::str::from_utf8(&bytes).is_err() {
                        cx.rep.error_hint(
                            &join(&path, "file"),
                            format!("`{file}` is not UTF-8 text, but its MIME type is a text type"),
                            "fix the file or set a binary `mime_type`",
                        );
                    }
                    // Contents are embedded as literals, not `include_bytes!`ed, so
                    // generated code names no machine path and is the same
                    // wherever it is generated; `rerun-if-changed` still tracks
                    // the file.
                    match String::from_utf8(bytes) {
                        Ok(s) if text => (ResourceBody::Text(s), Some(n)),
                        Ok(s) => (ResourceBody::Blob(s.into_bytes()), Some(n)),
                        Err(e) => (ResourceBody::Blob(e.into_bytes()), Some(n)),
                    }
                }
                None => (ResourceBody::Dynamic, None),
            }
        } else {
            cx.claim(
                format!("read_{}", snake(&r.name)),
                &path,
                &format!("resource `{}`", r.name),
            );
            (ResourceBody::Dynamic, None)
        };
        out.push((body, r.size.or(size)));
    }
    out
}

/// The variables of an RFC 6570 URI template, in order.
pub(crate) fn uri_template_vars(t: &str) -> Result<Vec<String>, String> {
    let mut vars = Vec::new();
    let mut rest = t;
    while let Some(open) = rest.find(['{', '}']) {
        if rest.as_bytes()[open] == b'}' {
            return Err("`}` without a matching `{`".to_owned());
        }
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or("`{` without a matching `}`")?;
        let expr = &after[..close];
        if expr.contains('{') {
            return Err("nested `{`".to_owned());
        }
        let expr = match expr.chars().next() {
            Some('+' | '#' | '.' | '/' | ';' | '?' | '&') => &expr[1..],
            Some(c @ ('=' | ',' | '!' | '@' | '|')) => {
                return Err(format!("the operator `{c}` is reserved"));
            }
            Some(_) => expr,
            None => return Err("empty expression `{}`".to_owned()),
        };
        for spec in expr.split(',') {
            let name = if let Some((name, len)) = spec.split_once(':') {
                if len.is_empty()
                    || len.len() > 4
                    || !len.bytes().all(|b| b.is_ascii_digit())
                    || len.starts_with('0')
                {
                    return Err(format!("bad prefix length in `{spec}`"));
                }
                name
            } else {
                spec.strip_suffix('*').unwrap_or(spec)
            };
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'%'))
            {
                return Err(format!("bad variable name `{name}`"));
            }
            if !vars.iter().any(|v| v == name) {
                vars.push(name.to_owned());
            }
        }
        rest = &after[close + 1..];
    }
    Ok(vars)
}

fn templates(m: &Manifest, cx: &mut Ctx<'_, '_>) -> Vec<Vec<(String, VarType)>> {
    let mut out = Vec::new();
    let mut seen: HashMap<&str, String> = HashMap::new();
    for (i, t) in m.resource_templates.iter().enumerate() {
        let path = index("resource_templates", i);
        let upath = join(&path, "uri_template");
        if let Some(first) = seen.insert(t.uri_template.as_str(), path.clone()) {
            cx.rep.error_hint(
                &upath,
                format!("duplicate URI template `{}`", t.uri_template),
                format!("{first} already declares it"),
            );
        }
        let names = match uri_template_vars(&t.uri_template) {
            Ok(v) => v,
            Err(e) => {
                cx.rep.error_value(
                    &upath,
                    format!("malformed URI template `{}`: {e}", t.uri_template),
                    Some(
                        "URI templates follow RFC 6570, e.g. `weather://{city}/current`".to_owned(),
                    ),
                );
                out.push(Vec::new());
                continue;
            }
        };
        if let Err(why) = runtime_matchable(&t.uri_template) {
            cx.rep.error_value(
                &upath,
                format!("URI template `{}` cannot be matched: {why}", t.uri_template),
                Some(
                    "the runtime matches `{var}`, `{+var}`, `{#var}` and `{/var}`, one variable \
                     each, with a literal between two expressions"
                        .to_owned(),
                ),
            );
        }
        if names.is_empty() {
            cx.rep.warning(
                &upath,
                format!("URI template `{}` has no variables", t.uri_template),
                Some(
                    "a URI without variables is a plain resource; move it to `resources`"
                        .to_owned(),
                ),
            );
        }
        let declared = t.variables.clone().unwrap_or_default();
        for name in declared.keys() {
            if !names.contains(name) {
                cx.rep.error_hint(
                    &join(&join(&path, "variables"), name),
                    format!("variable `{name}` does not appear in `{}`", t.uri_template),
                    "remove it, or add it to the URI template",
                );
            }
        }
        let mut vars = Vec::new();
        let mut fields = HashMap::new();
        for name in &names {
            let ty = match declared.get(name) {
                Some(v) => v.ty.unwrap_or(VarType::String),
                None => {
                    cx.rep.warning(
                        &upath,
                        format!(
                            "variable `{name}` of `{}` has no declared type; it is a string",
                            t.uri_template
                        ),
                        Some(format!(
                            "declare it: `variables: {{ {name}: {{ type: string }} }}`"
                        )),
                    );
                    VarType::String
                }
            };
            if t.text.is_none() {
                if let Some(other) = fields.insert(snake(name), name.clone()) {
                    cx.rep.error(
                        &upath,
                        format!("variables `{other}` and `{name}` collide as Rust fields"),
                    );
                }
            }
            vars.push((name.clone(), ty));
        }
        match &t.text {
            Some(text) => {
                let allowed: Vec<&str> = names.iter().map(String::as_str).collect();
                cx.template(text, &join(&path, "text"), &allowed, "variable");
            }
            None => {
                cx.claim(
                    format!("read_{}", snake(&t.name)),
                    &path,
                    &format!("resource template `{}`", t.name),
                );
                cx.claim(
                    format!("{}Variables", camel(&t.name)),
                    &path,
                    &format!("resource template `{}`", t.name),
                );
            }
        }
        out.push(vars);
    }
    out
}

fn prompts(m: &Manifest, cx: &mut Ctx<'_, '_>) -> IndexMap<String, Value> {
    let mut out = IndexMap::new();
    for (name, p) in &m.prompts {
        let path = join("prompts", name);
        if p.description.as_deref().is_none_or(|d| d.trim().is_empty()) {
            cx.rep.warning(
                &path,
                format!("prompt `{name}` has no description"),
                Some("add `description: …`".to_owned()),
            );
        }
        let args = p.argument_names();
        let Some(messages) = &p.messages else {
            cx.claim(
                format!("prompt_{}", snake(name)),
                &path,
                &format!("prompt `{name}`"),
            );
            cx.claim(
                format!("{}Arguments", camel(name)),
                &path,
                &format!("prompt `{name}`"),
            );
            let mut fields = HashMap::new();
            for a in &args {
                if let Some(other) = fields.insert(snake(a), *a) {
                    cx.rep.error(
                        &join(&join(&path, "arguments"), a),
                        format!("arguments `{other}` and `{a}` collide as Rust fields"),
                    );
                }
            }
            continue;
        };
        if messages.is_empty() {
            cx.rep.warning(
                &join(&path, "messages"),
                format!("prompt `{name}` has no messages"),
                None,
            );
        }
        let mut json_messages = Vec::new();
        for (i, msg) in messages.iter().enumerate() {
            let mpath = index(&join(&path, "messages"), i);
            let given = present_keys(&[
                ("text", msg.text.is_some()),
                ("image", msg.image.is_some()),
                ("audio", msg.audio.is_some()),
                ("resource", msg.resource.is_some()),
            ]);
            if given.len() != 1 {
                cx.rep.error_hint(
                    &mpath,
                    if given.is_empty() {
                        "a prompt message needs content".to_owned()
                    } else {
                        format!(
                            "a prompt message has one content, not `{}`",
                            given.join("` and `")
                        )
                    },
                    "give exactly one of `text`, `image`, `audio`, `resource`",
                );
                continue;
            }
            let content = if let Some(text) = &msg.text {
                cx.template(text, &join(&mpath, "text"), &args, "argument");
                Some(json!({ "type": "text", "text": text }))
            } else if let Some(media) = &msg.image {
                media_content(media, "image", &join(&mpath, "image"), cx)
            } else if let Some(media) = &msg.audio {
                media_content(media, "audio", &join(&mpath, "audio"), cx)
            } else if let Some(res) = &msg.resource {
                resource_content(res, &join(&mpath, "resource"), &args, cx)
            } else {
                None
            };
            if let Some(content) = content {
                json_messages.push(json!({ "role": msg.role.as_str(), "content": content }));
            }
        }
        out.insert(name.clone(), Value::Array(json_messages));
    }
    out
}

fn media_content(media: &Media, kind: &str, path: &str, cx: &mut Ctx<'_, '_>) -> Option<Value> {
    let data = match (&media.data, &media.file) {
        (Some(data), None) => {
            cx.base64(data, &join(path, "data"))?;
            data.trim().to_owned()
        }
        (None, Some(file)) => {
            let (_, bytes) = cx.read_file(file, &join(path, "file"))?;
            BASE64.encode(bytes)
        }
        _ => {
            cx.rep.error_hint(
                path,
                format!("{kind} content needs exactly one of `data` and `file`"),
                "`data` is base64; `file` is relative to the manifest",
            );
            return None;
        }
    };
    Some(json!({ "type": kind, "data": data, "mimeType": media.mime_type }))
}

fn resource_content(
    res: &EmbeddedResource,
    path: &str,
    args: &[&str],
    cx: &mut Ctx<'_, '_>,
) -> Option<Value> {
    cx.template(&res.uri, &join(path, "uri"), args, "argument");
    let mut obj = Map::new();
    obj.insert("uri".into(), Value::String(res.uri.clone()));
    if let Some(mime) = &res.mime_type {
        obj.insert("mimeType".into(), Value::String(mime.clone()));
    }
    match (&res.text, &res.blob, &res.file) {
        (Some(text), None, None) => {
            cx.template(text, &join(path, "text"), args, "argument");
            obj.insert("text".into(), Value::String(text.clone()));
        }
        (None, Some(blob), None) => {
            cx.base64(blob, &join(path, "blob"))?;
            obj.insert("blob".into(), Value::String(blob.trim().to_owned()));
        }
        (None, None, Some(file)) => {
            let (_, bytes) = cx.read_file(file, &join(path, "file"))?;
            let text = match &res.mime_type {
                Some(mime) => is_text_mime(mime),
                None => std::str::from_utf8(&bytes).is_ok(),
            };
            match String::from_utf8(bytes) {
                Ok(s) if text => {
                    // Message strings are templates; a file's text is served as is.
                    let s = if s.contains("{% endraw %}") {
                        s
                    } else {
                        format!("{{% raw %}}{s}{{% endraw %}}")
                    };
                    obj.insert("text".into(), Value::String(s));
                }
                Ok(s) => {
                    obj.insert("blob".into(), Value::String(BASE64.encode(s)));
                }
                Err(e) => {
                    obj.insert("blob".into(), Value::String(BASE64.encode(e.into_bytes())));
                }
            }
        }
        _ => {
            cx.rep.error_hint(
                path,
                "an embedded resource needs exactly one of `text`, `blob` and `file`",
                "`text` is a template, `blob` base64, `file` relative to the manifest",
            );
            return None;
        }
    }
    Some(json!({ "type": "resource", "resource": Value::Object(obj) }))
}

const FORM_ROOT_KEYS: &[&str] = &[
    "type",
    "properties",
    "required",
    "title",
    "description",
    "$schema",
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

fn elicitations(m: &Manifest, cx: &mut Ctx<'_, '_>) -> IndexMap<String, Vec<FormField>> {
    let mut out = IndexMap::new();
    for (name, e) in &m.elicitations {
        let path = join("elicitations", name);
        cx.claim(camel(name), &path, &format!("elicitation `{name}`"));
        let spath = join(&path, "schema");
        let s = &e.schema;
        let hint = "elicitation schemas are flat objects of string, number, integer, boolean and enum properties";
        for key in s.keys() {
            if !FORM_ROOT_KEYS.contains(&key.as_str()) {
                cx.rep.error_hint(
                    &join(&spath, key),
                    format!("`{key}` is outside the restricted elicitation schema"),
                    hint,
                );
            }
        }
        if s.get("type").and_then(Value::as_str) != Some("object") {
            cx.rep.error_hint(
                &spath,
                "an elicitation schema's root must be `type: object`",
                hint,
            );
        }
        let props = match s.get("properties") {
            Some(Value::Object(p)) => p.clone(),
            Some(_) => {
                cx.rep.error_value(
                    &join(&spath, "properties"),
                    "`properties` must be a map",
                    None,
                );
                Map::new()
            }
            None => {
                cx.rep
                    .error_hint(&spath, "an elicitation schema needs `properties`", hint);
                Map::new()
            }
        };
        let required: Vec<&str> = match s.get("required") {
            None => Vec::new(),
            Some(Value::Array(r)) => r.iter().filter_map(Value::as_str).collect(),
            Some(_) => {
                cx.rep.error_value(
                    &join(&spath, "required"),
                    "`required` must be a list of property names",
                    None,
                );
                Vec::new()
            }
        };
        for r in &required {
            if !props.contains_key(*r) {
                cx.rep.error_value(
                    &join(&spath, "required"),
                    format!("`{r}` is required but not a property"),
                    None,
                );
            }
        }
        let mut fields = Vec::new();
        let mut rust_names = HashMap::new();
        for (pname, prop) in &props {
            let ppath = join(&join(&spath, "properties"), pname);
            if let Some(other) = rust_names.insert(snake(pname), pname.clone()) {
                cx.rep.error(
                    &ppath,
                    format!("properties `{other}` and `{pname}` collide as Rust fields"),
                );
            }
            let Some(prop) = prop.as_object() else {
                cx.rep
                    .error_value(&ppath, "a property must be a schema object", None);
                continue;
            };
            if let Some(ty) = form_field(prop, &ppath, cx) {
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
        out.insert(name.clone(), fields);
    }
    out
}

fn form_field(prop: &Map<String, Value>, path: &str, cx: &mut Ctx<'_, '_>) -> Option<FieldType> {
    let ty = prop.get("type").and_then(Value::as_str);
    let (ty, extra): (FieldType, &[&str]) = match ty {
        Some("string") => (FieldType::String, STRING_KEYS),
        Some("integer") => (FieldType::Integer, NUMBER_KEYS),
        Some("number") => (FieldType::Number, NUMBER_KEYS),
        Some("boolean") => (FieldType::Boolean, &[]),
        Some("array") => (FieldType::StringList, ARRAY_KEYS),
        other => {
            cx.rep.error_hint(
                path,
                match other {
                    Some(t) => format!("type `{t}` is outside the restricted elicitation schema"),
                    None => "an elicitation property needs a `type`".to_owned(),
                },
                "use `string`, `number`, `integer`, `boolean`, or `array` of enum strings",
            );
            return None;
        }
    };
    let mut ok = true;
    for key in prop.keys() {
        if !COMMON_KEYS.contains(&key.as_str()) && !extra.contains(&key.as_str()) {
            let allowed: Vec<&str> = COMMON_KEYS.iter().chain(extra).copied().collect();
            cx.rep.error_hint(
                &join(path, key),
                format!("`{key}` is outside the restricted elicitation schema"),
                format!(
                    "a {} property may have {}",
                    prop["type"].as_str().unwrap_or_default(),
                    allowed
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            ok = false;
        }
    }
    if let Some(one_of) = prop.get("oneOf") {
        ok &= titled_consts(one_of, &join(path, "oneOf"), cx);
    }
    if let Some(e) = prop.get("enum") {
        if !e.as_array().is_some_and(|a| a.iter().all(Value::is_string)) {
            cx.rep.error_value(
                &join(path, "enum"),
                "`enum` must be a list of strings",
                None,
            );
            ok = false;
        }
    }
    if ty == FieldType::StringList {
        match prop.get("items").and_then(Value::as_object) {
            Some(items) => {
                let ipath = join(path, "items");
                if let Some(any_of) = items.get("anyOf") {
                    ok &= titled_consts(any_of, &join(&ipath, "anyOf"), cx);
                } else if items.get("type").and_then(Value::as_str) != Some("string")
                    || !items
                        .get("enum")
                        .and_then(Value::as_array)
                        .is_some_and(|a| a.iter().all(Value::is_string))
                {
                    cx.rep.error_hint(&ipath, "array items must be `{ type: string, enum: [...] }` or `{ anyOf: [{ const, title }] }`", "elicitation arrays are multi-select enums");
                    ok = false;
                }
                for key in items.keys() {
                    if !["type", "enum", "anyOf"].contains(&key.as_str()) {
                        cx.rep.error(
                            &join(&ipath, key),
                            format!("`{key}` is outside the restricted elicitation schema"),
                        );
                        ok = false;
                    }
                }
            }
            None => {
                cx.rep.error_hint(path, "an array property needs `items`", "elicitation arrays are multi-select enums: `items: { type: string, enum: [...] }`");
                ok = false;
            }
        }
    }
    ok.then_some(ty)
}

/// `[{const, title}]`, as `oneOf` of a single-select or `anyOf` of a multi-select.
fn titled_consts(v: &Value, path: &str, cx: &mut Ctx<'_, '_>) -> bool {
    let ok = v.as_array().is_some_and(|items| {
        items.iter().all(|i| {
            i.as_object().is_some_and(|o| {
                o.get("const").is_some_and(Value::is_string)
                    && o.keys().all(|k| k == "const" || k == "title")
            })
        })
    });
    if !ok {
        cx.rep.error_hint(
            path,
            "expected a list of `{ const: <string>, title: <string> }`",
            "titled enums list each option as `{ const, title }`",
        );
    }
    ok
}

fn completions(m: &Manifest, cx: &mut Ctx<'_, '_>, template_vars: &[Vec<(String, VarType)>]) {
    let mut seen: HashSet<(String, String)> = HashSet::new();
    for (i, c) in m.completions.iter().enumerate() {
        let path = index("completions", i);
        let coded = c.coded == Some(true);
        match (&c.values, coded) {
            (Some(_), true) => cx.rep.error_hint(
                &path,
                "a completion has either `values` or `coded: true`, not both",
                "remove one of them",
            ),
            (None, false) => cx.rep.error_hint(
                &path,
                "a completion needs `values` or `coded: true`",
                "add `values: [...]` or `coded: true`",
            ),
            _ => {}
        }
        let (owner, arg) = match (&c.prompt, &c.argument, &c.template, &c.variable) {
            (Some(prompt), Some(arg), None, None) => {
                let Some(p) = m.prompts.get(prompt) else {
                    let names: Vec<&str> = m.prompts.keys().map(String::as_str).collect();
                    cx.rep.report(
                        Severity::Error,
                        At::Value,
                        &join(&path, "prompt"),
                        format!("no prompt is named `{prompt}`"),
                        Some(crate::load::did_you_mean(prompt, &names)),
                    );
                    continue;
                };
                let args = p.argument_names();
                if !args.contains(&arg.as_str()) {
                    cx.rep.report(
                        Severity::Error,
                        At::Value,
                        &join(&path, "argument"),
                        format!("prompt `{prompt}` has no argument `{arg}`"),
                        Some(crate::load::did_you_mean(arg, &args)),
                    );
                    continue;
                }
                (prompt.clone(), arg.clone())
            }
            (None, None, Some(template), Some(var)) => {
                let Some(ti) = m
                    .resource_templates
                    .iter()
                    .position(|t| &t.uri_template == template)
                else {
                    let names: Vec<&str> = m
                        .resource_templates
                        .iter()
                        .map(|t| t.uri_template.as_str())
                        .collect();
                    cx.rep.report(
                        Severity::Error,
                        At::Value,
                        &join(&path, "template"),
                        format!("no resource template is `{template}`"),
                        Some(crate::load::did_you_mean(template, &names)),
                    );
                    continue;
                };
                let vars: Vec<&str> = template_vars[ti].iter().map(|(n, _)| n.as_str()).collect();
                if !vars.contains(&var.as_str()) {
                    cx.rep.report(
                        Severity::Error,
                        At::Value,
                        &join(&path, "variable"),
                        format!("`{template}` has no variable `{var}`"),
                        Some(crate::load::did_you_mean(var, &vars)),
                    );
                    continue;
                }
                (m.resource_templates[ti].name.clone(), var.clone())
            }
            _ => {
                cx.rep.error_hint(
                    &path,
                    "a completion targets `prompt` + `argument` or `template` + `variable`",
                    "e.g. `{ prompt: greeting, argument: style, values: [formal, casual] }`",
                );
                continue;
            }
        };
        if !seen.insert((owner.clone(), arg.clone())) {
            cx.rep.error(
                &path,
                format!("a completion for `{owner}` / `{arg}` is already declared"),
            );
        }
        if coded {
            cx.claim(
                format!("complete_{}_{}", snake(&owner), snake(&arg)),
                &path,
                "this completion",
            );
        }
    }
}

/// Whether the runtime can match URIs against this (well-formed) template: it
/// reverses single-variable `{var}`, `{+var}`, `{#var}` and `{/var}` expressions
/// separated by literals, not RFC 6570's query, label and list forms.
fn runtime_matchable(template: &str) -> Result<(), String> {
    let mut rest = template;
    let mut previous_was_expression = false;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c);
        if open == 0 && previous_was_expression {
            return Err("two expressions with no literal between them".to_owned());
        }
        let expr = &rest[open + 1..close];
        let name = expr.strip_prefix(['+', '#', '/']).unwrap_or(expr);
        if let Some(op) = expr.chars().next().filter(|c| ".;?&".contains(*c)) {
            return Err(format!("the `{op}` operator is not supported"));
        }
        if name.contains(',') {
            return Err(format!("`{{{expr}}}` has more than one variable"));
        }
        if name.contains([':', '*']) {
            return Err(format!("`{{{expr}}}` uses a modifier"));
        }
        previous_was_expression = true;
        rest = &rest[(close + 1).min(rest.len())..];
        if !rest.starts_with('{') {
            previous_was_expression = false;
        }
    }
    Ok(())
}

/// The keys, of mutually exclusive ones, that a manifest entry gives.
fn present_keys(keys: &[(&'static str, bool)]) -> Vec<&'static str> {
    keys.iter()
        .filter(|(_, present)| *present)
        .map(|(key, _)| *key)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_templates() {
        assert_eq!(uri_template_vars("test://items/{n}").unwrap(), vec!["n"]);
        assert_eq!(
            uri_template_vars("a://{x}/{+y}{?p,q*}{/z:3}").unwrap(),
            vec!["x", "y", "p", "q", "z"]
        );
        assert!(uri_template_vars("a://{x").is_err());
        assert!(uri_template_vars("a://x}").is_err());
        assert!(uri_template_vars("a://{}").is_err());
        assert!(uri_template_vars("a://{=x}").is_err());
        assert!(uri_template_vars("a://{x-y}").is_err());
    }

    #[test]
    fn templates_the_runtime_cannot_match_are_refused() {
        assert!(runtime_matchable("test://items/{n}").is_ok());
        assert!(runtime_matchable("file:///{+path}").is_ok());
        assert!(runtime_matchable("a://{x}/{y}").is_ok());
        assert!(runtime_matchable("a://x{/name}").is_ok());
        assert!(runtime_matchable("a://{x}{y}").is_err());
        assert!(runtime_matchable("a://s{?q,limit}").is_err());
        assert!(runtime_matchable("a://{x,y}").is_err());
        assert!(runtime_matchable("a://{x:3}").is_err());
    }

    #[test]
    fn text_mimes() {
        assert!(is_text_mime("text/plain; charset=utf-8"));
        assert!(is_text_mime("application/ld+json"));
        assert!(!is_text_mime("image/png"));
    }
}
