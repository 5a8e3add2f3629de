//! The handler context: who asked, and what a handler can do while it runs
//! (progress, logs, questions to the client, change notifications).

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;

use crate::error::ClientError;
use crate::events::{Events, ServerEvent};
use crate::jsonrpc::{self, RequestId};
use crate::method;
use crate::metrics::Metrics;
use crate::parts::RequestParts;
use crate::protocol::{
    CreateMessageParams, CreateMessageResult, Elicitation, ElicitationForm, Implementation,
    LogLevel, ProtocolVersion, Root, TraceContext,
};
use crate::replay::{self, Replay};
use crate::session::{Outbound, Session};
use crate::tasks::Task;

/// What a handler knows about the request it serves, and what it can do meanwhile.
///
/// Handlers receive `&Context`. The same calls work whatever protocol era the client
/// speaks; the runtime carries them over the right channel.
///
/// # Questions to the client
///
/// [`elicit`](Context::elicit), [`create_message`](Context::create_message) and
/// [`list_roots`](Context::list_roots) ask the client something. In a 2025-11-25 (or
/// older) session the runtime sends a real request on the call's stream and the
/// handler awaits the answer. A 2026-07-28 client cannot be asked mid-request:
/// the call ends with `input_required`, and when the client retries with the
/// answers **the handler runs again from the start**, this time getting them. So a
/// handler must do the same things, in the same order, up to each question: work
/// before a question may run once per round. Questions asked concurrently (with
/// `tokio::join!`) go to the client in one round. Each question is keyed by what it
/// asks: the form's name in the manifest, `sampling`, `roots`, with `_2`, `_3` for
/// repeats. In a task, questions wait in the task until the client answers them
/// with `tasks/update`, and nothing is replayed.
///
/// ```no_run
/// # use mcpgen_runtime::{Context, LogLevel, ToolResult, CallToolResult};
/// async fn slow_tool(ctx: &Context) -> ToolResult {
///     for step in 0..3 {
///         ctx.progress(step as f64, Some(3.0), Some("working")).await;
///         ctx.log(LogLevel::Info, format!("step {step}")).await;
///     }
///     Ok(CallToolResult::text("done"))
/// }
/// ```
#[derive(Clone)]
pub struct Context {
    inner: Arc<Inner>,
}

/// What a handler's `Context` reads of its server. Kept apart from the server's
/// own state so `context` sits below `server`: the server makes contexts, a
/// context never names the server.
pub(crate) struct ServerLink {
    /// The server's name: the `logger` of log notifications.
    pub name: String,
    pub events: Events,
    /// How long a question to the client (sampling, elicitation, roots) waits.
    pub client_request_timeout: Duration,
    pub metrics: Metrics,
}

struct Inner {
    request_id: RequestId,
    progress_token: Option<Value>,
    session: Arc<Session>,
    outbound: Arc<dyn Outbound>,
    link: Arc<ServerLink>,
    cancel: CancellationToken,
    questions: Questions,
    /// How many questions of each kind were asked, to key repeats.
    asked: std::sync::Mutex<std::collections::HashMap<String, u32>>,
    /// Set for a call that becomes a task where its handler calls [`Context::detach`].
    detach: Option<Arc<Detach>>,
    /// The HTTP request's headers and extensions.
    parts: Arc<RequestParts>,
}

/// Where a handler's questions to the client (elicitation, sampling, roots) go.
#[derive(Clone)]
pub(crate) enum Questions {
    /// A legacy session: real requests on the request's stream, answered in place.
    Session,
    /// A modern request: answered by the client's retry (see [`Replay`]).
    Replay(Arc<Replay>),
    /// A task: the task shows `input_required` until `tasks/update` answers.
    Task(Arc<Task>),
    /// Nothing can carry a question (a modern request of a method without input).
    Unavailable,
}

/// The hand-over of a call that becomes a task mid-way: the handler asks, the
/// dispatcher creates the task and installs it, the handler goes on as the task.
#[derive(Default)]
pub(crate) struct Detach {
    requested: tokio::sync::Notify,
    task: std::sync::OnceLock<Arc<Task>>,
    installed: tokio::sync::Notify,
}

impl Detach {
    /// Completes when the handler asked to become a task.
    pub(crate) async fn requested(&self) {
        self.requested.notified().await
    }

