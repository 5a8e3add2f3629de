//! Validation: every semantic check on a loaded manifest, and the resolved facts
//! (file contents, template variables, prompt messages) that emission needs.
//!
//! The checks of tool schemas live in [`schema`], those of elicitation forms in
//! [`form`].

mod form;
mod header;
mod schema;

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use indexmap::IndexMap;
use serde_json::{Map, Value, json};

use crate::diag::{Reporter, Severity};
use crate::hints::{closest, did_you_mean};
use crate::load::{Broken, Loaded};
use crate::model::{BadTimeout, EmbeddedResource, Manifest, Media, VarType};
use crate::names::{camel, has_word, is_keyword, member, snake};
use crate::path::{index, join};
use crate::span::At;

pub(crate) use form::{FieldType, FormField};

/// Where a static resource's contents come from.
pub(crate) enum ResourceBody {
    /// Read by a handler.
    Dynamic,
    /// Text, inline or from a file.
    Text(String),
    /// Bytes, from base64 or a file.
    Blob(Vec<u8>),
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

/// Which Rust namespace a generated name lives in.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Namespace {
    /// Methods of the `<Stem>Server` trait.
    Method,
    /// Types of the generated module.
    Type,
}

/// The first claim of a generated Rust name: what claimed it, from which name.
struct Claim {
    what: String,
    from: String,
}

struct Ctx<'r, 'a> {
    rep: &'r mut Reporter<'a>,
    /// What did not load.
    broken: &'r Broken,
    /// The manifest's directory, as given.
    base: PathBuf,
    /// The manifest's file name, for hints.
    manifest_name: String,
    files: Vec<PathBuf>,
    claims: HashMap<(Namespace, String), Claim>,
}

impl Ctx<'_, '_> {
    /// Registers a generated Rust name made from the manifest name `from`; reports
    /// a collision with an earlier one, or with a name the generated code imports.
    fn claim(&mut self, ns: Namespace, rust: String, from: &str, path: &str, what: &str) {
        let kind = match ns {
            Namespace::Method => "method",
            Namespace::Type => "type",
        };
        if ns == Namespace::Type && crate::names::FACADE_NAMES.contains(&rust.as_str()) {
            self.rep.error_hint(
                path,
                format!(
                    "{what} becomes the Rust type `{rust}`, which the generated code imports from the runtime"
                ),
                "rename it; the generated module needs the runtime's name",
            );
            return;
        }
        match self.claims.get(&(ns, rust.clone())) {
            Some(first) => {
                let names = [first.from.as_str(), from];
                let keyword = names
                    .iter()
                    .find(|n| is_keyword(n))
                    .or_else(|| names.iter().find(|n| is_keyword(&snake(n))));
                let hint = if let Some(kw) = keyword {
                    format!(
                        "`{kw}` is a Rust keyword, so it becomes `{}`; rename one of them",
                        member(kw)
                    )
                } else {
                    "names that differ only in case or in `-`, `.` and `_` become the same Rust name; rename one of them".to_owned()
                };
                let message = format!(
                    "{what} becomes the Rust {kind} `{rust}`, which {} already uses",
                    first.what
                );
                self.rep.error_hint(path, message, hint);
            }
            None => {
                self.claims.insert(
                    (ns, rust),
                    Claim {
                        what: what.to_owned(),
                        from: from.to_owned(),
                    },
                );
            }
        }
    }

    /// Reports the name of a `kind` (`prompt`, …) that makes `rust` (e.g. "the
    /// method `prompt_…`") in generated code when it has nothing to make it from.
    fn wordy(&mut self, name: &str, path: &str, kind: &str, rust: &str) -> bool {
        if has_word(name) {
            return true;
        }
        let message = if name.is_empty() {
            format!("a {kind} has an empty name")
        } else {
            format!("{kind} `{name}` has no letter or digit to make a Rust name from")
        };
        let hint = format!(
            "its name makes {rust} in the generated code; use letters, e.g. `daily_summary`"
        );
        self.rep.error_hint(path, message, hint);
        false
    }

    /// Reads a file relative to the manifest; reports a missing one.
    fn read_file(&mut self, rel: &str, path: &str) -> Option<(PathBuf, Vec<u8>)> {
        let full = self.base.join(rel);
        let abs = std::path::absolute(&full).unwrap_or(full);
        self.files.push(abs.clone());
        match std::fs::read(&abs) {
            Ok(bytes) => Some((abs, bytes)),
            Err(e) => {
                let message = match e.kind() {
                    std::io::ErrorKind::NotFound => format!("file `{rel}` does not exist"),
                    std::io::ErrorKind::IsADirectory => {
                        format!("`{rel}` is a directory, not a file")
                    }
                    std::io::ErrorKind::PermissionDenied => {
                        format!("file `{rel}` cannot be read: permission denied")
                    }
                    _ => format!("file `{rel}` cannot be read: {e}"),
                };
                let mut hint = format!(
                    "paths are relative to the directory of `{}`",
                    self.manifest_name
                );
                if let Some(near) = near_file(&abs, rel) {
                    hint = format!("did you mean `{near}`? ({hint})");
                }
                self.rep
                    .report(Severity::Error, At::Value, path, message, Some(hint));
                None
            }
        }
    }

