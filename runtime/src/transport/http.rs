//! Streamable HTTP (2025-03-26 on) on hyper 1: one path for POST, GET and DELETE,
//! sessions, JSON or SSE responses, resumption, Origin/Host checks, body limits.

// Rejections are whole HTTP responses, built once per refused request; boxing them
// would only add an allocation.
#![allow(clippy::result_large_err)]

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::hash::BuildHasher;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt as _;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Request, Response, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, Limited, StreamBody};
use hyper::body::Frame;
use serde_json::Value;
use serde_json::value::RawValue;
use tokio_util::sync::CancellationToken;

use super::bearer::Guard;
use super::poll_once;
use super::sse::{self, EventReceiver, Stream, StreamOutbound};
use super::tls::TlsFiles;
use crate::auth::Principal;
use crate::error::RequestError;
use crate::jsonrpc::{self, Body, Encoded, ErrorCode, Incoming, RequestId};
use crate::limits::Exceeded;
use crate::listen::{self, Filter};
use crate::method::{self, Method, MethodName};
use crate::metrics::Rejection;
use crate::modern;
use crate::operator_log::{self, SessionTag};
use crate::parts::{ClientAddr, RequestParts};
use crate::server::{Forbidden, Shared};
use crate::session::{Outbound, Session, lock, new_session_id, now_secs};

/// The body type of every response.
pub type ResponseBody = UnsyncBoxBody<Bytes, Infallible>;

/// Settings of the Streamable HTTP transport. Defaults are safe for a local server.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// The MCP endpoint path (default `/mcp`).
    pub path: String,
    /// Origins accepted besides `http(s)://localhost`, `127.0.0.1` and `[::1]` on
    /// any port; `*` accepts any.
    pub allowed_origins: Vec<String>,
    /// `Host` names accepted besides localhost, `127.0.0.1` and `[::1]`; `*` accepts
    /// any (only for servers behind a proxy that checks it).
    pub allowed_hosts: Vec<String>,
    /// Largest request body, in bytes (default 4 MiB); larger gets 413.
    pub max_body_bytes: usize,
    /// Sessions idle this long are ended (default 30 minutes).
    pub session_idle_timeout: Duration,
    /// Answer requests with `application/json` instead of an SSE stream. Progress,
    /// logs and server-to-client requests then go to the GET stream, if one is open.
    pub json_responses: bool,
    /// The SSE `retry` interval sent to 2025-11-25 clients (default 1 s), and to
    /// every stream a shutdown ends.
    pub sse_retry: Duration,
    /// On shutdown, how long requests in flight get to finish before they are
    /// answered with an error (default 30 s).
    pub shutdown_timeout: Duration,
    /// The standalone server's liveness probe path (default `/healthz`; `None`: off).
    pub health_path: Option<String>,
    /// The standalone server's readiness probe path (default `/readyz`; `None`:
    /// off): 503 while the server drains.
    pub ready_path: Option<String>,
    /// The standalone server's Prometheus metrics path (default `/metrics`;
    /// `None`: off).
    pub metrics_path: Option<String>,
    /// The standalone server's certificate and key: with them it serves HTTPS
    /// (HTTP/2 or HTTP/1.1 by ALPN) instead of plain HTTP (default `None`).
    pub tls: Option<TlsFiles>,
    /// The MCP endpoint's URL as clients reach it (`https://mcp.example.com/mcp`):
    /// the protected resource of OAuth, and the audience tokens must name. The
    /// standalone server takes its own address when unset; a mounted service with
    /// authentication needs it (default `None`).
    pub public_url: Option<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            path: "/mcp".into(),
            allowed_origins: Vec::new(),
            allowed_hosts: Vec::new(),
            max_body_bytes: 4 * 1024 * 1024,
            session_idle_timeout: Duration::from_secs(30 * 60),
            json_responses: false,
            sse_retry: Duration::from_secs(1),
            shutdown_timeout: Duration::from_secs(30),
            health_path: Some("/healthz".into()),
            ready_path: Some("/readyz".into()),
            metrics_path: Some("/metrics".into()),
            tls: None,
            public_url: None,
        }
    }
}

/// One method per field, each the counterpart of a command-line flag:
/// `HttpConfig::default().path("/api/mcp").allowed_host("mcp.example.com")`.
impl HttpConfig {
    /// The MCP endpoint path (`--path`, `MCPGEN_PATH`).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// Accepts this Origin too (`--allowed-origin`, `MCPGEN_ALLOWED_ORIGINS`).
    pub fn allowed_origin(mut self, origin: impl Into<String>) -> Self {
        self.allowed_origins.push(origin.into());
        self
    }

    /// Accepts these Origins too.
    pub fn allowed_origins(mut self, origins: impl IntoIterator<Item = String>) -> Self {
        self.allowed_origins.extend(origins);
        self
    }

    /// Accepts this Host too (`--allowed-host`, `MCPGEN_ALLOWED_HOSTS`).
    pub fn allowed_host(mut self, host: impl Into<String>) -> Self {
        self.allowed_hosts.push(host.into());
        self
    }

    /// Accepts these Hosts too.
    pub fn allowed_hosts(mut self, hosts: impl IntoIterator<Item = String>) -> Self {
        self.allowed_hosts.extend(hosts);
        self
    }

    /// Answers with JSON instead of SSE (`--json-responses`, `MCPGEN_JSON_RESPONSES`).
    pub fn json_responses(mut self, json: bool) -> Self {
        self.json_responses = json;
        self
    }

    /// The largest request body, in bytes.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// How long an idle session lives.
    pub fn session_idle_timeout(mut self, timeout: Duration) -> Self {
        self.session_idle_timeout = timeout;
        self
    }

    /// The SSE `retry` interval sent to 2025-11-25 clients.
    pub fn sse_retry(mut self, retry: Duration) -> Self {
        self.sse_retry = retry;
        self
    }

    /// How long requests in flight get to finish on shutdown (`--shutdown-timeout`,
    /// `MCPGEN_SHUTDOWN_TIMEOUT`).
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// The liveness probe's path, or `None` to turn it off (`--health-path`,
    /// `MCPGEN_HEALTH_PATH`; `off` on the command line).
    pub fn health_path(mut self, path: Option<String>) -> Self {
        self.health_path = path;
        self
    }

    /// The readiness probe's path, or `None` to turn it off (`--ready-path`,
    /// `MCPGEN_READY_PATH`; `off` on the command line).
    pub fn ready_path(mut self, path: Option<String>) -> Self {
        self.ready_path = path;
        self
    }

