//! The standard command line of every generated server. Every flag can also come
//! from an `MCPGEN_*` environment variable (the flag wins), so a server configured
//! by its launcher (a container, a client's config file) needs no arguments.

use std::io::IsTerminal as _;
use std::net::{SocketAddr, ToSocketAddrs as _};
use std::process::ExitCode;
use std::time::Duration;

use clap::builder::FalseyValueParser;
use clap::parser::ValueSource;
use clap::{CommandFactory as _, FromArgMatches as _, Parser};
use serde_json::Value;

use crate::Server;
use crate::auth::{AuthConfig, Principal};
use crate::limits::{Limits, Rate};
use crate::registry;
use crate::seal::Sealer;
use crate::transport::http::HttpConfig;

/// The flags of the standalone server: how it is reached (stdio, or HTTP on an
/// address and path, with TLS and probes), then [`ServerArgs`]. The command's
/// name, version and description are the server's own (from its manifest), set in
/// [`command`], not this crate's.
#[derive(Debug, Parser)]
struct Args {
    /// Serve newline-delimited JSON-RPC on stdin/stdout (the default).
    #[arg(long, env = "MCPGEN_STDIO", value_parser = FalseyValueParser::new())]
    stdio: bool,
    /// Serve Streamable HTTP on this address: 127.0.0.1:3000, localhost:3000, or a
    /// bare port of 127.0.0.1 (port 0 picks a free port; the address is printed on stderr).
    #[arg(long, env = "MCPGEN_HTTP", value_name = "ADDR", value_parser = parse_addr)]
    http: Option<SocketAddr>,
    /// The MCP endpoint path.
    #[arg(long, env = "MCPGEN_PATH", default_value = "/mcp")]
    path: String,
    /// Serve HTTPS (HTTP/2 or HTTP/1.1 by ALPN) with this certificate chain, a PEM
    /// file; needs --tls-key.
    #[arg(
        long,
        env = "MCPGEN_TLS_CERT",
        value_name = "PATH",
        requires = "tls_key"
    )]
    tls_cert: Option<std::path::PathBuf>,
    /// The private key of --tls-cert, a PEM file (PKCS#8, PKCS#1 or SEC1).
    #[arg(
        long,
        env = "MCPGEN_TLS_KEY",
        value_name = "PATH",
        requires = "tls_cert"
    )]
    tls_key: Option<std::path::PathBuf>,
    /// The liveness probe's path (200 while the process runs), or `off`.
    #[arg(
        long,
        env = "MCPGEN_HEALTH_PATH",
        default_value = "/healthz",
        value_name = "PATH|off"
    )]
    health_path: String,
    /// The Prometheus metrics' path (OpenMetrics text), or `off` (then no metrics
    /// are kept).
    #[arg(
        long,
        env = "MCPGEN_METRICS_PATH",
        default_value = "/metrics",
        value_name = "PATH|off"
    )]
    metrics_path: String,
    /// The readiness probe's path (503 while the server shuts down), or `off`.
    #[arg(
        long,
        env = "MCPGEN_READY_PATH",
        default_value = "/readyz",
        value_name = "PATH|off"
    )]
    ready_path: String,
    #[command(flatten)]
    server: ServerArgs,
}

