//! The server: an immutable registry plus the dispatch of every MCP method.
//!
//! This module holds [`Server`] (its builder settings) and `Shared`, what every
//! request reads; the work is split by what it is about: `entry` (what the
//! transports call, both eras, and the dispatch), `lifecycle` (initialize,
//! capabilities, discover), `methods` (lists, tools, resources, prompts,
//! completion), `task_calls` (calls running as tasks, both eras) and `input`
//! (client input of modern requests).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::auth::{AuthConfig, Principal};
use crate::context::ServerLink;
use crate::downgrade;
use crate::drain::Drain;
use crate::events::Events;
use crate::jsonrpc::{self, Encoded};
use crate::limits::{Exceeded, Limiters, Limits};
use crate::method::{self, Method};
use crate::metrics::{Gauges, Metrics, SeriesKey, Slot};
use crate::middleware::{Chain, Middleware};
use crate::modern;
use crate::protocol::ProtocolVersion;
use crate::registry::{CacheHints, CacheScope, TaskSupport};
use crate::registry::{Registry, ServerBuilder};
use crate::seal::Sealer;
use crate::session::Session;
use crate::tasks::TaskStore;

mod authorize;
mod entry;
mod input;
mod lifecycle;
mod methods;
mod task_calls;

pub(crate) use authorize::Forbidden;

/// An MCP server, built by generated code (`server(handler)`), ready to serve over
/// stdio or Streamable HTTP.
///
/// ```no_run
/// # fn server() -> mcpgen_runtime::Server { unimplemented!() }
/// // In a generated server's `main`: parse the standard command line and serve.
/// fn main() -> std::process::ExitCode {
///     server().main()
/// }
/// ```
pub struct Server {
    pub(crate) shared: Arc<Shared>,
}

/// Everything requests share: the registry, precomputed lists, settings.
pub(crate) struct Shared {
    pub registry: Registry,
    /// What handlers' contexts reach: the server's name, the change bus, the
    /// client-request timeout.
    pub link: Arc<ServerLink>,
    pub page_size: usize,
    /// Per protocol version (index into `ProtocolVersion::ALL`), the list items
    /// down-converted once at start-up.
    lists: Vec<Lists>,
    /// Seals the `requestState` of modern requests that wait for client input.
    pub sealer: Sealer,
    /// Tool calls running as tasks, of either era.
    pub tasks: TaskStore,
    /// The server's `Implementation`, as modern results carry it in `_meta`.
    modern_info: Value,
    /// What modern list pages end with: `resultType`, cache hints, `_meta`.
    modern_list_suffix: String,
    /// The same for a list filtered by the caller's scopes: `cacheScope: private`.
    modern_private_list_suffix: String,
    /// Whether any tool may run as a task (read on every `initialize`).
    has_task_tools: bool,
    /// What sees every request before dispatch and its outcome after.
    pub middleware: Chain,
    /// Graceful shutdown: whether the server drains, requests in flight.
    pub drain: Drain,
    /// Rate limits and caps.
    pub limiters: Limiters,
    /// How long a call of a tool without a timeout of its own may run.
    pub tool_timeout: Option<Duration>,
    /// How HTTP requests' bearer tokens are checked; `None`: they are not.
    pub auth: Option<AuthConfig>,
    /// Who stdio's requests come from, and whether the manifest's access rules
    /// hold them (only when the operator fixed the principal's scopes).
    pub stdio_principal: Option<Principal>,
}

/// How long a sealed `requestState` stays valid: long enough for a person to
/// answer a form, short enough that a leaked one soon stops working.
const REQUEST_STATE_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// How long a task's outcome is kept after it ends, and how often clients are
/// asked to poll it.
const TASK_TTL: Duration = Duration::from_secs(10 * 60);
const TASK_POLL_INTERVAL: Duration = Duration::from_millis(500);

/// List items, serialized once: a page is their JSON text spliced together.
struct Lists {
    tools: Vec<Encoded>,
    resources: Vec<Encoded>,
    templates: Vec<Encoded>,
    prompts: Vec<Encoded>,
}

fn version_index(v: ProtocolVersion) -> usize {
    ProtocolVersion::ALL
        .iter()
        .position(|x| *x == v)
        .unwrap_or(ProtocolVersion::ALL.len() - 1)
}

