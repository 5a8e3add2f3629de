//! End-to-end checks of [`Authenticator`]: real signatures with keys made at
//! test time, and a small authorization server on the loopback for discovery,
//! key fetching and introspection.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::*;

const ISSUER: &str = "https://as.example";
const AUDIENCE: &str = "https://mcp.example/mcp";

/// A signing key and its public JWK.
struct Signer {
    alg: Algorithm,
    kid: String,
    key: EncodingKey,
    jwk: Value,
}

impl Signer {
    fn es256(kid: &str) -> Signer {
        use p256::elliptic_curve::sec1::ToEncodedPoint as _;
        use p256::pkcs8::EncodePrivateKey as _;
        let secret = p256::SecretKey::from_slice(&rand::random::<[u8; 32]>()).unwrap();
        let der = secret.to_pkcs8_der().unwrap();
        let point = secret.public_key().to_encoded_point(false);
        Signer {
            alg: Algorithm::ES256,
            kid: kid.into(),
            key: EncodingKey::from_ec_der(der.as_bytes()),
            jwk: json!({
                "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": kid,
                "x": URL_SAFE_NO_PAD.encode(point.x().unwrap()),
                "y": URL_SAFE_NO_PAD.encode(point.y().unwrap()),
            }),
        }
    }

    fn eddsa(kid: &str) -> Signer {
        use ed25519_dalek::pkcs8::EncodePrivateKey as _;
        let secret = ed25519_dalek::SigningKey::from_bytes(&rand::random());
        let der = secret.to_pkcs8_der().unwrap();
        Signer {
            alg: Algorithm::EdDSA,
            kid: kid.into(),
            key: EncodingKey::from_ed_der(der.as_bytes()),
            jwk: json!({
                "kty": "OKP", "crv": "Ed25519", "kid": kid,
                "x": URL_SAFE_NO_PAD.encode(secret.verifying_key().to_bytes()),
            }),
        }
    }

    fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.key).unwrap()
    }
}

fn jwks(signers: &[&Signer]) -> Value {
    json!({ "keys": signers.iter().map(|s| s.jwk.clone()).collect::<Vec<_>>() })
}

fn now() -> Now {
    Now::current()
}

/// Claims that pass, `exp` an hour from now.
fn claims() -> Value {
    json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "exp": now().unix + 3600,
        "scope": "notes:read files", "client_id": "app", "org": "acme", "roles": ["admin"],
    })
}

fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

fn without(mut claims: Value, key: &str) -> Value {
    if let Value::Object(map) = &mut claims {
        map.remove(key);
    }
    claims
}

fn config() -> AuthConfig {
    AuthConfig::new(ISSUER).tenant_claim("org")
}

/// An authenticator holding the keys of `signers`, fetching (when it must)
/// from a port where nothing listens.
fn authenticator(signers: &[&Signer]) -> Authenticator {
    let config = config().jwks_url("http://127.0.0.1:9/jwks");
    let mut auth = Authenticator::new(&config, AUDIENCE.into()).unwrap();
    let http = Http::new().unwrap();
    auth.check = Check::Jwt(KeyCache::preloaded(
        http,
        "http://127.0.0.1:9/jwks".into(),
        &jwks(signers),
        Instant::now(),
        Duration::from_secs(600),
    ));
    auth
}

fn attempts(auth: &Authenticator) -> u64 {
    match &auth.check {
        Check::Jwt(keys) => keys.attempts(),
        Check::Introspection(_) => 0,
    }
}

#[tokio::test]
async fn es256_and_eddsa_tokens_give_principals() {
    let es = Signer::es256("es");
    let ed = Signer::eddsa("ed");
    let auth = authenticator(&[&es, &ed]);
    for signer in [&es, &ed] {
        let p = auth.authenticate(&signer.sign(&claims())).await.unwrap();
        assert_eq!((p.issuer(), p.subject()), (ISSUER, "alice"));
        assert_eq!(p.client_id(), Some("app"));
        assert_eq!(p.scopes(), ["files", "notes:read"]);
        assert_eq!(p.tenant(), Some("acme"));
        assert_eq!(p.roles(), ["admin"]);
        assert!(p.has_scope("notes:read") && !p.has_scope("notes"));
    }
}

