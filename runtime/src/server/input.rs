//! Client input for modern requests (SEP-2322): reading a retry's answers and
//! sealed `requestState`, and the `input_required` result of a suspended handler.

use serde_json::{Map, Value, json};

use crate::error::RequestError;
use crate::jsonrpc::{self, Encoded};
use crate::modern;
use crate::replay::{Replay, Suspension};
use crate::seal::Binding;

use super::Shared;

impl Shared {
    /// Reads a retry's `inputResponses` and sealed `requestState` into the answers
    /// the handler's replay can use.
    pub(super) fn resume(
        &self,
        binding: &Binding<'_>,
        params: &mut Map<String, Value>,
    ) -> Result<Replay, RequestError> {
        let mut answers = match params.remove("inputResponses") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m,
            Some(_) => {
                return Err(RequestError::invalid_params(
                    "Invalid params: `inputResponses` must be an object",
                ));
            }
        };
        match params.remove("requestState") {
            None | Some(Value::Null) => {}
            Some(Value::String(state)) => {
                let opened = self.sealer.open(binding, &state).map_err(|why| {
                    RequestError::invalid_params(format!("Invalid params: `requestState` {why}"))
                })?;
                let earlier = serde_json::from_slice::<Value>(&opened)
                    .ok()
                    .and_then(|v| match v {
                        Value::Object(mut m) => m.remove("answers"),
                        _ => None,
                    });
                // Answers sealed in earlier rounds stand; the client cannot redo them.
                if let Some(Value::Object(earlier)) = earlier {
                    answers.extend(earlier);
                }
            }
            Some(_) => {
                return Err(RequestError::invalid_params(
                    "Invalid params: `requestState` must be a string",
                ));
            }
        }
        Ok(Replay::new(answers))
    }

    /// The result of a handler suspended for client input.
    pub(super) fn input_required(
        &self,
        replay: &Replay,
        binding: &Binding<'_>,
    ) -> Result<Encoded, RequestError> {
        match replay.suspension() {
            Suspension::Invalid(e) => Err(e),
            Suspension::NeedInput { requests, answers } => {
                let state = json!({ "answers": answers }).to_string();
                let result = json!({
                    "resultType": "input_required",
                    "inputRequests": requests,
                    "requestState": self.sealer.seal(binding, state.as_bytes()),
                    "_meta": { modern::META_SERVER_INFO: self.modern_info },
                });
                Ok(jsonrpc::encode(&result))
            }
        }
    }
}
