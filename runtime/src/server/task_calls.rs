//! Tool calls that run as tasks, in both eras: starting them (at once or at a
//! handler's `detach`), running them to an end, and the `tasks/*` requests of the
//! 2026 extension and of 2025-11-25.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt as _;
use serde_json::{Map, Value, json};

use crate::context::Context;
use crate::drain::Drain;
use crate::error::RequestError;
use crate::jsonrpc::{self, Encoded};
use crate::method::{Method, MethodName};
use crate::modern;
use crate::operator_log;
use crate::registry::BoxFuture;
use crate::registry::{TaskStarts, TaskSupport};
use crate::tasks::{self, Owner, Task};

use super::Shared;

/// The longest a task runs: a question nobody answers must not hold a task, and
/// its handler, forever.
const TASK_MAX_RUN: Duration = Duration::from_secs(60 * 60);

impl Shared {
    /// Where a modern call of tool `name` becomes a task, if it may be one.
    pub(super) fn tool_task_starts(&self, name: &str) -> Option<TaskStarts> {
        let tool = self.registry.tool(name)?;
        (tool.task_support != TaskSupport::Forbidden).then_some(tool.task_starts)
    }

    /// `dispatch` as a future that owns what it needs, so it can move to a task.
    pub(super) fn owned_dispatch(
        self: &Arc<Self>,
        ctx: Context,
        method: &MethodName,
        params: Map<String, Value>,
        modern: bool,
    ) -> BoxFuture<Result<Encoded, RequestError>> {
        let shared = self.clone();
        let method = method.clone();
        Box::pin(async move {
            shared
                .dispatch(ctx, &method, Some(Value::Object(params)), modern)
                .await
        })
    }

    /// Runs a call in the background as `task`, recording how it ends; a
    /// cancelled task drops its handler.
    pub(super) fn run_task(
        &self,
        task: &Arc<Task>,
        work: BoxFuture<Result<Encoded, RequestError>>,
        modern: bool,
    ) {
        let task = task.clone();
        // A task counts as work in flight: a drain waits for it, and its deadline
        // fails it with a clear status.
        let in_flight = self.drain.request();
        let deadline = self.drain.deadline().clone();
        tokio::spawn(async move {
            let _in_flight = in_flight;
            let token = task.cancel_token();
            let outcome = tokio::select! {
                biased;
                _ = token.cancelled() => return,
                _ = deadline.cancelled() => {
                    task.fail(Drain::error());
                    token.cancel();
                    return;
                }
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
    pub(super) fn modern_task_request(
        &self,
        method: Method,
        params: &Map<String, Value>,
        owner: &Owner,
    ) -> Result<Encoded, RequestError> {
        let task = self.find_task(params, owner)?;
        let mut result = match method {
            Method::TasksGet => tasks::modern_detailed(&task.snapshot()),
            Method::TasksUpdate => {
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

    pub(super) fn find_task(
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

    /// A 2025-11-25 `tools/call` with a `task` param, of a tool that may run as one.
    pub(super) fn is_legacy_task_call(&self, ctx: &Context, params: &Map<String, Value>) -> bool {
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
    pub(super) fn start_legacy_task(
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
    pub(super) async fn legacy_task_request(
        &self,
        ctx: Context,
        method: Method,
        params: &Map<String, Value>,
    ) -> Result<Value, RequestError> {
        let owner = Owner::Session(ctx.session().task_owner().to_owned());
        if method == Method::TasksList {
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
            Method::TasksGet => Ok(tasks::legacy_task(&task.snapshot())),
            Method::TasksCancel => {
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
}
