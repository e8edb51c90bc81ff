//! Scripted replies: what the next valid `POST /v1/responses` answers with.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::envelope::ApiError;

/// One scripted reply. JSON form: `{"respond":"rate_limited","retry_after_ms":1500}`.
/// Every variant carries `delay_ms`, a sleep before answering (slow providers,
/// cancel tests); it defaults to 0.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "respond", rename_all = "snake_case")]
pub enum Step {
    /// A completed response with an image (what an empty queue answers).
    Image {
        #[serde(default)]
        delay_ms: u64,
    },
    /// 429 `rate_limit_exceeded`, with `retry-after-ms` / `retry-after` headers
    /// when `retry_after_ms` is set.
    RateLimited {
        #[serde(default)]
        retry_after_ms: Option<u64>,
        #[serde(default)]
        delay_ms: u64,
    },
    /// 429 `insufficient_quota` (not retryable).
    InsufficientQuota {
        #[serde(default)]
        delay_ms: u64,
    },
    /// 401 `invalid_api_key`, as if the presented key were wrong.
    InvalidApiKey {
        #[serde(default)]
        delay_ms: u64,
    },
    /// 400 `moderation_blocked` with `moderation_details`.
    ModerationBlocked {
        #[serde(default)]
        delay_ms: u64,
    },
    /// 403, organization must be verified to use the image model.
    OrgNotVerified {
        #[serde(default)]
        delay_ms: u64,
    },
    /// 404 `model_not_found` for the requested model.
    ModelNotFound {
        #[serde(default)]
        delay_ms: u64,
    },
    /// 5xx `server_error`; `status` defaults to 500.
    ServerError {
        #[serde(default = "default_server_status")]
        status: u16,
        #[serde(default)]
        delay_ms: u64,
    },
    /// Any error envelope with any 4xx/5xx status and extra headers.
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
        #[serde(default)]
        delay_ms: u64,
    },
    /// HTTP 200 whose Response has `status: "failed"` and `error: {code, message}`.
    Failed {
        code: String,
        #[serde(default = "default_failed_message")]
        message: String,
        #[serde(default)]
        delay_ms: u64,
    },
}

fn default_server_status() -> u16 {
    500
}

fn default_failed_message() -> String {
    "The image could not be generated.".to_owned()
}

impl Default for Step {
    fn default() -> Self {
        Step::Image { delay_ms: 0 }
    }
}

/// What a step turns into once the request has been validated.
pub(crate) enum Outcome {
    Image,
    Failed { code: String, message: String },
    Error(ApiError),
}

/// Request facts some canned errors quote back.
pub(crate) struct StepContext<'a> {
    pub presented_key: &'a str,
    pub model: &'a str,
    pub tool_model: &'a str,
}

impl Step {
    pub(crate) fn delay(&self) -> Duration {
        let ms = match self {
            Step::Image { delay_ms }
            | Step::RateLimited { delay_ms, .. }
            | Step::InsufficientQuota { delay_ms }
            | Step::InvalidApiKey { delay_ms }
            | Step::ModerationBlocked { delay_ms }
            | Step::OrgNotVerified { delay_ms }
            | Step::ModelNotFound { delay_ms }
            | Step::ServerError { delay_ms, .. }
            | Step::Error { delay_ms, .. }
            | Step::Failed { delay_ms, .. } => *delay_ms,
        };
        Duration::from_millis(ms)
    }

