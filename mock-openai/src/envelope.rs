//! OpenAI's error envelope, `{"error":{"message","type","param","code"}}`, as
//! mock-providers writes it for the Images API, plus the errors only the
//! Responses API answers.

use axum::http::StatusCode;
pub(crate) use mock_providers::openai_errors::{
    incorrect_api_key, invalid_url, missing_api_key, ApiError,
};

/// 404 from `GET /v1/responses/{id}` for an id that was never stored.
pub(crate) fn response_not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        format!("Response with id '{id}' not found."),
    )
}

/// 500 for a failure inside the mock itself (its drawing task panicked).
pub(crate) fn internal(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", message)
}
