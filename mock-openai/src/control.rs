//! The mock's own control API under `/__mock` (not part of OpenAI's).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use crate::envelope::ApiError;
use crate::record::Calls;
use crate::script::Step;
use crate::state::MockState;

#[derive(Deserialize)]
struct Script {
    steps: Vec<Step>,
}

/// `POST /__mock/script` with `{"steps":[…]}`: replaces the queue.
pub(crate) async fn script(
    State(state): State<MockState>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    // Parsed by hand rather than with `Json` so a bad script gets a JSON
    // error naming the problem, like every other answer of this server.
    let script: Script = serde_json::from_slice(&body)
        .map_err(|error| ApiError::invalid_request(format!("Invalid script: {error}")))?;
    state
        .script(script.steps)
        .map_err(|error| ApiError::invalid_request(format!("Invalid script: {error}")))?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /__mock/calls`.
pub(crate) async fn calls(State(state): State<MockState>) -> Json<Calls> {
    Json(state.calls())
}

/// `POST /__mock/reset`.
pub(crate) async fn reset(State(state): State<MockState>) -> StatusCode {
    state.reset();
    StatusCode::NO_CONTENT
}
