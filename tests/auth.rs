//! The OAuth resource server end to end: the notes example (`specs/notes.yaml`:
//! `notes:read` for everything, `notes:write` to write, `notes:admin` to purge,
//! roles, a required tenant) behind a real authorization server
//! (`tests/support/auth-server.mjs`), over real HTTP: the metadata document, the
//! challenges, every kind of bad token, key rotation, step-up, filtered lists,
//! owners of sessions, introspection, stdio's fixed principal, and a log that
//! never shows a token.

mod common;

use std::net::SocketAddr;

use common::auth::AuthServer;
use common::http::{HttpClient, HttpServer, send, send_to};
use common::modern::ModernClient;
use common::stdio::StdioClient;
use common::{LATEST, Mcp, example_binary};
use http::{Method, StatusCode};
use serde_json::{Value, json};

/// The notes server, checking tokens of `issuer` (tenant claim `org`).
async fn notes(issuer: &str, extra: &[&str]) -> HttpServer {
    let mut args = vec!["--auth-issuer", issuer, "--tenant-claim", "org"];
    args.extend_from_slice(extra);
    HttpServer::spawn_binary(&example_binary("notes"), &args).await
}

/// The MCP endpoint's URL: the audience tokens must name.
fn resource(addr: SocketAddr) -> String {
    format!("http://{addr}/mcp")
}

/// Claims of a token for `server`: this audience, tenant and scope.
fn claims(server: &HttpServer, org: &str, scope: &str) -> Value {
    json!({ "aud": resource(server.addr), "org": org, "scope": scope })
}

/// A client of `server` presenting `token`, its session initialized.
async fn session(server: &HttpServer, token: &str) -> HttpClient {
    let mut client = server.client().with_token(token);
    client.initialize(LATEST, json!({})).await;
    client
}

fn tool_names(list: &Value) -> Vec<&str> {
    list["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .map(|t| t["name"].as_str().expect("a name"))
        .collect()
}

fn challenge(reply: &common::http::HttpReply) -> String {
    reply
        .header("www-authenticate")
        .unwrap_or_else(|| panic!("a {} carries WWW-Authenticate", reply.status))
}

/// `initialize` with `authorization` (or none): the reply.
async fn initialize_with(
    server: &HttpServer,
    authorization: Option<&str>,
) -> common::http::HttpReply {
    let body = json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": common::initialize_params(LATEST, json!({})),
    });
    let headers: Vec<(&str, &str)> = authorization
        .map(|a| ("authorization", a))
        .into_iter()
        .collect();
    send(
        server.addr,
        Method::POST,
        &headers,
        body.to_string().into_bytes(),
    )
    .await
}

