//! Sealed `requestState` for multi-round-trip requests (MCP 2026-07-28).
//!
//! A server that needs client input answers with `requestState`, and the client
//! echoes it verbatim on the retry. The client controls that string, so the
//! server seals it: XChaCha20-Poly1305 under a server key, with the request it
//! came from (method, subject, arguments) and the caller as associated data, and
//! an expiry inside the ciphertext. Opening fails under any other binding.
//!
//! Token: `"v1." + base64url_nopad(nonce[24] || ciphertext || tag[16])`, where
//! the plaintext is the expiry (unix milliseconds, 8 bytes big-endian) followed
//! by the payload.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead as _, Payload};
use chacha20poly1305::{KeyInit as _, XChaCha20Poly1305, XNonce};
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};

/// Marks the token format; a new format gets a new prefix.
const TOKEN_PREFIX: &str = "v1.";
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const EXPIRY_LEN: usize = 8;
/// Separates this digest from any other SHA-256 the server might compute.
const BINDING_DOMAIN: &[u8] = b"mcpgen requestState v1\0";

/// What a sealed state is bound to; opening it under any other binding fails.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Binding<'a> {
    /// The JSON-RPC method, e.g. `tools/call`.
    pub purpose: &'a str,
    /// The tool or prompt name, resource URI or task id.
    pub subject: &'a str,
    /// The tool or prompt arguments (`Null` if none). Key order does not matter.
    pub arguments: &'a serde_json::Value,
    /// The authenticated caller, if any.
    pub principal: Option<&'a str>,
}

impl Binding<'_> {
    /// SHA-256 of an unambiguous encoding of the binding, used as the AEAD's
    /// associated data: every field but the last is length-prefixed, and the
    /// arguments are canonical JSON so a client may reorder keys between rounds.
    fn digest(&self) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(BINDING_DOMAIN);
        update_with_length(&mut hasher, self.purpose.as_bytes());
        update_with_length(&mut hasher, self.subject.as_bytes());
        match self.principal {
            None => hasher.update([0]),
            Some(principal) => {
                hasher.update([1]);
                update_with_length(&mut hasher, principal.as_bytes());
            }
        }
        write_canonical_json(&mut hasher, self.arguments);
        hasher.finalize().into()
    }
}

fn update_with_length(hasher: &mut Sha256, bytes: &[u8]) {
    hasher.update((bytes.len() as u64).to_be_bytes());
    hasher.update(bytes);
}

/// Writes `value` as JSON with object keys sorted (recursively) and no whitespace.
/// Depth is bounded by the JSON parser's recursion limit on the incoming request.
fn write_canonical_json(hasher: &mut Sha256, value: &serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Null => hasher.update(b"null"),
        Value::Bool(true) => hasher.update(b"true"),
        Value::Bool(false) => hasher.update(b"false"),
        Value::Number(number) => hasher.update(number.to_string().as_bytes()),
        Value::String(text) => write_json_string(hasher, text),
        Value::Array(items) => {
            hasher.update(b"[");
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    hasher.update(b",");
                }
                write_canonical_json(hasher, item);
            }
            hasher.update(b"]");
        }
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_unstable_by_key(|(key, _)| *key);
            hasher.update(b"{");
            for (index, (key, item)) in entries.into_iter().enumerate() {
                if index > 0 {
                    hasher.update(b",");
                }
                write_json_string(hasher, key);
                hasher.update(b":");
                write_canonical_json(hasher, item);
            }
            hasher.update(b"}");
        }
    }
}

/// Writes a JSON string literal; escaping only `"`, `\` and control characters
/// is enough to keep the encoding unambiguous.
fn write_json_string(hasher: &mut Sha256, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    hasher.update(b"\"");
    let bytes = text.as_bytes();
    let mut unescaped_from = 0;
    for (index, &byte) in bytes.iter().enumerate() {
        let control;
        let escaped: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x00..=0x1f => {
                control = [
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[usize::from(byte >> 4)],
                    HEX[usize::from(byte & 0xf)],
                ];
                &control
            }
            _ => continue,
        };
        hasher.update(&bytes[unescaped_from..index]);
        hasher.update(escaped);
        unescaped_from = index + 1;
    }
    hasher.update(&bytes[unescaped_from..]);
    hasher.update(b"\"");
}