    fn base64(&mut self, data: &str, path: &str) -> Option<Vec<u8>> {
        use base64::DecodeError;
        let trimmed = data.trim();
        let start = data.len() - data.trim_start().len();
        let char_at = |offset: usize| {
            let c = trimmed
                .get(offset..)
                .and_then(|t| t.chars().next())
                .unwrap_or(' ');
            (
                format!("`{}`", c.escape_default()),
                start + offset..start + offset + c.len_utf8(),
            )
        };
        let (why, range) = match BASE64.decode(trimmed) {
            Ok(b) => return Some(b),
            Err(DecodeError::InvalidByte(offset, _)) => {
                let (c, range) = char_at(offset);
                (format!("{c} is not a base64 character"), range)
            }
            Err(DecodeError::InvalidLastSymbol(offset, _)) => {
                let (c, range) = char_at(offset);
                (
                    format!("the last symbol {c} has bits set past the data"),
                    range,
                )
            }
            Err(DecodeError::InvalidLength(n)) => (
                format!("{n} base64 characters do not make whole bytes"),
                0..data.len(),
            ),
            Err(DecodeError::InvalidPadding) => {
                ("the `=` padding is wrong".to_owned(), 0..data.len())
            }
        };
        self.rep.report_in_value(
            Severity::Error,
            path,
            data,
            range,
            format!("invalid base64: {why}"),
            Some("give the bytes base64-encoded (standard alphabet, padded), or embed a file with `file`".to_owned()),
        );
        None
    }

    /// Checks a minijinja template and that it uses only `allowed` variables;
    /// returns the variables it uses, or `None` when it has a problem.
    fn template(
        &mut self,
        text: &str,
        path: &str,
        allowed: &[&str],
        owner: &str,
    ) -> Option<Vec<String>> {
        let env = minijinja::Environment::new();
        match env.template_from_str(text) {
            Ok(t) => {
                let mut used: Vec<String> = t
                    .undeclared_variables(false)
                    .into_iter()
                    .filter(|v| !TEMPLATE_GLOBALS.contains(&v.as_str()))
                    .collect();
                used.sort();
                let mut clean = true;
                for v in used.iter().filter(|v| !allowed.contains(&v.as_str())) {
                    clean = false;
                    let hint = match closest(v, allowed) {
                        Some(near) => format!("did you mean `{near}`?"),
                        None if allowed.is_empty() => {
                            format!("{owner} declares none; declare `{v}` or remove it")
                        }
                        None => format!("{owner} declares {}", backticks(allowed)),
                    };
                    let range = variable_range(text, v);
                    self.rep.report_in_value(
                        Severity::Error,
                        path,
                        text,
                        range,
                        format!("the template uses `{v}`, which {owner} does not declare"),
                        Some(hint),
                    );
                }
                clean.then_some(used)
            }
            Err(e) => {
                let detail = e
                    .detail()
                    .map_or_else(|| e.kind().to_string(), str::to_owned);
                let range = e.range().unwrap_or(0..text.len());
                self.rep.report_in_value(
                    Severity::Error,
                    path,
                    text,
                    range,
                    format!("the template does not parse: {detail}"),
                    Some(
                        "templates are minijinja (Jinja2): `{{ name }}` inserts a value; write `{% raw %}…{% endraw %}` around literal braces"
                            .to_owned(),
                    ),
                );
                None
            }
        }
    }
}

/// Adds the variables one template uses to those of its prompt; a template with
/// a problem makes them unknown.
fn merge(used: &mut Option<HashSet<String>>, found: Option<Vec<String>>) {
    match (used.as_mut(), found) {
        (Some(u), Some(f)) => u.extend(f),
        _ => *used = None,
    }
}

pub(crate) use crate::hints::backticks;

/// A file in the same directory as `abs` whose name is close to its name, as a
/// path like `rel`.
fn near_file(abs: &Path, rel: &str) -> Option<String> {
    let dir = abs.parent()?;
    let name = abs.file_name()?.to_str()?;
    let entries: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    let candidates: Vec<&str> = entries
        .iter()
        .map(String::as_str)
        .filter(|e| *e != name)
        .collect();
    let near = closest(name, &candidates)?;
    let prefix = rel.rfind(['/', '\\']).map_or("", |i| &rel[..=i]);
    Some(format!("{prefix}{near}"))
}

/// Where a template first uses variable `name` (inside `{{ }}` or `{% %}`).
fn variable_range(text: &str, name: &str) -> Range<usize> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut inside = false;
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        if rest.starts_with("{{") || rest.starts_with("{%") {
            inside = true;
            i += 2;
            continue;
        }
        if rest.starts_with("}}") || rest.starts_with("%}") {
            inside = false;
            i += 2;
            continue;
        }
        if inside
            && rest.starts_with(name)
            && !text[..i].ends_with(|c: char| is_word(c) || c == '.')
            && !rest[name.len()..].starts_with(is_word)
        {
            return i..i + name.len();
        }
        i += rest.chars().next().map_or(1, char::len_utf8);
    }
    0..text.len()
}

