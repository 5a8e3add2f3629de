//! Per-client state of a legacy (2024-11-05 … 2025-11-25) connection: what was
//! negotiated, the log level, subscriptions, requests in flight both ways.
//!
//! A session is a small record: no task, channel or timer of its own while idle.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU8, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use crate::error::RequestError;
use crate::jsonrpc::RequestId;
use crate::limits::{Exceeded, SessionRate};
use crate::protocol::{Implementation, LogLevel, ProtocolVersion, TraceContext};

/// What `initialize` settled.
#[derive(Debug)]
pub(crate) struct Negotiated {
    pub version: ProtocolVersion,
    pub client_capabilities: Value,
    pub client_info: Option<Implementation>,
    /// The trace context of a modern request (sessions have none; boxed, so an
    /// idle session does not pay for it).
    pub trace: Option<Box<TraceContext>>,
}

/// Where messages related to one request go: its SSE stream, or stdout.
pub(crate) trait Outbound: Send + Sync {
    /// Sends one JSON-RPC message (a notification or a server-to-client request).
    /// Returns false when nothing can carry it (no stream is open, the client is
    /// gone), so a server request fails at once instead of waiting for its timeout.
    fn send(&self, message: Value) -> bool;
    /// Closes the connection carrying this request's stream without ending the
    /// stream, so the client reconnects with `Last-Event-ID` (SEP-1699). No-op where
    /// the transport has no such notion.
    fn close_connection(&self) {}
}

/// Where nothing can go: related messages of a call that outlived its request.
pub(crate) struct Discard;

impl Outbound for Discard {
    fn send(&self, _message: Value) -> bool {
        false
    }
}

type Pending = oneshot::Sender<Result<Value, RequestError>>;

/// Above every level: no log message goes out.
const LOGS_OFF: u8 = LogLevel::Emergency as u8 + 1;

pub(crate) struct Session {
    negotiated: OnceLock<Negotiated>,
    initialized: AtomicBool,
    log_level: AtomicU8,
    next_request_id: AtomicI64,
    last_seen_secs: AtomicU64,
    subscriptions: Mutex<HashSet<String>>,
    pending: Mutex<HashMap<RequestId, Pending>>,
    in_flight: Mutex<HashMap<RequestId, CancellationToken>>,
    /// An unguessable name for this session's tasks, made on first use.
    task_owner: OnceLock<Box<str>>,
    /// What logs, spans and middleware call this session: a hash of its id.
    tag: OnceLock<Box<str>>,
    /// The session's request rate bucket, when sessions are rate limited.
    rate: OnceLock<SessionRate>,
}

impl Default for Session {
    fn default() -> Self {
        Session::new()
    }
}

pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Session {
    pub(crate) fn new() -> Session {
        Session {
            negotiated: OnceLock::new(),
            initialized: AtomicBool::new(false),
            log_level: AtomicU8::new(LogLevel::Info as u8),
            next_request_id: AtomicI64::new(0),
            last_seen_secs: AtomicU64::new(now_secs()),
            subscriptions: Mutex::new(HashSet::new()),
            pending: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
            task_owner: OnceLock::new(),
            tag: OnceLock::new(),
            rate: OnceLock::new(),
        }
    }

    /// Gives the session its rate bucket (once, when it opens).
    pub(crate) fn set_rate(&self, rate: Option<SessionRate>) {
        if let Some(rate) = rate {
            let _ = self.rate.set(rate);
        }
    }

    /// Takes `requests` tokens of the session's bucket, if it has one.
    pub(crate) fn check_rate(&self, requests: usize) -> Result<(), Exceeded> {
        self.rate.get().map_or(Ok(()), |r| r.check(requests))
    }

    /// How many of the session's requests are being served.
    pub(crate) fn requests_in_flight(&self) -> usize {
        lock(&self.in_flight).len()
    }

    /// Names the session in logs, spans and middleware (once, when its id is made).
    pub(crate) fn set_tag(&self, tag: String) {
        let _ = self.tag.set(tag.into());
    }

    /// The session's tag, if it has an id (stdio sessions and stateless requests
    /// have none).
    pub(crate) fn tag(&self) -> Option<&str> {
        self.tag.get().map(|t| &**t)
    }

    /// Who this session's tasks belong to.
    pub(crate) fn task_owner(&self) -> &str {
        self.task_owner.get_or_init(|| new_session_id().into())
    }

    /// Records what `initialize` settled; false if it was already settled.
    pub(crate) fn negotiate(&self, negotiated: Negotiated) -> bool {
        self.negotiated.set(negotiated).is_ok()
    }

    pub(crate) fn negotiated(&self) -> Option<&Negotiated> {
        self.negotiated.get()
    }

    /// The negotiated version, or the oldest Streamable HTTP one before `initialize`.
    pub(crate) fn version(&self) -> ProtocolVersion {
        self.negotiated
            .get()
            .map(|n| n.version)
            .unwrap_or(ProtocolVersion::V2025_03_26)
    }

    pub(crate) fn mark_initialized(&self) {
        self.initialized.store(true, Ordering::Relaxed);
    }

    /// The state of one modern request: what its `_meta` declared, and logs only if
    /// it asked for them.
    pub(crate) fn modern(negotiated: Negotiated, log_level: Option<LogLevel>) -> Session {
        let session = Session::new();
        session.negotiate(negotiated);
        session.mark_initialized();
        session
            .log_level
            .store(log_level.map_or(LOGS_OFF, |l| l as u8), Ordering::Relaxed);
        session
    }

    /// Whether a message at `level` goes to the client.
    pub(crate) fn accepts_log(&self, level: LogLevel) -> bool {
        level as u8 >= self.log_level.load(Ordering::Relaxed)
    }

    pub(crate) fn set_log_level(&self, level: LogLevel) {
        self.log_level.store(level as u8, Ordering::Relaxed);
    }

    pub(crate) fn touch(&self) {
        self.last_seen_secs.store(now_secs(), Ordering::Relaxed);
    }

    #[cfg(test)]
    pub(crate) fn backdate(&self, secs: u64) {
        self.last_seen_secs.fetch_sub(secs, Ordering::Relaxed);
    }

    pub(crate) fn last_seen_secs(&self) -> u64 {
        self.last_seen_secs.load(Ordering::Relaxed)
    }

    pub(crate) fn subscribe(&self, uri: &str) {
        lock(&self.subscriptions).insert(uri.to_owned());
    }

    pub(crate) fn unsubscribe(&self, uri: &str) {
        lock(&self.subscriptions).remove(uri);
    }

    pub(crate) fn is_subscribed(&self, uri: &str) -> bool {
        lock(&self.subscriptions).contains(uri)
    }

    /// Registers a server-to-client request; the receiver gets the client's answer.
    pub(crate) fn start_client_request(
        &self,
    ) -> (RequestId, oneshot::Receiver<Result<Value, RequestError>>) {
        let n = self.next_request_id.fetch_add(1, Ordering::Relaxed);
        let id = RequestId::String(format!("srv-{n}"));
        let (tx, rx) = oneshot::channel();
        lock(&self.pending).insert(id.clone(), tx);
        (id, rx)
    }

    /// Forgets a server-to-client request (timed out or abandoned).
    pub(crate) fn abandon_client_request(&self, id: &RequestId) {
        lock(&self.pending).remove(id);
    }

    /// Delivers the client's answer; false when no such request is waiting.
    pub(crate) fn resolve_client_request(
        &self,
        id: &RequestId,
        result: Result<Value, RequestError>,
    ) -> bool {
        match lock(&self.pending).remove(id) {
            Some(tx) => tx.send(result).is_ok(),
            None => false,
        }
    }

    /// Registers a request being served so `notifications/cancelled` can stop it.
    pub(crate) fn begin_request(&self, id: &RequestId) -> CancellationToken {
        let token = CancellationToken::new();
        lock(&self.in_flight).insert(id.clone(), token.clone());
        token
    }

    pub(crate) fn end_request(&self, id: &RequestId) {
        lock(&self.in_flight).remove(id);
    }

    pub(crate) fn cancel_request(&self, id: &RequestId) {
        if let Some(token) = lock(&self.in_flight).get(id) {
            token.cancel();
        }
    }

    /// Fails every pending client request: the client will not answer any more.
    pub(crate) fn fail_client_requests(&self) {
        lock(&self.pending).clear();
    }

    /// Cancels everything in flight and fails every pending client request: the
    /// session is over.
    pub(crate) fn close(&self) {
        for (_, token) in lock(&self.in_flight).drain() {
            token.cancel();
        }
        lock(&self.pending).clear();
    }
}

/// Locks a mutex, recovering from poisoning: every critical section here leaves the
/// data consistent, so a panic elsewhere must not take the session down.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A fresh session id: 128 bits from the OS CSPRNG as 32 hex digits (visible
/// ASCII, as `Mcp-Session-Id` requires). Also names a session's task owner.
pub(crate) fn new_session_id() -> String {
    use rand::RngCore as _;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes
        .iter()
        .flat_map(|b| [HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]])
        .map(char::from)
        .collect()
}
