//! The lifecycle: `initialize` (version negotiation, capabilities derived from
//! the registry), which methods a server offers, and `server/discover`.

use serde_json::{Map, Value, json};

use std::time::Instant;

use crate::downgrade;
use crate::error::RequestError;
use crate::jsonrpc::{self, Encoded};
use crate::method::{Capability, Method};
use crate::metrics::RequestOutcome;
use crate::modern;
use crate::protocol::{Implementation, ProtocolVersion};
use crate::session::Negotiated;

use super::{Shared, insert_cache_hints};

impl Shared {
    pub(super) fn has_resources(&self) -> bool {
        !self.registry.resources.is_empty() || !self.registry.templates.is_empty()
    }

    pub(super) fn capabilities(&self, v: ProtocolVersion) -> Value {
        let r = &self.registry;
        let mut caps = Map::new();
        if !r.tools.is_empty() {
            caps.insert("tools".into(), json!({ "listChanged": true }));
        }
        if self.has_resources() {
            caps.insert(
                "resources".into(),
                json!({ "subscribe": true, "listChanged": true }),
            );
        }
        if !r.prompts.is_empty() {
            caps.insert("prompts".into(), json!({ "listChanged": true }));
        }
        caps.insert("logging".into(), json!({}));
        if v >= ProtocolVersion::V2025_03_26 && (!r.prompts.is_empty() || !r.templates.is_empty()) {
            caps.insert("completions".into(), json!({}));
        }
        if self.has_task_tools {
            if v.is_modern() {
                caps.insert("extensions".into(), json!({ modern::TASKS_EXTENSION: {} }));
            } else if v.has_tasks() {
                caps.insert(
                    "tasks".into(),
                    json!({ "list": {}, "cancel": {}, "requests": { "tools": { "call": {} } } }),
                );
            }
        }
        Value::Object(caps)
    }

    /// Answers `initialize`: negotiates the version and returns the result, encoded.
    /// Counted in the request metrics like any request, though it is answered
    /// before a session (and so the dispatch that counts the others) exists.
    pub(crate) fn initialize(
        &self,
        params: Option<&Value>,
    ) -> Result<(Negotiated, Encoded), RequestError> {
        let started = self.link.metrics.is_on().then(Instant::now);
        let answer = self.negotiate(params);
        if let Some(started) = started {
            let outcome = match answer {
                Ok(_) => RequestOutcome::Ok,
                Err(_) => RequestOutcome::Error,
            };
            self.link.metrics.request(
                &super::method_series(Method::Initialize),
                outcome,
                started.elapsed(),
            );
        }
        answer
    }

    fn negotiate(&self, params: Option<&Value>) -> Result<(Negotiated, Encoded), RequestError> {
        let params = params
            .and_then(Value::as_object)
            .ok_or_else(|| RequestError::invalid_params("initialize needs params"))?;
        let requested = params
            .get("protocolVersion")
            .and_then(Value::as_str)
            .ok_or_else(|| RequestError::invalid_params("`protocolVersion` must be a string"))?;
        // A handshake negotiates only handshake revisions.
        let version = requested
            .parse::<ProtocolVersion>()
            .ok()
            .filter(|v| !v.is_modern())
            .unwrap_or(ProtocolVersion::LATEST);
        let client_capabilities = match params.get("capabilities") {
            Some(c @ Value::Object(_)) => c.clone(),
            None => json!({}),
            Some(_) => {
                return Err(RequestError::invalid_params(
                    "`capabilities` must be an object",
                ));
            }
        };
        let client_info = params
            .get("clientInfo")
            .and_then(|c| serde_json::from_value::<Implementation>(c.clone()).ok());
        let mut info = self.registry.info.clone();
        downgrade::implementation(&mut info, version);
        let mut result = Map::new();
        result.insert("protocolVersion".into(), version.as_str().into());
        result.insert("capabilities".into(), self.capabilities(version));
        result.insert("serverInfo".into(), info);
        if let Some(instructions) = &self.registry.instructions {
            result.insert("instructions".into(), instructions.clone().into());
        }
        Ok((
            Negotiated {
                version,
                client_capabilities,
                client_info,
                trace: None,
            },
            jsonrpc::encode(&Value::Object(result)),
        ))
    }

    /// Whether a modern request may call `method` here; anything else is 404 +
    /// `-32601`, removed methods (`initialize`, `ping`, …) included.
    pub(crate) fn serves_modern(&self, method: Method) -> bool {
        method.is_modern() && self.offers(method.capability())
    }

    /// Whether this server has what `capability` needs.
    pub(super) fn offers(&self, capability: Capability) -> bool {
        let r = &self.registry;
        match capability {
            Capability::None | Capability::Logging => true,
            Capability::Tools => !r.tools.is_empty(),
            Capability::Resources => self.has_resources(),
            Capability::Prompts => !r.prompts.is_empty(),
            Capability::Completions => self.has_completions(),
            Capability::Tasks => self.has_task_tools,
        }
    }

    pub(super) fn has_completions(&self) -> bool {
        !self.registry.prompts.is_empty() || !self.registry.templates.is_empty()
    }

    /// The `server/discover` result.
    pub(super) fn discover(&self) -> Value {
        let mut result = Map::new();
        let supported: Vec<&str> = ProtocolVersion::MODERN.iter().map(|v| v.as_str()).collect();
        result.insert("supportedVersions".into(), json!(supported));
        result.insert(
            "capabilities".into(),
            self.capabilities(ProtocolVersion::V2026_07_28),
        );
        if let Some(instructions) = &self.registry.instructions {
            result.insert("instructions".into(), instructions.clone().into());
        }
        insert_cache_hints(&mut result, self.registry.cache);
        modern::complete(&mut result, &self.modern_info);
        Value::Object(result)
    }
}
