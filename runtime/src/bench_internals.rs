//! The hot paths of a request, one at a time, for the criterion benches in
//! `runtime/benches/`. Compiled only with the `bench-internals` feature, which the
//! runtime's own dev-dependency turns on; not an API.

use std::sync::Arc;

use bytes::Bytes;
use serde_json::{Value, json};

use crate::Server;
use crate::jsonrpc::{self, Body, Incoming};
use crate::parts::RequestParts;
use crate::server::Shared;
use crate::session::{Outbound, Session};
use crate::transport::http::{HttpSession, SessionStore};
use crate::transport::sse;

/// Discards what handlers send besides their answer.
struct Discard;

impl Outbound for Discard {
    fn send(&self, _message: Value) -> bool {
        false
    }
}

/// A server with one initialized 2025-11-25 session, answering request bodies
/// without a transport.
pub struct Dispatcher {
    shared: Arc<Shared>,
    session: Arc<Session>,
    outbound: Arc<dyn Outbound>,
}

impl Dispatcher {
    /// Opens the session with a real `initialize`.
    pub fn new(server: Server) -> Dispatcher {
        let shared = server.shared;
        let session = Arc::new(Session::new());
        let params = json!({
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": { "name": "bench", "version": "1.0.0" }
        });
        if let Ok((negotiated, _)) = shared.initialize(Some(&params)) {
            session.negotiate(negotiated);
        }
        session.mark_initialized();
        Dispatcher {
            shared,
            session,
            outbound: Arc::new(Discard),
        }
    }

    /// Decodes one request body, dispatches it and encodes the response: the work
    /// of a POST minus HTTP. Empty when the body holds no single request.
    pub async fn handle(&self, body: &[u8]) -> Vec<u8> {
        let Ok(Body::Single(value)) = jsonrpc::parse_body(body) else {
            return Vec::new();
        };
        let Ok(Incoming::Request { id, method, params }) = jsonrpc::classify(value) else {
            return Vec::new();
        };
        let answer = self
            .shared
            .handle_request(
                &self.session,
                id,
                method,
                params,
                self.outbound.clone(),
                std::sync::Arc::new(RequestParts::default()),
            )
            .await;
        answer
            .map(|a| a.get().as_bytes().to_vec())
            .unwrap_or_default()
    }
}

/// Encodes one message and frames it as an SSE event: the whole cost of putting a
/// notification on a stream (answers arrive encoded and pay only the framing).
pub fn sse_frame(stream: u64, seq: u64, message: &Value) -> Bytes {
    sse::frame(stream, seq, &jsonrpc::encode(message))
}

/// The HTTP session store, filled with idle sessions.
pub struct Sessions(SessionStore);

impl Sessions {
    /// A store holding `count` sessions; returns their ids too.
    pub fn with(count: usize) -> (Sessions, Vec<String>) {
        let store = SessionStore::new();
        let ids: Vec<String> = (0..count)
            .map(|_| {
                let id = crate::session::new_session_id();
                store.insert(id.clone(), Arc::new(HttpSession::new(None)));
                id
            })
            .collect();
        (Sessions(store), ids)
    }

    /// Looks a session up as every request does; true if found.
    pub fn find(&self, id: &str) -> bool {
        self.0.get(id).is_some()
    }
}
