//! HTTP to the authorization server: its metadata, its keys, introspection.
//!
//! Everything fetched is small JSON, so the client is strict: a short timeout,
//! no redirects, bodies capped, https only (or http to the machine itself).

use std::net::IpAddr;
use std::time::Duration;

use http::header::{ACCEPT, AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use reqwest::Url;
use reqwest::header::HeaderMap;
use serde_json::Value;

/// How long one request to the authorization server may take, connecting
/// included: a request waiting on keys waits at most this.
const TIMEOUT: Duration = Duration::from_secs(5);

/// The largest body read: metadata and key sets are a few KiB.
const MAX_BODY: usize = 1024 * 1024;

/// A JSON document and how long it may be cached (`Cache-Control: max-age`).
pub(crate) struct Fetched {
    pub(crate) json: Value,
    pub(crate) max_age: Option<Duration>,
}

/// The client for the authorization server; cheap to clone.
#[derive(Clone)]
pub(crate) struct Http {
    client: reqwest::Client,
}

impl Http {
    /// A client on rustls with ring and the platform's certificate verifier.
    pub(crate) fn new() -> Result<Http, String> {
        let tls = crate::client_tls::client_config()
            .map_err(|e| format!("cannot set up TLS for the authorization server: {e}"))?;
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(TIMEOUT)
            // A redirect could lead off the checked URL (to plain http, say).
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot build the authorization server's client: {e}"))?;
        Ok(Http { client })
    }

    /// GETs the JSON document at `url`.
    pub(crate) async fn get_json(&self, url: &str) -> Result<Fetched, String> {
        let request = self.client.get(url).header(ACCEPT, "application/json");
        read_json(url, request).await
    }

    /// POSTs the form `body` to `url` with the `Authorization` header
    /// `authorization`, and reads the JSON answer.
    pub(crate) async fn post_form(
        &self,
        url: &str,
        authorization: &str,
        body: String,
    ) -> Result<Value, String> {
        let request = self
            .client
            .post(url)
            .header(ACCEPT, "application/json")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(AUTHORIZATION, authorization)
            .body(body);
        Ok(read_json(url, request).await?.json)
    }

    /// Finds the issuer's `jwks_uri` in its metadata: RFC 8414's well-known
    /// URL, then OpenID Connect's (appended, then path-inserted). A document
    /// naming another issuer is ignored (RFC 8414 §3.3).
    pub(crate) async fn discover_jwks_uri(&self, issuer: &str) -> Result<String, String> {
        let mut errors = Vec::new();
        for url in metadata_urls(issuer) {
            match self.get_json(&url).await {
                Ok(doc) => match jwks_uri(&doc.json, issuer) {
                    Ok(jwks_uri) => return Ok(jwks_uri),
                    Err(e) => errors.push(format!("{url}: {e}")),
                },
                Err(e) => errors.push(e),
            }
        }
        Err(format!(
            "no metadata for the issuer {issuer}: {}",
            errors.join("; ")
        ))
    }
}

/// Sends `request` (to `url`) and reads its JSON answer, of at most [`MAX_BODY`] bytes.
async fn read_json(url: &str, request: reqwest::RequestBuilder) -> Result<Fetched, String> {
    let mut response = request.send().await.map_err(|e| format!("{url}: {e}"))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("{url}: HTTP status {status}"));
    }
    if response
        .content_length()
        .is_some_and(|len| len > MAX_BODY as u64)
    {
        return Err(format!("{url}: the body is over {MAX_BODY} bytes"));
    }
    let max_age = max_age(response.headers());
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| format!("{url}: {e}"))? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(format!("{url}: the body is over {MAX_BODY} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    let json = serde_json::from_slice(&body).map_err(|e| format!("{url}: not JSON: {e}"))?;
    Ok(Fetched { json, max_age })
}

/// The metadata URLs to try for `issuer`, in order, without repeats.
pub(crate) fn metadata_urls(issuer: &str) -> Vec<String> {
    let Ok(url) = Url::parse(issuer) else {
        return Vec::new();
    };
    let origin = url.origin().ascii_serialization();
    let path = url.path().trim_end_matches('/');
    let mut urls = vec![
        format!("{origin}/.well-known/oauth-authorization-server{path}"),
        format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        ),
        format!("{origin}/.well-known/openid-configuration{path}"),
    ];
    urls.dedup();
    urls
}

