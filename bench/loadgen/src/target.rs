//! The server under test: its URL, checked to be on the loopback interface before
//! anything is sent.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// A parsed `http://` MCP endpoint on the loopback interface.
#[derive(Debug, Clone)]
pub struct Target {
    /// Addresses to try, in order (`localhost` maps to both loopback addresses).
    pub addrs: Vec<SocketAddr>,
    /// The `Host` header: the URL's authority, as written.
    pub host_header: String,
    /// The request target (path and query), e.g. `/mcp`.
    pub path: String,
    /// The URL as given, for reports.
    pub url: String,
    /// The `Authorization` header value sent with every request (`Bearer TOKEN`),
    /// built once; `None` sends none.
    pub authorization: Option<String>,
}

impl Target {
    /// Parses `url` and refuses anything that is not plain HTTP to `localhost`, an
    /// address in 127.0.0.0/8, or `::1`: the load generator never leaves the machine.
    pub fn parse(url: &str) -> Result<Target, String> {
        let rest = strip_prefix_ignore_case(url, "http://").ok_or_else(|| {
            format!("{url:?} is not an http:// URL (https and others are not supported)")
        })?;
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(end);
        if authority.contains('@') {
            return Err(format!("{url:?}: credentials in the URL are not supported"));
        }
        let (host, port) =
            split_host_port(authority).ok_or_else(|| format!("{url:?}: invalid host or port"))?;
        let ips = loopback_ips(host).ok_or_else(|| {
            format!(
                "refusing non-loopback target {host:?}: the host must be localhost, \
                 an address in 127.0.0.0/8, or ::1"
            )
        })?;
        let path = path.split('#').next().unwrap_or_default();
        let path = if path.is_empty() {
            "/".to_owned()
        } else if path.starts_with('?') {
            format!("/{path}")
        } else {
            path.to_owned()
        };
        // The path goes into the request line as is.
        if !path.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(format!(
                "{url:?}: the path must be printable ASCII without spaces"
            ));
        }
        Ok(Target {
            addrs: ips
                .into_iter()
                .map(|ip| SocketAddr::new(ip, port))
                .collect(),
            host_header: authority.to_owned(),
            path,
            url: url.to_owned(),
            authorization: None,
        })
    }

    /// The same target, with `authorization: Bearer TOKEN` on every request when
    /// `token` is given. The token goes into request heads as is: it must be
    /// visible ASCII (RFC 6750's token68 is a subset). Errors never quote it.
    pub fn with_bearer(mut self, token: Option<&str>) -> Result<Target, String> {
        if let Some(token) = token {
            if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(
                    "--bearer: the token must be non-empty visible ASCII, without spaces".into(),
                );
            }
            self.authorization = Some(format!("Bearer {token}"));
        }
        Ok(self)
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// `host[:port]` or `[v6][:port]`; the port defaults to 80.
fn split_host_port(authority: &str) -> Option<(&str, u16)> {
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let close = bracketed.find(']')?;
        let after = &bracketed[close + 1..];
        let port = if after.is_empty() {
            None
        } else {
            Some(after.strip_prefix(':')?)
        };
        (&authority[..close + 2], port)
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let port = match port {
        None => 80,
        Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            digits.parse().ok()?
        }
        Some(_) => return None,
    };
    (!host.is_empty()).then_some((host, port))
}

/// The addresses `host` stands for, if it is a loopback name or address; `None`
/// for anything else (other names are not resolved: they could lead off the machine).
fn loopback_ips(host: &str) -> Option<Vec<IpAddr>> {
    if host.eq_ignore_ascii_case("localhost") {
        return Some(vec![
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ]);
    }
    let ip = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => IpAddr::V6(v6.parse().ok()?),
        None => IpAddr::V4(host.parse().ok()?),
    };
    match ip {
        IpAddr::V4(v4) if v4.octets()[0] == 127 => Some(vec![ip]),
        IpAddr::V6(v6) if v6 == Ipv6Addr::LOCALHOST => Some(vec![ip]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_targets_are_accepted() {
        for url in [
            "http://127.0.0.1:3000/mcp",
            "http://127.1.2.3:80/",
            "http://localhost:8080/mcp",
            "http://LOCALHOST/mcp",
            "HTTP://127.0.0.1:1/mcp",
            "http://[::1]:9000/mcp",
            "http://[0:0:0:0:0:0:0:1]/mcp",
        ] {
            let target = Target::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert!(target.addrs.iter().all(|a| a.ip().is_loopback()), "{url}");
        }
    }

    #[test]
    fn parts_are_kept() {
        let target = Target::parse("http://127.0.0.1:3000/mcp?x=1#frag").unwrap();
        assert_eq!(target.addrs, vec!["127.0.0.1:3000".parse().unwrap()]);
        assert_eq!(target.host_header, "127.0.0.1:3000");
        assert_eq!(target.path, "/mcp?x=1");
        let bare = Target::parse("http://localhost").unwrap();
        assert_eq!(bare.path, "/");
        assert_eq!(bare.addrs[0].port(), 80);
        assert_eq!(bare.addrs.len(), 2);
        let v6 = Target::parse("http://[::1]:9000/mcp").unwrap();
        assert_eq!(v6.addrs, vec!["[::1]:9000".parse().unwrap()]);
        assert_eq!(v6.host_header, "[::1]:9000");
        assert_eq!(Target::parse("http://127.0.0.1:5?a").unwrap().path, "/?a");
    }

    #[test]
    fn bearer_tokens_become_one_header_value() {
        let plain = Target::parse("http://127.0.0.1:1/mcp").unwrap();
        assert_eq!(plain.authorization, None);
        assert_eq!(plain.clone().with_bearer(None).unwrap().authorization, None);
        let with = plain.clone().with_bearer(Some("a.b-c_d")).unwrap();
        assert_eq!(with.authorization.as_deref(), Some("Bearer a.b-c_d"));
        for bad in ["", "a b", "a\r\nx: y", "caf\u{e9}"] {
            assert!(plain.clone().with_bearer(Some(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn other_hosts_are_refused() {
        for url in [
            "http://0.0.0.0:3000/mcp",
            "http://10.0.0.1:3000/mcp",
            "http://128.0.0.1/mcp",
            "http://192.168.1.1/mcp",
            "http://example.com/mcp",
            "http://localhost.example.com/mcp",
            "http://127.0.0.1.example.com/mcp",
            "http://2130706433/mcp",
            "http://[::]:3000/mcp",
            "http://[::2]:3000/mcp",
            "http://[::ffff:127.0.0.1]/mcp",
            "http://[::ffff:10.0.0.1]/mcp",
            "http://user@127.0.0.1/mcp",
            "http://evil.com#@127.0.0.1/mcp",
        ] {
            assert!(Target::parse(url).is_err(), "{url} was accepted");
        }
    }

    #[test]
    fn malformed_urls_are_refused() {
        for url in [
            "https://127.0.0.1/mcp",
            "127.0.0.1:3000/mcp",
            "not a url",
            "http://",
            "http://127.0.0.1:/mcp",
            "http://127.0.0.1:99999/mcp",
            "http://127.0.0.1:80x/mcp",
            "http://[::1/mcp",
            "http://[::1]x/mcp",
            "http://127.0.0.1/m cp",
            "http://127.0.0.1/mcp\r\nx: y",
        ] {
            assert!(Target::parse(url).is_err(), "{url} was accepted");
        }
    }
}
