//! SSE streams of one HTTP session: event framing, ids unique per session, a
//! bounded log per stream for `Last-Event-ID` resumption, and the live connection
//! (if any) the events are written to.

use std::collections::VecDeque;
use std::sync::Mutex;

use bytes::Bytes;
use futures_channel::mpsc;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::jsonrpc;
use crate::session::{Outbound, lock};

/// The events on their way to one SSE connection. futures' channel rather than
/// tokio's: a stream per POST makes one, and tokio's allocates a 512-byte aligned
/// and a 1 KiB block up front, both beyond the allocator's fast path.
pub(crate) type EventSender = mpsc::UnboundedSender<Bytes>;
/// The receiving end of an [`EventSender`].
pub(crate) type EventReceiver = mpsc::UnboundedReceiver<Bytes>;

/// A channel for one SSE connection's events.
pub(crate) fn event_channel() -> (EventSender, EventReceiver) {
    mpsc::unbounded()
}

/// Events kept per stream for resumption; older ones are dropped.
pub(crate) const LOG_CAPACITY: usize = 256;

/// One SSE stream: the answer to a POST, or the session's standalone GET stream.
pub(crate) struct Stream {
    pub id: u64,
    state: Mutex<State>,
}

struct State {
    log: VecDeque<(u64, Bytes)>,
    next_seq: u64,
    live: Option<EventSender>,
    /// Responses still owed on this stream; at zero the stream is complete.
    owed: usize,
    complete: bool,
}

