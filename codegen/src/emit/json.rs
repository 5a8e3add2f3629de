//! Each item's definition as the runtime serves it, embedded in generated code
//! as a JSON literal: exactly what `tools/list` and friends return.

use proc_macro2::Literal;
use serde_json::{Map, Value, json};

use crate::model::{Annotations, CacheHints, ClientCapability, Icon, Manifest, Theme, Tool};

/// A raw string literal of JSON text, with enough `#`s.
pub(super) fn json_lit(value: &Value) -> Literal {
    let text = serde_json::to_string(value).unwrap_or_default();
    raw_lit(&text)
}

fn raw_lit(text: &str) -> Literal {
    if text.contains('\r') {
        return Literal::string(text);
    }
    let mut hashes = 1;
    while text.contains(&format!("\"{}", "#".repeat(hashes))) {
        hashes += 1;
    }
    let h = "#".repeat(hashes);
    format!("r{h}\"{text}\"{h}")
        .parse()
        .unwrap_or_else(|_| Literal::string(text))
}

pub(super) fn put(obj: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        obj.insert(key.to_owned(), v);
    }
}

pub(super) fn string(s: &Option<String>) -> Option<Value> {
    s.as_ref().map(|s| Value::String(s.clone()))
}

pub(super) fn icons_json(icons: &Option<Vec<Icon>>) -> Option<Value> {
    let icons = icons.as_ref()?;
    Some(Value::Array(
        icons
            .iter()
            .map(|i| {
                let mut o = Map::new();
                o.insert("src".into(), Value::String(i.src.clone()));
                put(&mut o, "mimeType", string(&i.mime_type));
                put(&mut o, "sizes", i.sizes.as_ref().map(|s| json!(s)));
                put(
                    &mut o,
                    "theme",
                    i.theme.map(|t| {
                        Value::String(match t {
                            Theme::Light => "light".into(),
                            Theme::Dark => "dark".into(),
                        })
                    }),
                );
                Value::Object(o)
            })
            .collect(),
    ))
}

pub(super) fn annotations_json(a: &Option<Annotations>) -> Option<Value> {
    let a = a.as_ref()?;
    let mut o = Map::new();
    put(
        &mut o,
        "audience",
        a.audience
            .as_ref()
            .map(|r| Value::Array(r.iter().map(|r| Value::String(r.as_str().into())).collect())),
    );
    put(
        &mut o,
        "priority",
        a.priority
            .and_then(|p| serde_json::Number::from_f64(p).map(Value::Number)),
    );
    put(&mut o, "lastModified", string(&a.last_modified));
    Some(Value::Object(o))
}

/// `{"ttlMs":…,"cacheScope":…}`, as `ServerBuilder::cache` and friends read it.
pub(super) fn cache_lit(cache: &CacheHints) -> Literal {
    json_lit(&json!({ "ttlMs": cache.ttl_ms, "cacheScope": cache.scope.as_str() }))
}

/// A tool's policy, as `ServerBuilder::tool_policy` reads it: the required
/// capabilities as a `ClientCapabilities` object, task support, where a task
/// starts, and the timeout in milliseconds. `None` when the tool declares none of
/// them.
pub(super) fn tool_policy(tool: &Tool) -> Option<Value> {
    let mut policy = Map::new();
    if let Some(requires) = tool.requires.as_ref().filter(|r| !r.is_empty()) {
        let mut caps = Map::new();
        for capability in requires {
            let (top, sub) = match capability {
                ClientCapability::Sampling => ("sampling", None),
                ClientCapability::SamplingTools => ("sampling", Some("tools")),
                ClientCapability::SamplingContext => ("sampling", Some("context")),
                ClientCapability::Elicitation => ("elicitation", None),
                ClientCapability::ElicitationForm => ("elicitation", Some("form")),
                ClientCapability::ElicitationUrl => ("elicitation", Some("url")),
                ClientCapability::Roots => ("roots", None),
            };
            let entry = caps.entry(top).or_insert_with(|| json!({}));
            if let (Some(sub), Value::Object(entry)) = (sub, entry) {
                entry.insert(sub.to_owned(), json!({}));
            }
        }
        policy.insert("requires".into(), Value::Object(caps));
    }
    if let Some(support) = tool.task_support {
        policy.insert("taskSupport".into(), support.as_str().into());
    }
    if let Some(starts) = tool.task_starts {
        policy.insert("taskStarts".into(), starts.wire().into());
    }
    // Validation reported a timeout that is not one; nothing is emitted then.
    if let Some(Ok(ms)) = tool.timeout_ms() {
        policy.insert("timeoutMs".into(), ms.into());
    }
    (!policy.is_empty()).then_some(Value::Object(policy))
}

