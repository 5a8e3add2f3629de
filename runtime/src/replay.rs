//! Client input for a modern request (multi-round-trip requests, SEP-2322).
//!
//! A 2026-07-28 server cannot ask the client anything mid-request. When a handler
//! asks (`ctx.elicit`, `ctx.create_message`, `ctx.list_roots`), the answer is looked
//! up among those the client sent with this attempt (`inputResponses`) and those
//! carried from earlier rounds in the sealed `requestState`. A missing answer
//! suspends the handler for good: the runtime drops it and answers
//! `input_required` with every question asked in that poll, so questions asked
//! concurrently go out in one round. On the retry the handler runs again from the
//! start and, with the answers in hand, gets further: handlers must be
//! deterministic up to their questions.

use std::sync::Mutex;

use serde_json::{Map, Value, json};
use tokio::sync::Notify;

use crate::error::RequestError;
use crate::method;
use crate::session::lock;

/// One attempt of a modern request that may ask the client for input.
pub(crate) struct Replay {
    /// Answers known to this attempt, by key.
    answers: Map<String, Value>,
    state: Mutex<State>,
    suspended: Notify,
}

#[derive(Default)]
struct State {
    /// Unanswered questions, `{method, params}` by key, in the order asked.
    missing: Map<String, Value>,
    /// Answers the handler consumed; they ride in the next `requestState`.
    used: Map<String, Value>,
    /// An answer that is not what its question calls for.
    invalid: Option<RequestError>,
}

/// Why a handler stopped before finishing.
pub(crate) enum Suspension {
    /// Questions to ask, and the answers gathered so far.
    NeedInput {
        requests: Map<String, Value>,
        answers: Map<String, Value>,
    },
    /// The client answered something malformed.
    Invalid(RequestError),
}

impl Replay {
    pub(crate) fn new(answers: Map<String, Value>) -> Replay {
        Replay {
            answers,
            state: Mutex::new(State::default()),
            suspended: Notify::new(),
        }
    }

    /// The client's answer to a question, or never (the handler is suspended).
    pub(crate) async fn ask(&self, key: String, method: &str, params: Value) -> Value {
        if let Some(answer) = self.answers.get(&key) {
            match check_answer(method, answer) {
                Ok(()) => {
                    lock(&self.state).used.insert(key, answer.clone());
                    return answer.clone();
                }
                Err(why) => {
                    let mut state = lock(&self.state);
                    state.invalid.get_or_insert_with(|| {
                        RequestError::invalid_params(format!(
                            "Invalid params: `inputResponses.{key}` {why}"
                        ))
                    });
                }
            }
        } else {
            lock(&self.state)
                .missing
                .insert(key, json!({ "method": method, "params": params }));
        }
        self.suspended.notify_one();
        std::future::pending().await
    }

    /// Completes once the handler asked something it cannot be answered now.
    pub(crate) async fn suspended(&self) {
        self.suspended.notified().await
    }

    /// What the suspended handler needs.
    pub(crate) fn suspension(&self) -> Suspension {
        let mut state = lock(&self.state);
        if let Some(e) = state.invalid.take() {
            return Suspension::Invalid(e);
        }
        Suspension::NeedInput {
            requests: std::mem::take(&mut state.missing),
            answers: std::mem::take(&mut state.used),
        }
    }
}

/// Whether an answer has the shape of the result its question calls for.
pub(crate) fn check_answer(method: &str, answer: &Value) -> Result<(), &'static str> {
    let Some(answer) = answer.as_object() else {
        return Err("must be an object");
    };
    let ok = match method {
        method::ELICITATION_CREATE => {
            matches!(
                answer.get("action").and_then(Value::as_str),
                Some("accept" | "decline" | "cancel")
            ) && answer.get("content").is_none_or(Value::is_object)
        }
        method::SAMPLING_CREATE_MESSAGE => {
            answer.get("role").is_some_and(Value::is_string)
                && answer
                    .get("content")
                    .is_some_and(|c| c.is_object() || c.is_array())
        }
        method::ROOTS_LIST => answer.get("roots").is_some_and(Value::is_array),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(match method {
            method::ELICITATION_CREATE => "must be an elicitation result (`action`, `content`)",
            method::SAMPLING_CREATE_MESSAGE => "must be a sampling result (`role`, `content`)",
            _ => "must be a roots result (`roots`)",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt as _;

    #[test]
    fn known_answers_return_and_missing_ones_suspend() {
        let mut answers = Map::new();
        answers.insert("roots".into(), json!({ "roots": [] }));
        let r = Replay::new(answers);
        let got = r
            .ask("roots".into(), "roots/list", json!({}))
            .now_or_never();
        assert_eq!(got, Some(json!({ "roots": [] })));
        let pending = r
            .ask("name".into(), "elicitation/create", json!({}))
            .now_or_never();
        assert!(pending.is_none());
        assert!(r.suspended().now_or_never().is_some());
        let Suspension::NeedInput { requests, answers } = r.suspension() else {
            panic!("expected a request for input");
        };
        assert_eq!(requests["name"]["method"], "elicitation/create");
        assert_eq!(answers["roots"], json!({ "roots": [] }));
    }

    #[test]
    fn malformed_answers_are_errors_not_input() {
        let mut answers = Map::new();
        answers.insert("user_name".into(), json!(12345));
        let r = Replay::new(answers);
        assert!(
            r.ask("user_name".into(), "elicitation/create", json!({}))
                .now_or_never()
                .is_none()
        );
        let Suspension::Invalid(e) = r.suspension() else {
            panic!("expected an error");
        };
        assert_eq!(e.code, crate::jsonrpc::ErrorCode::INVALID_PARAMS);
        assert!(check_answer("elicitation/create", &json!({ "action": "maybe" })).is_err());
        assert!(
            check_answer(
                "sampling/createMessage",
                &json!({ "role": "assistant", "content": { "type": "text", "text": "x" } })
            )
            .is_ok()
        );
    }
}
