//! The server: an immutable registry plus the dispatch of every MCP method.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use futures_util::FutureExt as _;
use serde_json::{Map, Value, json};

use tokio_util::sync::CancellationToken;

use crate::context::{Context, Detach, Questions, ServerLink};
use crate::downgrade;
use crate::error::RequestError;
use crate::events::Events;
use crate::jsonrpc::{self, Encoded, ErrorCode, RequestId};
use crate::modern::{self, RequestMeta};
use crate::operator_log::{self, RequestLog};
use crate::protocol::{
    Implementation, LogLevel, ProtocolVersion, ReadResourceResult, ResourceContents,
};
use crate::registry::{
    BoxFuture, CompletionSource, CompletionTarget, PromptSource, Registry, ResourceSource,
    ServerBuilder, TemplateSource, VarType,
};
use crate::registry::{CacheHints, TaskStarts, TaskSupport};
use crate::replay::{Replay, Suspension};
use crate::seal::{Binding, Sealer};
use crate::session::{Discard, Negotiated, Outbound, Session};
use crate::tasks::{self, Owner, Task, TaskStore};

/// An MCP server, built by generated code (`server(handler)`), ready to serve over
/// stdio or Streamable HTTP.
///
/// ```no_run
/// # fn server() -> mcpgen_runtime::Server { unimplemented!() }
/// // In a generated server's `main`: parse the standard command line and serve.
/// fn main() -> std::process::ExitCode {
///     server().main()
/// }
/// ```
pub struct Server {
    pub(crate) shared: Arc<Shared>,
}

/// Everything requests share: the registry, precomputed lists, settings.
pub(crate) struct Shared {
    pub registry: Registry,
    /// What handlers' contexts reach: the server's name, the change bus, the
    /// client-request timeout.
    pub link: Arc<ServerLink>,
    pub page_size: usize,
    /// Per protocol version (index into `ProtocolVersion::ALL`), the list items
    /// down-converted once at start-up.
    lists: Vec<Lists>,
    /// Seals the `requestState` of modern requests that wait for client input.
    pub sealer: Sealer,
    /// Tool calls running as tasks, of either era.
    pub tasks: TaskStore,
    /// The server's `Implementation`, as modern results carry it in `_meta`.
    modern_info: Value,
    /// What modern list pages end with: `resultType`, cache hints, `_meta`.
    modern_list_suffix: String,
    /// Whether any tool may run as a task (read on every `initialize`).
    has_task_tools: bool,
}

/// How long a sealed `requestState` stays valid: long enough for a person to
/// answer a form, short enough that a leaked one soon stops working.
const REQUEST_STATE_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// How long a task's outcome is kept after it ends, and how often clients are
/// asked to poll it.
const TASK_TTL: Duration = Duration::from_secs(10 * 60);
const TASK_POLL_INTERVAL: Duration = Duration::from_millis(500);
/// The longest a task runs: a question nobody answers must not hold a task, and
/// its handler, forever.
const TASK_MAX_RUN: Duration = Duration::from_secs(60 * 60);

/// List items, serialized once: a page is their JSON text spliced together.
struct Lists {
    tools: Vec<Encoded>,
    resources: Vec<Encoded>,
    templates: Vec<Encoded>,
    prompts: Vec<Encoded>,
}

fn version_index(v: ProtocolVersion) -> usize {
    ProtocolVersion::ALL
        .iter()
        .position(|x| *x == v)
        .unwrap_or(ProtocolVersion::ALL.len() - 1)
}

impl Server {
    pub(crate) fn from_registry(registry: Registry) -> Server {
        let lists = ProtocolVersion::ALL
            .iter()
            .map(|&v| {
                let map = |defs: Vec<&Value>, f: fn(&mut Value, ProtocolVersion)| {
                    defs.into_iter()
                        .map(|d| {
                            let mut d = d.clone();
                            f(&mut d, v);
                            jsonrpc::encode(&d)
                        })
                        .collect()
                };
                Lists {
                    tools: registry
                        .tools
                        .iter()
                        .map(|t| {
                            let mut d = t.definition.clone();
                            downgrade::tool(&mut d, v);
                            // 2025-11-25 tells clients in the tool which calls may be tasks.
                            let support = match t.task_support {
                                TaskSupport::Forbidden => None,
                                TaskSupport::Optional => Some("optional"),
                                TaskSupport::Required => Some("required"),
                            };
                            if let (true, Some(support), Value::Object(d)) =
                                (v.has_tasks(), support, &mut d)
                            {
                                d.insert("execution".into(), json!({ "taskSupport": support }));
                            }
                            jsonrpc::encode(&d)
                        })
                        .collect(),
                    resources: map(
                        registry.resources.iter().map(|r| &r.definition).collect(),
                        downgrade::listed_item,
                    ),
                    templates: map(
                        registry.templates.iter().map(|t| &t.definition).collect(),
                        downgrade::listed_item,
                    ),
                    prompts: map(
                        registry.prompts.iter().map(|p| &p.definition).collect(),
                        downgrade::listed_item,
                    ),
                }
            })
            .collect();
        let name = registry
            .info
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("mcpgen")
            .to_owned();
        let mut modern_info = registry.info.clone();
        downgrade::implementation(&mut modern_info, ProtocolVersion::V2026_07_28);
        let modern_list_suffix = format!(
            ",\"resultType\":\"complete\",{},\"_meta\":{}",
            cache_fields(registry.cache),
            json!({ modern::META_SERVER_INFO: modern_info })
        );
        let has_task_tools = registry
            .tools
            .iter()
            .any(|t| t.task_support != TaskSupport::Forbidden);
        Server {
            shared: Arc::new(Shared {
                registry,
                link: Arc::new(ServerLink {
                    name,
                    events: Events::new(),
                    client_request_timeout: Duration::from_secs(60),
                }),
                page_size: 100,
                lists,
                sealer: Sealer::random(REQUEST_STATE_LIFETIME),
                tasks: TaskStore::new(TASK_TTL, TASK_POLL_INTERVAL),
                modern_info,
                modern_list_suffix,
                has_task_tools,
            }),
        }
    }

