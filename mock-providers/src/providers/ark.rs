//! Volcengine Ark, Doubao Seedream / SeedEdit (§6):
//! `POST /api/v3/images/generations`, synchronous JSON with
//! `data[{url|b64_json, size}]` and `usage.generated_images`, or SSE
//! (`image_generation.partial_succeeded` / `partial_failed` / `completed`,
//! then `data: [DONE]`) with `stream: true`. Validation errors stay plain
//! 400 JSON even when streaming.

mod errors;
mod request;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use self::errors::{request_id, standard_message, ArkError};
use self::request::ArkRequest;
use crate::auth::KeyOutcome;
use crate::clock::now_secs;
use crate::ids::{random_string, HEX};
use crate::images::Picture;
use crate::ledger::Incoming;
use crate::sse;
use crate::state::MockState;
use crate::Provider;

/// One scripted Ark answer. JSON:
/// `{"provider":"ark","respond":"error","status":429,"code":"ModelAccountIpmRateLimitExceeded"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "respond", rename_all = "snake_case")]
pub enum ArkStep {
    /// The images. With `sequential_image_generation: "auto"`, `count`
    /// images (default 3, as in the doc's stream example, at most what the
    /// request allows); otherwise one. Images at `failed_indices` fail with
    /// `OutputImageSensitiveContentDetected`: a `partial_failed` event when
    /// streaming, an `{"error": …}` entry in `data` otherwise (UNCONFIRMED).
    Images {
        #[serde(default)]
        count: Option<u32>,
        #[serde(default)]
        failed_indices: Vec<u32>,
    },
    /// Any Ark error: `status` (4xx/5xx) and `code`; `message` defaults to
    /// the code's usual wording; `Retry-After` when `retry_after_secs` is
    /// set (whether Ark sends it is UNCONFIRMED).
    Error {
        status: u16,
        code: String,
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        retry_after_secs: Option<u64>,
    },
}

impl Default for ArkStep {
    fn default() -> Self {
        ArkStep::Images {
            count: None,
            failed_indices: Vec::new(),
        }
    }
}

impl ArkStep {
    pub(crate) fn check(&self) -> Result<(), String> {
        match self {
            ArkStep::Error { status, .. } if !(400..=599).contains(status) => {
                Err(format!("error status must be 4xx or 5xx, got {status}"))
            }
            ArkStep::Error {
                code,
                message: None,
                ..
            } if standard_message(code).is_none() => Err(format!(
                "no standard wording for code {code:?}; give a message"
            )),
            _ => Ok(()),
        }
    }
}

const DEFAULT_GROUP: u32 = 3;
const FAILURE_CODE: &str = "OutputImageSensitiveContentDetected";

pub(crate) fn routes() -> Router<MockState> {
    Router::new()
        .route("/api/v3/images/generations", post(generations))
        .fallback(|| async {
            ArkError::new(
                StatusCode::NOT_FOUND,
                "NotFound",
                "The requested resource was not found.",
            )
            .respond(&request_id())
        })
}

async fn generations(
    State(state): State<MockState>,
    Extension(incoming): Extension<Incoming>,
) -> Response {
    let id = request_id();
    match incoming.credentials.outcome() {
        KeyOutcome::Missing | KeyOutcome::Wrong => {
            return ArkError::new(
                StatusCode::UNAUTHORIZED,
                "AuthenticationError",
                standard_message("AuthenticationError").unwrap_or_default(),
            )
            .respond(&id)
        }
        KeyOutcome::Accepted | KeyOutcome::NotRequired => {}
    }
    let request = match request::parse(&incoming.payload) {
        Ok(request) => request,
        Err(error) => return error.respond(&id),
    };
    let (count, failed) = match state.next_step::<ArkStep>().await {
        ArkStep::Images {
            count,
            failed_indices,
        } => (count, failed_indices),
        ArkStep::Error {
            status,
            code,
            message,
            retry_after_secs,
        } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
            let message = message
                .or_else(|| standard_message(&code).map(str::to_owned))
                .unwrap_or_default();
            let mut error = ArkError::new(status, &code, message);
            error.retry_after_secs = retry_after_secs;
            return error.respond(&id);
        }
    };
    let count = if request.sequential {
        count.unwrap_or(DEFAULT_GROUP).clamp(1, request.max_images)
    } else {
        1
    };
    let images = Images {
        state,
        origin: incoming.origin.clone(),
        request,
        count,
        failed,
    };
    if images.request.stream {
        stream(images)
    } else {
        images.json().await
    }
}

