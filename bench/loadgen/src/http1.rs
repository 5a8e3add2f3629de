//! The HTTP/1.1 wire format the client needs, as pure functions over bytes:
//! writing a request, and finding a whole response (head and body, with
//! `content-length`, chunked, or to the end of the connection) in a buffer.
//!
//! A general client (hyper) costs about as much CPU per request as the server it
//! measures; this one writes each request with one system call and parses the
//! answer in place, so the load generator stays the cheaper side.

/// The parts of a response the client uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// `content-type`, if any.
    pub content_type: Option<String>,
    /// `mcp-session-id`, if any.
    pub session_id: Option<String>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
    /// The server will close the connection after this response.
    pub closes: bool,
}

/// Appends a request to `out`. `authorization`, if any, is the whole value of an
/// `authorization` header (`Bearer TOKEN`); `headers` are `(name, value)` pairs.
/// Values must not contain CR or LF (callers pass checked values).
pub fn write_request(
    out: &mut Vec<u8>,
    method: &str,
    path: &str,
    host: &str,
    authorization: Option<&str>,
    headers: &[(&str, &str)],
    body: &[u8],
) {
    out.extend_from_slice(method.as_bytes());
    out.push(b' ');
    out.extend_from_slice(path.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\nhost: ");
    out.extend_from_slice(host.as_bytes());
    if let Some(value) = authorization {
        out.extend_from_slice(b"\r\nauthorization: ");
        out.extend_from_slice(value.as_bytes());
    }
    for (name, value) in headers {
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
    }
    out.extend_from_slice(b"\r\ncontent-length: ");
    out.extend_from_slice(body.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(body);
}

/// What [`parse_response`] found in the buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A whole response, and how many bytes of the buffer it took.
    Complete(Response, usize),
    /// More bytes are needed.
    Partial,
}

/// Most headers a response may have.
const MAX_HEADERS: usize = 32;

/// Finds a whole response at the start of `buffer`. `eof` says the connection has
/// ended (a body without length or chunking ends there). Interim (1xx) responses
/// are skipped.
pub fn parse_response(buffer: &[u8], eof: bool) -> Result<Parsed, String> {
    let mut offset = 0;
    loop {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut headers);
        let head_len = match response.parse(&buffer[offset..]) {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) if eof => {
                return Err("connection closed inside a response head".into());
            }
            Ok(httparse::Status::Partial) => return Ok(Parsed::Partial),
            Err(e) => return Err(format!("malformed response head: {e}")),
        };
        let status = response.code.unwrap_or_default();
        if (100..200).contains(&status) {
            offset += head_len;
            continue;
        }
        let mut head = Head {
            content_type: None,
            session_id: None,
            content_length: None,
            chunked: false,
            closes: response.version == Some(0),
        };
        for header in response.headers.iter() {
            head.take(header)?;
        }
        let body_start = offset + head_len;
        let rest = &buffer[body_start..];
        let body_len_known =
            status == 204 || status == 304 || head.chunked || head.content_length.is_some();
        let (body, body_len) = if status == 204 || status == 304 {
            (Vec::new(), 0)
        } else if head.chunked {
            match decode_chunked(rest)? {
                Some(decoded) => decoded,
                None if eof => return Err("connection closed inside a chunked body".into()),
                None => return Ok(Parsed::Partial),
            }
        } else if let Some(length) = head.content_length {
            if rest.len() < length {
                if eof {
                    return Err(format!(
                        "connection closed after {} of {length} body bytes",
                        rest.len()
                    ));
                }
                return Ok(Parsed::Partial);
            }
            (rest[..length].to_vec(), length)
        } else if eof {
            (rest.to_vec(), rest.len())
        } else {
            // The body runs to the end of the connection.
            return Ok(Parsed::Partial);
        };
        let response = Response {
            status,
            content_type: head.content_type,
            session_id: head.session_id,
            body,
            closes: head.closes || !body_len_known,
        };
        return Ok(Parsed::Complete(response, body_start + body_len));
    }
}

/// The headers of interest in a response head.
struct Head {
    content_type: Option<String>,
    session_id: Option<String>,
    content_length: Option<usize>,
    chunked: bool,
    closes: bool,
}

impl Head {
    fn take(&mut self, header: &httparse::Header<'_>) -> Result<(), String> {
        let name = header.name;
        let value = || {
            std::str::from_utf8(header.value)
                .map(str::trim)
                .map_err(|_| format!("header {name} is not UTF-8"))
        };
        if name.eq_ignore_ascii_case("content-type") {
            self.content_type = Some(value()?.to_owned());
        } else if name.eq_ignore_ascii_case("mcp-session-id") {
            let id = value()?;
            // It goes back into request heads: visible ASCII only.
            if id.is_empty() || !id.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(format!("invalid mcp-session-id {id:?}"));
            }
            self.session_id = Some(id.to_owned());
        } else if name.eq_ignore_ascii_case("content-length") {
            let length = value()?.parse().map_err(|_| {
                format!(
                    "invalid content-length {:?}",
                    String::from_utf8_lossy(header.value)
                )
            })?;
            if self.content_length.is_some_and(|l| l != length) {
                return Err("conflicting content-length headers".into());
            }
            self.content_length = Some(length);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            let last = value()?.rsplit(',').next().unwrap_or_default().trim();
            if !last.eq_ignore_ascii_case("chunked") {
                return Err(format!("unsupported transfer-encoding {last:?}"));
            }
            self.chunked = true;
        } else if name.eq_ignore_ascii_case("connection") {
            self.closes |= value()?
                .split(',')
                .any(|t| t.trim().eq_ignore_ascii_case("close"));
        }
        Ok(())
    }
}

