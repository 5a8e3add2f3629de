//! Tokens already checked, so that a client presenting the same token on every
//! request (as MCP clients do) pays for a signature check or an introspection
//! once, not per request. Keyed by the token's SHA-256, never the token itself;
//! an entry lives until the token expires, and never longer than the cache's
//! lifetime, so a key the issuer withdraws (or a revoked opaque token) stops
//! working soon after.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::{Now, Principal};

/// How many tokens are kept; a full cache drops its expired entries, and all
/// of them when none has expired (a flood of distinct valid tokens is rare and
/// costs only re-checks).
const CAPACITY: usize = 10_000;

/// Principals of tokens checked, by the token's digest.
pub(crate) struct Verified {
    entries: Mutex<HashMap<[u8; 32], Entry>>,
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
    pub(crate) fn get(&self, token: &str, now: Now) -> Option<Arc<Principal>> {
        let key = digest(token);
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
        entries.insert(digest(token), Entry { principal, until });
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
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
        assert!(cache.get("soon", at(29)).is_some());
        assert!(
            cache.get("soon", at(30)).is_none(),
            "expired with the token"
        );
        assert!(cache.get("late", at(299)).is_some());
        assert!(
            cache.get("late", at(300)).is_none(),
            "checked again after the cap"
        );
        assert!(cache.get("other", t0).is_none());
    }
}
