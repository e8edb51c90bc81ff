//! The call ledger, and the middleware that fills it: every request on a
//! provider route is read, parsed, key-checked and recorded before its
//! handler runs, and counted as completed or cancelled when it ends.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::task::Poll;

use axum::body::{to_bytes, Body};
use axum::extract::{OriginalUri, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use crate::auth::{self, AuthRecord, Credentials};
use crate::payload::{Payload, RecordedBody};
use crate::state::{CallToken, MockState};
use crate::Provider;

/// Largest request body accepted (edits and img2img carry images inline).
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// What the mock has received. JSON form of `GET /__mock/calls`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Calls {
    /// Requests received on provider routes (API calls and image downloads).
    pub count: usize,
    /// Requests that got an answer (any status). A stream of events counts
    /// once its last event is sent.
    pub completed: usize,
    /// Requests whose client went away before the answer was ready.
    pub cancelled: usize,
    /// Replicate predictions moved to `canceled` by the cancel endpoint.
    pub predictions_cancelled: usize,
    pub requests: Vec<ReceivedRequest>,
}

impl Calls {
    /// The requests one provider received, in order.
    pub fn of(&self, provider: Provider) -> Vec<&ReceivedRequest> {
        self.requests
            .iter()
            .filter(|request| request.provider == provider)
            .collect()
    }
}

/// One received request, as a contract test wants to see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReceivedRequest {
    pub provider: Provider,
    pub method: String,
    /// The full path, provider prefix included (`/openai/v1/images/generations`).
    pub path: String,
    /// The raw query string, with any `key=` value replaced by `REDACTED`.
    pub query: Option<String>,
    /// Lower-case header names; credential headers are left out (see `auth`),
    /// repeated headers are joined with `, `.
    pub headers: BTreeMap<String, String>,
    pub auth: AuthRecord,
    pub body: RecordedBody,
}

/// What the recorder hands each handler.
#[derive(Clone)]
pub(crate) struct Incoming {
    pub payload: Arc<Payload>,
    pub credentials: Credentials,
    /// `http://host:port` as the client addressed this server, for URLs the
    /// answer hands out.
    pub origin: String,
}

/// Middleware state: which provider the wrapped routes belong to, and
/// whether they take a key (API routes) or not (image downloads).
#[derive(Clone)]
pub(crate) struct Recorder {
    pub state: MockState,
    pub provider: Provider,
    pub takes_key: bool,
}

/// Counts the call as cancelled unless `answered` was set: when a client
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
    State(recorder): State<Recorder>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY_BYTES).await else {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("The request body could not be read or exceeds {MAX_BODY_BYTES} bytes."),
        )
            .into_response();
    };
    let payload = Payload::parse(&parts.headers, bytes).await;
    // Nesting strips the provider prefix from `parts.uri`; record what came.
    let uri = parts
        .extensions
        .get::<OriginalUri>()
        .map_or_else(|| parts.uri.clone(), |original| original.0.clone());
    let query = uri.query();
    let credentials = if recorder.takes_key {
        let expected = recorder.state.config().api_keys.get(&recorder.provider);
        auth::check(
            recorder.provider,
            &parts.headers,
            query,
            expected.map(String::as_str),
        )
    } else {
        Credentials::not_required()
    };

    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in &parts.headers {
        if auth::is_secret_header(name.as_str()) {
            continue;
        }
        let value = String::from_utf8_lossy(value.as_bytes());
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|joined| {
                joined.push_str(", ");
                joined.push_str(&value);
            })
            .or_insert_with(|| value.into_owned());
    }
    let received = ReceivedRequest {
        provider: recorder.provider,
        method: parts.method.to_string(),
        path: uri.path().to_owned(),
        query: query.map(auth::redact_query),
        headers,
        auth: credentials.record.clone(),
        body: payload.recorded(),
    };
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("127.0.0.1");
    let incoming = Incoming {
        payload: Arc::new(payload),
        credentials,
        origin: format!("http://{host}"),
    };
    parts.extensions.insert(incoming);

    let guard = CallGuard {
        token: recorder.state.begin_call(received),
        state: recorder.state,
        answered: false,
    };
    // Handlers read the parsed payload, never the body.
    let response = next.run(Request::from_parts(parts, Body::empty())).await;
    answered_when_sent(response, guard)
}

/// A plain answer is answered now. A stream of events is answered once its last event is sent;
/// if the client goes away first, hyper drops the body, and the guard inside it counts the call
/// as cancelled. Why: a client that reads a stream to its end and one that leaves halfway are
/// what tests of streaming clients tell apart.
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
