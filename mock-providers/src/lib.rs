//! Local imitations of image-generation providers' wire protocols, for the
//! app's contract tests, browser tests and benchmarks. Shapes, statuses,
//! headers and wording follow `providers.md` (section numbers below);
//! choices where it says UNCONFIRMED are marked so in the code.
//!
//! One server on `127.0.0.1` serves every provider under its own path
//! prefix. Point each client's base-URL setting at
//! [`MockServer::base_url`], which is spelt like the provider's real base
//! URL (as the app's `*_BASE_URL` settings have it):
//!
//! | provider ([`Provider`]) | real base URL | `base_url(p)` | routes under it |
//! |---|---|---|---|
//! | `OpenAi` (§1, §2) | `https://api.openai.com/v1` | `http://ADDR/openai/v1` | `POST /responses`, `GET /responses/{id}`, `POST /images/generations`, `POST /images/edits` |
//! | `Jimeng` (§7) | `http://HOST:8000/v1` | `http://ADDR/jimeng/v1` | `POST /images/generations` |
//! | `Gemini` (§3) | `https://generativelanguage.googleapis.com` | `http://ADDR/gemini` | `POST /v1beta/models/{model}:generateContent` |
//! | `Replicate` (§4) | `https://api.replicate.com/v1` | `http://ADDR/replicate/v1` | `POST /models/{owner}/{name}/predictions`, `POST /predictions`, `GET /predictions/{id}`, `POST /predictions/{id}/cancel` |
//! | `Ideogram` (§5) | `https://api.ideogram.ai` | `http://ADDR/ideogram` | `POST /v1/ideogram-v3/generate` |
//! | `Ark` (§6) | `https://ark.cn-beijing.volces.com/api/v3` | `http://ADDR/ark/api/v3` | `POST /images/generations` |
//! | `A1111` (§8.1) | `http://127.0.0.1:7860` | `http://ADDR/a1111` | `POST /sdapi/v1/txt2img`, `POST /sdapi/v1/img2img`, `GET /sdapi/v1/progress`, `POST /sdapi/v1/interrupt`, `POST /internal/progress` |
//!
//! For a `mock-providers` binary started elsewhere, a base URL is
//! `http://ADDR` followed by [`Provider::base_path`].
//!
//! Image URLs in answers point back at the mock and serve real image bytes
//! (signed ones refuse a changed query with 403, and expire with 403):
//! * `/openai-delivery/…`: dall-e URLs, signed, 60 minutes;
//! * `/jimeng-delivery/…`: signed, a day (real lifetime UNCONFIRMED);
//! * `/replicate-delivery/…`: prediction outputs, unsigned;
//! * `/ideogram-delivery/…`: signed, [`MockConfig::ideogram_url_ttl_secs`];
//! * `/ark-delivery/…`: signed, 24 hours.
//!
//! Drive a mock with a script of [`Step`]s (one queue per provider; an empty
//! queue answers success), read what it received with [`MockServer::calls`],
//! and clear both with [`MockServer::reset`]. Each provider's replies are
//! its own enum, made a step with `Step::from(…)` and optionally
//! `.delayed(ms)` (a delayed OpenAI stream spreads the delay between its
//! partial images, as a service drawing would):
//! * [`OpenAiStep`]: images, rate limits, quota, key, moderation, org
//!   verification, model, server errors;
//! * [`JimengStep`]: images (count, format), HTTP 200 failures by code;
//! * [`GeminiStep`]: image, text only, blocked prompt, no image, quota
//!   (`RetryInfo`), key, permission, model, internal, overloaded;
//! * [`ReplicateStep`]: predictions that succeed or fail after N polls,
//!   401, 402, 422 version, 429 throttling, 5xx;
//! * [`IdeogramStep`]: images (unsafe ones, URL lifetime), 422 safety,
//!   429 in-flight, 402 funds/daily limit, 401, 403, 5xx;
//! * [`ArkStep`]: images (group size, failed members), any Ark error code;
//! * [`A1111Step`]: images, handled exceptions.
//!
//! Script, calls and reset also exist over HTTP, for the binary:
//! `POST /__mock/script` with
//! `{"steps":[{"provider":"openai","respond":"server_error","delay_ms":100}]}`,
//! `GET /__mock/calls[?provider=openai]`, `POST /__mock/reset`.

mod auth;
mod clock;
mod control;
mod fields;
mod files;
mod ids;
mod images;
mod ledger;
mod payload;
mod provider;
mod providers;
mod script;
mod sse;
mod state;