/// The standard options of an mcpgen server however it is served: what the MCP
/// endpoint accepts, its limits, its timeouts and its logs. Every generated
/// server's command line has them; an app that mounts the service itself (see
/// [`Server::into_http_service`]) flattens them into its own, so its operators
/// configure it with the same flags and `MCPGEN_*` variables.
///
/// ```no_run
/// use clap::Parser;
/// use mcpgen_runtime::{Server, ServerArgs};
///
/// #[derive(Parser)]
/// struct Args {
///     /// Where the app listens.
///     #[arg(long, default_value = "127.0.0.1:3000")]
///     listen: String,
///     #[command(flatten)]
///     mcp: ServerArgs,
/// }
///
/// # fn server() -> Server { unimplemented!() }
/// # fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// let args = Args::parse();
/// let server = args.mcp.configure(server());
/// // Held until the server stops: it flushes spans still buffered for export.
/// let _log = args.mcp.init_logging(&server)?;
/// let service = server.into_http_service(args.mcp.http_config());
/// # Ok(()) }
/// ```
#[derive(Clone, clap::Args)]
pub struct ServerArgs {
    /// An Origin to accept besides localhost ones (repeatable; `*` for any; the
    /// variable takes a comma-separated list).
    #[arg(
        long = "allowed-origin",
        env = "MCPGEN_ALLOWED_ORIGINS",
        value_name = "ORIGIN",
        value_delimiter = ','
    )]
    allowed_origins: Vec<String>,
    /// A Host to accept besides localhost ones (repeatable; `*` for any; the
    /// variable takes a comma-separated list).
    #[arg(
        long = "allowed-host",
        env = "MCPGEN_ALLOWED_HOSTS",
        value_name = "HOST",
        value_delimiter = ','
    )]
    allowed_hosts: Vec<String>,
    /// Answer HTTP requests with JSON instead of SSE streams.
    #[arg(long, env = "MCPGEN_JSON_RESPONSES", value_parser = FalseyValueParser::new())]
    json_responses: bool,
    /// The key sealing the `requestState` of 2026 requests that wait for input (64
    /// hex digits, or base64 of 32 bytes). Give every replica the same key so any
    /// of them accepts a retry; without one, a random key lives as long as the process.
    #[arg(long, env = "MCPGEN_STATE_KEY", hide_env_values = true, value_name = "KEY", value_parser = Sealer::parse_key)]
    state_key: Option<[u8; 32]>,
    /// The key used before `--state-key` during a rotation: state it sealed is still accepted.
    #[arg(long, env = "MCPGEN_PREVIOUS_STATE_KEY", hide_env_values = true, value_name = "KEY", value_parser = Sealer::parse_key, requires = "state_key")]
    previous_state_key: Option<[u8; 32]>,
    /// On SIGTERM or SIGINT, how long requests in flight get to finish before they
    /// are answered with an error (HTTP; e.g. 30s, 2m).
    #[arg(long, env = "MCPGEN_SHUTDOWN_TIMEOUT", default_value = "30s", value_name = "DURATION", value_parser = humantime::parse_duration)]
    shutdown_timeout: std::time::Duration,
    /// Requests a session may send (HTTP sessions and stdio): `20/s`, `600/m`,
    /// `10000/h`, with bursts up to the count. Beyond it: HTTP 429 with Retry-After,
    /// or on stdio the JSON-RPC error -32000 with `data.retryAfterMs`.
    #[arg(long, env = "MCPGEN_RATE_LIMIT_PER_SESSION", value_name = "RATE")]
    rate_limit_per_session: Option<Rate>,
    /// Requests one client IP address may send (HTTP), as `--rate-limit-per-session`.
    #[arg(long, env = "MCPGEN_RATE_LIMIT_PER_CLIENT", value_name = "RATE")]
    rate_limit_per_client: Option<Rate>,
    /// Requests one authenticated caller (issuer, subject, tenant of its token) may
    /// send, across its sessions and addresses, as `--rate-limit-per-session`.
    #[arg(long, env = "MCPGEN_RATE_LIMIT_PER_PRINCIPAL", value_name = "RATE")]
    rate_limit_per_principal: Option<Rate>,
    /// Requests one tenant (`--tenant-claim` of the token) may send, across its
    /// callers, as `--rate-limit-per-session`.
    #[arg(long, env = "MCPGEN_RATE_LIMIT_PER_TENANT", value_name = "RATE")]
    rate_limit_per_tenant: Option<Rate>,
    /// HTTP requests one authenticated caller may have in flight at once (an SSE
    /// answer until it ends); beyond it, 429.
    #[arg(long, env = "MCPGEN_MAX_REQUESTS_PER_PRINCIPAL", value_name = "N")]
    max_requests_per_principal: Option<usize>,
    /// HTTP requests one tenant may have in flight at once; beyond it, 429.
    #[arg(long, env = "MCPGEN_MAX_REQUESTS_PER_TENANT", value_name = "N")]
    max_requests_per_tenant: Option<usize>,
    /// Sessions open at once (HTTP); `initialize` beyond it gets 503 with Retry-After.
    #[arg(long, env = "MCPGEN_MAX_SESSIONS", value_name = "N")]
    max_sessions: Option<usize>,
    /// Requests of one session served at once; beyond it, 429 (stdio: -32000).
    #[arg(long, env = "MCPGEN_MAX_REQUESTS_PER_SESSION", value_name = "N")]
    max_requests_per_session: Option<usize>,
    /// SSE connections open at once (HTTP); a new GET stream or 2026 listen beyond
    /// it gets 503 with Retry-After.
    #[arg(long, env = "MCPGEN_MAX_SSE_STREAMS", value_name = "N")]
    max_sse_streams: Option<usize>,
    /// How long a tool call may run before its handler is cancelled and the client
    /// gets an error result, for tools without a `timeout` of their own in the
    /// manifest: 30s, 500ms, 2m, 1h 30m; 0 or `off` for no limit (the default).
    #[arg(
        long,
        env = "MCPGEN_TOOL_TIMEOUT",
        value_name = "DURATION",
        value_parser = parse_timeout
    )]
    tool_timeout: Option<Timeout>,
    /// The server's own log filter on stderr (error, warn, info, debug, trace; or
    /// a tracing filter such as `mcpgen_runtime=debug`). `info` shows sessions and
    /// errors, `debug` every request.
    #[arg(
        long,
        env = "MCPGEN_LOG_LEVEL",
        default_value = "warn",
        value_name = "LEVEL"
    )]
    log_level: String,
    /// How the server's own log lines are written on stderr: `text` for people,
    /// `json` (one object per line, with the request's span) for log collectors.
    #[arg(long, env = "MCPGEN_LOG_FORMAT", default_value = "text", value_name = "FORMAT", value_parser = ["text", "json"])]
    log_format: String,
    /// Export the spans of requests (and of handlers, nested in them) to this
    /// OpenTelemetry collector, OTLP over HTTP: http://127.0.0.1:4318 (`/v1/traces`
    /// is added). Without it, OTEL_EXPORTER_OTLP_ENDPOINT is read. Needs mcpgen
    /// built with the `otel` feature.
    #[arg(long, env = "MCPGEN_OTLP_ENDPOINT", value_name = "URL")]
    otlp_endpoint: Option<String>,
    /// Which spans are exported, a tracing filter as for --log-level but apart
    /// from it: `info` takes every request's `mcp.request` span.
    #[arg(
        long,
        env = "MCPGEN_OTLP_FILTER",
        default_value = "info",
        value_name = "FILTER"
    )]
    otlp_filter: String,
    /// Require an OAuth access token on every HTTP request, issued by this
    /// authorization server (its issuer URL; keys are found through its RFC 8414
    /// or OpenID metadata). Without it, HTTP requests are not authenticated.
    #[arg(long, env = "MCPGEN_AUTH_ISSUER", value_name = "URL")]
    auth_issuer: Option<String>,
    /// The audience tokens must name (default: the server's public URL, see
    /// --public-url).
    #[arg(
        long,
        env = "MCPGEN_AUTH_AUDIENCE",
        value_name = "URI",
        requires = "auth_issuer"
    )]
    auth_audience: Option<String>,
    /// Take the token-signing keys from this JWKS URL instead of the issuer's
    /// metadata.
    #[arg(
        long,
        env = "MCPGEN_AUTH_JWKS",
        value_name = "URL",
        requires = "auth_issuer"
    )]
    auth_jwks: Option<String>,
    /// Check opaque tokens with this RFC 7662 introspection endpoint instead of
    /// verifying JWTs (with --auth-client-id and --auth-client-secret).
    #[arg(long, env = "MCPGEN_AUTH_INTROSPECTION", value_name = "URL", requires_all = ["auth_issuer", "auth_client_id", "auth_client_secret"])]
    auth_introspection: Option<String>,
    /// The server's client id at the introspection endpoint.
    #[arg(
        long,
        env = "MCPGEN_AUTH_CLIENT_ID",
        value_name = "ID",
        requires = "auth_introspection"
    )]
    auth_client_id: Option<String>,
    /// The server's client secret at the introspection endpoint.
    #[arg(
        long,
        env = "MCPGEN_AUTH_CLIENT_SECRET",
        hide_env_values = true,
        value_name = "SECRET",
        requires = "auth_introspection"
    )]
    auth_client_secret: Option<String>,
    /// The token claim naming the caller's tenant (e.g. `org_id`).
    #[arg(
        long,
        env = "MCPGEN_TENANT_CLAIM",
        value_name = "CLAIM",
        requires = "auth_issuer"
    )]
    tenant_claim: Option<String>,
    /// The token claim listing the caller's roles, which the manifest's `roles`
    /// turn into scopes.
    #[arg(
        long,
        env = "MCPGEN_ROLE_CLAIM",
        value_name = "CLAIM",
        default_value = "roles"
    )]
    role_claim: String,
    /// The MCP endpoint's URL as clients reach it (https://mcp.example.com/mcp):
    /// the OAuth protected resource, and the tokens' default audience. Default:
    /// the address the server listens on.
    #[arg(long, env = "MCPGEN_PUBLIC_URL", value_name = "URL")]
    public_url: Option<String>,
    /// Hold stdio's caller (the local user) to the manifest's access rules with
    /// these scopes (space- or comma-separated). Without it, stdio is not checked.
    #[arg(long, env = "MCPGEN_STDIO_SCOPES", value_name = "SCOPES")]
    stdio_scopes: Option<String>,
}