impl Server {
    pub(crate) fn from_registry(registry: Registry) -> Server {
        let lists = ProtocolVersion::ALL
            .iter()
            .map(|&v| {
                let map = |defs: Vec<&Value>, f: fn(&mut Value, ProtocolVersion)| {
                    defs.into_iter()
                        .map(|d| {
                            let mut d = d.clone();
                            f(&mut d, v);
                            jsonrpc::encode(&d)
                        })
                        .collect()
                };
                Lists {
                    tools: registry
                        .tools
                        .iter()
                        .map(|t| {
                            let mut d = t.definition.clone();
                            downgrade::tool(&mut d, v);
                            // 2025-11-25 tells clients in the tool which calls may be tasks.
                            let support = match t.task_support {
                                TaskSupport::Forbidden => None,
                                TaskSupport::Optional => Some("optional"),
                                TaskSupport::Required => Some("required"),
                            };
                            if let (true, Some(support), Value::Object(d)) =
                                (v.has_tasks(), support, &mut d)
                            {
                                d.insert("execution".into(), json!({ "taskSupport": support }));
                            }
                            jsonrpc::encode(&d)
                        })
                        .collect(),
                    resources: map(
                        registry.resources.iter().map(|r| &r.definition).collect(),
                        downgrade::listed_item,
                    ),
                    templates: map(
                        registry.templates.iter().map(|t| &t.definition).collect(),
                        downgrade::listed_item,
                    ),
                    prompts: map(
                        registry.prompts.iter().map(|p| &p.definition).collect(),
                        downgrade::listed_item,
                    ),
                }
            })
            .collect();
        let name = registry
            .info
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("mcpgen")
            .to_owned();
        let mut modern_info = registry.info.clone();
        downgrade::implementation(&mut modern_info, ProtocolVersion::V2026_07_28);
        let list_suffix = |cache| {
            format!(
                ",\"resultType\":\"complete\",{},\"_meta\":{}",
                cache_fields(cache),
                json!({ modern::META_SERVER_INFO: modern_info })
            )
        };
        let modern_list_suffix = list_suffix(registry.cache);
        let modern_private_list_suffix = list_suffix(CacheHints {
            scope: CacheScope::Private,
            ..registry.cache
        });
        let has_task_tools = registry
            .tools
            .iter()
            .any(|t| t.task_support != TaskSupport::Forbidden);
        let metrics = Metrics::new(method::COUNT, registry.tools.len(), registry.prompts.len());
        Server {
            shared: Arc::new(Shared {
                registry,
                link: Arc::new(ServerLink {
                    name,
                    events: Events::new(),
                    client_request_timeout: Duration::from_secs(60),
                    metrics,
                }),
                page_size: 100,
                lists,
                sealer: Sealer::random(REQUEST_STATE_LIFETIME),
                tasks: TaskStore::new(TASK_TTL, TASK_POLL_INTERVAL),
                modern_info,
                modern_list_suffix,
                modern_private_list_suffix,
                has_task_tools,
                middleware: Arc::new([]),
                drain: Drain::default(),
                limiters: Limiters::default(),
                tool_timeout: None,
                auth: None,
                stdio_principal: None,
            }),
        }
    }

    fn settings(&mut self) -> &mut Shared {
        Arc::get_mut(&mut self.shared).expect("a Server is configured before it serves")
    }

    /// How long a handler waits for the client to answer a sampling, elicitation or
    /// roots request (default 60 s).
    pub fn client_request_timeout(mut self, timeout: Duration) -> Self {
        Arc::get_mut(&mut self.settings().link)
            .expect("a Server is configured before it serves")
            .client_request_timeout = timeout;
        self
    }

    /// Seals the `requestState` of 2026 requests that wait for client input with
    /// this key, instead of one made at random when the server starts, so replicas
    /// (and restarts) accept each other's state; state sealed with `previous` is
    /// still accepted while keys rotate.
    pub fn request_state_key(mut self, key: [u8; 32], previous: Option<[u8; 32]>) -> Self {
        let mut sealer = Sealer::new(key, REQUEST_STATE_LIFETIME);
        if let Some(previous) = previous {
            sealer = sealer.with_previous_key(previous);
        }
        self.settings().sealer = sealer;
        self
    }

    /// Adds middleware: it sees every request before dispatch (and may refuse it)
    /// and its outcome after, over every transport and in both eras. Middleware
    /// runs in the order added.
    pub fn middleware(mut self, middleware: impl Middleware) -> Self {
        let shared = self.settings();
        let mut chain = shared.middleware.to_vec();
        chain.push(Arc::new(middleware));
        shared.middleware = chain.into();
        self
    }

