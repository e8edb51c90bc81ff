//! OpenAI, at one base URL as the real service: the Responses API (§1, see
//! `responses`) and the Images API (§2): `POST /v1/images/generations` (JSON) and
//! `POST /v1/images/edits` (multipart `image`/`image[]`/`mask`, or JSON
//! `images[]`). GPT image models answer `data[].b64_json` plus `usage` (or
//! SSE with `stream: true`); dall-e models answer `data[].url` (plus
//! `revised_prompt` on dall-e-3) unless `response_format` is `b64_json`.

pub(crate) mod envelope;
mod request;
mod responses;

pub(crate) use responses::Store;

use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::{from_fn, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

use self::envelope::{incorrect_api_key, missing_api_key, ApiError};
use self::request::{Endpoint, Family, ImagesRequest};
use crate::auth::KeyOutcome;
use crate::clock::{iso_z, now_secs};
use crate::ids::{random_string, BASE64URL, HEX};
use crate::images::{ImageFormat, Picture};
use crate::ledger::Incoming;
use crate::sse;
use crate::state::MockState;
use crate::Provider;

/// One scripted OpenAI answer, for whichever of its APIs is called next. JSON:
/// `{"provider":"openai","respond":"rate_limited","retry_after_ms":1500}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "respond", rename_all = "snake_case")]
pub enum OpenAiStep {
    /// The images (what an empty queue answers); `image` also reads as this.
    #[default]
    #[serde(alias = "image")]
    Images,
    /// 429 `rate_limit_exceeded`, with `retry-after-ms` / `retry-after`
    /// headers when `retry_after_ms` is set.
    RateLimited {
        #[serde(default)]
        retry_after_ms: Option<u64>,
    },
    /// 429 `insufficient_quota` (not retryable).
    InsufficientQuota,
    /// 401 `invalid_api_key`, as if the presented key had been revoked.
    InvalidApiKey,
    /// 400 `moderation_blocked` with `moderation_details` (GPT image models).
    ModerationBlocked,
    /// 400 `content_policy_violation` (the DALL·E-era refusal).
    ContentPolicyViolation,
    /// 403: the organization must be verified to use the model.
    OrgNotVerified,
    /// 404 `model_not_found` for the requested model.
    ModelNotFound,
    /// 5xx `server_error`; `status` defaults to 500.
    ServerError {
        #[serde(default = "default_server_status")]
        status: u16,
    },
    /// Any error envelope, with any 4xx/5xx status and extra headers.
    Error {
        status: u16,
        #[serde(rename = "type")]
        kind: String,
        #[serde(default)]
        code: Option<String>,
        #[serde(default)]
        param: Option<String>,
        message: String,
        #[serde(default)]
        headers: BTreeMap<String, String>,
    },
    /// Responses API: HTTP 200 whose Response has `status: "failed"` and `error: {code,
    /// message}`. The Images API has no such answer and gives a `server_error` with the message.
    Failed {
        code: String,
        #[serde(default = "default_failed_message")]
        message: String,
    },
}

fn default_failed_message() -> String {
    "The image could not be generated.".to_owned()
}

/// What a step turns into once the request has been validated.
pub(crate) enum Outcome {
    Image,
    Failed { code: String, message: String },
    Error(ApiError),
}

fn default_server_status() -> u16 {
    500
}

impl OpenAiStep {
    pub(crate) fn check(&self) -> Result<(), String> {
        match self {
            OpenAiStep::ServerError { status } if !(500..=599).contains(status) => {
                Err(format!("server_error status must be 5xx, got {status}"))
            }
            OpenAiStep::Error {
                status, headers, ..
            } => {
                if !(400..=599).contains(status) {
                    return Err(format!("error status must be 4xx or 5xx, got {status}"));
                }
                for (name, value) in headers {
                    HeaderName::try_from(name.as_str())
                        .map_err(|_| format!("invalid header name {name:?}"))?;
                    HeaderValue::try_from(value.as_str())
                        .map_err(|_| format!("invalid value for header {name:?}"))?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// What this step answers. `image_model` is the model a rate limit or a verification
    /// quotes (the Images API's `model`, the Responses API's tool model); `asked_model` the
    /// request's own `model`, which `model_not_found` quotes.
    pub(crate) fn outcome(
        self,
        image_model: &str,
        asked_model: &str,
        presented_key: &str,
    ) -> Outcome {
        Outcome::Error(match self {
            OpenAiStep::Images => return Outcome::Image,
            OpenAiStep::Failed { code, message } => return Outcome::Failed { code, message },
            OpenAiStep::RateLimited { retry_after_ms } => rate_limited(image_model, retry_after_ms),
            OpenAiStep::InsufficientQuota => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "insufficient_quota",
                "You exceeded your current quota, please check your plan and billing details. \
                 For more information on this error, read the docs: \
                 https://platform.openai.com/docs/guides/error-codes/api-errors.",
            )
            .code("insufficient_quota"),
            OpenAiStep::InvalidApiKey => incorrect_api_key(presented_key),
            OpenAiStep::ModerationBlocked => ApiError::new(
                StatusCode::BAD_REQUEST,
                "image_generation_user_error",
                "Your request was rejected by the safety system. If you believe this is an \
                 error, contact us at help.openai.com and include the request ID \
                 b68e1d8f-0000-4000-8000-000000000000. safety_violations=[sexual].",
            )
            .code("moderation_blocked")
            .detail(
                "moderation_details",
                json!({"moderation_stage": "output", "categories": ["sexual"]}),
            ),
            OpenAiStep::ContentPolicyViolation => ApiError::invalid_request(
                "Your request was rejected as a result of our safety system. Your prompt may \
                 contain text that is not allowed by our safety system.",
            )
            .code("content_policy_violation"),
            OpenAiStep::OrgNotVerified => ApiError::new(
                StatusCode::FORBIDDEN,
                "invalid_request_error",
                format!(
                    "Your organization must be verified to use the model `{}`. Please go to: \
                     https://platform.openai.com/settings/organization/general and click on \
                     Verify Organization. If you just verified, it can take up to 15 minutes \
                     for access to propagate.",
                    image_model
                ),
            ),
            OpenAiStep::ModelNotFound => envelope::model_not_found(asked_model),
            OpenAiStep::ServerError { status } => ApiError::new(
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                "server_error",
                "The server had an error while processing your request. Sorry about that!",
            ),
            OpenAiStep::Error {
                status,
                kind,
                code,
                param,
                message,
                headers,
            } => {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
                let mut error = ApiError::new(status, &kind, message);
                if let Some(code) = code {
                    error = error.code(code);
                }
                if let Some(param) = param {
                    error = error.param(param);
                }
                for (name, value) in headers {
                    if let (Ok(name), Ok(value)) =
                        (HeaderName::try_from(name), HeaderValue::try_from(value))
                    {
                        error = error.header(name, value);
                    }
                }
                error
            }
        })
    }
}

/// The presented key, or the 401 OpenAI sends for a missing or wrong one.
fn authorized(incoming: &Incoming) -> Result<String, ApiError> {
    let presented = incoming.credentials.key.clone().unwrap_or_default();
    match incoming.credentials.outcome() {
        KeyOutcome::Missing => Err(missing_api_key()),
        KeyOutcome::Wrong => Err(incorrect_api_key(&presented)),
        KeyOutcome::Accepted | KeyOutcome::NotRequired => Ok(presented),
    }
}

fn rate_limited(model: &str, retry_after_ms: Option<u64>) -> ApiError {
    let wait = retry_after_ms.map_or_else(
        || "Please try again later.".to_owned(),
        |ms| format!("Please try again in {}s.", ms as f64 / 1000.0),
    );
    let mut error = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "requests",
        format!(
            "Rate limit reached for {model} in organization org-mock on images per min (IPM): \
             Limit 5, Used 5, Requested 1. {wait} Visit \
             https://platform.openai.com/account/rate-limits to learn more."
        ),
    )
    .code("rate_limit_exceeded");
    if let Some(ms) = retry_after_ms {
        // `retry-after` is whole seconds, rounded up: waiting less than asked
        // would only earn another 429.
        error = error
            .header(
                HeaderName::from_static("retry-after-ms"),
                HeaderValue::from(ms),
            )
            .header(
                HeaderName::from_static("retry-after"),
                HeaderValue::from(ms.div_ceil(1000)),
            );
    }
    error
}

pub(crate) fn routes() -> Router<MockState> {
    Router::new()
        .route("/v1/images/generations", post(generations))
        .route("/v1/images/edits", post(edits))
        .route("/v1/responses", post(responses::create))
        .route("/v1/responses/{id}", get(responses::get))
        .fallback(envelope::invalid_url)
        .method_not_allowed_fallback(envelope::invalid_url)
        .layer(from_fn(stamp_headers))
}

/// The headers every recorded OpenAI answer carries (§2.2).
async fn stamp_headers(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if let Ok(id) = HeaderValue::try_from(format!("req_{}", random_string(HEX, 32))) {
        headers.insert("x-request-id", id);
    }
    headers.insert("openai-version", HeaderValue::from_static("2020-10-01"));
    headers.insert(
        "openai-processing-ms",
        HeaderValue::from(started.elapsed().as_millis() as u64),
    );
    response
}

async fn generations(state: State<MockState>, incoming: Extension<Incoming>) -> Response {
    answer(state, incoming, Endpoint::Generations).await
}

async fn edits(state: State<MockState>, incoming: Extension<Incoming>) -> Response {
    answer(state, incoming, Endpoint::Edits).await
}

async fn answer(
    State(state): State<MockState>,
    Extension(incoming): Extension<Incoming>,
    endpoint: Endpoint,
) -> Response {
    let presented_key = match authorized(&incoming) {
        Ok(key) => key,
        Err(refusal) => return refusal.into_response(),
    };
    let request = match request::parse(&incoming.payload, endpoint) {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    // Why only now: a request OpenAI would refuse never reaches the model,
    // so it must not use up a scripted reply either.
    let (step, delay) = state.take_step::<OpenAiStep>();
    // A stream spends its delay drawing, between its events, as the real
    // service sends previews while it works; any other answer waits first.
    if !(request.stream && step == OpenAiStep::Images) {
        tokio::time::sleep(delay).await;
    }
    match step.outcome(&request.model, &request.model, &presented_key) {
        Outcome::Image => {}
        Outcome::Error(error) => return error.into_response(),
        Outcome::Failed { message, .. } => {
            let status = StatusCode::INTERNAL_SERVER_ERROR;
            return ApiError::new(status, "server_error", message).into_response();
        }
    }
    // `stream` is a GPT-only parameter, refused for dall-e by the checks.
    if request.stream {
        stream(state, request, delay)
    } else {
        Json(images(&state, &incoming.origin, &request).await).into_response()
    }
}

/// The `ImagesResponse` body.
async fn images(state: &MockState, origin: &str, request: &ImagesRequest) -> Value {
    let mut data = Vec::new();
    for index in 0..request.n {
        let picture = state.picture(&request.prompt, index, request.width, request.height);
        let mut item = if request.b64 {
            json!({"b64_json": picture.base64(request.format).await})
        } else {
            json!({"url": publish(state, origin, picture)})
        };
        if request.family == Family::DallE3 {
            item["revised_prompt"] = json!(format!("A detailed rendering of: {}", request.prompt));
        }
        data.push(item);
    }
    let mut body = json!({"created": now_secs(), "data": data});
    if request.family == Family::Gpt {
        for (key, value) in echoes(request) {
            body[key] = value;
        }
        body["usage"] = usage(request, request.n);
    }
    body
}

/// `background`, `output_format`, `quality`, `size`: GPT models only.
fn echoes(request: &ImagesRequest) -> [(&'static str, Value); 4] {
    [
        ("background", json!(request.background)),
        ("output_format", json!(request.format.extension())),
        ("quality", json!(request.quality)),
        (
            "size",
            json!(format!("{}x{}", request.width, request.height)),
        ),
    ]
}

/// Made-up but plausible token counts: about four characters a text token,
/// a flat 323 tokens per input image (UNCONFIRMED), and output image tokens
/// from gpt-image-1's published per-quality figures for a square megapixel.
fn usage(request: &ImagesRequest, images: u32) -> Value {
    let text_tokens = request.prompt.chars().count().div_ceil(4) as u64;
    let image_tokens = 323 * u64::from(request.input_images);
    let per_megapixel = match request.quality {
        "low" => 272,
        "medium" => 1056,
        _ => 4160,
    };
    let pixels = u64::from(request.width) * u64::from(request.height);
    let output = per_megapixel * pixels / (1024 * 1024) * u64::from(images);
    json!({
        "total_tokens": text_tokens + image_tokens + output,
        "input_tokens": text_tokens + image_tokens,
        "output_tokens": output,
        "input_tokens_details": {"text_tokens": text_tokens, "image_tokens": image_tokens},
        "output_tokens_details": {"image_tokens": output, "text_tokens": 0},
    })
}

/// A DALL·E-style signed blob URL, valid for the documented 60 minutes.
fn publish(state: &MockState, origin: &str, picture: Picture) -> String {
    let path = format!(
        "{}/private/org-mock/user-mock/img-{}.png",
        Provider::OpenAi.delivery_prefix(),
        random_string(BASE64URL, 24)
    );
    let stamp = |secs: u64| iso_z(secs).replace(':', "%3A");
    state.files().publish_signed(
        origin,
        path,
        picture,
        ImageFormat::Png,
        3600,
        |expires_at, sig| {
            format!(
                "st={}&se={}&sp=r&sv=2024-08-04&sr=b&rscd=inline&rsct=image/png&sig={sig}",
                stamp(expires_at - 3600),
                stamp(expires_at)
            )
        },
    )
}

/// §2.3: per image, `partial_images` partial events then a completed one,
/// with `drawing` spread evenly before them. With n > 1 the real framing is
/// UNCONFIRMED; each image gets its own sequence here. No `data: [DONE]`
/// follows (also UNCONFIRMED, §0.2).
fn stream(state: MockState, request: ImagesRequest, drawing: Duration) -> Response {
    let prefix = match request.endpoint {
        Endpoint::Generations => "image_generation",
        Endpoint::Edits => "image_edit",
    };
    sse::stream(move |frames| async move {
        let created_at = now_secs();
        let mut common = json!({"created_at": created_at});
        for (key, value) in echoes(&request) {
            common[key] = value;
        }
        for index in 0..request.n {
            let picture = state.picture(&request.prompt, index, request.width, request.height);
            let b64_json = picture.base64(request.format).await;
            let partials = (0..request.partial_images)
                .map(|partial| ("partial_image", json!({"partial_image_index": partial})));
            let completed = ("completed", json!({"usage": usage(&request, 1)}));
            let gap = drawing / (request.partial_images + 1) / request.n;
            for (kind, extra) in partials.chain([completed]) {
                tokio::time::sleep(gap).await;
                let name = format!("{prefix}.{kind}");
                let mut event = common.clone();
                event["type"] = json!(name);
                event["b64_json"] = json!(b64_json);
                if let (Some(event), Value::Object(extra)) = (event.as_object_mut(), extra) {
                    event.extend(extra);
                }
                if !frames.send(Some(&name), event.to_string()).await {
                    return;
                }
            }
        }
    })
}
