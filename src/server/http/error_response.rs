//! An `AppError` as an HTTP answer: the README's JSON shape, the status `AppError::http_status`
//! gives, and the headers that status calls for. Used by the routes outside server functions
//! (the API gate, access control, reference images) and, for the headers, by the server
//! functions themselves.

use crate::error::AppError;
use axum::http::header::{HeaderName, HeaderValue, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::sync::atomic::{AtomicU64, Ordering};

pub fn error_response(error: &AppError) -> Response {
    let status =
        StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    // AppError is plain data: encoding it cannot fail.
    let body = serde_json::to_vec(error).unwrap_or_default();
    let mut response = (status, [(CONTENT_TYPE, "application/json")], body).into_response();
    response.headers_mut().extend(extra_headers(error));
    response
}

/// A refusal of the HTTP request itself.
pub fn refusal(status: StatusCode, message: impl Into<String>) -> Response {
    error_response(&AppError::Refused {
        status: status.as_u16(),
        message: message.into(),
    })
}

/// Logs the cause under a fresh reference and returns only the reference.
pub fn internal(cause: &str) -> AppError {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let reference = format!("E{:04}", NEXT.fetch_add(1, Ordering::Relaxed));
    tracing::error!(%reference, cause, "internal error");
    AppError::Internal { reference }
}

/// `Retry-After` for a busy engine, `WWW-Authenticate` for a missing sign-in.
pub fn extra_headers(error: &AppError) -> Vec<(HeaderName, HeaderValue)> {
    match error {
        AppError::Busy {
            retry_after_secs, ..
        } => vec![(RETRY_AFTER, HeaderValue::from(*retry_after_secs))],
        AppError::Refused { status: 401, .. } => vec![(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"proofsheet\""),
        )],
        _ => Vec::new(),
    }
}
