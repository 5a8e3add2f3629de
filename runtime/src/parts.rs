//! What a request arrived with besides its JSON-RPC message: the HTTP request's
//! headers and extensions (where outer tower layers leave an authenticated user, a
//! tenant, a request id), and a short tag naming its session in logs.

use std::net::SocketAddr;
use std::sync::Arc;

use http::{Extensions, HeaderMap};

use crate::auth::Principal;

/// The address of the client that sent a request, for the per-client rate limit.
/// The standalone server knows it from the connection; an app embedding the
/// service puts it in the request's extensions itself (from axum's `ConnectInfo`,
/// or a trusted `X-Forwarded-For`). Handlers read it with `ctx.client_addr()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub SocketAddr);

/// The parts of one transport request, shared by every JSON-RPC request it
/// carried (a batch shares one).
#[derive(Debug, Default)]
pub(crate) struct RequestParts {
    /// The HTTP request's headers; empty on stdio.
    pub headers: HeaderMap,
    /// The HTTP request's extensions; empty on stdio.
    pub extensions: Extensions,
    /// The client's address: the connection's peer in the standalone server, else a
    /// [`ClientAddr`] an outer layer put in the extensions; `None` on stdio.
    pub client: Option<ClientAddr>,
    /// Whether an HTTP request carried it.
    pub is_http: bool,
    /// Who sent it: the bearer token's principal, or stdio's local user.
    pub principal: Option<Arc<Principal>>,
    /// Whether the manifest's scopes and tenancy apply to it: with a verified token,
    /// or a fixed principal the operator gave stdio.
    pub enforce_access: bool,
}

impl RequestParts {
    pub(crate) fn http(
        headers: HeaderMap,
        extensions: Extensions,
        client: Option<ClientAddr>,
        principal: Option<Arc<Principal>>,
    ) -> Arc<RequestParts> {
        Arc::new(RequestParts {
            headers,
            extensions,
            client,
            is_http: true,
            enforce_access: principal.is_some(),
            principal,
        })
    }

    /// The parts of every stdio request: the local user, held to the manifest's
    /// access rules only when the operator fixed its scopes.
    pub(crate) fn stdio(principal: Principal, enforce_access: bool) -> Arc<RequestParts> {
        Arc::new(RequestParts {
            principal: Some(Arc::new(principal)),
            enforce_access,
            ..RequestParts::default()
        })
    }

    /// The key binding what this request creates (sessions, tasks, sealed state)
    /// to its principal; `None` without one.
    pub(crate) fn owner_key(&self) -> Option<&str> {
        self.principal
            .as_ref()
            .filter(|_| self.enforce_access)
            .map(|p| p.owner_key())
    }

    /// The HTTP headers, if an HTTP request carried it.
    pub(crate) fn http_headers(&self) -> Option<&HeaderMap> {
        self.is_http.then_some(&self.headers)
    }
}
