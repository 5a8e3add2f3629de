//! OpenTelemetry export of the request spans (the `otel` feature): a `tracing`
//! layer that sends every span it lets through to an OTLP/HTTP collector
//! (protobuf), from the SDK's batch processor on a thread of its own (no async
//! runtime needed), and the guard that flushes what is left when the server stops.
//!
//! `--otlp-endpoint` installs it for the standard command line. A server that
//! installs its own subscriber adds the layer itself:
//!
//! ```no_run
//! use tracing_subscriber::layer::SubscriberExt as _;
//! use tracing_subscriber::util::SubscriberInitExt as _;
//! use tracing_subscriber::{EnvFilter, Layer as _};
//!
//! # fn main() -> Result<(), mcpgen_runtime::otel::Error> {
//! let (otel, guard) = mcpgen_runtime::otel::layer("weather", "http://127.0.0.1:4318")?;
//! tracing_subscriber::registry()
//!     .with(tracing_subscriber::fmt::layer().with_filter(EnvFilter::new("warn")))
//!     // Its own filter: the `mcp.request` spans are at `info`.
//!     .with(otel.with_filter(EnvFilter::new("info")))
//!     .init();
//! // … serve; then, before the process exits, flush the spans still buffered:
//! guard.shutdown()?;
//! # Ok(()) }
//! ```
//!
//! Each `mcp.request` span is exported as a server span named after OpenTelemetry's
//! MCP conventions (`tools/call get_weather`), with the W3C `traceparent` the
//! client sent (its `_meta`'s, else the HTTP header's) as its parent, and an error
//! status when the request failed.

use std::fmt;
use std::time::Duration;

use opentelemetry::propagation::TextMapPropagator as _;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{WithExportConfig as _, WithHttpConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// How long one export may take, the OTLP default: a collector that does not
/// answer holds back neither requests (export runs on its own thread) nor, for
/// longer than this, the server's exit.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the exporter could not be set up, or could not flush.
#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// Keeps the exporter running; [`OtelGuard::shutdown`] (or dropping it) exports
/// the spans still buffered and stops the exporter's thread. Keep it until the
/// server has stopped: spans end after the last request is answered.
#[must_use = "dropping the guard shuts the exporter down"]
pub struct OtelGuard {
    provider: SdkTracerProvider,
}

impl fmt::Debug for OtelGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtelGuard").finish_non_exhaustive()
    }
}

impl OtelGuard {
    /// Exports the spans still buffered, then stops the exporter.
    pub fn shutdown(self) -> Result<(), Error> {
        self.provider
            .shutdown()
            .map_err(|e| Error(format!("cannot flush the OpenTelemetry spans: {e}")))
    }
}

impl Drop for OtelGuard {
    fn drop(&mut self) {
        // After `shutdown` this fails harmlessly (already shut down).
        let _ = self.provider.shutdown();
    }
}

