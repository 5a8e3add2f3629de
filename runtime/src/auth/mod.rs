//! OAuth 2.1 resource-server token checks: the bearer token of each HTTP request
//! is either a JWT, verified against the authorization server's published keys
//! (found through its RFC 8414 or OpenID metadata), or an opaque token, asked
//! about at the authorization server's RFC 7662 introspection endpoint.
//!
//! The result is a [`Principal`] or a [`Rejected`] naming why not. What the
//! principal may then do (scopes, tenants) is the server's business.
//!
//! No token text, and no claim of one, is ever logged here.

mod fetch;
mod introspect;
mod keys;
mod principal;
mod verified;
mod verify;

use std::fmt;
use std::sync::Once;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub use principal::Principal;
pub(crate) use verified::Verified;

use fetch::Http;
use introspect::Introspector;
use keys::KeyCache;
use verify::Expect;

/// The longest bearer token looked at: anything longer is refused before any
/// parsing. Real access tokens are a few KiB at most.
pub(crate) const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// How the server checks bearer tokens.
///
/// By default tokens are JWTs signed with the keys the issuer publishes (its
/// metadata's `jwks_uri`); [`AuthConfig::introspection`] switches to opaque
/// tokens checked at the issuer's introspection endpoint.
#[derive(Clone)]
pub struct AuthConfig {
    issuer: String,
    audience: Option<String>,
    jwks_url: Option<String>,
    introspection: Option<IntrospectionConfig>,
    tenant_claim: Option<String>,
    role_claim: String,
    leeway: Duration,
}

#[derive(Clone)]
struct IntrospectionConfig {
    url: String,
    client_id: String,
    client_secret: String,
}

impl AuthConfig {
    /// Tokens issued by the authorization server whose issuer identifier is
    /// `issuer` (an https URL, as in its metadata's `issuer`).
    pub fn new(issuer: impl Into<String>) -> AuthConfig {
        AuthConfig {
            issuer: issuer.into(),
            audience: None,
            jwks_url: None,
            introspection: None,
            tenant_claim: None,
            role_claim: "roles".to_owned(),
            leeway: Duration::from_secs(30),
        }
    }

    /// The audience tokens must name in `aud` (RFC 8707). When unset, the
    /// server's public MCP URL.
    pub fn audience(mut self, uri: impl Into<String>) -> Self {
        self.audience = Some(uri.into());
        self
    }

    /// Takes the signing keys from this JWKS URL instead of discovering them
    /// from the issuer's metadata.
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.jwks_url = Some(url.into());
        self
    }

    /// Checks tokens at this RFC 7662 introspection endpoint, as the client
    /// `client_id` with `client_secret` (HTTP Basic), instead of as JWTs.
    pub fn introspection(
        mut self,
        url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        self.introspection = Some(IntrospectionConfig {
            url: url.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
        });
        self
    }

    /// The top-level claim naming the principal's tenant (a string or a number).
    pub fn tenant_claim(mut self, claim: impl Into<String>) -> Self {
        self.tenant_claim = Some(claim.into());
        self
    }

    /// The top-level claim listing the principal's roles; `roles` by default.
    pub fn role_claim(mut self, claim: impl Into<String>) -> Self {
        self.role_claim = claim.into();
        self
    }

    /// The clock skew allowed when checking `exp` and `nbf`; 30 s by default.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The authorization server's issuer identifier.
    pub fn issuer_url(&self) -> &str {
        &self.issuer
    }

    /// The audience set with [`AuthConfig::audience`], if any.
    pub fn audience_uri(&self) -> Option<&str> {
        self.audience.as_deref()
    }

    /// How long a token, once checked, is trusted without a new check: a JWT
    /// until its `exp`, at most 5 minutes; an opaque token 1 minute (as its
    /// introspection answer), so a revocation takes effect soon.
    pub(crate) fn trust_checked_tokens_for(&self) -> Duration {
        match self.introspection {
            Some(_) => Duration::from_secs(60),
            None => Duration::from_secs(5 * 60),
        }
    }
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthConfig")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("jwks_url", &self.jwks_url)
            .field("introspection", &self.introspection)
            .field("tenant_claim", &self.tenant_claim)
            .field("role_claim", &self.role_claim)
            .field("leeway", &self.leeway)
            .finish()
    }
}

