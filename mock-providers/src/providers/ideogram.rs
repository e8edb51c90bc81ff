//! Ideogram 3.0 (§5): `POST /v1/ideogram-v3/generate`, multipart or JSON,
//! key in `Api-Key`. Answers carry an ISO `created` and signed, expiring
//! image URLs served by the mock; an in-flight limit counted in images is
//! enforced. Error bodies are `{"error": …}` (plus `reject_reason` on 402
//! and 429); only the 422 and 429 shapes are documented, the rest follow
//! them (UNCONFIRMED).

mod request;

use std::sync::Mutex;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use self::request::MAX_SEED;
use crate::auth::KeyOutcome;
use crate::clock::{iso_offset, now_secs};
use crate::ids::{random_string, BASE64URL};
use crate::images::{ImageFormat, Picture};
use crate::ledger::Incoming;
use crate::state::{lock, MockState};
use crate::Provider;

/// One scripted Ideogram answer. JSON: `{"provider":"ideogram","respond":"images","unsafe_indices":[1]}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "respond", rename_all = "snake_case")]
pub enum IdeogramStep {
    /// The images. Those at `unsafe_indices` come back with
    /// `is_image_safe: false` and `url: null` (still billed upstream).
    /// `url_ttl_secs` overrides [`crate::MockConfig::ideogram_url_ttl_secs`];
    /// 0 issues URLs that have already expired.
    Images {
        #[serde(default)]
        unsafe_indices: Vec<u32>,
        #[serde(default)]
        url_ttl_secs: Option<u64>,
    },
    /// 422, the prompt failed the safety check.
    SafetyRejected,
    /// 429 `inflight_limit`, as if other requests held every slot.
    InflightLimit,
    /// 402 `insufficient_funds`.
    InsufficientFunds,
    /// 402 `daily_limit`.
    DailyLimit,
    /// 401, as for a revoked key.
    Unauthorized,
    /// 403, no access to the endpoint.
    Forbidden,
    /// Any 5xx; 500 by default.
    ServerError {
        #[serde(default = "default_server_status")]
        status: u16,
    },
}

impl Default for IdeogramStep {
    fn default() -> Self {
        IdeogramStep::Images {
            unsafe_indices: Vec::new(),
            url_ttl_secs: None,
        }
    }
}

fn default_server_status() -> u16 {
    500
}

impl IdeogramStep {
    pub(crate) fn check(&self) -> Result<(), String> {
        match self {
            IdeogramStep::ServerError { status } if !(500..=599).contains(status) => {
                Err(format!("server_error status must be 5xx, got {status}"))
            }
            _ => Ok(()),
        }
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn rejected(status: StatusCode, message: &str, reason: &str) -> Response {
    (
        status,
        Json(json!({ "error": message, "reject_reason": reason })),
    )
        .into_response()
}

fn unauthorized() -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        "Invalid or missing Api-Key header.",
    )
}

fn inflight_limit(max: u32) -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        Json(json!({
            "error": format!(
                "Too many images in flight: at most {max} may be generating at once for your \
                 organization. Please retry when some complete."
            ),
            "reject_reason": "inflight_limit",
            "max_inflight_requests": max,
            // Meaning and unit UNCONFIRMED (the doc elides the value).
            "task_completion_speed": 1.0,
        })),
    )
        .into_response()
}

/// Images being generated right now, against the organisation's limit.
pub(crate) struct InFlight {
    max: u32,
    used: Mutex<u32>,
}

impl InFlight {
    pub(crate) fn new(max: u32) -> InFlight {
        InFlight {
            max,
            used: Mutex::new(0),
        }
    }
}

/// Slots held by one request; given back when it ends, however it ends.
struct Slots {
    state: MockState,
    count: u32,
}

impl Slots {
    fn take(state: &MockState, count: u32) -> Option<Slots> {
        let in_flight = state.ideogram_in_flight();
        let mut used = lock(&in_flight.used);
        if *used + count > in_flight.max {
            return None;
        }
        *used += count;
        Some(Slots {
            state: state.clone(),
            count,
        })
    }
}

impl Drop for Slots {
    fn drop(&mut self) {
        *lock(&self.state.ideogram_in_flight().used) -= self.count;
    }
}

pub(crate) fn routes() -> Router<MockState> {
    Router::new()
        .route("/v1/ideogram-v3/generate", post(generate))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "Not Found") })
}

async fn generate(
    State(state): State<MockState>,
    Extension(incoming): Extension<Incoming>,
) -> Response {
    match incoming.credentials.outcome() {
        KeyOutcome::Missing | KeyOutcome::Wrong => return unauthorized(),
        KeyOutcome::Accepted | KeyOutcome::NotRequired => {}
    }
    let request = match request::parse(&incoming.payload) {
        Ok(request) => request,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let max = state.config().ideogram_max_inflight_images;
    let Some(_slots) = Slots::take(&state, request.num_images) else {
        return inflight_limit(max);
    };
    let (unsafe_indices, url_ttl_secs) = match state.next_step::<IdeogramStep>().await {
        IdeogramStep::Images {
            unsafe_indices,
            url_ttl_secs,
        } => (unsafe_indices, url_ttl_secs),
        IdeogramStep::SafetyRejected => {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Prompt provided failed safety check due to the inclusion of prohibited content.",
            )
        }
        IdeogramStep::InflightLimit => return inflight_limit(max),
        IdeogramStep::InsufficientFunds => {
            return rejected(
                StatusCode::PAYMENT_REQUIRED,
                "Insufficient funds: please top up your API balance.",
                "insufficient_funds",
            )
        }
        IdeogramStep::DailyLimit => {
            return rejected(
                StatusCode::PAYMENT_REQUIRED,
                "Daily spending limit reached.",
                "daily_limit",
            )
        }
        IdeogramStep::Unauthorized => return unauthorized(),
        IdeogramStep::Forbidden => {
            return error(
                StatusCode::FORBIDDEN,
                "You do not have access to this endpoint.",
            )
        }
        IdeogramStep::ServerError { status } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return error(status, "Internal server error.");
        }
    };
    let ttl = url_ttl_secs.unwrap_or(state.config().ideogram_url_ttl_secs);
    let data: Vec<Value> = (0..request.num_images)
        .map(|index| {
            let safe = !unsafe_indices.contains(&index);
            let picture = state.picture(&request.prompt, index, request.width, request.height);
            let url = safe.then(|| publish(&state, &incoming.origin, picture, ttl));
            json!({
                "url": url,
                "prompt": request.shown_prompt,
                "resolution": format!("{}x{}", request.width, request.height),
                "is_image_safe": safe,
                "seed": (request.seed + u64::from(index)) % (MAX_SEED + 1),
                "style_type": request.style_type,
            })
        })
        .collect();
    Json(json!({"created": iso_offset(now_secs()), "data": data})).into_response()
}

/// A signed URL on the mock's stand-in for `ideogram.ai/api/images/ephemeral`.
fn publish(state: &MockState, origin: &str, picture: Picture, ttl_secs: u64) -> String {
    let path = format!(
        "{}/api/images/ephemeral/{}.png",
        Provider::Ideogram.delivery_prefix(),
        random_string(BASE64URL, 22)
    );
    state.files().publish_signed(
        origin,
        path,
        picture,
        ImageFormat::Png,
        ttl_secs,
        |exp, sig| format!("exp={exp}&sig={sig}"),
    )
}