use std::collections::BTreeMap;
use std::net::SocketAddr;

use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use auth::{AuthRecord, KeyOutcome};
pub use images::ImageFormat;
pub use ledger::{Calls, ReceivedRequest};
pub use payload::{RecordedBody, RecordedPart};
pub use provider::Provider;
pub use providers::{
    A1111Step, ArkStep, GeminiStep, IdeogramStep, JimengStep, OpenAiStep, ReplicateStep,
};
pub use script::{Reply, Step};
pub use state::MockState;

/// How a mock behaves beyond its script.
#[derive(Clone, Debug)]
pub struct MockConfig {
    /// The key each provider expects. A provider not listed accepts any
    /// non-empty key; AUTOMATIC1111 takes none.
    pub api_keys: BTreeMap<Provider, String>,
    /// Ideogram's in-flight limit, counted in images (§5.4: 10).
    pub ideogram_max_inflight_images: u32,
    /// How long Ideogram's signed image URLs work. The real lifetime is
    /// UNCONFIRMED ("a limited period of time"); an hour by default.
    pub ideogram_url_ttl_secs: u64,
    /// Filler bytes added to every PNG and JPEG picture (WebP stays as it is), so a benchmark
    /// can ask for pictures as heavy as real ones; 0 by default.
    pub image_padding_bytes: usize,
    /// Serve AUTOMATIC1111 as `--nowebui` does: the API without the web
    /// UI's `POST /internal/progress`.
    pub a1111_api_only: bool,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            api_keys: BTreeMap::new(),
            ideogram_max_inflight_images: 10,
            ideogram_url_ttl_secs: 3600,
            image_padding_bytes: 0,
            a1111_api_only: false,
        }
    }
}

impl MockConfig {
    /// Only `key` will be accepted for `provider`.
    pub fn with_api_key(mut self, provider: Provider, key: impl Into<String>) -> Self {
        self.api_keys.insert(provider, key.into());
        self
    }
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
            .expect("mock-providers: cannot bind 127.0.0.1:0");
        let addr = listener
            .local_addr()
            .expect("mock-providers: bound socket has no address");
        let state = MockState::new(config);
        let app = router(state.clone());
        let task = tokio::spawn(async move {
            // `serve` only returns if accepting fails for good; a test would
            // then see connection errors, which say more than a panic here.
            let _ = axum::serve(listener, app).await;
        });
        MockServer { addr, state, task }
    }

    /// The value for `provider`'s base-URL setting (see the crate docs).
    pub fn base_url(&self, provider: Provider) -> String {
        format!("http://{}{}", self.addr, provider.base_path())
    }

    /// Replaces every provider's queue of scripted replies.
    ///
    /// # Panics
    /// If a step cannot be answered as written (e.g. an OpenAI
    /// `server_error` with a 404 status): a broken script should fail the
    /// test at once.
    pub fn script(&self, steps: Vec<Step>) {
        if let Err(error) = self.state.script(steps) {
            panic!("mock-providers: invalid script: {error}");
        }
    }

    /// Snapshot of what the mock has received so far.
    pub fn calls(&self) -> Calls {
        self.state.calls()
    }

    /// Clears the script, the calls, issued URLs and predictions.
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
    let mut app = Router::new()
        .route("/__mock/script", post(control::script))
        .route("/__mock/calls", get(control::calls))
        .route("/__mock/reset", post(control::reset));
    for provider in Provider::ALL {
        // Recording wraps each provider's handlers and fallback, so every
        // call is counted, including rejected and cancelled ones.
        let recorder = |takes_key| ledger::Recorder {
            state: state.clone(),
            provider,
            takes_key,
        };
        let api =
            providers::routes(provider).layer(from_fn_with_state(recorder(true), ledger::record));
        app = app.nest(&provider.prefix(), api);
        if providers::hands_out_urls(provider) {
            let downloads = Router::new()
                .route(
                    &format!("{}/{{*path}}", provider.delivery_prefix()),
                    get(files::serve),
                )
                .layer(from_fn_with_state(recorder(false), ledger::record));
            app = app.merge(downloads);
        }
    }
    app.fallback(|| async {
        (
            axum::http::StatusCode::NOT_FOUND,
            Json(json!({"error": "No provider is served at this path; see the mock-providers docs."})),
        )
    })
    .with_state(state)
}
