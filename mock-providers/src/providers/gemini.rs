//! Gemini image output (§3): `POST /v1beta/models/{model}:generateContent`
//! with the key in `x-goog-api-key` (or `?key=`). Requests may use
//! snake_case or camelCase; answers are camelCase with the image as an
//! `inlineData` part beside a text part. Refusals come as HTTP 200
//! (`promptFeedback.blockReason`, or a `finishReason` without an image);
//! errors use the google.rpc.Status envelope.

mod request;
mod status;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use self::request::{model, Model, Request};
use self::status::{api_key_invalid, google_json, model_not_found, rate_limited, Status};
use crate::auth::KeyOutcome;
use crate::ids::{random_string, BASE64URL};
use crate::ledger::Incoming;
use crate::state::MockState;

/// One scripted Gemini answer. JSON: `{"provider":"gemini","respond":"blocked","block_reason":"SAFETY"}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "respond", rename_all = "snake_case")]
pub enum GeminiStep {
    /// Text and image (what an empty queue answers).
    #[default]
    Image,
    /// The model answers with text only: `finishReason: STOP`, no image.
    TextOnly,
    /// HTTP 200, no candidates, `promptFeedback.blockReason`.
    Blocked {
        #[serde(default = "default_block_reason")]
        block_reason: String,
    },
    /// HTTP 200, a candidate with `finishReason` (e.g. `IMAGE_SAFETY`,
    /// `NO_IMAGE`) and no image; `text` adds a text part.
    NoImage {
        #[serde(default = "default_finish_reason")]
        finish_reason: String,
        #[serde(default)]
        text: Option<String>,
    },
    /// 429 `RESOURCE_EXHAUSTED` with a `RetryInfo` detail.
    RateLimited {
        #[serde(default = "default_retry_delay_ms")]
        retry_delay_ms: u64,
    },
    /// 400 `INVALID_ARGUMENT` / `API_KEY_INVALID`, as for a revoked key.
    InvalidApiKey,
    /// 403 `PERMISSION_DENIED` (message UNCONFIRMED).
    PermissionDenied,
    /// 404 `NOT_FOUND` for the requested model.
    ModelNotFound,
    /// 500 `INTERNAL` (message UNCONFIRMED).
    Internal,
    /// 503 `UNAVAILABLE`, "The model is overloaded."
    Unavailable,
}

fn default_block_reason() -> String {
    "PROHIBITED_CONTENT".to_owned()
}

fn default_finish_reason() -> String {
    "NO_IMAGE".to_owned()
}

fn default_retry_delay_ms() -> u64 {
    47_000
}

const BLOCK_REASONS: &[&str] = &[
    "BLOCKED_REASON_UNSPECIFIED",
    "SAFETY",
    "OTHER",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "IMAGE_SAFETY",
];
/// `FinishReason` values that leave a candidate without an image (STOP
/// with text only is [`GeminiStep::TextOnly`]).
const FINISH_REASONS: &[&str] = &[
    "MAX_TOKENS",
    "SAFETY",
    "RECITATION",
    "PROHIBITED_CONTENT",
    "BLOCKLIST",
    "SPII",
    "OTHER",
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
    "IMAGE_RECITATION",
    "IMAGE_OTHER",
    "NO_IMAGE",
    "LANGUAGE",
    "MALFORMED_FUNCTION_CALL",
    "UNEXPECTED_TOOL_CALL",
    "TOO_MANY_TOOL_CALLS",
    "FINISH_REASON_UNSPECIFIED",
];

impl GeminiStep {
    pub(crate) fn check(&self) -> Result<(), String> {
        match self {
            GeminiStep::Blocked { block_reason }
                if !BLOCK_REASONS.contains(&block_reason.as_str()) =>
            {
                Err(format!("unknown blockReason {block_reason:?}"))
            }
            GeminiStep::NoImage { finish_reason, .. }
                if !FINISH_REASONS.contains(&finish_reason.as_str()) =>
            {
                Err(format!(
                    "finishReason {finish_reason:?} is not one without an image"
                ))
            }
            _ => Ok(()),
        }
    }
}
/// Output image tokens per image (§3.2: 1290 for every ratio on 2.5-flash;
/// the same figure is used for Gemini 3, UNCONFIRMED).
const IMAGE_TOKENS: u64 = 1290;

pub(crate) fn routes() -> Router<MockState> {
    Router::new()
        .route("/v1beta/models/{target}", post(generate_content))
        .fallback(|| async { Status::new(StatusCode::NOT_FOUND, "NOT_FOUND", "Method not found.") })
}

async fn generate_content(
    State(state): State<MockState>,
    Extension(incoming): Extension<Incoming>,
    Path(target): Path<String>,
) -> Response {
    // Streaming (`:streamGenerateContent`) is not imitated (§3.6's chunking
    // is UNCONFIRMED).
    let Some(model_name) = target.strip_suffix(":generateContent") else {
        return Status::new(StatusCode::NOT_FOUND, "NOT_FOUND", "Method not found.")
            .into_response();
    };
    match incoming.credentials.outcome() {
        // Not in providers.md: the live API's wording for a call without
        // any key, from memory (UNCONFIRMED).
        KeyOutcome::Missing => {
            return Status::new(
                StatusCode::FORBIDDEN,
                "PERMISSION_DENIED",
                "Method doesn't allow unregistered callers (callers without established \
                 identity). Please use API Key or other form of API consumer identity to call \
                 this API.",
            )
            .into_response()
        }
        KeyOutcome::Wrong => return api_key_invalid().into_response(),
        KeyOutcome::Accepted | KeyOutcome::NotRequired => {}
    }
    let Some(model) = model(model_name) else {
        return model_not_found(model_name).into_response();
    };
    let request = match request::parse(&incoming.payload, &model) {
        Ok(request) => request,
        Err(status) => return status.into_response(),
    };
    let step = state.next_step::<GeminiStep>().await;
    answer(&state, step, model_name, &model, &request).await
}

