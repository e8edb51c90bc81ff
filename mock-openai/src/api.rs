//! Handlers for the OpenAI routes: `POST /v1/responses` and
//! `GET /v1/responses/{id}`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::prelude::{Engine, BASE64_STANDARD};
use mock_providers::png_for;

use crate::auth::authorize;
use crate::envelope::{internal, response_not_found, ApiError};
use crate::ids::hex_id;
use crate::response::{completed, failed, revised_prompt, with_result};
use crate::script::{Outcome, StepContext};
use crate::state::{MockState, StoredImage, StoredResponse};
use crate::stream;
use crate::validate::validate;

pub(crate) async fn create_response(
    State(state): State<MockState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let key = authorize(&headers, state.config().api_key.as_deref())?;
    let request = validate(&body, &state.store())?;
    // Why only now: a request OpenAI would reject never reaches the model, so
    // it must not use up a scripted reply either.
    let step = state.next_step();
    let context = StepContext {
        presented_key: &key,
        model: &request.model,
        tool_model: &request.tool.model,
    };
    // A stream spends the delay drawing, between its previews, as the real
    // service does; any other answer waits first.
    let drawing = step.delay();
    let outcome = step.outcome(&context);
    if !(request.stream && matches!(outcome, Outcome::Image)) {
        tokio::time::sleep(drawing).await;
    }
    let response_id = hex_id("resp_", 24);
    match outcome {
        Outcome::Error(error) => Err(error),
        Outcome::Failed { code, message } => {
            let body = failed(&request, &response_id, &code, &message);
            if request.store {
                let stored = StoredResponse {
                    body: body.clone(),
                    image: None,
                };
                state.remember(response_id, None, stored);
            }
            if request.stream {
                return Ok(stream::failed(body));
            }
            Ok(Json(body).into_response())
        }
        Outcome::Image => {
            let call_id = hex_id("ig_", 24);
            let image = StoredImage {
                revised_prompt: revised_prompt(&request),
                width: request.tool.width,
                height: request.tool.height,
            };
            let result = render_base64(&state, image.clone()).await?;
            let body = completed(&request, &response_id, &call_id, &image.revised_prompt);
            if request.store {
                let stored = StoredResponse {
                    body: body.clone(),
                    image: Some(image),
                };
                state.remember(response_id, Some(&call_id), stored);
            }
            let body = with_result(body, result);
            if request.stream {
                let previews = request.tool.partial_images;
                return Ok(stream::completed(body, previews, drawing));
            }
            Ok(Json(body).into_response())
        }
    }
}

pub(crate) async fn get_response(
    State(state): State<MockState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&headers, state.config().api_key.as_deref())?;
    let (body, image) = state
        .stored_response(&id)
        .ok_or_else(|| response_not_found(&id))?;
    let body = match image {
        // Rendering is deterministic, so this matches what the POST returned.
        Some(image) => with_result(body, render_base64(&state, image).await?),
        None => body,
    };
    Ok(Json(body).into_response())
}

/// Encodes on the blocking pool: large or padded images take long enough to
/// stall other requests on the async workers.
async fn render_base64(state: &MockState, image: StoredImage) -> Result<String, ApiError> {
    let padding = state.config().image_padding_bytes;
    tokio::task::spawn_blocking(move || {
        let png = png_for(&image.revised_prompt, image.width, image.height, padding);
        BASE64_STANDARD.encode(png)
    })
    .await
    .map_err(|error| internal(format!("image task failed: {error}")))
}