/// The `jwks_uri` of a metadata document for `issuer`.
fn jwks_uri(doc: &Value, issuer: &str) -> Result<String, String> {
    if doc.get("issuer").and_then(Value::as_str) != Some(issuer) {
        return Err("the document is for another issuer".to_owned());
    }
    let uri = doc
        .get("jwks_uri")
        .and_then(Value::as_str)
        .ok_or("the document has no jwks_uri")?;
    check_url(uri, "the metadata's jwks_uri")?;
    Ok(uri.to_owned())
}

/// `Cache-Control: max-age`, when the response says one.
fn max_age(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .find_map(|directive| {
            let (name, secs) = directive.trim().split_once('=')?;
            if !name.trim().eq_ignore_ascii_case("max-age") {
                return None;
            }
            Some(Duration::from_secs(
                secs.trim().trim_matches('"').parse().ok()?,
            ))
        })
}

/// Checks that `url` is https, or http to a loopback host (a local test
/// server, a sidecar); `what` names it in the error (a flag, usually).
pub(crate) fn check_url(url: &str, what: &str) -> Result<Url, String> {
    let parsed =
        Url::parse(url).map_err(|e| format!("{what} must be an https URL ({url}: {e})"))?;
    let host = parsed.host_str().unwrap_or_default();
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match parsed.scheme() {
        "https" if !host.is_empty() => Ok(parsed),
        "http" if loopback => Ok(parsed),
        _ => Err(format!(
            "{what} must be an https URL, or http on a loopback host (not {url})"
        )),
    }
}

/// Checks the issuer identifier: a URL as [`check_url`] wants, without query
/// or fragment (RFC 8414 §2).
pub(crate) fn check_issuer(issuer: &str) -> Result<(), String> {
    let url = check_url(issuer, "--auth-issuer")?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "--auth-issuer must have no query or fragment (not {issuer})"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;
    use serde_json::json;

    use super::*;

    #[test]
    fn metadata_urls_insert_the_path() {
        assert_eq!(
            metadata_urls("https://as.example/tenant/1"),
            [
                "https://as.example/.well-known/oauth-authorization-server/tenant/1",
                "https://as.example/tenant/1/.well-known/openid-configuration",
                "https://as.example/.well-known/openid-configuration/tenant/1",
            ]
        );
        for issuer in ["https://as.example", "https://as.example/"] {
            assert_eq!(
                metadata_urls(issuer),
                [
                    "https://as.example/.well-known/oauth-authorization-server",
                    "https://as.example/.well-known/openid-configuration",
                ]
            );
        }
        assert_eq!(
            metadata_urls("http://127.0.0.1:8080")[0],
            "http://127.0.0.1:8080/.well-known/oauth-authorization-server"
        );
    }

    #[test]
    fn urls_must_be_https_or_loopback() {
        for ok in [
            "https://as.example/x",
            "http://127.0.0.1:9/x",
            "http://localhost/x",
            "http://[::1]:80/",
        ] {
            assert!(check_url(ok, "--flag").is_ok(), "{ok}");
        }
        for bad in [
            "http://as.example/",
            "http://10.0.0.1/",
            "ftp://127.0.0.1/",
            "as.example",
            "",
        ] {
            let err = check_url(bad, "--auth-issuer").unwrap_err();
            assert!(
                err.starts_with("--auth-issuer must be an https URL"),
                "{err}"
            );
        }
        assert!(check_issuer("https://as.example/?x=1").is_err());
        assert!(check_issuer("https://as.example/#x").is_err());
    }

    #[test]
    fn metadata_must_be_for_the_issuer() {
        let doc = json!({"issuer": "https://as", "jwks_uri": "https://as/jwks"});
        assert_eq!(jwks_uri(&doc, "https://as").unwrap(), "https://as/jwks");
        assert!(jwks_uri(&doc, "https://as/").is_err());
        let plain = json!({"issuer": "https://as", "jwks_uri": "http://as/jwks"});
        assert!(jwks_uri(&plain, "https://as").is_err());
        assert!(jwks_uri(&json!({"issuer": "https://as"}), "https://as").is_err());
    }

    #[test]
    fn max_age_is_read() {
        let headers = |value: &'static str| {
            let mut map = HeaderMap::new();
            map.insert(CACHE_CONTROL, HeaderValue::from_static(value));
            map
        };
        let read = |v| max_age(&headers(v));
        assert_eq!(read("public, max-age=300"), Some(Duration::from_secs(300)));
        assert_eq!(read("Max-Age=\"7\""), Some(Duration::from_secs(7)));
        assert_eq!(read("s-maxage=5, no-cache"), None);
        assert_eq!(read("max-age=-1"), None);
        assert_eq!(max_age(&HeaderMap::new()), None);
    }
}
