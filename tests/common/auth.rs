//! OAuth authorization servers for the end-to-end tests, each a child process on
//! 127.0.0.1 run by the Node that `scripts/auth-servers` installs:
//! [`AuthServer`], our own small one (`tests/support/auth-server.mjs`: JWTs of
//! every algorithm on demand, key rotation, opaque tokens and introspection), and
//! [`MockAuthServer`], npm's `oauth2-mock-server` (`tests/support/oauth2-mock.mjs`:
//! the authorization-code flow with PKCE, client credentials, dynamic client
//! registration). Both are killed on drop.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::process::{Child, Command};

use super::drain_stderr;
use super::http::send_to;

/// The Node binary and the `node_modules` directory holding oauth2-mock-server,
/// installed by `scripts/auth-servers` (once per test process).
fn tools() -> &'static (PathBuf, PathBuf) {
    static TOOLS: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    TOOLS.get_or_init(|| {
        let script = repo().join("scripts/auth-servers");
        let output = std::process::Command::new(&script)
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .unwrap_or_else(|e| panic!("run {}: {e}", script.display()));
        assert!(output.status.success(), "scripts/auth-servers failed");
        let text = String::from_utf8(output.stdout).expect("UTF-8 paths");
        let mut lines = text.lines().map(PathBuf::from);
        match (lines.next(), lines.next()) {
            (Some(node), Some(modules)) => (node, modules),
            _ => panic!("scripts/auth-servers printed {text:?}, not two paths"),
        }
    })
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A Node script of tests/support/ running with `args`: the child, its address
/// (from its first line, `listening http://ADDR`) and its stdout and stderr.
async fn spawn_node(script: &str, args: &[&str]) -> (Child, SocketAddr, Arc<Mutex<String>>) {
    let (node, _) = tools();
    let script = repo().join("tests/support").join(script);
    let mut child = Command::new(node)
        .arg(&script)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}", script.display()));
    let (stdout, listening) = drain_stderr(child.stdout.take().expect("stdout"), |line| {
        line.trim()
            .strip_prefix("listening http://")
            .map(str::to_owned)
    });
    let (stderr, _) = drain_stderr(child.stderr.take().expect("stderr"), |_| None);
    // Key generation (two RSA keys) takes a second or so on a busy machine.
    let addr = match tokio::time::timeout(super::STEP * 3, listening).await {
        Ok(Ok(addr)) => addr,
        other => panic!(
            "{} did not report its address ({other:?}); stdout:\n{}\nstderr:\n{}",
            script.display(),
            stdout.lock().unwrap_or_else(|e| e.into_inner()),
            stderr.lock().unwrap_or_else(|e| e.into_inner()),
        ),
    };
    let addr = addr.parse().expect("a socket address");
    (child, addr, stderr)
}

/// Sends a request to `addr` and returns the JSON body of a 200 answer.
async fn request(
    addr: SocketAddr,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Value {
    let mut all = vec![("accept", "application/json")];
    all.extend_from_slice(headers);
    let reply = send_to(addr, method.clone(), path, &all, body).await;
    let status = reply.status;
    let body = reply.bytes().await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{method} {path}: {}",
        String::from_utf8_lossy(&body)
    );
    serde_json::from_slice(&body).unwrap_or_else(|e| {
        panic!(
            "{method} {path}: body is not JSON ({e}): {}",
            String::from_utf8_lossy(&body)
        )
    })
}

/// GETs a JSON document.
pub async fn get_json(addr: SocketAddr, path: &str) -> Value {
    request(addr, Method::GET, path, &[], Vec::new()).await
}

/// POSTs a JSON body; returns the JSON answer (which must be 200).
pub async fn post_json(addr: SocketAddr, path: &str, body: &Value) -> Value {
    request(addr, Method::POST, path, &[], body.to_string().into_bytes()).await
}

