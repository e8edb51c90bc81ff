//! Middleware around the OpenAI routes: records each request in the call
//! ledger, counts it as completed or cancelled, and stamps OpenAI's headers.

use std::task::Poll;
use std::time::Instant;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::envelope::ApiError;
use crate::ids::hex_id;
use crate::state::{CallToken, MockState};

/// Largest request body accepted (edits carry base64 images inline).
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// What the mock has received. JSON form of `GET /__mock/calls`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Calls {
    /// Requests received on the OpenAI routes.
    pub count: usize,
    /// Requests that got an answer (any status; a stream, all of it).
    pub completed: usize,
    /// Requests whose client went away before the answer was ready.
    pub cancelled: usize,
    pub requests: Vec<ReceivedRequest>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReceivedRequest {
    pub method: String,
    pub path: String,
    /// Whether a non-empty `Authorization` header came with the request.
    pub authorization_present: bool,
    /// The JSON body; a string if it was not valid JSON; null if empty.
    pub body: Value,
}

/// Counts the call as cancelled unless `answered` was called: when a client
/// disconnects mid-request, hyper drops the handler future and with it this
/// guard, which is the only place that event is observable.
struct CallGuard {
    state: MockState,
    token: CallToken,
    answered: bool,
}

impl Drop for CallGuard {
    fn drop(&mut self) {
        self.state.end_call(&self.token, self.answered);
    }
}

pub(crate) async fn record(
    State(state): State<MockState>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let mut response = match to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => {
            let received = ReceivedRequest {
                method: parts.method.to_string(),
                path: parts.uri.path().to_owned(),
                authorization_present: parts
                    .headers
                    .get(header::AUTHORIZATION)
                    .is_some_and(|value| !value.is_empty()),
                body: parse_body(&bytes),
            };
            let guard = CallGuard {
                token: state.begin_call(received),
                state,
                answered: false,
            };
            let response = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            answered_when_sent(response, guard)
        }
        Err(_) => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request_error",
            format!("The request body could not be read or exceeds {MAX_BODY_BYTES} bytes."),
        )
        .into_response(),
    };
    stamp_openai_headers(&mut response, started);
    response
}

/// A plain answer is answered now. A stream of events is answered once its
/// last event is sent; if the client goes away first, hyper drops the body,
/// and the guard inside it counts the call as cancelled.
fn answered_when_sent(response: Response, mut guard: CallGuard) -> Response {
    let streamed = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"text/event-stream"));
    if !streamed {
        guard.answered = true;
        return response;
    }
    let (parts, body) = response.into_parts();
    let mut guard = Some(guard);
    let end = futures_util::stream::poll_fn(move |_| {
        if let Some(mut guard) = guard.take() {
            guard.answered = true;
        }
        Poll::Ready(None)
    });
    let body = Body::from_stream(body.into_data_stream().chain(end));
    Response::from_parts(parts, body)
}

fn parse_body(bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

fn stamp_openai_headers(response: &mut Response, started: Instant) {
    let headers = response.headers_mut();
    if let Ok(id) = HeaderValue::try_from(hex_id("req_", 32)) {
        headers.insert("x-request-id", id);
    }
    headers.insert("openai-version", HeaderValue::from_static("2020-10-01"));
    headers.insert(
        "openai-processing-ms",
        HeaderValue::from(started.elapsed().as_millis() as u64),
    );
}