    fn settings(&mut self) -> &mut Shared {
        Arc::get_mut(&mut self.shared).expect("a Server is configured before it serves")
    }

    /// How long a handler waits for the client to answer a sampling, elicitation or
    /// roots request (default 60 s).
    pub fn client_request_timeout(mut self, timeout: Duration) -> Self {
        Arc::get_mut(&mut self.settings().link)
            .expect("a Server is configured before it serves")
            .client_request_timeout = timeout;
        self
    }

    /// Seals the `requestState` of 2026 requests that wait for client input with
    /// this key, instead of one made at random when the server starts, so replicas
    /// (and restarts) accept each other's state; state sealed with `previous` is
    /// still accepted while keys rotate.
    pub fn request_state_key(mut self, key: [u8; 32], previous: Option<[u8; 32]>) -> Self {
        let mut sealer = Sealer::new(key, REQUEST_STATE_LIFETIME);
        if let Some(previous) = previous {
            sealer = sealer.with_previous_key(previous);
        }
        self.settings().sealer = sealer;
        self
    }

    /// How many items each page of a list method holds (default 100).
    pub fn page_size(mut self, items: usize) -> Self {
        self.settings().page_size = items.max(1);
        self
    }
}

impl ServerBuilder {
    /// Finishes the server.
    ///
    /// # Panics
    ///
    /// When a definition is malformed. Generated code never passes one; the panic
    /// marks a generator bug at start-up, never a reaction to input.
    pub fn build(&mut self) -> Server {
        Server::from_registry(self.finish())
    }
}

impl Shared {
    fn has_resources(&self) -> bool {
        !self.registry.resources.is_empty() || !self.registry.templates.is_empty()
    }

    fn capabilities(&self, v: ProtocolVersion) -> Value {
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
    pub(crate) fn initialize(
        &self,
        params: Option<&Value>,
    ) -> Result<(Negotiated, Encoded), RequestError> {
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

    /// Serves one request of an initialized session. The request is registered for
    /// cancellation at once, before the returned future first runs, so a
    /// `notifications/cancelled` read right after it always finds it. The future
    /// yields the JSON-RPC response, or `None` when the client cancelled the request
    /// (no response is due then).
    pub(crate) fn handle_request(
        self: &Arc<Self>,
        session: &Arc<Session>,
        id: RequestId,
        method: String,
        params: Option<Value>,
        outbound: Arc<dyn Outbound>,
    ) -> impl Future<Output = Option<Encoded>> + Send + 'static {
        let cancel = session.begin_request(&id);
        let shared = self.clone();
        let session = session.clone();
        async move {
            let progress_token = params
                .as_ref()
                .and_then(Value::as_object)
                .and_then(progress_token);
            let ctx = Context::new(
                id.clone(),
                progress_token,
                session.clone(),
                outbound,
                shared.link.clone(),
                cancel.clone(),
                Questions::Session,
            );
            let log = RequestLog::start(&method, params.as_ref());
            let work =
                AssertUnwindSafe(shared.dispatch(ctx, &method, params, false)).catch_unwind();
            let outcome = tokio::select! {
                // Cancellation wins ties: a handler that noticed the cancellation
                // and returned must not be answered either.
                biased;
                _ = cancel.cancelled() => None,
                r = work => Some(r),
            };
            session.end_request(&id);
            let outcome = outcome.filter(|_| !cancel.is_cancelled());
            let Some(outcome) = outcome else {
                log.finish(&method, &id, None);
                return None;
            };
            let result = outcome.unwrap_or_else(|panic| {
                operator_log::handler_panicked(&method, &id, &*panic);
                Err(RequestError::internal(
                    "Internal error: the handler panicked",
                ))
            });
            log.finish(&method, &id, Some(&result));
            Some(match result {
                Ok(result) => jsonrpc::response(&id, &result),
                Err(e) => jsonrpc::error_response(Some(&id), &e),
            })
        }
    }

    /// Handles a notification from the client.
    pub(crate) fn handle_notification(
        &self,
        session: &Session,
        method: &str,
        params: Option<&Value>,
    ) {
        match method {
            "notifications/initialized" => session.mark_initialized(),
            "notifications/cancelled" => {
                let id = params
                    .and_then(|p| p.get("requestId"))
                    .and_then(|v| serde_json::from_value::<RequestId>(v.clone()).ok());
                if let Some(id) = id {
                    session.cancel_request(&id);
                }
            }
            // Progress for server requests, roots changes and anything unknown need
            // no action; notifications never get an answer.
            _ => {}
        }
    }

    /// Serves one modern request, already admitted (its `_meta`, headers and
    /// capabilities checked). Like [`Shared::handle_request`], the future yields
    /// `None` when the client cancelled.
    pub(crate) fn handle_modern(
        self: &Arc<Self>,
        meta: RequestMeta,
        id: RequestId,
        method: String,
        params: Option<Value>,
        outbound: Arc<dyn Outbound>,
        cancel: CancellationToken,
    ) -> impl Future<Output = Option<Encoded>> + Send + 'static {
        use tracing::Instrument as _;
        // The client's trace parents ours: a collector joins the two.
        let span = tracing::debug_span!(
            "mcp.request",
            method = %method,
            traceparent = meta.trace.as_ref().map_or("", |t| t.traceparent.as_str()),
        );
        let shared = self.clone();
        let log = RequestLog::start(&method, params.as_ref());
        async move {
            let work = AssertUnwindSafe(shared.serve_modern(
                meta,
                &id,
                &method,
                params,
                outbound,
                cancel.clone(),
            ))
            .catch_unwind();
            let outcome = tokio::select! {
                biased;
                _ = cancel.cancelled() => None,
                r = work => Some(r),
            };
            let outcome = outcome.filter(|_| !cancel.is_cancelled());
            let Some(outcome) = outcome else {
                log.finish(&method, &id, None);
                return None;
            };
            let result = outcome.unwrap_or_else(|panic| {
                operator_log::handler_panicked(&method, &id, &*panic);
                Err(RequestError::internal(
                    "Internal error: the handler panicked",
                ))
            });
            log.finish(&method, &id, Some(&result));
            Some(match result {
                Ok(result) => jsonrpc::response(&id, &result),
                Err(e) => jsonrpc::error_response(Some(&id), &modern::for_modern(e)),
            })
        }
        .instrument(span)
    }

