//! Change events: what a handler (through [`Context`](crate::Context)) or the
//! server publishes, and every legacy session and `subscriptions/listen` stream
//! may be told about. Below `context`, `listen` and `server`, so all of them can
//! name an event without naming each other.

use serde_json::{Value, json};
use tokio::sync::broadcast;

use crate::jsonrpc;
use crate::method;
use crate::session::Session;

/// A change clients may be told about.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ServerEvent {
    ToolsChanged,
    PromptsChanged,
    ResourcesChanged,
    ResourceUpdated(String),
}

impl ServerEvent {
    /// The notification for a legacy session, if this session should get it.
    pub(crate) fn notification_for(&self, session: &Session) -> Option<Value> {
        let (method, params) = match self {
            ServerEvent::ToolsChanged => (method::NOTIFICATIONS_TOOLS_LIST_CHANGED, json!({})),
            ServerEvent::PromptsChanged => (method::NOTIFICATIONS_PROMPTS_LIST_CHANGED, json!({})),
            ServerEvent::ResourcesChanged => {
                (method::NOTIFICATIONS_RESOURCES_LIST_CHANGED, json!({}))
            }
            ServerEvent::ResourceUpdated(uri) => {
                if !session.is_subscribed(uri) {
                    return None;
                }
                (
                    method::NOTIFICATIONS_RESOURCES_UPDATED,
                    json!({ "uri": uri }),
                )
            }
        };
        Some(jsonrpc::notification(method, params))
    }
}

/// The change bus: one sender, a receiver per connection that forwards changes.
pub(crate) struct Events {
    sender: broadcast::Sender<ServerEvent>,
}

impl Events {
    pub(crate) fn new() -> Events {
        // A slow listener that falls this far behind misses events (and is told
        // `Lagged`) rather than holding memory for ever.
        let (sender, _) = broadcast::channel(256);
        Events { sender }
    }

    pub(crate) fn publish(&self, event: ServerEvent) {
        // No receivers (nobody listening) is not an error.
        let _ = self.sender.send(event);
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<ServerEvent> {
        self.sender.subscribe()
    }
}