/// A successful answer in the making.
struct Images {
    state: MockState,
    origin: String,
    request: ArkRequest,
    count: u32,
    failed: Vec<u32>,
}

impl Images {
    /// `Ok(item)` for image `index` (`{url|b64_json, size}`), `Err(error)`
    /// for a failed one.
    async fn image(&self, index: u32) -> Result<Value, Value> {
        if self.failed.contains(&index) {
            return Err(json!({"code": FAILURE_CODE,
                              "message": standard_message(FAILURE_CODE).unwrap_or_default()}));
        }
        let request = &self.request;
        let picture = self
            .state
            .picture(&request.prompt, index, request.width, request.height);
        let size = format!("{}x{}", request.width, request.height);
        Ok(if request.b64 {
            json!({"b64_json": picture.base64(request.format).await, "size": size})
        } else {
            json!({"url": self.publish(picture), "size": size})
        })
    }

    /// A TOS-style signed URL, valid for the documented 24 hours.
    fn publish(&self, picture: Picture) -> String {
        let format = self.request.format;
        let path = format!(
            "{}/ark-content-generation-cn-beijing/{}.{}",
            Provider::Ark.delivery_prefix(),
            random_string(HEX, 32),
            format.extension()
        );
        let files = self.state.files();
        files.publish_signed(&self.origin, path, picture, format, 86_400, |_, sig| {
            format!("X-Tos-Expires=86400&X-Tos-Signature={sig}")
        })
    }

    /// `generated_images` counts successes; tokens are about one per 256
    /// pixels (3104x1312 was billed 16280 in the doc's example).
    fn usage(&self, generated: u32) -> Value {
        let per_image = u64::from(self.request.width) * u64::from(self.request.height) / 256;
        let tokens = per_image * u64::from(generated);
        json!({"generated_images": generated, "output_tokens": tokens, "total_tokens": tokens})
    }

    async fn json(self) -> Response {
        let mut data = Vec::new();
        let mut generated = 0;
        for index in 0..self.count {
            match self.image(index).await {
                Ok(item) => {
                    generated += 1;
                    data.push(item);
                }
                Err(error) => data.push(json!({ "error": error })),
            }
        }
        Json(json!({
            "model": self.request.model,
            "created": now_secs(),
            "data": data,
            "usage": self.usage(generated),
        }))
        .into_response()
    }
}

/// §6.4: one event per finished image, `completed` with the usage, then
/// `data: [DONE]`. Compact one-line JSON per `data:` (the doc's
/// pretty-printed example is not valid SSE; real framing UNCONFIRMED).
fn stream(images: Images) -> Response {
    sse::stream(move |frames| async move {
        let model = images.request.model.clone();
        let mut generated = 0;
        for index in 0..images.count {
            let (name, mut event) = match images.image(index).await {
                Ok(item) => {
                    generated += 1;
                    ("image_generation.partial_succeeded", item)
                }
                Err(error) => ("image_generation.partial_failed", json!({ "error": error })),
            };
            event["type"] = json!(name);
            event["model"] = json!(model);
            event["created"] = json!(now_secs());
            event["image_index"] = json!(index);
            if !frames.send(Some(name), event.to_string()).await {
                return;
            }
        }
        let completed = json!({
            "type": "image_generation.completed",
            "model": model,
            "created": now_secs(),
            "usage": images.usage(generated),
        });
        if frames
            .send(Some("image_generation.completed"), completed.to_string())
            .await
        {
            frames.send(None, "[DONE]".to_owned()).await;
        }
    })
}
