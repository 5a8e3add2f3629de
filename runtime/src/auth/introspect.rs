//! Opaque tokens, checked at the authorization server's RFC 7662
//! introspection endpoint. Answers are cached briefly, keyed by
//! [`token_key`]: the cache never holds a token itself.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use super::fetch::Http;
use super::verified::token_key;
use super::verify::{self, Expect};
use super::{ClaimNames, Now, Principal, Rejected};

/// How long an active token's answer is reused (less if it expires sooner):
/// a revoked token keeps working at most this long.
const POSITIVE_TTL: Duration = Duration::from_secs(60);
/// How long a refusal is reused, so that a client retrying a dead token does
/// not cost an introspection each time.
const NEGATIVE_TTL: Duration = Duration::from_secs(10);
/// The most answers cached.
const MAX_ENTRIES: usize = 10_000;

/// Checks tokens at an introspection endpoint.
pub(crate) struct Introspector {
    http: Http,
    url: String,
    /// `Basic …` with the client's credentials.
    authorization: String,
    cache: Mutex<HashMap<u128, Cached>>,
}

struct Cached {
    outcome: Result<Principal, Rejected>,
    until: Instant,
}

impl Introspector {
    /// Introspects at `url` as the client `client_id` with `client_secret`.
    pub(crate) fn new(http: Http, url: String, client_id: &str, client_secret: &str) -> Self {
        Introspector {
            http,
            url,
            authorization: basic_auth(client_id, client_secret),
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn cache(&self) -> MutexGuard<'_, HashMap<u128, Cached>> {
        // Nothing panics while holding it, so a poisoned lock's map is sound.
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The principal `token` stands for, from the cache or the endpoint.
    pub(crate) async fn introspect(
        &self,
        token: &str,
        expect: &Expect,
        names: &ClaimNames,
        now: Now,
    ) -> Result<Principal, Rejected> {
        let key = token_key(token.as_bytes());
        if let Some(cached) = self.cache().get(&key) {
            if now.instant < cached.until {
                return cached.outcome.clone();
            }
        }
        let body = format!(
            "token={}&token_type_hint=access_token",
            form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>()
        );
        let answer = match self
            .http
            .post_form(&self.url, &self.authorization, body)
            .await
        {
            Ok(answer) => answer,
            Err(error) => {
                tracing::warn!(%error, "cannot introspect a token");
                return Err(Rejected::KeysUnavailable);
            }
        };
        let (outcome, ttl) = evaluate(answer, expect, names, now.unix)?;
        self.remember(key, outcome.clone(), now.instant, ttl);
        outcome
    }

    fn remember(
        &self,
        key: u128,
        outcome: Result<Principal, Rejected>,
        now: Instant,
        ttl: Duration,
    ) {
        let mut cache = self.cache();
        if cache.len() >= MAX_ENTRIES {
            cache.retain(|_, cached| cached.until > now);
            // Still full: drop any one (the map's order is arbitrary).
            if cache.len() >= MAX_ENTRIES {
                if let Some(victim) = cache.keys().next().copied() {
                    cache.remove(&victim);
                }
            }
        }
        let until = now + ttl;
        cache.insert(key, Cached { outcome, until });
    }

    #[cfg(test)]
    pub(crate) fn cached(&self) -> usize {
        self.cache().len()
    }
}

/// Judges an introspection answer: the outcome, and how long it may be reused.
/// An answer that is not a JSON object is the server's fault, not cached.
///
/// `iss`, `aud` and `exp` are optional in RFC 7662: when present they must
/// match, when absent the endpoint's word stands (it is the issuer's, and a
/// server that introspects trusts it to know which tokens are for whom).
fn evaluate(
    answer: Value,
    expect: &Expect,
    names: &ClaimNames,
    now: i64,
) -> Result<(Result<Principal, Rejected>, Duration), Rejected> {
    let Value::Object(mut claims) = answer else {
        tracing::warn!("the introspection endpoint's answer is not a JSON object");
        return Err(Rejected::KeysUnavailable);
    };
    let refused = |why| Ok((Err(why), NEGATIVE_TTL));
    if claims.get("active") != Some(&Value::Bool(true)) {
        return refused(Rejected::Inactive);
    }
    match claims.get("iss") {
        Some(Value::String(iss)) if *iss == expect.issuer => {}
        Some(_) => return refused(Rejected::WrongIssuer),
        // The endpoint that answered is the issuer's.
        None => {
            claims.insert("iss".to_owned(), Value::String(expect.issuer.clone()));
        }
    }
    if claims.contains_key("aud") && !verify::audience_contains(claims.get("aud"), &expect.audience)
    {
        return refused(Rejected::WrongAudience);
    }
    if let Err(why) = verify::check_times(&claims, expect.leeway, now) {
        return refused(why);
    }
    let ttl = match verify::numeric_date(&claims, "exp") {
        Ok(Some(exp)) => {
            let left = u64::try_from(exp.saturating_sub(now)).unwrap_or(0);
            POSITIVE_TTL.min(Duration::from_secs(left))
        }
        _ => POSITIVE_TTL,
    };
    match Principal::from_claims(claims, names.tenant.as_deref(), &names.role) {
        Ok(principal) => Ok((Ok(principal), ttl)),
        Err(why) => refused(why),
    }
}

/// HTTP Basic with the client's credentials, each form-urlencoded first
/// (RFC 6749 §2.3.1), so that a `:` in the id cannot shift the split.
fn basic_auth(client_id: &str, client_secret: &str) -> String {
    let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let credentials = format!("{}:{}", encode(client_id), encode(client_secret));
    format!("Basic {}", STANDARD.encode(credentials))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn expect() -> Expect {
        Expect {
            issuer: "https://as".into(),
            audience: "https://mcp".into(),
            leeway: 30,
        }
    }

    fn names() -> ClaimNames {
        ClaimNames {
            tenant: Some("org".into()),
            role: "roles".into(),
        }
    }

    fn judge(answer: Value, now: i64) -> (Result<Principal, Rejected>, Duration) {
        evaluate(answer, &expect(), &names(), now).unwrap()
    }

    #[test]
    fn answers() {
        let now = 1_000_000;
        let (ok, ttl) = judge(
            json!({"active": true, "sub": "u", "scope": "a b", "org": "o", "exp": now + 20}),
            now,
        );
        let ok = ok.unwrap();
        assert_eq!(
            (ok.issuer(), ok.subject(), ok.tenant()),
            ("https://as", "u", Some("o"))
        );
        assert_eq!(ok.scopes(), ["a", "b"]);
        assert_eq!(ttl, Duration::from_secs(20));
        let (_, ttl) = judge(json!({"active": true, "sub": "u"}), now);
        assert_eq!(ttl, POSITIVE_TTL);

        let cases = [
            (json!({"active": false, "sub": "u"}), Rejected::Inactive),
            (json!({"active": "true", "sub": "u"}), Rejected::Inactive),
            (json!({"sub": "u"}), Rejected::Inactive),
            (
                json!({"active": true, "sub": "u", "iss": "https://evil"}),
                Rejected::WrongIssuer,
            ),
            (
                json!({"active": true, "sub": "u", "aud": ["https://other"]}),
                Rejected::WrongAudience,
            ),
            (
                json!({"active": true, "sub": "u", "exp": now - 31}),
                Rejected::Expired,
            ),
            (
                json!({"active": true, "sub": "u", "nbf": now + 31}),
                Rejected::NotYetValid,
            ),
            (json!({"active": true}), Rejected::MissingClaim("sub")),
        ];
        for (answer, want) in cases {
            let (outcome, ttl) = judge(answer.clone(), now);
            assert_eq!(outcome.err(), Some(want), "{answer}");
            assert_eq!(ttl, NEGATIVE_TTL);
        }
        assert!(evaluate(json!([1]), &expect(), &names(), now).is_err());
    }

    #[test]
    fn credentials_are_form_encoded() {
        let auth = basic_auth("my app:1", "p@ss word");
        let decoded = STANDARD
            .decode(auth.strip_prefix("Basic ").unwrap())
            .unwrap();
        assert_eq!(decoded, b"my+app%3A1:p%40ss+word");
    }
}