#[tokio::test]
async fn the_metadata_names_the_authorization_server_and_a_401_points_to_it() {
    let auth = AuthServer::start(&[]).await;
    let server = notes(&auth.issuer, &[]).await;
    let path_inserted = "/.well-known/oauth-protected-resource/mcp";
    for path in [path_inserted, "/.well-known/oauth-protected-resource"] {
        let reply = send_to(server.addr, Method::GET, path, &[], Vec::new()).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        let metadata = reply.json().await;
        assert_eq!(metadata["resource"], json!(resource(server.addr)));
        assert_eq!(metadata["authorization_servers"], json!([auth.issuer]));
        assert_eq!(metadata["bearer_methods_supported"], json!(["header"]));
        assert_eq!(
            metadata["scopes_supported"],
            json!(["notes:read", "notes:write", "notes:admin"])
        );
    }

    let reply = initialize_with(&server, None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let challenge = challenge(&reply);
    assert_eq!(
        challenge,
        format!(
            "Bearer resource_metadata=\"http://{}{path_inserted}\", scope=\"notes:read\"",
            server.addr
        ),
        "no `error` when no token was sent"
    );
    // GET and DELETE are refused alike.
    for method in [Method::GET, Method::DELETE] {
        let reply = send(server.addr, method.clone(), &[], Vec::new()).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{method}");
    }
}

#[tokio::test]
async fn a_valid_token_is_served_in_both_eras() {
    let auth = AuthServer::start(&[]).await;
    let server = notes(&auth.issuer, &[]).await;
    for alg in ["ES256", "EdDSA", "RS256", "PS256"] {
        let token = auth
            .mint(alg, claims(&server, "acme", "notes:read notes:write"))
            .await;
        let mut client = session(&server, &token).await;
        let created = client
            .call_tool("create_note", json!({ "title": alg, "body": "signed" }))
            .await;
        assert!(
            created["structuredContent"]["id"].is_i64(),
            "{alg}: {created}"
        );
        let listed = client.call_tool("list_notes", json!({})).await;
        let notes = listed["structuredContent"]["notes"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(notes[0]["title"], json!(alg));
        assert_eq!(notes[0]["author"], json!("alice"), "the token's subject");
    }

    // 2026-07-28: no session, the token on the request itself.
    let token = auth
        .mint("ES256", claims(&server, "acme", "notes:read"))
        .await;
    let authorization = format!("Bearer {token}");
    let mut modern = ModernClient::new(server.addr);
    let body = json!({
        "jsonrpc": "2.0", "id": 7, "method": "tools/list",
        "params": common::modern::with_meta(json!({}), json!({})),
    });
    let reply = modern
        .raw("tools/list", &body, &[("authorization", &authorization)])
        .await;
    let result = reply.result();
    assert_eq!(tool_names(result), ["list_notes"], "filtered by scope");
    assert_eq!(result["cacheScope"], json!("private"), "{result}");
    let reply = modern.raw("tools/list", &body, &[]).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bad_tokens_get_401_with_the_reason_and_the_server_keeps_serving() {
    let auth = AuthServer::start(&[]).await;
    let other = AuthServer::start(&[]).await;
    let server = notes(&auth.issuer, &[]).await;
    let good = claims(&server, "acme", "notes:read");
    let with = |key: &str, value: Value| {
        let mut c = good.clone();
        c[key] = value;
        c
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let valid = auth.mint("ES256", good.clone()).await;
    let cases: Vec<(&str, String)> = vec![
        (
            "expired",
            auth.mint_with("ES256", good.clone(), json!({}), -300).await,
        ),
        (
            "not yet valid",
            auth.mint("ES256", with("nbf", json!(now + 3600))).await,
        ),
        (
            "wrong audience",
            auth.mint("ES256", with("aud", json!("http://127.0.0.1:1/mcp")))
                .await,
        ),
        (
            "wrong issuer",
            auth.mint("ES256", with("iss", json!("http://127.0.0.1:1")))
                .await,
        ),
        ("a second issuer", other.mint("ES256", good.clone()).await),
        (
            "unknown kid",
            auth.mint_with("ES256", good.clone(), json!({ "kid": "nope" }), 300)
                .await,
        ),
        ("alg none", auth.mint("none", good.clone()).await),
        (
            "HS256 with the public key",
            auth.mint("HS256-public", good.clone()).await,
        ),
        ("truncated", valid[..valid.len() - 12].to_owned()),
        (
            "no tenant",
            auth.mint(
                "ES256",
                json!({ "aud": resource(server.addr), "scope": "notes:read" }),
            )
            .await,
        ),
        ("64 KiB", "a".repeat(64 * 1024)),
        ("garbage", "not.a.jwt".to_owned()),
    ];
    for (case, token) in &cases {
        let reply = initialize_with(&server, Some(&format!("Bearer {token}"))).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{case}");
        let challenge = challenge(&reply);
        assert!(
            challenge.contains("error=\"invalid_token\"")
                && challenge.contains("resource_metadata="),
            "{case}: {challenge}"
        );
    }
    // Not a bearer token at all.
    let reply = initialize_with(&server, Some("Basic YWxpY2U6c2VjcmV0")).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    // A token in the query string is refused even beside a good header.
    let body = json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": common::initialize_params(LATEST, json!({})),
    });
    let authorization = format!("Bearer {valid}");
    let reply = send_to(
        server.addr,
        Method::POST,
        &format!("/mcp?access_token={valid}"),
        &[("authorization", &authorization)],
        body.to_string().into_bytes(),
    )
    .await;
    // The router serves /mcp whatever the query; the token in it is refused.
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(challenge(&reply).contains("error=\"invalid_request\""));

    // Still serving, and the good token still works.
    let reply = initialize_with(&server, Some(&authorization)).await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn a_rotated_key_is_picked_up_without_a_restart() {
    let auth = AuthServer::start(&[]).await;
    let server = notes(&auth.issuer, &[]).await;
    let before = auth
        .mint("ES256", claims(&server, "acme", "notes:read"))
        .await;
    session(&server, &before).await;
    let fetches = auth.stats().await["jwks_fetches"].as_u64().unwrap();
    let kid = auth.rotate("ES256").await;
    let after = auth
        .mint("ES256", claims(&server, "acme", "notes:read"))
        .await;
    assert_eq!(common::auth::jwt_parts(&after).0["kid"], json!(kid));
    session(&server, &after).await;
    assert_eq!(
        auth.stats().await["jwks_fetches"].as_u64().unwrap(),
        fetches + 1,
        "one fetch for the new key"
    );
    // Cached: more calls fetch nothing.
    session(&server, &after).await;
    assert_eq!(
        auth.stats().await["jwks_fetches"].as_u64().unwrap(),
        fetches + 1
    );
}

#[tokio::test]
async fn a_missing_scope_gets_403_and_a_wider_token_steps_up() {
    let auth = AuthServer::start(&[]).await;
    let server = notes(&auth.issuer, &[]).await;
    let narrow = auth
        .mint("ES256", claims(&server, "acme", "notes:read"))
        .await;
    let mut client = session(&server, &narrow).await;
    assert_eq!(
        tool_names(&client.call("tools/list", json!({})).await),
        ["list_notes"]
    );
    let (_, call) = client.request_message(
        "tools/call",
        json!({ "name": "create_note", "arguments": { "title": "t", "body": "b" } }),
    );
    let reply = client.post(&call).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let challenge = challenge(&reply);
    assert!(
        challenge.contains("error=\"insufficient_scope\""),
        "{challenge}"
    );
    assert!(
        challenge.contains("scope=\"notes:read notes:write\""),
        "{challenge}"
    );

    // The same caller with a wider token, in the same session.
    let wide = auth
        .mint("ES256", claims(&server, "acme", "notes:read notes:write"))
        .await;
    client.bearer = Some(format!("Bearer {wide}"));
    let created = client
        .call_tool("create_note", json!({ "title": "t", "body": "b" }))
        .await;
    assert!(created["structuredContent"]["id"].is_i64(), "{created}");
    assert_eq!(
        tool_names(&client.call("tools/list", json!({})).await),
        ["list_notes", "create_note", "delete_note"]
    );
}

#[tokio::test]
async fn roles_grant_their_scopes() {
    let auth = AuthServer::start(&[]).await;
    let server = notes(&auth.issuer, &[]).await;
    let role = |roles: Value| {
        let mut c = claims(&server, "acme", "notes:read");
        c["roles"] = roles;
        auth.mint("EdDSA", c)
    };
    let admin = role(json!(["admin"])).await;
    let editor = role(json!("editor")).await;
    let mut admin = session(&server, &admin).await;
    assert_eq!(
        tool_names(&admin.call("tools/list", json!({})).await).len(),
        4
    );
    let purged = admin.call_tool("purge_notes", json!({})).await;
    assert_eq!(purged["isError"], Value::Null, "{purged}");
    let mut editor = session(&server, &editor).await;
    editor
        .call_tool("create_note", json!({ "title": "t", "body": "b" }))
        .await;
    let (_, call) = editor.request_message("tools/call", json!({ "name": "purge_notes" }));
    let reply = editor.post(&call).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(challenge(&reply).contains("scope=\"notes:read notes:admin\""));
}

#[tokio::test]
async fn sessions_and_notes_belong_to_their_principal_and_tenant() {
    let auth = AuthServer::start(&[]).await;
    let server = notes(&auth.issuer, &[]).await;
    let scope = "notes:read notes:write";
    let alice = auth.mint("ES256", claims(&server, "acme", scope)).await;
    let mut bob_claims = claims(&server, "acme", scope);
    bob_claims["sub"] = json!("bob");
    let bob = auth.mint("ES256", bob_claims).await;
    let mallory = auth.mint("ES256", claims(&server, "globex", scope)).await;

    let mut alice = session(&server, &alice).await;
    alice
        .call_tool("create_note", json!({ "title": "plans", "body": "secret" }))
        .await;

    // Bob presents Alice's session: the answer an unknown session gets.
    let mut stolen = server.client().with_token(&bob);
    let alice_session = alice
        .session_headers()
        .into_iter()
        .find(|(n, _)| n == "mcp-session-id")
        .map(|(_, v)| v)
        .unwrap();
    let list = json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list" });
    let theirs = stolen
        .post_with(
            &list,
            &[
                ("mcp-session-id", &alice_session),
                ("mcp-protocol-version", LATEST),
            ],
        )
        .await;
    let made_up = stolen
        .post_with(
            &list,
            &[
                ("mcp-session-id", "0123456789abcdef0123456789abcdef"),
                ("mcp-protocol-version", LATEST),
            ],
        )
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!(made_up.status, StatusCode::NOT_FOUND);
    let theirs_body = theirs.json().await;
    let made_up_body = made_up.json().await;
    assert_eq!(theirs_body, made_up_body, "nothing tells the two apart");
    // GET and DELETE of Alice's session alike; it lives on.
    for method in [Method::GET, Method::DELETE] {
        let authorization = format!("Bearer {bob}");
        let reply = send(
            server.addr,
            method.clone(),
            &[
                ("authorization", &authorization),
                ("mcp-session-id", &alice_session),
                ("mcp-protocol-version", LATEST),
            ],
            Vec::new(),
        )
        .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method}");
    }
    alice.call_tool("list_notes", json!({})).await;

    // Bob shares Alice's tenant and sees her note; Mallory's tenant is empty.
    let mut bob = session(&server, &bob).await;
    let listed = bob.call_tool("list_notes", json!({})).await;
    assert_eq!(
        listed["structuredContent"]["notes"][0]["author"],
        json!("alice")
    );
    let mut mallory = session(&server, &mallory).await;
    let listed = mallory.call_tool("list_notes", json!({})).await;
    assert_eq!(listed["structuredContent"]["notes"], json!([]));
}

#[tokio::test]
async fn opaque_tokens_are_introspected() {
    let auth =
        AuthServer::start(&["--client-id", "notes-server", "--client-secret", "s3cret"]).await;
    let server = notes(
        &auth.issuer,
        &[
            "--auth-introspection",
            &auth.introspection_endpoint(),
            "--auth-client-id",
            "notes-server",
            "--auth-client-secret",
            "s3cret",
        ],
    )
    .await;
    let claims = json!({ "sub": "carol", "aud": resource(server.addr), "org": "acme", "scope": "notes:read" });
    let active = auth.opaque(claims.clone(), true).await;
    let inactive = auth.opaque(claims, false).await;
    let mut client = session(&server, &active).await;
    let listed = client.call_tool("list_notes", json!({})).await;
    assert!(listed["structuredContent"]["notes"].is_array());
    let reply = initialize_with(&server, Some(&format!("Bearer {inactive}"))).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(challenge(&reply).contains("invalid_token"));
}

#[tokio::test]
async fn stdio_enforces_scopes_only_for_a_fixed_principal() {
    // The local user, unchecked: everything is allowed.
    let mut open = StdioClient::spawn_example("notes").await;
    open.initialize(LATEST, json!({})).await;
    let created = open
        .call_tool("create_note", json!({ "title": "t", "body": "b" }))
        .await;
    assert!(created["structuredContent"]["id"].is_i64());
    assert_eq!(
        tool_names(&open.call("tools/list", json!({})).await).len(),
        4
    );

    // A fixed principal with `notes:read` only.
    let mut fixed =
        StdioClient::spawn_example_with_env("notes", &[("MCPGEN_STDIO_SCOPES", "notes:read")])
            .await;
    fixed.initialize(LATEST, json!({})).await;
    assert_eq!(
        tool_names(&fixed.call("tools/list", json!({})).await),
        ["list_notes"]
    );
    let refused = fixed
        .exchange(
            "tools/call",
            json!({ "name": "create_note", "arguments": { "title": "t", "body": "b" } }),
        )
        .await;
    assert_eq!(refused.error_code(), -32003);
    assert_eq!(
        refused.error()["data"]["requiredScopes"],
        json!(["notes:read", "notes:write"])
    );
}

#[tokio::test]
async fn tokens_and_claims_never_reach_the_log() {
    let auth = AuthServer::start(&[]).await;
    let server = notes(
        &auth.issuer,
        &["--log-level", "debug", "--log-format", "json"],
    )
    .await;
    let mut secret = claims(&server, "acme-canary-org", "notes:read");
    secret["email"] = json!("canary@example.com");
    let good = auth.mint("ES256", secret.clone()).await;
    let expired = auth.mint_with("ES256", secret, json!({}), -300).await;
    let mut client = session(&server, &good).await;
    client.call_tool("list_notes", json!({})).await;
    let reply = initialize_with(&server, Some(&format!("Bearer {expired}"))).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let reply = initialize_with(&server, Some("Bearer garbage-token-canary")).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    // Let the log lines land.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let log = server.stderr.lock().unwrap().clone();
    assert!(
        log.contains("refused a bearer token"),
        "the refusals are logged:\n{log}"
    );
    for leak in [
        good.as_str(),
        expired.as_str(),
        "eyJ",
        "garbage-token-canary",
        "acme-canary-org",
        "canary@example.com",
    ] {
        assert!(!log.contains(leak), "the log shows `{leak}`:\n{log}");
    }
}

/// A 2026-07-28 client of `server` presenting `token`.
fn modern_client(server: &HttpServer, token: &str) -> ModernClient {
    let mut client = ModernClient::new(server.addr);
    client.bearer = Some(format!("Bearer {token}"));
    client
}

#[tokio::test]
async fn tasks_and_request_state_answer_only_their_principal() {
    let auth = AuthServer::start(&[]).await;
    // The everything fixture: tasks and client input, no scopes of its own.
    let server = HttpServer::spawn(&["--auth-issuer", &auth.issuer]).await;
    let aud = resource(server.addr);
    let alice = auth.mint("ES256", json!({ "aud": aud })).await;
    let bob = auth
        .mint("ES256", json!({ "aud": aud, "sub": "bob" }))
        .await;
    let (mut alice, mut bob) = (modern_client(&server, &alice), modern_client(&server, &bob));
    let tasks = || json!({ "extensions": { "io.modelcontextprotocol/tasks": {} } });

    let created = alice
        .call_tool("slow_compute", json!({ "seconds": 60 }), tasks())
        .await;
    let id = created.result()["taskId"]
        .as_str()
        .expect("taskId")
        .to_owned();
    for method in ["tasks/get", "tasks/cancel"] {
        let theirs = bob.request(method, json!({ "taskId": id }), tasks()).await;
        let unknown = bob
            .request(method, json!({ "taskId": format!("{id}x") }), tasks())
            .await;
        assert_eq!(theirs.error_code(), -32602, "{method}");
        // The same words, but for the id each names.
        let unknown_message = unknown.response()["error"]["message"]
            .as_str()
            .expect("a message")
            .replace(&format!("{id}x"), &id);
        assert_eq!(
            theirs.response()["error"]["message"],
            json!(unknown_message),
            "{method}: another's task reads as unknown"
        );
    }
    let mine = alice
        .request("tasks/get", json!({ "taskId": id }), tasks())
        .await;
    assert_eq!(mine.result()["status"], "working");
    alice
        .request("tasks/cancel", json!({ "taskId": id }), tasks())
        .await;

    let elicitation = || json!({ "elicitation": {} });
    let tool = "test_input_required_result_tampered_state";
    let first = alice.call_tool(tool, json!({}), elicitation()).await;
    let result = first.result().clone();
    let key = result["inputRequests"]
        .as_object()
        .and_then(|r| r.keys().next())
        .expect("an input request")
        .clone();
    let retry = json!({
        "name": tool, "arguments": {},
        "inputResponses": { key: { "action": "accept", "content": { "ok": true } } },
        "requestState": result["requestState"],
    });
    let stolen = bob
        .request("tools/call", retry.clone(), elicitation())
        .await;
    assert_eq!(stolen.error_code(), -32602, "{:?}", stolen.response());
    let own = alice.request("tools/call", retry, elicitation()).await;
    assert_eq!(own.result()["resultType"], "complete");
}

#[tokio::test]
async fn an_axum_app_mounting_the_service_checks_tokens_too() {
    let auth = AuthServer::start(&[]).await;
    let app =
        HttpServer::spawn_binary(&example_binary("axum"), &["--auth-issuer", &auth.issuer]).await;
    let reply = send_to(
        app.addr,
        Method::GET,
        "/.well-known/oauth-protected-resource/mcp",
        &[],
        Vec::new(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json().await["resource"], json!(resource(app.addr)));
    assert_eq!(
        initialize_with(&app, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let token = auth
        .mint("EdDSA", json!({ "aud": resource(app.addr) }))
        .await;
    let mut client = session(&app, &token).await;
    let echoed = client.call_tool("test_simple_text", json!({})).await;
    assert!(echoed["content"].is_array(), "{echoed}");
    // The app's own route is the app's business: no token needed.
    let hello = send_to(
        app.addr,
        Method::GET,
        "/hello",
        &[("accept", "text/plain")],
        Vec::new(),
    )
    .await;
    assert_eq!(hello.status, StatusCode::OK);
}

#[tokio::test]
async fn principals_and_tenants_have_their_own_rates() {
    let auth = AuthServer::start(&[]).await;
    let server = notes(
        &auth.issuer,
        &[
            "--rate-limit-per-principal",
            "4/m",
            "--rate-limit-per-tenant",
            "6/m",
        ],
    )
    .await;
    let token = |sub: &str, org: &str| {
        let mut c = claims(&server, org, "notes:read");
        c["sub"] = json!(sub);
        auth.mint("ES256", c)
    };
    let (alice, bob, carol) = (
        token("alice", "acme").await,
        token("bob", "acme").await,
        token("carol", "globex").await,
    );
    // Alice: initialize, initialized, a GET stream, one call: her four.
    let mut a = session(&server, &alice).await;
    let stream = a.get(&[]).await;
    assert_eq!(stream.status, StatusCode::OK);
    assert_eq!(stream.content_type(), "text/event-stream");
    a.call_tool("list_notes", json!({})).await;
    let (_, call) = a.request_message("tools/call", json!({ "name": "list_notes" }));
    let over = a.post(&call).await;
    assert_eq!(over.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(over.header("retry-after").is_some());
    // Bob has his own bucket, but shares acme's (four taken; Alice's refused
    // request took none): two more requests fill it.
    for _ in 0..2 {
        let reply = initialize_with(&server, Some(&format!("Bearer {bob}"))).await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    let reply = initialize_with(&server, Some(&format!("Bearer {bob}"))).await;
    assert_eq!(
        reply.status,
        StatusCode::TOO_MANY_REQUESTS,
        "acme's six are used"
    );
    // Another tenant is untouched.
    let reply = initialize_with(&server, Some(&format!("Bearer {carol}"))).await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn a_principal_has_a_cap_on_requests_in_flight() {
    let auth = AuthServer::start(&[]).await;
    let server = HttpServer::spawn(&[
        "--auth-issuer",
        &auth.issuer,
        "--max-requests-per-principal",
        "1",
    ])
    .await;
    let aud = resource(server.addr);
    let alice = auth.mint("ES256", json!({ "aud": aud })).await;
    let bob = auth
        .mint("ES256", json!({ "aud": aud, "sub": "bob" }))
        .await;
    let (mut slow, mut second) = (
        modern_client(&server, &alice),
        modern_client(&server, &alice),
    );
    let mut bob = modern_client(&server, &bob);
    let running = tokio::spawn(async move {
        slow.call_tool("slow_compute", json!({ "seconds": 1.5 }), json!({}))
            .await
            .status
    });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let refused = second.request("tools/list", json!({}), json!({})).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    let other = bob.request("tools/list", json!({}), json!({})).await;
    assert_eq!(
        other.status,
        StatusCode::OK,
        "another principal has its own"
    );
    assert_eq!(running.await.unwrap(), StatusCode::OK);
    let again = second.request("tools/list", json!({}), json!({})).await;
    assert_eq!(again.status, StatusCode::OK, "given back once answered");
}

#[test]
fn a_server_whose_tokens_cannot_be_checked_does_not_start() {
    let output = std::process::Command::new(example_binary("notes"))
        .args([
            "--http",
            "127.0.0.1:0",
            "--auth-issuer",
            "http://auth.example.com",
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run notes");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--auth-issuer must be an https URL") && !stderr.contains("listening"),
        "{stderr}"
    );
}