#[tokio::test]
async fn claims_are_checked() {
    let es = Signer::es256("es");
    let auth = authenticator(&[&es]);
    let unix = now().unix;
    let check = |claims: Value| {
        let token = es.sign(&claims);
        let auth = &auth;
        async move { auth.authenticate(&token).await.map(|_| ()) }
    };
    let cases = [
        (
            with(claims(), "exp", json!(unix - 60)),
            Err(Rejected::Expired),
        ),
        (with(claims(), "exp", json!(unix - 10)), Ok(())), // within the leeway
        (
            with(claims(), "nbf", json!(unix + 120)),
            Err(Rejected::NotYetValid),
        ),
        (with(claims(), "nbf", json!(unix + 10)), Ok(())),
        (
            with(claims(), "iss", json!("https://evil.example")),
            Err(Rejected::WrongIssuer),
        ),
        (
            with(claims(), "aud", json!("https://other.example")),
            Err(Rejected::WrongAudience),
        ),
        (
            with(claims(), "aud", json!(["https://other.example", AUDIENCE])),
            Ok(()),
        ),
        (without(claims(), "sub"), Err(Rejected::MissingClaim("sub"))),
        (without(claims(), "exp"), Err(Rejected::MissingClaim("exp"))),
        (without(claims(), "iss"), Err(Rejected::MissingClaim("iss"))),
    ];
    for (claims, want) in cases {
        assert_eq!(check(claims.clone()).await, want, "{claims}");
    }
}

#[tokio::test]
async fn unknown_kids_refetch_at_most_once_per_cooldown() {
    let es = Signer::es256("es");
    let auth = authenticator(&[&es]);
    let stranger = Signer::es256("stranger");
    let token = stranger.sign(&claims());
    let t0 = now();
    let at = |secs| Now {
        instant: t0.instant + Duration::from_secs(secs),
        unix: t0.unix + secs as i64,
    };
    assert_eq!(
        auth.authenticate_at(&token, at(0)).await.err(),
        Some(Rejected::UnknownKey)
    );
    assert_eq!(attempts(&auth), 1);
    let other = Signer::es256("other").sign(&claims());
    assert_eq!(
        auth.authenticate_at(&other, at(10)).await.err(),
        Some(Rejected::UnknownKey)
    );
    assert_eq!(attempts(&auth), 1);
    let _ = auth.authenticate_at(&other, at(31)).await;
    assert_eq!(attempts(&auth), 2);
}

