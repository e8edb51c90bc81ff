//! OpenAI's error envelope, `{"error":{"message","type","param","code"}}`,
//! and the canned errors whose wording the mock copies from the real API.

use axum::http::{HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

/// One error answer. Built with small chained setters so each call site reads
/// like the JSON it produces. Boxed because it travels in every `Result` of
/// the validator and a small `Err` keeps the happy path cheap.
#[derive(Debug)]
pub(crate) struct ApiError(Box<ErrorParts>);

#[derive(Debug)]
struct ErrorParts {
    status: StatusCode,
    kind: String,
    message: String,
    param: Option<String>,
    code: Option<String>,
    /// Extra members of the `error` object (e.g. `moderation_details`).
    details: Map<String, Value>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, kind: &str, message: impl Into<String>) -> Self {
        ApiError(Box::new(ErrorParts {
            status,
            kind: kind.to_owned(),
            message: message.into(),
            param: None,
            code: None,
            details: Map::new(),
            headers: Vec::new(),
        }))
    }

    /// The most common case: 400 `invalid_request_error`.
    pub(crate) fn invalid_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_request_error", message)
    }

    pub(crate) fn param(mut self, param: impl Into<String>) -> Self {
        self.0.param = Some(param.into());
        self
    }

    pub(crate) fn code(mut self, code: impl Into<String>) -> Self {
        self.0.code = Some(code.into());
        self
    }

    pub(crate) fn detail(mut self, key: &str, value: Value) -> Self {
        self.0.details.insert(key.to_owned(), value);
        self
    }

    pub(crate) fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.0.headers.push((name, value));
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let parts = *self.0;
        let mut error = Map::new();
        error.insert("message".into(), Value::String(parts.message));
        error.insert("type".into(), Value::String(parts.kind));
        error.insert(
            "param".into(),
            parts.param.map_or(Value::Null, Value::String),
        );
        error.insert("code".into(), parts.code.map_or(Value::Null, Value::String));
        error.extend(parts.details);
        let mut response = (parts.status, Json(json!({ "error": error }))).into_response();
        response.headers_mut().extend(parts.headers);
        response
    }
}

/// 401 for a request with no usable `Authorization: Bearer …` header.
pub(crate) fn missing_api_key() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_request_error",
        "You didn't provide an API key. You need to provide your API key in an Authorization \
         header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field \
         (with blank username) if you're accessing the API from your browser and are prompted for \
         a username and password. You can obtain an API key from \
         https://platform.openai.com/account/api-keys.",
    )
}

/// 401 for a key the server does not know. The partial key in the message is
/// deliberate: the real API echoes it, and the app's tests must prove the app
/// never shows this text to a person verbatim.
pub(crate) fn incorrect_api_key(presented: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_request_error",
        format!(
            "Incorrect API key provided: {}. You can find your API key at \
             https://platform.openai.com/account/api-keys.",
            mask_key(presented)
        ),
    )
    .code("invalid_api_key")
}

/// `sk-abcdef…wxyz` → `sk-ab***wxyz`. Keys too short to mask meaningfully are
/// echoed whole, which only makes the app's leak tests stricter.
fn mask_key(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 9 {
        return key.to_owned();
    }
    let head: String = chars[..5].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}***{tail}")
}

/// 404 for any path or method this mock does not serve, worded like OpenAI's.
pub(crate) fn invalid_url(method: &Method, uri: &Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        format!("Invalid URL ({method} {})", uri.path()),
    )
}

/// 404 from `GET /v1/responses/{id}` for an id that was never stored.
pub(crate) fn response_not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        format!("Response with id '{id}' not found."),
    )
}

/// 500 for a failure inside the mock itself (e.g. the PNG encoder erred).
pub(crate) fn internal(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", message)
}

/// Catch-all handler for unknown paths and methods.
pub(crate) async fn invalid_url_handler(method: Method, uri: Uri) -> ApiError {
    invalid_url(&method, &uri)
}

#[cfg(test)]
mod tests {
    use super::mask_key;

    #[test]
    fn masks_long_keys_and_keeps_short_ones() {
        assert_eq!(mask_key("sk-fakekey-mnopwxyz"), "sk-fa***wxyz");
        assert_eq!(mask_key("short"), "short");
        assert_eq!(mask_key("ßßßßßßßßßßßß"), "ßßßßß***ßßßß");
    }
}
