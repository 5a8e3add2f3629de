//! `subscriptions/listen` (2026-07-28): what a listener asked for, the
//! acknowledgement that opens its stream, and which change events reach it.
//!
//! Events come from the same bus as a legacy session's GET stream
//! ([`ServerEvent`]); a listener gets only the kinds it asked for, each tagged
//! with its subscription id (the listen request's JSON-RPC id).

use std::collections::HashSet;

use serde_json::{Map, Value, json};

use crate::error::RequestError;
use crate::events::ServerEvent;
use crate::jsonrpc::{self, RequestId};
use crate::method;
use crate::modern::META_SUBSCRIPTION;
use crate::registry::Registry;

/// The notification kinds one listener receives.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Filter {
    tools: bool,
    prompts: bool,
    resources: bool,
    resource_uris: HashSet<String>,
}

impl Filter {
    /// Reads the request's `notifications` filter, keeping what this server can
    /// honour. Returns the filter and the subset to acknowledge.
    pub(crate) fn from_params(
        registry: &Registry,
        params: Option<&Value>,
    ) -> Result<(Filter, Value), RequestError> {
        let Some(asked) = params
            .and_then(|p| p.get("notifications"))
            .and_then(Value::as_object)
        else {
            return Err(RequestError::invalid_params(
                "Invalid params: `notifications` must be an object",
            ));
        };
        let wants = |key: &str| asked.get(key).and_then(Value::as_bool) == Some(true);
        let r = registry;
        let has_resources = !r.resources.is_empty() || !r.templates.is_empty();
        let mut filter = Filter {
            tools: wants("toolsListChanged") && !r.tools.is_empty(),
            prompts: wants("promptsListChanged") && !r.prompts.is_empty(),
            resources: wants("resourcesListChanged") && has_resources,
            resource_uris: HashSet::new(),
        };
        if has_resources {
            match asked.get("resourceSubscriptions") {
                None | Some(Value::Null) => {}
                Some(Value::Array(uris)) => {
                    for uri in uris {
                        let Some(uri) = uri.as_str() else {
                            return Err(RequestError::invalid_params(
                                "Invalid params: `resourceSubscriptions` must be an array of URIs",
                            ));
                        };
                        filter.resource_uris.insert(uri.to_owned());
                    }
                }
                Some(_) => {
                    return Err(RequestError::invalid_params(
                        "Invalid params: `resourceSubscriptions` must be an array of URIs",
                    ));
                }
            }
        }
        let mut honoured = Map::new();
        for (key, on) in [
            ("toolsListChanged", filter.tools),
            ("promptsListChanged", filter.prompts),
            ("resourcesListChanged", filter.resources),
        ] {
            if on {
                honoured.insert(key.into(), true.into());
            }
        }
        if !filter.resource_uris.is_empty() {
            // Echo them as asked, in the client's order.
            if let Some(uris) = asked.get("resourceSubscriptions") {
                honoured.insert("resourceSubscriptions".into(), uris.clone());
            }
        }
        Ok((filter, Value::Object(honoured)))
    }

    /// The tagged notification for `event`, if this listener asked for its kind.
    pub(crate) fn notification(
        &self,
        event: &ServerEvent,
        subscription: &RequestId,
    ) -> Option<Value> {
        let (method, mut params) = match event {
            ServerEvent::ToolsChanged if self.tools => {
                (method::NOTIFICATIONS_TOOLS_LIST_CHANGED, Map::new())
            }
            ServerEvent::PromptsChanged if self.prompts => {
                (method::NOTIFICATIONS_PROMPTS_LIST_CHANGED, Map::new())
            }
            ServerEvent::ResourcesChanged if self.resources => {
                (method::NOTIFICATIONS_RESOURCES_LIST_CHANGED, Map::new())
            }
            ServerEvent::ResourceUpdated(uri) if self.watches(uri) => {
                let mut p = Map::new();
                p.insert("uri".into(), uri.clone().into());
                (method::NOTIFICATIONS_RESOURCES_UPDATED, p)
            }
            _ => return None,
        };
        params.insert("_meta".into(), tag(subscription));
        Some(jsonrpc::notification(method, Value::Object(params)))
    }

    /// A subscribed URI covers itself and the resources beneath it.
    fn watches(&self, uri: &str) -> bool {
        self.resource_uris.contains(uri)
            || self.resource_uris.iter().any(|base| {
                uri.strip_prefix(base.as_str())
                    .is_some_and(|rest| base.ends_with('/') || rest.starts_with('/'))
            })
    }
}

fn tag(subscription: &RequestId) -> Value {
    json!({ META_SUBSCRIPTION: subscription })
}

/// The first message of every listen stream.
pub(crate) fn acknowledgement(subscription: &RequestId, honoured: Value) -> Value {
    jsonrpc::notification(
        method::NOTIFICATIONS_SUBSCRIPTIONS_ACKNOWLEDGED,
        json!({ "_meta": tag(subscription), "notifications": honoured }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(tools: bool, uris: &[&str]) -> Filter {
        Filter {
            tools,
            resource_uris: uris.iter().map(|u| (*u).to_owned()).collect(),
            ..Filter::default()
        }
    }

    #[test]
    fn only_asked_kinds_pass_and_are_tagged() {
        let id = RequestId::Number(7);
        let f = filter(true, &[]);
        let n = f
            .notification(&ServerEvent::ToolsChanged, &id)
            .expect("tools");
        assert_eq!(n["method"], "notifications/tools/list_changed");
        assert_eq!(n["params"]["_meta"][META_SUBSCRIPTION], 7);
        assert!(f.notification(&ServerEvent::PromptsChanged, &id).is_none());
        assert!(
            f.notification(&ServerEvent::ResourceUpdated("test://x".into()), &id)
                .is_none()
        );
    }

    #[test]
    fn resource_subscriptions_cover_sub_resources() {
        let f = filter(false, &["file:///docs"]);
        assert!(f.watches("file:///docs"));
        assert!(f.watches("file:///docs/a.txt"));
        assert!(!f.watches("file:///docs2"));
        let id = RequestId::String("s".into());
        let n = f
            .notification(&ServerEvent::ResourceUpdated("file:///docs/a".into()), &id)
            .expect("updated");
        assert_eq!(n["params"]["uri"], "file:///docs/a");
        assert_eq!(n["params"]["_meta"][META_SUBSCRIPTION], "s");
    }
}
