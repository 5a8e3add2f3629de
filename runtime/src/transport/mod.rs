//! Transports: stdio and Streamable HTTP (standalone over TCP or TLS).

pub(crate) mod http;
pub(crate) mod service;
pub(crate) mod sse;
pub(crate) mod standalone;
pub(crate) mod stdio;
pub(crate) mod tls;

use std::pin::Pin;
use std::task::Poll;

/// Polls a future once, from within an async context. Most handlers finish on
/// their first poll; running that poll where the request was read saves a task
/// and, on HTTP, lets a whole answer go out in one write.
pub(crate) async fn poll_once<F: Future + Unpin>(mut future: F) -> Poll<F::Output> {
    std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut future).poll(cx))).await
}
