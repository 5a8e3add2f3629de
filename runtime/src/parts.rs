//! What a request arrived with besides its JSON-RPC message: the HTTP request's
//! headers and extensions (where outer tower layers leave an authenticated user, a
//! tenant, a request id), and a short tag naming its session in logs.

use std::sync::{Arc, LazyLock};

use http::{Extensions, HeaderMap};

/// The parts of one transport request, shared by every JSON-RPC request it
/// carried (a batch shares one).
#[derive(Debug, Default)]
pub(crate) struct RequestParts {
    /// The HTTP request's headers; empty on stdio.
    pub headers: HeaderMap,
    /// The HTTP request's extensions; empty on stdio.
    pub extensions: Extensions,
    /// Whether an HTTP request carried it.
    pub is_http: bool,
}

impl RequestParts {
    /// The parts of a request that came with nothing: stdio, or the runtime's own.
    pub(crate) fn none() -> Arc<RequestParts> {
        static NONE: LazyLock<Arc<RequestParts>> = LazyLock::new(Default::default);
        NONE.clone()
    }

    pub(crate) fn http(headers: HeaderMap, extensions: Extensions) -> Arc<RequestParts> {
        Arc::new(RequestParts {
            headers,
            extensions,
            is_http: true,
        })
    }

    /// The HTTP headers, if an HTTP request carried it.
    pub(crate) fn http_headers(&self) -> Option<&HeaderMap> {
        self.is_http.then_some(&self.headers)
    }
}
