//! Engine benchmark: what the server adds to one generation on each engine, beyond the provider's
//! own time, with ~1.5 MB pictures.
//!
//! Run with `cargo bench --features ssr --bench engines` (`bench/run` runs it with the others).
//! It starts `mock-providers` in this process, with every picture padded to the weight of a real
//! one, and the release server as a child process pointed at it, both on 127.0.0.1 only. For each
//! engine it makes 3 warm-up and `TIMED_RUNS` timed generations through the server; after each,
//! it replays every call the server made to the mock for it (the same method, path, headers and
//! body, and for engines that answer with a URL, the picture's download) straight from this
//! process. The difference of the medians is what the server adds: the extra HTTP hop, reading
//! the provider's answer, base64 and JSON in and out, the provenance chunk. For URL engines the
//! download's own median is printed apart, as the issue asks. Figures, never pass/fail, on lines
//! starting with `engines `. The `openai` engine (Responses API) is measured by the `generation`
//! benchmark, which compares it with direct calls of its own.

#[path = "support/server.rs"]
mod server;
#[path = "support/stats.rs"]
mod stats;

use std::time::{Duration, Instant};

use mock_providers::{MockConfig, MockServer, Provider, ReceivedRequest, RecordedBody};
use proofsheet::model::GenerateRequest;
use reqwest::multipart::Form;
use reqwest::{Client, Method};
use serde_json::json;
use server::{client, Server};
use stats::{median, millis};

/// Every key the server is given; the mock accepts any non-empty key.
const KEY: &str = "bench-not-a-secret";
const PROMPT: &str = "a lighthouse at dusk, watercolour";
/// Filler per picture: the mock's gradient is a few KB, a real 1024x1024 PNG ~1.5 MB.
const IMAGE_PADDING_BYTES: usize = 1_480_000;
const WARMUP_RUNS: usize = 3;
const TIMED_RUNS: usize = 20;
/// Request headers not replayed: the client sets them for the body it sends.
const NOT_REPLAYED: [&str; 5] = [
    "host",
    "content-length",
    "content-type",
    "connection",
    "transfer-encoding",
];

/// (engine, size, quality): each engine's usual request for one picture of about 1024x1024.
const ENGINES: [(&str, &str, Option<&str>); 6] = [
    ("openai-images", "1024x1024", Some("auto")),
    ("gemini", "1:1", None),
    ("replicate", "1:1", None),
    ("ideogram", "1:1", None),
    ("doubao", "2048x2048", None),
    ("a1111", "1024x1024", None),
];

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime for the mock and the client");
    runtime.block_on(async {
        let mock = MockServer::start(MockConfig {
            image_padding_bytes: IMAGE_PADDING_BYTES,
            ..MockConfig::default()
        })
        .await;
        let server = start_server(&mock).await;
        let client = client();
        for (engine, size, quality) in ENGINES {
            measure(&client, &mock, &server, engine, size, quality).await;
        }
        println!(
            "engines server peak RSS after all engines: {:.1} MiB",
            server.memory_kib("VmHWM") as f64 / 1024.0
        );
    });
}

async fn start_server(mock: &MockServer) -> Server {
    let base = |provider| mock.base_url(provider);
    let env = [
        ("OPENAI_BASE_URL", base(Provider::OpenAi)),
        ("GEMINI_BASE_URL", base(Provider::Gemini)),
        ("REPLICATE_BASE_URL", base(Provider::Replicate)),
        ("IDEOGRAM_BASE_URL", base(Provider::Ideogram)),
        ("ARK_BASE_URL", base(Provider::Ark)),
        ("A1111_BASE_URL", base(Provider::A1111)),
    ];
    let keys = [
        "OPENAI_API_KEY",
        "GEMINI_API_KEY",
        "REPLICATE_API_TOKEN",
        "IDEOGRAM_API_KEY",
        "ARK_API_KEY",
    ];
    let mut settings: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    settings.extend(keys.iter().map(|k| (*k, KEY)));
    Server::start("engines", &settings).await
}