/// Why a `requestState` token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpenError {
    /// Not a token this server could have produced: wrong prefix, bad base64, too short.
    Malformed,
    /// Failed authentication: another key, an altered byte, or another binding.
    Forged,
    /// Authentic, but past its expiry.
    Expired,
}

impl fmt::Display for OpenError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            OpenError::Malformed => "requestState is malformed",
            OpenError::Forged => "requestState failed verification",
            OpenError::Expired => "requestState has expired",
        })
    }
}

impl std::error::Error for OpenError {}

/// Seals and opens `requestState` tokens under a current key, also opening
/// (never sealing) with previous keys so a key can be rotated without failing
/// the requests in flight.
pub(crate) struct Sealer {
    /// Seals, and opens.
    current: XChaCha20Poly1305,
    /// Only open, tried in the order they were added.
    previous: Vec<XChaCha20Poly1305>,
    lifetime: Duration,
}

impl fmt::Debug for Sealer {
    // Keys stay out of logs.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Sealer")
            .field("previous_keys", &self.previous.len())
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

impl Sealer {
    /// A sealer with `key`, whose tokens expire `lifetime` after sealing.
    pub(crate) fn new(key: [u8; 32], lifetime: Duration) -> Sealer {
        Sealer {
            current: XChaCha20Poly1305::new(&key.into()),
            previous: Vec::new(),
            lifetime,
        }
    }

    /// A sealer with a fresh key from the OS RNG: tokens do not survive a
    /// restart, nor open on another instance.
    ///
    /// # Panics
    /// If the operating system cannot supply random bytes, as `rand::rng()` would.
    pub(crate) fn random(lifetime: Duration) -> Sealer {
        use rand::TryRngCore as _;
        let mut key = [0; 32];
        rand::rngs::OsRng.unwrap_err().fill_bytes(&mut key);
        Sealer::new(key, lifetime)
    }

    /// Also opens tokens sealed with `key`, the key before a rotation.
    pub(crate) fn with_previous_key(mut self, key: [u8; 32]) -> Sealer {
        self.previous.push(XChaCha20Poly1305::new(&key.into()));
        self
    }

    /// Reads a key given as 64 hex characters or as base64 (standard or URL-safe,
    /// padded or not) of 32 bytes. The error never repeats the text, which may be
    /// a near-miss of the real key.
    pub(crate) fn parse_key(text: &str) -> Result<[u8; 32], String> {
        const EXPECTED: &str =
            "expected 32 bytes as 64 hex characters or as base64 (43 or 44 characters)";
        let text = text.trim();
        if text.is_empty() {
            return Err(format!("the key is empty; {EXPECTED}"));
        }
        let all_hex = text.bytes().all(|byte| byte.is_ascii_hexdigit());
        if all_hex && text.len() == 64 {
            let mut key = [0; 32];
            for (slot, pair) in key.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
                *slot = (hex_value(pair[0]) << 4) | hex_value(pair[1]);
            }
            return Ok(key);
        }
        let decoded = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
            .iter()
            .find_map(|engine| engine.decode(text).ok());
        match decoded {
            Some(bytes) if bytes.len() == 32 => {
                let mut key = [0; 32];
                key.copy_from_slice(&bytes);
                Ok(key)
            }
            _ if all_hex => Err(format!(
                "the key has {} hex characters; {EXPECTED}",
                text.len()
            )),
            Some(bytes) => Err(format!(
                "the key decodes from base64 to {} bytes; {EXPECTED}",
                bytes.len()
            )),
            None => Err(format!("the key is neither hex nor base64; {EXPECTED}")),
        }
    }

    /// Seals `payload`, bound to `binding`, expiring `lifetime` from now.
    pub(crate) fn seal(&self, binding: &Binding<'_>, payload: &[u8]) -> String {
        self.seal_at(binding, payload, SystemTime::now())
    }

