//! The entry points the transports call, one per era: `handle_request` and
//! `handle_notification` for a legacy session, `admit_modern` and `handle_modern`
//! for a stateless 2026 request; and the dispatch of a method to its handler.

use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use futures_util::FutureExt as _;
use futures_util::future::Either;
use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

use crate::context::{Context, Detach, Questions};
use crate::drain::Drain;
use crate::error::RequestError;
use crate::jsonrpc::{self, Encoded, ErrorCode, RequestId};
use crate::method::{Method, MethodName, Subject};
use crate::metrics::{RequestOutcome, SeriesKey};
use crate::middleware::{self, Chain, McpRequest, Outcome};
use crate::modern::{self, RequestMeta};
use crate::operator_log::{self, RequestLabels, RequestLog};
use crate::parts::RequestParts;
use crate::protocol::{LogLevel, ProtocolVersion, TraceContext};
use crate::registry::{TaskStarts, TaskSupport};
use crate::seal::Binding;
use crate::session::{Discard, Negotiated, Outbound, Session};
use crate::tasks::{self, Owner};

use super::Shared;

impl Shared {
    /// Serves one request of an initialized session. The request is registered for
    /// cancellation at once, before the returned future first runs, so a
    /// `notifications/cancelled` read right after it always finds it. The future
    /// yields the JSON-RPC response, or `None` when the client cancelled the request
    /// (no response is due then).
    pub(crate) fn handle_request(
        self: &Arc<Self>,
        session: &Arc<Session>,
        id: RequestId,
        method: MethodName,
        params: Option<Value>,
        outbound: Arc<dyn Outbound>,
        parts: Arc<RequestParts>,
    ) -> PendingAnswer {
        let cancel = session.begin_request(&id);
        let in_flight = self.drain.request();
        let (watch, verdict) = Watch::start(
            self,
            &id,
            &method,
            params.as_ref(),
            RequestLabels {
                version: session.version(),
                session: session.tag(),
                traceparent: &|| traceparent(&parts, params.as_ref()),
            },
            &parts,
        );
        let span = watch.log.span().clone();
        let shared = self.clone();
        let session = session.clone();
        let work = async move {
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
                parts,
            );
            // Boxed, the dispatch moves by pointer through the layers below rather
            // than being copied whole at each.
            let work = match verdict {
                Ok(()) => Either::Left(Box::pin(shared.dispatch(ctx, &method, params, false))),
                Err(refused) => Either::Right(Box::pin(std::future::ready(Err(*refused)))),
            };
            let settled = || session.end_request(&id);
            let deadline = shared.drain.deadline();
            let answer = answer_unless_cancelled(
                work,
                &cancel,
                deadline,
                settled,
                &watch,
                &method,
                &id,
                |e| e,
            )
            .await;
            drop(in_flight);
            answer
        };
        in_span(work, span)
    }

    /// Handles a notification from the client.
    pub(crate) fn handle_notification(
        &self,
        session: &Session,
        method: &MethodName,
        params: Option<&Value>,
    ) {
        match method.method() {
            Method::NotificationsInitialized => session.mark_initialized(),
            Method::NotificationsCancelled => {
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
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn handle_modern(
        self: &Arc<Self>,
        meta: RequestMeta,
        id: RequestId,
        method: MethodName,
        params: Option<Value>,
        outbound: Arc<dyn Outbound>,
        cancel: CancellationToken,
        parts: Arc<RequestParts>,
    ) -> PendingAnswer {
        let in_flight = self.drain.request();
        let (watch, verdict) = Watch::start(
            self,
            &id,
            &method,
            params.as_ref(),
            RequestLabels {
                version: meta.version,
                session: None,
                // The client's trace (from `_meta`, else the HTTP header) parents
                // ours: a collector joins the two.
                traceparent: &|| {
                    meta.trace
                        .as_ref()
                        .map(|t| t.traceparent.clone())
                        .or_else(|| traceparent(&parts, None))
                },
            },
            &parts,
        );
        let span = watch.log.span().clone();
        let shared = self.clone();
        let work = async move {
            // Boxed, as in `handle_request`.
            let work = match verdict {
                Ok(()) => Either::Left(Box::pin(shared.serve_modern(
                    meta,
                    &id,
                    &method,
                    params,
                    outbound,
                    cancel.clone(),
                    parts,
                ))),
                Err(refused) => Either::Right(Box::pin(std::future::ready(Err(*refused)))),
            };
            let deadline = shared.drain.deadline();
            let answer = answer_unless_cancelled(
                work,
                &cancel,
                deadline,
                || {},
                &watch,
                &method,
                &id,
                modern::for_modern,
            )
            .await;
            drop(in_flight);
            answer
        };
        in_span(work, span)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) async fn serve_modern(
        self: &Arc<Self>,
        meta: RequestMeta,
        id: &RequestId,
        method: &MethodName,
        params: Option<Value>,
        outbound: Arc<dyn Outbound>,
        cancel: CancellationToken,
        parts: Arc<RequestParts>,
    ) -> Result<Encoded, RequestError> {
        let mut params = match params {
            None => Map::new(),
            Some(Value::Object(m)) => m,
            Some(_) => return Err(RequestError::invalid_params("`params` must be an object")),
        };
        match method.method() {
            Method::ServerDiscover => return Ok(jsonrpc::encode(&self.discover())),
            m @ (Method::TasksGet | Method::TasksUpdate | Method::TasksCancel) => {
                return self.modern_task_request(m, &params, &task_owner(&parts));
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
        let Some(subject_key) = method.method().subject().map(Subject::key) else {
            let ctx = Context::new(
                id.clone(),
                progress_token,
                session,
                outbound,
                self.link.clone(),
                cancel,
                Questions::Unavailable,
                parts,
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
        // Sealed state is bound to its principal: another one's retry gets what
        // a forged state gets.
        let owner_key = parts.owner_key().map(str::to_owned);
        let binding = Binding {
            purpose: method.as_str(),
            subject: &subject,
            arguments: &arguments,
            principal: owner_key.as_deref(),
        };
        let replay = Arc::new(self.resume(&binding, &mut params)?);
        let task_starts = (method.method() == Method::ToolsCall && wants_tasks)
            .then(|| self.tool_task_starts(&subject))
            .flatten();
        if task_starts == Some(TaskStarts::OnCall) {
            // A task from the start: questions wait in the task for `tasks/update`.
            let task = self.tasks.create(task_owner(&parts), None)?;
            let ctx = Context::new(
                id.clone(),
                None,
                session,
                Arc::new(Discard),
                self.link.clone(),
                task.cancel_token(),
                Questions::Task(task.clone()),
                parts,
            );
            self.run_task(&task, self.owned_dispatch(ctx, method, params, true), true);
            return Ok(jsonrpc::encode(&tasks::modern_created(&task.snapshot())));
        }
        let detach = Arc::new(Detach::default());
        let owner = task_owner(&parts);
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
            parts,
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
                let task = self.tasks.create(owner, None)?;
                detach.install(task.clone());
                self.run_task(&task, work, true);
                Ok(jsonrpc::encode(&tasks::modern_created(&task.snapshot())))
            }
        }
    }

    /// Every check a modern request passes before it is served (§1.3 steps 2 to
    /// 10), in order; the transport gives the HTTP headers when there are any.
    pub(crate) fn admit_modern(
        &self,
        method: &MethodName,
        params: Option<&Value>,
        headers: Option<&dyn modern::Headers>,
    ) -> Result<RequestMeta, modern::Rejection> {
        let meta = modern::read_meta(method.as_str(), params, headers)?;
        if !self.serves_modern(method.method()) {
            return Err(modern::Rejection {
                status: 404,
                error: RequestError::method_not_found(method.as_str()),
            });
        }
        let method = method.method();
        if let Some(headers) = headers {
            modern::check_name_header(method, params, headers)
                .map_err(modern::Rejection::bad_request)?;
        }
        let tasks_declared = meta.has_extension(modern::TASKS_EXTENSION);
        let tool = (method == Method::ToolsCall)
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
        let asks_task_events = method == Method::SubscriptionsListen
            && params
                .and_then(|p| p.pointer("/notifications/taskIds"))
                .is_some();
        let task_method = matches!(
            method,
            Method::TasksGet | Method::TasksUpdate | Method::TasksCancel
        );
        if (task_method || asks_task_events) && !tasks_declared {
            return Err(modern::Rejection::bad_request(modern::missing_capability(
                json!({ "extensions": { modern::TASKS_EXTENSION: {} } }),
            )));
        }
        Ok(meta)
    }

    pub(super) async fn dispatch(
        self: &Arc<Self>,
        ctx: Context,
        method: &MethodName,
        params: Option<Value>,
        modern: bool,
    ) -> Result<Encoded, RequestError> {
        let params = match params {
            None => Map::new(),
            Some(Value::Object(m)) => m,
            Some(_) => return Err(RequestError::invalid_params("`params` must be an object")),
        };
        if let Some((key, items)) = self.listed(method.method(), ctx.protocol_version()) {
            return match self.visible(method.method(), ctx.parts(), items) {
                Some(visible) => self.list(&params, key, &visible, modern, true),
                None => self.list(&params, key, items, modern, false),
            };
        }
        let mut result = self.dispatch_value(ctx, method, params).await?;
        if modern {
            if let Value::Object(result) = &mut result {
                modern::complete(result, &self.modern_info);
            }
        }
        Ok(jsonrpc::encode(&result))
    }

    /// Every method but the lists.
    pub(super) async fn dispatch_value(
        self: &Arc<Self>,
        ctx: Context,
        method: &MethodName,
        params: Map<String, Value>,
    ) -> Result<Value, RequestError> {
        let r = &self.registry;
        match method.method() {
            Method::Ping => Ok(json!({})),
            Method::Initialize => Err(RequestError::new(
                ErrorCode::INVALID_REQUEST,
                "Invalid request: the session is already initialized",
            )),
            Method::ToolsCall if self.is_legacy_task_call(&ctx, &params) => {
                self.start_legacy_task(ctx, params)
            }
            Method::ToolsCall if !r.tools.is_empty() => self.call_tool(ctx, params).await,
            m @ (Method::TasksGet
            | Method::TasksResult
            | Method::TasksList
            | Method::TasksCancel)
                if self.has_task_tools && ctx.protocol_version().has_tasks() =>
            {
                self.legacy_task_request(ctx, m, &params).await
            }
            Method::ResourcesRead if self.has_resources() => self.read_resource(ctx, &params).await,
            Method::ResourcesSubscribe if self.has_resources() => {
                ctx_session(&ctx, &params, |s, uri| s.subscribe(uri))
            }
            Method::ResourcesUnsubscribe if self.has_resources() => {
                ctx_session(&ctx, &params, |s, uri| s.unsubscribe(uri))
            }
            Method::PromptsGet if !r.prompts.is_empty() => self.get_prompt(ctx, params).await,
            Method::CompletionComplete => self.complete(ctx, &params).await,
            Method::LoggingSetLevel => {
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
            // Unknown, of the other era, or not offered by this server.
            _ => Err(RequestError::method_not_found(method.as_str())),
        }
    }
}

/// Who owns the tasks a modern request starts: its principal when it has one, else
/// anyone holding the id (the id is then the bearer capability).
pub(super) fn task_owner(parts: &RequestParts) -> Owner {
    match parts.owner_key() {
        Some(key) => Owner::Principal(key.to_owned()),
        None => Owner::Anyone,
    }
}

/// The request's `_meta.progressToken`, if it is a valid one.
pub(super) fn progress_token(params: &Map<String, Value>) -> Option<Value> {
    params
        .get("_meta")
        .and_then(|m| m.get("progressToken"))
        .filter(|t| t.is_string() || t.is_i64() || t.is_u64())
        .cloned()
}

pub(super) fn ctx_session(
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

/// Awaits a request's handler unless the client cancels it first, and encodes the
/// answer; `None` when cancelled (no answer is due). Cancellation wins ties: a
/// handler that noticed the cancellation and returned is not answered either.
/// `settled` runs as soon as the handler is done or dropped, before the outcome is
/// decided; a panic becomes -32603 and is logged with the request; `watch` sees
/// the outcome (the operator log, the span, middleware); `wire_error`
/// turns an error into what the request's era sends. A request still running when
/// the shutdown `deadline` fires is answered with the shutdown error.
#[allow(clippy::too_many_arguments)]
async fn answer_unless_cancelled(
    work: impl Future<Output = Result<Encoded, RequestError>>,
    cancel: &CancellationToken,
    deadline: &CancellationToken,
    settled: impl FnOnce(),
    watch: &Watch,
    method: &MethodName,
    id: &RequestId,
    wire_error: impl FnOnce(RequestError) -> RequestError,
) -> Option<Encoded> {
    let work = AssertUnwindSafe(work).catch_unwind();
    let outcome = tokio::select! {
        biased;
        _ = cancel.cancelled() => None,
        r = work => Some(r),
        // The server's shutdown deadline passed: the client is told, not left waiting.
        _ = deadline.cancelled() => Some(Ok(Err(Drain::error()))),
    };
    settled();
    let Some(outcome) = outcome.filter(|_| !cancel.is_cancelled()) else {
        watch.finish(method, id, None);
        return None;
    };
    let result = outcome.unwrap_or_else(|panic| {
        operator_log::handler_panicked(method.as_str(), id, &*panic);
        Err(RequestError::internal(
            "Internal error: the handler panicked",
        ))
    });
    watch.finish(method, id, Some(&result));
    Some(match result {
        Ok(result) => jsonrpc::response(id, &result),
        Err(e) => jsonrpc::error_response(Some(id), &wire_error(e)),
    })
}

/// A request's answer to come. Boxed once, where it is made, so that nothing
/// copies the whole future again on its way to the transport. Keep it under about
/// 1 KiB (it is 696 bytes in a release build): glibc serves blocks up to 1,032
/// bytes from a per-thread cache, and anything larger from its shared bins at
/// several times the cost. Hence the boxed dispatch and refusal, the watch lent
/// rather than moved, and middleware's part of the watch boxed.
pub(crate) type PendingAnswer = Pin<Box<dyn Future<Output = Option<Encoded>> + Send + 'static>>;

/// Runs `work` in `span`, or bare when the span is off: entering a disabled span
/// on every poll costs a little on every request nobody traces.
fn in_span(
    work: impl Future<Output = Option<Encoded>> + Send + 'static,
    span: tracing::Span,
) -> PendingAnswer {
    if span.is_disabled() {
        Box::pin(work)
    } else {
        Box::pin(work.instrument(span))
    }
}

/// The W3C `traceparent` of a request: its `_meta`'s, else its HTTP header's.
fn traceparent(parts: &RequestParts, params: Option<&Value>) -> Option<String> {
    let from_meta = params
        .and_then(|p| p.get("_meta"))
        .and_then(Value::as_object)
        .and_then(TraceContext::from_meta)
        .map(|t| t.traceparent);
    from_meta.or_else(|| {
        let header = parts.headers.get("traceparent")?.to_str().ok()?;
        TraceContext::parse_traceparent(header.trim())
    })
}

/// What watches one request besides its handler: the operator log and span, and
/// the server's middleware.
struct Watch {
    log: RequestLog,
    /// Boxed: most servers have no middleware, and the watch lives in every
    /// request's future.
    middleware: Option<Box<Watched>>,
    /// When it started and the series it is counted in, while metrics are on.
    metrics: Option<(Instant, SeriesKey, Arc<Shared>)>,
}

/// What middleware's `after` is shown, kept from before dispatch (only when the
/// server has middleware).
struct Watched {
    chain: Chain,
    started: Instant,
    params: Option<Value>,
    version: ProtocolVersion,
    session: Option<Box<str>>,
    parts: Arc<RequestParts>,
}

impl Watch {
    /// Starts watching a request and runs the middleware's `before`: the verdict
    /// says whether the request may be dispatched (a refusal boxed, as it is rare
    /// and would otherwise widen every request's future).
    fn start(
        shared: &Arc<Shared>,
        id: &RequestId,
        method: &MethodName,
        params: Option<&Value>,
        labels: RequestLabels<'_>,
        parts: &Arc<RequestParts>,
    ) -> (Watch, Result<(), Box<RequestError>>) {
        let (version, session) = (labels.version, labels.session);
        let metrics = shared.link.metrics.is_on().then(|| {
            (
                Instant::now(),
                shared.metric_series(method.method(), params),
                shared.clone(),
            )
        });
        let log = RequestLog::start(method, params, labels);
        // Authorization comes before middleware: what a caller may not do, no
        // middleware sees.
        let authorized = shared
            .authorize(parts, method.method(), params)
            .map_err(|forbidden| Box::new(forbidden.to_error()));
        if shared.middleware.is_empty() || authorized.is_err() {
            return (
                Watch {
                    log,
                    middleware: None,
                    metrics,
                },
                authorized,
            );
        }
        let started = Instant::now();
        let request = McpRequest {
            id,
            method,
            params,
            version,
            session,
            parts,
        };
        let verdict = log
            .span()
            .in_scope(|| middleware::before(&shared.middleware, &request))
            .map_err(Box::new);
        let watched = Watched {
            chain: shared.middleware.clone(),
            started,
            params: params.cloned(),
            version,
            session: session.map(Into::into),
            parts: parts.clone(),
        };
        (
            Watch {
                log,
                middleware: Some(Box::new(watched)),
                metrics,
            },
            verdict,
        )
    }

    /// The request's outcome (`None`: cancelled) to middleware, then to the log.
    fn finish(
        &self,
        method: &MethodName,
        id: &RequestId,
        answer: Option<&Result<Encoded, RequestError>>,
    ) {
        if let Some(w) = &self.middleware {
            let request = McpRequest {
                id,
                method,
                params: w.params.as_ref(),
                version: w.version,
                session: w.session.as_deref(),
                parts: &w.parts,
            };
            let outcome = Outcome {
                result: answer.map(|r| r.as_ref().map(|_| ())),
                elapsed: w.started.elapsed(),
            };
            self.log
                .span()
                .in_scope(|| middleware::after(&w.chain, &request, &outcome));
        }
        if let Some((started, series, shared)) = &self.metrics {
            let outcome = match answer {
                None => RequestOutcome::Cancelled,
                Some(Err(_)) => RequestOutcome::Error,
                // A tool's own failure is a result; metrics tell it apart.
                Some(Ok(result))
                    if method.method() == Method::ToolsCall
                        && result.get().contains("\"isError\":true") =>
                {
                    RequestOutcome::ToolError
                }
                Some(Ok(_)) => RequestOutcome::Ok,
            };
            shared
                .link
                .metrics
                .request(series, outcome, started.elapsed());
        }
        self.log.finish(method.as_str(), id, answer);
    }
}
