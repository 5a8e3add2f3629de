//! JWT checks: the header, the signature (by `jsonwebtoken`), then the claims.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::Rejected;

/// What a token's claims must say, besides its subject.
#[derive(Debug, Clone)]
pub(crate) struct Expect {
    /// `iss`, exactly.
    pub(crate) issuer: String,
    /// One of the `aud` values.
    pub(crate) audience: String,
    /// The clock skew allowed for `exp` and `nbf`, in seconds.
    pub(crate) leeway: i64,
}

/// The parts of a JWS header the checks use.
#[derive(Debug)]
pub(crate) struct JwsHeader {
    pub(crate) alg: Algorithm,
    pub(crate) kid: Option<String>,
}

/// The algorithm named `name`, if it is one accepted here: asymmetric only.
/// `none` and the HMACs are refused, so that no token verifies without the
/// issuer's private key (an HMAC "signed" with the public key would).
pub(crate) fn algorithm(name: &str) -> Option<Algorithm> {
    Some(match name {
        "RS256" => Algorithm::RS256,
        "RS384" => Algorithm::RS384,
        "RS512" => Algorithm::RS512,
        "PS256" => Algorithm::PS256,
        "PS384" => Algorithm::PS384,
        "PS512" => Algorithm::PS512,
        "ES256" => Algorithm::ES256,
        "ES384" => Algorithm::ES384,
        "EdDSA" => Algorithm::EdDSA,
        _ => return None,
    })
}

/// Reads the header of a JWS compact token, refusing unsupported algorithms
/// before any key is looked up. Parsed here rather than by `jsonwebtoken`,
/// which cannot tell `alg: none` from broken JSON.
pub(crate) fn parse_header(token: &str) -> Result<JwsHeader, Rejected> {
    #[derive(Deserialize)]
    struct Raw {
        alg: String,
        #[serde(default)]
        kid: Option<String>,
        #[serde(default)]
        crit: Option<Value>,
    }
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Rejected::Malformed);
    };
    let json = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| Rejected::Malformed)?;
    let raw: Raw = serde_json::from_slice(&json).map_err(|_| Rejected::Malformed)?;
    let alg = algorithm(&raw.alg).ok_or(Rejected::UnsupportedAlgorithm)?;
    // RFC 7515 §4.1.11: extensions we do not know must not be ignored, and
    // we know none.
    if raw.crit.is_some() {
        return Err(Rejected::Malformed);
    }
    Ok(JwsHeader { alg, kid: raw.kid })
}