/// Validates a manifest. Returns the plan when there is no error.
/// Every file it reads (absolute, even missing ones) is added to `files`.
pub(crate) fn validate<'m>(
    loaded: &'m Loaded,
    manifest_path: &Path,
    stem: &str,
    rep: &mut Reporter<'_>,
    files: &mut Vec<PathBuf>,
) -> Option<Plan<'m>> {
    let base = manifest_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let manifest_name = manifest_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let m = &loaded.manifest;
    let mut cx = Ctx {
        rep,
        broken: &loaded.broken,
        base,
        manifest_name,
        files: Vec::new(),
        claims: HashMap::new(),
    };
    cx.claim(
        Namespace::Type,
        format!("{}Server", camel(stem)),
        stem,
        "",
        &format!("the handler trait of `{}`", cx.manifest_name.clone()),
    );

    server(m, &mut cx);
    tools(m, &mut cx);
    let resources = resources(m, &mut cx);
    let template_vars = templates(m, &mut cx);
    let prompt_messages = prompts(m, &mut cx);
    let forms = form::elicitations(m, &mut cx);
    completions(m, &mut cx, &template_vars);
    access(m, &mut cx);

    files.append(&mut cx.files);
    quiet_partial_items(cx.rep, &loaded.partial);
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

/// Drops the warnings about items loaded without their unknown fields: what
/// they lack (a description, a variable's type) is likely in the misspelt field
/// reported already.
fn quiet_partial_items(rep: &mut Reporter<'_>, partial: &[String]) {
    if partial.is_empty() {
        return;
    }
    rep.diags.retain(|d| {
        d.severity == Severity::Error
            || !partial.iter().any(|p| {
                d.path == *p
                    || d.path.starts_with(&format!("{p}."))
                    || d.path.starts_with(&format!("{p}["))
            })
    });
}

fn server(m: &Manifest, cx: &mut Ctx<'_, '_>) {
    if cx.broken.server {
        return;
    }
    if m.server.name.trim().is_empty() {
        cx.rep.error_value(
            "server.name",
            "the server name is empty",
            Some("clients show it as `serverInfo.name`; e.g. `name: weather`".to_owned()),
        );
    }
    if m.server.version.trim().is_empty() {
        cx.rep.error_value(
            "server.version",
            "the server version is empty",
            Some("e.g. `version: 0.1.0`".to_owned()),
        );
    }
}

/// Scopes and roles: each scope an OAuth scope token (RFC 6749 §3.3: visible
/// ASCII but `"` and `\`, no spaces), each role name one too, and roles that grant
/// nothing are reported.
fn access(m: &Manifest, cx: &mut Ctx<'_, '_>) {
    const HINT: &str = "a scope is one word of visible ASCII without `\"` or `\\`, such as \
                        `notes:read`; list several as `[notes:read, notes:write]`";
    let is_token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
    };
    let mut lists: Vec<(String, &Vec<String>)> = Vec::new();
    if let Some(scopes) = &m.server.scopes {
        lists.push(("server.scopes".to_owned(), scopes));
    }
    for (name, tool) in &m.tools {
        if let Some(scopes) = &tool.scopes {
            lists.push((join(&join("tools", name), "scopes"), scopes));
        }
    }
    for (i, r) in m.resources.iter().enumerate() {
        if let Some(scopes) = &r.scopes {
            lists.push((join(&index("resources", i), "scopes"), scopes));
        }
    }
    for (i, t) in m.resource_templates.iter().enumerate() {
        if let Some(scopes) = &t.scopes {
            lists.push((join(&index("resource_templates", i), "scopes"), scopes));
        }
    }
    for (name, prompt) in &m.prompts {
        if let Some(scopes) = &prompt.scopes {
            lists.push((join(&join("prompts", name), "scopes"), scopes));
        }
    }
    for (role, scopes) in &m.roles {
        let path = join("roles", role);
        if !is_token(role) {
            cx.rep.error_hint(
                &path,
                format!("`{role}` cannot be a role name"),
                "a role is named as tokens' role claim lists it: one word, such as `admin`",
            );
        }
        if scopes.is_empty() {
            cx.rep.warning(
                &path,
                format!("role `{role}` grants no scope"),
                Some("list the scopes it grants, such as `[notes:read, notes:write]`".to_owned()),
            );
        }
        lists.push((path, scopes));
    }
    for (path, scopes) in lists {
        for (i, scope) in scopes.iter().enumerate() {
            if !is_token(scope) {
                cx.rep.error_value(
                    &index(&path, i),
                    format!("`{scope}` is not an OAuth scope"),
                    Some(HINT.to_owned()),
                );
            }
        }
    }
}

/// The characters of a tool name that MCP does not allow, each once.
fn bad_tool_chars(name: &str) -> Vec<char> {
    let mut bad = Vec::new();
    for c in name.chars() {
        let allowed = c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
        if !allowed && !bad.contains(&c) {
            bad.push(c);
        }
    }
    bad
}

/// MCP's limit on a tool name's length.
const TOOL_NAME_MAX: usize = 128;
/// The length above which common clients reject a tool name.
const TOOL_NAME_PORTABLE: usize = 64;

