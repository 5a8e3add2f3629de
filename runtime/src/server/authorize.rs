//! Authorization: whether a request's principal holds the scopes the manifest asks
//! for the method and the item it names, and which list items it may see.
//! Decided from the request alone, so the HTTP transport can answer 403 before any
//! byte of a 200 (and dispatch checks again, for stdio and for anything else that
//! reaches it).

use serde_json::{Value, json};

use crate::access::holds_all;
use crate::error::{ErrorCode, RequestError};
use crate::jsonrpc::Encoded;
use crate::method::Method;
use crate::parts::RequestParts;

use super::Shared;

/// A request its principal may not make, and every scope it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Forbidden {
    pub needed: Vec<String>,
}

impl Forbidden {
    /// The scopes for a `WWW-Authenticate` challenge: space-separated.
    pub(crate) fn scope(&self) -> String {
        self.needed.join(" ")
    }

    /// The JSON-RPC error where no HTTP status can say it (stdio, or a request
    /// already answered on a stream): `-32003` (mcpgen's; no MCP revision defines
    /// one) with the scopes needed in `data`, so a client can ask for them.
    pub(crate) fn to_error(&self) -> RequestError {
        RequestError::new(
            ErrorCode::FORBIDDEN,
            format!(
                "Forbidden: this request needs the scopes `{}`",
                self.scope()
            ),
        )
        .with_data(json!({ "requiredScopes": self.needed }))
    }
}

impl Shared {
    /// The scopes `method` needs with these `params`: the server's, then those of
    /// the tool, prompt, resource or resource template it names. Names the server
    /// does not know need only the server's (dispatch answers them as unknown).
    pub(crate) fn scopes_needed(&self, method: Method, params: Option<&Value>) -> Vec<&str> {
        let access = &self.registry.access;
        let mut needed: Vec<&str> = access.server_scopes().iter().map(String::as_str).collect();
        for scope in self.item_scopes(method, params).unwrap_or_default() {
            if !needed.contains(&scope.as_str()) {
                needed.push(scope);
            }
        }
        needed
    }

    /// The scopes of the tool, prompt, resource or resource template `method`
    /// names in `params`, if it names one the server knows.
    fn item_scopes(&self, method: Method, params: Option<&Value>) -> Option<&[String]> {
        let text = |key: &str| params.and_then(|p| p.get(key)).and_then(Value::as_str);
        match method {
            Method::ToolsCall => text("name").and_then(|n| self.tool_scopes(n)),
            Method::PromptsGet => text("name").and_then(|n| self.prompt_scopes(n)),
            Method::ResourcesRead | Method::ResourcesSubscribe | Method::ResourcesUnsubscribe => {
                text("uri").and_then(|uri| self.resource_scopes(uri, false))
            }
            Method::CompletionComplete => {
                let reference = params.and_then(|p| p.get("ref"));
                let field = |key: &str| reference.and_then(|r| r.get(key)).and_then(Value::as_str);
                match field("type") {
                    Some("ref/prompt") => field("name").and_then(|n| self.prompt_scopes(n)),
                    Some("ref/resource") => {
                        field("uri").and_then(|u| self.resource_scopes(u, true))
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// Refuses a request whose principal lacks a scope it needs. Requests without
    /// an enforced principal (HTTP without authentication, stdio unless the
    /// operator fixed its scopes) pass.
    pub(crate) fn authorize(
        &self,
        parts: &RequestParts,
        method: Method,
        params: Option<&Value>,
    ) -> Result<(), Forbidden> {
        let Some(principal) = parts.principal.as_deref().filter(|_| parts.enforce_access) else {
            return Ok(());
        };
        // Checked in place: a request that passes allocates nothing.
        let server = self.registry.access.server_scopes();
        let item = self.item_scopes(method, params).unwrap_or_default();
        if holds_all(principal, server.iter().chain(item).map(String::as_str)) {
            return Ok(());
        }
        let needed = self.scopes_needed(method, params);
        Err(Forbidden {
            needed: needed.into_iter().map(str::to_owned).collect(),
        })
    }

    /// The items of a list method that the request's principal may use, when the
    /// list's items have scopes and the principal is held to them; `None` when
    /// everyone sees the whole list.
    pub(crate) fn visible(
        &self,
        method: Method,
        parts: &RequestParts,
        items: &[Encoded],
    ) -> Option<Vec<Encoded>> {
        let principal = parts
            .principal
            .as_deref()
            .filter(|_| parts.enforce_access)?;
        let access = &self.registry.access;
        let scopes = match method {
            Method::ToolsList => &access.tools,
            Method::ResourcesList => &access.resources,
            Method::ResourcesTemplatesList => &access.templates,
            Method::PromptsList => &access.prompts,
            _ => return None,
        };
        if scopes.iter().all(|s| s.is_empty()) {
            return None;
        }
        Some(
            items
                .iter()
                .zip(scopes.iter())
                .filter(|(_, needed)| holds_all(principal, needed.iter().map(String::as_str)))
                .map(|(item, _)| item.clone())
                .collect(),
        )
    }

    fn tool_scopes(&self, name: &str) -> Option<&[String]> {
        let &i = self.registry.tool_index.get(name)?;
        self.registry.access.tools.get(i).map(|s| &s[..])
    }

    fn prompt_scopes(&self, name: &str) -> Option<&[String]> {
        let &i = self.registry.prompt_index.get(name)?;
        self.registry.access.prompts.get(i).map(|s| &s[..])
    }

    /// A resource's scopes, or those of the template that serves its URI;
    /// `as_template` for completion references, which name the template itself.
    fn resource_scopes(&self, uri: &str, as_template: bool) -> Option<&[String]> {
        let r = &self.registry;
        if let Some(&i) = r.resource_index.get(uri) {
            return r.access.resources.get(i).map(|s| &s[..]);
        }
        let i = r.templates.iter().position(|t| {
            if as_template {
                t.definition.get("uriTemplate").and_then(Value::as_str) == Some(uri)
            } else {
                t.template.matches(uri).is_some()
            }
        })?;
        r.access.templates.get(i).map(|s| &s[..])
    }
}
