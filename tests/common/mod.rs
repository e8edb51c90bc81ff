//! Helpers shared by the integration tests: settings made from the real `Leptos.toml` plus
//! environment pairs, an `AppState`, the real server on a free port (`server`), requests, and a
//! bounded poll for the mock's ledger.
//!
//! Each test binary uses only part of this module, hence the `dead_code` allowance.
#![allow(dead_code)]

use leptos::config::LeptosOptions;
use mock_providers::{Calls, MockConfig, MockServer, Provider};
use proofsheet::model::{GenerateRequest, ParentImage};
use proofsheet::server::config::Settings;
use proofsheet::server::state::AppState;
use std::time::Duration;

pub mod server;

/// The key the mock is started with and, unless a test says otherwise, the one configured.
pub const API_KEY: &str = "sk-fake-test-qkzv";

/// The settings file the server ships with.
pub const LEPTOS_TOML: &str = include_str!("../../Leptos.toml");

/// Retries as configured, but with millisecond backoff and no jitter, so tests take real time
/// without taking long.
const FAST_RETRIES: [(&str, &str); 2] = [
    ("PROOFSHEET_RETRY_BASE_DELAY_MS", "1"),
    ("PROOFSHEET_RETRY_JITTER", "false"),
];

/// Where tests keep reference images unless they give a directory of their own: under cargo's
/// scratch directory for tests, never in the working tree.
const DATA_DIR: (&str, &str) = (
    "PROOFSHEET_DATA_DIR",
    concat!(env!("CARGO_TARGET_TMPDIR"), "/test-data"),
);

pub fn settings(env: &[(&str, &str)]) -> Settings {
    // Later pairs win, so a test's own values replace these defaults.
    let pairs = FAST_RETRIES
        .iter()
        .chain([&DATA_DIR])
        .chain(env)
        .map(|(k, v)| (k.to_string(), v.to_string()));
    Settings::from_parts(LEPTOS_TOML, pairs).expect("test settings are valid")
}

pub fn leptos_options() -> LeptosOptions {
    LeptosOptions::builder().output_name("proofsheet").build()
}

pub fn state(env: &[(&str, &str)]) -> AppState {
    AppState::new(leptos_options(), settings(env)).expect("the app state builds")
}

/// A state without any key: only the offline engine.
pub fn offline_state() -> AppState {
    state(&[])
}

/// A state whose OpenAI engine talks to `base_url` with `key`, plus any further settings.
pub fn openai_state_at(base_url: &str, key: &str, extra: &[(&str, &str)]) -> AppState {
    let mut env = vec![("OPENAI_API_KEY", key), ("OPENAI_BASE_URL", base_url)];
    env.extend_from_slice(extra);
    state(&env)
}

/// A mock whose OpenAI accepts only `API_KEY`.
pub async fn start_mock() -> MockServer {
    MockServer::start(MockConfig::default().with_api_key(Provider::OpenAi, API_KEY)).await
}

/// The mock's OpenAI base URL, as `OPENAI_BASE_URL` spells it.
pub fn openai_url(mock: &MockServer) -> String {
    mock.base_url(Provider::OpenAi)
}

pub fn request(id: &str, engine: &str, prompt: &str) -> GenerateRequest {
    GenerateRequest {
        request_id: id.into(),
        engine: engine.into(),
        model: String::new(),
        prompt: prompt.into(),
        size: "1024x1024".into(),
        quality: Some("low".into()),
        seed: 7,
        styling: Default::default(),
        refinements: vec![],
        parent: None,
        references: vec![],
    }
}

/// A refinement of `prompt` with one feedback text, building on `parent`.
pub fn refinement(id: &str, prompt: &str, feedback: &str, parent: ParentImage) -> GenerateRequest {
    GenerateRequest {
        refinements: vec![feedback.into()],
        parent: Some(parent),
        ..request(id, "openai", prompt)
    }
}

/// Polls the mock's ledger until `done` holds, in short steps, for at most ten seconds; the
/// bound only stops a broken test from hanging, it is not what the test asserts.
pub async fn wait_for_calls(mock: &MockServer, what: &str, done: impl Fn(&Calls) -> bool) -> Calls {
    for _ in 0..1000 {
        let calls = mock.calls();
        if done(&calls) {
            return calls;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the mock never saw {what}: {:?}", summary(&mock.calls()));
}

/// The ledger without the request bodies, for failure messages.
pub fn summary(calls: &Calls) -> (usize, usize, usize) {
    (calls.count, calls.completed, calls.cancelled)
}

pub const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

pub fn decode_b64(b64: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("the image is valid base64")
}

/// The iTXt entries of a PNG as `(keyword, text)`, in file order, read by the png crate (which
/// checks every CRC). The provenance chunk follows the image data, so the whole image is decoded.
pub fn itxt_entries(png: &[u8]) -> Vec<(String, String)> {
    let mut reader = png::Decoder::new(png)
        .read_info()
        .expect("the PNG header decodes");
    let mut pixels = vec![0; reader.output_buffer_size()];
    reader.next_frame(&mut pixels).expect("the image decodes");
    reader.finish().expect("the chunks after the image decode");
    reader
        .info()
        .utf8_text
        .iter()
        .map(|chunk| (chunk.keyword.clone(), chunk.get_text().expect("UTF-8 text")))
        .collect()
}
