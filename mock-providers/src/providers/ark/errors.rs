//! Ark's error envelope, `{"error":{"code","message","param","type"}}`,
//! whose messages end with the request's id (§6.5).

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::clock::now_millis;
use crate::ids::{random_string, HEX};

/// One error answer for one request.
pub(crate) struct ArkError {
    pub status: StatusCode,
    pub code: String,
    /// The message without its `Request ID: …` ending.
    pub message: String,
    pub param: String,
    pub retry_after_secs: Option<u64>,
}

impl ArkError {
    pub(crate) fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ArkError {
        ArkError {
            status,
            code: code.to_owned(),
            message: message.into(),
            param: String::new(),
            retry_after_secs: None,
        }
    }

    /// 400 `InvalidParameter` naming the parameter.
    pub(crate) fn invalid(param: &str, detail: &str) -> ArkError {
        let mut error = ArkError::new(
            StatusCode::BAD_REQUEST,
            "InvalidParameter",
            format!("The parameter `{param}` specified in the request is not valid: {detail}"),
        );
        error.param = param.to_owned();
        error
    }

    /// 400 `MissingParameter`.
    pub(crate) fn missing(param: &str) -> ArkError {
        let mut error = ArkError::new(
            StatusCode::BAD_REQUEST,
            "MissingParameter",
            "The request failed because it is missing one or multiple required parameters.",
        );
        error.param = param.to_owned();
        error
    }

    /// The answer, stamped with `request_id` in the message and in
    /// `x-request-id` (the header is UNCONFIRMED).
    pub(crate) fn respond(self, request_id: &str) -> Response {
        // The recorded 401 says `request id:` in lower case; the doc's
        // template for the rest is `Request ID:`.
        let label = if self.code == "AuthenticationError" {
            "request id"
        } else {
            "Request ID"
        };
        let kind = self
            .status
            .canonical_reason()
            .unwrap_or("Error")
            .replace(' ', "");
        let body = json!({"error": {
            "code": self.code,
            "message": format!("{} {label}: {request_id}", self.message),
            "param": self.param,
            "type": kind,
        }});
        let mut response = (self.status, Json(body)).into_response();
        if let Ok(id) = HeaderValue::try_from(request_id) {
            response.headers_mut().insert("x-request-id", id);
        }
        if let Some(seconds) = self.retry_after_secs {
            response
                .headers_mut()
                .insert("retry-after", HeaderValue::from(seconds));
        }
        response
    }
}

/// An id shaped like Ark's: `02`, a millisecond timestamp, 32 hex digits
/// (the exact format is UNCONFIRMED).
pub(crate) fn request_id() -> String {
    format!("02{}{}", now_millis(), random_string(HEX, 32))
}

/// Ark's wording for each code it documents (§6.4, §6.5). Only the
/// OutputImageSensitiveContentDetected, MissingParameter, IPM and
/// AuthenticationError texts are documented; the rest are UNCONFIRMED.
pub(crate) fn standard_message(code: &str) -> Option<&'static str> {
    Some(match code {
        "MissingParameter" => {
            "The request failed because it is missing one or multiple required parameters."
        }
        "InvalidParameter" => "A parameter specified in the request is not valid.",
        "InvalidEndpoint.ClosedEndpoint" => "The request failed because the endpoint is closed.",
        "InputTextSensitiveContentDetected" => {
            "The request failed because the input text may contain sensitive information."
        }
        "InputImageSensitiveContentDetected" => {
            "The request failed because the input image may contain sensitive information."
        }
        "OutputImageSensitiveContentDetected" => {
            "The request failed because the output image may contain sensitive information."
        }
        "InputTextRiskDetection" => "The request failed because the input text may contain risks.",
        "InputImageRiskDetection" => {
            "The request failed because the input image may contain risks."
        }
        "OutputImageRiskDetection" => {
            "The request failed because the output image may contain risks."
        }
        "InvalidImageURL" => "The request failed because the image URL is invalid or unreachable.",
        "AuthenticationError" => "the API key or AK/SK in the request is missing or invalid.",
        "AccountOverdueError" => "The request failed because your account has an overdue balance.",
        "AccessDenied" => "The request failed because you do not have access to this resource.",
        "InvalidEndpointOrModel.NotFound" => {
            "The model or endpoint does not exist or you do not have access to it."
        }
        "ModelNotOpen" => "Your account has not activated the model service.",
        "ModelAccountIpmRateLimitExceeded" => {
            "IPM (Images Per Minute) limit of the model is exceeded."
        }
        "RateLimitExceeded.EndpointRPMExceeded" => {
            "RPM (Requests Per Minute) limit of the endpoint is exceeded."
        }
        "ModelAccountRpmRateLimitExceeded" => {
            "RPM (Requests Per Minute) limit of the model is exceeded."
        }
        "APIAccountRpmRateLimitExceeded" => {
            "RPM (Requests Per Minute) limit of the account is exceeded."
        }
        "AccountRateLimitExceeded" => "The rate limit of the account is exceeded.",
        "ServerOverloaded" => "The service is overloaded. Please try again later.",
        "RequestBurstTooFast" => "Requests are sent too fast. Please slow down.",
        "QuotaExceeded" => "The quota of the account is exceeded.",
        "SetLimitExceeded" => "The usage limit you set is reached.",
        "InflightBatchsizeExceeded" => "Too many requests are in flight.",
        "InternalServiceError" => "The service encountered an unexpected internal error.",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::request_id;

    #[test]
    fn request_ids_look_alike_and_differ() {
        let (a, b) = (request_id(), request_id());
        assert!(a.starts_with("02") && a.len() == 2 + 13 + 32, "{a}");
        assert_ne!(a, b);
    }
}
