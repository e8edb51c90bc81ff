//! OpenAI's Responses API with the `image_generation` tool (§1): `POST /v1/responses` (JSON, or
//! server-sent events with `stream: true`) and `GET /v1/responses/{id}`. Responses stored with
//! `store` on are kept, so a refinement can name them in `previous_response_id` or point at
//! their image calls. Scripted with the same [`OpenAiStep`]s as the Images API; `failed` answers
//! a Response whose `status` is `failed`.

mod body;
mod stream;
mod validate;

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::Value;

use self::body::{completed, failed, revised_prompt, with_result};
use self::validate::validate;
use super::envelope::ApiError;
use super::{OpenAiStep, Outcome};
use crate::ids::hex_id;
use crate::images::ImageFormat;
use crate::ledger::Incoming;
use crate::state::MockState;

/// Responses and image calls issued with `store` on, for `GET` and for `previous_response_id` /
/// `image_generation_call` references.
#[derive(Default)]
pub(crate) struct Store {
    responses: HashMap<String, StoredResponse>,
    /// Image-call id → revised prompt.
    image_calls: HashMap<String, String>,
}

struct StoredResponse {
    /// The Response JSON without the image bytes (see [`StoredImage`]).
    body: Value,
    image: Option<StoredImage>,
}

/// Enough to draw the picture again on `GET`. Why not keep the base64: with benchmark padding
/// each picture is ~2 MB and benchmarks issue thousands.
#[derive(Clone)]
struct StoredImage {
    revised_prompt: String,
    width: u32,
    height: u32,
}

impl Store {
    /// `None`: never issued. `Some(None)`: issued without an image (failed).
    pub(crate) fn response_prompt(&self, response_id: &str) -> Option<Option<&str>> {
        self.responses.get(response_id).map(|stored| {
            stored
                .image
                .as_ref()
                .map(|image| image.revised_prompt.as_str())
        })
    }

    pub(crate) fn image_call_prompt(&self, call_id: &str) -> Option<&str> {
        self.image_calls.get(call_id).map(String::as_str)
    }

    fn remember(&mut self, id: String, call_id: Option<&str>, stored: StoredResponse) {
        if let (Some(call_id), Some(image)) = (call_id, &stored.image) {
            self.image_calls
                .insert(call_id.to_owned(), image.revised_prompt.clone());
        }
        self.responses.insert(id, stored);
    }
}

pub(super) async fn create(
    State(state): State<MockState>,
    Extension(incoming): Extension<Incoming>,
) -> Response {
    let presented_key = match super::authorized(&incoming) {
        Ok(key) => key,
        Err(refusal) => return refusal.into_response(),
    };
    let request = match validate(&incoming.payload, &state.responses()) {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    // Why only now: a request OpenAI would refuse never reaches the model, so it must not use
    // up a scripted reply either.
    let (step, drawing) = state.take_step::<OpenAiStep>();
    // A stream spends the delay drawing, between its previews, as the real service does; any
    // other answer waits first.
    if !(request.stream && step == OpenAiStep::Images) {
        tokio::time::sleep(drawing).await;
    }
    let response_id = hex_id("resp_", 24);
    match step.outcome(&request.tool.model, &request.model, &presented_key) {
        Outcome::Error(error) => error.into_response(),
        Outcome::Failed { code, message } => {
            let body = failed(&request, &response_id, &code, &message);
            if request.store {
                let stored = StoredResponse {
                    body: body.clone(),
                    image: None,
                };
                state.responses().remember(response_id, None, stored);
            }
            if request.stream {
                return stream::failed(body);
            }
            Json(body).into_response()
        }
        Outcome::Image => {
            let call_id = hex_id("ig_", 24);
            let image = StoredImage {
                revised_prompt: revised_prompt(&request),
                width: request.tool.width,
                height: request.tool.height,
            };
            let result = draw_base64(&state, &image).await;
            let body = completed(&request, &response_id, &call_id, &image.revised_prompt);
            if request.store {
                let stored = StoredResponse {
                    body: body.clone(),
                    image: Some(image),
                };
                state
                    .responses()
                    .remember(response_id, Some(&call_id), stored);
            }
            let body = with_result(body, result);
            if request.stream {
                return stream::completed(body, request.tool.partial_images, drawing);
            }
            Json(body).into_response()
        }
    }
}

pub(super) async fn get(
    State(state): State<MockState>,
    Extension(incoming): Extension<Incoming>,
    Path(id): Path<String>,
) -> Response {
    if let Err(refusal) = super::authorized(&incoming) {
        return refusal.into_response();
    }
    let stored = state
        .responses()
        .responses
        .get(&id)
        .map(|stored| (stored.body.clone(), stored.image.clone()));
    let Some((body, image)) = stored else {
        return not_found(&id).into_response();
    };
    let body = match image {
        // Drawing is deterministic, so this matches what the POST returned.
        Some(image) => with_result(body, draw_base64(&state, &image).await),
        None => body,
    };
    Json(body).into_response()
}

async fn draw_base64(state: &MockState, image: &StoredImage) -> String {
    let picture = state.picture(&image.revised_prompt, 0, image.width, image.height);
    picture.base64(ImageFormat::Png).await
}

/// 404 from `GET /v1/responses/{id}` for an id that was never stored.
fn not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        format!("Response with id '{id}' not found."),
    )
}
