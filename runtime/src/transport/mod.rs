//! Transports: stdio and Streamable HTTP (standalone over TCP or TLS).

pub(crate) mod bearer;
pub(crate) mod http;
pub(crate) mod service;
pub(crate) mod sse;
pub(crate) mod standalone;
pub(crate) mod stdio;
pub(crate) mod tls;

use std::pin::Pin;
use std::task::Poll;

use crate::error::RequestError;
use crate::jsonrpc::ErrorCode;
use crate::limits::Exceeded;

/// The JSON-RPC error of a request over a limit: -32000, saying which, with
/// `data.retryAfterMs`.
pub(crate) fn limit_error(exceeded: &Exceeded) -> RequestError {
    RequestError::new(ErrorCode::SERVER_UNAVAILABLE, exceeded.message())
        .with_data(serde_json::json!({ "retryAfterMs": exceeded.retry_after.as_millis() as u64 }))
}

/// Polls a future once, from within an async context. Most handlers finish on
/// their first poll; running that poll where the request was read saves a task
/// and, on HTTP, lets a whole answer go out in one write.
pub(crate) async fn poll_once<F: Future + Unpin>(mut future: F) -> Poll<F::Output> {
    std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut future).poll(cx))).await
}