async fn answer(
    state: &MockState,
    step: GeminiStep,
    model_name: &str,
    model: &Model,
    request: &Request,
) -> Response {
    let reply_text = format!("Here is the image you asked for: {}", request.prompt);
    let text_part = |text: String| json!({"text": text});
    let answered = |body: Value, output: Output| request.answer(body, model_name, output);
    match step {
        GeminiStep::Image if request.wants_image => {
            let picture = state.picture(&request.prompt, 0, request.width, request.height);
            let image = json!({"inlineData": {"mimeType": model.format.mime(),
                                              "data": picture.base64(model.format).await}});
            let mut parts = Vec::new();
            let mut output = Output {
                text: 0,
                image: IMAGE_TOKENS,
            };
            if request.wants_text {
                output.text = text_tokens(&reply_text);
                parts.push(text_part(reply_text));
            }
            parts.push(image);
            answered(candidate(parts, "STOP"), output)
        }
        // Text-only answers, asked for (`responseModalities: ["TEXT"]`) or scripted.
        GeminiStep::Image | GeminiStep::TextOnly => {
            let output = Output {
                text: text_tokens(&reply_text),
                image: 0,
            };
            answered(candidate(vec![text_part(reply_text)], "STOP"), output)
        }
        GeminiStep::Blocked { block_reason } => answered(
            json!({"promptFeedback": {
                "blockReason": block_reason,
                // Wording UNCONFIRMED; the doc elides it.
                "blockReasonMessage": "The prompt was blocked by the safety system.",
                "safetyRatings": [
                    {"category": "HARM_CATEGORY_SEXUALLY_EXPLICIT", "probability": "NEGLIGIBLE"},
                    {"category": "HARM_CATEGORY_HATE_SPEECH", "probability": "NEGLIGIBLE"},
                    {"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"},
                    {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "NEGLIGIBLE"},
                ],
            }}),
            Output::NONE,
        ),
        GeminiStep::NoImage {
            finish_reason,
            text,
        } => {
            let output = Output {
                text: text.as_deref().map_or(0, text_tokens),
                image: 0,
            };
            let parts = text.map(text_part).into_iter().collect();
            answered(candidate(parts, &finish_reason), output)
        }
        GeminiStep::RateLimited { retry_delay_ms } => {
            rate_limited(model_name, retry_delay_ms).into_response()
        }
        GeminiStep::InvalidApiKey => api_key_invalid().into_response(),
        GeminiStep::PermissionDenied => Status::new(
            StatusCode::FORBIDDEN,
            "PERMISSION_DENIED",
            "The caller does not have permission",
        )
        .into_response(),
        GeminiStep::ModelNotFound => model_not_found(model_name).into_response(),
        GeminiStep::Internal => Status::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            "An internal error has occurred. Please retry or report in \
             https://developers.generativeai.google/guide/troubleshooting",
        )
        .into_response(),
        GeminiStep::Unavailable => Status::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "UNAVAILABLE",
            "The model is overloaded. Please try again later.",
        )
        .into_response(),
    }
}

/// One candidate; a stopped candidate may have no content at all (§3.4).
fn candidate(parts: Vec<Value>, finish_reason: &str) -> Value {
    let mut candidate = json!({"finishReason": finish_reason, "index": 0});
    if !parts.is_empty() {
        candidate["content"] = json!({"role": "model", "parts": parts});
    }
    json!({"candidates": [candidate]})
}

/// About four characters a token.
fn text_tokens(text: &str) -> u64 {
    text.chars().count().div_ceil(4) as u64
}

/// Output token counts of an answer.
#[derive(Clone, Copy)]
struct Output {
    text: u64,
    image: u64,
}

impl Output {
    const NONE: Output = Output { text: 0, image: 0 };
}

/// Tokens Gemini counts for each input image.
const INPUT_IMAGE_TOKENS: u64 = 258;

impl Request {
    /// `body` plus `modelVersion`, `responseId` and `usageMetadata`.
    fn answer(&self, mut body: Value, model_name: &str, output: Output) -> Response {
        let text = text_tokens(&self.prompt);
        let images = INPUT_IMAGE_TOKENS * self.input_images;
        let mut prompt_details = vec![json!({"modality": "TEXT", "tokenCount": text})];
        if images > 0 {
            prompt_details.push(json!({"modality": "IMAGE", "tokenCount": images}));
        }
        let candidates = output.text + output.image;
        let mut usage = json!({
            "promptTokenCount": text + images,
            "totalTokenCount": text + images + candidates,
            "promptTokensDetails": prompt_details,
        });
        if candidates > 0 {
            usage["candidatesTokenCount"] = json!(candidates);
        }
        if output.image > 0 {
            usage["candidatesTokensDetails"] =
                json!([{"modality": "IMAGE", "tokenCount": output.image}]);
        }
        body["modelVersion"] = json!(model_name);
        body["responseId"] = json!(random_string(BASE64URL, 22));
        body["usageMetadata"] = usage;
        google_json(StatusCode::OK, &body)
    }
}