/// POSTs an `application/x-www-form-urlencoded` body, with `headers`; returns the
/// JSON answer (which must be 200).
pub async fn post_form(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    form: &[(&str, &str)],
) -> Value {
    let mut all = vec![("content-type", "application/x-www-form-urlencoded")];
    all.extend_from_slice(headers);
    request(
        addr,
        Method::POST,
        path,
        &all,
        form_encode(form).into_bytes(),
    )
    .await
}

/// `application/x-www-form-urlencoded` of these pairs.
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    fn encode(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_owned(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    }
    let pairs: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    pairs.join("&")
}

/// An `Authorization: Basic` value for client credentials (RFC 6749 §2.3.1: each
/// part form-urlencoded first).
pub fn basic_auth(client_id: &str, secret: &str) -> String {
    let id = form_encode(&[("", client_id)]);
    let secret = form_encode(&[("", secret)]);
    let pair = format!("{}:{}", &id[1..], &secret[1..]);
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// The header and the claims of a compact JWS, unverified.
pub fn jwt_parts(token: &str) -> (Value, Value) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "not a compact JWS: {token}");
    let decode = |part: &str| -> Value {
        let bytes = URL_SAFE_NO_PAD
            .decode(part)
            .unwrap_or_else(|e| panic!("not base64url ({e}): {token}"));
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("not JSON ({e}): {token}"))
    };
    (decode(parts[0]), decode(parts[1]))
}

/// Our authorization server, `tests/support/auth-server.mjs` (its header comment
/// lists the endpoints). Keys: RS256 `rs256-1`, PS256 `ps256-1`, ES256 `es256-1`,
/// EdDSA (Ed25519) `eddsa-1`; rotation makes `es256-2` and so on.
pub struct AuthServer {
    pub child: Child,
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT` and the `--issuer-path`, if any.
    pub issuer: String,
    pub stderr: Arc<Mutex<String>>,
}

impl AuthServer {
    /// Starts one with these arguments (`--issuer-path /t`, `--jwks-max-age 600`,
    /// `--client-id ID --client-secret SECRET`; it picks a free port itself).
    pub async fn start(args: &[&str]) -> AuthServer {
        let (child, addr, stderr) = spawn_node("auth-server.mjs", args).await;
        let path = args
            .iter()
            .position(|a| *a == "--issuer-path")
            .and_then(|i| args.get(i + 1).copied())
            .or_else(|| args.iter().find_map(|a| a.strip_prefix("--issuer-path=")))
            .unwrap_or("")
            .trim_end_matches('/');
        AuthServer {
            child,
            addr,
            issuer: format!("http://{addr}{path}"),
            stderr,
        }
    }

    /// `http://127.0.0.1:PORT` and `path`: an endpoint's URL.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The JWKS URL.
    pub fn jwks_uri(&self) -> String {
        self.url("/jwks")
    }

    /// The RFC 7662 introspection endpoint.
    pub fn introspection_endpoint(&self) -> String {
        self.url("/introspect")
    }

    /// A token of `alg` (`ES256`, `EdDSA`, `RS256`, `PS256`, `none`,
    /// `HS256-public`) with `claims` over the defaults (iss, iat, exp in 300 s,
    /// sub "alice").
    pub async fn mint(&self, alg: &str, claims: Value) -> String {
        self.mint_with(alg, claims, json!({}), 300).await
    }

    /// [`AuthServer::mint`] with extra or overriding `header` fields and this
    /// lifetime (negative: already expired).
    pub async fn mint_with(
        &self,
        alg: &str,
        claims: Value,
        header: Value,
        expires_in: i64,
    ) -> String {
        let body =
            json!({ "alg": alg, "claims": claims, "header": header, "expires_in": expires_in });
        let answer = post_json(self.addr, "/mint", &body).await;
        answer["token"].as_str().expect("a token").to_owned()
    }

