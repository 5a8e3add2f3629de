//! RFC 6570 URI templates, matched in reverse: given a URI, find the variables.
//!
//! Supported: literals, simple `{var}`, reserved `{+var}` and fragment `{#var}`
//! expansions, and path-segment `{/var}` expansions, each with one variable. That
//! covers the templates MCP servers publish; anything else is rejected when the
//! server is built, never at request time.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Literal(String),
    Var { name: String, op: Op },
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    /// `{var}`: unreserved characters and percent-escapes; no `/`, `?`, `#`, `,`.
    Simple,
    /// `{+var}` and `{#var}`: anything.
    Reserved,
    /// `{/var}`: a `/` then one segment.
    Segment,
}

/// A parsed URI template.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UriTemplate {
    parts: Vec<Part>,
}

/// Why a template is not supported.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TemplateError(String);

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl UriTemplate {
    pub(crate) fn parse(text: &str) -> Result<UriTemplate, TemplateError> {
        let mut parts = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            match rest.find('{') {
                Some(0) => {
                    let end = rest
                        .find('}')
                        .ok_or_else(|| TemplateError("unclosed `{`".into()))?;
                    let expr = &rest[1..end];
                    let (op, name) = match expr.chars().next() {
                        Some('+') | Some('#') => (Op::Reserved, &expr[1..]),
                        Some('/') => (Op::Segment, &expr[1..]),
                        _ => (Op::Simple, expr),
                    };
                    // RFC 6570 names: dots only between characters (a leading one
                    // is the label operator, which this matcher does not support).
                    let valid = !name.is_empty()
                        && name
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
                        && !name.starts_with('.')
                        && !name.ends_with('.')
                        && !name.contains("..");
                    if !valid {
                        return Err(TemplateError(format!(
                            "unsupported expression `{{{expr}}}`: use one variable name, optionally after `+`, `#` or `/`"
                        )));
                    }
                    if let Some(Part::Var { .. }) = parts.last() {
                        return Err(TemplateError(
                            "two variables with nothing between them cannot be told apart".into(),
                        ));
                    }
                    if op == Op::Reserved && expr.starts_with('#') {
                        parts.push(Part::Literal("#".into()));
                    }
                    parts.push(Part::Var {
                        name: name.to_owned(),
                        op,
                    });
                    rest = &rest[end + 1..];
                }
                Some(i) => {
                    parts.push(Part::Literal(rest[..i].to_owned()));
                    rest = &rest[i..];
                }
                None => {
                    if rest.contains('}') {
                        return Err(TemplateError("`}` without `{`".into()));
                    }
                    parts.push(Part::Literal(rest.to_owned()));
                    rest = "";
                }
            }
        }
        Ok(UriTemplate { parts })
    }

    /// The variables of `uri`, percent-decoded, if it matches.
    pub(crate) fn matches(&self, uri: &str) -> Option<Vec<(String, String)>> {
        let mut vars = Vec::new();
        if match_parts(&self.parts, uri, &mut vars) {
            Some(vars)
        } else {
            None
        }
    }
}

fn match_parts(parts: &[Part], input: &str, vars: &mut Vec<(String, String)>) -> bool {
    let Some((first, rest)) = parts.split_first() else {
        return input.is_empty();
    };
    match first {
        Part::Literal(lit) => input
            .strip_prefix(lit.as_str())
            .is_some_and(|tail| match_parts(rest, tail, vars)),
        Part::Var { name, op } => {
            let input = match op {
                Op::Segment => match input.strip_prefix('/') {
                    Some(tail) => tail,
                    None => return false,
                },
                _ => input,
            };
            let allowed = |c: char| match op {
                Op::Reserved => true,
                Op::Simple | Op::Segment => !matches!(c, '/' | '?' | '#' | ','),
            };
            // The value ends at the shortest split that lets the rest match.
            let limit = input.find(|c| !allowed(c)).unwrap_or(input.len());
            let mut ends: Vec<usize> = input[..limit]
                .char_indices()
                .map(|(i, c)| i + c.len_utf8())
                .collect();
            if rest.is_empty() {
                ends.retain(|&e| e == input.len());
            }
            for end in ends {
                let mark = vars.len();
                vars.push((name.clone(), percent_decode(&input[..end])));
                if match_parts(rest, &input[end..], vars) {
                    return true;
                }
                vars.truncate(mark);
            }
            false
        }
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(t: &str, uri: &str) -> Option<Vec<(String, String)>> {
        UriTemplate::parse(t).unwrap().matches(uri)
    }

    #[test]
    fn matches_simple_variables() {
        assert_eq!(
            vars("test://template/{id}/data", "test://template/123/data"),
            Some(vec![("id".into(), "123".into())])
        );
        assert_eq!(
            vars("test://template/{id}/data", "test://template/1/2/data"),
            None
        );
        assert_eq!(
            vars("test://template/{id}/data", "test://template//data"),
            None
        );
        assert_eq!(
            vars("weather://{city}/current", "weather://New%20York/current"),
            Some(vec![("city".into(), "New York".into())])
        );
    }

    #[test]
    fn reserved_and_segment_expansions() {
        assert_eq!(
            vars("file:///{+path}", "file:///a/b/c.txt"),
            Some(vec![("path".into(), "a/b/c.txt".into())])
        );
        assert_eq!(
            vars("repo://x{/name}", "repo://x/main"),
            Some(vec![("name".into(), "main".into())])
        );
        assert_eq!(vars("a://{x}", "b://1"), None);
    }

    #[test]
    fn rejects_unsupported_templates() {
        assert!(UriTemplate::parse("a://{x").is_err());
        assert!(UriTemplate::parse("a://{x,y}").is_err());
        assert!(UriTemplate::parse("a://{x}{y}").is_err());
        assert!(UriTemplate::parse("a://}").is_err());
        assert!(UriTemplate::parse("a://{.x}").is_err());
        assert!(UriTemplate::parse("a://{x.}").is_err());
        assert!(UriTemplate::parse("a://{x..y}").is_err());
        assert!(UriTemplate::parse("a://{x.y}").is_ok());
    }

    #[test]
    fn percent_decoding_is_lenient() {
        assert_eq!(percent_decode("a%2Fb"), "a/b");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