/// The manifest's access rules, as `ServerBuilder::access` reads them: the
/// server's scopes and tenancy, the roles, and the items' scopes by name (resources
/// by URI, templates by URI template). `None` when the manifest declares none.
pub(super) fn access_rules(m: &Manifest) -> Option<Value> {
    let mut access = Map::new();
    if let Some(scopes) = m.server.scopes.as_ref().filter(|s| !s.is_empty()) {
        access.insert("scopes".into(), json!(scopes));
    }
    if let Some(tenancy) = m.server.tenancy {
        access.insert("tenancy".into(), tenancy.as_str().into());
    }
    if !m.roles.is_empty() {
        access.insert("roles".into(), json!(m.roles));
    }
    let mut by_name = |key: &str, items: Vec<(&str, &Option<Vec<String>>)>| {
        let scoped: Map<String, Value> = items
            .into_iter()
            .filter_map(|(name, scopes)| {
                let scopes = scopes.as_ref().filter(|s| !s.is_empty())?;
                Some((name.to_owned(), json!(scopes)))
            })
            .collect();
        if !scoped.is_empty() {
            access.insert(key.into(), Value::Object(scoped));
        }
    };
    by_name(
        "tools",
        m.tools
            .iter()
            .map(|(n, t)| (n.as_str(), &t.scopes))
            .collect(),
    );
    by_name(
        "resources",
        m.resources
            .iter()
            .map(|r| (r.uri.as_str(), &r.scopes))
            .collect(),
    );
    by_name(
        "resourceTemplates",
        m.resource_templates
            .iter()
            .map(|t| (t.uri_template.as_str(), &t.scopes))
            .collect(),
    );
    by_name(
        "prompts",
        m.prompts
            .iter()
            .map(|(n, p)| (n.as_str(), &p.scopes))
            .collect(),
    );
    (!access.is_empty()).then_some(Value::Object(access))
}

/// A tool's definition as `tools/list` serves it.
pub(super) fn tool_definition(name: &str, tool: &Tool) -> Value {
    let mut def = Map::new();
    def.insert("name".into(), Value::String(name.to_owned()));
    put(&mut def, "title", string(&tool.title));
    put(&mut def, "description", string(&tool.description));
    def.insert(
        "inputSchema".into(),
        match &tool.input {
            Some(s) => Value::Object(s.clone()),
            None => json!({ "type": "object", "additionalProperties": false }),
        },
    );
    put(
        &mut def,
        "outputSchema",
        tool.output.clone().map(Value::Object),
    );
    if let Some(a) = &tool.annotations {
        let mut o = Map::new();
        put(&mut o, "title", string(&a.title));
        put(&mut o, "readOnlyHint", a.read_only_hint.map(Value::Bool));
        put(
            &mut o,
            "destructiveHint",
            a.destructive_hint.map(Value::Bool),
        );
        put(&mut o, "idempotentHint", a.idempotent_hint.map(Value::Bool));
        put(&mut o, "openWorldHint", a.open_world_hint.map(Value::Bool));
        def.insert("annotations".into(), Value::Object(o));
    }
    put(&mut def, "icons", icons_json(&tool.icons));
    Value::Object(def)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::tool_policy;

    fn policy(tool: serde_json::Value) -> Option<serde_json::Value> {
        tool_policy(&serde_json::from_value(tool).expect("a tool"))
    }

    #[test]
    fn tool_policies_name_capabilities_as_client_capabilities_objects() {
        assert_eq!(policy(json!({ "description": "d" })), None);
        assert_eq!(policy(json!({ "requires": [] })), None);
        assert_eq!(
            policy(
                json!({ "requires": ["sampling.tools", "elicitation.url", "roots", "sampling"] })
            ),
            Some(json!({ "requires": {
                "sampling": { "tools": {} }, "elicitation": { "url": {} }, "roots": {},
            }}))
        );
        assert_eq!(
            policy(json!({ "requires": ["elicitation", "sampling.context"] })),
            Some(json!({ "requires": { "elicitation": {}, "sampling": { "context": {} } } }))
        );
        assert_eq!(
            policy(json!({ "task_support": "optional", "task_starts": "on_detach" })),
            Some(json!({ "taskSupport": "optional", "taskStarts": "onDetach" }))
        );
    }

    #[test]
    fn tool_policies_carry_the_timeout_in_milliseconds() {
        assert_eq!(
            policy(json!({ "timeout": "1m 30s" })),
            Some(json!({ "timeoutMs": 90_000 }))
        );
        assert_eq!(
            policy(json!({ "task_support": "required", "timeout": "500ms" })),
            Some(json!({ "taskSupport": "required", "timeoutMs": 500 }))
        );
        assert_eq!(policy(json!({ "timeout": "soon" })), None);
    }
}
