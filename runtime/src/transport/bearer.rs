//! The HTTP side of the OAuth resource server: the bearer token of a request
//! (from the `Authorization` header only), the challenges of a refusal (401 and
//! 403 with `WWW-Authenticate`, RFC 6750 and RFC 9728), and the protected resource
//! metadata document clients discover the authorization server from.

use std::sync::Arc;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{HeaderMap, Response, StatusCode, Uri};
use serde_json::json;

use super::http::{ResponseBody, full, http_error};
use crate::auth::{AuthConfig, Authenticator, Now, Principal, Verified};
use crate::server::{Forbidden, Shared};

/// Where RFC 9728 puts the metadata: at the root, and with the resource's path
/// appended (clients try the latter first).
const METADATA_PATH: &str = "/.well-known/oauth-protected-resource";

/// Checks each request's token and words every refusal.
pub(crate) struct Guard {
    authenticator: Authenticator,
    /// The URL of the metadata document, for `resource_metadata=` in challenges.
    metadata_url: String,
    /// The path-inserted form of its path (the root form is [`METADATA_PATH`]).
    metadata_path: String,
    /// The metadata document itself.
    metadata: Bytes,
    /// What a 401 asks for: the scopes every request needs.
    scope: String,
    /// Whether a token must name a tenant.
    requires_tenant: bool,
    /// Tokens checked already, with their principals as served (roles granted).
    verified: Verified,
}

/// Why a request was not authenticated, as the transport answers it.
pub(crate) enum Refusal {
    /// 401 with a challenge; `error` (`invalid_token`) when a token was sent.
    Unauthorized {
        error: Option<&'static str>,
        description: &'static str,
    },
    /// 400 `invalid_request`: a token outside the `Authorization` header, or a
    /// header that is not one bearer token.
    BadRequest(&'static str),
    /// 503: the authorization server's keys cannot be had now.
    Unavailable,
}

/// The refusal of an Authorization header that is not one bearer token.
const MALFORMED: Refusal = Refusal::Unauthorized {
    error: Some("invalid_token"),
    description: "the Authorization header must be `Bearer <token>`",
};

impl Guard {
    /// `public_url` is the MCP endpoint's URL as clients reach it: the protected
    /// resource, and the audience tokens must name unless `config` gives another.
    pub(crate) fn new(
        shared: &Shared,
        config: &AuthConfig,
        public_url: &str,
    ) -> Result<Guard, String> {
        let resource: Uri = public_url
            .parse()
            .map_err(|_| format!("--public-url `{public_url}` is not a URL"))?;
        let (Some(scheme), Some(authority)) = (resource.scheme_str(), resource.authority()) else {
            return Err(format!(
                "--public-url `{public_url}` must be an absolute http(s) URL"
            ));
        };
        let path = resource.path().trim_end_matches('/');
        let metadata_path = format!("{METADATA_PATH}{path}");
        let audience = config.audience_uri().unwrap_or(public_url).to_owned();
        let authenticator = Authenticator::new(config, audience)?;
        let access = &shared.registry.access;
        let mut metadata = json!({
            "resource": public_url,
            "authorization_servers": [config.issuer_url()],
            "bearer_methods_supported": ["header"],
        });
        let scopes = access.all_scopes();
        if !scopes.is_empty() {
            metadata["scopes_supported"] = json!(scopes);
        }
        if let Some(name) = shared.registry.info.get("name") {
            metadata["resource_name"] = name.clone();
        }
        Ok(Guard {
            authenticator,
            metadata_url: format!("{scheme}://{authority}{metadata_path}"),
            metadata_path,
            metadata: Bytes::from(metadata.to_string()),
            scope: access.server_scopes().join(" "),
            requires_tenant: access.requires_tenant(),
            verified: Verified::new(config.trust_checked_tokens_for()),
        })
    }

    /// Whether `path` names the metadata document.
    pub(crate) fn is_metadata_path(&self, path: &str) -> bool {
        path == self.metadata_path || path == METADATA_PATH
    }

    /// Both paths of the metadata document, the path-inserted one first.
    pub(crate) fn metadata_paths(&self) -> Vec<String> {
        let mut paths = vec![self.metadata_path.clone()];
        if self.metadata_path != METADATA_PATH {
            paths.push(METADATA_PATH.to_owned());
        }
        paths
    }

    /// The metadata document (RFC 9728 §3.2).
    pub(crate) fn metadata(&self) -> Response<ResponseBody> {
        let mut r = Response::new(full(self.metadata.clone()));
        let headers = r.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("max-age=3600"),
        );
        // Browser-based clients read it cross-origin.
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        r
    }