    /// Replaces the key of `alg` by a new one; returns its kid.
    pub async fn rotate(&self, alg: &str) -> String {
        self.rotate_with(alg, false).await
    }

    /// Adds a new key for `alg`, which `mint` then signs with; the old one stays
    /// in the JWKS if `keep_old`. Returns the new kid.
    pub async fn rotate_with(&self, alg: &str, keep_old: bool) -> String {
        let answer = post_json(
            self.addr,
            "/rotate",
            &json!({ "alg": alg, "keep_old": keep_old }),
        )
        .await;
        answer["kid"].as_str().expect("a kid").to_owned()
    }

    /// An opaque token that introspection answers with `claims` (active for 300 s,
    /// or inactive).
    pub async fn opaque(&self, claims: Value, active: bool) -> String {
        self.opaque_with(claims, active, 300).await
    }

    /// [`AuthServer::opaque`] with this lifetime.
    pub async fn opaque_with(&self, claims: Value, active: bool, expires_in: i64) -> String {
        let body = json!({ "claims": claims, "active": active, "expires_in": expires_in });
        let answer = post_json(self.addr, "/opaque", &body).await;
        answer["token"].as_str().expect("a token").to_owned()
    }

    /// `{jwks_fetches, metadata_fetches, introspections, tokens}`: how often each
    /// was asked for.
    pub async fn stats(&self) -> Value {
        get_json(self.addr, "/stats").await
    }

    /// A client-credentials access token (ES256) for `resource` and `scope`, with
    /// these client credentials (as `--client-id`/`--client-secret` were given).
    pub async fn client_credentials_token(
        &self,
        client_id: &str,
        secret: &str,
        resource: &str,
        scope: &str,
    ) -> String {
        let auth = basic_auth(client_id, secret);
        let form = [
            ("grant_type", "client_credentials"),
            ("resource", resource),
            ("scope", scope),
        ];
        let answer = post_form(self.addr, "/token", &[("authorization", &auth)], &form).await;
        answer["access_token"]
            .as_str()
            .expect("an access token")
            .to_owned()
    }
}

/// npm's oauth2-mock-server, through `tests/support/oauth2-mock.mjs` (its header
/// comment says what the package does and what the launcher adds): one RS256 key,
/// discovery at `/.well-known/openid-configuration`, `/authorize`, `/token`,
/// `/register`, `/introspect` (always active), `/jwks`.
pub struct MockAuthServer {
    pub child: Child,
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT`.
    pub issuer: String,
    pub stderr: Arc<Mutex<String>>,
}

impl MockAuthServer {
    /// Starts one, with dynamic client registration and OpenID discovery only.
    pub async fn start() -> MockAuthServer {
        MockAuthServer::start_with(&[]).await
    }

    /// Starts one with launcher flags: `--no-register` (no `/register`),
    /// `--rfc8414` (metadata at `/.well-known/oauth-authorization-server` too).
    pub async fn start_with(flags: &[&str]) -> MockAuthServer {
        let (_, modules) = tools();
        let modules = modules.to_str().expect("a UTF-8 path");
        let args: Vec<&str> = [modules].into_iter().chain(flags.iter().copied()).collect();
        let (child, addr, stderr) = spawn_node("oauth2-mock.mjs", &args).await;
        MockAuthServer {
            child,
            addr,
            issuer: format!("http://{addr}"),
            stderr,
        }
    }

    /// `http://127.0.0.1:PORT` and `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A client-credentials access token (RS256) whose `aud` is `resource` and
    /// `scope` is `scope` (the mock checks no client credentials).
    pub async fn client_credentials_token(&self, resource: &str, scope: &str) -> String {
        let form = [
            ("grant_type", "client_credentials"),
            ("resource", resource),
            ("scope", scope),
        ];
        let answer = post_form(self.addr, "/token", &[], &form).await;
        answer["access_token"]
            .as_str()
            .expect("an access token")
            .to_owned()
    }
}
