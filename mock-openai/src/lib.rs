//! A local imitation of OpenAI's Responses API with the `image_generation`
//! tool, for tests and benchmarks (wire shapes: providers.md §1).
//!
//! Start one in-process with [`MockServer::start`], or run the
//! `mock-openai` binary and drive it through the `/__mock` control API.

mod api;
mod auth;
mod control;
mod envelope;
mod ids;
mod record;
mod response;
mod script;
mod state;
mod stream;
mod validate;

use std::net::SocketAddr;

use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use record::{Calls, ReceivedRequest};
pub use script::Step;
pub use state::MockState;

/// How a mock behaves beyond its script.
#[derive(Clone, Debug, Default)]
pub struct MockConfig {
    /// `None`: any non-empty bearer token is accepted. `Some(k)`: only
    /// `Authorization: Bearer k`; any other key gets OpenAI's 401.
    pub api_key: Option<String>,
    /// Filler bytes added to each PNG in a private `prVt` chunk, so
    /// benchmarks can move realistically large images (~1.5 MB).
    pub image_padding_bytes: usize,
}

/// A mock serving on `127.0.0.1` in a background task; stops when dropped.
pub struct MockServer {
    pub addr: SocketAddr,
    state: MockState,
    task: JoinHandle<()>,
}

impl MockServer {
    /// Binds `127.0.0.1:0` and serves in a tokio task.
    ///
    /// # Panics
    /// If no local port can be bound (a broken test machine, not a test failure).
    pub async fn start(config: MockConfig) -> MockServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("mock-openai: cannot bind 127.0.0.1:0");
        let addr = listener
            .local_addr()
            .expect("mock-openai: bound socket has no address");
        let state = MockState::new(config);
        let app = router(state.clone());
        let task = tokio::spawn(async move {
            // `serve` only returns if accepting fails for good; a test would
            // then see connection errors, which say more than a panic here.
            let _ = axum::serve(listener, app).await;
        });
        MockServer { addr, state, task }
    }

    /// `http://127.0.0.1:PORT/v1`, the value for the client's base URL.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Replaces the queue of scripted replies.
    ///
    /// # Panics
    /// If a step cannot be answered as written (e.g. `ServerError` with a
    /// non-5xx status): a broken script should fail the test at once.
    pub fn script(&self, steps: Vec<Step>) {
        if let Err(error) = self.state.script(steps) {
            panic!("mock-openai: invalid script: {error}");
        }
    }

    /// Snapshot of what the mock has received so far.
    pub fn calls(&self) -> Calls {
        self.state.calls()
    }

    /// Clears the script, the calls and every stored response.
    pub fn reset(&self) {
        self.state.reset();
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The whole mock as an axum router, for embedding in another server.
pub fn router(state: MockState) -> Router {
    let openai = Router::new()
        .route("/v1/responses", post(api::create_response))
        .route("/v1/responses/{id}", get(api::get_response))
        .fallback(envelope::invalid_url)
        .method_not_allowed_fallback(envelope::invalid_url)
        // Recording wraps the handlers (and the fallback) so every call is
        // counted, including rejected and cancelled ones.
        .layer(from_fn_with_state(state.clone(), record::record))
        // The recorder already read the body under its own, larger limit.
        .layer(DefaultBodyLimit::disable());
    Router::new()
        .route("/__mock/script", post(control::script))
        .route("/__mock/calls", get(control::calls))
        .route("/__mock/reset", post(control::reset))
        .merge(openai)
        .with_state(state)
}