#[tokio::test]
async fn forged_and_unsigned_tokens_are_refused() {
    let es = Signer::es256("es");
    let auth = authenticator(&[&es]);

    // Another key, claiming to be ours.
    let forger = Signer::es256("es");
    let forged = forger.sign(&claims());
    assert_eq!(
        auth.authenticate(&forged).await.err(),
        Some(Rejected::BadSignature)
    );

    // Our header and claims, another token's signature.
    let ours = es.sign(&claims());
    let theirs = forger.sign(&with(claims(), "sub", json!("mallory")));
    let (body, _) = ours.rsplit_once('.').unwrap();
    let (_, sig) = theirs.rsplit_once('.').unwrap();
    assert_eq!(
        auth.authenticate(&format!("{body}.{sig}")).await.err(),
        Some(Rejected::BadSignature)
    );

    let b64 = |s: &str| URL_SAFE_NO_PAD.encode(s);
    let payload = b64(&claims().to_string());
    let none = format!("{}.{payload}.", b64(r#"{"alg":"none"}"#));
    assert_eq!(
        auth.authenticate(&none).await.err(),
        Some(Rejected::UnsupportedAlgorithm)
    );

    // HS256 with the public key as the HMAC secret: the classic confusion.
    let public = es.jwk.to_string();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("es".into());
    let hs = jsonwebtoken::encode(
        &header,
        &claims(),
        &EncodingKey::from_secret(public.as_bytes()),
    )
    .unwrap();
    assert_eq!(
        auth.authenticate(&hs).await.err(),
        Some(Rejected::UnsupportedAlgorithm)
    );
    assert_eq!(attempts(&auth), 0, "no key fetched for any of these");
}

#[tokio::test]
async fn malformed_and_oversized_tokens_are_refused() {
    let es = Signer::es256("es");
    let auth = authenticator(&[&es]);
    let token = es.sign(&claims());
    let truncated = &token[..token.len() - 10];
    let (head, _) = token.split_once('.').unwrap();
    for bad in [
        "",
        "garbage",
        "a.b.c",
        truncated,
        &format!("{head}.!!!.sig"),
        &format!("{head}.{}.sig", URL_SAFE_NO_PAD.encode("[1]")),
    ] {
        let refused = auth.authenticate(bad).await.err();
        assert!(
            matches!(refused, Some(Rejected::Malformed | Rejected::BadSignature)),
            "{bad}: {refused:?}"
        );
    }
    assert_eq!(
        auth.authenticate(truncated).await.err(),
        Some(Rejected::BadSignature)
    );
    assert_eq!(
        auth.authenticate("garbage").await.err(),
        Some(Rejected::Malformed)
    );
    let long = "a".repeat(64 * 1024);
    assert_eq!(
        auth.authenticate(&long).await.err(),
        Some(Rejected::TooLong)
    );
    let just_over = format!("{token}{}", "A".repeat(MAX_TOKEN_BYTES + 1 - token.len()));
    assert_eq!(
        auth.authenticate(&just_over).await.err(),
        Some(Rejected::TooLong)
    );
}

#[test]
fn rejections_have_fixed_texts_and_labels() {
    let all = [
        Rejected::Malformed,
        Rejected::TooLong,
        Rejected::UnsupportedAlgorithm,
        Rejected::UnknownKey,
        Rejected::BadSignature,
        Rejected::Expired,
        Rejected::NotYetValid,
        Rejected::WrongIssuer,
        Rejected::WrongAudience,
        Rejected::MissingClaim("sub"),
        Rejected::Inactive,
        Rejected::KeysUnavailable,
    ];
    let labels: std::collections::BTreeSet<_> = all.iter().map(Rejected::reason).collect();
    assert_eq!(labels.len(), all.len());
    for r in all {
        // RFC 6750 §3: error_description is %x20-21 / %x23-5B / %x5D-7E.
        assert!(
            r.description()
                .bytes()
                .all(|b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\'),
            "{r:?}"
        );
        assert_eq!(r.is_unavailable(), r == Rejected::KeysUnavailable);
    }
}

#[test]
fn config_debug_hides_the_secret() {
    let config = AuthConfig::new(ISSUER).audience(AUDIENCE).introspection(
        "https://as.example/introspect",
        "client",
        "hunter2",
    );
    let debug = format!("{config:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(
        debug.contains("<redacted>") && debug.contains("client"),
        "{debug}"
    );
    assert_eq!(config.issuer_url(), ISSUER);
    assert_eq!(config.audience_uri(), Some(AUDIENCE));
}

#[test]
fn bad_urls_name_the_flag() {
    let err = |config: AuthConfig| Authenticator::new(&config, AUDIENCE.into()).err();
    let e = err(AuthConfig::new("http://as.example")).unwrap();
    assert!(e.starts_with("--auth-issuer must be an https URL"), "{e}");
    let e = err(config().jwks_url("http://as.example/jwks")).unwrap();
    assert!(e.starts_with("--auth-jwks "), "{e}");
    let e = err(config().introspection("ftp://as.example/i", "c", "s")).unwrap();
    assert!(e.starts_with("--auth-introspection "), "{e}");
    assert!(err(config()).is_none());
}

/// A small authorization server: metadata, a JWKS (`max-age=300`) that tests
/// can rotate, and introspection; it counts the requests per path.
struct AuthServer {
    base: String,
    jwks: Mutex<Value>,
    hits: Mutex<HashMap<String, usize>>,
    authorization: String,
}

impl AuthServer {
    async fn start(jwks: Value) -> Arc<AuthServer> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = Arc::new(AuthServer {
            base,
            jwks: Mutex::new(jwks),
            hits: Mutex::new(HashMap::new()),
            authorization: introspect_auth("client", "s3cret"),
        });
        let shared = server.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let server = shared.clone();
                let service = hyper::service::service_fn(move |req| {
                    let server = server.clone();
                    async move { Ok::<_, Infallible>(server.handle(req).await) }
                });
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service),
                );
            }
        });
        server
    }

    fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }

    async fn handle(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let path = req.uri().path().to_owned();
        *self.hits.lock().unwrap().entry(path.clone()).or_default() += 1;
        let base = &self.base;
        let metadata =
            |issuer: String| json!({"issuer": issuer, "jwks_uri": format!("{base}/jwks")});
        let (status, body) = match path.as_str() {
            "/.well-known/oauth-authorization-server" => (200, metadata(base.clone())),
            "/.well-known/oauth-authorization-server/tenant" => {
                (200, metadata(format!("{base}/tenant")))
            }
            // Claims another issuer: must be passed over.
            "/.well-known/oauth-authorization-server/oidc" => (200, metadata(base.clone())),
            "/oidc/.well-known/openid-configuration" => (200, metadata(format!("{base}/oidc"))),
            "/jwks" => {
                let jwks = self.jwks.lock().unwrap().clone();
                let body = Full::new(Bytes::from(jwks.to_string()));
                return Response::builder()
                    .header("cache-control", "public, max-age=300")
                    .body(body)
                    .unwrap();
            }
            "/introspect" => self.introspect(req).await,
            _ => (404, json!({})),
        };
        Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .unwrap()
    }

    async fn introspect(&self, req: Request<Incoming>) -> (u16, Value) {
        let authorized = req
            .headers()
            .get("authorization")
            .is_some_and(|v| v.as_bytes() == self.authorization.as_bytes());
        let body = req.into_body().collect().await.unwrap().to_bytes();
        if !authorized {
            return (401, json!({"error": "invalid_client"}));
        }
        let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
        assert_eq!(form["token_type_hint"], "access_token");
        match form["token"].as_str() {
            "good token" => (
                200,
                json!({
                    "active": true, "sub": "alice", "iss": self.base,
                    "aud": AUDIENCE, "scope": "notes", "exp": now().unix + 3600,
                }),
            ),
            _ => (200, json!({"active": false})),
        }
    }
}

