//! A server-sent events parser for complete response bodies (the streams of a
//! tools/call answer close after the response, so the body is read whole first).

use std::borrow::Cow;

/// One dispatched event. Only `data` matters to the checks; the event type and id
/// are kept for completeness of the parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event<'a> {
    /// The `event:` field, if any.
    pub event: Option<&'a str>,
    /// The `id:` field, if any.
    pub id: Option<&'a str>,
    /// The `data:` lines, joined with `\n`.
    pub data: Cow<'a, str>,
}

/// A parsed body: the dispatched events, and whether it ended inside an event
/// (fields after the last blank line, which the SSE rules discard).
#[derive(Debug, Default)]
pub struct Parsed<'a> {
    /// Events closed by a blank line, in order.
    pub events: Vec<Event<'a>>,
    /// True if the body ended with an unterminated event.
    pub truncated: bool,
}

/// Parses a whole `text/event-stream` body. Lines end with `\n`, `\r\n` or `\r`;
/// lines starting with `:` are comments; unknown fields are ignored.
pub fn parse(body: &str) -> Parsed<'_> {
    let body = body.strip_prefix('\u{feff}').unwrap_or(body);
    let mut parsed = Parsed::default();
    let mut pending = Pending::default();
    let mut rest = body;
    while !rest.is_empty() {
        let (line, next) = split_line(rest);
        rest = next;
        let Some(line) = line else {
            // The last line has no terminator: the stream was cut.
            parsed.truncated = true;
            return parsed;
        };
        if line.is_empty() {
            if let Some(event) = pending.take() {
                parsed.events.push(event);
            }
            continue;
        }
        pending.started = true;
        if line.starts_with(':') {
            continue;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "data" => pending.push_data(value),
            "event" => pending.event = Some(value),
            "id" => pending.id = Some(value),
            _ => {}
        }
    }
    parsed.truncated = pending.started;
    parsed
}

/// The first line of `text` (without its terminator) and the text after it; the
/// line is `None` if it has no terminator.
fn split_line(text: &str) -> (Option<&str>, &str) {
    match text.find(['\n', '\r']) {
        Some(end) => {
            let terminator = if text[end..].starts_with("\r\n") {
                2
            } else {
                1
            };
            (Some(&text[..end]), &text[end + terminator..])
        }
        None => (None, ""),
    }
}

/// The fields of the event being read.
#[derive(Default)]
struct Pending<'a> {
    started: bool,
    event: Option<&'a str>,
    id: Option<&'a str>,
    data: Option<Cow<'a, str>>,
}

impl<'a> Pending<'a> {
    fn push_data(&mut self, value: &'a str) {
        self.data = Some(match self.data.take() {
            None => Cow::Borrowed(value),
            Some(previous) => Cow::Owned(format!("{previous}\n{value}")),
        });
    }

    /// The finished event, if it had a `data` field (as in the SSE rules, an
    /// event without data is not dispatched; `data:` alone is, with empty data).
    fn take(&mut self) -> Option<Event<'a>> {
        let pending = std::mem::take(self);
        let data = pending.data?;
        Some(Event {
            event: pending.event,
            id: pending.id,
            data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANSWER: &str = "id: 1-0\nretry: 1000\ndata: \n\nid: 1-1\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":2}\n\n";

    #[test]
    fn priming_event_and_message() {
        let parsed = parse(ANSWER);
        assert!(!parsed.truncated);
        assert_eq!(parsed.events.len(), 2);
        assert_eq!(parsed.events[0].id, Some("1-0"));
        assert_eq!(parsed.events[0].data, "");
        assert_eq!(parsed.events[1].event, Some("message"));
        assert_eq!(parsed.events[1].id, Some("1-1"));
        assert_eq!(parsed.events[1].data, "{\"jsonrpc\":\"2.0\",\"id\":2}");
    }

    #[test]
    fn crlf_and_cr_line_ends() {
        let crlf = ANSWER.replace('\n', "\r\n");
        let cr = ANSWER.replace('\n', "\r");
        for body in [crlf, cr] {
            let parsed = parse(&body);
            assert!(!parsed.truncated);
            assert_eq!(parsed.events.len(), 2);
            assert_eq!(parsed.events[1].data, "{\"jsonrpc\":\"2.0\",\"id\":2}");
        }
    }

    #[test]
    fn data_lines_join_and_comments_are_skipped() {
        let parsed = parse(": keep-alive\n\nid: 7\n\ndata:a\ndata: b\n: note\ndata\n\n");
        // Blocks without data dispatch nothing; data lines join with newlines.
        assert_eq!(parsed.events.len(), 1);
        assert_eq!(parsed.events[0].data, "a\nb\n");
    }

    #[test]
    fn extra_blank_lines_dispatch_nothing() {
        let parsed = parse("\n\n\ndata: x\n\n\n\n");
        assert_eq!(parsed.events.len(), 1);
        assert!(!parsed.truncated);
    }

    #[test]
    fn cut_streams_are_truncated() {
        // Ends after the data line, without the blank line that dispatches it.
        let parsed = parse("data: {\"id\":1}\n");
        assert!(parsed.truncated);
        assert!(parsed.events.is_empty());
        // Ends in the middle of a line.
        let parsed = parse("data: \n\ndata: {\"id\"");
        assert!(parsed.truncated);
        assert_eq!(parsed.events.len(), 1);
        assert!(!parse("").truncated);
    }
}