    /// The Prometheus metrics path, or `None` to turn it off (`--metrics-path`,
    /// `MCPGEN_METRICS_PATH`; `off` on the command line, which also stops the
    /// server keeping metrics).
    pub fn metrics_path(mut self, path: Option<String>) -> Self {
        self.metrics_path = path;
        self
    }

    /// Serves HTTPS with this certificate chain and private key, PEM files read at
    /// start-up (`--tls-cert`, `--tls-key`; `MCPGEN_TLS_CERT`, `MCPGEN_TLS_KEY`).
    /// The standalone server's alone: a mounted service is behind the app's TLS.
    pub fn tls(mut self, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.tls = Some(TlsFiles {
            cert: cert.into(),
            key: key.into(),
        });
        self
    }

    /// The MCP endpoint's public URL (`--public-url`, `MCPGEN_PUBLIC_URL`): the
    /// OAuth protected resource and the tokens' default audience.
    pub fn public_url(mut self, url: impl Into<String>) -> Self {
        self.public_url = Some(url.into());
        self
    }
}

/// Streams kept per session for resumption after they complete.
const KEPT_STREAMS: usize = 16;
const SHARDS: usize = 16;

/// The HTTP side of a session.
pub(crate) struct HttpSession {
    core: Arc<Session>,
    next_stream: AtomicU64,
    /// Stream 0 is the standalone GET stream; others answer POSTs.
    streams: Mutex<VecDeque<Arc<Stream>>>,
    /// The principal that opened it (its owner key); only it may use the session.
    owner: Option<String>,
}

impl HttpSession {
    pub(crate) fn new(owner: Option<String>) -> HttpSession {
        HttpSession {
            core: Arc::new(Session::new()),
            next_stream: AtomicU64::new(1),
            streams: Mutex::new(VecDeque::new()),
            owner,
        }
    }

    fn new_stream(&self, owed: usize) -> Arc<Stream> {
        let id = self.next_stream.fetch_add(1, Ordering::Relaxed);
        let stream = Arc::new(Stream::new(id, owed));
        let mut streams = lock(&self.streams);
        if streams.len() >= KEPT_STREAMS {
            // Drop the oldest completed stream; live ones stay.
            if let Some(pos) = streams.iter().position(|s| s.id != 0 && s.is_complete()) {
                streams.remove(pos);
            }
        }
        streams.push_back(stream.clone());
        stream
    }

    fn stream(&self, id: u64) -> Option<Arc<Stream>> {
        lock(&self.streams).iter().find(|s| s.id == id).cloned()
    }

    fn standalone(&self) -> Arc<Stream> {
        let mut streams = lock(&self.streams);
        if let Some(s) = streams.iter().find(|s| s.id == 0) {
            return s.clone();
        }
        let s = Arc::new(Stream::new(0, 0));
        streams.push_front(s.clone());
        s
    }

    fn has_live_streams(&self) -> bool {
        lock(&self.streams).iter().any(|s| s.is_connected())
    }
}

/// Messages related to a request answered with JSON go to the GET stream, if any.
struct StandaloneOutbound(Arc<HttpSession>);

impl Outbound for StandaloneOutbound {
    fn send(&self, message: Value) -> bool {
        let s = self.0.standalone();
        s.is_connected() && s.push(&jsonrpc::encode(&message), false)
    }
}

/// Sessions in a sharded map: nothing global is locked on the request path.
/// Session ids are the server's own random strings, so a fast hash is safe:
/// clients cannot choose keys that collide.
type Sessions = HashMap<String, Arc<HttpSession>, foldhash::fast::RandomState>;

pub(crate) struct SessionStore {
    shards: Vec<Mutex<Sessions>>,
    hasher: foldhash::fast::RandomState,
    /// How many sessions the shards hold.
    open: AtomicUsize,
}

impl SessionStore {
    pub(crate) fn new() -> SessionStore {
        SessionStore {
            shards: (0..SHARDS)
                .map(|_| Mutex::new(Sessions::default()))
                .collect(),
            hasher: foldhash::fast::RandomState::default(),
            open: AtomicUsize::new(0),
        }
    }
    fn shard(&self, id: &str) -> &Mutex<Sessions> {
        &self.shards[(self.hasher.hash_one(id) as usize) % SHARDS]
    }
    pub(crate) fn get(&self, id: &str) -> Option<Arc<HttpSession>> {
        lock(self.shard(id)).get(id).cloned()
    }
    pub(crate) fn insert(&self, id: String, session: Arc<HttpSession>) {
        if lock(self.shard(&id)).insert(id, session).is_none() {
            self.open.fetch_add(1, Ordering::Relaxed);
        }
    }
    fn remove(&self, id: &str) -> Option<Arc<HttpSession>> {
        let removed = lock(self.shard(id)).remove(id);
        if removed.is_some() {
            self.open.fetch_sub(1, Ordering::Relaxed);
        }
        removed
    }
    /// How many sessions are open.
    fn len(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }
    /// Ends every live connection of every session for a shutdown.
    fn close_streams_for_shutdown(&self, retry_ms: u64) {
        for shard in &self.shards {
            for session in lock(shard).values() {
                for stream in lock(&session.streams).iter() {
                    stream.close_for_shutdown(retry_ms);
                }
            }
        }
    }

    /// Ends sessions idle longer than `idle`; returns how many.
    fn expire(&self, idle: Duration) -> usize {
        let cutoff = now_secs().saturating_sub(idle.as_secs());
        let mut ended = 0;
        for shard in &self.shards {
            lock(shard).retain(|id, s| {
                let keep = s.core.last_seen_secs() >= cutoff || s.has_live_streams();
                if !keep {
                    s.core.close();
                    operator_log::session_closed(&SessionTag(id), "idle");
                    ended += 1;
                }
                keep
            });
        }
        self.open.fetch_sub(ended, Ordering::Relaxed);
        ended
    }
}

/// The Streamable HTTP endpoint: a cheaply cloned handle that turns requests into
/// responses. `McpService` exposes it as a tower service; the standalone server
/// runs that on a TCP listener.
#[derive(Clone)]
pub(crate) struct Endpoint {
    inner: Arc<EndpointInner>,
}

struct EndpointInner {
    shared: Arc<Shared>,
    config: HttpConfig,
    sessions: SessionStore,
    sweeper: std::sync::Once,
    /// SSE connections open (streamed bodies alive), for the stream cap.
    open_streams: Arc<AtomicUsize>,
    /// Token checks, when the server is an OAuth resource server.
    auth: Auth,
}

/// Whether requests must carry a bearer token.
enum Auth {
    Off,
    On(Box<Guard>),
    /// Configured but unusable (the reason was logged at start-up): every request
    /// is refused, never served unchecked.
    Broken,
}

