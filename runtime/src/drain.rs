//! Graceful shutdown: the state every request checks (is the server draining?),
//! the count of requests in flight, and the deadline past which they are answered
//! with an error instead of waited for.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tokio_util::task::task_tracker::TaskTrackerToken;

use crate::error::RequestError;
use crate::jsonrpc::ErrorCode;

/// One server's shutdown state.
#[derive(Debug, Default)]
pub(crate) struct Drain {
    draining: AtomicBool,
    /// Counts requests in flight (each holds a token while it runs).
    requests: TaskTracker,
    /// Fires when the grace period is over: requests still running are answered
    /// with [`Drain::error`].
    deadline: CancellationToken,
    /// Fires once requests have settled: open streams end so clients resume
    /// elsewhere.
    streams_end: CancellationToken,
}

impl Drain {
    pub(crate) fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }

    /// Marks a request in flight until the token is dropped.
    pub(crate) fn request(&self) -> TaskTrackerToken {
        self.requests.token()
    }

    /// Fires when requests still running must give up.
    pub(crate) fn deadline(&self) -> &CancellationToken {
        &self.deadline
    }

    /// Fires when open streams must end.
    pub(crate) fn streams_end(&self) -> &CancellationToken {
        &self.streams_end
    }

    /// Stops taking new work, waits up to `grace` for requests in flight, then
    /// answers those still running with an error (and waits briefly for those
    /// answers to go out), and ends open streams. Returns how many requests had
    /// to be cut short. Calling it again waits again; nothing is undone.
    pub(crate) async fn drain(&self, grace: Duration) -> usize {
        self.draining.store(true, Ordering::Relaxed);
        self.requests.close();
        let mut cut_short = 0;
        if tokio::time::timeout(grace, self.requests.wait())
            .await
            .is_err()
        {
            cut_short = self.requests.len();
            self.deadline.cancel();
            // Answers are encoded right after the deadline fires; give them a
            // moment to reach their streams.
            let _ = tokio::time::timeout(Duration::from_secs(1), self.requests.wait()).await;
        }
        self.streams_end.cancel();
        cut_short
    }

    /// The answer of a request cut short by the deadline.
    pub(crate) fn error() -> RequestError {
        RequestError::new(
            ErrorCode::SERVER_UNAVAILABLE,
            "Server shutting down: the request did not finish before the shutdown deadline; retry it",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_drain_waits_for_requests_then_cuts_the_rest_short() {
        let drain = Drain::default();
        assert!(!drain.is_draining());
        let quick = drain.request();
        let slow = drain.request();
        let deadline = drain.deadline().clone();
        let quick_done = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            drop(quick);
        });
        let slow_done = tokio::spawn(async move {
            deadline.cancelled().await;
            drop(slow);
        });
        let cut_short = drain.drain(Duration::from_millis(200)).await;
        assert!(drain.is_draining());
        assert_eq!(cut_short, 1);
        assert!(drain.streams_end().is_cancelled());
        quick_done.await.unwrap();
        slow_done.await.unwrap();
    }

    #[tokio::test]
    async fn a_drain_with_nothing_in_flight_ends_streams_at_once() {
        let drain = Drain::default();
        assert_eq!(drain.drain(Duration::from_secs(30)).await, 0);
        assert!(!drain.deadline().is_cancelled());
        assert!(drain.streams_end().is_cancelled());
    }
}