    /// [`Sealer::seal`] with the clock given.
    pub(crate) fn seal_at(&self, binding: &Binding<'_>, payload: &[u8], now: SystemTime) -> String {
        let lifetime_millis = u64::try_from(self.lifetime.as_millis()).unwrap_or(u64::MAX);
        let expires_at = unix_millis(now).saturating_add(lifetime_millis);
        let mut plaintext = Vec::with_capacity(EXPIRY_LEN + payload.len());
        plaintext.extend_from_slice(&expires_at.to_be_bytes());
        plaintext.extend_from_slice(payload);

        let mut nonce = [0; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let aad = binding.digest();
        let ciphertext = self
            .current
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &plaintext,
                    aad: &aad,
                },
            )
            // Fails only beyond 256 GiB of plaintext, which no payload reaches.
            .expect("XChaCha20-Poly1305 seals any payload that fits in memory");

        let mut sealed = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        let mut token = String::from(TOKEN_PREFIX);
        URL_SAFE_NO_PAD.encode_string(&sealed, &mut token);
        token
    }

    /// Opens `token` and returns its payload, if it was sealed by this server
    /// (under the current or a previous key), for `binding`, and has not expired.
    pub(crate) fn open(&self, binding: &Binding<'_>, token: &str) -> Result<Vec<u8>, OpenError> {
        self.open_at(binding, token, SystemTime::now())
    }

    /// [`Sealer::open`] with the clock given.
    pub(crate) fn open_at(
        &self,
        binding: &Binding<'_>,
        token: &str,
        now: SystemTime,
    ) -> Result<Vec<u8>, OpenError> {
        let encoded = token
            .strip_prefix(TOKEN_PREFIX)
            .ok_or(OpenError::Malformed)?;
        let sealed = URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| OpenError::Malformed)?;
        if sealed.len() < NONCE_LEN + TAG_LEN + EXPIRY_LEN {
            return Err(OpenError::Malformed);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let aad = binding.digest();
        let plaintext = std::iter::once(&self.current)
            .chain(&self.previous)
            .find_map(|cipher| {
                cipher
                    .decrypt(
                        XNonce::from_slice(nonce),
                        Payload {
                            msg: ciphertext,
                            aad: &aad,
                        },
                    )
                    .ok()
            })
            .ok_or(OpenError::Forged)?;
        // Only after authentication is the expiry worth reading.
        let (expiry, payload) = plaintext
            .split_first_chunk::<EXPIRY_LEN>()
            .ok_or(OpenError::Malformed)?;
        if unix_millis(now) > u64::from_be_bytes(*expiry) {
            return Err(OpenError::Expired);
        }
        Ok(payload.to_vec())
    }
}

fn unix_millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |since| {
        u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
    })
}