fn tools(m: &Manifest, cx: &mut Ctx<'_, '_>) {
    const CHARSET: &str = "tool names use only A-Z, a-z, 0-9, `_`, `-` and `.`";
    for (name, tool) in &m.tools {
        let path = join("tools", name);
        let len = name.chars().count();
        let bad = bad_tool_chars(name);
        if name.is_empty() {
            cx.rep.error_hint(&path, "a tool name is empty", CHARSET);
        } else if !bad.is_empty() {
            let shown: Vec<String> = bad
                .iter()
                .map(|c| match c {
                    ' ' => "space".to_owned(),
                    c if c.is_control() => format!("{:?}", c),
                    c => format!("`{c}`"),
                })
                .collect();
            cx.rep.error_hint(
                &path,
                format!(
                    "tool name `{name}` has {} MCP does not allow: {}",
                    if bad.len() == 1 {
                        "a character"
                    } else {
                        "characters"
                    },
                    shown.join(", ")
                ),
                CHARSET,
            );
        }
        if len > TOOL_NAME_MAX {
            cx.rep.error_hint(
                &path,
                format!("tool name is {len} characters long; MCP allows at most {TOOL_NAME_MAX}"),
                format!("shorten it, ideally to {TOOL_NAME_PORTABLE} characters or fewer"),
            );
        } else if len > TOOL_NAME_PORTABLE {
            cx.rep.warning(
                &path,
                format!(
                    "tool name is {len} characters long; some clients reject names longer than {TOOL_NAME_PORTABLE}"
                ),
                Some(format!("shorten it to {TOOL_NAME_PORTABLE} characters or fewer")),
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
                    "the model chooses tools by their descriptions, and some clients require one; add `description: …`"
                        .to_owned(),
                ),
            );
        }
        let what = format!("tool `{name}`");
        cx.claim(Namespace::Method, member(name), name, &path, &what);
        for (kind, s) in [("input", &tool.input), ("output", &tool.output)] {
            let Some(s) = s else { continue };
            let ty = format!(
                "{}{}",
                camel(name),
                if kind == "input" { "Input" } else { "Output" }
            );
            cx.claim(
                Namespace::Type,
                ty,
                name,
                &path,
                &format!("the {kind} of {what}"),
            );
            schema::tool_schema(s, &join(&path, kind), kind, cx);
            if kind == "input" {
                header::annotations(s, &join(&path, kind), cx);
            }
        }
        tool_policy(name, tool, &path, cx);
    }
}

/// A tool's policy: required client capabilities, tasks, its timeout.
fn tool_policy(name: &str, tool: &crate::model::Tool, path: &str, cx: &mut Ctx<'_, '_>) {
    let mut seen = Vec::new();
    for (i, capability) in tool.requires.iter().flatten().enumerate() {
        if seen.contains(capability) {
            cx.rep.report(
                Severity::Warning,
                At::Value,
                &index(&join(path, "requires"), i),
                format!("`{}` is listed twice in `requires`", capability.as_str()),
                Some("remove the second one".to_owned()),
            );
        } else {
            seen.push(*capability);
        }
    }
    let never_a_task = tool
        .task_support
        .is_none_or(|t| t == crate::model::TaskSupport::Forbidden);
    if tool.task_starts.is_some() && never_a_task {
        cx.rep.warning(
            &join(path, "task_starts"),
            format!("`task_starts` has no effect: tool `{name}` never runs as a task"),
            Some(
                "set `task_support: optional` or `task_support: required`, or remove `task_starts`"
                    .to_owned(),
            ),
        );
    }
    if let Some(Err(bad)) = tool.timeout_ms() {
        let text = tool.timeout.as_deref().unwrap_or_default();
        let message = match bad {
            BadTimeout::NotADuration(why) => format!("`{text}` is not a duration: {why}"),
            BadTimeout::Zero => format!("a timeout of `{text}` would end every call at once"),
            BadTimeout::UnderAMillisecond => {
                format!("`{text}` is shorter than a millisecond, the shortest timeout")
            }
            BadTimeout::TooLong => format!("`{text}` is too long for a timeout"),
        };
        cx.rep.error_value(
            &join(path, "timeout"),
            message,
            Some(
                "write a positive number and a unit: `500ms`, `30s`, `2m`, `1h 30m`; remove `timeout` for the server's default"
                    .to_owned(),
            ),
        );
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
                format!("`{first}` already declares it; resource URIs must be unique"),
            );
        }
        if !has_scheme(&r.uri) {
            cx.rep.error_value(
                &join(&path, "uri"),
                format!("`{}` is not an absolute URI", r.uri),
                Some("a URI starts with a scheme, e.g. `file:///…` or `app://…`".to_owned()),
            );
        }
        if r.description.as_deref().is_none_or(|d| d.trim().is_empty()) {
            cx.rep.warning(
                &path,
                format!("resource `{}` has no description", r.name),
                Some("clients show it to the model and the user; add `description: …`".to_owned()),
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
                        cx.rep.error_value(
                            &join(&path, "file"),
                            format!("`{file}` is not UTF-8 text, but its MIME type is a text type"),
                            Some(
                                "convert the file to UTF-8, or set a binary `mime_type`".to_owned(),
                            ),
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
            if cx.wordy(
                &r.name,
                &join(&path, "name"),
                "resource",
                "the method `read_…`",
            ) {
                cx.claim(
                    Namespace::Method,
                    format!("read_{}", snake(&r.name)),
                    &r.name,
                    &path,
                    &format!("resource `{}`", r.name),
                );
            }
            (ResourceBody::Dynamic, None)
        };
        out.push((body, r.size.or(size)));
    }
    out
}