/// Decodes a whole chunked body at the start of `data`: the body and how many
/// bytes it took (trailers included), or `None` if it is not all there yet.
pub fn decode_chunked(data: &[u8]) -> Result<Option<(Vec<u8>, usize)>, String> {
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let Some(line_end) = find_crlf(&data[at..]) else {
            return Ok(None);
        };
        let size_line = &data[at..at + line_end];
        let size_text = size_line.split(|&b| b == b';').next().unwrap_or_default();
        let size_text =
            std::str::from_utf8(size_text).map_err(|_| "invalid chunk size".to_owned())?;
        let size = usize::from_str_radix(size_text.trim(), 16)
            .map_err(|_| format!("invalid chunk size {:?}", size_text.trim()))?;
        at += line_end + 2;
        if size == 0 {
            // Trailers, then an empty line.
            loop {
                let Some(line_end) = find_crlf(&data[at..]) else {
                    return Ok(None);
                };
                at += line_end + 2;
                if line_end == 0 {
                    return Ok(Some((body, at)));
                }
            }
        }
        let chunk_end = at.checked_add(size).ok_or("chunk size overflows")?;
        if data.len() < chunk_end + 2 {
            return Ok(None);
        }
        if &data[chunk_end..chunk_end + 2] != b"\r\n" {
            return Err("chunk not followed by CRLF".into());
        }
        body.extend_from_slice(&data[at..chunk_end]);
        at = chunk_end + 2;
    }
}

fn find_crlf(data: &[u8]) -> Option<usize> {
    data.windows(2).position(|w| w == b"\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(buffer: &[u8]) -> (Response, usize) {
        match parse_response(buffer, false).unwrap() {
            Parsed::Complete(response, used) => (response, used),
            Parsed::Partial => panic!("partial: {}", String::from_utf8_lossy(buffer)),
        }
    }

    #[test]
    fn requests_are_written_whole() {
        let mut out = Vec::new();
        write_request(
            &mut out,
            "POST",
            "/mcp",
            "127.0.0.1:80",
            None,
            &[("accept", "application/json")],
            b"{}",
        );
        assert_eq!(
            out,
            b"POST /mcp HTTP/1.1\r\nhost: 127.0.0.1:80\r\naccept: application/json\r\ncontent-length: 2\r\n\r\n{}"
        );
        out.clear();
        write_request(
            &mut out,
            "DELETE",
            "/mcp",
            "127.0.0.1:80",
            Some("Bearer abc"),
            &[("mcp-session-id", "s")],
            b"",
        );
        assert_eq!(
            out,
            b"DELETE /mcp HTTP/1.1\r\nhost: 127.0.0.1:80\r\nauthorization: Bearer abc\r\nmcp-session-id: s\r\ncontent-length: 0\r\n\r\n"
        );
    }

    #[test]
    fn content_length_bodies() {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nMcp-Session-Id: abc\r\nContent-Length: 2\r\n\r\n{}next";
        let (response, used) = complete(raw);
        assert_eq!(response.status, 200);
        assert_eq!(response.content_type.as_deref(), Some("application/json"));
        assert_eq!(response.session_id.as_deref(), Some("abc"));
        assert_eq!(response.body, b"{}");
        assert!(!response.closes);
        assert_eq!(&raw[used..], b"next");
        assert_eq!(
            parse_response(&raw[..raw.len() - 6], false),
            Ok(Parsed::Partial)
        );
        assert!(parse_response(&raw[..raw.len() - 6], true).is_err());
    }

    #[test]
    fn chunked_bodies() {
        let raw = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n\
                    5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nx-trailer: 1\r\n\r\n";
        let (response, used) = complete(raw);
        assert_eq!(response.body, b"hello, world");
        assert_eq!(used, raw.len());
        for cut in [raw.len() - 1, raw.len() - 20, 80] {
            assert_eq!(
                parse_response(&raw[..cut], false),
                Ok(Parsed::Partial),
                "cut at {cut}"
            );
            assert!(parse_response(&raw[..cut], true).is_err(), "cut at {cut}");
        }
        assert!(decode_chunked(b"zz\r\n").is_err());
        assert!(decode_chunked(b"2\r\nabc\r\n").is_err());
    }

    #[test]
    fn interim_and_empty_responses() {
        let raw =
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n";
        let (response, used) = complete(raw);
        assert_eq!(response.status, 202);
        assert!(response.body.is_empty());
        assert_eq!(used, raw.len());
        let (no_content, _) = complete(b"HTTP/1.1 204 No Content\r\n\r\n");
        assert_eq!(no_content.status, 204);
    }

    #[test]
    fn bodies_to_the_end_of_the_connection() {
        let raw = b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nabc";
        assert_eq!(parse_response(raw, false), Ok(Parsed::Partial));
        let Ok(Parsed::Complete(response, _)) = parse_response(raw, true) else {
            panic!()
        };
        assert_eq!(response.body, b"abc");
        assert!(response.closes);
    }

    #[test]
    fn bad_heads_are_errors() {
        assert!(parse_response(b"HTTP/1.1 200 OK\r\ncontent-length: x\r\n\r\n", false).is_err());
        assert!(
            parse_response(
                b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n",
                false
            )
            .is_err()
        );
        assert!(
            parse_response(b"HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\n", false).is_err()
        );
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nmcp-session-id: \r\n\r\n", false).is_err());
        assert!(parse_response(b"garbage\r\n\r\n", false).is_err());
    }
}