    /// Sets the server's limits (rates, sessions, concurrency, streams); see
    /// [`Limits`]. All are off by default.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.settings().limiters = Limiters::new(limits);
        self
    }

    /// Whether the server keeps Prometheus metrics (default: yes). Off, nothing is
    /// counted or timed for them, and the metrics endpoint is empty.
    pub fn metrics(mut self, enabled: bool) -> Self {
        let shared = self.settings();
        let (tools, prompts) = (shared.registry.tools.len(), shared.registry.prompts.len());
        let link = Arc::get_mut(&mut shared.link).expect("a Server is configured before it serves");
        link.metrics = if enabled {
            Metrics::new(method::COUNT, tools, prompts)
        } else {
            Metrics::off()
        };
        self
    }

    /// How long a tool call may run when its tool declares no `timeout` of its own
    /// (default: no limit; `None` or zero means none). A call that runs longer has
    /// its handler dropped and its context cancelled, and the client gets an
    /// `isError` result naming the timeout. Calls that run as tasks count too.
    pub fn tool_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.settings().tool_timeout = timeout.filter(|t| !t.is_zero());
        self
    }

    /// Makes the server an OAuth 2.1 resource server over HTTP: every request must
    /// carry a bearer token the configured authorization server issued for this
    /// server (`--auth-issuer` and friends). The manifest's scopes, roles and
    /// tenancy then apply to each request. stdio has no tokens; see
    /// [`Server::stdio_principal`].
    ///
    /// ```no_run
    /// # fn server() -> mcpgen_runtime::Server { unimplemented!() }
    /// use mcpgen_runtime::{AuthConfig, HttpConfig};
    ///
    /// let service = server()
    ///     .auth(AuthConfig::new("https://auth.example.com").tenant_claim("org"))
    ///     .into_http_service(HttpConfig::default().public_url("https://mcp.example.com/mcp"));
    /// # let _ = service;
    /// ```
    pub fn auth(mut self, config: AuthConfig) -> Self {
        self.settings().auth = Some(config);
        self
    }

    /// Who stdio's requests come from. Unset, they come from the local user
    /// (`$USER`), and the manifest's scopes are not enforced; set (`--stdio-scopes`),
    /// this principal is held to them like a token's.
    pub fn stdio_principal(mut self, principal: Principal) -> Self {
        self.settings().stdio_principal = Some(principal);
        self
    }

    /// How many items each page of a list method holds (default 100).
    pub fn page_size(mut self, items: usize) -> Self {
        self.settings().page_size = items.max(1);
        self
    }
}

impl Shared {
    /// The metrics' text, with the transport's session and stream counts and the
    /// task counts read now.
    pub(crate) fn render_metrics(&self, sessions_open: usize, sse_streams_open: usize) -> String {
        let metrics = &self.link.metrics;
        if !metrics.is_on() {
            return String::new();
        }
        metrics.render(&Gauges {
            sessions_open,
            sse_streams_open,
            tasks_by_state: &self.tasks.count_by_state(),
        })
    }

    /// Admits `requests` more requests of `session`: takes their tokens of its
    /// rate bucket and checks its concurrency cap.
    pub(crate) fn admit(&self, session: &Session, requests: usize) -> Result<(), Exceeded> {
        session.check_rate(requests).and_then(|()| {
            self.limiters
                .check_concurrency(session.requests_in_flight(), requests)
        })
    }

    /// The series a request is counted in: the tool's or prompt's it names, when
    /// the server declares it, else its method's.
    pub(crate) fn metric_series(&self, method: Method, params: Option<&Value>) -> SeriesKey {
        let name = params.and_then(|p| p.get("name")).and_then(Value::as_str);
        let r = &self.registry;
        let named = name.and_then(|name| match method {
            Method::ToolsCall => r
                .tool_index
                .get(name)
                .map(|&i| (Slot::Tool(i), &r.tools[i].metric_name)),
            Method::PromptsGet => r
                .prompt_index
                .get(name)
                .map(|&i| (Slot::Prompt(i), &r.prompts[i].metric_name)),
            _ => None,
        });
        match named {
            Some((slot, name)) => SeriesKey::named(slot, method.wire_name(), name.clone()),
            None => method_series(method),
        }
    }
}

/// A method's own series (no tool or prompt name).
pub(crate) fn method_series(method: Method) -> SeriesKey {
    SeriesKey::method(method as usize, method.wire_name())
}

impl ServerBuilder {
    /// Finishes the server.
    ///
    /// # Panics
    ///
    /// When a definition is malformed. Generated code never passes one; the panic
    /// marks a generator bug at start-up, never a reaction to input.
    pub fn build(&mut self) -> Server {
        Server::from_registry(self.finish())
    }
}

/// `ttlMs` and `cacheScope` as JSON members, for spliced list pages.
fn cache_fields(hints: CacheHints) -> String {
    let mut m = Map::new();
    insert_cache_hints(&mut m, hints);
    let text = Value::Object(m).to_string();
    text[1..text.len() - 1].to_owned()
}

fn insert_cache_hints(result: &mut Map<String, Value>, hints: CacheHints) {
    if let Ok(Value::Object(fields)) = serde_json::to_value(hints) {
        result.extend(fields);
    }
}