/// Whether a URI (or URI template) starts with a scheme: `alpha *( alpha / digit /
/// "+" / "-" / "." ) ":"`.
fn has_scheme(uri: &str) -> bool {
    let Some((scheme, _)) = uri.split_once(':') else {
        return false;
    };
    scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// A problem in a URI template: what, and which bytes of it.
type TemplateError = (String, Range<usize>);

/// The variables of an RFC 6570 URI template, in order, each with where its first
/// use is.
pub(crate) fn uri_template_vars(t: &str) -> Result<Vec<(String, Range<usize>)>, TemplateError> {
    let mut vars: Vec<(String, Range<usize>)> = Vec::new();
    let mut at = 0;
    while let Some(found) = t[at..].find(['{', '}']) {
        let open = at + found;
        check_literal(&t[at..open], at)?;
        if t.as_bytes()[open] == b'}' {
            return Err(("`}` without a matching `{`".to_owned(), open..open + 1));
        }
        let Some(len) = t[open + 1..].find('}') else {
            return Err(("`{` without a matching `}`".to_owned(), open..t.len()));
        };
        let close = open + 1 + len;
        let whole = open..close + 1;
        let expr = &t[open + 1..close];
        if expr.contains('{') {
            return Err(("`{` inside an expression".to_owned(), whole));
        }
        let (expr, mut start) = match expr.chars().next() {
            Some('+' | '#' | '.' | '/' | ';' | '?' | '&') => (&expr[1..], open + 2),
            Some(c @ ('=' | ',' | '!' | '@' | '|')) => {
                return Err((format!("the operator `{c}` is reserved"), whole));
            }
            Some(_) => (expr, open + 1),
            None => return Err(("empty expression `{}`".to_owned(), whole)),
        };
        for spec in expr.split(',') {
            let name = if let Some((name, len)) = spec.split_once(':') {
                if len.is_empty()
                    || len.len() > 4
                    || !len.bytes().all(|b| b.is_ascii_digit())
                    || len.starts_with('0')
                {
                    return Err((
                        format!("bad prefix length in `{spec}`: it is 1 to 9999"),
                        start..start + spec.len(),
                    ));
                }
                name
            } else {
                spec.strip_suffix('*').unwrap_or(spec)
            };
            let range = start..start + name.len();
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'%'))
            {
                return Err((
                    format!("bad variable name `{name}`: use letters, digits and `_`"),
                    if name.is_empty() {
                        whole.clone()
                    } else {
                        range
                    },
                ));
            }
            if !vars.iter().any(|(v, _)| v == name) {
                vars.push((name.to_owned(), range));
            }
            start += spec.len() + 1;
        }
        at = close + 1;
    }
    check_literal(&t[at..], at)?;
    Ok(vars)
}

/// Checks the literal text of a URI template, which starts at byte `offset`.
fn check_literal(text: &str, offset: usize) -> Result<(), TemplateError> {
    match text
        .char_indices()
        .find(|(_, c)| c.is_whitespace() || c.is_control() || "\"'<>\\^`|".contains(*c))
    {
        Some((i, c)) => {
            let shown = if c == ' ' {
                "a space".to_owned()
            } else {
                format!("`{}`", c.escape_default())
            };
            let mut utf8 = [0; 4];
            let encoded: String = c
                .encode_utf8(&mut utf8)
                .bytes()
                .map(|b| format!("%{b:02X}"))
                .collect();
            Err((
                format!("{shown} is not allowed in a URI; write it percent-encoded, `{encoded}`"),
                offset + i..offset + i + c.len_utf8(),
            ))
        }
        None => Ok(()),
    }
}

