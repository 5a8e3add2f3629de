//! End-to-end tests of the standalone server's protocols: HTTP/2 with prior
//! knowledge (h2c) on plain TCP, and HTTPS (`--tls-cert`/`--tls-key`) with a
//! self-signed certificate made here, HTTP/2 or HTTP/1.1 by ALPN. Each drives
//! `initialize`, a `tools/call` with progress on an SSE stream, and the GET
//! stream; every JSON-RPC message is validated against the schema (the shared
//! client does that) and every response must come over the expected HTTP version.

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;

use common::http::{HttpClient, HttpServer, Wire, send_on};
use common::{LATEST, Mcp, everything_binary, scenarios, within};
use http::{Method, StatusCode, Version};
use serde_json::json;

/// A self-signed certificate for `localhost` and 127.0.0.1, its PEM files in a
/// directory of their own (removed on drop).
struct TestCert {
    dir: PathBuf,
    cert: rcgen::CertifiedKey<rcgen::KeyPair>,
}

impl TestCert {
    fn new(name: &str) -> TestCert {
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
            .expect("make a self-signed certificate");
        let dir = std::env::temp_dir().join(format!("mcpgen-h2-tls-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("make a temporary directory");
        std::fs::write(dir.join("cert.pem"), cert.cert.pem()).expect("write cert.pem");
        std::fs::write(dir.join("key.pem"), cert.signing_key.serialize_pem())
            .expect("write key.pem");
        TestCert { dir, cert }
    }

    fn cert_path(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }

    fn key_path(&self) -> PathBuf {
        self.dir.join("key.pem")
    }

    /// A file in the certificate's directory holding `text`.
    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, text).expect("write a file");
        path
    }

    /// A client trusting this certificate alone, offering `alpn`.
    fn client_config(&self, alpn: &[u8]) -> Arc<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(self.cert.cert.der().clone())
            .expect("the test certificate as a root");
        #[allow(deprecated)] // the server's provider; see runtime/src/transport/tls.rs
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![alpn.to_vec()];
        Arc::new(config)
    }

    /// `--http 127.0.0.1:0` serving HTTPS with this certificate.
    async fn server(&self) -> HttpServer {
        let (cert, key) = (self.cert_path(), self.key_path());
        HttpServer::spawn(&[
            "--tls-cert",
            cert.to_str().expect("a UTF-8 path"),
            "--tls-key",
            key.to_str().expect("a UTF-8 path"),
        ])
        .await
    }
}