/// Shows every option but the request-state keys, which are secrets: only
/// whether they are set.
impl std::fmt::Debug for ServerArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secret = |key: &Option<[u8; 32]>| key.map(|_| "<set>");
        let client_secret = self.auth_client_secret.as_ref().map(|_| "<set>");
        f.debug_struct("ServerArgs")
            .field("allowed_origins", &self.allowed_origins)
            .field("allowed_hosts", &self.allowed_hosts)
            .field("json_responses", &self.json_responses)
            .field("state_key", &secret(&self.state_key))
            .field("previous_state_key", &secret(&self.previous_state_key))
            .field("shutdown_timeout", &self.shutdown_timeout)
            .field("rate_limit_per_session", &self.rate_limit_per_session)
            .field("rate_limit_per_client", &self.rate_limit_per_client)
            .field("max_sessions", &self.max_sessions)
            .field("max_requests_per_session", &self.max_requests_per_session)
            .field("max_sse_streams", &self.max_sse_streams)
            .field("tool_timeout", &self.tool_timeout)
            .field("log_level", &self.log_level)
            .field("log_format", &self.log_format)
            .field("otlp_endpoint", &self.otlp_endpoint)
            .field("otlp_filter", &self.otlp_filter)
            .field("auth_issuer", &self.auth_issuer)
            .field("auth_audience", &self.auth_audience)
            .field("auth_jwks", &self.auth_jwks)
            .field("auth_introspection", &self.auth_introspection)
            .field("auth_client_id", &self.auth_client_id)
            .field("auth_client_secret", &client_secret)
            .field("tenant_claim", &self.tenant_claim)
            .field("role_claim", &self.role_claim)
            .field("public_url", &self.public_url)
            .field("rate_limit_per_principal", &self.rate_limit_per_principal)
            .field("rate_limit_per_tenant", &self.rate_limit_per_tenant)
            .field(
                "max_requests_per_principal",
                &self.max_requests_per_principal,
            )
            .field("max_requests_per_tenant", &self.max_requests_per_tenant)
            .field("stdio_scopes", &self.stdio_scopes)
            .finish()
    }
}