    #[allow(clippy::too_many_arguments)]
    async fn serve_modern(
        self: &Arc<Self>,
        meta: RequestMeta,
        id: &RequestId,
        method: &str,
        params: Option<Value>,
        outbound: Arc<dyn Outbound>,
        cancel: CancellationToken,
    ) -> Result<Encoded, RequestError> {
        let mut params = match params {
            None => Map::new(),
            Some(Value::Object(m)) => m,
            Some(_) => return Err(RequestError::invalid_params("`params` must be an object")),
        };
        match method {
            "server/discover" => return Ok(jsonrpc::encode(&self.discover())),
            "tasks/get" | "tasks/update" | "tasks/cancel" => {
                return self.modern_task_request(method, &params);
            }
            _ => {}
        }
        let wants_tasks = meta.has_extension(modern::TASKS_EXTENSION);
        let progress_token = progress_token(&params);
        let session = Arc::new(Session::modern(
            Negotiated {
                version: meta.version,
                client_capabilities: meta.client_capabilities,
                client_info: meta.client_info,
                trace: meta.trace.map(Box::new),
            },
            meta.log_level,
        ));
        // Only the methods that name a tool, prompt or resource may answer
        // `input_required` (SEP-2322); the tasks methods were served above.
        let Some(subject_key) = modern::named_param(method) else {
            let ctx = Context::new(
                id.clone(),
                progress_token,
                session,
                outbound,
                self.link.clone(),
                cancel,
                Questions::Unavailable,
            );
            return self
                .dispatch(ctx, method, Some(Value::Object(params)), true)
                .await;
        };
        let subject = params
            .get(subject_key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let arguments = params.get("arguments").cloned().unwrap_or(Value::Null);
        let binding = Binding {
            purpose: method,
            subject: &subject,
            arguments: &arguments,
            // No authentication layer exists yet; the binding is ready for one.
            principal: None,
        };
        let replay = Arc::new(self.resume(&binding, &mut params)?);
        let task_starts = (method == "tools/call" && wants_tasks)
            .then(|| self.tool_task_starts(&subject))
            .flatten();
        if task_starts == Some(TaskStarts::OnCall) {
            // A task from the start: questions wait in the task for `tasks/update`.
            let task = self.tasks.create(Owner::Anyone, None)?;
            let ctx = Context::new(
                id.clone(),
                None,
                session,
                Arc::new(Discard),
                self.link.clone(),
                task.cancel_token(),
                Questions::Task(task.clone()),
            );
            self.run_task(&task, self.owned_dispatch(ctx, method, params, true), true);
            return Ok(jsonrpc::encode(&tasks::modern_created(&task.snapshot())));
        }
        let detach = Arc::new(Detach::default());
        let mut ctx = Context::new(
            id.clone(),
            progress_token,
            session,
            outbound,
            self.link.clone(),
            // Until a detach the client's disconnect drops the handler outright;
            // after it, only `tasks/cancel` stops it.
            if task_starts.is_some() {
                CancellationToken::new()
            } else {
                cancel
            },
            Questions::Replay(replay.clone()),
        );
        if task_starts.is_some() {
            ctx = ctx.detachable(detach.clone());
        }
        let mut work = self.owned_dispatch(ctx, method, params, true);
        tokio::select! {
            biased;
            r = &mut work => r,
            _ = replay.suspended() => self.input_required(&replay, &binding),
            _ = detach.requested() => {
                let task = self.tasks.create(Owner::Anyone, None)?;
                detach.install(task.clone());
                self.run_task(&task, work, true);
                Ok(jsonrpc::encode(&tasks::modern_created(&task.snapshot())))
            }
        }
    }

    /// Where a modern call of tool `name` becomes a task, if it may be one.
    fn tool_task_starts(&self, name: &str) -> Option<TaskStarts> {
        let tool = self.registry.tool(name)?;
        (tool.task_support != TaskSupport::Forbidden).then_some(tool.task_starts)
    }

    /// `dispatch` as a future that owns what it needs, so it can move to a task.
    fn owned_dispatch(
        self: &Arc<Self>,
        ctx: Context,
        method: &str,
        params: Map<String, Value>,
        modern: bool,
    ) -> BoxFuture<Result<Encoded, RequestError>> {
        let shared = self.clone();
        let method = method.to_owned();
        Box::pin(async move {
            shared
                .dispatch(ctx, &method, Some(Value::Object(params)), modern)
                .await
        })
    }

    /// Runs a call in the background as `task`, recording how it ends; a
    /// cancelled task drops its handler.
    fn run_task(
        &self,
        task: &Arc<Task>,
        work: BoxFuture<Result<Encoded, RequestError>>,
        modern: bool,
    ) {
        let task = task.clone();
        tokio::spawn(async move {
            let token = task.cancel_token();
            let outcome = tokio::select! {
                biased;
                _ = token.cancelled() => return,
                _ = tokio::time::sleep(TASK_MAX_RUN) => {
                    task.fail(RequestError::internal("The task ran longer than the server allows"));
                    return;
                }
                r = AssertUnwindSafe(work).catch_unwind() => r,
            };
            match outcome {
                Ok(Ok(result)) => {
                    let result = serde_json::from_str(result.get()).unwrap_or(Value::Null);
                    task.complete(result);
                }
                Ok(Err(e)) => {
                    task.fail(if modern { modern::for_modern(e) } else { e });
                }
                Err(panic) => {
                    tracing::error!(
                        task = task.id(),
                        panic = operator_log::panic_message(&*panic),
                        "a task's handler panicked; the task failed"
                    );
                    task.fail(RequestError::internal(
                        "Internal error: the handler panicked",
                    ));
                }
            }
        });
    }

    /// `tasks/get`, `tasks/update` and `tasks/cancel` of the tasks extension.
    fn modern_task_request(
        &self,
        method: &str,
        params: &Map<String, Value>,
    ) -> Result<Encoded, RequestError> {
        let task = self.find_task(params, &Owner::Anyone)?;
        let mut result = match method {
            "tasks/get" => tasks::modern_detailed(&task.snapshot()),
            "tasks/update" => {
                let Some(Value::Object(answers)) = params.get("inputResponses") else {
                    return Err(RequestError::invalid_params(
                        "Invalid params: `inputResponses` must be an object",
                    ));
                };
                task.answer(answers);
                json!({})
            }
            _ => {
                // Cancelling an ended task is acknowledged all the same.
                task.cancel();
                json!({})
            }
        };
        if let Value::Object(m) = &mut result {
            modern::complete(m, &self.modern_info);
        }
        Ok(jsonrpc::encode(&result))
    }

    fn find_task(
        &self,
        params: &Map<String, Value>,
        owner: &Owner,
    ) -> Result<Arc<Task>, RequestError> {
        let id = params
            .get("taskId")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                RequestError::invalid_params("Invalid params: `taskId` must be a string")
            })?;
        self.tasks
            .get(id, owner)
            .ok_or_else(|| RequestError::invalid_params(format!("Unknown task: {id}")))
    }

    /// Reads a retry's `inputResponses` and sealed `requestState` into the answers
    /// the handler's replay can use.
    fn resume(
        &self,
        binding: &Binding<'_>,
        params: &mut Map<String, Value>,
    ) -> Result<Replay, RequestError> {
        let mut answers = match params.remove("inputResponses") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m,
            Some(_) => {
                return Err(RequestError::invalid_params(
                    "Invalid params: `inputResponses` must be an object",
                ));
            }
        };
        match params.remove("requestState") {
            None | Some(Value::Null) => {}
            Some(Value::String(state)) => {
                let opened = self.sealer.open(binding, &state).map_err(|why| {
                    RequestError::invalid_params(format!("Invalid params: `requestState` {why}"))
                })?;
                let earlier = serde_json::from_slice::<Value>(&opened)
                    .ok()
                    .and_then(|v| match v {
                        Value::Object(mut m) => m.remove("answers"),
                        _ => None,
                    });
                // Answers sealed in earlier rounds stand; the client cannot redo them.
                if let Some(Value::Object(earlier)) = earlier {
                    answers.extend(earlier);
                }
            }
            Some(_) => {
                return Err(RequestError::invalid_params(
                    "Invalid params: `requestState` must be a string",
                ));
            }
        }
        Ok(Replay::new(answers))
    }

    /// The result of a handler suspended for client input.
    fn input_required(
        &self,
        replay: &Replay,
        binding: &Binding<'_>,
    ) -> Result<Encoded, RequestError> {
        match replay.suspension() {
            Suspension::Invalid(e) => Err(e),
            Suspension::NeedInput { requests, answers } => {
                let state = json!({ "answers": answers }).to_string();
                let result = json!({
                    "resultType": "input_required",
                    "inputRequests": requests,
                    "requestState": self.sealer.seal(binding, state.as_bytes()),
                    "_meta": { modern::META_SERVER_INFO: self.modern_info },
                });
                Ok(jsonrpc::encode(&result))
            }
        }
    }

    /// Every check a modern request passes before it is served (§1.3 steps 2 to
    /// 10), in order; the transport gives the HTTP headers when there are any.
    pub(crate) fn admit_modern(
        &self,
        method: &str,
        params: Option<&Value>,
        headers: Option<&dyn modern::Headers>,
    ) -> Result<RequestMeta, modern::Rejection> {
        let meta = modern::read_meta(method, params, headers)?;
        if !self.serves_modern(method) {
            return Err(modern::Rejection {
                status: 404,
                error: RequestError::method_not_found(method),
            });
        }
        if let Some(headers) = headers {
            modern::check_name_header(method, params, headers)
                .map_err(modern::Rejection::bad_request)?;
        }
        let tasks_declared = meta.has_extension(modern::TASKS_EXTENSION);
        let tool = (method == "tools/call")
            .then(|| params.and_then(|p| p.get("name")).and_then(Value::as_str))
            .flatten()
            .and_then(|name| self.registry.tool(name));
        if let Some(tool) = tool {
            if let Some(headers) = headers {
                let arguments = params.and_then(|p| p.get("arguments"));
                modern::check_param_headers(&tool.header_params, arguments, headers)
                    .map_err(modern::Rejection::bad_request)?;
            }
            // Decided before any byte of an answer: what the tool cannot run without.
            if !modern::declares(&meta.client_capabilities, &tool.requires) {
                return Err(modern::Rejection::bad_request(modern::missing_capability(
                    Value::Object(tool.requires.clone()),
                )));
            }
            if tool.task_support == TaskSupport::Required && !tasks_declared {
                return Err(modern::Rejection::bad_request(modern::missing_capability(
                    json!({ "extensions": { modern::TASKS_EXTENSION: {} } }),
                )));
            }
        }
        let asks_task_events = method == "subscriptions/listen"
            && params
                .and_then(|p| p.pointer("/notifications/taskIds"))
                .is_some();
        let task_method = matches!(method, "tasks/get" | "tasks/update" | "tasks/cancel");
        if (task_method || asks_task_events) && !tasks_declared {
            return Err(modern::Rejection::bad_request(modern::missing_capability(
                json!({ "extensions": { modern::TASKS_EXTENSION: {} } }),
            )));
        }
        Ok(meta)
    }

    /// Whether a modern request may call `method` here; anything else is 404 +
    /// `-32601`, removed methods (`initialize`, `ping`, …) included.
    pub(crate) fn serves_modern(&self, method: &str) -> bool {
        let r = &self.registry;
        match method {
            "server/discover" | "subscriptions/listen" => true,
            "tools/list" | "tools/call" => !r.tools.is_empty(),
            "resources/list" | "resources/templates/list" | "resources/read" => {
                self.has_resources()
            }
            "prompts/list" | "prompts/get" => !r.prompts.is_empty(),
            "completion/complete" => self.has_completions(),
            "tasks/get" | "tasks/update" | "tasks/cancel" => self.has_task_tools,
            _ => false,
        }
    }

    fn has_completions(&self) -> bool {
        !self.registry.prompts.is_empty() || !self.registry.templates.is_empty()
    }

    /// The `server/discover` result.
    fn discover(&self) -> Value {
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

    async fn dispatch(
        self: &Arc<Self>,
        ctx: Context,
        method: &str,
        params: Option<Value>,
        modern: bool,
    ) -> Result<Encoded, RequestError> {
        let params = match params {
            None => Map::new(),
            Some(Value::Object(m)) => m,
            Some(_) => return Err(RequestError::invalid_params("`params` must be an object")),
        };
        if let Some((key, items)) = self.listed(method, ctx.protocol_version()) {
            return self.list(&params, key, items, modern);
        }
        let mut result = self.dispatch_value(ctx, method, params).await?;
        if modern {
            if let Value::Object(result) = &mut result {
                modern::complete(result, &self.modern_info);
            }
        }
        Ok(jsonrpc::encode(&result))
    }

    /// The items a list method serves, and the key they go under, if this server
    /// offers the method.
    fn listed(&self, method: &str, v: ProtocolVersion) -> Option<(&'static str, &[Encoded])> {
        let r = &self.registry;
        let lists = &self.lists[version_index(v)];
        match method {
            "tools/list" if !r.tools.is_empty() => Some(("tools", &lists.tools)),
            "resources/list" if self.has_resources() => Some(("resources", &lists.resources)),
            "resources/templates/list" if self.has_resources() => {
                Some(("resourceTemplates", &lists.templates))
            }
            "prompts/list" if !r.prompts.is_empty() => Some(("prompts", &lists.prompts)),
            _ => None,
        }
    }

    /// Every method but the lists.
    async fn dispatch_value(
        self: &Arc<Self>,
        ctx: Context,
        method: &str,
        params: Map<String, Value>,
    ) -> Result<Value, RequestError> {
        let r = &self.registry;
        match method {
            "ping" => Ok(json!({})),
            "initialize" => Err(RequestError::new(
                ErrorCode::INVALID_REQUEST,
                "Invalid request: the session is already initialized",
            )),
            "tools/call" if self.is_legacy_task_call(&ctx, &params) => {
                self.start_legacy_task(ctx, params)
            }
            "tools/call" if !r.tools.is_empty() => self.call_tool(ctx, params).await,
            "tasks/get" | "tasks/result" | "tasks/list" | "tasks/cancel"
                if self.has_task_tools && ctx.protocol_version().has_tasks() =>
            {
                self.legacy_task_request(ctx, method, &params).await
            }
            "resources/read" if self.has_resources() => self.read_resource(ctx, &params).await,
            "resources/subscribe" if self.has_resources() => {
                ctx_session(&ctx, &params, |s, uri| s.subscribe(uri))
            }
            "resources/unsubscribe" if self.has_resources() => {
                ctx_session(&ctx, &params, |s, uri| s.unsubscribe(uri))
            }
            "prompts/get" if !r.prompts.is_empty() => self.get_prompt(ctx, params).await,
            "completion/complete" => self.complete(ctx, &params).await,
            "logging/setLevel" => {
                let level = params
                    .get("level")
                    .and_then(Value::as_str)
                    .and_then(|l| l.parse::<LogLevel>().ok())
                    .ok_or_else(|| {
                        RequestError::invalid_params(
                            "`level` must be one of debug, info, notice, warning, error, critical, alert, emergency",
                        )
                    })?;
                ctx.session().set_log_level(level);
                Ok(json!({}))
            }
            _ => Err(RequestError::method_not_found(method)),
        }
    }

    /// A 2025-11-25 `tools/call` with a `task` param, of a tool that may run as one.
    fn is_legacy_task_call(&self, ctx: &Context, params: &Map<String, Value>) -> bool {
        ctx.protocol_version().has_tasks()
            && params.get("task").is_some_and(Value::is_object)
            && params
                .get("name")
                .and_then(Value::as_str)
                .and_then(|n| self.tool_task_starts(n))
                .is_some()
    }

    /// Starts a 2025-11-25 experimental task: the call runs on in the background,
    /// bound to its session.
    fn start_legacy_task(
        self: &Arc<Self>,
        ctx: Context,
        mut params: Map<String, Value>,
    ) -> Result<Value, RequestError> {
        let ttl = params
            .remove("task")
            .and_then(|t| t.get("ttl").and_then(Value::as_u64))
            .map(Duration::from_millis);
        let owner = Owner::Session(ctx.session().task_owner().to_owned());
        let task = self.tasks.create(owner, ttl)?;
        let shared = self.clone();
        let work: BoxFuture<Result<Encoded, RequestError>> = Box::pin(async move {
            let result = shared.call_tool(ctx, params).await?;
            Ok(jsonrpc::encode(&result))
        });
        self.run_task(&task, work, false);
        Ok(json!({ "task": tasks::legacy_task(&task.snapshot()) }))
    }

    /// `tasks/get`, `tasks/result`, `tasks/list` and `tasks/cancel` of 2025-11-25.
    async fn legacy_task_request(
        &self,
        ctx: Context,
        method: &str,
        params: &Map<String, Value>,
    ) -> Result<Value, RequestError> {
        let owner = Owner::Session(ctx.session().task_owner().to_owned());
        if method == "tasks/list" {
            let cursor = match params.get("cursor") {
                None | Some(Value::Null) => None,
                Some(Value::String(c)) => Some(c.as_str()),
                Some(_) => return Err(RequestError::invalid_params("Invalid cursor")),
            };
            let (page, next) = self.tasks.list(&owner, cursor, self.page_size)?;
            let listed: Vec<Value> = page
                .iter()
                .map(|t| tasks::legacy_task(&t.snapshot()))
                .collect();
            let mut result = json!({ "tasks": listed });
            if let Some(next) = next {
                result["nextCursor"] = next.into();
            }
            return Ok(result);
        }
        let task = self.find_task(params, &owner)?;
        match method {
            "tasks/get" => Ok(tasks::legacy_task(&task.snapshot())),
            "tasks/cancel" => {
                if !task.cancel() {
                    return Err(RequestError::invalid_params(format!(
                        "Task {} has already ended",
                        task.id()
                    )));
                }
                Ok(tasks::legacy_task(&task.snapshot()))
            }
            _ => {
                tokio::select! {
                    _ = task.terminal() => {}
                    _ = ctx.cancelled() => return Err(RequestError::internal("cancelled")),
                }
                match task.snapshot().outcome {
                    Some(tasks::Outcome::Completed(result)) => {
                        let mut result = Value::clone(&result);
                        if let Value::Object(m) = &mut result {
                            let meta = m.entry("_meta").or_insert_with(|| json!({}));
                            meta["io.modelcontextprotocol/related-task"] =
                                json!({ "taskId": task.id() });
                        }
                        Ok(result)
                    }
                    Some(tasks::Outcome::Failed(e)) => Err(e),
                    _ => Err(RequestError::invalid_params(format!(
                        "Task {} was cancelled",
                        task.id()
                    ))),
                }
            }
        }
    }

    fn list(
        &self,
        params: &Map<String, Value>,
        key: &str,
        items: &[Encoded],
        modern: bool,
    ) -> Result<Encoded, RequestError> {
        let start = match params.get("cursor") {
            None | Some(Value::Null) => 0,
            Some(Value::String(c)) => decode_cursor(c)
                .filter(|&n| n <= items.len())
                .ok_or_else(|| RequestError::invalid_params("Invalid cursor"))?,
            Some(_) => return Err(RequestError::invalid_params("Invalid cursor")),
        };
        let end = (start + self.page_size).min(items.len());
        // `key` is one of the list keys above: plain ASCII, no escaping needed.
        let mut result = format!("{{\"{key}\":");
        jsonrpc::push_array(&mut result, &items[start..end]);
        if end < items.len() {
            result.push_str(&format!(",\"nextCursor\":\"{}\"", encode_cursor(end)));
        }
        if modern {
            result.push_str(&self.modern_list_suffix);
        }
        result.push('}');
        Ok(jsonrpc::from_json_text(result))
    }

    async fn call_tool(
        &self,
        ctx: Context,
        mut params: Map<String, Value>,
    ) -> Result<Value, RequestError> {
        let name = match params.get("name") {
            Some(Value::String(n)) => n.clone(),
            _ => return Err(RequestError::invalid_params("`name` must be a string")),
        };
        let args = match params.remove("arguments") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(a)) => a,
            Some(_) => {
                return Err(RequestError::invalid_params(
                    "`arguments` must be an object",
                ));
            }
        };
        let tool = self
            .registry
            .tool(&name)
            .ok_or_else(|| RequestError::invalid_params(format!("Unknown tool: {name}")))?;
        let v = ctx.protocol_version();
        let args_value = Value::Object(args);
        // `is_valid` is the cheap question; errors are collected only on failure.
        if let Some(validator) = tool.validator.as_ref().filter(|v| !v.is_valid(&args_value)) {
            let problems: Vec<String> = validator
                .iter_errors(&args_value)
                .take(10)
                .map(|e| {
                    let path = e.instance_path().to_string();
                    let at = if path.is_empty() {
                        "/".to_owned()
                    } else {
                        path
                    };
                    format!("{at}: {e}")
                })
                .collect();
            if !problems.is_empty() {
                let text = format!(
                    "Invalid arguments for tool `{name}`:\n{}",
                    problems.join("\n")
                );
                let mut result =
                    json!({ "content": [{ "type": "text", "text": text }], "isError": true });
                downgrade::call_tool_result(&mut result, v);
                return Ok(result);
            }
        }
        let Value::Object(args) = args_value else {
            unreachable!("built as an object above")
        };
        // The context is a shared handle: this copy names the request if the
        // handler panics, so the operator's log says which tool did.
        let caller = ctx.clone();
        let result = match AssertUnwindSafe((tool.handler)(ctx, args))
            .catch_unwind()
            .await
        {
            Ok(result) => result?,
            Err(panic) => {
                operator_log::tool_panicked(&name, caller.request_id(), &*panic);
                return Err(RequestError::internal(
                    "Internal error: the handler panicked",
                ));
            }
        };
        let mut result = serde_json::to_value(result)
            .map_err(|e| RequestError::internal(format!("result did not serialize: {e}")))?;
        downgrade::call_tool_result(&mut result, v);
        Ok(result)
    }

    async fn read_resource(
        &self,
        ctx: Context,
        params: &Map<String, Value>,
    ) -> Result<Value, RequestError> {
        let uri = params
            .get("uri")
            .and_then(Value::as_str)
            .ok_or_else(|| RequestError::invalid_params("`uri` must be a string"))?
            .to_owned();
        let r = &self.registry;
        let modern = ctx.protocol_version().is_modern();
        let hints;
        let result: ReadResourceResult = if let Some(&i) = r.resource_index.get(&uri) {
            let entry = &r.resources[i];
            hints = entry.cache_hints(r.cache);
            let mime = entry.mime_type.clone();
            match &entry.source {
                ResourceSource::Text(text) => ResourceContents::Text {
                    uri,
                    mime_type: mime,
                    text: (*text).to_owned(),
                }
                .into(),
                ResourceSource::Blob(bytes) => ResourceContents::Blob {
                    uri,
                    mime_type: mime,
                    blob: base64::engine::general_purpose::STANDARD.encode(bytes),
                }
                .into(),
                ResourceSource::Handler(h) => h(ctx, uri).await?,
            }
        } else {
            let found = r
                .templates
                .iter()
                .find_map(|t| t.template.matches(&uri).map(|vars| (t, vars)));
            let Some((entry, raw_vars)) = found else {
                return Err(RequestError::resource_not_found(&uri));
            };
            hints = entry.cache_hints();
            let vars = typed_vars(&entry.variables, raw_vars).map_err(|why| {
                RequestError::resource_not_found(&uri)
                    .with_data(json!({ "uri": uri, "reason": why }))
            })?;
            match &entry.source {
                TemplateSource::Text(body) => {
                    let text = r
                        .templates_env
                        .render_str(body, &vars)
                        .map_err(|e| RequestError::internal(format!("template failed: {e}")))?;
                    ResourceContents::Text {
                        uri,
                        mime_type: entry.mime_type.clone(),
                        text,
                    }
                    .into()
                }
                TemplateSource::Handler(h) => h(ctx, uri, vars).await?,
            }
        };
        let mut result =
            serde_json::to_value(result).map_err(|e| RequestError::internal(e.to_string()))?;
        if modern {
            if let Value::Object(m) = &mut result {
                insert_cache_hints(m, hints);
            }
        }
        Ok(result)
    }

    async fn get_prompt(
        &self,
        ctx: Context,
        params: Map<String, Value>,
    ) -> Result<Value, RequestError> {
        let name = params
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| RequestError::invalid_params("`name` must be a string"))?;
        let prompt = self
            .registry
            .prompt_index
            .get(name)
            .map(|&i| &self.registry.prompts[i])
            .ok_or_else(|| RequestError::invalid_params(format!("Unknown prompt: {name}")))?;
        let args = match params.get("arguments") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(a)) => a.clone(),
            Some(_) => {
                return Err(RequestError::invalid_params(
                    "`arguments` must be an object",
                ));
            }
        };
        if let Some((k, _)) = args.iter().find(|(_, v)| !v.is_string()) {
            return Err(RequestError::invalid_params(format!(
                "Prompt argument `{k}` must be a string"
            )));
        }
        if let Some(missing) = prompt
            .required
            .iter()
            .find(|a| !args.contains_key(a.as_str()))
        {
            return Err(RequestError::invalid_params(format!(
                "Missing required argument `{missing}` for prompt `{name}`"
            )));
        }
        let v = ctx.protocol_version();
        let mut result = match (&prompt.source, &prompt.messages) {
            (PromptSource::Messages(_), Some(templates)) => {
                let mut messages = templates.clone();
                self.render_strings(&mut messages, &args)?;
                let mut result = Map::new();
                if let Some(d) = prompt.definition.get("description") {
                    result.insert("description".into(), d.clone());
                }
                result.insert("messages".into(), messages);
                Value::Object(result)
            }
            (PromptSource::Handler(h), _) => {
                let r = h(ctx, args).await?;
                serde_json::to_value(r).map_err(|e| RequestError::internal(e.to_string()))?
            }
            (PromptSource::Messages(_), None) => {
                return Err(RequestError::internal("prompt has no messages"));
            }
        };
        downgrade::prompt_result(&mut result, v);
        Ok(result)
    }

    /// Renders every templated string (`text` and `uri`) in a message tree.
    fn render_strings(
        &self,
        value: &mut Value,
        args: &Map<String, Value>,
    ) -> Result<(), RequestError> {
        match value {
            Value::Array(items) => items
                .iter_mut()
                .try_for_each(|i| self.render_strings(i, args)),
            Value::Object(obj) => {
                for (k, v) in obj.iter_mut() {
                    match v {
                        Value::String(s)
                            if (k == "text" || k == "uri")
                                && (s.contains("{{") || s.contains("{%")) =>
                        {
                            *s = self
                                .registry
                                .templates_env
                                .render_str(s, args)
                                .map_err(|e| {
                                    RequestError::internal(format!("template failed: {e}"))
                                })?;
                        }
                        Value::Array(_) | Value::Object(_) => self.render_strings(v, args)?,
                        _ => {}
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    async fn complete(
        &self,
        ctx: Context,
        params: &Map<String, Value>,
    ) -> Result<Value, RequestError> {
        let r = &self.registry;
        let reference = params
            .get("ref")
            .and_then(Value::as_object)
            .ok_or_else(|| RequestError::invalid_params("`ref` must be an object"))?;
        let argument = params
            .get("argument")
            .and_then(Value::as_object)
            .ok_or_else(|| RequestError::invalid_params("`argument` must be an object"))?;
        let arg_name = argument
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| RequestError::invalid_params("`argument.name` must be a string"))?;
        let arg_value = argument
            .get("value")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let found = match reference.get("type").and_then(Value::as_str) {
            Some("ref/prompt") => {
                let name = reference
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if !r.prompt_index.contains_key(name) {
                    return Err(RequestError::invalid_params(format!(
                        "Unknown prompt: {name}"
                    )));
                }
                r.completions.iter().find(|(t, _)| {
                    matches!(t, CompletionTarget::PromptArgument { prompt, argument }
                        if *prompt == name && *argument == arg_name)
                })
            }
            Some("ref/resource") => {
                let uri = reference
                    .get("uri")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let known =
                    r.templates.iter().any(|t| {
                        t.definition.get("uriTemplate").and_then(Value::as_str) == Some(uri)
                    }) || r.resource_index.contains_key(uri);
                if !known {
                    return Err(RequestError::invalid_params(format!(
                        "Unknown resource: {uri}"
                    )));
                }
                r.completions.iter().find(|(t, _)| {
                    matches!(t, CompletionTarget::TemplateVariable { uri_template, variable }
                        if *uri_template == uri && *variable == arg_name)
                })
            }
            _ => {
                return Err(RequestError::invalid_params(
                    "`ref.type` must be ref/prompt or ref/resource",
                ));
            }
        };
        let completion = match found.map(|(_, s)| s) {
            None => crate::Completion::default(),
            Some(CompletionSource::Values(values)) => {
                let typed = arg_value.to_lowercase();
                let matching: Vec<String> = values
                    .iter()
                    .filter(|v| v.to_lowercase().starts_with(&typed))
                    .map(|v| (*v).to_owned())
                    .collect();
                crate::Completion::from(matching)
            }
            Some(CompletionSource::Handler(h)) => {
                let context = params
                    .get("context")
                    .and_then(|c| c.get("arguments"))
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                h(
                    ctx,
                    crate::CompletionRequest {
                        argument: arg_name.to_owned(),
                        value: arg_value.to_owned(),
                        context,
                    },
                )
                .await?
            }
        };
        Ok(json!({ "completion": cap_completion(completion) }))
    }
}

/// `ttlMs` and `cacheScope` as JSON members, for spliced list pages.
fn cache_fields(hints: CacheHints) -> String {
    let mut m = Map::new();
    insert_cache_hints(&mut m, hints);
    let text = Value::Object(m).to_string();
    text[1..text.len() - 1].to_owned()
}

fn insert_cache_hints(result: &mut Map<String, Value>, hints: CacheHints) {
    if let Ok(Value::Object(fields)) = serde_json::to_value(hints) {
        result.extend(fields);
    }
}

/// The request's `_meta.progressToken`, if it is a valid one.
fn progress_token(params: &Map<String, Value>) -> Option<Value> {
    params
        .get("_meta")
        .and_then(|m| m.get("progressToken"))
        .filter(|t| t.is_string() || t.is_i64() || t.is_u64())
        .cloned()
}

fn ctx_session(
    ctx: &Context,
    params: &Map<String, Value>,
    f: impl FnOnce(&Session, &str),
) -> Result<Value, RequestError> {
    let uri = params
        .get("uri")
        .and_then(Value::as_str)
        .ok_or_else(|| RequestError::invalid_params("`uri` must be a string"))?;
    f(ctx.session(), uri);
    Ok(json!({}))
}

/// At most 100 values go on the wire; the rest is summarized in `total`/`hasMore`.
fn cap_completion(mut c: crate::Completion) -> Value {
    const MAX: usize = 100;
    if c.values.len() > MAX {
        c.total = Some(c.total.unwrap_or(c.values.len() as u64));
        c.has_more = Some(true);
        c.values.truncate(MAX);
    }
    serde_json::to_value(c).unwrap_or_else(|_| json!({ "values": [] }))
}

fn typed_vars(
    types: &[(String, VarType)],
    raw: Vec<(String, String)>,
) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    for (name, text) in raw {
        let ty = types
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
            .unwrap_or(VarType::String);
        let value = match ty {
            VarType::String => Value::String(text),
            VarType::Integer => text
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| format!("`{name}` must be an integer"))?,
            VarType::Number => text
                .parse::<f64>()
                .ok()
                .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
                .ok_or_else(|| format!("`{name}` must be a number"))?,
            VarType::Boolean => text
                .parse::<bool>()
                .map(Value::Bool)
                .map_err(|_| format!("`{name}` must be true or false"))?,
        };
        out.insert(name, value);
    }
    Ok(out)
}

fn encode_cursor(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("o{offset}"))
}

fn decode_cursor(cursor: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()?;
    std::str::from_utf8(&bytes)
        .ok()?
        .strip_prefix('o')?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        assert_eq!(decode_cursor(&encode_cursor(42)), Some(42));
        assert_eq!(decode_cursor("not a cursor"), None);
        assert_eq!(decode_cursor(""), None);
    }

    #[test]
    fn template_variables_get_their_types() {
        let types = vec![("n".to_owned(), VarType::Integer)];
        let ok = typed_vars(&types, vec![("n".into(), "7".into())]).unwrap();
        assert_eq!(ok["n"], json!(7));
        assert!(typed_vars(&types, vec![("n".into(), "x".into())]).is_err());
    }

    #[test]
    fn completions_are_capped_at_100() {
        let c = crate::Completion::from((0..150).map(|i| i.to_string()).collect::<Vec<_>>());
        let v = cap_completion(c);
        assert_eq!(v["values"].as_array().unwrap().len(), 100);
        assert_eq!(v["total"], json!(150));
        assert_eq!(v["hasMore"], json!(true));
    }
}
