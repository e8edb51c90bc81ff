//! OpenAI's error envelope, `{"error":{"message","type","param","code"}}`
//! (§1.7, §2.5), and the wording of its canned errors, for both its APIs.

use axum::http::{HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use crate::fields::{Issue, Problem};

/// One error answer, built with chained setters so each call site reads
/// like the JSON it produces. Boxed: it travels in every validator `Result`.
#[derive(Debug)]
pub(crate) struct ApiError(Box<Parts>);

#[derive(Debug)]
struct Parts {
    status: StatusCode,
    kind: String,
    message: String,
    param: Option<String>,
    code: Option<String>,
    /// Extra members of the `error` object (`moderation_details`).
    details: Map<String, Value>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, kind: &str, message: impl Into<String>) -> Self {
        ApiError(Box::new(Parts {
            status,
            kind: kind.to_owned(),
            message: message.into(),
            param: None,
            code: None,
            details: Map::new(),
            headers: Vec::new(),
        }))
    }

    /// The common case: 400 `invalid_request_error`.
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

/// A refused field, in OpenAI's validation wording.
impl From<Problem> for ApiError {
    fn from(problem: Problem) -> Self {
        let field = problem.field;
        let (message, code) = match problem.issue {
            Issue::Missing => (
                format!("Missing required parameter: '{field}'."),
                "missing_required_parameter",
            ),
            Issue::Unknown => (
                format!("Unknown parameter: '{field}'."),
                "unknown_parameter",
            ),
            Issue::WrongType {
                expected,
                given_type,
                ..
            } => (
                format!(
                    "Invalid type for '{field}': expected {}, but got {} instead.",
                    with_article(expected.name()),
                    with_article(given_type)
                ),
                "invalid_type",
            ),
            Issue::NotAllowed { value, allowed } => (
                format!(
                    "Invalid value: '{value}'. Supported values are: {}.",
                    quoted_list(&allowed)
                ),
                "invalid_value",
            ),
            Issue::BelowMin { value, min } => (
                format!(
                    "Invalid '{field}': integer below minimum value. Expected a value >= {min}, \
                     but got {value} instead."
                ),
                "integer_below_min_value",
            ),
            Issue::AboveMax { value, max } => (
                format!(
                    "Invalid '{field}': integer above maximum value. Expected a value <= {max}, \
                     but got {value} instead."
                ),
                "integer_above_max_value",
            ),
            Issue::Invalid(message) => (message, "invalid_value"),
        };
        ApiError::invalid_request(message).param(field).code(code)
    }
}

/// "an integer", "a string"; OpenAI calls a non-integer number a decimal.
fn with_article(type_name: &str) -> String {
    match type_name {
        "number" => "a decimal".to_owned(),
        "null" => "null".to_owned(),
        name if name.starts_with(['a', 'e', 'i', 'o', 'u']) => format!("an {name}"),
        name => format!("a {name}"),
    }
}

/// `'a', 'b', and 'c'` (OpenAI's wording uses the serial comma).
pub(crate) fn quoted_list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| format!("'{item}'")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [first, second] => format!("{first} and {second}"),
        [init @ .., last] => format!("{}, and {last}", init.join(", ")),
    }
}

pub(crate) fn invalid_json() -> ApiError {
    ApiError::invalid_request(
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't \
         using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was \
         sent was not valid JSON. If you have trouble figuring out how to fix this, please \
         contact us through our help center at help.openai.com.)",
    )
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

/// 401 for a key the server does not know. The partial key in the message
/// is deliberate: the real API echoes it (verbatim text UNCONFIRMED, §1.7),
/// and the app's tests must prove it never reaches a person unmasked.
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

/// `abcdefgh…wxyz` → `abcde***wxyz`; short keys are echoed whole.
fn mask_key(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 9 {
        return key.to_owned();
    }
    let head: String = chars[..5].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}***{tail}")
}

pub(crate) fn model_not_found(model: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        format!("The model `{model}` does not exist or you do not have access to it."),
    )
    .code("model_not_found")
}

/// 404 for any path or method this mock does not serve.
pub(crate) async fn invalid_url(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        format!("Invalid URL ({method} {})", uri.path()),
    )
}

#[cfg(test)]
mod tests {
    use super::{mask_key, quoted_list, with_article};

    #[test]
    fn wording_helpers_read_like_openai() {
        assert_eq!(mask_key("test-openai-key-wxyz"), "test-***wxyz");
        assert_eq!(mask_key("short"), "short");
        assert_eq!(quoted_list(&["png", "webp"]), "'png' and 'webp'");
        assert_eq!(quoted_list(&["a", "b", "c"]), "'a', 'b', and 'c'");
        assert_eq!(with_article("integer"), "an integer");
        assert_eq!(with_article("number"), "a decimal");
    }
}
