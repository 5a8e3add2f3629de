//! Prometheus metrics (OpenMetrics text, through `prometheus-client`): requests by
//! method, tool and outcome, their latency, sessions and SSE streams open, tasks
//! by state, questions to clients and their outcomes, and refused requests by
//! reason. Every label takes its values from a bounded set: methods the server
//! knows, names the manifest declares, fixed outcomes and reasons.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// The `Content-Type` of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A server's metrics; all of it is skipped when turned off.
pub(crate) struct Metrics {
    inner: Option<Box<Inner>>,
}

struct Inner {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    duration: Family<DurationLabels, Histogram>,
    sessions_open: Gauge,
    sse_streams_open: Gauge,
    tasks: Family<TaskLabels, Gauge>,
    client_requests: Family<ClientRequestLabels, Counter>,
    rejected: Family<RejectedLabels, Counter>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    /// The tool or prompt a call names (empty for other methods, `unknown` for a
    /// name the server does not declare).
    name: Arc<str>,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DurationLabels {
    method: &'static str,
    name: Arc<str>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TaskLabels {
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ClientRequestLabels {
    method: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RejectedLabels {
    reason: &'static str,
}

/// How a request ended, as its metric label says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RequestOutcome {
    Ok,
    /// A tool answered with `isError: true`.
    ToolError,
    /// A JSON-RPC error.
    Error,
    Cancelled,
}

impl RequestOutcome {
    fn label(self) -> &'static str {
        match self {
            RequestOutcome::Ok => "ok",
            RequestOutcome::ToolError => "tool_error",
            RequestOutcome::Error => "error",
            RequestOutcome::Cancelled => "cancelled",
        }
    }
}

/// Why a request was refused before it was served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rejection {
    /// `Origin` not allowed.
    Origin,
    /// `Host` not allowed.
    Host,
    /// A size or count limit (body size, sessions, streams, concurrency).
    Limit,
    /// A rate limit.
    Rate,
    /// Malformed: not JSON-RPC, wrong headers, failing the protocol's checks.
    BadInput,
    /// No such session (expired, deleted, or never issued).
    UnknownSession,
    /// The server is shutting down.
    Draining,
}

impl Rejection {
    fn label(self) -> &'static str {
        match self {
            Rejection::Origin => "origin",
            Rejection::Host => "host",
            Rejection::Limit => "limit",
            Rejection::Rate => "rate",
            Rejection::BadInput => "bad_input",
            Rejection::UnknownSession => "unknown_session",
            Rejection::Draining => "draining",
        }
    }
}

impl Metrics {
    /// Metrics that record nothing.
    pub(crate) fn off() -> Metrics {
        Metrics { inner: None }
    }