    /// Rejects steps that could not be answered as written, so a typo in a
    /// test script fails loudly when scripted rather than mid-test.
    pub(crate) fn check(&self) -> Result<(), String> {
        match self {
            Step::ServerError { status, .. } if !(500..=599).contains(status) => {
                Err(format!("server_error status must be 5xx, got {status}"))
            }
            Step::Error {
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

    pub(crate) fn outcome(self, ctx: &StepContext<'_>) -> Outcome {
        match self {
            Step::Image { .. } => Outcome::Image,
            Step::Failed { code, message, .. } => Outcome::Failed { code, message },
            Step::RateLimited { retry_after_ms, .. } => {
                Outcome::Error(rate_limited(ctx.tool_model, retry_after_ms))
            }
            Step::InsufficientQuota { .. } => Outcome::Error(
                ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "insufficient_quota",
                    "You exceeded your current quota, please check your plan and billing details. \
                     For more information on this error, read the docs: \
                     https://platform.openai.com/docs/guides/error-codes/api-errors.",
                )
                .code("insufficient_quota"),
            ),
            Step::InvalidApiKey { .. } => {
                Outcome::Error(crate::envelope::incorrect_api_key(ctx.presented_key))
            }
            Step::ModerationBlocked { .. } => Outcome::Error(moderation_blocked()),
            Step::OrgNotVerified { .. } => Outcome::Error(ApiError::new(
                StatusCode::FORBIDDEN,
                "invalid_request_error",
                format!(
                    "Your organization must be verified to use the model `{}`. Please go to: \
                     https://platform.openai.com/settings/organization/general and click on \
                     Verify Organization. If you just verified, it can take up to 15 minutes for \
                     access to propagate.",
                    ctx.tool_model
                ),
            )),
            Step::ModelNotFound { .. } => Outcome::Error(
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "invalid_request_error",
                    format!(
                        "The model `{}` does not exist or you do not have access to it.",
                        ctx.model
                    ),
                )
                .code("model_not_found"),
            ),
            Step::ServerError { status, .. } => Outcome::Error(ApiError::new(
                // `check` guaranteed a 5xx; the fallback only guards direct construction.
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                "server_error",
                "The server had an error while processing your request. Sorry about that!",
            )),
            Step::Error {
                status,
                kind,
                code,
                param,
                message,
                headers,
                ..
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
                Outcome::Error(error)
            }
        }
    }
}

fn rate_limited(tool_model: &str, retry_after_ms: Option<u64>) -> ApiError {
    let wait = retry_after_ms.map_or_else(
        || "Please try again later.".to_owned(),
        |ms| format!("Please try again in {}s.", ms as f64 / 1000.0),
    );
    let mut error = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "requests",
        format!(
            "Rate limit reached for {tool_model} in organization org-mock on images per min \
             (IPM): Limit 5, Used 5, Requested 1. {wait} Visit \
             https://platform.openai.com/account/rate-limits to learn more."
        ),
    )
    .code("rate_limit_exceeded");
    if let Some(ms) = retry_after_ms {
        // `retry-after` is whole seconds, so round up: waiting less than the
        // server asked for would just earn another 429.
        let seconds = ms.div_ceil(1000);
        error = error
            .header(
                HeaderName::from_static("retry-after-ms"),
                HeaderValue::from(ms),
            )
            .header(
                HeaderName::from_static("retry-after"),
                HeaderValue::from(seconds),
            );
    }
    error
}

/// Verbatim shape of a real moderation rejection (providers.md §1.7).
fn moderation_blocked() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "image_generation_user_error",
        "Your request was rejected by the safety system. If you believe this is an error, \
         contact us at help.openai.com and include the request ID \
         b68e1d8f-0000-4000-8000-000000000000. safety_violations=[sexual].",
    )
    .code("moderation_blocked")
    .detail(
        "moderation_details",
        json!({ "moderation_stage": "output", "categories": ["sexual"] }),
    )
}

#[cfg(test)]
mod tests {
    use super::Step;

    #[test]
    fn steps_parse_from_their_json_form_with_defaults() {
        let steps: Vec<Step> = serde_json::from_str(
            r#"[{"respond":"image"},
                {"respond":"rate_limited","retry_after_ms":1500},
                {"respond":"rate_limited","retry_after_ms":null,"delay_ms":5},
                {"respond":"server_error"},
                {"respond":"failed","code":"image_content_policy_violation"},
                {"respond":"error","status":409,"type":"conflict","message":"m",
                 "headers":{"x-should-retry":"false"}}]"#,
        )
        .expect("steps parse");
        assert_eq!(steps[0], Step::Image { delay_ms: 0 });
        assert_eq!(
            steps[1],
            Step::RateLimited {
                retry_after_ms: Some(1500),
                delay_ms: 0
            }
        );
        assert_eq!(
            steps[2],
            Step::RateLimited {
                retry_after_ms: None,
                delay_ms: 5
            }
        );
        assert_eq!(
            steps[3],
            Step::ServerError {
                status: 500,
                delay_ms: 0
            }
        );
        assert!(matches!(&steps[4], Step::Failed { message, .. } if !message.is_empty()));
        assert!(steps.iter().all(|s| s.check().is_ok()));
    }

    #[test]
    fn check_rejects_unanswerable_steps() {
        let bad_status = Step::ServerError {
            status: 404,
            delay_ms: 0,
        };
        assert!(bad_status.check().is_err());
        let bad_header: Step = serde_json::from_str(
            r#"{"respond":"error","status":400,"type":"t","message":"m","headers":{"bad name":"x"}}"#,
        )
        .expect("parses");
        assert!(bad_header.check().is_err());
    }
}
