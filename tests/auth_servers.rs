//! The authorization servers the OAuth end-to-end tests run (tests/common/auth.rs):
//! our own (tests/support/auth-server.mjs) and npm's oauth2-mock-server
//! (tests/support/oauth2-mock.mjs) start, describe themselves, and issue tokens
//! that say what was asked of them.

mod common;

use base64::Engine as _;
use common::auth::{
    AuthServer, MockAuthServer, basic_auth, form_encode, get_json, jwt_parts, post_form,
};
use common::http::send_to;
use http::{Method, StatusCode};
use serde_json::{Value, json};

/// The kids of a JWKS.
fn kids(jwks: &Value) -> Vec<String> {
    jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["kid"].as_str().expect("a kid").to_owned())
        .collect()
}

#[tokio::test]
async fn our_server_describes_itself_and_mints_tokens() {
    let server = AuthServer::start(&["--issuer-path", "/tenant-a", "--jwks-max-age", "123"]).await;
    let base = format!("http://{}", server.addr);
    assert_eq!(server.issuer, format!("{base}/tenant-a"));

    // RFC 8414's path-inserted form and OpenID's appended one.
    for path in [
        "/.well-known/oauth-authorization-server/tenant-a",
        "/tenant-a/.well-known/openid-configuration",
    ] {
        let metadata = get_json(server.addr, path).await;
        assert_eq!(metadata["issuer"], server.issuer.as_str(), "{path}");
        assert_eq!(metadata["jwks_uri"], server.jwks_uri());
        assert_eq!(
            metadata["introspection_endpoint"],
            server.introspection_endpoint()
        );
        assert_eq!(
            metadata["code_challenge_methods_supported"],
            json!(["S256"])
        );
    }
    let root = send_to(
        server.addr,
        Method::GET,
        "/.well-known/oauth-authorization-server",
        &[],
        Vec::new(),
    )
    .await;
    assert_eq!(root.status, StatusCode::NOT_FOUND, "the issuer has a path");

    let reply = send_to(
        server.addr,
        Method::GET,
        "/jwks",
        &[("accept", "application/json")],
        Vec::new(),
    )
    .await;
    assert_eq!(
        reply.header("cache-control").as_deref(),
        Some("max-age=123")
    );
    let jwks = reply.json().await;
    assert_eq!(kids(&jwks), ["rs256-1", "ps256-1", "es256-1", "eddsa-1"]);
    for key in jwks["keys"].as_array().unwrap() {
        assert_eq!(key["use"], "sig");
        assert!(key.get("d").is_none(), "a public key only: {key}");
    }

    let token = server
        .mint(
            "ES256",
            json!({ "aud": "http://127.0.0.1:1/mcp", "scope": "a b" }),
        )
        .await;
    assert_eq!(token.split('.').count(), 3);
    let (header, claims) = jwt_parts(&token);
    assert_eq!(header["alg"], "ES256");
    assert!(kids(&jwks).contains(&header["kid"].as_str().unwrap().to_owned()));
    assert_eq!(claims["iss"], server.issuer.as_str());
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["aud"], "http://127.0.0.1:1/mcp");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        300
    );
    // The P-256 signature is r || s, 64 bytes.
    let signature = token.rsplit('.').next().unwrap();
    let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(signature)
        .unwrap();
    assert_eq!(signature.len(), 64);

    let none = server
        .mint_with("none", json!({}), json!({ "kid": "x" }), -10)
        .await;
    assert!(
        none.ends_with('.'),
        "alg none has an empty signature: {none}"
    );
    let (header, claims) = jwt_parts(&none);
    assert_eq!(header, json!({ "alg": "none", "kid": "x" }));
    assert!(claims["exp"].as_i64().unwrap() < claims["iat"].as_i64().unwrap());
    let (header, _) = jwt_parts(&server.mint("HS256-public", json!({})).await);
    assert_eq!(
        (&header["alg"], &header["kid"]),
        (&json!("HS256"), &json!("rs256-1"))
    );

    // Rotation: a new kid signs, the old one leaves the JWKS.
    let kid = server.rotate("ES256").await;
    assert_eq!(kid, "es256-2");
    let (header, _) = jwt_parts(&server.mint("ES256", json!({})).await);
    assert_eq!(header["kid"], "es256-2");
    let jwks = get_json(server.addr, "/jwks").await;
    assert!(kids(&jwks).contains(&kid) && !kids(&jwks).contains(&"es256-1".to_owned()));
    assert_eq!(server.rotate_with("ES256", true).await, "es256-3");
    assert!(kids(&get_json(server.addr, "/jwks").await).contains(&kid));

    let stats = server.stats().await;
    assert_eq!(stats["jwks_fetches"], 3);
    assert_eq!(stats["metadata_fetches"], 2);
}