fn introspect_auth(id: &str, secret: &str) -> String {
    let credentials = format!("{id}:{secret}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(credentials)
    )
}

#[tokio::test]
async fn keys_are_discovered_cached_and_rotated() {
    let k1 = Signer::es256("k1");
    let k2 = Signer::eddsa("k2");
    let server = AuthServer::start(jwks(&[&k1])).await;
    let issuer = server.base.clone();
    let auth = Authenticator::new(&AuthConfig::new(&issuer), AUDIENCE.into()).unwrap();
    let token = |signer: &Signer| signer.sign(&with(claims(), "iss", json!(issuer)));
    let t0 = now();
    let at = |secs: u64| Now {
        instant: t0.instant + Duration::from_secs(secs),
        unix: t0.unix,
    };

    // Concurrent first requests share one fetch.
    let first = token(&k1);
    let all = futures_util::future::join_all((0..8).map(|_| auth.authenticate_at(&first, at(0))));
    for p in all.await {
        assert_eq!(p.unwrap().issuer(), issuer);
    }
    assert_eq!(server.hits("/.well-known/oauth-authorization-server"), 1);
    assert_eq!(server.hits("/jwks"), 1);
    // max-age=300: cached until then.
    auth.authenticate_at(&token(&k1), at(299)).await.unwrap();
    assert_eq!(server.hits("/jwks"), 1);

    // Rotation: k2 replaces k1; a k2 token brings one fetch.
    *server.jwks.lock().unwrap() = jwks(&[&k2]);
    auth.authenticate_at(&token(&k2), at(299)).await.unwrap();
    assert_eq!(server.hits("/jwks"), 2);
    assert_eq!(
        auth.authenticate_at(&token(&k1), at(300)).await.err(),
        Some(Rejected::UnknownKey)
    );
    assert_eq!(server.hits("/jwks"), 2, "within the cooldown");
    // Stale after max-age: fetched again; the metadata is not.
    auth.authenticate_at(&token(&k2), at(600)).await.unwrap();
    assert_eq!(server.hits("/jwks"), 3);
    assert_eq!(server.hits("/.well-known/oauth-authorization-server"), 1);

    // No keys yet and an issuer out of reach: unavailable, not unauthorized.
    let gone = Authenticator::new(&AuthConfig::new("http://127.0.0.1:9"), AUDIENCE.into()).unwrap();
    assert_eq!(
        gone.authenticate(&token(&k2)).await.err(),
        Some(Rejected::KeysUnavailable)
    );
}

#[tokio::test]
async fn discovery_tries_the_well_known_urls_in_turn() {
    let k = Signer::eddsa("k");
    let server = AuthServer::start(jwks(&[&k])).await;
    for suffix in ["/tenant", "/oidc"] {
        let issuer = format!("{}{suffix}", server.base);
        let auth = Authenticator::new(&AuthConfig::new(&issuer), AUDIENCE.into()).unwrap();
        let token = k.sign(&with(claims(), "iss", json!(issuer)));
        let p = auth.authenticate(&token).await.unwrap();
        assert_eq!(p.issuer(), issuer);
    }
    assert_eq!(server.hits("/oidc/.well-known/openid-configuration"), 1);
}

#[tokio::test]
async fn opaque_tokens_are_introspected_and_cached() {
    let server = AuthServer::start(json!({"keys": []})).await;
    let introspection = format!("{}/introspect", server.base);
    let config = AuthConfig::new(&server.base).introspection(&introspection, "client", "s3cret");
    let auth = Authenticator::new(&config, AUDIENCE.into()).unwrap();

    let p = auth.authenticate("good token").await.unwrap();
    assert_eq!(
        (p.subject(), p.scopes()),
        ("alice", &["notes".to_owned()][..])
    );
    auth.authenticate("good token").await.unwrap();
    assert_eq!(server.hits("/introspect"), 1, "the answer is cached");

    for _ in 0..2 {
        assert_eq!(
            auth.authenticate("revoked").await.err(),
            Some(Rejected::Inactive)
        );
    }
    assert_eq!(server.hits("/introspect"), 2, "refusals are cached too");
    if let Check::Introspection(introspector) = &auth.check {
        assert_eq!(introspector.cached(), 2);
    }

    let wrong = AuthConfig::new(&server.base).introspection(&introspection, "client", "guess");
    let auth = Authenticator::new(&wrong, AUDIENCE.into()).unwrap();
    for _ in 0..2 {
        assert_eq!(
            auth.authenticate("good token").await.err(),
            Some(Rejected::KeysUnavailable)
        );
    }
    assert_eq!(server.hits("/introspect"), 4, "failures are not cached");
}
