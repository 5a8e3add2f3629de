//! Prometheus metrics (OpenMetrics text, through `prometheus-client`): requests by
//! method, tool and outcome, their latency, sessions and SSE streams open, tasks
//! by state, questions to clients and their outcomes, and refused requests by
//! reason. Every label takes its values from a bounded set: methods the server
//! knows, names the manifest declares, fixed outcomes and reasons.

use std::sync::{Arc, OnceLock};
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
    /// Every method's, tool's and prompt's series, in [`Slot`] order: bound on
    /// first use, so a request is counted without the families' lookup (a hash of
    /// its labels under a lock).
    series: Box<[Series]>,
    /// How many methods and tools have slots (where the tools' and the prompts'
    /// slots begin).
    methods: usize,
    tools: usize,
}

/// The series of one method, or of a call naming one tool or prompt.
#[derive(Default)]
struct Series {
    duration: OnceLock<Histogram>,
    /// By [`RequestOutcome`].
    outcomes: [OnceLock<Counter>; 4],
}

/// Which series a request is counted in: its method's, or, for a call naming a
/// tool or prompt the server declares, that one's (any other name would let
/// clients grow the label set).
pub(crate) struct SeriesKey {
    slot: Slot,
    method: &'static str,
    name: Option<Arc<str>>,
}

/// Where a series is kept: the index of a method, or of a declared tool or prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    Method(usize),
    Tool(usize),
    Prompt(usize),
}

impl SeriesKey {
    /// The series of the method at `index`, named `method` on the wire (no name).
    pub(crate) fn method(index: usize, method: &'static str) -> SeriesKey {
        SeriesKey {
            slot: Slot::Method(index),
            method,
            name: None,
        }
    }

    /// A declared tool's or prompt's series.
    pub(crate) fn named(slot: Slot, method: &'static str, name: Arc<str>) -> SeriesKey {
        SeriesKey {
            slot,
            method,
            name: Some(name),
        }
    }
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
    Ok = 0,
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
    /// No valid bearer token (401, or 400 for a token outside the header).
    Unauthenticated,
    /// A token without a scope the request needs (403).
    Forbidden,
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
            Rejection::Unauthenticated => "unauthenticated",
            Rejection::Forbidden => "forbidden",
        }
    }
}

impl Metrics {
    /// Metrics that record nothing.
    pub(crate) fn off() -> Metrics {
        Metrics { inner: None }
    }

    /// Metrics for a server of `methods` methods, declaring `tools` tools and
    /// `prompts` prompts: a slot for each.
    pub(crate) fn new(methods: usize, tools: usize, prompts: usize) -> Metrics {
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
                series: (0..methods + tools + prompts)
                    .map(|_| Series::default())
                    .collect(),
                methods,
                tools,
            })),
        }
    }

    pub(crate) fn is_on(&self) -> bool {
        self.inner.is_some()
    }

    /// A request served, counted in `key`'s series.
    pub(crate) fn request(&self, key: &SeriesKey, outcome: RequestOutcome, elapsed: Duration) {
        let Some(m) = &self.inner else { return };
        let name = || key.name.clone().unwrap_or_else(|| EMPTY.clone());
        let duration = || {
            m.duration
                .get_or_create(&DurationLabels {
                    method: key.method,
                    name: name(),
                })
                .clone()
        };
        let count = || {
            m.requests
                .get_or_create(&RequestLabels {
                    method: key.method,
                    name: name(),
                    outcome: outcome.label(),
                })
                .clone()
        };
        let index = match key.slot {
            Slot::Method(i) => (i < m.methods).then_some(i),
            Slot::Tool(i) => (i < m.tools).then_some(m.methods + i),
            Slot::Prompt(i) => Some(m.methods + m.tools + i),
        };
        let seconds = elapsed.as_secs_f64();
        match index.and_then(|i| m.series.get(i)) {
            Some(series) => {
                series.duration.get_or_init(duration).observe(seconds);
                series.outcomes[outcome as usize].get_or_init(count).inc();
            }
            // Only a slot past those made lands here; counted all the same.
            None => {
                duration().observe(seconds);
                count().inc();
            }
        }
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
        let metrics = Metrics::new(1, 1, 0);
        let add = SeriesKey::named(Slot::Tool(0), "tools/call", Arc::from("add"));
        for _ in 0..2 {
            metrics.request(&add, RequestOutcome::Ok, Duration::from_millis(3));
        }
        metrics.request(&add, RequestOutcome::ToolError, Duration::ZERO);
        let ping = SeriesKey::method(0, "ping");
        metrics.request(&ping, RequestOutcome::Error, Duration::ZERO);
        // A slot past the declared names is still counted.
        let stray = SeriesKey::named(Slot::Prompt(7), "prompts/get", Arc::from("p"));
        metrics.request(&stray, RequestOutcome::Ok, Duration::ZERO);
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
            "mcp_requests_total{method=\"tools/call\",name=\"add\",outcome=\"ok\"} 2",
            "mcp_requests_total{method=\"tools/call\",name=\"add\",outcome=\"tool_error\"} 1",
            "mcp_requests_total{method=\"ping\",name=\"\",outcome=\"error\"} 1",
            "mcp_requests_total{method=\"prompts/get\",name=\"p\",outcome=\"ok\"} 1",
            "mcp_request_duration_seconds_count{method=\"tools/call\",name=\"add\"} 3",
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
