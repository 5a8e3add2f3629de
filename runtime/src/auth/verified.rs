//! Tokens already checked, so that a client presenting the same token on every
//! request (as MCP clients do) pays for a signature check or an introspection
//! once, not per request. Keyed by [`token_key`], never the token itself; an
//! entry lives until the token expires, and never longer than the cache's
//! lifetime, so a key the issuer withdraws (or a revoked opaque token) stops
//! working soon after.

use std::collections::HashMap;
use std::hash::Hasher as _;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use siphasher::sip128::{Hasher128 as _, SipHasher13};

use super::{Now, Principal};

/// How many tokens are kept; a full cache drops its expired entries, and all
/// of them when none has expired (a flood of distinct valid tokens is rare and
/// costs only re-checks).
const CAPACITY: usize = 10_000;

/// Principals of tokens checked, by [`token_key`].
pub(crate) struct Verified {
    entries: Mutex<HashMap<u128, Entry>>,
    /// How long a checked token is trusted without a new check.
    lifetime: Duration,
}

struct Entry {
    principal: Arc<Principal>,
    until: Instant,
}

impl Verified {
    /// A cache trusting each token for `lifetime` at most.
    pub(crate) fn new(lifetime: Duration) -> Verified {
        Verified {
            entries: Mutex::new(HashMap::new()),
            lifetime,
        }
    }

    /// The principal of `token`, if it was checked and is still trusted.
    /// `token` is taken as bytes, unchecked: only a token that was checked
    /// and inserted can be found.
    pub(crate) fn get(&self, token: &[u8], now: Now) -> Option<Arc<Principal>> {
        let key = token_key(token);
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(&key)
            .filter(|e| now.instant < e.until)
            .map(|e| e.principal.clone())
    }

    /// Remembers that `token` is `principal`'s, until its `exp` (when the claims
    /// have one) or the cache's lifetime, whichever comes first.
    pub(crate) fn insert(&self, token: &str, principal: Arc<Principal>, now: Now) {
        let left = principal
            .claims()
            .get("exp")
            .and_then(serde_json::Value::as_i64)
            .map_or(self.lifetime, |exp| {
                Duration::from_secs(u64::try_from(exp - now.unix).unwrap_or(0))
            });
        let until = now.instant + left.min(self.lifetime);
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= CAPACITY {
            entries.retain(|_, e| now.instant < e.until);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(token_key(token.as_bytes()), Entry { principal, until });
    }
}

/// The name a token is cached under: SipHash-1-3 (the rounds of std's
/// `HashMap`) with 128-bit output, under a key drawn at random once per
/// process. A keyed hash suffices where a cryptographic digest would cost ten
/// times as much on every request: the names never leave the process, so
/// nobody can search for a token with another's name, and a chance collision
/// among 10,000 entries is about 2^-101.
pub(crate) fn token_key(token: &[u8]) -> u128 {
    static KEY: OnceLock<[u8; 16]> = OnceLock::new();
    let key = KEY.get_or_init(rand::random);
    let mut hasher = SipHasher13::new_with_key(key);
    hasher.write(token);
    hasher.finish128().as_u128()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn principal(exp: Option<i64>) -> Arc<Principal> {
        let mut claims = serde_json::Map::new();
        claims.insert("iss".into(), json!("https://issuer"));
        claims.insert("sub".into(), json!("alice"));
        if let Some(exp) = exp {
            claims.insert("exp".into(), json!(exp));
        }
        Arc::new(Principal::from_claims(claims, None, "roles").unwrap())
    }

    #[test]
    fn entries_last_until_exp_or_the_cap() {
        let cache = Verified::new(Duration::from_secs(300));
        let t0 = Now::current();
        let at = |secs: u64| Now {
            instant: t0.instant + Duration::from_secs(secs),
            unix: t0.unix + secs as i64,
        };
        cache.insert("soon", principal(Some(t0.unix + 30)), t0);
        cache.insert("late", principal(Some(t0.unix + 3600)), t0);
        assert!(cache.get(b"soon", at(29)).is_some());
        assert!(
            cache.get(b"soon", at(30)).is_none(),
            "expired with the token"
        );
        assert!(cache.get(b"late", at(299)).is_some());
        assert!(
            cache.get(b"late", at(300)).is_none(),
            "checked again after the cap"
        );
        assert!(cache.get(b"other", t0).is_none());
    }

    #[test]
    fn token_keys_are_stable_and_distinct() {
        assert_eq!(token_key(b"a.b.c"), token_key(b"a.b.c"));
        assert_ne!(token_key(b"a.b.c"), token_key(b"a.b.d"));
        assert_ne!(token_key(b""), token_key(b"\0"));
    }
}