    pub(crate) fn new() -> Metrics {
        let mut registry = Registry::with_prefix("mcp");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "requests",
            "Requests served, by method, tool or prompt name, and outcome",
            requests.clone(),
        );
        let duration = Family::<DurationLabels, Histogram>::new_with_constructor(
            (|| Histogram::new(exponential_buckets(0.0005, 2.0, 16))) as fn() -> Histogram,
        );
        registry.register_with_unit(
            "request_duration",
            "Time from dispatch to answer",
            prometheus_client::registry::Unit::Seconds,
            duration.clone(),
        );
        let sessions_open = Gauge::default();
        registry.register(
            "sessions_open",
            "Streamable HTTP sessions open",
            sessions_open.clone(),
        );
        let sse_streams_open = Gauge::default();
        registry.register(
            "sse_streams_open",
            "SSE connections open",
            sse_streams_open.clone(),
        );
        let tasks = Family::<TaskLabels, Gauge>::default();
        registry.register("tasks", "Tasks held, by state", tasks.clone());
        let client_requests = Family::<ClientRequestLabels, Counter>::default();
        registry.register(
            "client_requests",
            "Requests the server sent to clients (elicitation, sampling, roots), by outcome",
            client_requests.clone(),
        );
        let rejected = Family::<RejectedLabels, Counter>::default();
        registry.register(
            "rejected_requests",
            "Requests refused before they were served, by reason",
            rejected.clone(),
        );
        Metrics {
            inner: Some(Box::new(Inner {
                registry,
                requests,
                duration,
                sessions_open,
                sse_streams_open,
                tasks,
                client_requests,
                rejected,
            })),
        }
    }

    pub(crate) fn is_on(&self) -> bool {
        self.inner.is_some()
    }

    /// A request served: `name` is the tool or prompt it named, if declared.
    pub(crate) fn request(
        &self,
        method: &'static str,
        name: Option<Arc<str>>,
        outcome: RequestOutcome,
        elapsed: Duration,
    ) {
        let Some(m) = &self.inner else { return };
        let name = name.unwrap_or_else(|| EMPTY.clone());
        m.duration
            .get_or_create(&DurationLabels {
                method,
                name: name.clone(),
            })
            .observe(elapsed.as_secs_f64());
        m.requests
            .get_or_create(&RequestLabels {
                method,
                name,
                outcome: outcome.label(),
            })
            .inc();
    }

    /// A question to a client (`method`) and how it ended.
    pub(crate) fn client_request(&self, method: &'static str, outcome: &'static str) {
        if let Some(m) = &self.inner {
            m.client_requests
                .get_or_create(&ClientRequestLabels { method, outcome })
                .inc();
        }
    }

    pub(crate) fn rejected(&self, reason: Rejection) {
        if let Some(m) = &self.inner {
            m.rejected
                .get_or_create(&RejectedLabels {
                    reason: reason.label(),
                })
                .inc();
        }
    }

    /// The OpenMetrics text of every metric, with the gauges read from where
    /// their counts are kept, when rendered. Empty when off.
    pub(crate) fn render(&self, now: &Gauges<'_>) -> String {
        let Some(m) = &self.inner else {
            return String::new();
        };
        let gauge = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        m.sessions_open.set(gauge(now.sessions_open));
        m.sse_streams_open.set(gauge(now.sse_streams_open));
        for &(state, count) in now.tasks_by_state {
            m.tasks
                .get_or_create(&TaskLabels { state })
                .set(gauge(count));
        }
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &m.registry);
        text
    }
}

static EMPTY: std::sync::LazyLock<Arc<str>> = std::sync::LazyLock::new(|| Arc::from(""));

/// What the gauges show, read when the metrics are rendered from the counts the
/// server keeps anyway (so nothing is counted twice).
pub(crate) struct Gauges<'a> {
    pub sessions_open: usize,
    pub sse_streams_open: usize,
    pub tasks_by_state: &'a [(&'static str, usize)],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_render_as_openmetrics() {
        let metrics = Metrics::new();
        metrics.request(
            "tools/call",
            Some(Arc::from("add")),
            RequestOutcome::Ok,
            Duration::from_millis(3),
        );
        metrics.request("ping", None, RequestOutcome::Error, Duration::ZERO);
        metrics.client_request("elicitation/create", "answered");
        metrics.rejected(Rejection::Origin);
        let tasks = [("working", 2), ("completed", 0)];
        let now = |sse_streams_open| Gauges {
            sessions_open: 1,
            sse_streams_open,
            tasks_by_state: &tasks,
        };
        let text = metrics.render(&now(1));
        for line in [
            "mcp_requests_total{method=\"tools/call\",name=\"add\",outcome=\"ok\"} 1",
            "mcp_requests_total{method=\"ping\",name=\"\",outcome=\"error\"} 1",
            "mcp_request_duration_seconds_count{method=\"tools/call\",name=\"add\"} 1",
            "mcp_sessions_open 1",
            "mcp_sse_streams_open 1",
            "mcp_tasks{state=\"working\"} 2",
            "mcp_client_requests_total{method=\"elicitation/create\",outcome=\"answered\"} 1",
            "mcp_rejected_requests_total{reason=\"origin\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "no `{line}` in:\n{text}");
        }
        assert!(text.ends_with("# EOF\n"), "{text}");
        assert!(metrics.render(&now(0)).contains("mcp_sse_streams_open 0"));
        assert_eq!(Metrics::off().render(&now(0)), "");
    }
}
