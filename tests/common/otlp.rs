//! A collector's side of OTLP/HTTP for the tests: `POST /v1/traces` on
//! 127.0.0.1, protobuf bodies decoded with the OpenTelemetry proto types, each
//! exported span handed to the test with its service's resource attributes.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use prost::Message as _;
use tokio::sync::mpsc;

/// One exported span, as the collector received it.
#[derive(Debug, Clone)]
pub struct ExportedSpan {
    pub span: opentelemetry_proto::tonic::trace::v1::Span,
    /// The attributes of the resource (the service) that exported it.
    pub resource: HashMap<String, String>,
}

impl ExportedSpan {
    /// A string attribute of the span.
    pub fn attribute(&self, key: &str) -> Option<String> {
        attributes(&self.span.attributes).remove(key)
    }
}

/// A running receiver; it stops when dropped.
pub struct Collector {
    pub addr: SocketAddr,
    spans: mpsc::UnboundedReceiver<ExportedSpan>,
    _server: tokio::task::JoinHandle<()>,
}

impl Collector {
    /// Listens on a free port of 127.0.0.1.
    pub async fn start() -> Collector {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the collector");
        let addr = listener.local_addr().expect("the collector's address");
        let (tx, spans) = mpsc::unbounded_channel();
        let server = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let tx = tx.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let tx = tx.clone();
                        async move { Ok::<_, Infallible>(receive(request, &tx).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Collector {
            addr,
            spans,
            _server: server,
        }
    }

    /// The endpoint to give the server: the collector's base URL.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Spans as they arrive until one satisfies `wanted` (returned), failing the
    /// test after `limit`.
    pub async fn wait_for(
        &mut self,
        limit: Duration,
        what: &str,
        wanted: impl Fn(&ExportedSpan) -> bool,
    ) -> ExportedSpan {
        let deadline = tokio::time::Instant::now() + limit;
        let mut seen = Vec::new();
        loop {
            match tokio::time::timeout_at(deadline, self.spans.recv()).await {
                Ok(Some(span)) if wanted(&span) => return span,
                Ok(Some(span)) => seen.push(span.span.name),
                Ok(None) => panic!("the collector stopped before {what}; spans seen: {seen:?}"),
                Err(_) => panic!("no {what} within {limit:?}; spans seen: {seen:?}"),
            }
        }
    }
}

/// Answers one request: 200 with an empty export response for spans it could
/// decode, 400 or 404 otherwise (the exporter would log those).
async fn receive(
    request: Request<Incoming>,
    spans: &mpsc::UnboundedSender<ExportedSpan>,
) -> Response<Full<Bytes>> {
    let status = |status: StatusCode| {
        let mut response = Response::new(Full::new(Bytes::new()));
        *response.status_mut() = status;
        response
    };
    if request.method() != http::Method::POST || request.uri().path() != "/v1/traces" {
        return status(StatusCode::NOT_FOUND);
    }
    let Ok(body) = request.into_body().collect().await else {
        return status(StatusCode::BAD_REQUEST);
    };
    let Ok(export) = ExportTraceServiceRequest::decode(body.to_bytes()) else {
        return status(StatusCode::BAD_REQUEST);
    };
    for resource_spans in export.resource_spans {
        let resource = resource_spans
            .resource
            .map(|r| attributes(&r.attributes))
            .unwrap_or_default();
        for scope_spans in resource_spans.scope_spans {
            for span in scope_spans.spans {
                let _ = spans.send(ExportedSpan {
                    span,
                    resource: resource.clone(),
                });
            }
        }
    }
    let mut response = status(StatusCode::OK);
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/x-protobuf"),
    );
    response
}

/// Attributes as text: strings as they are, other values in their debug form.
fn attributes(attributes: &[KeyValue]) -> HashMap<String, String> {
    attributes
        .iter()
        .map(|kv| (kv.key.clone(), text(kv.value.as_ref())))
        .collect()
}

fn text(value: Option<&AnyValue>) -> String {
    match value.and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

/// Lowercase hex of an id's bytes, as a `traceparent` writes it.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
