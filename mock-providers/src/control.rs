//! The mock's own control API under `/__mock` (no provider's):
//! `POST /__mock/script`, `GET /__mock/calls[?provider=NAME]`,
//! `POST /__mock/reset`. Errors are `{"error": "…"}` with status 400.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use crate::ledger::Calls;
use crate::script::Step;
use crate::state::MockState;
use crate::Provider;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Script {
    steps: Vec<Step>,
}

/// `POST /__mock/script` with `{"steps":[…]}`: replaces every queue.
pub(crate) async fn script(State(state): State<MockState>, body: Bytes) -> Response {
    // Parsed by hand rather than with `Json` so a bad script gets an error
    // naming the problem.
    let result = serde_json::from_slice::<Script>(&body)
        .map_err(|error| error.to_string())
        .and_then(|script| state.script(script.steps));
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => refuse(format!("Invalid script: {error}")),
    }
}

#[derive(Deserialize)]
pub(crate) struct CallsQuery {
    provider: Option<String>,
}

/// `GET /__mock/calls`, optionally only one provider's requests (the
/// counters stay global).
pub(crate) async fn calls(
    State(state): State<MockState>,
    Query(query): Query<CallsQuery>,
) -> Response {
    let mut calls: Calls = state.calls();
    if let Some(name) = query.provider {
        match name.parse::<Provider>() {
            Ok(provider) => calls
                .requests
                .retain(|request| request.provider == provider),
            Err(error) => return refuse(error),
        }
    }
    Json(calls).into_response()
}

/// `POST /__mock/reset`.
pub(crate) async fn reset(State(state): State<MockState>) -> StatusCode {
    state.reset();
    StatusCode::NO_CONTENT
}

fn refuse(message: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
}
