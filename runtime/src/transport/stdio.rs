//! The stdio transport: newline-delimited JSON-RPC on stdin/stdout, one session for
//! the life of the process. Nothing but protocol messages is written to stdout.

use std::sync::Arc;
use std::task::Poll;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::poll_once;
use crate::auth::Principal;
use crate::error::RequestError;
use crate::jsonrpc::{self, Body, Encoded, ErrorCode, Incoming, RequestId};
use crate::listen::{self, Filter};
use crate::method::{Capability, Era, Method, MethodName};
use crate::modern;
use crate::operator_log;
use crate::parts::RequestParts;
use crate::server::Shared;
use crate::session::{Outbound, Session, lock};

/// The process's `subscriptions/listen` subscriptions, by listen request id.
type Listeners = Arc<std::sync::Mutex<Vec<(RequestId, Filter)>>>;

/// How logs name the one session of a stdio process.
const STDIO_SESSION: &str = "stdio";

/// Longest accepted line; longer input is answered with an error and skipped.
const MAX_LINE: usize = 16 * 1024 * 1024;

struct StdoutOutbound(mpsc::UnboundedSender<Encoded>);

impl Outbound for StdoutOutbound {
    fn send(&self, message: Value) -> bool {
        self.0.send(jsonrpc::encode(&message)).is_ok()
    }
}

/// Serves one client over any byte streams (stdin/stdout in practice) until input
/// ends and every request in flight has been answered.
pub(crate) async fn serve<R, W>(shared: Arc<Shared>, input: R, output: W) -> std::io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (tx, mut rx) = mpsc::unbounded_channel::<Encoded>();
    let writer = tokio::spawn(async move {
        let mut output = output;
        let mut buf = Vec::with_capacity(4096);
        while let Some(message) = rx.recv().await {
            buf.clear();
            buf.extend_from_slice(message.get().as_bytes());
            buf.push(b'\n');
            // Write whatever else is queued in the same syscall.
            while let Ok(more) = rx.try_recv() {
                buf.extend_from_slice(more.get().as_bytes());
                buf.push(b'\n');
            }
            output.write_all(&buf).await?;
            output.flush().await?;
        }
        Ok::<_, std::io::Error>(())
    });

    let session = Arc::new(Session::new());
    session.set_rate(shared.limiters.session_rate());
    // stdio has no tokens: its requests come from the local user, held to the
    // manifest's scopes only when the operator fixed the principal.
    let parts = match &shared.stdio_principal {
        Some(principal) => RequestParts::stdio(principal.clone(), true),
        None => RequestParts::stdio(local_user(), false),
    };
    let outbound: Arc<dyn Outbound> = Arc::new(StdoutOutbound(tx.clone()));
    let listeners = Listeners::default();
    let events = {
        let mut events = shared.link.events.subscribe();
        let session = session.clone();
        let listeners = listeners.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(event) => {
                        // One bus: the legacy session and every modern listener.
                        if session.negotiated().is_some() {
                            if let Some(n) = event.notification_for(&session) {
                                let _ = tx.send(jsonrpc::encode(&n));
                            }
                        }
                        for (id, filter) in lock(&listeners).iter() {
                            if let Some(n) = filter.notification(&event, id) {
                                let _ = tx.send(jsonrpc::encode(&n));
                            }
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(_) => break,
                }
            }
        })
    };

    let mut tasks = JoinSet::new();
    let mut reader = BufReader::new(input);
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut line)
            .await?;
        if n == 0 {
            break;
        }
        if line.len() > MAX_LINE && !line.ends_with(b"\n") {
            // Skip the rest of the oversized line.
            let mut sink = Vec::new();
            reader.read_until(b'\n', &mut sink).await?;
            let e = RequestError::new(
                ErrorCode::INVALID_REQUEST,
                "Invalid request: message too large",
            );
            let _ = tx.send(operator_log::refusal(None, None, &e));
            continue;
        }
        let text = trim_line(&line);
        if text.is_empty() {
            continue;
        }
        while let Some(done) = tasks.try_join_next() {
            let _ = done;
        }
        match jsonrpc::parse_body(text) {
            Err(e) => {
                let _ = tx.send(operator_log::refusal(None, None, &e));
            }
            Ok(Body::Single(value)) => {
                let io = Io {
                    shared: &shared,
                    session: &session,
                    listeners: &listeners,
                    outbound: &outbound,
                    tx: &tx,
                    parts: &parts,
                };
                handle_message(&io, &mut tasks, value).await;
            }
            Ok(Body::Batch(items)) => {
                if !session.version().accepts_batches() || session.negotiated().is_none() {
                    let e = RequestError::new(
                        ErrorCode::INVALID_REQUEST,
                        "Invalid request: batches are not part of the negotiated protocol version",
                    );
                    let _ = tx.send(operator_log::refusal(None, None, &e));
                    continue;
                }
                handle_batch(&shared, &session, &outbound, &tx, &parts, &mut tasks, items);
            }
        }
    }
    // Input ended: nobody will answer our questions any more, but requests already
    // read still get their responses.
    session.fail_client_requests();
    while tasks.join_next().await.is_some() {}
    if session.negotiated().is_some() {
        operator_log::session_closed(&STDIO_SESSION, "stdin closed");
    }
    events.abort();
    drop(outbound);
    drop(tx);
    writer.await.map_err(std::io::Error::other)?
}

