//! Contract tests: every remote provider client, driven through `generate` on an `AppState` made
//! from the shipped `Leptos.toml`, against the local imitation of its API (`mock-providers`).
//! Each module checks what its client sends, what it makes of each answer the mock offers, and
//! the words people read. Real time throughout, with millisecond backoff.

#[path = "../common/mod.rs"]
mod common;

mod a1111;
mod ark;
mod fallback;
mod gemini;
mod ideogram;
mod jimeng;
mod openai_images;
mod references;
mod replicate;

use mock_providers::{MockConfig, MockServer, Provider, ReceivedRequest};
use proofsheet::error::{AppError, ProviderFailure};
use proofsheet::model::{GenerateRequest, GeneratedImage};
use proofsheet::server::state::AppState;
use std::time::Duration;

/// Test keys; each ends in a tail that must never reach a message people read.
pub const GEMINI_KEY: &str = "test-gemini-key-qkzv";
pub const REPLICATE_KEY: &str = "test-replicate-token-qkzv";
pub const IDEOGRAM_KEY: &str = "test-ideogram-key-qkzv";
pub const ARK_KEY: &str = "test-ark-key-qkzv";
pub const KEY_TAIL: &str = "qkzv";

pub const PROMPT: &str = "a lighthouse at dusk, watercolour";

/// A mock that accepts only the test keys above.
pub async fn start_mock() -> MockServer {
    MockServer::start(
        MockConfig::default()
            .with_api_key(Provider::Gemini, GEMINI_KEY)
            .with_api_key(Provider::Replicate, REPLICATE_KEY)
            .with_api_key(Provider::Ideogram, IDEOGRAM_KEY)
            .with_api_key(Provider::Ark, ARK_KEY),
    )
    .await
}

/// A state whose remote engines all talk to `mock` with the test keys, plus `extra` settings.
pub fn state_for(mock: &MockServer, extra: &[(&str, &str)]) -> AppState {
    let urls = [
        ("GEMINI_BASE_URL", mock.base_url(Provider::Gemini)),
        ("REPLICATE_BASE_URL", mock.base_url(Provider::Replicate)),
        ("IDEOGRAM_BASE_URL", mock.base_url(Provider::Ideogram)),
        ("ARK_BASE_URL", mock.base_url(Provider::Ark)),
        ("A1111_BASE_URL", mock.base_url(Provider::A1111)),
    ];
    let mut env: Vec<(&str, &str)> = vec![
        ("GEMINI_API_KEY", GEMINI_KEY),
        ("REPLICATE_API_TOKEN", REPLICATE_KEY),
        ("IDEOGRAM_API_KEY", IDEOGRAM_KEY),
        ("ARK_API_KEY", ARK_KEY),
    ];
    env.extend(urls.iter().map(|(k, v)| (*k, v.as_str())));
    env.extend_from_slice(extra);
    common::state(&env)
}

/// A request for `engine` at `size`, with the model's defaults otherwise.
pub fn request(id: &str, engine: &str, size: &str) -> GenerateRequest {
    GenerateRequest {
        size: size.into(),
        quality: None,
        ..common::request(id, engine, PROMPT)
    }
}

/// The failure, message and call count of a provider error; panics on anything else.
pub fn provider_error(result: Result<GeneratedImage, AppError>) -> (ProviderFailure, String, u32) {
    match result {
        Err(AppError::Provider {
            failure,
            message,
            provider_calls,
        }) => (failure, message, provider_calls),
        Err(other) => panic!("expected a provider error, got {other:?}"),
        Ok(image) => panic!(
            "expected a provider error, got an image from {}",
            image.provider
        ),
    }
}

/// The API calls (not image downloads) `provider` received.
pub fn api_calls(mock: &MockServer, provider: Provider) -> Vec<ReceivedRequest> {
    mock.calls()
        .of(provider)
        .into_iter()
        .filter(|r| !r.path.contains("-delivery/"))
        .cloned()
        .collect()
}

/// The value of multipart text field `name`.
pub fn part<'a>(request: &'a ReceivedRequest, name: &str) -> Option<&'a str> {
    request
        .body
        .parts()
        .iter()
        .find(|p| p.name == name)
        .and_then(|p| p.text.as_deref())
}

/// The picture's bytes, checked to be the format its MIME type claims.
pub fn picture_bytes(image: &GeneratedImage) -> Vec<u8> {
    let bytes = common::decode_b64(&image.b64);
    let ok = match image.mime.as_str() {
        "image/png" => bytes.starts_with(&common::PNG_SIGNATURE),
        "image/jpeg" => bytes.starts_with(&[0xff, 0xd8, 0xff]),
        "image/webp" => bytes.len() > 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP",
        other => panic!("unexpected MIME type {other}"),
    };
    assert!(ok, "the bytes are a {} picture", image.mime);
    bytes
}

/// Asserts a message people read never holds any part of a key.
pub fn assert_no_key(message: &str) {
    assert!(
        !message.contains(KEY_TAIL),
        "a message quotes a key: {message}"
    );
}

/// Polls the mock's ledger until `done` holds, in short steps, for at most ten seconds; the
/// bound only stops a broken test from hanging, it is not what the test asserts.
pub async fn wait_for_calls(
    mock: &MockServer,
    what: &str,
    done: impl Fn(&mock_providers::Calls) -> bool,
) -> mock_providers::Calls {
    wait_for_calls_within(mock, what, Duration::from_secs(10), done).await
}

/// [`wait_for_calls`] with another bound, for paused-time tests whose mock sleeps longer.
pub async fn wait_for_calls_within(
    mock: &MockServer,
    what: &str,
    bound: Duration,
    done: impl Fn(&mock_providers::Calls) -> bool,
) -> mock_providers::Calls {
    let step = Duration::from_millis(10);
    for _ in 0..bound.as_millis() / step.as_millis() {
        let calls = mock.calls();
        if done(&calls) {
            return calls;
        }
        tokio::time::sleep(step).await;
    }
    let calls = mock.calls();
    panic!(
        "the mock never saw {what}: {} calls, {} predictions cancelled",
        calls.count, calls.predictions_cancelled
    );
}