    /// The principal of the request's bearer token, with its roles' scopes granted.
    pub(crate) async fn authenticate(
        &self,
        shared: &Shared,
        headers: &HeaderMap,
        uri: &Uri,
    ) -> Result<Arc<Principal>, Refusal> {
        if uri.query().is_some_and(has_token_parameter) {
            return Err(Refusal::BadRequest(
                "access tokens are accepted only in the Authorization header",
            ));
        }
        let mut values = headers.get_all(header::AUTHORIZATION).iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            return Err(match headers.contains_key(header::AUTHORIZATION) {
                true => Refusal::BadRequest("send one Authorization header"),
                false => Refusal::Unauthorized {
                    error: None,
                    description: "an access token is required",
                },
            });
        };
        let credentials = bearer_credentials(value).ok_or(MALFORMED)?;
        let now = Now::current();
        // A token found here passed the syntax check below when it was first
        // seen; a client sends the same one on every request, so checking its
        // characters again would be most of this path's cost.
        if let Some(principal) = self.verified.get(credentials, now) {
            return Ok(principal);
        }
        let token = token68(credentials).ok_or(MALFORMED)?;
        // Boxed: fetching keys or an introspection answer makes a large future,
        // which every request's future would otherwise carry (and move).
        let mut principal = Box::pin(self.authenticator.authenticate(token))
            .await
            .map_err(|rejected| {
                // Why, for the operator; never the token or its claims.
                tracing::info!(reason = rejected.reason(), "refused a bearer token");
                if rejected.is_unavailable() {
                    Refusal::Unavailable
                } else {
                    Refusal::Unauthorized {
                        error: Some("invalid_token"),
                        description: rejected.description(),
                    }
                }
            })?;
        if self.requires_tenant && principal.tenant().is_none() {
            return Err(Refusal::Unauthorized {
                error: Some("invalid_token"),
                description: "the token names no tenant, and this server serves only tenants",
            });
        }
        shared.registry.access.grant_roles(&mut principal);
        let principal = Arc::new(principal);
        self.verified.insert(token, principal.clone(), now);
        Ok(principal)
    }

    /// The answer to a request that was not authenticated.
    pub(crate) fn refuse(&self, refusal: &Refusal) -> Response<ResponseBody> {
        match *refusal {
            Refusal::Unauthorized { error, description } => {
                let mut challenge = format!("Bearer resource_metadata=\"{}\"", self.metadata_url);
                if !self.scope.is_empty() {
                    challenge.push_str(&format!(", scope=\"{}\"", self.scope));
                }
                if let Some(error) = error {
                    challenge.push_str(&format!(
                        ", error=\"{error}\", error_description=\"{description}\""
                    ));
                }
                challenged(StatusCode::UNAUTHORIZED, challenge, description)
            }
            Refusal::BadRequest(description) => challenged(
                StatusCode::BAD_REQUEST,
                format!(
                    "Bearer resource_metadata=\"{}\", error=\"invalid_request\", error_description=\"{description}\"",
                    self.metadata_url
                ),
                description,
            ),
            Refusal::Unavailable => {
                let mut r = http_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    -32000,
                    "Service Unavailable: the authorization server's keys cannot be fetched",
                );
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
                r
            }
        }
    }

    /// 403 `insufficient_scope`, naming every scope the request needs, so the
    /// client can ask for them (step-up authorization).
    pub(crate) fn forbid(&self, forbidden: &Forbidden) -> Response<ResponseBody> {
        let scope = forbidden.scope();
        challenged(
            StatusCode::FORBIDDEN,
            format!(
                "Bearer error=\"insufficient_scope\", scope=\"{scope}\", resource_metadata=\"{}\", \
                 error_description=\"this request needs the scopes {scope}\"",
                self.metadata_url
            ),
            &format!("Forbidden: this request needs the scopes `{scope}`"),
        )
    }
}

/// A response with a `WWW-Authenticate` challenge and a JSON-RPC error body.
fn challenged(status: StatusCode, challenge: String, message: &str) -> Response<ResponseBody> {
    let mut r = http_error(status, -32000, message);
    // Built from fixed text, scopes and URLs, all visible ASCII; a value that is
    // not (a scope with odd bytes) drops the header rather than the response.
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, value);
    }
    r
}

/// What follows the scheme of `Bearer <token>` (case-insensitive), not yet
/// checked to be a token.
fn bearer_credentials(value: &HeaderValue) -> Option<&[u8]> {
    let value = value.as_bytes();
    let scheme = value.get(..7)?;
    if !scheme.eq_ignore_ascii_case(b"bearer ") {
        return None;
    }
    Some(value[7..].trim_ascii_start())
}

/// `credentials` as a token, if it is one: RFC 6750 §2.1's token68 characters
/// only, at least one.
fn token68(credentials: &[u8]) -> Option<&str> {
    let allowed = |b: &u8| {
        b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
    };
    if credentials.is_empty() || !credentials.iter().all(allowed) {
        return None;
    }
    // All ASCII, as just checked.
    std::str::from_utf8(credentials).ok()
}

/// Whether a query string carries an `access_token` (RFC 6750 §2.3), which the
/// MCP authorization spec forbids.
fn has_token_parameter(query: &str) -> bool {
    query.split('&').any(|pair| {
        pair.split('=')
            .next()
            .is_some_and(|k| k.eq_ignore_ascii_case("access_token"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_read_from_the_header_value_alone() {
        let token = |v: &str| {
            bearer_credentials(&HeaderValue::from_str(v).unwrap())
                .and_then(token68)
                .map(str::to_owned)
        };
        assert_eq!(token("Bearer abc.def-_~+/="), Some("abc.def-_~+/=".into()));
        assert_eq!(token("bearer  abc"), Some("abc".into()));
        assert_eq!(token("Basic abc"), None);
        assert_eq!(token("Bearer"), None);
        assert_eq!(token("Bearer a b"), None);
        assert_eq!(token("Bearer a\"b"), None);
    }

    #[test]
    fn tokens_in_the_query_are_seen() {
        assert!(has_token_parameter("access_token=x"));
        assert!(has_token_parameter("a=1&ACCESS_TOKEN=x"));
        assert!(!has_token_parameter("token=x&access=1"));
    }
}