/// The user the server runs as (`$USER`, else `local`), as stdio's principal.
fn local_user() -> Principal {
    let name = std::env::var("USER").unwrap_or_else(|_| "local".to_owned());
    Principal::fixed(name, Vec::<String>::new())
}

fn trim_line(line: &[u8]) -> &[u8] {
    let mut end = line.len();
    while end > 0 && matches!(line[end - 1], b'\n' | b'\r' | b' ' | b'\t') {
        end -= 1;
    }
    let mut start = 0;
    while start < end && matches!(line[start], b' ' | b'\t') {
        start += 1;
    }
    &line[start..end]
}

/// What serving one message needs of the process.
struct Io<'a> {
    shared: &'a Arc<Shared>,
    /// The legacy session, once `initialize` came; also tracks every request in
    /// flight, of either era, for `notifications/cancelled`.
    session: &'a Arc<Session>,
    listeners: &'a Listeners,
    outbound: &'a Arc<dyn Outbound>,
    tx: &'a mpsc::UnboundedSender<Encoded>,
    /// What every request of this client comes with: its principal.
    parts: &'a Arc<RequestParts>,
}

/// Answers what can be answered at once; a request that does not finish on its
/// first poll gets a task. A request with modern `_meta` is served statelessly
/// whether or not the process saw an `initialize`.
async fn handle_message(io: &Io<'_>, tasks: &mut JoinSet<()>, value: Value) {
    let Io {
        shared,
        session,
        outbound,
        tx,
        ..
    } = *io;
    let message = match jsonrpc::classify(value) {
        Ok(m) => m,
        Err(invalid) => {
            let _ = tx.send(operator_log::refusal(
                None,
                invalid.id.as_ref(),
                &invalid.error,
            ));
            return;
        }
    };
    match message {
        Incoming::Request { id, .. } if over_limit(io, &id) => {}
        Incoming::Request { id, method, params } if modern::has_modern_meta(params.as_ref()) => {
            serve_modern(io, tasks, id, method, params).await;
        }
        Incoming::Request { id, method, params } => {
            if let Some(early) =
                answer_before_dispatch(shared, session, &id, &method, params.as_ref())
            {
                let _ = tx.send(early);
                return;
            }
            let mut response = shared.handle_request(
                session,
                id,
                method,
                params,
                outbound.clone(),
                io.parts.clone(),
            );
            match poll_once(response.as_mut()).await {
                Poll::Ready(Some(answer)) => {
                    let _ = tx.send(answer);
                }
                Poll::Ready(None) => {}
                Poll::Pending => {
                    let tx = tx.clone();
                    tasks.spawn(async move {
                        if let Some(answer) = response.await {
                            let _ = tx.send(answer);
                        }
                    });
                }
            }
        }
        Incoming::Notification { method, params } => {
            if method.method() == Method::NotificationsCancelled {
                // The same notification ends a listen subscription.
                if let Some(id) = params
                    .as_ref()
                    .and_then(|p| p.get("requestId"))
                    .and_then(|v| serde_json::from_value::<RequestId>(v.clone()).ok())
                {
                    lock(io.listeners).retain(|(listening, _)| *listening != id);
                }
            }
            shared.handle_notification(session, &method, params.as_ref());
        }
        Incoming::Response { id, result } => {
            session.resolve_client_request(&id, result);
        }
    }
}

/// A 2026-07-28 request on stdio: the checks without headers, then served on its
/// own; a `subscriptions/listen` joins the process's listeners.
async fn serve_modern(
    io: &Io<'_>,
    tasks: &mut JoinSet<()>,
    id: RequestId,
    method: MethodName,
    params: Option<Value>,
) {
    let shared = io.shared;
    let meta = match shared.admit_modern(&method, params.as_ref(), None) {
        Ok(meta) => meta,
        Err(rejection) => {
            let _ = io.tx.send(operator_log::refusal(
                Some(method.as_str()),
                Some(&id),
                &rejection.error,
            ));
            return;
        }
    };
    if method.method() == Method::SubscriptionsListen {
        match Filter::from_params(&shared.registry, params.as_ref()) {
            Ok((filter, honoured)) => {
                // The acknowledgement goes out before any event of this subscription.
                let _ = io
                    .tx
                    .send(jsonrpc::encode(&listen::acknowledgement(&id, honoured)));
                lock(io.listeners).push((id, filter));
            }
            Err(e) => {
                let _ = io
                    .tx
                    .send(operator_log::refusal(Some(method.as_str()), Some(&id), &e));
            }
        }
        return;
    }
    let cancel = io.session.begin_request(&id);
    let session = io.session.clone();
    let response = shared.handle_modern(
        meta,
        id.clone(),
        method,
        params,
        io.outbound.clone(),
        cancel,
        io.parts.clone(),
    );
    let mut response = Box::pin(async move {
        let answer = response.await;
        session.end_request(&id);
        answer
    });
    match poll_once(response.as_mut()).await {
        Poll::Ready(Some(answer)) => {
            let _ = io.tx.send(answer);
        }
        Poll::Ready(None) => {}
        Poll::Pending => {
            let tx = io.tx.clone();
            tasks.spawn(async move {
                if let Some(answer) = response.await {
                    let _ = tx.send(answer);
                }
            });
        }
    }
}