pub(crate) fn full(bytes: impl Into<Bytes>) -> ResponseBody {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

fn status_only(status: StatusCode) -> Response<ResponseBody> {
    let mut r = Response::new(full(Bytes::new()));
    *r.status_mut() = status;
    r
}

/// Why the server cannot listen on `addr`, naming it (the OS error alone does not).
pub(crate) fn bind_error(addr: SocketAddr, e: std::io::Error) -> std::io::Error {
    let hint = match e.kind() {
        std::io::ErrorKind::AddrInUse => {
            "; another process listens there: stop it, or pick another port (port 0 picks a free one)"
        }
        std::io::ErrorKind::AddrNotAvailable => "; no interface of this machine has that address",
        std::io::ErrorKind::PermissionDenied => "; ports below 1024 need privileges",
        _ => "",
    };
    std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}{hint}"))
}

/// A JSON-RPC error (without id) as the body of an HTTP error status. Refusals are
/// logged at `info`: an operator sees why a client gets nowhere.
pub(crate) fn http_error(status: StatusCode, code: i32, message: &str) -> Response<ResponseBody> {
    tracing::info!(
        status = status.as_u16(),
        "refused an HTTP request: {message}"
    );
    json_response(
        status,
        &jsonrpc::error_response(None, &RequestError::new(code, message)),
    )
}