    /// Makes the call a task: from now on its questions go to `task`.
    pub(crate) fn install(&self, task: Arc<Task>) {
        let _ = self.task.set(task);
        self.installed.notify_one();
    }

    fn task(&self) -> Option<&Arc<Task>> {
        self.task.get()
    }
}

impl Context {
    // Every field of a request's context, each from a different place.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        request_id: RequestId,
        progress_token: Option<Value>,
        session: Arc<Session>,
        outbound: Arc<dyn Outbound>,
        link: Arc<ServerLink>,
        cancel: CancellationToken,
        questions: Questions,
        parts: Arc<RequestParts>,
    ) -> Context {
        Context {
            inner: Arc::new(Inner {
                request_id,
                progress_token,
                session,
                outbound,
                link,
                cancel,
                questions,
                asked: Default::default(),
                detach: None,
                parts,
            }),
        }
    }

    /// This context, for a call that becomes a task at [`Context::detach`].
    pub(crate) fn detachable(self, detach: Arc<Detach>) -> Context {
        let mut inner = Arc::try_unwrap(self.inner)
            .unwrap_or_else(|_| unreachable!("a context is made detachable before it is shared"));
        inner.detach = Some(detach);
        Context {
            inner: Arc::new(inner),
        }
    }

    /// A copy of this context whose cancellation also fires when the returned
    /// token is cancelled, for a handler the server may stop on its own (a
    /// timeout) while the request itself, and this context, go on to be answered.
    pub(crate) fn with_own_cancellation(&self) -> (Context, CancellationToken) {
        let inner = &self.inner;
        let cancel = inner.cancel.child_token();
        let asked = crate::session::lock(&inner.asked).clone();
        let copy = Context {
            inner: Arc::new(Inner {
                request_id: inner.request_id.clone(),
                progress_token: inner.progress_token.clone(),
                session: inner.session.clone(),
                outbound: inner.outbound.clone(),
                link: inner.link.clone(),
                cancel: cancel.clone(),
                questions: inner.questions.clone(),
                asked: std::sync::Mutex::new(asked),
                detach: inner.detach.clone(),
                parts: inner.parts.clone(),
            }),
        };
        (copy, cancel)
    }

    pub(crate) fn session(&self) -> &Session {
        &self.inner.session
    }

    /// The JSON-RPC id of the request being served.
    pub fn request_id(&self) -> &RequestId {
        &self.inner.request_id
    }

    /// The extensions of the HTTP request that carried this call: whatever outer
    /// tower layers put there (an authenticated user, a tenant, a request id).
    /// Empty on stdio.
    ///
    /// ```no_run
    /// # use mcpgen_runtime::Context;
    /// #[derive(Clone)]
    /// struct Tenant(String);
    ///
    /// fn tenant(ctx: &Context) -> Option<&str> {
    ///     ctx.extensions().get::<Tenant>().map(|t| t.0.as_str())
    /// }
    /// ```
    pub fn extensions(&self) -> &http::Extensions {
        &self.inner.parts.extensions
    }

    /// The address of the client that sent this call: the connection's peer in the
    /// standalone server, or the [`ClientAddr`](crate::ClientAddr) an outer layer
    /// put in the request when embedded. `None` on stdio, and when embedded with no
    /// such layer.
    pub fn client_addr(&self) -> Option<std::net::SocketAddr> {
        self.inner.parts.client.map(|c| c.0)
    }

    /// Who made this call: the principal of its verified bearer token when the
    /// server checks tokens (issuer, subject, client id, scopes, tenant, roles and
    /// the raw claims), or the local user on stdio. `None` over HTTP without
    /// authentication.
    ///
    /// ```no_run
    /// # use mcpgen_runtime::Context;
    /// fn owner(ctx: &Context) -> String {
    ///     match ctx.principal() {
    ///         Some(p) => format!("{} of {}", p.subject(), p.tenant().unwrap_or("no tenant")),
    ///         None => "anonymous".to_owned(),
    ///     }
    /// }
    /// ```
    pub fn principal(&self) -> Option<&crate::Principal> {
        self.inner.parts.principal.as_deref()
    }

    /// What the request arrived with besides its message.
    pub(crate) fn parts(&self) -> &RequestParts {
        &self.inner.parts
    }

    /// The headers of the HTTP request that carried this call; `None` on stdio.
    pub fn http_headers(&self) -> Option<&http::HeaderMap> {
        self.inner.parts.http_headers()
    }

    /// The protocol revision the client speaks.
    pub fn protocol_version(&self) -> ProtocolVersion {
        self.inner.session.version()
    }

    /// The client's name and version, when it gave them.
    pub fn client_info(&self) -> Option<&Implementation> {
        self.inner
            .session
            .negotiated()
            .and_then(|n| n.client_info.as_ref())
    }

    /// The W3C trace context a 2026 client sent with this request, to parent the
    /// handler's spans on (`None` in a session, or when none was sent).
    pub fn trace_context(&self) -> Option<&TraceContext> {
        self.inner
            .session
            .negotiated()
            .and_then(|n| n.trace.as_deref())
    }

    /// The client's declared capabilities, as sent.
    pub fn client_capabilities(&self) -> &Value {
        static EMPTY: Value = Value::Null;
        self.inner
            .session
            .negotiated()
            .map(|n| &n.client_capabilities)
            .unwrap_or(&EMPTY)
    }

    /// Whether the client cancelled this request.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancel.is_cancelled()
    }

    /// Completes when the client cancels this request. The runtime already stops a
    /// handler that is awaiting when cancellation comes; use this to clean up or to
    /// end work that does not await.
    pub async fn cancelled(&self) {
        self.inner.cancel.cancelled().await
    }

    /// Reports progress, if the client asked for it (sent a `progressToken`).
    /// `progress` must increase from one call to the next.
    pub async fn progress(&self, progress: f64, total: Option<f64>, message: Option<&str>) {
        let Some(token) = &self.inner.progress_token else {
            return;
        };
        let mut params = Map::new();
        params.insert("progressToken".into(), token.clone());
        params.insert("progress".into(), json!(progress));
        if let Some(total) = total {
            params.insert("total".into(), json!(total));
        }
        if let Some(message) = message {
            if self.protocol_version() >= ProtocolVersion::V2025_03_26 {
                params.insert("message".into(), message.into());
            }
        }
        self.inner.outbound.send(jsonrpc::notification(
            method::NOTIFICATIONS_PROGRESS,
            Value::Object(params),
        ));
    }

    /// Sends a log message to the client, if `level` is at or above the level the
    /// client set (`logging/setLevel` in a session, default `info`; a 2026 client
    /// sets it per request and gets no logs when it does not).
    pub async fn log(&self, level: LogLevel, data: impl Serialize) {
        if !self.inner.session.accepts_log(level) {
            return;
        }
        let data = serde_json::to_value(data).unwrap_or(Value::Null);
        let params = json!({ "level": level, "logger": self.inner.link.name, "data": data });
        self.inner
            .outbound
            .send(jsonrpc::notification(method::NOTIFICATIONS_MESSAGE, params));
    }

    /// Asks the user to fill in a form declared in the manifest, showing the form's
    /// own message.
    pub async fn elicit<T: ElicitationForm>(&self) -> Result<Elicitation<T>, ClientError> {
        self.elicit_with_message::<T>(T::MESSAGE).await
    }

    /// Asks the user to fill in a form declared in the manifest, with this message.
    pub async fn elicit_with_message<T: ElicitationForm>(
        &self,
        message: &str,
    ) -> Result<Elicitation<T>, ClientError> {
        let version = self.protocol_version();
        if version < ProtocolVersion::V2025_06_18 {
            return Err(ClientError::CapabilityMissing("elicitation"));
        }
        let caps = self.client_capabilities().get("elicitation");
        let form_ok = match caps {
            Some(Value::Object(c)) => c.is_empty() || c.contains_key("form"),
            _ => false,
        };
        if !form_ok {
            return Err(ClientError::CapabilityMissing("elicitation"));
        }
        let mut schema: Value = serde_json::from_str(T::SCHEMA)
            .map_err(|e| ClientError::InvalidResponse(format!("form schema: {e}")))?;
        if version < ProtocolVersion::V2025_11_25 {
            downgrade_form_schema(&mut schema);
        }
        let mut params = Map::new();
        if version >= ProtocolVersion::V2025_11_25 {
            params.insert("mode".into(), "form".into());
        }
        params.insert("message".into(), message.into());
        params.insert("requestedSchema".into(), schema);
        let answer = self
            .request(T::NAME, method::ELICITATION_CREATE, Value::Object(params))
            .await?;
        parse_elicitation(answer, |content| {
            serde_json::from_value::<T>(content)
                .map_err(|e| ClientError::InvalidResponse(e.to_string()))
        })
    }

    /// Asks the user to open a URL (URL-mode elicitation, 2025-11-25 on). The
    /// answer says only whether the user agreed, not that the flow finished.
    pub async fn elicit_url(
        &self,
        message: &str,
        url: &str,
        elicitation_id: &str,
    ) -> Result<Elicitation<()>, ClientError> {
        let supported = self.protocol_version() >= ProtocolVersion::V2025_11_25
            && self
                .client_capabilities()
                .pointer("/elicitation/url")
                .is_some();
        if !supported {
            return Err(ClientError::CapabilityMissing("elicitation.url"));
        }
        let mut params = json!({ "mode": "url", "message": message, "url": url });
        // 2026 correlates through `requestState`; ids are a session notion.
        if !self.protocol_version().is_modern() {
            params["elicitationId"] = elicitation_id.into();
        }
        let answer = self
            .request("url_elicitation", method::ELICITATION_CREATE, params)
            .await?;
        parse_elicitation(answer, |_| Ok(()))
    }

    /// Asks the client's model for a completion (`sampling/createMessage`).
    pub async fn create_message(
        &self,
        params: CreateMessageParams,
    ) -> Result<CreateMessageResult, ClientError> {
        if self.client_capabilities().get("sampling").is_none() {
            return Err(ClientError::CapabilityMissing("sampling"));
        }
        let params = serde_json::to_value(params)
            .map_err(|e| ClientError::InvalidResponse(e.to_string()))?;
        let answer = self
            .request("sampling", method::SAMPLING_CREATE_MESSAGE, params)
            .await?;
        serde_json::from_value(answer).map_err(|e| ClientError::InvalidResponse(e.to_string()))
    }

    /// Asks the client for its roots (`roots/list`).
    pub async fn list_roots(&self) -> Result<Vec<Root>, ClientError> {
        if self.client_capabilities().get("roots").is_none() {
            return Err(ClientError::CapabilityMissing("roots"));
        }
        let answer = self.request("roots", method::ROOTS_LIST, json!({})).await?;
        let roots = answer.get("roots").cloned().unwrap_or(Value::Null);
        serde_json::from_value(roots).map_err(|e| ClientError::InvalidResponse(e.to_string()))
    }

    /// Marks where a tool declared `task_starts: on_detach` becomes a task: input
    /// asked before this point round-trips with the client synchronously; the work
    /// after it runs in the background while the client polls the task. Returns at
    /// once; does nothing for calls that are not tasks.
    pub async fn detach(&self) {
        let Some(detach) = &self.inner.detach else {
            return;
        };
        if detach.task().is_some() {
            return;
        }
        let installed = detach.installed.notified();
        detach.requested.notify_one();
        installed.await;
    }

    /// Tells subscribed clients that a resource changed.
    pub fn notify_resource_updated(&self, uri: &str) {
        self.inner
            .link
            .events
            .publish(ServerEvent::ResourceUpdated(uri.to_owned()));
    }

    /// Tells clients the list of tools changed.
    pub fn notify_tools_changed(&self) {
        self.inner.link.events.publish(ServerEvent::ToolsChanged);
    }

    /// Tells clients the list of prompts changed.
    pub fn notify_prompts_changed(&self) {
        self.inner.link.events.publish(ServerEvent::PromptsChanged);
    }

    /// Tells clients the list of resources changed.
    pub fn notify_resources_changed(&self) {
        self.inner
            .link
            .events
            .publish(ServerEvent::ResourcesChanged);
    }

    /// Ends the HTTP connection carrying this request's SSE stream while the
    /// request goes on; a 2025-11-25 client reconnects with `Last-Event-ID` and
    /// gets the rest (SEP-1699 polling). Does nothing on stdio or for older clients.
    pub fn close_sse_stream(&self) {
        if self.protocol_version().has_sse_polling() {
            self.inner.outbound.close_connection();
        }
    }

    /// Asks the client: in a session, a server-to-client request on this request's
    /// stream, awaited with the server's timeout (on timeout the client is told to
    /// cancel); for a modern request, an input request keyed `key` (see [`Replay`]).
    async fn request(
        &self,
        key: &str,
        method: &'static str,
        params: Value,
    ) -> Result<Value, ClientError> {
        let task = self.inner.detach.as_ref().and_then(|d| d.task());
        match (task, &self.inner.questions) {
            (Some(task), _) | (None, Questions::Task(task)) => {
                let key = self.next_key(key);
                return self.ask_task(task, key, method, params).await;
            }
            (None, Questions::Replay(replay)) => {
                let key = self.next_key(key);
                return Ok(replay.ask(key, method, params).await);
            }
            (None, Questions::Unavailable) => {
                return Err(ClientError::CapabilityMissing("input"));
            }
            (None, Questions::Session) => {}
        }
        let session = &self.inner.session;
        let (id, answer) = session.start_client_request();
        if !self
            .inner
            .outbound
            .send(jsonrpc::request(&id, method, params))
        {
            session.abandon_client_request(&id);
            self.inner
                .link
                .metrics
                .client_request(method, "disconnected");
            return Err(ClientError::Disconnected);
        }
        let timeout: Duration = self.inner.link.client_request_timeout;
        let outcome = tokio::select! {
            r = answer => r.map_err(|_| ClientError::Disconnected),
            _ = tokio::time::sleep(timeout) => Err(ClientError::Timeout),
            _ = self.inner.cancel.cancelled() => Err(ClientError::Disconnected),
        };
        let counted = match &outcome {
            Ok(Ok(_)) => "answered",
            Ok(Err(_)) => "error",
            Err(ClientError::Timeout) => "timeout",
            Err(_) => "disconnected",
        };
        self.inner.link.metrics.client_request(method, counted);
        if outcome.is_err() {
            session.abandon_client_request(&id);
            if matches!(outcome, Err(ClientError::Timeout)) {
                self.inner.outbound.send(jsonrpc::notification(
                    method::NOTIFICATIONS_CANCELLED,
                    json!({ "requestId": id, "reason": "timed out" }),
                ));
            }
        }
        outcome?.map_err(ClientError::Rejected)
    }
}

