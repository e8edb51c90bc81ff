//! Replicate predictions for FLUX (§4): create (201, optionally waiting
//! with `Prefer: wait`), poll, cancel. Outputs are URLs served by the mock
//! under `/replicate-delivery/`; errors are `application/problem+json`.

mod input;
mod predictions;

use std::time::Duration;

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{from_fn, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use self::input::Model;
pub(crate) use self::predictions::Predictions;
use self::predictions::{Outcome, Prediction, Shown};
use crate::auth::KeyOutcome;
use crate::clock::now_millis;
use crate::ids::{random_string, HEX, LOWER_ALNUM};
use crate::ledger::Incoming;
use crate::payload::Payload;
use crate::state::MockState;
use crate::Provider;

/// One scripted Replicate answer to a create call. JSON:
/// `{"provider":"replicate","respond":"succeeded","polls":3}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "respond", rename_all = "snake_case")]
pub enum ReplicateStep {
    /// A prediction that succeeds. The create answer shows `starting`;
    /// GETs before the `polls`-th show `processing`; the `polls`-th and
    /// later show `succeeded` (0: finished at once). With `Prefer: wait`,
    /// a prediction whose `run_ms` fits the wait window comes back finished
    /// from the create call itself.
    Succeeded {
        #[serde(default = "default_polls")]
        polls: u32,
        #[serde(default)]
        run_ms: u64,
    },
    /// Like `Succeeded`, but ends `failed` with `error`.
    Failed {
        #[serde(default = "default_error")]
        error: String,
        #[serde(default = "default_polls")]
        polls: u32,
        #[serde(default)]
        run_ms: u64,
    },
    /// 401 `Unauthenticated`, as for a revoked token.
    Unauthenticated,
    /// 402 `Insufficient credit`.
    InsufficientCredit,
    /// 422 `Invalid version or not permitted`.
    InvalidVersion,
    /// 429 "Request was throttled. Expected available in N seconds." with
    /// `Retry-After: N`.
    Throttled {
        #[serde(default = "default_retry_after")]
        retry_after_secs: u64,
    },
    /// 503 or 504 (any 5xx).
    Unavailable {
        #[serde(default = "default_unavailable")]
        status: u16,
    },
}

impl Default for ReplicateStep {
    fn default() -> Self {
        ReplicateStep::Succeeded {
            polls: default_polls(),
            run_ms: 0,
        }
    }
}

fn default_polls() -> u32 {
    2
}

/// Wording modelled on FLUX's content filter; UNCONFIRMED (§4.2).
fn default_error() -> String {
    "Prediction failed: the generated image was flagged as sensitive (E005).".to_owned()
}

fn default_retry_after() -> u64 {
    1
}

fn default_unavailable() -> u16 {
    503
}

impl ReplicateStep {
    pub(crate) fn check(&self) -> Result<(), String> {
        match self {
            ReplicateStep::Unavailable { status } if !(500..=599).contains(status) => {
                Err(format!("unavailable status must be 5xx, got {status}"))
            }
            _ => Ok(()),
        }
    }
}

/// An RFC 7807 answer.
fn problem(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

fn titled(status: StatusCode, title: &str, detail: &str) -> Response {
    problem(
        status,
        json!({"title": title, "detail": detail, "status": status.as_u16()}),
    )
}

fn unauthenticated() -> Response {
    titled(
        StatusCode::UNAUTHORIZED,
        "Unauthenticated",
        "You did not pass a valid authentication token",
    )
}

/// 404 body UNCONFIRMED (§4.4).
fn not_found() -> Response {
    titled(
        StatusCode::NOT_FOUND,
        "Not found",
        "The requested resource could not be found.",
    )
}

fn invalid_version() -> Response {
    titled(
        StatusCode::UNPROCESSABLE_ENTITY,
        "Invalid version or not permitted",
        "The specified version does not exist (or perhaps you don't have permission to use it?)",
    )
}

/// What a create call does with its step.
enum Plan {
    /// Answer this error.
    Refuse(Response),
    /// Create a prediction that ends in `failure` (or succeeds if `None`).
    Run {
        failure: Option<String>,
        polls: u32,
        run_ms: u64,
    },
}

impl ReplicateStep {
    fn plan(self) -> Plan {
        Plan::Refuse(match self {
            ReplicateStep::Succeeded { polls, run_ms } => {
                return Plan::Run {
                    failure: None,
                    polls,
                    run_ms,
                }
            }
            ReplicateStep::Failed {
                error,
                polls,
                run_ms,
            } => {
                return Plan::Run {
                    failure: Some(error),
                    polls,
                    run_ms,
                }
            }
            ReplicateStep::Unauthenticated => unauthenticated(),
            ReplicateStep::InsufficientCredit => titled(
                StatusCode::PAYMENT_REQUIRED,
                "Insufficient credit",
                "You have insufficient credit to run this model. Go to \
                 https://replicate.com/account/billing#billing to purchase credit. Once you \
                 purchase credit, please wait a few minutes before trying again.",
            ),
            ReplicateStep::InvalidVersion => invalid_version(),
            ReplicateStep::Throttled { retry_after_secs } => {
                // The doc's body has only `detail`; whether `title`/`status`
                // and `Retry-After` come too is UNCONFIRMED.
                let unit = if retry_after_secs == 1 {
                    "second"
                } else {
                    "seconds"
                };
                let mut response = problem(
                    StatusCode::TOO_MANY_REQUESTS,
                    json!({"detail": format!(
                        "Request was throttled. Expected available in {retry_after_secs} {unit}."
                    )}),
                );
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                response
            }
            ReplicateStep::Unavailable { status } => {
                let status =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
                // Body UNCONFIRMED.
                titled(
                    status,
                    status.canonical_reason().unwrap_or("Service Unavailable"),
                    "The service is temporarily unavailable. Please try again later.",
                )
            }
        })
    }
}

pub(crate) fn routes() -> Router<MockState> {
    Router::new()
        .route(
            "/v1/models/{owner}/{name}/predictions",
            post(create_for_model),
        )
        .route("/v1/predictions", post(create_for_version))
        .route("/v1/predictions/{id}", get(poll))
        .route("/v1/predictions/{id}/cancel", post(cancel))
        .fallback(|| async { not_found() })
        .layer(from_fn(rate_limit_headers))
}

/// Seen on successful answers (§4.4): lower-case, no `x-` prefix.
async fn rate_limit_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    if response.status().is_success() {
        let headers = response.headers_mut();
        headers.insert("ratelimit-remaining", HeaderValue::from_static("599"));
        headers.insert("ratelimit-reset", HeaderValue::from_static("1"));
    }
    response
}

async fn create_for_model(
    State(state): State<MockState>,
    Extension(incoming): Extension<Incoming>,
    Path((owner, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(refusal) = refuse_key(&incoming) {
        return refusal;
    }
    let Some(model) = Model::from_name(&owner, &name) else {
        return not_found();
    };
    create(&state, &incoming, &headers, model).await
}

/// `POST /v1/predictions` with `version` as `owner/name[:hash]`. The mock
/// knows no version hashes, so a bare hash is an invalid version.
async fn create_for_version(
    State(state): State<MockState>,
    Extension(incoming): Extension<Incoming>,
    headers: HeaderMap,
) -> Response {
    if let Some(refusal) = refuse_key(&incoming) {
        return refusal;
    }
    let version = match incoming.payload.as_ref() {
        Payload::Json(body) => body.get("version").and_then(Value::as_str),
        _ => None,
    };
    let model = version
        .map(|version| version.split(':').next().unwrap_or(version))
        .and_then(|name| name.split_once('/'))
        .and_then(|(owner, name)| Model::from_name(owner, name));
    match model {
        Some(model) => create(&state, &incoming, &headers, model).await,
        None => invalid_version(),
    }
}

fn refuse_key(incoming: &Incoming) -> Option<Response> {
    match incoming.credentials.outcome() {
        KeyOutcome::Missing | KeyOutcome::Wrong => Some(unauthenticated()),
        KeyOutcome::Accepted | KeyOutcome::NotRequired => None,
    }
}

async fn create(
    state: &MockState,
    incoming: &Incoming,
    headers: &HeaderMap,
    model: Model,
) -> Response {
    let raw_input = match incoming.payload.as_ref() {
        Payload::Json(body) => body.get("input"),
        _ => None,
    };
    let input = match input::validate(model, raw_input) {
        Ok(input) => input,
        Err(fields) => {
            return problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                input::problem_body(&fields),
            )
        }
    };
    let (failure, polls, run_ms) = match state.next_step::<ReplicateStep>().await.plan() {
        Plan::Refuse(response) => return response,
        Plan::Run {
            failure,
            polls,
            run_ms,
        } => (failure, polls, run_ms),
    };
    let outcome = match failure {
        Some(error) => Outcome::Failed { error },
        None => outputs(state, &incoming.origin, model, &input),
    };
    let mut prediction = Prediction {
        id: random_string(LOWER_ALNUM, 26),
        model: model.name(),
        version: format!("dp-{}", random_string(HEX, 32)),
        input: input::echo(raw_input),
        api_base: format!(
            "{}{}/v1/predictions",
            incoming.origin,
            Provider::Replicate.prefix()
        ),
        outcome,
        polls_left: polls,
        created_ms: now_millis(),
        started_ms: None,
        completed_ms: None,
        canceled: false,
    };
    if polls == 0 {
        prediction.finish();
    }

    let wait = prefer_wait(headers);
    let mut shown = Shown::Current;
    if let Some(window) = wait {
        let run = Duration::from_millis(run_ms);
        if run <= window {
            tokio::time::sleep(run).await;
            prediction.finish();
            shown = Shown::FinishedWhileWaiting;
        } else {
            // The window runs out first: the client gets `starting` and polls.
            tokio::time::sleep(window).await;
        }
    }
    let body = prediction.to_json(shown);
    state.predictions().insert(prediction);
    let mut response = (StatusCode::CREATED, axum::Json(body)).into_response();
    if let Some(window) = wait {
        if let Ok(value) = HeaderValue::try_from(format!("wait={}", window.as_secs())) {
            response.headers_mut().insert("preference-applied", value);
        }
    }
    response
}

/// `Prefer: wait` (60 s) or `Prefer: wait=N` (1–60). Other values are
/// ignored, as an HTTP server should for preferences it cannot honour (how
/// Replicate treats them is UNCONFIRMED).
fn prefer_wait(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get("prefer")?.to_str().ok()?;
    value.split(',').map(str::trim).find_map(|preference| {
        let seconds = match preference.split_once('=') {
            None if preference.eq_ignore_ascii_case("wait") => 60,
            Some((name, seconds)) if name.trim().eq_ignore_ascii_case("wait") => seconds
                .trim()
                .parse()
                .ok()
                .filter(|s| (1..=60).contains(s))?,
            _ => return None,
        };
        Some(Duration::from_secs(seconds))
    })
}

/// Publishes the output files and returns the succeeding outcome.
fn outputs(state: &MockState, origin: &str, model: Model, input: &input::Input) -> Outcome {
    let folder = random_string(LOWER_ALNUM, 32);
    let urls = (0..input.outputs)
        .map(|index| {
            let path = format!(
                "{}/xezq/{folder}/out-{index}.{}",
                Provider::Replicate.delivery_prefix(),
                input.format.extension()
            );
            let picture = state.picture(&input.prompt, index, input.width, input.height);
            state.files().publish(origin, path, picture, input.format)
        })
        .collect();
    Outcome::Succeeded {
        urls,
        single: model == Model::FluxPro,
    }
}

async fn poll(
    State(state): State<MockState>,
    Extension(incoming): Extension<Incoming>,
    Path(id): Path<String>,
) -> Response {
    if let Some(refusal) = refuse_key(&incoming) {
        return refusal;
    }
    match state.predictions().poll(&id) {
        Some(body) => axum::Json(body).into_response(),
        None => not_found(),
    }
}

async fn cancel(
    State(state): State<MockState>,
    Extension(incoming): Extension<Incoming>,
    Path(id): Path<String>,
) -> Response {
    if let Some(refusal) = refuse_key(&incoming) {
        return refusal;
    }
    match state.predictions().cancel(&id) {
        Some((body, canceled_now)) => {
            if canceled_now {
                state.count_prediction_cancel();
            }
            axum::Json(body).into_response()
        }
        None => not_found(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::http::{HeaderMap, HeaderValue};

    use super::prefer_wait;

    #[test]
    fn prefer_wait_forms() {
        let with = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert("prefer", HeaderValue::from_static(value));
            prefer_wait(&headers)
        };
        assert_eq!(with("wait"), Some(Duration::from_secs(60)));
        assert_eq!(with("wait=5"), Some(Duration::from_secs(5)));
        assert_eq!(
            with("respond-async, wait=10"),
            Some(Duration::from_secs(10))
        );
        assert_eq!(with("wait=0"), None);
        assert_eq!(with("wait=61"), None);
        assert_eq!(prefer_wait(&HeaderMap::new()), None);
    }
}