/// Formats one SSE event carrying a JSON-RPC message.
pub(crate) fn frame(stream: u64, seq: u64, message: &RawValue) -> Bytes {
    use std::io::Write as _;
    let json = message.get().as_bytes();
    let mut out = Vec::with_capacity(json.len() + 48);
    let _ = write!(out, "id: {stream}-{seq}\nevent: message\ndata: ");
    // serde_json never writes a raw newline, so one `data:` line holds the message.
    out.extend_from_slice(json);
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

/// The priming event of SEP-1699: an id and empty data, with the retry interval.
pub(crate) fn priming(stream: u64, retry_ms: u64) -> Bytes {
    Bytes::from(format!("id: {stream}-0\nretry: {retry_ms}\ndata: \n\n"))
}

/// Parses a `Last-Event-ID` written by [`frame`].
pub(crate) fn parse_event_id(text: &str) -> Option<(u64, u64)> {
    let (stream, seq) = text.trim().split_once('-')?;
    Some((stream.parse().ok()?, seq.parse().ok()?))
}

impl Stream {
    /// A stream that completes after `owed` responses (0: never, for GET streams).
    pub(crate) fn new(id: u64, owed: usize) -> Stream {
        Stream {
            id,
            state: Mutex::new(State {
                log: VecDeque::new(),
                next_seq: 1,
                live: None,
                owed,
                complete: false,
            }),
        }
    }

    /// Attaches a new connection, replaying logged events after `after_seq`. Returns
    /// the receiver the connection reads, or `None` if a live connection exists.
    pub(crate) fn attach(
        &self,
        after_seq: Option<u64>,
        first: Option<Bytes>,
        replace: bool,
    ) -> Option<EventReceiver> {
        let mut s = lock(&self.state);
        if let Some(live) = &s.live {
            if !live.is_closed() && !replace {
                return None;
            }
        }
        let (tx, rx) = event_channel();
        if let Some(first) = first {
            let _ = tx.unbounded_send(first);
        }
        if let Some(after) = after_seq {
            for (seq, bytes) in &s.log {
                if *seq > after {
                    let _ = tx.unbounded_send(bytes.clone());
                }
            }
        }
        // A complete stream ends once replayed: dropping `tx` closes the body.
        if !s.complete {
            s.live = Some(tx);
        }
        Some(rx)
    }

    /// Whether a client connection is reading this stream now.
    pub(crate) fn is_connected(&self) -> bool {
        lock(&self.state)
            .live
            .as_ref()
            .is_some_and(|l| !l.is_closed())
    }

    /// Appends a message: logged, and written to the live connection if any.
    /// `is_response` counts it against the responses owed. False when the stream
    /// is already complete.
    pub(crate) fn push(&self, message: &RawValue, is_response: bool) -> bool {
        let mut s = lock(&self.state);
        if s.complete {
            return false;
        }
        let seq = s.next_seq;
        s.next_seq += 1;
        let bytes = frame(self.id, seq, message);
        if s.log.len() == LOG_CAPACITY {
            s.log.pop_front();
        }
        s.log.push_back((seq, bytes.clone()));
        if let Some(live) = &s.live {
            if live.unbounded_send(bytes).is_err() {
                s.live = None;
            }
        }
        if is_response && s.owed > 0 {
            s.owed -= 1;
            if s.owed == 0 {
                s.complete = true;
                s.live = None;
            }
        }
        true
    }

    /// Ends the connection but not the stream (SEP-1699 polling).
    pub(crate) fn disconnect(&self) {
        lock(&self.state).live = None;
    }

    /// Ends the live connection for a shutdown: a last event restating the stream's
    /// last event id and how long to wait, so the client resumes (elsewhere, behind
    /// a load balancer) from there. The stream itself stays resumable.
    pub(crate) fn close_for_shutdown(&self, retry_ms: u64) {
        let mut s = lock(&self.state);
        let Some(live) = s.live.take() else {
            return;
        };
        let last = s.next_seq - 1;
        let _ = live.unbounded_send(Bytes::from(format!(
            "id: {}-{last}\nretry: {retry_ms}\ndata: \n\n",
            self.id
        )));
    }

    /// A response owed is not coming (the request was cancelled).
    pub(crate) fn forgo_response(&self) {
        let mut s = lock(&self.state);
        if s.owed > 0 {
            s.owed -= 1;
            if s.owed == 0 {
                s.complete = true;
                s.live = None;
            }
        }
    }

    /// Whether nothing was ever pushed onto the stream.
    pub(crate) fn is_empty(&self) -> bool {
        lock(&self.state).next_seq == 1
    }

    pub(crate) fn is_complete(&self) -> bool {
        lock(&self.state).complete
    }
}

/// Messages related to a request go on its stream.
pub(crate) struct StreamOutbound(pub std::sync::Arc<Stream>);

impl Outbound for StreamOutbound {
    fn send(&self, message: Value) -> bool {
        self.0.push(&jsonrpc::encode(&message), false)
    }
    fn close_connection(&self) {
        self.0.disconnect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn event_ids_round_trip() {
        let f = frame(3, 7, &jsonrpc::encode(&json!({"a":1})));
        assert!(f.starts_with(b"id: 3-7\n"));
        assert_eq!(parse_event_id("3-7"), Some((3, 7)));
        assert_eq!(parse_event_id("garbage"), None);
    }

    #[test]
    fn resumption_replays_only_later_events() {
        let s = Stream::new(1, 1);
        let rx = s.attach(None, None, false).unwrap();
        s.push(&jsonrpc::encode(&json!({"n":1})), false);
        s.disconnect();
        drop(rx);
        s.push(&jsonrpc::encode(&json!({"n":2})), true);
        assert!(s.is_complete());
        let mut rx = s.attach(Some(1), None, false).unwrap();
        let replayed = rx.try_recv().unwrap();
        assert!(replayed.starts_with(b"id: 1-2\n"));
        assert!(
            rx.try_recv().is_err(),
            "the stream is complete: nothing more"
        );
    }

    #[test]
    fn a_shutdown_ends_the_connection_with_the_last_id_and_a_retry() {
        let stream = Stream::new(3, 0);
        let mut rx = stream.attach(None, None, false).unwrap();
        stream.push(&RawValue::from_string("{}".into()).unwrap(), false);
        stream.close_for_shutdown(1500);
        assert!(!stream.is_connected());
        let _event = rx.try_recv().unwrap();
        let last = rx.try_recv().unwrap();
        assert_eq!(&last[..], b"id: 3-1\nretry: 1500\ndata: \n\n");
        assert!(rx.try_recv().is_err(), "the connection ends");
        // Still resumable from where it ended.
        assert!(stream.attach(Some(1), None, false).is_some());
    }

    #[test]
    fn the_log_is_bounded() {
        let s = Stream::new(1, 0);
        for n in 0..(LOG_CAPACITY + 10) {
            s.push(&jsonrpc::encode(&json!({ "n": n })), false);
        }
        let mut rx = s.attach(Some(0), None, false).unwrap();
        let mut count = 0;
        while rx.try_recv().is_ok() {
            count += 1;
        }
        assert_eq!(count, LOG_CAPACITY);
    }
}