fn templates(m: &Manifest, cx: &mut Ctx<'_, '_>) -> Vec<Vec<(String, VarType)>> {
    let mut out = Vec::new();
    let mut seen: HashMap<&str, String> = HashMap::new();
    for (i, t) in m.resource_templates.iter().enumerate() {
        let path = index("resource_templates", i);
        let upath = join(&path, "uri_template");
        let uri = t.uri_template.as_str();
        if let Some(first) = seen.insert(uri, path.clone()) {
            cx.rep.error_hint(
                &upath,
                format!("duplicate URI template `{uri}`"),
                format!("`{first}` already declares it; URI templates must be unique"),
            );
        }
        if t.description.as_deref().is_none_or(|d| d.trim().is_empty()) {
            cx.rep.warning(
                &path,
                format!("resource template `{}` has no description", t.name),
                Some("clients show it to the model and the user; add `description: …`".to_owned()),
            );
        }
        let names = match uri_template_vars(uri) {
            Ok(v) => v,
            Err((why, range)) => {
                cx.rep.report_in_value(
                    Severity::Error,
                    &upath,
                    uri,
                    range,
                    format!("malformed URI template: {why}"),
                    Some(
                        "URI templates follow RFC 6570, e.g. `weather://{city}/current`".to_owned(),
                    ),
                );
                out.push(Vec::new());
                continue;
            }
        };
        if !uri.starts_with('{') && !has_scheme(uri) {
            cx.rep.error_value(
                &upath,
                format!("`{uri}` is not an absolute URI template"),
                Some("a URI starts with a scheme, e.g. `weather://{city}/current`".to_owned()),
            );
        }
        let matchable = runtime_matchable(uri);
        if let Err((why, range)) = matchable.clone() {
            cx.rep.report_in_value(
                Severity::Error,
                &upath,
                uri,
                range,
                format!("the runtime cannot match URIs against this template: {why}"),
                Some(
                    "it matches `{var}`, `{+var}`, `{#var}` and `{/var}`, one variable each, with a literal between two expressions"
                        .to_owned(),
                ),
            );
        }
        if names.is_empty() {
            cx.rep.warning(
                &upath,
                format!("URI template `{uri}` has no variables"),
                Some(
                    "a URI without variables is a plain resource; move it to `resources`"
                        .to_owned(),
                ),
            );
        }
        let declared = t.variables.clone().unwrap_or_default();
        let var_names: Vec<&str> = names.iter().map(|(n, _)| n.as_str()).collect();
        for name in declared.keys() {
            if !var_names.contains(&name.as_str()) {
                let hint = match closest(name, &var_names) {
                    Some(near) => {
                        format!("did you mean `{near}`? Variables are the names in `{{…}}`")
                    }
                    None => "remove it, or use it in the URI template as `{…}`".to_owned(),
                };
                cx.rep.error_hint(
                    &join(&join(&path, "variables"), name),
                    format!("variable `{name}` does not appear in `{uri}`"),
                    hint,
                );
            }
        }
        let coded = t.text.is_none();
        let mut vars = Vec::new();
        let mut fields: HashMap<String, String> = HashMap::new();
        for (name, range) in &names {
            let ty = match declared.get(name) {
                Some(v) => v.ty.unwrap_or(VarType::String),
                // The template is refused; its variables' types do not matter yet.
                None if matchable.is_err() => VarType::String,
                None => {
                    cx.rep.report_in_value(
                        Severity::Warning,
                        &upath,
                        uri,
                        range.clone(),
                        format!("variable `{name}` has no declared type, so it is a `String`"),
                        Some(format!(
                            "declare it under `variables`: `{name}: {{ type: string, description: … }}` (or `integer`, `number`, `boolean`)"
                        )),
                    );
                    VarType::String
                }
            };
            if coded {
                if let Some(other) = fields.insert(member(name), name.clone()) {
                    cx.rep.report_in_value(
                        Severity::Error,
                        &upath,
                        uri,
                        range.clone(),
                        format!(
                            "variables `{other}` and `{name}` become the same Rust field `{}`",
                            member(name)
                        ),
                        Some("rename one of them".to_owned()),
                    );
                }
            }
            vars.push((name.clone(), ty));
        }
        match &t.text {
            Some(text) => {
                let owner = format!("template `{}`", t.name);
                cx.template(text, &join(&path, "text"), &var_names, &owner);
            }
            None => {
                if cx.wordy(
                    &t.name,
                    &join(&path, "name"),
                    "resource template",
                    "the method `read_…`",
                ) {
                    let what = format!("resource template `{}`", t.name);
                    cx.claim(
                        Namespace::Method,
                        format!("read_{}", snake(&t.name)),
                        &t.name,
                        &path,
                        &what,
                    );
                    cx.claim(
                        Namespace::Type,
                        format!("{}Variables", camel(&t.name)),
                        &t.name,
                        &path,
                        &format!("the variables of {what}"),
                    );
                }
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
        let what = format!("prompt `{name}`");
        if p.description.as_deref().is_none_or(|d| d.trim().is_empty()) {
            cx.rep.warning(
                &path,
                format!("{what} has no description"),
                Some(
                    "clients show it to the user choosing a prompt; add `description: …`"
                        .to_owned(),
                ),
            );
        }
        let args = p.argument_names();
        let Some(messages) = &p.messages else {
            if cx.wordy(name, &path, "prompt", "the method `prompt_…`") {
                cx.claim(
                    Namespace::Method,
                    format!("prompt_{}", snake(name)),
                    name,
                    &path,
                    &what,
                );
                cx.claim(
                    Namespace::Type,
                    format!("{}Arguments", camel(name)),
                    name,
                    &path,
                    &format!("the arguments of {what}"),
                );
            }
            let mut fields: HashMap<String, &str> = HashMap::new();
            for a in &args {
                if let Some(other) = fields.insert(member(a), a) {
                    cx.rep.error_hint(
                        &join(&join(&path, "arguments"), a),
                        format!(
                            "arguments `{other}` and `{a}` become the same Rust field `{}`",
                            member(a)
                        ),
                        "rename one of them",
                    );
                }
            }
            continue;
        };
        if messages.is_empty() {
            cx.rep.warning(
                &join(&path, "messages"),
                format!("{what} has no messages"),
                Some(
                    "add a message, or remove `messages` to compose the prompt in a handler"
                        .to_owned(),
                ),
            );
        }
        // The variables the messages use; `None` once a template has a problem.
        let mut used: Option<HashSet<String>> = Some(HashSet::new());
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
                        "a prompt message has no content".to_owned()
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
                let found = cx.template(text, &join(&mpath, "text"), &args, &what);
                merge(&mut used, found);
                Some(json!({ "type": "text", "text": text }))
            } else if let Some(media) = &msg.image {
                media_content(media, "image", &join(&mpath, "image"), cx)
            } else if let Some(media) = &msg.audio {
                media_content(media, "audio", &join(&mpath, "audio"), cx)
            } else if let Some(res) = &msg.resource {
                resource_content(res, &join(&mpath, "resource"), &args, &what, &mut used, cx)
            } else {
                None
            };
            if let Some(content) = content {
                json_messages.push(json!({ "role": msg.role.as_str(), "content": content }));
            }
        }
        let unused = args
            .iter()
            .filter(|a| used.as_ref().is_some_and(|u| !u.contains(**a)));
        for a in unused {
            cx.rep.warning(
                &join(&join(&path, "arguments"), a),
                format!("argument `{a}` of {what} is not used by any message"),
                Some(format!(
                    "use it as `{{{{ {a} }}}}` in a message, or remove it"
                )),
            );
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
    owner: &str,
    used: &mut Option<HashSet<String>>,
    cx: &mut Ctx<'_, '_>,
) -> Option<Value> {
    let found = cx.template(&res.uri, &join(path, "uri"), args, owner);
    merge(used, found);
    let mut obj = Map::new();
    obj.insert("uri".into(), Value::String(res.uri.clone()));
    if let Some(mime) = &res.mime_type {
        obj.insert("mimeType".into(), Value::String(mime.clone()));
    }
    match (&res.text, &res.blob, &res.file) {
        (Some(text), None, None) => {
            let found = cx.template(text, &join(path, "text"), args, owner);
            merge(used, found);
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

fn completions(m: &Manifest, cx: &mut Ctx<'_, '_>, template_vars: &[Vec<(String, VarType)>]) {
    let mut seen: HashMap<(String, String), String> = HashMap::new();
    for (i, c) in m.completions.iter().enumerate() {
        let path = index("completions", i);
        let coded = c.coded == Some(true);
        match (&c.values, coded) {
            (Some(_), true) => cx.rep.error_hint(
                &path,
                "a completion has either `values` or `coded: true`, not both",
                "keep `values` for a fixed list, or `coded: true` to complete in a handler",
            ),
            (None, false) => cx.rep.error_hint(
                &path,
                "a completion needs `values` or `coded: true`",
                "add `values: [...]` for a fixed list, or `coded: true` to complete in a handler",
            ),
            (Some(values), false) if values.is_empty() => cx.rep.warning(
                &join(&path, "values"),
                "this completion offers no values",
                Some("list the values to offer, or remove the completion".to_owned()),
            ),
            _ => {}
        }
        let (target, owner, arg) = match (&c.prompt, &c.argument, &c.template, &c.variable) {
            (Some(prompt), Some(arg), None, None) => {
                let Some(p) = m.prompts.get(prompt) else {
                    if !cx.broken.prompt(prompt) {
                        let names: Vec<&str> = m.prompts.keys().map(String::as_str).collect();
                        cx.rep.report(
                            Severity::Error,
                            At::Value,
                            &join(&path, "prompt"),
                            format!("no prompt is named `{prompt}`"),
                            Some(did_you_mean(prompt, &names)),
                        );
                    }
                    continue;
                };
                let args = p.argument_names();
                if !args.contains(&arg.as_str()) {
                    let hint = if args.is_empty() {
                        format!(
                            "prompt `{prompt}` has no arguments; declare `{arg}` under its `arguments`"
                        )
                    } else {
                        did_you_mean(arg, &args)
                    };
                    cx.rep.report(
                        Severity::Error,
                        At::Value,
                        &join(&path, "argument"),
                        format!("prompt `{prompt}` has no argument `{arg}`"),
                        Some(hint),
                    );
                    continue;
                }
                (format!("prompt `{prompt}`"), prompt.clone(), arg.clone())
            }
            (None, None, Some(template), Some(var)) => {
                let Some(ti) = m
                    .resource_templates
                    .iter()
                    .position(|t| &t.uri_template == template)
                else {
                    if !cx.broken.resource_template(template) {
                        let names: Vec<&str> = m
                            .resource_templates
                            .iter()
                            .map(|t| t.uri_template.as_str())
                            .collect();
                        cx.rep.report(
                            Severity::Error,
                            At::Value,
                            &join(&path, "template"),
                            format!("no resource template has the URI template `{template}`"),
                            Some(match closest(template, &names) {
                                Some(near) => format!("did you mean `{near}`? `template` is a template's `uri_template`, exactly as written"),
                                None => "`template` is a template's `uri_template`, exactly as written".to_owned(),
                            }),
                        );
                    }
                    continue;
                };
                let vars: Vec<&str> = template_vars
                    .get(ti)
                    .map(|v| v.iter().map(|(n, _)| n.as_str()).collect())
                    .unwrap_or_default();
                if !vars.contains(&var.as_str()) {
                    // A malformed template has no variables and is reported already.
                    if uri_template_vars(template).is_ok() {
                        cx.rep.report(
                            Severity::Error,
                            At::Value,
                            &join(&path, "variable"),
                            format!("`{template}` has no variable `{var}`"),
                            Some(did_you_mean(var, &vars)),
                        );
                    }
                    continue;
                }
                (
                    format!("`{template}`"),
                    m.resource_templates[ti].name.clone(),
                    var.clone(),
                )
            }
            (prompt, argument, template, variable) => {
                let (message, hint) = match (
                    prompt.is_some() || argument.is_some(),
                    template.is_some() || variable.is_some(),
                ) {
                    (true, true) => (
                        "a completion targets a prompt or a resource template, not both",
                        "keep `prompt` + `argument`, or `template` + `variable`",
                    ),
                    (true, false) if prompt.is_none() => (
                        "a completion of a prompt argument needs `prompt`",
                        "name the prompt: `prompt: <name>`",
                    ),
                    (true, false) => (
                        "a completion of a prompt needs `argument`",
                        "name the argument it completes: `argument: <name>`",
                    ),
                    (false, true) if template.is_none() => (
                        "a completion of a template variable needs `template`",
                        "give the template's `uri_template`: `template: \"app://{id}\"`",
                    ),
                    (false, true) => (
                        "a completion of a resource template needs `variable`",
                        "name the variable it completes: `variable: <name>`",
                    ),
                    (false, false) => (
                        "a completion needs a target",
                        "give `prompt` + `argument`, or `template` + `variable`",
                    ),
                };
                cx.rep.error_hint(&path, message, hint);
                continue;
            }
        };
        if let Some(first) = seen.insert((owner.clone(), arg.clone()), path.clone()) {
            let what = if c.prompt.is_some() {
                "argument"
            } else {
                "variable"
            };
            cx.rep.error_hint(
                &path,
                format!("{what} `{arg}` of {target} already has a completion"),
                format!("`{first}` declares it; merge the two"),
            );
        }
        if coded {
            cx.claim(
                Namespace::Method,
                format!("complete_{}_{}", snake(&owner), snake(&arg)),
                &owner,
                &path,
                &format!("the completion of `{arg}` of {target}"),
            );
        }
    }
}

/// Whether the runtime can match URIs against this (well-formed) template: it
/// reverses single-variable `{var}`, `{+var}`, `{#var}` and `{/var}` expressions
/// separated by literals, not RFC 6570's query, label and list forms.
fn runtime_matchable(template: &str) -> Result<(), TemplateError> {
    let mut at = 0;
    let mut previous_end = None;
    while let Some(found) = template[at..].find('{') {
        let open = at + found;
        let close = template[open..]
            .find('}')
            .map_or(template.len(), |c| open + c);
        let whole = open..(close + 1).min(template.len());
        if previous_end == Some(open) {
            return Err((
                "two expressions with no literal between them".to_owned(),
                whole,
            ));
        }
        let expr = &template[open + 1..close];
        let name = expr.strip_prefix(['+', '#', '/']).unwrap_or(expr);
        if let Some(op) = expr.chars().next().filter(|c| ".;?&".contains(*c)) {
            return Err((format!("the `{op}` operator is not supported"), whole));
        }
        if name.contains(',') {
            return Err((format!("`{{{expr}}}` has more than one variable"), whole));
        }
        if name.contains([':', '*']) {
            return Err((format!("`{{{expr}}}` uses a modifier"), whole));
        }
        previous_end = Some(close + 1);
        at = (close + 1).min(template.len());
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

    fn names(t: &str) -> Vec<String> {
        uri_template_vars(t)
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect()
    }

    #[test]
    fn uri_templates() {
        assert_eq!(names("test://items/{n}"), vec!["n"]);
        assert_eq!(
            names("a://{x}/{+y}{?p,q*}{/z:3}"),
            vec!["x", "y", "p", "q", "z"]
        );
        assert_eq!(uri_template_vars("a://{x}/{+yy}").unwrap()[1].1, 10..12);
        assert_eq!(uri_template_vars("a://{x").unwrap_err().1, 4..6);
        assert_eq!(uri_template_vars("a://x}").unwrap_err().1, 5..6);
        assert!(uri_template_vars("a://{}").is_err());
        assert!(uri_template_vars("a://{=x}").is_err());
        assert_eq!(uri_template_vars("a://{x-y}").unwrap_err().1, 5..8);
        assert_eq!(uri_template_vars("a://b c/{x}").unwrap_err().1, 5..6);
    }

    #[test]
    fn templates_the_runtime_cannot_match_are_refused() {
        assert!(runtime_matchable("test://items/{n}").is_ok());
        assert!(runtime_matchable("file:///{+path}").is_ok());
        assert!(runtime_matchable("a://{x}/{y}").is_ok());
        assert!(runtime_matchable("a://x{/name}").is_ok());
        assert_eq!(runtime_matchable("a://{x}{y}").unwrap_err().1, 7..10);
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

    #[test]
    fn variables_are_found_in_blocks_only() {
        let t = "name: {{ user.name }} {% if name %}x{% endif %}";
        assert_eq!(variable_range(t, "name"), 28..32);
        assert_eq!(variable_range(t, "user"), 9..13);
        assert_eq!(variable_range(t, "nope"), 0..t.len());
    }

    #[test]
    fn tool_name_characters() {
        assert_eq!(bad_tool_chars("bad tool!!"), vec![' ', '!']);
        assert!(bad_tool_chars("get_forecast-v2.1").is_empty());
        assert!(has_scheme("test://x"));
        assert!(!has_scheme("1a://x"));
        assert!(!has_scheme("/x:y"));
    }
}