impl ServerArgs {
    /// The server with these options applied. A limit, the tool timeout or the
    /// request-state key is replaced only when its flag (or variable) was given:
    /// what the server's code set stays otherwise.
    pub fn configure(&self, mut server: Server) -> Server {
        let limits = with_flags(&server.shared.limiters.limits, self);
        server = server.limits(limits);
        if let Some(Timeout(limit)) = self.tool_timeout {
            server = server.tool_timeout(limit);
        }
        if let Some(key) = self.state_key {
            server = server.request_state_key(key, self.previous_state_key);
        }
        if let Some(auth) = self.auth_config() {
            server = server.auth(auth);
        }
        if let Some(scopes) = &self.stdio_scopes {
            let user = std::env::var("USER").unwrap_or_else(|_| "local".to_owned());
            let scopes = scopes.split([' ', ',']).filter(|s| !s.is_empty());
            server = server.stdio_principal(Principal::fixed(user, scopes));
        }
        server
    }

    /// The token checks these options ask for, if any.
    fn auth_config(&self) -> Option<AuthConfig> {
        let mut auth = AuthConfig::new(self.auth_issuer.clone()?).role_claim(&self.role_claim);
        if let Some(audience) = &self.auth_audience {
            auth = auth.audience(audience);
        }
        if let Some(jwks) = &self.auth_jwks {
            auth = auth.jwks_url(jwks);
        }
        if let (Some(url), Some(id), Some(secret)) = (
            &self.auth_introspection,
            &self.auth_client_id,
            &self.auth_client_secret,
        ) {
            auth = auth.introspection(url, id, secret);
        }
        if let Some(claim) = &self.tenant_claim {
            auth = auth.tenant_claim(claim);
        }
        Some(auth)
    }

    /// The HTTP endpoint's configuration from these options: the Origins and
    /// Hosts it accepts, JSON or SSE answers, and the shutdown's grace period.
    pub fn http_config(&self) -> HttpConfig {
        let config = HttpConfig::default()
            .allowed_origins(self.allowed_origins.iter().cloned())
            .allowed_hosts(self.allowed_hosts.iter().cloned())
            .json_responses(self.json_responses)
            .shutdown_timeout(self.shutdown_timeout);
        match &self.public_url {
            Some(url) => config.public_url(url),
            None => config,
        }
    }