/// A layer exporting the spans it sees to the OTLP/HTTP collector at `endpoint`
/// (`http://host:4318`, or `https://…`; `/v1/traces` is added unless the URL
/// ends with it, as for `OTEL_EXPORTER_OTLP_ENDPOINT`), as the service
/// `service_name` (unless `OTEL_SERVICE_NAME` says otherwise), and the guard
/// that flushes it. Give the layer a filter of its own: without one it sees what
/// the subscriber's other layers let through. `OTEL_EXPORTER_OTLP_HEADERS`
/// (`key=value,…`) adds headers to every export, an API key say.
pub fn layer<S>(
    service_name: &str,
    endpoint: &str,
) -> Result<(impl tracing_subscriber::Layer<S> + 'static, OtelGuard), Error>
where
    S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
{
    build(service_name, None, endpoint)
}

/// [`layer`], with a `service.version` as well.
pub(crate) fn build<S>(
    service_name: &str,
    service_version: Option<&str>,
    endpoint: &str,
) -> Result<(impl tracing_subscriber::Layer<S> + 'static, OtelGuard), Error>
where
    S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
{
    let traces_url = traces_url(endpoint)?;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(http_client()?)
        .with_endpoint(traces_url)
        // Protobuf, whatever OTEL_EXPORTER_OTLP_PROTOCOL says: the one encoding built in.
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .with_timeout(EXPORT_TIMEOUT)
        .build()
        .map_err(|e| Error(format!("cannot set up the OTLP exporter: {e}")))?;
    let mut resource = Resource::builder();
    if std::env::var_os("OTEL_SERVICE_NAME").is_none_or(|name| name.is_empty()) {
        resource = resource.with_service_name(service_name.to_owned());
    }
    if let Some(version) = service_version {
        resource = resource.with_attribute(opentelemetry::KeyValue::new(
            "service.version",
            version.to_owned(),
        ));
    }
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource.build())
        .build();
    let tracer = provider.tracer("mcpgen");
    let layer = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        // `duration_ms` is on the span already; busy/idle times would cost a clock
        // read on every poll of a request's future.
        .with_tracked_inactivity(false)
        // The same file, module and worker thread on every request span: noise,
        // and a thread name is a string allocated per span.
        .with_location(false)
        .with_threads(false)
        .with_target(false);
    Ok((layer, OtelGuard { provider }))
}

/// The URL spans are posted to: the collector's base URL with `/v1/traces`.
fn traces_url(endpoint: &str) -> Result<String, Error> {
    let invalid = |why: &str| {
        Error(format!(
            "`{endpoint}` is not an OTLP/HTTP endpoint ({why}); give one like http://127.0.0.1:4318"
        ))
    };
    let uri: http::Uri = endpoint
        .trim()
        .parse()
        .map_err(|e| invalid(&format!("{e}")))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        Some(other) => {
            return Err(invalid(&format!(
                "the scheme is `{other}`, not http or https"
            )));
        }
        None => return Err(invalid("no http:// or https:// scheme")),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(invalid("no host"));
    }
    if uri.query().is_some() {
        return Err(invalid("a query has no place in it"));
    }
    let base = endpoint.trim().trim_end_matches('/');
    Ok(if base.ends_with("/v1/traces") {
        base.to_owned()
    } else {
        format!("{base}/v1/traces")
    })
}

/// The blocking client the exporter posts with: rustls on ring, with the
/// platform's certificate verifier (its roots) for `https://` collectors.
fn http_client() -> Result<reqwest::blocking::Client, Error> {
    let tls = crate::client_tls::client_config()
        .map_err(|e| Error(format!("cannot set up TLS for the OTLP exporter: {e}")))?;
    let build = move || {
        reqwest::blocking::Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(EXPORT_TIMEOUT)
            .build()
    };
    // A blocking client starts a runtime of its own, which must not be started
    // from inside an async one (an embedder may call `layer` from `async fn main`).
    std::thread::Builder::new()
        .name("mcpgen-otlp-client".into())
        .spawn(build)
        .map_err(|e| Error(format!("cannot start the OTLP client: {e}")))?
        .join()
        .map_err(|_| Error("the OTLP client could not be built".into()))?
        .map_err(|e| Error(format!("cannot build the OTLP client: {e}")))
}

/// Makes `span` a child of the client's span in the W3C `traceparent`
/// (well-formed: the caller checked it). The span must be new: a started span
/// keeps its parent. Without an OpenTelemetry layer in the subscriber this does
/// nothing.
pub(crate) fn set_parent(span: &tracing::Span, traceparent: &str) {
    struct Carrier<'a>(&'a str);
    impl opentelemetry::propagation::Extractor for Carrier<'_> {
        fn get(&self, key: &str) -> Option<&str> {
            (key == "traceparent").then_some(self.0)
        }
        fn keys(&self) -> Vec<&str> {
            vec!["traceparent"]
        }
    }
    let parent = TraceContextPropagator::new().extract(&Carrier(traceparent));
    // Fails only when no layer exports this span: nothing to parent then.
    let _ = span.set_parent(parent);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_become_traces_urls() {
        let url = |e| traces_url(e).unwrap();
        assert_eq!(
            url("http://127.0.0.1:4318"),
            "http://127.0.0.1:4318/v1/traces"
        );
        assert_eq!(url("http://c:4318/"), "http://c:4318/v1/traces");
        assert_eq!(url("https://c/otlp"), "https://c/otlp/v1/traces");
        assert_eq!(url("http://c:4318/v1/traces"), "http://c:4318/v1/traces");
        for bad in [
            "",
            "127.0.0.1:4318",
            "ftp://c",
            "http://",
            "http://c/?a=b",
            "not a url",
        ] {
            let e = traces_url(bad).unwrap_err().to_string();
            assert!(e.contains("not an OTLP/HTTP endpoint"), "{bad}: {e}");
        }
    }
}