/// 503 while the server drains: a load balancer (or the client) retries elsewhere.
fn shutting_down() -> Response<ResponseBody> {
    let mut r = http_error(
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::SERVER_UNAVAILABLE,
        "Service Unavailable: the server is shutting down; retry on another instance",
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    r
}

/// A limit's answer: 429 for a rate, 503 for a cap, with `Retry-After`, and the
/// JSON-RPC error -32000 carrying `data.retryAfterMs`.
fn limited(exceeded: Exceeded) -> Response<ResponseBody> {
    let status = if exceeded.is_rate() {
        StatusCode::TOO_MANY_REQUESTS
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let error = super::limit_error(&exceeded);
    tracing::info!(
        status = status.as_u16(),
        "refused an HTTP request: {}",
        error.message()
    );
    let mut r = json_response(status, &jsonrpc::error_response(None, &error));
    r.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(exceeded.retry_after_secs()),
    );
    if !exceeded.is_rate() {
        r.extensions_mut().insert(Rejection::Limit);
    }
    r
}

fn json_response(status: StatusCode, body: &RawValue) -> Response<ResponseBody> {
    encoded_response(status, body.to_owned())
}

/// A JSON body from an encoded message, taken over without a copy.
fn encoded_response(status: StatusCode, body: Encoded) -> Response<ResponseBody> {
    let text: Box<str> = body.into();
    let mut r = Response::new(full(String::from(text)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// Every event already queued on a stream, as one body.
fn queued(rx: &mut EventReceiver) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(event) = rx.try_recv() {
        body.extend_from_slice(&event);
    }
    body
}

/// A body that carries events as they are pushed, until the stream ends; `guard`
/// is dropped with the body: when the stream ends or the client goes away.
fn streamed_until_dropped<G: Send + 'static>(rx: EventReceiver, guard: G) -> ResponseBody {
    let events = rx.map(move |bytes| {
        // The closure owns the guard: it lives as long as the body.
        let _ = &guard;
        Ok::<_, Infallible>(Frame::data(bytes))
    });
    StreamBody::new(events).boxed_unsync()
}

/// How often an idle listen stream gets a keep-alive comment.
const LISTEN_KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Sorts a POST into an era (§1.2 rows 3 to 8): a session id means legacy; modern
/// `_meta` means modern; an `initialize` without it means legacy; a version header
/// naming no legacy revision means modern; anything else is legacy.
fn is_modern(headers: &HeaderMap, values: &[Value], is_batch: bool) -> bool {
    if headers.contains_key("mcp-session-id") {
        return false;
    }
    if !is_batch {
        if let Some(v) = values.first() {
            if modern::has_modern_meta(v.get("params")) {
                return true;
            }
            if v.get("method").and_then(Value::as_str) == Some(method::INITIALIZE) {
                return false;
            }
        }
    }
    header_str(headers, "mcp-protocol-version").is_some_and(|v| !modern::is_legacy_version(v))
}

/// A legacy request's `MCP-Protocol-Version`, if any, must name a legacy revision.
fn check_legacy_version(headers: &HeaderMap) -> Result<(), Response<ResponseBody>> {
    match header_str(headers, "mcp-protocol-version") {
        Some(v) if !modern::is_legacy_version(v) => Err(http_error(
            StatusCode::BAD_REQUEST,
            -32000,
            &format!("Bad Request: unsupported MCP-Protocol-Version `{v}`"),
        )),
        _ => Ok(()),
    }
}

fn sse_response(body: ResponseBody) -> Response<ResponseBody> {
    let mut r = Response::new(body);
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

fn contains_ignore_case(text: &str, needle: &str) -> bool {
    text.as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']')
            .next()
            .map(|h| format!("[{h}]"))
            .unwrap_or_default()
    } else {
        host.split(':').next().unwrap_or_default().to_owned()
    };
    matches!(
        name.to_ascii_lowercase().as_str(),
        "localhost" | "127.0.0.1" | "[::1]"
    )
}

impl Endpoint {
    /// The endpoint of a mounted service: authentication that cannot work is
    /// logged, and every request refused.
    pub(crate) fn new(shared: Arc<Shared>, config: HttpConfig) -> Endpoint {
        let auth = Endpoint::auth(&shared, &config).unwrap_or_else(|e| {
            tracing::error!("{e}; every request is refused");
            Auth::Broken
        });
        Endpoint::with_auth(shared, config, auth)
    }

    /// The endpoint of the standalone server, which refuses to start when its
    /// authentication cannot work.
    pub(crate) fn try_new(shared: Arc<Shared>, config: HttpConfig) -> Result<Endpoint, String> {
        let auth = Endpoint::auth(&shared, &config)?;
        Ok(Endpoint::with_auth(shared, config, auth))
    }

    fn auth(shared: &Shared, config: &HttpConfig) -> Result<Auth, String> {
        let misconfigured = |e: String| format!("authentication is misconfigured: {e}");
        match (&shared.auth, &config.public_url) {
            (None, _) => Ok(Auth::Off),
            (Some(auth), Some(url)) => Guard::new(shared, auth, url)
                .map(|guard| Auth::On(Box::new(guard)))
                .map_err(misconfigured),
            (Some(_), None) => Err(misconfigured(
                "it needs the server's public URL (HttpConfig::public_url, --public-url)".into(),
            )),
        }
    }

    fn with_auth(shared: Arc<Shared>, config: HttpConfig, auth: Auth) -> Endpoint {
        Endpoint {
            inner: Arc::new(EndpointInner {
                shared,
                config,
                sessions: SessionStore::new(),
                sweeper: std::sync::Once::new(),
                open_streams: Arc::new(AtomicUsize::new(0)),
                auth,
            }),
        }
    }

    /// The token checks, when the endpoint makes them.
    pub(crate) fn guard(&self) -> Option<&Guard> {
        match &self.inner.auth {
            Auth::On(guard) => Some(guard),
            Auth::Off | Auth::Broken => None,
        }
    }

    /// DNS-rebinding protection: `Host` and `Origin` must be local or allowed.
    /// HTTP/2 carries the host as the `:authority`, which hyper puts in the URI.
    fn check_origin(
        &self,
        headers: &HeaderMap,
        uri: &http::Uri,
    ) -> Result<(), Response<ResponseBody>> {
        let c = &self.inner.config;
        let forbidden = |why: &str, reason: Rejection| {
            let mut r = http_error(StatusCode::FORBIDDEN, -32000, why);
            r.extensions_mut().insert(reason);
            r
        };
        let authority = uri.authority().map(|a| {
            let a = a.as_str();
            a.rsplit_once('@').map_or(a, |(_, host)| host)
        });
        let host = header_str(headers, "host").or(authority);
        if let Some(host) = host {
            let ok = is_loopback_host(host)
                || c.allowed_hosts
                    .iter()
                    .any(|h| h == "*" || h.eq_ignore_ascii_case(host));
            if !ok {
                return Err(forbidden(
                    &format!(
                        "Forbidden: Host `{host}` is not allowed (DNS-rebinding protection); \
                     to serve it, start the server with --allowed-host {host}"
                    ),
                    Rejection::Host,
                ));
            }
        }
        if let Some(origin) = header_str(headers, "origin") {
            let authority = origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"));
            let ok = authority.is_some_and(is_loopback_host)
                || c.allowed_origins.iter().any(|o| o == "*" || o == origin);
            if !ok {
                return Err(forbidden(
                    &format!(
                        "Forbidden: Origin `{origin}` is not allowed (DNS-rebinding protection); \
                     to serve it, start the server with --allowed-origin {origin}"
                    ),
                    Rejection::Origin,
                ));
            }
        }
        Ok(())
    }

    /// Serves one HTTP request to the MCP endpoint, whatever its path (the router
    /// in front decides which requests come here). `peer` is the connection's
    /// remote address when the caller knows it; else a [`ClientAddr`] in the
    /// request's extensions stands for it. Passed beside the request because
    /// inserting into empty extensions costs three allocations per request.
    pub(crate) async fn handle<B>(
        &self,
        req: Request<B>,
        peer: Option<ClientAddr>,
    ) -> Response<ResponseBody>
    where
        B: http_body::Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        self.start_sweeper();
        // `triage` is not async: a layer less for the request to be moved through.
        let client = peer.or_else(|| req.extensions().get::<ClientAddr>().copied());
        let response = match &self.inner.auth {
            Auth::Off => match self.triage(req, client, None) {
                Ok(post) => self.post(post, client, None).await,
                Err(answered) => answered,
            },
            Auth::On(guard) => self.handle_authenticated(guard, req, client).await,
            Auth::Broken => http_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                -32603,
                "Internal Server Error: the server's authentication is misconfigured",
            ),
        };
        let status = response.status();
        if status.is_client_error() || status == StatusCode::SERVICE_UNAVAILABLE {
            let reason = match response.extensions().get::<Rejection>() {
                Some(reason) => *reason,
                None if status == StatusCode::NOT_FOUND => Rejection::UnknownSession,
                None if status == StatusCode::PAYLOAD_TOO_LARGE => Rejection::Limit,
                None if status == StatusCode::TOO_MANY_REQUESTS => Rejection::Rate,
                None if status == StatusCode::SERVICE_UNAVAILABLE => Rejection::Draining,
                None => Rejection::BadInput,
            };
            self.inner.shared.link.metrics.rejected(reason);
        }
        response
    }

    /// A request to a server that checks tokens: Origin first, then the token
    /// (401, 400 or 503 when it does not pass), the principal's and tenant's
    /// rates, then the rest as without.
    async fn handle_authenticated<B>(
        &self,
        guard: &Guard,
        req: Request<B>,
        client: Option<ClientAddr>,
    ) -> Response<ResponseBody>
    where
        B: http_body::Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        if let Err(r) = self.check_origin(req.headers(), req.uri()) {
            return r;
        }
        let shared = &self.inner.shared;
        let principal = match guard.authenticate(shared, req.headers(), req.uri()).await {
            Ok(principal) => principal,
            Err(refusal) => {
                let mut r = guard.refuse(&refusal);
                r.extensions_mut().insert(Rejection::Unauthenticated);
                return r;
            }
        };
        let mut in_flight = None;
        if shared.limiters.limits_principals() {
            let (key, tenant) = (principal.owner_key(), principal.tenant());
            let entered = (shared.limiters.check_principal(key, tenant))
                .and_then(|()| shared.limiters.enter_principal(key, tenant));
            match entered {
                Ok(slots) => in_flight = Some(slots),
                Err(exceeded) => return limited(exceeded),
            }
        }
        let response = match self.triage(req, client, Some(&*principal)) {
            Ok(post) => self.post(post, client, Some(principal)).await,
            Err(answered) => answered,
        };
        match in_flight {
            // In flight until its answer is sent: the body holds the slots.
            Some(slots) => response.map(|body| {
                body.map_frame(move |frame| {
                    let _ = &slots;
                    frame
                })
                .boxed_unsync()
            }),
            None => response,
        }
    }

    /// Answers every request that needs no body read: refusals, GET, DELETE. A
    /// POST that passed the checks comes back, to be served.
    fn triage<B>(
        &self,
        req: Request<B>,
        client: Option<ClientAddr>,
        principal: Option<&Principal>,
    ) -> Result<Request<B>, Response<ResponseBody>> {
        // An authenticated request had its Origin checked before its token.
        if principal.is_none() {
            self.check_origin(req.headers(), req.uri())?;
        }
        if let Err(exceeded) = self
            .inner
            .shared
            .limiters
            .check_client(client.map(|c| c.0.ip()))
        {
            return Err(limited(exceeded));
        }
        Err(match *req.method() {
            http::Method::POST => return Ok(req),
            // GET and DELETE belong to legacy sessions (§1.2 row 2).
            // New work goes elsewhere while the server drains; a POST is sorted
            // below, as one carrying only answers to the server's own questions
            // still helps requests in flight finish.
            http::Method::GET if self.is_draining() => shutting_down(),
            http::Method::GET => match check_legacy_version(req.headers()) {
                Ok(()) => self.get(req.headers(), principal),
                Err(r) => r,
            },
            http::Method::DELETE => match check_legacy_version(req.headers()) {
                Ok(()) => self.delete(req.headers(), principal),
                Err(r) => r,
            },
            _ => {
                let mut r = status_only(StatusCode::METHOD_NOT_ALLOWED);
                r.headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static("GET, POST, DELETE"));
                r
            }
        })
    }

    /// Finds the session a request names: 400 without one, 404 for an unknown one,
    /// and for another principal's (the same answer: its existence is not told).
    fn session(
        &self,
        headers: &HeaderMap,
        principal: Option<&Principal>,
    ) -> Result<(String, Arc<HttpSession>), Response<ResponseBody>> {
        let Some(id) = header_str(headers, "mcp-session-id") else {
            return Err(http_error(
                StatusCode::BAD_REQUEST,
                -32000,
                "Bad Request: Mcp-Session-Id header is required",
            ));
        };
        let owned = |s: &HttpSession| match (&s.owner, principal) {
            (None, _) => true,
            (Some(owner), Some(principal)) => owner == principal.owner_key(),
            (Some(_), None) => false,
        };
        match self.inner.sessions.get(id).filter(|s| owned(s)) {
            Some(s) => {
                s.core.touch();
                Ok((id.to_owned(), s))
            }
            None => Err(http_error(
                StatusCode::NOT_FOUND,
                -32001,
                "Session not found",
            )),
        }
    }

    async fn post<B>(
        &self,
        req: Request<B>,
        client: Option<ClientAddr>,
        principal: Option<Arc<Principal>>,
    ) -> Response<ResponseBody>
    where
        B: http_body::Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let (head, body) = req.into_parts();
        let parts = RequestParts::http(head.headers, head.extensions, client, principal);
        let headers = &parts.headers;
        let content_type = header_str(headers, "content-type").unwrap_or_default();
        if !starts_with_ignore_case(content_type, "application/json") {
            return http_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                -32000,
                "Unsupported Media Type: Content-Type must be application/json",
            );
        }
        // Both eras require `Accept` listing application/json and text/event-stream:
        // a client without one would not read an SSE answer. One of the two (or
        // `*/*`) is tolerated, as clients in the wild send.
        let accepted = header_str(headers, "accept").is_some_and(|accept| {
            ["application/json", "text/event-stream", "*/*"]
                .iter()
                .any(|media| contains_ignore_case(accept, media))
        });
        if !accepted {
            return http_error(
                StatusCode::NOT_ACCEPTABLE,
                -32000,
                "Not Acceptable: a POST must send `Accept: application/json, text/event-stream`",
            );
        }
        let limit = self.inner.config.max_body_bytes;
        let bytes = match Limited::new(body, limit).collect().await {
            Ok(b) => b.to_bytes(),
            Err(e) if e.is::<http_body_util::LengthLimitError>() => {
                return http_error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    -32000,
                    &format!("Payload Too Large: the limit is {limit} bytes"),
                );
            }
            Err(_) => return status_only(StatusCode::BAD_REQUEST),
        };
        let body = match jsonrpc::parse_body(&bytes) {
            Ok(b) => b,
            Err(e) => {
                return json_response(
                    StatusCode::BAD_REQUEST,
                    &operator_log::refusal(None, None, &e),
                );
            }
        };
        let values = match body {
            Body::Single(v) => vec![v],
            Body::Batch(items) => items,
        };
        let is_batch =
            values.len() > 1 || bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
        if is_modern(headers, &values, is_batch) {
            return self.post_modern(&parts, values, is_batch).await;
        }
        let is_initialize = !is_batch
            && values.first().is_some_and(|v| {
                v.get("method").and_then(Value::as_str) == Some(method::INITIALIZE)
            });
        // An `initialize` is served whatever version header it carries (§1.2 row 5).
        if !is_initialize {
            if let Err(r) = check_legacy_version(headers) {
                return r;
            }
        }
        let mut messages = Vec::with_capacity(values.len());
        for v in values {
            match jsonrpc::classify(v) {
                Ok(m) => messages.push(m),
                // One invalid message refuses the whole body, batch or not.
                Err(invalid) => {
                    return json_response(
                        StatusCode::BAD_REQUEST,
                        &operator_log::refusal(None, invalid.id.as_ref(), &invalid.error),
                    );
                }
            }
        }
        if self.is_draining()
            && messages
                .iter()
                .any(|m| matches!(m, Incoming::Request { .. }))
        {
            return shutting_down();
        }
        // `initialize` opens a session; it must come alone.
        if let [Incoming::Request { method, .. }] = messages.as_slice() {
            if method.method() == Method::Initialize && !is_batch {
                let Some(Incoming::Request { id, params, .. }) = messages.pop() else {
                    unreachable!("matched above")
                };
                if let Err(r) = self.authorize(&parts, [(Method::Initialize, params.as_ref())]) {
                    return r;
                }
                let owner = parts.owner_key().map(str::to_owned);
                return self.initialize(id, params.as_ref(), owner);
            }
        }
        if messages
            .iter()
            .any(|m| matches!(m, Incoming::Request { method, .. } if method.method() == Method::Initialize))
        {
            return http_error(
                StatusCode::BAD_REQUEST,
                ErrorCode::INVALID_REQUEST,
                "Invalid request: initialize must be sent alone",
            );
        }
        let (_, session) = match self.session(headers, parts.principal.as_deref()) {
            Ok(s) => s,
            Err(r) => return r,
        };
        if is_batch && !session.core.version().accepts_batches() {
            return http_error(
                StatusCode::BAD_REQUEST,
                ErrorCode::INVALID_REQUEST,
                "Invalid request: batches are not part of the negotiated protocol version",
            );
        }
        let mut requests = Vec::new();
        for m in messages {
            match m {
                Incoming::Request { id, method, params } => requests.push((id, method, params)),
                Incoming::Notification { method, params } => {
                    self.inner
                        .shared
                        .handle_notification(&session.core, &method, params.as_ref());
                }
                Incoming::Response { id, result } => {
                    session.core.resolve_client_request(&id, result);
                }
            }
        }
        if requests.is_empty() {
            return status_only(StatusCode::ACCEPTED);
        }
        let asked = requests.iter().map(|(_, m, p)| (m.method(), p.as_ref()));
        if let Err(r) = self.authorize(&parts, asked) {
            return r;
        }
        if let Err(exceeded) = self.inner.shared.admit(&session.core, requests.len()) {
            return limited(exceeded);
        }
        if self.inner.config.json_responses {
            self.answer_json(session, requests, is_batch, parts).await
        } else {
            self.answer_sse(session, requests, parts).await
        }
    }

    /// A 2026-07-28 request: checked in the checklist's order (§1.3), then served
    /// statelessly. Nothing of a session is read or made.
    async fn post_modern(
        &self,
        parts: &Arc<RequestParts>,
        mut values: Vec<Value>,
        is_batch: bool,
    ) -> Response<ResponseBody> {
        let refuse = |status: StatusCode, id: Option<&RequestId>, error: RequestError| {
            json_response(status, &operator_log::refusal(None, id, &error))
        };
        let value = match values.pop() {
            Some(v) if !is_batch => v,
            _ => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    None,
                    RequestError::new(
                        ErrorCode::INVALID_REQUEST,
                        "Invalid request: batches are not part of 2026-07-28",
                    ),
                );
            }
        };
        let (id, method, params) = match jsonrpc::classify(value) {
            Ok(Incoming::Request { .. }) if self.is_draining() => return shutting_down(),
            Ok(Incoming::Request { id, method, params }) => (id, method, params),
            // Closing the stream is how a 2026 client cancels; other notifications
            // need no answer.
            Ok(Incoming::Notification { .. }) => return status_only(StatusCode::ACCEPTED),
            Ok(Incoming::Response { id, .. }) => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    Some(&id),
                    RequestError::new(
                        ErrorCode::INVALID_REQUEST,
                        "Invalid request: a 2026-07-28 server sends no requests to answer",
                    ),
                );
            }
            Err(invalid) => {
                return refuse(StatusCode::BAD_REQUEST, invalid.id.as_ref(), invalid.error);
            }
        };
        if let Err(r) = self.authorize(parts, [(method.method(), params.as_ref())]) {
            return r;
        }
        let shared = &self.inner.shared;
        let meta = match shared.admit_modern(
            &method,
            params.as_ref(),
            Some(&parts.headers as &dyn modern::Headers),
        ) {
            Ok(meta) => meta,
            Err(rejection) => {
                let status =
                    StatusCode::from_u16(rejection.status).unwrap_or(StatusCode::BAD_REQUEST);
                let answer =
                    operator_log::refusal(Some(method.as_str()), Some(&id), &rejection.error);
                return json_response(status, &answer);
            }
        };
        if method.method() == Method::SubscriptionsListen {
            if let Err(r) = self.check_stream_cap() {
                return r;
            }
            return match Filter::from_params(&shared.registry, params.as_ref()) {
                Ok((filter, honoured)) => self.listen(id, filter, honoured),
                Err(e) => refuse(StatusCode::OK, Some(&id), e),
            };
        }
        // Counted in flight until its answer is on its stream, so a drain never
        // ends the stream between the two.
        let in_flight = shared.drain.request();
        let stream = Arc::new(Stream::new(1, 1));
        let Some(mut rx) = stream.attach(None, None, true) else {
            return status_only(StatusCode::INTERNAL_SERVER_ERROR);
        };
        let cancel = CancellationToken::new();
        let outbound: Arc<dyn Outbound> = Arc::new(StreamOutbound(stream.clone()));
        let mut response = shared.handle_modern(
            meta,
            id,
            method,
            params,
            outbound,
            cancel.clone(),
            parts.clone(),
        );
        if let Poll::Ready(answer) = poll_once(response.as_mut()).await {
            // Finished at once: a lone response goes out as plain JSON.
            match answer {
                Some(answer) if stream.is_empty() => {
                    return encoded_response(StatusCode::OK, answer);
                }
                answer => finish(&stream, answer),
            }
            return sse_response(full(queued(&mut rx)));
        }
        tokio::spawn(async move {
            finish(&stream, response.await);
            drop(in_flight);
        });
        // The client closing the stream cancels the request (2026-07-28).
        sse_response(streamed_until_dropped(
            rx,
            (cancel.drop_guard(), self.open_stream()),
        ))
    }

    /// A `subscriptions/listen` stream: the acknowledgement, then the change events
    /// the filter lets through, until the client goes away.
    fn listen(&self, id: RequestId, filter: Filter, honoured: Value) -> Response<ResponseBody> {
        let (tx, rx) = sse::event_channel();
        let keep_alive_tx = tx.clone();
        // Subscribe before acknowledging: no change after the ack may be missed.
        let mut events = self.inner.shared.link.events.subscribe();
        let mut seq = 0;
        let mut send = move |message: &Value| {
            seq += 1;
            tx.unbounded_send(sse::frame(0, seq, &jsonrpc::encode(message)))
                .is_ok()
        };
        send(&listen::acknowledgement(&id, honoured));
        let (closed_tx, closed) = tokio::sync::oneshot::channel::<()>();
        let streams_end = self.inner.shared.drain.streams_end().clone();
        tokio::spawn(async move {
            let mut closed = closed;
            let mut keep_alive = tokio::time::interval(LISTEN_KEEP_ALIVE);
            keep_alive.tick().await;
            loop {
                tokio::select! {
                    _ = &mut closed => break,
                    // A 2026 listener simply listens again, on another instance.
                    _ = streams_end.cancelled() => break,
                    _ = keep_alive.tick() => {
                        // A comment line keeps proxies from timing the stream out.
                        if keep_alive_tx.unbounded_send(Bytes::from_static(b": keep-alive\n\n")).is_err() {
                            break;
                        }
                    }
                    event = events.recv() => match event {
                        Ok(event) => {
                            if let Some(n) = filter.notification(&event, &id) {
                                if !send(&n) { break }
                            }
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(_) => break,
                    },
                }
            }
        });
        sse_response(streamed_until_dropped(rx, (closed_tx, self.open_stream())))
    }

    /// 403 before anything is answered when the principal lacks a scope one of
    /// `requests` needs: the challenge names every scope they need together.
    fn authorize<'a>(
        &self,
        parts: &RequestParts,
        requests: impl IntoIterator<Item = (Method, Option<&'a Value>)>,
    ) -> Result<(), Response<ResponseBody>> {
        let Some(guard) = self.guard() else {
            return Ok(());
        };
        let shared = &self.inner.shared;
        let mut refused: Option<Forbidden> = None;
        for (method, params) in requests {
            if let Err(forbidden) = shared.authorize(parts, method, params) {
                let all = refused.get_or_insert_with(|| Forbidden { needed: Vec::new() });
                for scope in forbidden.needed {
                    if !all.needed.contains(&scope) {
                        all.needed.push(scope);
                    }
                }
            }
        }
        match refused {
            None => Ok(()),
            Some(forbidden) => {
                tracing::info!(scopes = %forbidden.scope(), "refused a request: a scope is missing");
                let mut r = guard.forbid(&forbidden);
                r.extensions_mut().insert(Rejection::Forbidden);
                Err(r)
            }
        }
    }

    fn initialize(
        &self,
        id: RequestId,
        params: Option<&Value>,
        owner: Option<String>,
    ) -> Response<ResponseBody> {
        let limiters = &self.inner.shared.limiters;
        if let Err(exceeded) = limiters.check_sessions(self.inner.sessions.len()) {
            return limited(exceeded);
        }
        match self.inner.shared.initialize(params) {
            Ok((negotiated, result)) => {
                let session = Arc::new(HttpSession::new(owner));
                session.core.negotiate(negotiated);
                session.core.set_rate(limiters.session_rate());
                let session_id = new_session_id();
                session.core.set_tag(SessionTag(&session_id).to_string());
                operator_log::session_opened(&session.core, &SessionTag(&session_id));
                self.inner.sessions.insert(session_id.clone(), session);
                let mut r = encoded_response(StatusCode::OK, jsonrpc::response(&id, &result));
                if let Ok(v) = HeaderValue::from_str(&session_id) {
                    r.headers_mut().insert("mcp-session-id", v);
                }
                r
            }
            Err(e) => json_response(
                StatusCode::OK,
                &operator_log::refusal(Some(method::INITIALIZE), Some(&id), &e),
            ),
        }
    }

    async fn answer_json(
        &self,
        session: Arc<HttpSession>,
        mut requests: Vec<(RequestId, MethodName, Option<Value>)>,
        is_batch: bool,
        parts: Arc<RequestParts>,
    ) -> Response<ResponseBody> {
        let outbound: Arc<dyn Outbound> = Arc::new(StandaloneOutbound(session.clone()));
        let shared = &self.inner.shared;
        if !is_batch {
            // One message, so one request: answered directly, without the vectors
            // and the join a batch needs.
            let answer = match requests.pop() {
                Some((id, method, params)) => {
                    shared
                        .handle_request(&session.core, id, method, params, outbound, parts)
                        .await
                }
                None => None,
            };
            return match answer {
                Some(answer) => encoded_response(StatusCode::OK, answer),
                None => status_only(StatusCode::ACCEPTED),
            };
        }
        let futures: Vec<_> = requests
            .into_iter()
            .map(|(id, method, params)| {
                shared.handle_request(
                    &session.core,
                    id,
                    method,
                    params,
                    outbound.clone(),
                    parts.clone(),
                )
            })
            .collect();
        let responses: Vec<Encoded> = futures_util::future::join_all(futures)
            .await
            .into_iter()
            .flatten()
            .collect();
        if responses.is_empty() {
            status_only(StatusCode::ACCEPTED)
        } else {
            json_response(StatusCode::OK, &jsonrpc::batch(&responses))
        }
    }

    async fn answer_sse(
        &self,
        session: Arc<HttpSession>,
        requests: Vec<(RequestId, MethodName, Option<Value>)>,
        parts: Arc<RequestParts>,
    ) -> Response<ResponseBody> {
        // Counted in flight until every answer is on the stream, so a drain never
        // ends the stream between an answer and its push.
        let in_flight = self.inner.shared.drain.request();
        let stream = session.new_stream(requests.len());
        let version = session.core.version();
        let priming = version
            .has_sse_polling()
            .then(|| sse::priming(stream.id, self.inner.config.sse_retry.as_millis() as u64));
        let Some(mut rx) = stream.attach(None, priming, true) else {
            return status_only(StatusCode::INTERNAL_SERVER_ERROR);
        };
        let outbound: Arc<dyn Outbound> = Arc::new(StreamOutbound(stream.clone()));
        let mut unfinished = Vec::new();
        for (id, method, params) in requests {
            let mut response = self.inner.shared.handle_request(
                &session.core,
                id,
                method,
                params,
                outbound.clone(),
                parts.clone(),
            );
            // Most handlers finish on their first poll; running that poll here lets
            // the whole stream go out as one write instead of a chunk per event.
            match poll_once(response.as_mut()).await {
                Poll::Ready(answer) => finish(&stream, answer),
                Poll::Pending => unfinished.push(response),
            }
        }
        if unfinished.is_empty() {
            // The stream is complete: everything it will ever carry is queued.
            return sse_response(full(queued(&mut rx)));
        }
        for response in unfinished {
            let stream = stream.clone();
            let in_flight = in_flight.clone();
            tokio::spawn(async move {
                finish(&stream, response.await);
                drop(in_flight);
            });
        }
        sse_response(self.streamed(rx))
    }

    fn get(&self, headers: &HeaderMap, principal: Option<&Principal>) -> Response<ResponseBody> {
        let accept = header_str(headers, "accept").unwrap_or_default();
        if !accept.contains("text/event-stream") && !accept.contains("*/*") {
            return http_error(
                StatusCode::NOT_ACCEPTABLE,
                -32000,
                "Not Acceptable: a GET must accept text/event-stream",
            );
        }
        let (_, session) = match self.session(headers, principal) {
            Ok(s) => s,
            Err(r) => return r,
        };
        if let Some(last) = header_str(headers, "last-event-id") {
            let Some((stream_id, seq)) = sse::parse_event_id(last) else {
                return http_error(
                    StatusCode::BAD_REQUEST,
                    -32000,
                    "Bad Request: malformed Last-Event-ID",
                );
            };
            let stream = if stream_id == 0 {
                Some(session.standalone())
            } else {
                session.stream(stream_id)
            };
            let Some(stream) = stream else {
                return http_error(
                    StatusCode::BAD_REQUEST,
                    -32000,
                    "Bad Request: unknown Last-Event-ID",
                );
            };
            return match stream.attach(Some(seq), None, true) {
                Some(rx) => {
                    if stream_id == 0 {
                        self.forward_events(&session);
                    }
                    sse_response(self.streamed(rx))
                }
                None => status_only(StatusCode::CONFLICT),
            };
        }
        if let Err(r) = self.check_stream_cap() {
            return r;
        }
        let stream = session.standalone();
        let version = session.core.version();
        let priming = version
            .has_sse_polling()
            .then(|| sse::priming(0, self.inner.config.sse_retry.as_millis() as u64));
        match stream.attach(None, priming, false) {
            Some(rx) => {
                self.forward_events(&session);
                sse_response(self.streamed(rx))
            }
            None => http_error(
                StatusCode::CONFLICT,
                -32000,
                "Conflict: only one GET stream per session",
            ),
        }
    }

    /// While the GET stream is connected, server events go on it.
    fn forward_events(&self, session: &Arc<HttpSession>) {
        let mut events = self.inner.shared.link.events.subscribe();
        let session = session.clone();
        let streams_end = self.inner.shared.drain.streams_end().clone();
        tokio::spawn(async move {
            let stream = session.standalone();
            loop {
                let event = tokio::select! {
                    e = events.recv() => e,
                    _ = streams_end.cancelled() => break,
                    _ = tokio::time::sleep(Duration::from_secs(5)) => {
                        if stream.is_connected() { continue } else { break }
                    }
                };
                match event {
                    Ok(event) => {
                        if !stream.is_connected() {
                            break;
                        }
                        if let Some(n) = event.notification_for(&session.core) {
                            stream.push(&jsonrpc::encode(&n), false);
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(_) => break,
                }
            }
        });
    }

    fn delete(&self, headers: &HeaderMap, principal: Option<&Principal>) -> Response<ResponseBody> {
        let (id, _) = match self.session(headers, principal) {
            Ok(s) => s,
            Err(r) => return r,
        };
        if let Some(session) = self.inner.sessions.remove(&id) {
            session.core.close();
            operator_log::session_closed(&SessionTag(&id), "deleted by the client");
            for s in lock(&session.streams).iter() {
                s.disconnect();
            }
        }
        status_only(StatusCode::OK)
    }

    /// Starts the task that ends sessions idle for longer than the configured
    /// timeout, on the first request (that is where a runtime surely exists). It
    /// ends once the endpoint is dropped.
    fn start_sweeper(&self) {
        self.inner.sweeper.call_once(|| {
            let inner = Arc::downgrade(&self.inner);
            let period = (self.inner.config.session_idle_timeout / 4).max(Duration::from_secs(1));
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(period);
                loop {
                    tick.tick().await;
                    let Some(inner) = inner.upgrade() else { break };
                    inner.shared.limiters.sweep();
                    inner.sessions.expire(inner.config.session_idle_timeout);
                }
            });
        });
    }

    /// The endpoint's settings.
    pub(crate) fn config(&self) -> &HttpConfig {
        &self.inner.config
    }

    /// A body carrying a stream's events as they are pushed, counted (for the
    /// stream cap and the metrics) while open.
    fn streamed(&self, rx: EventReceiver) -> ResponseBody {
        streamed_until_dropped(rx, self.open_stream())
    }

    /// Counts an SSE connection until dropped.
    fn open_stream(&self) -> impl Send + 'static {
        struct Open(Arc<AtomicUsize>);
        impl Drop for Open {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::Relaxed);
            }
        }
        self.inner.open_streams.fetch_add(1, Ordering::Relaxed);
        Open(self.inner.open_streams.clone())
    }

    /// Refuses a new long-lived stream at the cap.
    fn check_stream_cap(&self) -> Result<(), Response<ResponseBody>> {
        let open = self.inner.open_streams.load(Ordering::Relaxed);
        self.inner
            .shared
            .limiters
            .check_streams(open)
            .map_err(limited)
    }

    /// The metrics' text.
    pub(crate) fn render_metrics(&self) -> String {
        self.inner.shared.render_metrics(
            self.inner.sessions.len(),
            self.inner.open_streams.load(Ordering::Relaxed),
        )
    }

    pub(crate) fn is_draining(&self) -> bool {
        self.inner.shared.drain.is_draining()
    }

    /// Shuts down gracefully: from now on new sessions and requests get 503; those
    /// in flight (tasks included) get up to `grace` to finish and are then answered
    /// with an error (tasks fail); then every open SSE connection ends with its
    /// last event id and a `retry`, so clients resume elsewhere.
    pub(crate) async fn drain(&self, grace: Duration) {
        let cut_short = self.inner.shared.drain.drain(grace).await;
        if cut_short > 0 {
            tracing::warn!(
                requests = cut_short,
                "shutdown deadline passed; requests still running were answered with an error"
            );
        }
        let retry_ms = self.inner.config.sse_retry.as_millis() as u64;
        self.inner.sessions.close_streams_for_shutdown(retry_ms);
    }
}