impl fmt::Debug for IntrospectionConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Introspection")
            .field("url", &self.url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rejected {
    /// Not a JWS compact token, or its base64 or JSON is broken.
    Malformed,
    /// Longer than [`MAX_TOKEN_BYTES`].
    TooLong,
    /// Signed with `none`, an HMAC, or another algorithm not accepted here.
    UnsupportedAlgorithm,
    /// No published key fits the token, even after fetching the keys again.
    UnknownKey,
    /// The signature does not verify.
    BadSignature,
    /// Past its `exp`.
    Expired,
    /// Before its `nbf`.
    NotYetValid,
    /// `iss` is not the configured issuer.
    WrongIssuer,
    /// `aud` does not name this server.
    WrongAudience,
    /// A claim every token must have is missing: `sub`, `exp` or `iss`.
    MissingClaim(&'static str),
    /// The introspection endpoint says the token is not active.
    Inactive,
    /// The keys or the introspection answer could not be had: the fault is the
    /// authorization server's (or the network's), not the client's.
    KeysUnavailable,
}

impl Rejected {
    /// An RFC 6750 `error_description`: fixed text, never any of the token.
    pub(crate) fn description(&self) -> &'static str {
        match self {
            Rejected::Malformed => "the access token is malformed",
            Rejected::TooLong => "the access token is too long",
            Rejected::UnsupportedAlgorithm => {
                "the access token is signed with an unsupported algorithm"
            }
            Rejected::UnknownKey => "the access token is signed with an unknown key",
            Rejected::BadSignature => "the access token signature is invalid",
            Rejected::Expired => "the access token has expired",
            Rejected::NotYetValid => "the access token is not valid yet",
            Rejected::WrongIssuer => "the access token is from another issuer",
            Rejected::WrongAudience => "the access token is not meant for this server",
            Rejected::MissingClaim("sub") => "the access token has no subject (sub)",
            Rejected::MissingClaim("exp") => "the access token has no expiry (exp)",
            Rejected::MissingClaim("iss") => "the access token has no issuer (iss)",
            Rejected::MissingClaim(_) => "the access token lacks a required claim",
            Rejected::Inactive => "the access token is not active",
            Rejected::KeysUnavailable => "the access token cannot be checked right now",
        }
    }

    /// A short label for logs and metrics.
    pub(crate) fn reason(&self) -> &'static str {
        match self {
            Rejected::Malformed => "malformed",
            Rejected::TooLong => "too_long",
            Rejected::UnsupportedAlgorithm => "unsupported_algorithm",
            Rejected::UnknownKey => "unknown_key",
            Rejected::BadSignature => "bad_signature",
            Rejected::Expired => "expired",
            Rejected::NotYetValid => "not_yet_valid",
            Rejected::WrongIssuer => "wrong_issuer",
            Rejected::WrongAudience => "wrong_audience",
            Rejected::MissingClaim(_) => "missing_claim",
            Rejected::Inactive => "inactive",
            Rejected::KeysUnavailable => "keys_unavailable",
        }
    }

    /// Whether the fault is the authorization server's: the server answers 503
    /// rather than 401, so that clients retry rather than re-authorize.
    pub(crate) fn is_unavailable(&self) -> bool {
        matches!(self, Rejected::KeysUnavailable)
    }
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

impl std::error::Error for Rejected {}

/// The claims a principal is read from, beyond the standard ones.
#[derive(Debug, Clone)]
pub(crate) struct ClaimNames {
    pub(crate) tenant: Option<String>,
    pub(crate) role: String,
}

/// The time a token is checked at: a monotonic instant for the caches, and
/// seconds since the epoch for `exp` and `nbf`. Tests pass their own.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Now {
    pub(crate) instant: Instant,
    pub(crate) unix: i64,
}