impl Drop for TestCert {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `initialize` (a session id), `tools/call` with progress answered on an SSE
/// stream, then the session's GET stream opens, all over `version`.
async fn drive(c: &mut HttpClient, version: Version) {
    let result = c.initialize(LATEST, json!({})).await;
    scenarios::check_initialize_result(&result, LATEST);
    assert!(c.session.is_some(), "initialize issues a session id");

    // Three progress notifications, then the result, on one SSE stream (the
    // client reads up to the response and checks the stream then ends).
    let e = c
        .exchange(
            "tools/call",
            json!({ "name": "test_tool_with_progress", "arguments": {},
                    "_meta": { "progressToken": "over-the-wire" } }),
        )
        .await;
    assert_eq!(c.last_content_type, "text/event-stream");
    assert_eq!(common::first_text(e.result()), "Progress tool completed");
    let progress = e.notifications_named("notifications/progress");
    assert_eq!(progress.len(), 3, "{:?}", e.notifications);
    assert!(
        progress
            .iter()
            .all(|n| n["params"]["progressToken"] == "over-the-wire")
    );
    scenarios::check_progress(c).await;

    let mut stream = c.get(&[]).await;
    assert_eq!(stream.status, StatusCode::OK, "the GET stream opens");
    assert_eq!(stream.version, version);
    assert_eq!(stream.content_type(), "text/event-stream");
    let priming = stream.next_event().await.expect("a priming event");
    assert!(priming.is_priming(), "{priming:?}");
    drop(stream);

    scenarios::assert_serving(c).await;
    let reply = c.delete().await;
    assert_eq!(reply.status, StatusCode::OK, "DELETE of the session");
}

#[tokio::test]
async fn http2_over_tls_by_alpn() {
    let cert = TestCert::new("h2");
    let server = cert.server().await;
    let mut c = server.client();
    c.wire = Wire::Tls {
        config: cert.client_config(b"h2"),
        expect: Version::HTTP_2,
    };
    drive(&mut c, Version::HTTP_2).await;
}

#[tokio::test]
async fn http1_over_tls_by_alpn() {
    let cert = TestCert::new("h1");
    let server = cert.server().await;
    let mut c = server.client();
    c.wire = Wire::Tls {
        config: cert.client_config(b"http/1.1"),
        expect: Version::HTTP_11,
    };
    drive(&mut c, Version::HTTP_11).await;
}

#[tokio::test]
async fn http2_prior_knowledge_on_plain_tcp() {
    let server = HttpServer::spawn(&[]).await;
    let mut c = server.client();
    c.wire = Wire::H2c;
    drive(&mut c, Version::HTTP_2).await;

    // HTTP/2 has no Host header; the authority is checked in its place.
    let ping = json!({ "jsonrpc": "2.0", "id": 1, "method": "ping" });
    let reply = send_on(
        &Wire::H2c,
        server.addr,
        Method::POST,
        &[("host", "rebound.example")],
        ping.to_string().into_bytes(),
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::FORBIDDEN,
        "an :authority that is not local is refused like a Host"
    );
}

#[tokio::test]
async fn a_stalled_handshake_does_not_hold_up_others() {
    let cert = TestCert::new("stall");
    let server = cert.server().await;
    // Connects and says nothing: its handshake waits in its own task.
    let _stalled = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    let mut c = server.client();
    c.wire = Wire::Tls {
        config: cert.client_config(b"h2"),
        expect: Version::HTTP_2,
    };
    let result = c.initialize(LATEST, json!({})).await;
    scenarios::check_initialize_result(&result, LATEST);
}

/// Runs the everything example with `args` and returns its exit status and stderr;
/// it must exit on its own.
async fn run_to_exit(args: &[&Path]) -> (std::process::ExitStatus, String) {
    let output = tokio::process::Command::new(everything_binary())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let output = within("the server to exit", output)
        .await
        .expect("run the everything example");
    (
        output.status,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn bad_certificate_and_key_files_stop_the_server_naming_the_file() {
    let cert = TestCert::new("bad");
    let other = TestCert::new("other");
    let (good_cert, good_key) = (cert.cert_path(), cert.key_path());
    let garbage = cert.file("garbage-key.pem", "this is not a key\n");
    let missing = cert.dir.join("missing.pem");
    let http = [Path::new("--http"), Path::new("127.0.0.1:0")];
    let tls = |c: &Path, k: &Path| -> Vec<PathBuf> {
        let mut args: Vec<PathBuf> = http.iter().map(|p| p.to_path_buf()).collect();
        args.extend(["--tls-cert".into(), c.into(), "--tls-key".into(), k.into()]);
        args
    };
    let cases = [
        (
            tls(&good_cert, &garbage),
            garbage.clone(),
            "holds no PEM PRIVATE KEY",
        ),
        (
            tls(&missing, &good_key),
            missing.clone(),
            "cannot read TLS certificate file",
        ),
        (
            tls(&good_key, &good_key),
            good_key.clone(),
            "holds no PEM CERTIFICATE",
        ),
        (
            tls(&good_cert, &other.key_path()),
            other.key_path(),
            "does not go with key file",
        ),
    ];
    for (args, named, problem) in cases {
        let args: Vec<&Path> = args.iter().map(PathBuf::as_path).collect();
        let (status, stderr) = run_to_exit(&args).await;
        assert!(!status.success(), "{args:?} must fail; stderr:\n{stderr}");
        assert!(
            stderr.contains(&format!("`{}`", named.display())),
            "the error names {}:\n{stderr}",
            named.display()
        );
        assert!(
            stderr.contains(problem),
            "the error says `{problem}`:\n{stderr}"
        );
        assert!(!stderr.contains("listening on"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }

    // Each flag needs the other.
    let mut args: Vec<&Path> = http.to_vec();
    args.extend([Path::new("--tls-cert"), good_cert.as_path()]);
    let (status, stderr) = run_to_exit(&args).await;
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--tls-key"), "{stderr}");
}