/// `initialize`, and anything sent before it, is answered without a task.
/// Refuses a request over the client's rate or concurrency limit with -32000 and
/// `data.retryAfterMs`; false when it may be served.
fn over_limit(io: &Io<'_>, id: &RequestId) -> bool {
    let Err(exceeded) = io.shared.admit(io.session, 1) else {
        return false;
    };
    let error = super::limit_error(&exceeded);
    let _ = io.tx.send(operator_log::refusal(None, Some(id), &error));
    true
}

fn answer_before_dispatch(
    shared: &Shared,
    session: &Session,
    id: &jsonrpc::RequestId,
    method: &MethodName,
    params: Option<&Value>,
) -> Option<Encoded> {
    if method.method() == Method::Initialize {
        if session.negotiated().is_some() {
            let e = RequestError::new(
                ErrorCode::INVALID_REQUEST,
                "Invalid request: the session is already initialized",
            );
            return Some(operator_log::refusal(Some(method.as_str()), Some(id), &e));
        }
        return Some(match shared.initialize(params) {
            Ok((negotiated, result)) => {
                session.negotiate(negotiated);
                operator_log::session_opened(session, &STDIO_SESSION);
                jsonrpc::response(id, &result)
            }
            Err(e) => operator_log::refusal(Some(method.as_str()), Some(id), &e),
        });
    }
    if session.negotiated().is_none() && method.method() != Method::Ping {
        // A method of a session's features is early; anything else (the tasks
        // methods included, which need a negotiated 2025-11-25) is unknown.
        let session_feature = method.method().era() != Some(Era::Modern)
            && matches!(
                method.method().capability(),
                Capability::Tools
                    | Capability::Resources
                    | Capability::Prompts
                    | Capability::Completions
                    | Capability::Logging
            );
        let e = if session_feature {
            RequestError::new(
                ErrorCode::INVALID_REQUEST,
                "Invalid request: send `initialize` first",
            )
        } else {
            RequestError::method_not_found(method.as_str())
        };
        return Some(operator_log::refusal(Some(method.as_str()), Some(id), &e));
    }
    None
}

/// A 2025-03-26 batch: requests run concurrently; their responses go out together
/// as one array, as the batch came in.
fn handle_batch(
    shared: &Arc<Shared>,
    session: &Arc<Session>,
    outbound: &Arc<dyn Outbound>,
    tx: &mpsc::UnboundedSender<Encoded>,
    parts: &Arc<RequestParts>,
    tasks: &mut JoinSet<()>,
    items: Vec<Value>,
) {
    let mut immediate = Vec::new();
    let mut pending = Vec::new();
    for item in items {
        match jsonrpc::classify(item) {
            Err(invalid) => immediate.push(operator_log::refusal(
                None,
                invalid.id.as_ref(),
                &invalid.error,
            )),
            Ok(Incoming::Request { id, method, .. }) if method.method() == Method::Initialize => {
                let e = RequestError::new(
                    ErrorCode::INVALID_REQUEST,
                    "Invalid request: initialize cannot be batched",
                );
                immediate.push(operator_log::refusal(Some(method.as_str()), Some(&id), &e));
            }
            Ok(Incoming::Request { id, method, params }) => pending.push((id, method, params)),
            Ok(Incoming::Notification { method, params }) => {
                shared.handle_notification(session, &method, params.as_ref())
            }
            Ok(Incoming::Response { id, result }) => {
                session.resolve_client_request(&id, result);
            }
        }
    }
    let futures: Vec<_> = pending
        .into_iter()
        .map(|(id, method, params)| {
            shared.handle_request(session, id, method, params, outbound.clone(), parts.clone())
        })
        .collect();
    let tx = tx.clone();
    tasks.spawn(async move {
        let mut responses = immediate;
        responses.extend(
            futures_util::future::join_all(futures)
                .await
                .into_iter()
                .flatten(),
        );
        if !responses.is_empty() {
            let _ = tx.send(jsonrpc::batch(&responses));
        }
    });
}