/// One engine: server and direct samples interleaved, so load from other processes on this
/// machine falls on both alike.
async fn measure(
    client: &Client,
    mock: &MockServer,
    server: &Server,
    engine: &str,
    size: &str,
    quality: Option<&str>,
) {
    let mut served = Vec::with_capacity(TIMED_RUNS);
    let mut direct = Vec::with_capacity(TIMED_RUNS);
    let mut downloads = Vec::with_capacity(TIMED_RUNS);
    let mut answer_bytes = 0;
    for run in 0..WARMUP_RUNS + TIMED_RUNS {
        mock.reset();
        let request = generate_request(engine, size, quality, run);
        let started = Instant::now();
        let response = client
            .post(server.url("/api/generate_image"))
            .json(&json!({ "request": request }))
            .send()
            .await
            .expect("the server answers");
        let status = response.status();
        let body = response.bytes().await.expect("the whole answer");
        let served_time = started.elapsed();
        assert!(
            status.is_success(),
            "{engine}: the server answered {status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(500)])
        );
        answer_bytes = body.len();
        let calls = mock.calls();
        let (direct_time, download_time) = replay(client, mock, &calls.requests).await;
        if run >= WARMUP_RUNS {
            served.push(served_time);
            direct.push(direct_time);
            downloads.push(download_time);
        }
    }
    let (served, direct, downloads) = (median(&served), median(&direct), median(&downloads));
    println!(
        "engines {engine:<14} server {:7.2} ms, direct {:7.2} ms, overhead {:+6.2} ms (medians of {TIMED_RUNS}; answer {:.2} MB){}",
        millis(served),
        millis(direct),
        millis(served) - millis(direct),
        answer_bytes as f64 / 1e6,
        if downloads.is_zero() {
            String::new()
        } else {
            format!("; of direct, the picture's download {:.2} ms", millis(downloads))
        },
    );
}

fn generate_request(
    engine: &str,
    size: &str,
    quality: Option<&str>,
    run: usize,
) -> GenerateRequest {
    GenerateRequest {
        request_id: format!("{engine}-{run}"),
        engine: engine.into(),
        model: String::new(),
        prompt: PROMPT.into(),
        size: size.into(),
        quality: quality.map(Into::into),
        seed: 1,
        styling: Default::default(),
        refinements: vec![],
        parent: None,
        references: vec![],
    }
}

/// Makes `calls` again, in order, from here; returns the time of all of them and of the picture
/// downloads among them (the mock serves those under `/<provider>-delivery/`).
async fn replay(
    client: &Client,
    mock: &MockServer,
    calls: &[ReceivedRequest],
) -> (Duration, Duration) {
    let mut all = Duration::ZERO;
    let mut downloads = Duration::ZERO;
    for call in calls {
        let started = Instant::now();
        let response = replayed(client, mock, call)
            .send()
            .await
            .expect("the mock answers");
        let status = response.status();
        response.bytes().await.expect("the whole answer");
        let took = started.elapsed();
        assert!(
            status.is_success(),
            "replaying {} {} got {status}",
            call.method,
            call.path
        );
        all += took;
        if call.path.contains("-delivery/") {
            downloads += took;
        }
    }
    (all, downloads)
}

fn replayed(client: &Client, mock: &MockServer, call: &ReceivedRequest) -> reqwest::RequestBuilder {
    let method = Method::from_bytes(call.method.as_bytes()).expect("a recorded method");
    let query = call
        .query
        .as_deref()
        .map(|query| format!("?{}", query.replace("REDACTED", KEY)))
        .unwrap_or_default();
    let mut request = client.request(method, format!("http://{}{}{query}", mock.addr, call.path));
    for (name, value) in &call.headers {
        if !NOT_REPLAYED.contains(&name.as_str()) {
            request = request.header(name, value);
        }
    }
    // The ledger keeps where the key came, never the key: send ours the same way.
    request = match call.auth.via.as_deref() {
        Some("authorization") => request.bearer_auth(KEY),
        Some("x-goog-api-key") => request.header("x-goog-api-key", KEY),
        Some("api-key") => request.header("Api-Key", KEY),
        _ => request,
    };
    match &call.body {
        RecordedBody::Empty => request,
        RecordedBody::Json { value } => request.json(value),
        RecordedBody::Text { text } => request.body(text.clone()),
        RecordedBody::Multipart { parts } => {
            let form = parts.iter().fold(Form::new(), |form, part| {
                let text = part
                    .text
                    .clone()
                    .expect("the benchmark sends no files: every field is text");
                form.text(part.name.clone(), text)
            });
            request.multipart(form)
        }
    }
}