    /// Installs the process's log subscriber: `--log-level`'s filter, in
    /// `--log-format`, on stderr; and with `--otlp-endpoint` (or
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`, with the `otel` feature) the export of spans
    /// through `--otlp-filter`, as the service `server` names in its manifest. A
    /// filter that does not parse is reported and a default used instead. Fails
    /// when the process already has a subscriber, on an endpoint that is not a
    /// URL, and on `--otlp-endpoint` without the `otel` feature. Keep the guard
    /// until the server has stopped.
    pub fn init_logging(
        &self,
        server: &Server,
    ) -> Result<LogGuard, Box<dyn std::error::Error + Send + Sync>> {
        let filter = log_filter("--log-level", &self.log_level, "warn");
        let json = self.log_format == "json";
        let otel_variable = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").ok();
        let export_to = otlp_endpoint(self.otlp_endpoint.as_deref(), otel_variable)?;
        #[cfg(feature = "otel")]
        if let Some(endpoint) = export_to {
            let (name, version) = server.service_name_and_version();
            let otel_filter = log_filter("--otlp-filter", &self.otlp_filter, "info");
            let otel = init_log_with_otel(filter, json, name, version, &endpoint, otel_filter)?;
            return Ok(LogGuard { otel: Some(otel) });
        }
        #[cfg(not(feature = "otel"))]
        let _ = (export_to, server);
        init_log(filter, json)?;
        Ok(LogGuard::default())
    }
}

/// Keeps the log's span export running (with the `otel` feature and an endpoint;
/// otherwise it holds nothing). [`LogGuard::shutdown`], or dropping it, exports
/// the spans still buffered.
#[must_use = "dropping the guard stops the export of spans"]
#[derive(Debug, Default)]
pub struct LogGuard {
    #[cfg(feature = "otel")]
    otel: Option<crate::otel::OtelGuard>,
}

impl LogGuard {
    /// Exports the spans still buffered, then stops the exporter.
    pub fn shutdown(self) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        #[cfg(feature = "otel")]
        if let Some(otel) = self.otel {
            otel.shutdown()?;
        }
        Ok(())
    }
}

/// A timeout given on the command line: `None` for no limit.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Timeout(Option<Duration>);

/// A humantime duration (`30s`, `500ms`, `1h 30m`), or `0`/`off` for no limit.
fn parse_timeout(text: &str) -> Result<Timeout, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("off") {
        return Ok(Timeout(None));
    }
    let duration = humantime::parse_duration(text).or_else(|e| {
        // A bare `0` has no unit, and needs none.
        if text.bytes().all(|b| b == b'0') && !text.is_empty() {
            Ok(Duration::ZERO)
        } else {
            Err(format!(
                "`{text}` is not a duration ({e}); write one like 30s, 500ms or 2m, or `off`"
            ))
        }
    })?;
    Ok(Timeout(Some(duration).filter(|d| !d.is_zero())))
}

/// A full socket address, a host name and port (its first address, IPv4 first), or
/// a port on the loopback interface: servers are local unless asked otherwise.
fn parse_addr(text: &str) -> Result<SocketAddr, String> {
    if let Ok(port) = text.parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    if let Ok(addr) = text.parse() {
        return Ok(addr);
    }
    let usage = "an address like 127.0.0.1:3000, a host and port like localhost:3000, or a port";
    // `ToSocketAddrs` wants a port; say so rather than "invalid socket address".
    if !text.rsplit_once(':').is_some_and(|(host, port)| {
        !host.is_empty() && !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())
    }) {
        return Err(format!("`{text}` is not {usage}"));
    }
    let mut addrs: Vec<SocketAddr> = text
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve `{text}`: {e}"))?
        .collect();
    // `localhost` often resolves to ::1 first; most clients try 127.0.0.1.
    addrs.sort_by_key(SocketAddr::is_ipv6);
    addrs
        .first()
        .copied()
        .ok_or_else(|| format!("`{text}` resolves to no address"))
}

/// The server's limits with those given by flags (or their variables) replacing
/// the ones its code set; a limit no flag names stays as the code set it.
fn with_flags(code: &Limits, args: &ServerArgs) -> Limits {
    Limits {
        rate_per_session: args.rate_limit_per_session.or(code.rate_per_session),
        rate_per_client: args.rate_limit_per_client.or(code.rate_per_client),
        rate_per_principal: args.rate_limit_per_principal.or(code.rate_per_principal),
        rate_per_tenant: args.rate_limit_per_tenant.or(code.rate_per_tenant),
        max_requests_per_principal: args
            .max_requests_per_principal
            .or(code.max_requests_per_principal),
        max_requests_per_tenant: args
            .max_requests_per_tenant
            .or(code.max_requests_per_tenant),
        max_sessions: args.max_sessions.or(code.max_sessions),
        max_requests_per_session: args
            .max_requests_per_session
            .or(code.max_requests_per_session),
        max_sse_streams: args.max_sse_streams.or(code.max_sse_streams),
    }
}

/// Where spans are exported: `--otlp-endpoint` (or its variable), else
/// `OTEL_EXPORTER_OTLP_ENDPOINT`'s value `otel_variable`, read only where export is
/// built in (elsewhere it may be meant for other programs). The flag without the
/// `otel` feature is an error.
fn otlp_endpoint(
    flag: Option<&str>,
    otel_variable: Option<String>,
) -> Result<Option<String>, &'static str> {
    let flag = flag.filter(|e| !e.is_empty()).map(str::to_owned);
    if cfg!(feature = "otel") {
        Ok(flag.or(otel_variable.filter(|e| !e.is_empty())))
    } else if flag.is_some() {
        Err("--otlp-endpoint needs mcpgen built with the `otel` feature")
    } else {
        Ok(None)
    }
}

/// A tracing filter given by `flag`, or `fallback` (with a warning) if it is not one.
fn log_filter(flag: &str, text: &str, fallback: &str) -> tracing_subscriber::EnvFilter {
    tracing_subscriber::EnvFilter::try_new(text).unwrap_or_else(|e| {
        eprintln!("warning: {flag} `{text}` is not a log filter ({e}); using `{fallback}`");
        tracing_subscriber::EnvFilter::new(fallback)
    })
}

/// The operator's log on stderr, as the only subscriber.
fn init_log(
    filter: tracing_subscriber::EnvFilter,
    json: bool,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let log = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        log.json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    } else {
        // Colour codes only for a person reading a terminal, not in captured logs.
        log.with_ansi(std::io::stderr().is_terminal()).try_init()
    }
}

/// The operator's log on stderr beside OpenTelemetry export, each with its own
/// filter: spans are exported at `info` while the log stays at `warn`.
#[cfg(feature = "otel")]
fn init_log_with_otel(
    filter: tracing_subscriber::EnvFilter,
    json: bool,
    service_name: &str,
    service_version: Option<&str>,
    endpoint: &str,
    otel_filter: tracing_subscriber::EnvFilter,
) -> Result<crate::otel::OtelGuard, Box<dyn std::error::Error + Send + Sync>> {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;

    let log = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let log = if json {
        log.json()
            .with_current_span(true)
            .with_span_list(false)
            .with_filter(filter)
            .boxed()
    } else {
        log.with_ansi(std::io::stderr().is_terminal())
            .with_filter(filter)
            .boxed()
    };
    let (otel, guard) = crate::otel::build(service_name, service_version, endpoint)
        .map_err(|e| format!("--otlp-endpoint: {e}"))?;
    tracing_subscriber::registry()
        .with(log)
        .with(otel.with_filter(otel_filter))
        .try_init()?;
    Ok(guard)
}

/// The command line, named, versioned and described as the server itself.
fn command(info: &Value) -> clap::Command {
    let field = |key: &str| registry::info_text(info, key);
    let name = registry::server_name(info).to_owned();
    let about = field("description")
        .or_else(|| field("title"))
        .map(str::to_owned)
        .unwrap_or_else(|| format!("The {name} MCP server"));
    let mut command = Args::command()
        .name(name)
        .about(about)
        .long_about(None)
        .after_help(
            "Serves MCP over stdio (the default: an MCP client starts this program and \
             speaks on its stdin/stdout) or Streamable HTTP (--http). Every option can \
             also be set with the MCPGEN_* variable shown next to it.",
        );
    if let Some(version) = field("version") {
        command = command.version(version.to_owned());
    }
    command
}

pub(crate) fn main(mut server: Server) -> ExitCode {
    let matches = command(&server.shared.registry.info).get_matches();
    // Only flags given together on the command line conflict: `--stdio` may
    // override an `MCPGEN_HTTP` set in the environment.
    let from_command_line = |id: &str| matches.value_source(id) == Some(ValueSource::CommandLine);
    if from_command_line("stdio") && from_command_line("http") {
        eprintln!("error: --stdio and --http cannot be used together");
        return ExitCode::from(2);
    }
    let args = match Args::from_arg_matches(&matches) {
        Ok(args) => args,
        Err(e) => e.exit(),
    };
    server = args.server.configure(server);
    // A server's code that installed its own subscriber keeps it.
    let log = if tracing::dispatcher::has_been_set() {
        LogGuard::default()
    } else {
        match args.server.init_logging(&server) {
            Ok(guard) => guard,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    };
    let probe = |path: String| (path != "off").then_some(path);
    let (health_path, ready_path) = (probe(args.health_path), probe(args.ready_path));
    let metrics_path = probe(args.metrics_path);
    if metrics_path.is_none() {
        server = server.metrics(false);
    }
    for (flag, route) in [
        ("--health-path", &health_path),
        ("--ready-path", &ready_path),
        ("--metrics-path", &metrics_path),
    ] {
        if route.as_deref() == Some(args.path.as_str()) {
            eprintln!(
                "error: {flag} `{}` is the MCP endpoint's path; pick another, or `off`",
                args.path
            );
            return ExitCode::from(2);
        }
    }
    let serve_http = args.http.filter(|_| !args.stdio);
    if serve_http.is_none() && std::io::stdin().is_terminal() {
        // Someone ran the server by hand: tell them why nothing happens.
        eprintln!(
            "{}: waiting for JSON-RPC messages on stdin, one per line (an MCP client \
             normally starts this program itself). For Streamable HTTP instead, run it \
             with --http 127.0.0.1:3000; --help lists every option.",
            server.shared.link.name
        );
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async move {
        match serve_http {
            Some(addr) => {
                let config = args
                    .server
                    .http_config()
                    .path(args.path)
                    .health_path(health_path)
                    .ready_path(ready_path)
                    .metrics_path(metrics_path);
                let config = match (args.tls_cert, args.tls_key) {
                    (Some(cert), Some(key)) => config.tls(cert, key),
                    _ => config,
                };
                server.serve_http(addr, config).await
            }
            None => server.serve_stdio().await,
        }
    });
    // The spans of the last requests may still be buffered: export them now.
    if let Err(e) = log.shutdown() {
        eprintln!("warning: {e}");
    }
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn addresses_ports_and_host_names() {
        assert_eq!(parse_addr("3000").unwrap().to_string(), "127.0.0.1:3000");
        assert_eq!(parse_addr("[::1]:80").unwrap().to_string(), "[::1]:80");
        let local = parse_addr("localhost:3000").unwrap();
        assert!(local.ip().is_loopback(), "{local}");
        assert_eq!(local.port(), 3000);
        let no_port = parse_addr("localhost").unwrap_err();
        assert!(no_port.contains("localhost:3000"), "{no_port}");
        assert!(parse_addr(":3000").is_err());
        assert!(parse_addr("localhost:port").is_err());
    }

    #[test]
    fn the_command_is_named_after_the_server() {
        let info = json!({ "name": "weather", "version": "1.2.3", "description": "Forecasts" });
        let mut command = command(&info);
        assert_eq!(command.render_version(), "weather 1.2.3\n");
        let help = command.render_help().to_string();
        assert!(help.starts_with("Forecasts\n"), "{help}");
        assert!(!help.contains("mcpgen-runtime"), "{help}");
        assert!(help.contains("[env: MCPGEN_HTTP=]"), "{help}");

        let bare = command_named("bare");
        assert!(bare.contains("The bare MCP server"), "{bare}");
    }

    fn command_named(name: &str) -> String {
        command(&json!({ "name": name })).render_help().to_string()
    }

    #[test]
    fn limit_flags_replace_only_the_limits_they_name() {
        let code = Limits::default().max_sessions(10).max_sse_streams(5);
        let matches = command(&json!({ "name": "t" }))
            .try_get_matches_from([
                "t",
                "--max-sessions",
                "99",
                "--rate-limit-per-session",
                "5/s",
            ])
            .unwrap();
        let args = Args::from_arg_matches(&matches).unwrap();
        let limits = with_flags(&code, &args.server);
        assert_eq!(limits.max_sessions, Some(99));
        assert_eq!(limits.max_sse_streams, Some(5), "set in code, no flag");
        assert_eq!(limits.rate_per_session.unwrap().to_string(), "5/s");
        assert_eq!(limits.rate_per_client, None);
    }

    #[test]
    fn flags_parse_and_conflicts_are_left_to_main() {
        let matches = command(&json!({ "name": "t" }))
            .try_get_matches_from(["t", "--http", "4000", "--allowed-origin", "a,b"])
            .unwrap();
        let args = Args::from_arg_matches(&matches).unwrap();
        assert_eq!(args.http.unwrap().to_string(), "127.0.0.1:4000");
        assert_eq!(args.server.allowed_origins, ["a", "b"]);
        assert_eq!(args.path, "/mcp");
        assert!(!args.server.json_responses);
        assert_eq!(args.server.tool_timeout, None);
    }

    #[test]
    fn tool_timeouts_are_durations_or_off() {
        let secs = |s| Ok(Timeout(Some(Duration::from_secs(s))));
        assert_eq!(parse_timeout("30s"), secs(30));
        assert_eq!(parse_timeout("1m 30s"), secs(90));
        assert_eq!(
            parse_timeout("250ms"),
            Ok(Timeout(Some(Duration::from_millis(250))))
        );
        for none in ["0", "0s", "off", "OFF"] {
            assert_eq!(parse_timeout(none), Ok(Timeout(None)), "{none}");
        }
        for bad in ["", "30", "soon", "-1s"] {
            let e = parse_timeout(bad).unwrap_err();
            assert!(e.contains("not a duration"), "{bad}: {e}");
        }
        let matches = command(&json!({ "name": "t" }))
            .try_get_matches_from(["t", "--tool-timeout", "2s"])
            .unwrap();
        let args = Args::from_arg_matches(&matches).unwrap();
        assert_eq!(args.server.tool_timeout, secs(2).ok());
    }

    #[test]
    fn otlp_endpoints_come_from_the_flag_then_opentelemetry_s_variable() {
        let url = |u: &str| Ok(Some(u.to_owned()));
        let flag = otlp_endpoint(Some("http://a:4318"), Some("http://b:4318".into()));
        let variable_only = otlp_endpoint(None, Some("http://b:4318".into()));
        if cfg!(feature = "otel") {
            assert_eq!(flag, url("http://a:4318"));
            assert_eq!(variable_only, url("http://b:4318"));
        } else {
            let e = flag.unwrap_err();
            assert!(
                e.contains("needs mcpgen built with the `otel` feature"),
                "{e}"
            );
            assert_eq!(variable_only, Ok(None), "not ours to refuse");
        }
        assert_eq!(otlp_endpoint(Some(""), Some(String::new())), Ok(None));

        let parse = |argv: &[&str]| {
            let matches = command(&json!({ "name": "t" }))
                .try_get_matches_from(argv)
                .unwrap();
            Args::from_arg_matches(&matches).unwrap()
        };
        let args = parse(&["t"]);
        assert_eq!(
            (args.server.otlp_endpoint, args.server.otlp_filter.as_str()),
            (None, "info")
        );
        let args = parse(&[
            "t",
            "--otlp-endpoint",
            "http://c:4318",
            "--otlp-filter",
            "debug",
        ]);
        assert_eq!(args.server.otlp_endpoint.as_deref(), Some("http://c:4318"));
        assert_eq!(args.server.otlp_filter, "debug");
    }

    #[test]
    fn debug_output_never_shows_the_state_keys() {
        let key = "ab".repeat(32);
        let matches = command(&json!({ "name": "t" }))
            .try_get_matches_from(["t", "--state-key", key.as_str()])
            .unwrap();
        let args = Args::from_arg_matches(&matches).unwrap();
        assert!(args.server.state_key.is_some());
        let shown = format!("{:?}", args.server);
        assert!(shown.contains("state_key: Some(\"<set>\")"), "{shown}");
        assert!(!shown.contains("171"), "a key byte (0xab) leaked: {shown}");
    }

    #[test]
    fn tls_flags_come_in_pairs() {
        let parse = |argv: &[&str]| command(&json!({ "name": "t" })).try_get_matches_from(argv);
        let matches = parse(&["t", "--tls-cert", "c.pem", "--tls-key", "k.pem"]).unwrap();
        let args = Args::from_arg_matches(&matches).unwrap();
        assert_eq!(args.tls_cert.unwrap().to_str(), Some("c.pem"));
        assert_eq!(args.tls_key.unwrap().to_str(), Some("k.pem"));
        for alone in [["t", "--tls-cert", "c.pem"], ["t", "--tls-key", "k.pem"]] {
            let e = parse(&alone).unwrap_err();
            assert_eq!(
                e.kind(),
                clap::error::ErrorKind::MissingRequiredArgument,
                "{e}"
            );
        }
    }
}
