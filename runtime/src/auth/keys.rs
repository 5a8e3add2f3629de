//! The issuer's signing keys: fetched from its JWKS, cached for the time the
//! response allows, fetched again on rotation, but never more than once per
//! cooldown, so that tokens with made-up key ids cannot make the server hammer
//! the authorization server.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use serde_json::Value;

use super::Rejected;
use super::fetch::Http;

/// How long keys are kept when the JWKS response says nothing.
const DEFAULT_TTL: Duration = Duration::from_secs(10 * 60);
/// The bounds put on the response's `max-age`: at least a minute, so that a
/// `max-age=0` does not mean a fetch per request; at most a day, so that
/// revoked keys go eventually.
const MIN_TTL: Duration = Duration::from_secs(60);
const MAX_TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// The least time between two fetches, whatever tokens come in.
const COOLDOWN: Duration = Duration::from_secs(30);

/// RSA moduli shorter than this (in bytes, 2048 bits) are not trusted.
const MIN_RSA_MODULUS: usize = 256;

const RSA_ALGS: [Algorithm; 6] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
];

/// The issuer's keys, cached.
pub(crate) struct KeyCache {
    source: Source,
    http: Http,
    state: Mutex<State>,
    /// Held while fetching, so that concurrent misses share one fetch.
    flight: tokio::sync::Mutex<()>,
}

enum Source {
    /// A configured JWKS URL.
    Jwks(String),
    /// The issuer: its `jwks_uri` is found in its metadata.
    Issuer(String),
}

#[derive(Default)]
struct State {
    /// The keys last fetched, possibly stale.
    keys: Option<Arc<KeySet>>,
    /// When `keys` go stale.
    expires: Option<Instant>,
    /// When keys were last fetched because fresh ones had none fitting a token
    /// (a rotation, or a made-up key id): such fetches keep the cooldown.
    last_miss: Option<Instant>,
    /// When a fetch last failed: the next waits out the cooldown.
    last_failure: Option<Instant>,
    /// How many fetches were tried: tells a task that waited for another's
    /// fetch that there is no need for its own.
    attempts: u64,
    /// The `jwks_uri` found in the issuer's metadata.
    discovered: Option<String>,
}

impl State {
    /// Whether a fetch may start now: one for keys that are missing or stale
    /// unless the last fetch failed within the cooldown; one for a key fresh keys
    /// lack (`miss`) also only once per cooldown. The first fetch after start-up
    /// does not count, so a rotation right after it is still picked up.
    fn may_fetch(&self, now: Instant, miss: bool) -> bool {
        let cooled = |last: Option<Instant>| {
            last.is_none_or(|last| now.saturating_duration_since(last) >= COOLDOWN)
        };
        cooled(self.last_failure) && (!miss || cooled(self.last_miss))
    }
}

impl KeyCache {
    /// Keys from a fixed JWKS URL.
    pub(crate) fn from_jwks_url(http: Http, url: String) -> KeyCache {
        KeyCache::new(http, Source::Jwks(url))
    }

    /// Keys from the `jwks_uri` of the issuer's metadata.
    pub(crate) fn from_issuer(http: Http, issuer: String) -> KeyCache {
        KeyCache::new(http, Source::Issuer(issuer))
    }