impl Now {
    pub(crate) fn current() -> Now {
        let unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        Now {
            instant: Instant::now(),
            unix,
        }
    }
}

/// Checks bearer tokens as an [`AuthConfig`] says. Built once at start-up and
/// shared: its caches of keys and introspection answers serve every request.
pub(crate) struct Authenticator {
    expect: Expect,
    names: ClaimNames,
    check: Check,
}

enum Check {
    Jwt(KeyCache),
    Introspection(Introspector),
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let check = match self.check {
            Check::Jwt(_) => "jwt",
            Check::Introspection(_) => "introspection",
        };
        f.debug_struct("Authenticator")
            .field("issuer", &self.expect.issuer)
            .field("audience", &self.expect.audience)
            .field("check", &check)
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    /// Checks the configuration's URLs (https, or http on a loopback host) and
    /// sets up the HTTP client; fails with a message for the operator naming
    /// the flag at fault. `audience` is the `aud` tokens must carry.
    pub(crate) fn new(config: &AuthConfig, audience: String) -> Result<Authenticator, String> {
        install_crypto_provider();
        fetch::check_issuer(&config.issuer)?;
        if audience.is_empty() {
            return Err("the tokens' audience (--auth-audience) must not be empty".to_owned());
        }
        let http = Http::new()?;
        let check = if let Some(introspection) = &config.introspection {
            fetch::check_url(&introspection.url, "--auth-introspection")?;
            Check::Introspection(Introspector::new(
                http,
                introspection.url.clone(),
                &introspection.client_id,
                &introspection.client_secret,
            ))
        } else if let Some(url) = &config.jwks_url {
            fetch::check_url(url, "--auth-jwks")?;
            Check::Jwt(KeyCache::from_jwks_url(http, url.clone()))
        } else {
            Check::Jwt(KeyCache::from_issuer(http, config.issuer.clone()))
        };
        Ok(Authenticator {
            expect: Expect {
                issuer: config.issuer.clone(),
                audience,
                leeway: i64::try_from(config.leeway.as_secs()).unwrap_or(i64::MAX),
            },
            names: ClaimNames {
                tenant: config.tenant_claim.clone(),
                role: config.role_claim.clone(),
            },
            check,
        })
    }

    /// Checks one bearer token (the text after `Bearer `). Async only because
    /// keys or an introspection answer may have to be fetched: with the keys
    /// cached, a JWT is checked without waiting.
    pub(crate) async fn authenticate(&self, token: &str) -> Result<Principal, Rejected> {
        self.authenticate_at(token, Now::current()).await
    }

    async fn authenticate_at(&self, token: &str, now: Now) -> Result<Principal, Rejected> {
        // Before anything else: no work is spent on oversized input.
        if token.len() > MAX_TOKEN_BYTES {
            return Err(Rejected::TooLong);
        }
        if token.is_empty() {
            return Err(Rejected::Malformed);
        }
        match &self.check {
            Check::Jwt(keys) => {
                let header = verify::parse_header(token)?;
                let key = keys
                    .key_for(header.kid.as_deref(), header.alg, now.instant)
                    .await?;
                let claims = verify::verify_signature(token, header.alg, &key)?;
                verify::check_jwt_claims(&claims, &self.expect, now.unix)?;
                Principal::from_claims(claims, self.names.tenant.as_deref(), &self.names.role)
            }
            Check::Introspection(introspector) => {
                introspector
                    .introspect(token, &self.expect, &self.names, now)
                    .await
            }
        }
    }
}

/// Makes RustCrypto `jsonwebtoken`'s provider, once per process. With only the
/// `rust_crypto` feature it would be picked anyway; but should another crate
/// in the build turn on `aws_lc_rs` too, `jsonwebtoken` could no longer infer
/// one and would panic on the first token. If a provider is installed already
/// (the application's), that one stays.
fn install_crypto_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let _ = jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default();
    });
}

#[cfg(test)]
mod tests;