/// Puts a request's answer on its stream; a cancelled request owes none.
fn finish(stream: &Stream, answer: Option<Encoded>) {
    match answer {
        Some(response) => {
            stream.push(&response, true);
        }
        None => stream.forgo_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        assert!(is_loopback_host("localhost:3000"));
        assert!(is_loopback_host("127.0.0.1"));
        assert!(is_loopback_host("[::1]:8080"));
        assert!(!is_loopback_host("evil.example.com"));
        assert!(!is_loopback_host("localhost.evil.com:80"));
    }

    #[test]
    fn media_types_match_without_case() {
        assert!(starts_with_ignore_case(
            "Application/JSON; charset=utf-8",
            "application/json"
        ));
        assert!(!starts_with_ignore_case("text/plain", "application/json"));
        assert!(!starts_with_ignore_case("app", "application/json"));
        assert!(contains_ignore_case(
            "text/html, TEXT/Event-Stream",
            "text/event-stream"
        ));
        assert!(!contains_ignore_case("text/html", "*/*"));
    }

    #[test]
    fn idle_sessions_expire_unless_a_stream_is_connected() {
        let store = SessionStore::new();
        let idle = Arc::new(HttpSession::new(None));
        let listening = Arc::new(HttpSession::new(None));
        let fresh = Arc::new(HttpSession::new(None));
        idle.core.backdate(120);
        listening.core.backdate(120);
        let _rx = listening.standalone().attach(None, None, false).unwrap();
        store.insert("idle".into(), idle);
        store.insert("listening".into(), listening);
        store.insert("fresh".into(), fresh);
        assert_eq!(store.expire(Duration::from_secs(60)), 1);
        assert!(store.get("idle").is_none());
        assert!(store.get("listening").is_some());
        assert!(store.get("fresh").is_some());
    }

    #[test]
    fn session_ids_are_visible_ascii_and_distinct() {
        let a = new_session_id();
        assert!(a.bytes().all(|b| (0x21..=0x7e).contains(&b)));
        assert_eq!(a.len(), 32);
        assert_ne!(a, new_session_id());
    }
}