/// Verifies the signature of `token` with `key` for `alg` (the header's,
/// already accepted) and returns the claims, unchecked.
pub(crate) fn verify_signature(
    token: &str,
    alg: Algorithm,
    key: &DecodingKey,
) -> Result<Map<String, Value>, Rejected> {
    // Only the signature here: the claims are checked by `check_jwt_claims`,
    // which knows which are required and answers with our own reasons.
    let mut validation = Validation::new(alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    match jsonwebtoken::decode::<Map<String, Value>>(token, key, &validation) {
        Ok(data) => Ok(data.claims),
        Err(e) => Err(match e.kind() {
            ErrorKind::InvalidToken
            | ErrorKind::Base64(_)
            | ErrorKind::Json(_)
            | ErrorKind::Utf8(_) => Rejected::Malformed,
            // Also a key that turns out unusable: the token cannot be trusted.
            _ => Rejected::BadSignature,
        }),
    }
}

/// Checks a verified JWT's claims: `iss` exactly the issuer, `aud` naming the
/// audience, `exp` required and not past, `nbf` (if any) not ahead.
pub(crate) fn check_jwt_claims(
    claims: &Map<String, Value>,
    expect: &Expect,
    now: i64,
) -> Result<(), Rejected> {
    match claims.get("iss") {
        Some(Value::String(iss)) if *iss == expect.issuer => {}
        Some(_) => return Err(Rejected::WrongIssuer),
        None => return Err(Rejected::MissingClaim("iss")),
    }
    if !audience_contains(claims.get("aud"), &expect.audience) {
        return Err(Rejected::WrongAudience);
    }
    if !claims.contains_key("exp") {
        return Err(Rejected::MissingClaim("exp"));
    }
    check_times(claims, expect.leeway, now)
}

/// Whether `aud` (a string or an array of strings) names `audience`.
pub(crate) fn audience_contains(aud: Option<&Value>, audience: &str) -> bool {
    match aud {
        Some(Value::String(aud)) => aud == audience,
        Some(Value::Array(auds)) => auds.iter().any(|aud| aud.as_str() == Some(audience)),
        _ => false,
    }
}

/// Checks `exp` and `nbf` where present, with `leeway` seconds of skew.
pub(crate) fn check_times(
    claims: &Map<String, Value>,
    leeway: i64,
    now: i64,
) -> Result<(), Rejected> {
    if numeric_date(claims, "exp")?.is_some_and(|exp| now >= exp.saturating_add(leeway)) {
        return Err(Rejected::Expired);
    }
    if numeric_date(claims, "nbf")?.is_some_and(|nbf| now < nbf.saturating_sub(leeway)) {
        return Err(Rejected::NotYetValid);
    }
    Ok(())
}

/// A NumericDate claim (RFC 7519 §2: seconds, possibly fractional), if present.
pub(crate) fn numeric_date(
    claims: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<i64>, Rejected> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => match (n.as_i64(), n.as_f64()) {
            (Some(secs), _) => Ok(Some(secs)),
            // `as` saturates: a huge date is just far away.
            (None, Some(secs)) if secs.is_finite() => Ok(Some(secs.floor() as i64)),
            _ => Err(Rejected::Malformed),
        },
        Some(_) => Err(Rejected::Malformed),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn b64(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    #[test]
    fn headers() {
        let token = |header: &str| format!("{}.{}.sig", b64(header), b64("{}"));
        let h = parse_header(&token(r#"{"alg":"ES256","kid":"k1"}"#)).unwrap();
        assert_eq!((h.alg, h.kid.as_deref()), (Algorithm::ES256, Some("k1")));
        for alg in ["none", "HS256", "HS512", "ES512", "RSA-OAEP", ""] {
            let header = format!(r#"{{"alg":"{alg}"}}"#);
            assert_eq!(
                parse_header(&token(&header)).err(),
                Some(Rejected::UnsupportedAlgorithm),
                "{alg}"
            );
        }
        for bad in [
            "",
            "abc",
            "a.b",
            "a.b.c.d",
            "!!.e30.sig",
            &format!("{}.e30.sig", b64("not json")),
            &format!("{}.e30.sig", b64(r#"{"kid":"k"}"#)),
            &format!("{}.e30.sig", b64(r#"{"alg":"ES256","kid":7}"#)),
            &token(r#"{"alg":"ES256","crit":["exp"]}"#),
        ] {
            assert_eq!(parse_header(bad).err(), Some(Rejected::Malformed), "{bad}");
        }
    }

    fn expect() -> Expect {
        Expect {
            issuer: "https://as".into(),
            audience: "https://mcp".into(),
            leeway: 30,
        }
    }

    fn check(claims: Value, now: i64) -> Result<(), Rejected> {
        let Value::Object(claims) = claims else {
            unreachable!()
        };
        check_jwt_claims(&claims, &expect(), now)
    }

    #[test]
    fn claims() {
        let now = 1_000_000;
        let ok = json!({"iss": "https://as", "aud": "https://mcp", "exp": now + 60});
        assert_eq!(check(ok, now), Ok(()));
        let arr = json!({"iss": "https://as", "aud": ["x", "https://mcp"], "exp": now + 60});
        assert_eq!(check(arr, now), Ok(()));
        let cases = [
            (
                json!({"aud": "https://mcp", "exp": now}),
                Rejected::MissingClaim("iss"),
            ),
            (
                json!({"iss": "https://as/", "aud": "https://mcp", "exp": now}),
                Rejected::WrongIssuer,
            ),
            (
                json!({"iss": "https://as", "aud": "https://other", "exp": now}),
                Rejected::WrongAudience,
            ),
            (
                json!({"iss": "https://as", "aud": ["x"], "exp": now}),
                Rejected::WrongAudience,
            ),
            (
                json!({"iss": "https://as", "exp": now}),
                Rejected::WrongAudience,
            ),
            (
                json!({"iss": "https://as", "aud": "https://mcp"}),
                Rejected::MissingClaim("exp"),
            ),
            (
                json!({"iss": "https://as", "aud": "https://mcp", "exp": "soon"}),
                Rejected::Malformed,
            ),
            (
                json!({"iss": "https://as", "aud": "https://mcp", "exp": now - 30}),
                Rejected::Expired,
            ),
            (
                json!({"iss": "https://as", "aud": "https://mcp", "exp": now + 99, "nbf": now + 31}),
                Rejected::NotYetValid,
            ),
        ];
        for (claims, want) in cases {
            assert_eq!(check(claims.clone(), now), Err(want), "{claims}");
        }
        // Within the leeway, both ways; fractional dates too.
        let skewed =
            json!({"iss": "https://as", "aud": "https://mcp", "exp": now - 29, "nbf": now + 30});
        assert_eq!(check(skewed, now), Ok(()));
        let fractional =
            json!({"iss": "https://as", "aud": "https://mcp", "exp": (now as f64) + 0.5});
        assert_eq!(check(fractional, now), Ok(()));
        let huge = json!({"iss": "https://as", "aud": "https://mcp", "exp": 1e300, "nbf": -1e300});
        assert_eq!(check(huge, now), Ok(()));
    }
}