#[tokio::test]
async fn our_server_introspects_with_client_authentication() {
    let server =
        AuthServer::start(&["--client-id", "rs client", "--client-secret", "s:3%cret"]).await;
    let auth = basic_auth("rs client", "s:3%cret");
    let introspect = async |token: &str| {
        let form = [("token", token)];
        post_form(
            server.addr,
            "/introspect",
            &[("authorization", &auth)],
            &form,
        )
        .await
    };

    let opaque = server
        .opaque(json!({ "scope": "tools:call", "aud": "r" }), true)
        .await;
    let answer = introspect(&opaque).await;
    assert_eq!(answer["active"], true);
    assert_eq!(answer["scope"], "tools:call");
    assert_eq!(answer["iss"], server.issuer.as_str());
    assert_eq!(
        introspect(&server.opaque(json!({}), false).await).await,
        json!({ "active": false })
    );
    assert_eq!(introspect("unknown").await, json!({ "active": false }));
    for alg in ["ES256", "EdDSA", "RS256", "PS256"] {
        let token = server.mint(alg, json!({ "aud": "r" })).await;
        assert_eq!(introspect(&token).await["active"], true, "{alg}");
    }
    for (alg, expires_in) in [("ES256", -1), ("none", 300), ("HS256-public", 300)] {
        let token = server
            .mint_with(alg, json!({}), json!({}), expires_in)
            .await;
        assert_eq!(introspect(&token).await["active"], false, "{alg}");
    }

    let body = form_encode(&[("token", &opaque)]).into_bytes();
    let wrong = basic_auth("rs client", "wrong");
    for mut headers in [vec![], vec![("authorization", wrong.as_str())]] {
        headers.push(("content-type", "application/x-www-form-urlencoded"));
        let reply = send_to(
            server.addr,
            Method::POST,
            "/introspect",
            &headers,
            body.clone(),
        )
        .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(reply.json().await["error"], "invalid_client");
    }

    let token = server
        .client_credentials_token("rs client", "s:3%cret", "http://127.0.0.1:1/mcp", "a b")
        .await;
    let (header, claims) = jwt_parts(&token);
    assert_eq!(header["alg"], "ES256");
    assert_eq!(
        (&claims["aud"], &claims["scope"]),
        (&json!("http://127.0.0.1:1/mcp"), &json!("a b"))
    );
    assert_eq!(server.stats().await["introspections"], 12);
}

#[tokio::test]
async fn the_mock_server_issues_tokens_for_the_requested_resource() {
    let server = MockAuthServer::start().await;
    let metadata = get_json(server.addr, "/.well-known/openid-configuration").await;
    assert_eq!(metadata["issuer"], server.issuer.as_str());
    assert_eq!(metadata["registration_endpoint"], server.url("/register"));
    assert!(
        metadata["code_challenge_methods_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("S256"))
    );

    let resource = "http://127.0.0.1:1/mcp";
    let token = server
        .client_credentials_token(resource, "tools:read tools:call")
        .await;
    let (header, claims) = jwt_parts(&token);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(claims["iss"], server.issuer.as_str());
    assert_eq!(claims["aud"], resource);
    assert_eq!(claims["scope"], "tools:read tools:call");
    let jwks = get_json(server.addr, "/jwks").await;
    assert_eq!(kids(&jwks), [header["kid"].as_str().unwrap()]);
}

#[tokio::test]
async fn the_mock_server_runs_the_authorization_code_flow_with_pkce() {
    let server = MockAuthServer::start().await;
    let redirect = "http://127.0.0.1:1/callback";
    let registration = json!({ "redirect_uris": [redirect], "token_endpoint_auth_method": "none" });
    let reply = send_to(
        server.addr,
        Method::POST,
        "/register",
        &[],
        registration.to_string().into_bytes(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let client = reply.json().await;
    let client_id = client["client_id"]
        .as_str()
        .expect("a client_id")
        .to_owned();
    assert!(
        client.get("client_secret").is_none(),
        "a public client: {client}"
    );

    // RFC 7636 appendix B's verifier and challenge.
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let resource = "http://127.0.0.1:1/mcp";
    let authorize = async || {
        let query = form_encode(&[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", redirect),
            ("state", "xyz"),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
            ("resource", resource),
            ("scope", "tools:call"),
        ]);
        let reply = send_to(
            server.addr,
            Method::GET,
            &format!("/authorize?{query}"),
            &[],
            Vec::new(),
        )
        .await;
        assert_eq!(reply.status, StatusCode::FOUND);
        let location = reply.header("location").expect("a Location");
        let query = location
            .strip_prefix(&format!("{redirect}?"))
            .expect("to the redirect URI");
        assert!(query.contains("state=xyz"), "{location}");
        let code = query
            .split('&')
            .find_map(|p| p.strip_prefix("code="))
            .expect("a code");
        code.to_owned()
    };
    let exchange = async |code: &str, verifier: &str| {
        let form = form_encode(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect),
            ("client_id", &client_id),
            ("code_verifier", verifier),
        ]);
        let headers = [("content-type", "application/x-www-form-urlencoded")];
        let reply = send_to(
            server.addr,
            Method::POST,
            "/token",
            &headers,
            form.into_bytes(),
        )
        .await;
        (reply.status, reply.json().await)
    };

    let (status, _) = exchange(&authorize().await, &verifier.replace('d', "e")).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a wrong verifier is refused"
    );
    let (status, answer) = exchange(&authorize().await, verifier).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["token_type"], "Bearer");
    assert_eq!(answer["scope"], "tools:call");
    let (_, claims) = jwt_parts(answer["access_token"].as_str().unwrap());
    assert_eq!(claims["aud"], resource, "the resource given to /authorize");
    assert_eq!(claims["scope"], "tools:call");
    assert_eq!(claims["sub"], "johndoe");
}