    fn new(http: Http, source: Source) -> KeyCache {
        KeyCache {
            source,
            http,
            state: Mutex::new(State::default()),
            flight: tokio::sync::Mutex::new(()),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding it, so a poisoned lock's state is sound.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The key for a token whose header says `kid` and `alg`. Fetches the keys
    /// when there are none yet, when they are stale, or when none fits (a
    /// rotation), cooldown permitting; when a fetch fails, stale keys go on
    /// serving.
    pub(crate) async fn key_for(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
        now: Instant,
    ) -> Result<DecodingKey, Rejected> {
        let (fresh, attempts) = {
            let state = self.state();
            let fresh = state.expires.is_some_and(|expires| now < expires);
            (state.keys.clone().filter(|_| fresh), state.attempts)
        };
        let miss = fresh.is_some();
        if let Some(key) = fresh.and_then(|keys| keys.find(kid, alg)) {
            return Ok(key);
        }
        match self.refresh(attempts, now, miss).await {
            Some(keys) => keys.find(kid, alg).ok_or(Rejected::UnknownKey),
            None => Err(Rejected::KeysUnavailable),
        }
    }

    /// Fetches the keys, unless another task did (or tried) since this one
    /// saw `attempts`, or the cooldown forbids; returns the keys then held,
    /// stale or not.
    async fn refresh(&self, attempts: u64, now: Instant, miss: bool) -> Option<Arc<KeySet>> {
        // Decided under the lock: a task arriving while another fetches waits
        // for that fetch rather than finding the cooldown started and no keys.
        let _flight = self.flight.lock().await;
        {
            let mut state = self.state();
            // Fresh keys fetched since this task looked need no second fetch for
            // a task that had none.
            let fresh = state.expires.is_some_and(|expires| now < expires);
            if state.attempts != attempts || (fresh && !miss) || !state.may_fetch(now, miss) {
                return state.keys.clone();
            }
            state.attempts += 1;
            if miss {
                state.last_miss = Some(now);
            }
        }
        match self.fetch().await {
            Ok((keys, ttl)) => {
                let keys = Arc::new(keys);
                let mut state = self.state();
                state.keys = Some(keys.clone());
                state.expires = Some(now + ttl);
                Some(keys)
            }
            Err(error) => {
                let mut state = self.state();
                state.last_failure = Some(now);
                // Look the URL up again next time: the metadata may have moved it.
                state.discovered = None;
                if state.keys.is_some() {
                    tracing::warn!(%error, "cannot fetch the authorization server's keys; the keys fetched before stay in use");
                } else {
                    tracing::warn!(%error, "cannot fetch the authorization server's keys");
                }
                state.keys.clone()
            }
        }
    }

    async fn fetch(&self) -> Result<(KeySet, Duration), String> {
        let url = match &self.source {
            Source::Jwks(url) => url.clone(),
            Source::Issuer(issuer) => {
                let discovered = self.state().discovered.clone();
                match discovered {
                    Some(url) => url,
                    None => {
                        let url = self.http.discover_jwks_uri(issuer).await?;
                        self.state().discovered = Some(url.clone());
                        url
                    }
                }
            }
        };
        let fetched = self.http.get_json(&url).await?;
        let keys = KeySet::from_jwks(&fetched.json)?;
        if keys.keys.is_empty() {
            return Err(format!("{url}: no usable signing key"));
        }
        let ttl = fetched
            .max_age
            .map_or(DEFAULT_TTL, |ttl| ttl.clamp(MIN_TTL, MAX_TTL));
        Ok((keys, ttl))
    }

    /// How many fetches were tried.
    #[cfg(test)]
    pub(crate) fn attempts(&self) -> u64 {
        self.state().attempts
    }

    /// A cache holding the keys of `jwks` until `now + ttl`, fetching (when it
    /// must) from `url`.
    #[cfg(test)]
    pub(crate) fn preloaded(
        http: Http,
        url: String,
        jwks: &Value,
        now: Instant,
        ttl: Duration,
    ) -> KeyCache {
        let cache = KeyCache::from_jwks_url(http, url);
        if let Ok(keys) = KeySet::from_jwks(jwks) {
            let mut state = cache.state();
            state.keys = Some(Arc::new(keys));
            state.expires = Some(now + ttl);
        }
        cache
    }
}

/// The usable keys of a JWKS.
pub(crate) struct KeySet {
    keys: Vec<Key>,
}

struct Key {
    kid: Option<String>,
    /// The algorithms the key may verify.
    algs: Vec<Algorithm>,
    key: DecodingKey,
}

impl KeySet {
    /// The signing keys of a JWKS document; keys that are for encryption,
    /// symmetric, malformed or of an unsupported kind are skipped.
    pub(crate) fn from_jwks(jwks: &Value) -> Result<KeySet, String> {
        let keys = jwks
            .get("keys")
            .and_then(Value::as_array)
            .ok_or("the key set has no \"keys\" array")?;
        Ok(KeySet {
            keys: keys.iter().filter_map(Key::from_jwk).collect(),
        })
    }

    /// The key for `kid` and `alg`: by `kid` when the token names one, else
    /// the only key that fits `alg`.
    fn find(&self, kid: Option<&str>, alg: Algorithm) -> Option<DecodingKey> {
        let mut fitting = self.keys.iter().filter(|key| key.algs.contains(&alg));
        let key = match kid {
            Some(kid) => fitting.find(|key| key.kid.as_deref() == Some(kid))?,
            None => {
                let key = fitting.next()?;
                if fitting.next().is_some() {
                    return None;
                }
                key
            }
        };
        Some(key.key.clone())
    }
}

impl Key {
    /// Reads one JWK (RFC 7517); `None` when it is unusable here.
    fn from_jwk(jwk: &Value) -> Option<Key> {
        #[derive(Deserialize)]
        struct Jwk {
            kty: String,
            #[serde(rename = "use")]
            use_: Option<String>,
            key_ops: Option<Vec<String>>,
            alg: Option<String>,
            kid: Option<String>,
            crv: Option<String>,
            x: Option<String>,
            y: Option<String>,
            n: Option<String>,
            e: Option<String>,
        }
        let jwk = Jwk::deserialize(jwk).ok()?;
        if jwk.use_.as_deref().is_some_and(|u| u != "sig")
            || jwk
                .key_ops
                .as_ref()
                .is_some_and(|ops| !ops.iter().any(|op| op == "verify"))
        {
            return None;
        }
        // The lengths are checked here because `jsonwebtoken` slices the key
        // bytes when verifying, and would panic on short ones.
        let (algs, key) = match (jwk.kty.as_str(), jwk.crv.as_deref()) {
            ("EC", Some(crv @ ("P-256" | "P-384"))) => {
                let (x, y) = (jwk.x?, jwk.y?);
                let (alg, len) = match crv {
                    "P-256" => (Algorithm::ES256, 32),
                    _ => (Algorithm::ES384, 48),
                };
                if decoded_len(&x)? != len || decoded_len(&y)? != len {
                    return None;
                }
                (vec![alg], DecodingKey::from_ec_components(&x, &y).ok()?)
            }
            ("OKP", Some("Ed25519")) => {
                let x = jwk.x?;
                if decoded_len(&x)? != 32 {
                    return None;
                }
                (
                    vec![Algorithm::EdDSA],
                    DecodingKey::from_ed_components(&x).ok()?,
                )
            }
            ("RSA", _) => {
                let (n, e) = (jwk.n?, jwk.e?);
                let modulus = URL_SAFE_NO_PAD.decode(&n).ok()?;
                let significant = modulus.iter().skip_while(|b| **b == 0).count();
                if significant < MIN_RSA_MODULUS || decoded_len(&e)? == 0 {
                    return None;
                }
                (
                    RSA_ALGS.to_vec(),
                    DecodingKey::from_rsa_components(&n, &e).ok()?,
                )
            }
            // `oct` (a shared secret) never: tokens are verified with public keys.
            _ => return None,
        };
        // A key that names its algorithm is used for that one only.
        let algs = match jwk.alg {
            Some(alg) => {
                let alg = super::verify::algorithm(&alg)?;
                algs.contains(&alg).then(|| vec![alg])?
            }
            None => algs,
        };
        Some(Key {
            kid: jwk.kid,
            algs,
            key,
        })
    }
}

fn decoded_len(b64: &str) -> Option<usize> {
    Some(URL_SAFE_NO_PAD.decode(b64).ok()?.len())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const X32: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"; // 32 zero bytes

    #[test]
    fn unusable_keys_are_skipped() {
        let n = URL_SAFE_NO_PAD.encode([0xC5; 256]);
        let short_n = URL_SAFE_NO_PAD.encode([0xC5; 128]);
        let jwks = json!({"keys": [
            {"kty": "OKP", "crv": "Ed25519", "x": X32, "kid": "ed"},
            {"kty": "OKP", "crv": "Ed25519", "x": "AAAA", "kid": "short"},
            {"kty": "OKP", "crv": "X25519", "x": X32, "kid": "x25519"},
            {"kty": "OKP", "crv": "Ed25519", "x": X32, "kid": "enc", "use": "enc"},
            {"kty": "OKP", "crv": "Ed25519", "x": X32, "kid": "ops", "key_ops": ["encrypt"]},
            {"kty": "OKP", "crv": "Ed25519", "x": X32, "kid": "wrong-alg", "alg": "ES256"},
            {"kty": "oct", "k": X32, "kid": "oct"},
            {"kty": "RSA", "n": n, "e": "AQAB", "kid": "rsa", "alg": "PS256"},
            {"kty": "RSA", "n": short_n, "e": "AQAB", "kid": "rsa-short"},
            {"kty": "EC", "crv": "P-256", "x": X32, "kid": "no-y"},
            {"kty": "EC", "crv": "P-521", "x": X32, "y": X32, "kid": "p521"},
            "not an object",
            {"kid": "no-kty"},
        ]});
        let keys = KeySet::from_jwks(&jwks).unwrap();
        let kids: Vec<_> = keys.keys.iter().map(|k| k.kid.as_deref()).collect();
        assert_eq!(kids, [Some("ed"), Some("rsa")]);
        assert_eq!(keys.keys[1].algs, [Algorithm::PS256]);
        assert!(keys.find(Some("rsa"), Algorithm::RS256).is_none());
        assert!(keys.find(Some("rsa"), Algorithm::PS256).is_some());
        // No kid: the only key of the family.
        assert!(keys.find(None, Algorithm::EdDSA).is_some());
        assert!(keys.find(None, Algorithm::ES256).is_none());
        assert!(KeySet::from_jwks(&json!({"keys": {}})).is_err());
    }

    #[test]
    fn without_a_kid_two_fitting_keys_are_ambiguous() {
        let jwks = json!({"keys": [
            {"kty": "OKP", "crv": "Ed25519", "x": X32, "kid": "a"},
            {"kty": "OKP", "crv": "Ed25519", "x": X32, "kid": "b"},
        ]});
        let keys = KeySet::from_jwks(&jwks).unwrap();
        assert!(keys.find(None, Algorithm::EdDSA).is_none());
        assert!(keys.find(Some("b"), Algorithm::EdDSA).is_some());
    }

    /// Nothing listens there: every fetch fails at once.
    const NOWHERE: &str = "http://127.0.0.1:9/jwks";

    #[tokio::test]
    async fn unknown_kids_refetch_once_per_cooldown() {
        let t0 = Instant::now();
        let jwks = json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": X32, "kid": "a"}]});
        let http = Http::new().unwrap();
        let cache = KeyCache::preloaded(http, NOWHERE.into(), &jwks, t0, DEFAULT_TTL);
        let at = |secs| t0 + Duration::from_secs(secs);

        assert!(cache.key_for(Some("a"), Algorithm::EdDSA, t0).await.is_ok());
        assert_eq!(cache.attempts(), 0);
        let miss = cache.key_for(Some("x"), Algorithm::EdDSA, t0).await;
        assert_eq!(miss.err(), Some(Rejected::UnknownKey));
        assert_eq!(cache.attempts(), 1);
        let miss = cache.key_for(Some("y"), Algorithm::EdDSA, at(29)).await;
        assert_eq!(miss.err(), Some(Rejected::UnknownKey));
        assert_eq!(cache.attempts(), 1, "no fetch within the cooldown");
        // A failed fetch keeps the keys.
        assert!(
            cache
                .key_for(Some("a"), Algorithm::EdDSA, at(29))
                .await
                .is_ok()
        );
        let _ = cache.key_for(Some("z"), Algorithm::EdDSA, at(30)).await;
        assert_eq!(cache.attempts(), 2);
    }

    #[tokio::test]
    async fn stale_keys_serve_when_the_fetch_fails() {
        let t0 = Instant::now();
        let jwks = json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": X32, "kid": "a"}]});
        let http = Http::new().unwrap();
        let cache = KeyCache::preloaded(http, NOWHERE.into(), &jwks, t0, MIN_TTL);
        let later = t0 + MIN_TTL + Duration::from_secs(1);
        assert!(
            cache
                .key_for(Some("a"), Algorithm::EdDSA, later)
                .await
                .is_ok()
        );
        assert_eq!(cache.attempts(), 1);
        // Within the cooldown the stale keys serve without a fetch.
        assert!(
            cache
                .key_for(Some("a"), Algorithm::EdDSA, later)
                .await
                .is_ok()
        );
        assert_eq!(cache.attempts(), 1);
    }

    #[tokio::test]
    async fn no_keys_at_all_is_unavailable() {
        let cache = KeyCache::from_jwks_url(Http::new().unwrap(), NOWHERE.into());
        let now = Instant::now();
        let miss = cache.key_for(Some("a"), Algorithm::EdDSA, now).await;
        assert_eq!(miss.err(), Some(Rejected::KeysUnavailable));
        let miss = cache.key_for(Some("a"), Algorithm::EdDSA, now).await;
        assert_eq!(miss.err(), Some(Rejected::KeysUnavailable));
        assert_eq!(cache.attempts(), 1);
    }
}