/// The value of an ASCII hex digit; callers check the digits first.
fn hex_value(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        b'A'..=b'F' => digit - b'A' + 10,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const LIFETIME: Duration = Duration::from_secs(300);
    const KEY: [u8; 32] = [7; 32];

    fn at(millis: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(millis)
    }

    fn sealer() -> Sealer {
        Sealer::new(KEY, LIFETIME)
    }

    fn binding(arguments: &serde_json::Value) -> Binding<'_> {
        Binding {
            purpose: "tools/call",
            subject: "book_flight",
            arguments,
            principal: Some("alice"),
        }
    }

    const NOW: u64 = 1_800_000_000_000;

    #[test]
    fn round_trip_returns_the_payload() {
        let arguments = json!({"from": "CDG", "to": "SFO"});
        let sealer = sealer();
        let token = sealer.seal_at(&binding(&arguments), b"round 2", at(NOW));
        assert!(token.starts_with("v1."), "{token}");
        assert_eq!(
            sealer.open_at(&binding(&arguments), &token, at(NOW)),
            Ok(b"round 2".to_vec())
        );
    }

    #[test]
    fn the_wall_clock_entry_points_round_trip() {
        let arguments = serde_json::Value::Null;
        let sealer = sealer();
        let token = sealer.seal(&binding(&arguments), b"");
        assert_eq!(sealer.open(&binding(&arguments), &token), Ok(Vec::new()));
    }

    #[test]
    fn tokens_are_compact() {
        let arguments = json!({"from": "CDG"});
        let token = sealer().seal_at(&binding(&arguments), b"", at(NOW));
        // Prefix, then 48 bytes (nonce, expiry, tag) of base64 without padding.
        assert_eq!(token.len(), 3 + 64);
    }

    #[test]
    fn every_bit_flip_of_the_sealed_bytes_is_forged() {
        let arguments = json!({"from": "CDG"});
        let sealer = sealer();
        let token = sealer.seal_at(&binding(&arguments), b"payload", at(NOW));
        let sealed = URL_SAFE_NO_PAD
            .decode(&token[3..])
            .expect("own token decodes");
        for index in 0..sealed.len() {
            for bit in 0..8 {
                let mut altered = sealed.clone();
                altered[index] ^= 1 << bit;
                let altered = format!("v1.{}", URL_SAFE_NO_PAD.encode(&altered));
                assert_eq!(
                    sealer.open_at(&binding(&arguments), &altered, at(NOW)),
                    Err(OpenError::Forged),
                    "byte {index} bit {bit}"
                );
            }
        }
    }

    #[test]
    fn every_changed_character_of_the_token_fails() {
        let arguments = json!({"from": "CDG"});
        let sealer = sealer();
        let token = sealer.seal_at(&binding(&arguments), b"payload", at(NOW));
        for (index, original) in token.char_indices() {
            for replacement in ['A', 'B', '-', '_', '.', '='] {
                if replacement == original {
                    continue;
                }
                let mut altered = token.clone();
                altered.replace_range(index..index + 1, &replacement.to_string());
                assert!(
                    sealer
                        .open_at(&binding(&arguments), &altered, at(NOW))
                        .is_err(),
                    "position {index} as {replacement:?}"
                );
            }
        }
    }

    #[test]
    fn appended_text_fails() {
        let arguments = json!({"from": "CDG"});
        let sealer = sealer();
        let token = sealer.seal_at(&binding(&arguments), b"payload", at(NOW));
        for suffix in ["-TAMPERED", "A", "AA", "AAAA", "=", " "] {
            let result = sealer.open_at(&binding(&arguments), &format!("{token}{suffix}"), at(NOW));
            assert!(
                matches!(result, Err(OpenError::Forged | OpenError::Malformed)),
                "{suffix:?}: {result:?}"
            );
        }
    }

    #[test]
    fn every_truncation_fails() {
        let arguments = json!({"from": "CDG"});
        let sealer = sealer();
        let token = sealer.seal_at(&binding(&arguments), b"payload", at(NOW));
        for len in 0..token.len() {
            assert!(
                sealer
                    .open_at(&binding(&arguments), &token[..len], at(NOW))
                    .is_err(),
                "length {len}"
            );
        }
    }

    #[test]
    fn each_binding_field_is_bound() {
        let arguments = json!({"from": "CDG", "seats": [1, 2]});
        let sealer = sealer();
        let sealed_for = binding(&arguments);
        let token = sealer.seal_at(&sealed_for, b"payload", at(NOW));

        let other_arguments = [
            json!({"from": "CDG", "seats": [2, 1]}),
            json!({"from": "CDG", "seats": [1, 2], "extra": null}),
            json!({"from": "ORY", "seats": [1, 2]}),
            json!({"from": "CDG", "seats": ["1", 2]}),
            serde_json::Value::Null,
        ];
        let mut others = vec![
            Binding {
                purpose: "prompts/get",
                ..sealed_for
            },
            Binding {
                subject: "cancel_flight",
                ..sealed_for
            },
            Binding {
                principal: Some("mallory"),
                ..sealed_for
            },
            Binding {
                principal: None,
                ..sealed_for
            },
        ];
        others.extend(other_arguments.iter().map(|arguments| Binding {
            arguments,
            ..sealed_for
        }));
        for other in others {
            assert_eq!(
                sealer.open_at(&other, &token, at(NOW)),
                Err(OpenError::Forged),
                "{other:?}"
            );
        }
    }

    #[test]
    fn no_principal_differs_from_an_empty_principal() {
        let arguments = serde_json::Value::Null;
        let sealer = sealer();
        let anonymous = Binding {
            principal: None,
            ..binding(&arguments)
        };
        let empty = Binding {
            principal: Some(""),
            ..binding(&arguments)
        };
        let token = sealer.seal_at(&anonymous, b"", at(NOW));
        assert_eq!(
            sealer.open_at(&empty, &token, at(NOW)),
            Err(OpenError::Forged)
        );
        let token = sealer.seal_at(&empty, b"", at(NOW));
        assert_eq!(
            sealer.open_at(&anonymous, &token, at(NOW)),
            Err(OpenError::Forged)
        );
    }

    #[test]
    fn field_boundaries_are_unambiguous() {
        let arguments = serde_json::Value::Null;
        let sealer = sealer();
        let sealed_for = Binding {
            purpose: "tools/call",
            subject: "ab",
            arguments: &arguments,
            principal: Some("c"),
        };
        let token = sealer.seal_at(&sealed_for, b"", at(NOW));
        let shifted = [
            Binding {
                purpose: "tools/calla",
                subject: "b",
                ..sealed_for
            },
            Binding {
                subject: "a",
                principal: Some("bc"),
                ..sealed_for
            },
        ];
        for other in shifted {
            assert_eq!(
                sealer.open_at(&other, &token, at(NOW)),
                Err(OpenError::Forged)
            );
        }
    }

    #[test]
    fn argument_key_order_does_not_matter() {
        let sealed_with = json!({"from": "CDG", "when": {"day": 3, "month": 5}, "to": "SFO"});
        let retried_with: serde_json::Value =
            serde_json::from_str(r#"{"to":"SFO","when":{"month":5,"day":3},"from":"CDG"}"#)
                .expect("literal JSON parses");
        // With `preserve_order` the two serialize differently; the binding must not care.
        assert_ne!(sealed_with.to_string(), retried_with.to_string());
        let sealer = sealer();
        let token = sealer.seal_at(&binding(&sealed_with), b"payload", at(NOW));
        assert_eq!(
            sealer.open_at(&binding(&retried_with), &token, at(NOW)),
            Ok(b"payload".to_vec())
        );
    }

    #[test]
    fn strings_that_need_escaping_stay_distinct() {
        let sealer = sealer();
        let sealed_with = json!({"a\":\"b": "c\n"});
        let token = sealer.seal_at(&binding(&sealed_with), b"", at(NOW));
        assert!(
            sealer
                .open_at(&binding(&sealed_with), &token, at(NOW))
                .is_ok()
        );
        let others = [
            // Would encode as the sealed arguments if quotes went unescaped.
            json!({"a": "b\":\"c\n"}),
            // Would encode as the sealed arguments if backslashes went unescaped.
            json!({"a\":\"b": "c\\u000a"}),
        ];
        for other in others {
            assert_eq!(
                sealer.open_at(&binding(&other), &token, at(NOW)),
                Err(OpenError::Forged),
                "{other}"
            );
        }
    }

    #[test]
    fn the_binding_encoding_is_stable() {
        // Tokens outlive a deploy when the key is configured, so the encoding
        // must not drift; this spells out the bytes of v1.
        let arguments: serde_json::Value =
            serde_json::from_str(r#"{"b":[1,2.5,null,true],"a":{"y":"q\"\u0001","x":false}}"#)
                .expect("literal JSON parses");
        let binding = Binding {
            purpose: "tools/call",
            subject: "s",
            arguments: &arguments,
            principal: Some("p"),
        };
        let mut expected = Vec::new();
        expected.extend_from_slice(b"mcpgen requestState v1\0");
        expected.extend_from_slice(&10u64.to_be_bytes());
        expected.extend_from_slice(b"tools/call");
        expected.extend_from_slice(&1u64.to_be_bytes());
        expected.extend_from_slice(b"s");
        expected.push(1);
        expected.extend_from_slice(&1u64.to_be_bytes());
        expected.extend_from_slice(b"p");
        expected.extend_from_slice(br#"{"a":{"x":false,"y":"q\"\u0001"},"b":[1,2.5,null,true]}"#);
        assert_eq!(
            binding.digest(),
            <[u8; 32]>::from(Sha256::digest(&expected))
        );

        let anonymous = Binding {
            principal: None,
            arguments: &serde_json::Value::Null,
            ..binding
        };
        let mut expected = Vec::new();
        expected.extend_from_slice(b"mcpgen requestState v1\0");
        expected.extend_from_slice(&10u64.to_be_bytes());
        expected.extend_from_slice(b"tools/call");
        expected.extend_from_slice(&1u64.to_be_bytes());
        expected.extend_from_slice(b"s");
        expected.push(0);
        expected.extend_from_slice(b"null");
        assert_eq!(
            anonymous.digest(),
            <[u8; 32]>::from(Sha256::digest(&expected))
        );
    }

    #[test]
    fn expires_after_its_lifetime() {
        let arguments = json!({});
        let sealer = sealer();
        let token = sealer.seal_at(&binding(&arguments), b"payload", at(NOW));
        let lifetime = LIFETIME.as_millis() as u64;
        assert_eq!(
            sealer.open_at(&binding(&arguments), &token, at(NOW + lifetime - 1)),
            Ok(b"payload".to_vec())
        );
        assert_eq!(
            sealer.open_at(&binding(&arguments), &token, at(NOW + lifetime + 1)),
            Err(OpenError::Expired)
        );
    }

    #[test]
    fn an_expired_forgery_is_forged_not_expired() {
        let arguments = json!({});
        let token = Sealer::new([1; 32], LIFETIME).seal_at(&binding(&arguments), b"", at(NOW));
        let late = at(NOW + LIFETIME.as_millis() as u64 + 1);
        assert_eq!(
            sealer().open_at(&binding(&arguments), &token, late),
            Err(OpenError::Forged)
        );
    }

    #[test]
    fn a_previous_key_still_opens_after_rotation() {
        let arguments = json!({"from": "CDG"});
        let old_key = [1; 32];
        let token = Sealer::new(old_key, LIFETIME).seal_at(&binding(&arguments), b"old", at(NOW));

        let without_old = Sealer::new(KEY, LIFETIME);
        assert_eq!(
            without_old.open_at(&binding(&arguments), &token, at(NOW)),
            Err(OpenError::Forged)
        );
        let rotated = Sealer::new(KEY, LIFETIME).with_previous_key(old_key);
        assert_eq!(
            rotated.open_at(&binding(&arguments), &token, at(NOW)),
            Ok(b"old".to_vec())
        );
        // New tokens use the current key, which the old sealer cannot open.
        let fresh = rotated.seal_at(&binding(&arguments), b"new", at(NOW));
        assert_eq!(
            Sealer::new(old_key, LIFETIME).open_at(&binding(&arguments), &fresh, at(NOW)),
            Err(OpenError::Forged)
        );
    }

    #[test]
    fn random_sealers_have_different_keys() {
        let arguments = json!({});
        let token = Sealer::random(LIFETIME).seal_at(&binding(&arguments), b"", at(NOW));
        assert_eq!(
            Sealer::random(LIFETIME).open_at(&binding(&arguments), &token, at(NOW)),
            Err(OpenError::Forged)
        );
    }

    #[test]
    fn sealing_twice_gives_different_tokens() {
        let arguments = json!({"from": "CDG"});
        let sealer = sealer();
        let first = sealer.seal_at(&binding(&arguments), b"payload", at(NOW));
        let second = sealer.seal_at(&binding(&arguments), b"payload", at(NOW));
        assert_ne!(first, second);
        // The nonces differ, not only the ciphertexts.
        assert_ne!(first[3..35], second[3..35]);
    }

    #[test]
    fn parse_key_accepts_hex_and_every_base64_form() {
        let key: [u8; 32] = std::array::from_fn(|index| (index as u8).wrapping_mul(37) ^ 0xfb);
        let hex: String = key.iter().map(|byte| format!("{byte:02x}")).collect();
        let forms = [
            hex.clone(),
            hex.to_uppercase(),
            format!("  {hex}\n"),
            STANDARD.encode(key),
            STANDARD_NO_PAD.encode(key),
            URL_SAFE.encode(key),
            URL_SAFE_NO_PAD.encode(key),
        ];
        // The chosen key has bytes whose base64 differs between the two alphabets.
        assert_ne!(STANDARD.encode(key), URL_SAFE.encode(key));
        for form in forms {
            assert_eq!(Sealer::parse_key(&form), Ok(key), "{form:?}");
        }
    }

    #[test]
    fn parse_key_rejects_wrong_lengths_clearly() {
        let cases = [
            (String::new(), "empty"),
            ("ab".repeat(31), "62 hex characters"),
            ("ab".repeat(33), "66 hex characters"),
            (STANDARD.encode([9; 16]), "16 bytes"),
            (STANDARD.encode([9; 33]), "33 bytes"),
            ("not a key!".to_string(), "neither hex nor base64"),
        ];
        for (text, expected) in cases {
            let error = Sealer::parse_key(&text).expect_err(&text);
            assert!(error.contains(expected), "{text:?}: {error}");
            assert!(error.contains("64 hex characters"), "{error}");
        }
    }

    #[test]
    fn parse_key_errors_do_not_echo_the_key() {
        let near_miss = "c0ffee".repeat(10);
        let error = Sealer::parse_key(&near_miss).expect_err("60 hex characters");
        assert!(!error.contains(&near_miss), "{error}");
    }

    #[test]
    fn garbage_never_panics() {
        let arguments = json!({});
        let sealer = sealer();
        let huge = format!("v1.{}", "A".repeat(1 << 20));
        let huge_invalid = "v1.".to_string() + &"é".repeat(1 << 16);
        let garbage = [
            "",
            "v1",
            "v1.",
            "v2.xxx",
            "V1.AAAA",
            "v1.!!!!",
            "v1.A",
            "v1.AAAA",
            "v1.é",
            "v1.\0",
            "v1.v1.v1.",
            "-TAMPERED",
            huge.as_str(),
            huge_invalid.as_str(),
        ];
        for text in garbage {
            let result = sealer.open_at(&binding(&arguments), text, at(NOW));
            assert!(result.is_err(), "{:?}", &text[..text.len().min(20)]);
        }
        assert_eq!(
            sealer.open_at(&binding(&arguments), "v2.xxx", at(NOW)),
            Err(OpenError::Malformed)
        );
        assert_eq!(
            sealer.open_at(&binding(&arguments), &huge, at(NOW)),
            Err(OpenError::Forged)
        );
    }

    #[test]
    fn extreme_clocks_do_not_panic() {
        let arguments = json!({});
        let sealer = Sealer::new(KEY, Duration::MAX);
        let token = sealer.seal_at(&binding(&arguments), b"", SystemTime::UNIX_EPOCH);
        assert!(
            sealer
                .open_at(&binding(&arguments), &token, at(u64::MAX))
                .is_ok()
        );
        let before_epoch = UNIX_EPOCH - Duration::from_secs(1);
        let token = Sealer::new(KEY, LIFETIME).seal_at(&binding(&arguments), b"", before_epoch);
        assert!(
            Sealer::new(KEY, LIFETIME)
                .open_at(&binding(&arguments), &token, before_epoch)
                .is_ok()
        );
    }

    #[test]
    fn open_errors_read_as_short_sentences() {
        assert_eq!(
            OpenError::Malformed.to_string(),
            "requestState is malformed"
        );
        assert_eq!(
            OpenError::Forged.to_string(),
            "requestState failed verification"
        );
        assert_eq!(OpenError::Expired.to_string(), "requestState has expired");
    }
}