impl Context {
    /// The key of the next question of this kind: `base`, then `base_2`, `base_3`…
    /// Deterministic, so a replayed handler asks under the same keys.
    fn next_key(&self, base: &str) -> String {
        let mut asked = crate::session::lock(&self.inner.asked);
        let n = asked.entry(base.to_owned()).or_insert(0);
        *n += 1;
        if *n == 1 {
            base.to_owned()
        } else {
            format!("{base}_{n}")
        }
    }

    /// A question within a task: the task waits in `input_required` until
    /// `tasks/update` brings the answer, or the task is cancelled.
    async fn ask_task(
        &self,
        task: &Task,
        key: String,
        method: &str,
        params: Value,
    ) -> Result<Value, ClientError> {
        let answer = task
            .ask(key, json!({ "method": method, "params": params }))
            .map_err(|_| ClientError::Disconnected)?;
        let cancelled = task.cancel_token();
        let answer = tokio::select! {
            a = answer => a.map_err(|_| ClientError::Disconnected)?,
            _ = cancelled.cancelled() => return Err(ClientError::Disconnected),
        };
        replay::check_answer(method, &answer)
            .map_err(|why| ClientError::InvalidResponse(why.into()))?;
        Ok(answer)
    }
}

fn parse_elicitation<T>(
    answer: Value,
    accept: impl FnOnce(Value) -> Result<T, ClientError>,
) -> Result<Elicitation<T>, ClientError> {
    match answer.get("action").and_then(Value::as_str) {
        Some("accept") => {
            let content = answer
                .get("content")
                .cloned()
                .unwrap_or_else(|| Value::Object(Map::new()));
            Ok(Elicitation::Accept(accept(content)?))
        }
        Some("decline") => Ok(Elicitation::Decline),
        Some("cancel") => Ok(Elicitation::Cancel),
        _ => Err(ClientError::InvalidResponse(
            "`action` must be accept, decline or cancel".into(),
        )),
    }
}

/// 2025-06-18 forms know only boolean defaults; other defaults are dropped.
fn downgrade_form_schema(schema: &mut Value) {
    if let Some(Value::Object(props)) = schema.get_mut("properties") {
        for prop in props.values_mut() {
            if let Value::Object(p) = prop {
                if p.get("type").and_then(Value::as_str) != Some("boolean") {
                    p.remove("default");
                }
            }
        }
    }
}
