//! The google.rpc.Status error envelope (§3.5) and the errors whose
//! wording the mock copies from recorded answers.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// A google.rpc.Status error answer.
pub(super) struct Status {
    code: StatusCode,
    status: &'static str,
    message: String,
    details: Vec<Value>,
}

impl Status {
    pub(super) fn new(
        code: StatusCode,
        status: &'static str,
        message: impl Into<String>,
    ) -> Status {
        Status {
            code,
            status,
            message: message.into(),
            details: Vec::new(),
        }
    }

    pub(super) fn invalid_argument(message: impl Into<String>) -> Status {
        Status::new(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", message)
    }
}

impl IntoResponse for Status {
    fn into_response(self) -> Response {
        let mut error = json!({
            "code": self.code.as_u16(),
            "message": self.message,
            "status": self.status,
        });
        if !self.details.is_empty() {
            error["details"] = Value::Array(self.details);
        }
        google_json(self.code, &json!({ "error": error }))
    }
}

/// Google answers JSON with an explicit charset.
pub(super) fn google_json(code: StatusCode, body: &Value) -> Response {
    (
        code,
        [(header::CONTENT_TYPE, "application/json; charset=UTF-8")],
        body.to_string(),
    )
        .into_response()
}

/// Recorded verbatim (§3.5): a bad key is 400, not 401.
pub(super) fn api_key_invalid() -> Status {
    let message = "API key not valid. Please pass a valid API key.";
    let mut status = Status::invalid_argument(message);
    status.details = vec![
        json!({"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
               "domain": "googleapis.com",
               "metadata": {"service": "generativelanguage.googleapis.com"}}),
        json!({"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US",
               "message": message}),
    ];
    status
}

pub(super) fn model_not_found(model: &str) -> Status {
    Status::new(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        format!(
            "models/{model} is not found for API version v1beta, or is not supported for \
             generateContent. Call ListModels to see the list of available models and their \
             supported methods."
        ),
    )
}

pub(super) fn rate_limited(model: &str, retry_delay_ms: u64) -> Status {
    let delay = duration_string(retry_delay_ms);
    let mut status = Status::new(
        StatusCode::TOO_MANY_REQUESTS,
        "RESOURCE_EXHAUSTED",
        format!(
            "You exceeded your current quota, please check your plan and billing details. For \
             more information on this error, head to: \
             https://ai.google.dev/gemini-api/docs/rate-limits. Please retry in {delay}."
        ),
    );
    status.details = vec![
        json!({"@type": "type.googleapis.com/google.rpc.Help",
               "links": [{"description": "Learn more about Gemini API quotas",
                          "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}]}),
        json!({"@type": "type.googleapis.com/google.rpc.QuotaFailure",
               "violations": [{"quotaMetric": "generativelanguage.googleapis.com/generate_content_paid_tier_requests",
                               "quotaId": "GenerateRequestsPerMinutePerProjectPerModel",
                               "quotaDimensions": {"location": "global", "model": model},
                               "quotaValue": "10"}]}),
        json!({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}),
    ];
    status
}

/// A protobuf Duration string: `47s`, `1.5s`, `0.25s`.
fn duration_string(millis: u64) -> String {
    let (seconds, fraction) = (millis / 1000, millis % 1000);
    if fraction == 0 {
        format!("{seconds}s")
    } else {
        let fraction = format!("{fraction:03}");
        format!("{seconds}.{}s", fraction.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::duration_string;

    #[test]
    fn protobuf_durations() {
        assert_eq!(duration_string(47_000), "47s");
        assert_eq!(duration_string(1_500), "1.5s");
        assert_eq!(duration_string(250), "0.25s");
    }
}
