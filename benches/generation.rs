//! Generation benchmark: what the server adds to a generation beyond the provider's own latency,
//! and how it holds up when many generations run at once.
//!
//! Run with `cargo bench --features ssr --bench generation` (`bench/run` runs it with the other
//! benchmarks). It starts the mock OpenAI server in this process and the release server binary
//! (`CARGO_BIN_EXE_proofsheet`, which cargo builds for the bench) as a child process, both on
//! 127.0.0.1 only. It prints figures, never pass/fail, on lines starting with `generation `:
//!
//! - `direct` / `server openai` / `overhead`: sequential generations of a ~1.5 MB PNG through the
//!   server, interleaved with direct calls to the mock carrying the body the server sends. The
//!   difference of the medians is what the server adds: the extra HTTP hop, JSON and base64 in and
//!   out, and the provenance chunk.
//! - `server offline`: the built-in engine end to end, for information.
//! - `burst`: 100 concurrent generations at 2 s provider latency, once with small images and once
//!   with ~1.5 MB ones. First the same burst straight to the mock (what the mock and this process
//!   manage alone on this machine), then through the server: wall time, successes, when the mock
//!   had received and answered every call, and the server's resident memory. The server's
//!   per-engine bound is raised to the burst's size here: this measures serving, not the bound.
//! - `bounded burst`: 300 concurrent 1536x1024 offline generations at the shipped limits (two
//!   rendering, sixteen waiting, the rest told to come back): how many were made and refused,
//!   how long `GET /api/list_engines` took in the middle of it, and the server's peak memory.

#[path = "support/server.rs"]
mod server;
#[path = "support/stats.rs"]
mod stats;

use std::time::{Duration, Instant};

use base64::Engine as _;
use mock_providers::{MockConfig, MockServer, OpenAiStep, Provider, Step};
use proofsheet::model::{GenerateRequest, GeneratedImage};
use reqwest::{Client, RequestBuilder, StatusCode};
use serde_json::{json, Value};
use server::{client, Server};
use stats::{median, millis, percentile};
use tokio::task::JoinSet;

const API_KEY: &str = "sk-fake-bench-key";
const PROMPT: &str = "a lighthouse at dusk, watercolour";
/// Filler the mock adds to each PNG. Its 1024x1024 gradient is ~22 KB, so the files come out at
/// ~1.5 MB, the size of a real gpt-image-1 PNG (the report prints the exact size).
const IMAGE_PADDING_BYTES: usize = 1_480_000;
/// gpt-image-1 as Leptos.toml ships it for the `openai` engine, less `partial_images`.
const WITHOUT_PREVIEWS: &str = r#"[{id = "gpt-image-1", sizes = ["auto", "1024x1024", "1024x1536", "1536x1024"], qualities = ["auto", "low", "medium", "high"], max_references = 4}]"#;
const WARMUP_RUNS: usize = 3;
const TIMED_RUNS: usize = 40;
const BURST_SIZE: usize = 100;
const BURST_PROVIDER_DELAY_MS: u64 = 2_000;
/// Bounds, so no poll of the mock can hang the benchmark.
const MOCK_POLL_INTERVAL: Duration = Duration::from_millis(5);
const MOCK_POLLS: u32 = 12_000;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime for the mock and the client");
    runtime.block_on(async {
        overhead().await;
        burst("small images", 0).await;
        burst("1.5MB images", IMAGE_PADDING_BYTES).await;
        bounded_burst().await;
    });
}

/// Benchmark 1: server versus direct calls with a ~1.5 MB image, then the offline engine.
async fn overhead() {
    let mock = start_mock(IMAGE_PADDING_BYTES).await;
    // The shipped model streams two previews and the server hands the picture over as soon as it
    // is finished, before the stream's end; a direct call could not be timed like for like. So
    // here the model is the shipped one without previews (the browser benchmark, section 4 of
    // bench/README.md, measures them on and off).
    let bound = BURST_SIZE.to_string();
    let app = App::start_with(
        &mock,
        "overhead",
        &[
            ("PROOFSHEET_GENERATION_MAX_RUNNING", bound.as_str()),
            ("PROOFSHEET_GENERATION_MAX_QUEUED", bound.as_str()),
            ("PROOFSHEET_PROVIDER__OPENAI__MODELS", WITHOUT_PREVIEWS),
        ],
    )
    .await;
    let client = client();
    let mut direct = Vec::with_capacity(TIMED_RUNS);
    let mut served = Vec::with_capacity(TIMED_RUNS);
    for run in 0..WARMUP_RUNS + TIMED_RUNS {
        // Interleaved, so load from other processes on this machine falls on both alike.
        let direct_sample = timed(direct_call(&client, &mock)).await;
        let request = openai_request(format!("overhead-{run}"));
        let served_sample = timed(app.generate(&client, &request)).await;
        if run >= WARMUP_RUNS {
            direct.push(direct_sample);
            served.push(served_sample);
        }
    }
    check_like_for_like(&mock);

    let direct_png = mock_png_bytes(&direct[0]);
    let served_png = image_png_bytes(&expect_image(&served[0], "server openai"));
    let direct_stats = Stats::of(&direct);
    let served_stats = Stats::of(&served);
    report("direct mock", &direct_stats, &direct[0], direct_png);
    report("server openai", &served_stats, &served[0], served_png);
    println!(
        "generation overhead (server minus direct, {TIMED_RUNS} interleaved runs): median {:+.2} ms, p95 {:+.2} ms",
        millis(served_stats.median) - millis(direct_stats.median),
        millis(served_stats.p95) - millis(direct_stats.p95),
    );

    let mut offline = Vec::with_capacity(TIMED_RUNS);
    for run in 0..WARMUP_RUNS + TIMED_RUNS {
        let sample = timed(app.generate(&client, &offline_request(format!("offline-{run}")))).await;
        if run >= WARMUP_RUNS {
            offline.push(sample);
        }
    }
    let offline_png = image_png_bytes(&expect_image(&offline[0], "server offline"));
    report(
        "server offline 1024x1024",
        &Stats::of(&offline),
        &offline[0],
        offline_png,
    );
}

/// Benchmark 2: `BURST_SIZE` generations fired at once, each answered after
/// `BURST_PROVIDER_DELAY_MS`; first the same burst straight to the mock, the floor the mock and
/// this process reach on their own on this machine. A fresh server per case, since the peak RSS
/// it reports is a high-water mark over the process's life.
async fn burst(label: &str, image_padding_bytes: usize) {
    let mock = start_mock(image_padding_bytes).await;
    let app = App::start(&mock, &label.replace(' ', "-")).await;
    let client = client();
    let case = format!("burst {BURST_SIZE}x{BURST_PROVIDER_DELAY_MS}ms, {label}");

    let direct = fire_burst(&mock, |_| direct_call(&client, &mock)).await;
    let answered = direct
        .samples
        .iter()
        .filter(|sample| sample.status.is_success())
        .count();
    println!(
        "generation {case}, direct to mock: wall {:.3} s, {answered}/{BURST_SIZE} answered",
        direct.wall.as_secs_f64(),
    );

    // One generation first, so the burst measures serving, not lazy start-up work.
    let warmup = timed(app.generate(&client, &openai_request("burst-warmup".into()))).await;
    expect_image(&warmup, "burst warm-up");
    let idle_kib = app.server.memory_kib("VmRSS");
    let served = fire_burst(&mock, |i| {
        app.generate(&client, &openai_request(format!("burst-{i}")))
    })
    .await;
    let peak_kib = app.server.memory_kib("VmHWM");

    let succeeded = served
        .samples
        .iter()
        .filter(|sample| is_image(sample))
        .count();
    let stats = Stats::of(&served.samples);
    println!(
        "generation {case}, through server: wall {:.3} s, {succeeded}/{BURST_SIZE} succeeded, latency median {:.3} s, max {:.3} s, response {} bytes",
        served.wall.as_secs_f64(),
        stats.median.as_secs_f64(),
        stats.max.as_secs_f64(),
        served.samples[0].body.len(),
    );
    println!(
        "generation {case}, through server, timeline: all calls at the mock after {}, all answered by the mock after {}",
        seconds_or_never(served.mock.all_received),
        seconds_or_never(served.mock.all_answered),
    );
    println!(
        "generation {case}, through server, memory: server RSS idle {:.1} MiB, peak {:.1} MiB (VmHWM)",
        idle_kib as f64 / 1024.0,
        peak_kib as f64 / 1024.0,
    );
}

/// Benchmark 3: the per-engine bound under 300 large offline generations at once.
async fn bounded_burst() {
    const REQUESTS: usize = 300;
    let mock = start_mock(0).await;
    let app = App::start_with(&mock, "bounded-burst", &[]).await;
    let client = client();
    let idle_kib = app.server.memory_kib("VmRSS");
    let start = Instant::now();
    let mut requests = JoinSet::new();
    for i in 0..REQUESTS {
        let request = GenerateRequest {
            engine: "offline".into(),
            size: "1536x1024".into(),
            quality: None,
            seed: i as u64,
            ..openai_request(format!("bounded-{i}"))
        };
        requests.spawn(timed(app.generate(&client, &request)));
    }
    let engines = timed(client.get(app.server.url("/api/list_engines"))).await;
    let samples = requests.join_all().await;
    let wall = start.elapsed();
    let peak_kib = app.server.memory_kib("VmHWM");
    let made = samples.iter().filter(|s| is_image(s)).count();
    let busy = samples
        .iter()
        .filter(|s| s.status == StatusCode::TOO_MANY_REQUESTS)
        .count();
    println!(
        "generation bounded burst {REQUESTS}x offline 1536x1024: wall {:.3} s, {made} made, {busy} told to retry (429), list_engines during it {:.1} ms ({}), server RSS idle {:.1} MiB, peak {:.1} MiB (VmHWM)",
        wall.as_secs_f64(),
        engines.elapsed.as_secs_f64() * 1000.0,
        engines.status,
        idle_kib as f64 / 1024.0,
        peak_kib as f64 / 1024.0,
    );
}

struct BurstRun {
    samples: Vec<Sample>,
    /// From the first request sent until the last answer had fully arrived.
    wall: Duration,
    mock: MockProgress,
}

/// Scripts `BURST_SIZE` delayed images on a clean mock, sends `request(i)` for every `i` at
/// once, and watches the mock's ledger while the answers come in.
async fn fire_burst(mock: &MockServer, request: impl Fn(usize) -> RequestBuilder) -> BurstRun {
    mock.reset();
    let delayed = Step::from(OpenAiStep::Images).delayed(BURST_PROVIDER_DELAY_MS);
    mock.script(vec![delayed; BURST_SIZE]);
    let start = Instant::now();
    let mut requests = JoinSet::new();
    for i in 0..BURST_SIZE {
        requests.spawn(timed(request(i)));
    }
    let all_done = async {
        let samples = requests.join_all().await;
        (samples, start.elapsed())
    };
    let ((samples, wall), mock) = tokio::join!(all_done, watch_mock(mock, start));
    BurstRun {
        samples,
        wall,
        mock,
    }
}

/// The release server, pointed at the mock.
struct App {
    server: Server,
}

impl App {
    /// The server with its per-engine bound raised to the burst size, so bursts measure serving.
    async fn start(mock: &MockServer, name: &str) -> App {
        let bound = BURST_SIZE.to_string();
        App::start_with(
            mock,
            name,
            &[
                ("PROOFSHEET_GENERATION_MAX_RUNNING", bound.as_str()),
                ("PROOFSHEET_GENERATION_MAX_QUEUED", bound.as_str()),
            ],
        )
        .await
    }

    async fn start_with(mock: &MockServer, name: &str, settings: &[(&str, &str)]) -> App {
        let base_url = mock.base_url(Provider::OpenAi);
        let mut env = vec![
            ("OPENAI_API_KEY", API_KEY),
            ("OPENAI_BASE_URL", base_url.as_str()),
        ];
        env.extend_from_slice(settings);
        App {
            server: Server::start(&format!("generation-{name}"), &env).await,
        }
    }

    fn generate(&self, client: &Client, request: &GenerateRequest) -> RequestBuilder {
        client
            .post(self.server.url("/api/generate_image"))
            .json(&json!({ "request": request }))
    }
}

async fn start_mock(image_padding_bytes: usize) -> MockServer {
    let config = MockConfig {
        image_padding_bytes,
        ..MockConfig::default().with_api_key(Provider::OpenAi, API_KEY)
    };
    MockServer::start(config).await
}

fn openai_request(request_id: String) -> GenerateRequest {
    GenerateRequest {
        request_id,
        engine: "openai".into(),
        model: String::new(),
        prompt: PROMPT.into(),
        size: "1024x1024".into(),
        quality: Some("auto".into()),
        seed: 1,
        styling: Default::default(),
        refinements: vec![],
        parent: None,
        references: vec![],
    }
}

fn offline_request(request_id: String) -> GenerateRequest {
    GenerateRequest {
        engine: "offline".into(),
        quality: None,
        ..openai_request(request_id)
    }
}

/// What `OpenAiProvider::body` sends for `openai_request` with the models in Leptos.toml, so a
/// direct call asks the mock for exactly what a generation through the server does.
fn provider_body() -> Value {
    json!({
        "model": "gpt-4.1-mini",
        "tools": [{
            "type": "image_generation",
            "model": "gpt-image-1",
            "size": "1024x1024",
            "output_format": "png",
            "quality": "auto",
        }],
        "tool_choice": {"type": "image_generation"},
        "store": true,
        "stream": false,
        "input": PROMPT,
    })
}

fn direct_call(client: &Client, mock: &MockServer) -> RequestBuilder {
    client
        .post(format!("{}/responses", mock.base_url(Provider::OpenAi)))
        .bearer_auth(API_KEY)
        .json(&provider_body())
}

/// Every body the mock received must be `provider_body()`: otherwise the direct calls measure
/// different work from the server's, and the overhead figure means nothing.
fn check_like_for_like(mock: &MockServer) {
    let expected = provider_body();
    let calls = mock.calls();
    assert_eq!(
        calls.count,
        2 * (WARMUP_RUNS + TIMED_RUNS),
        "one mock call per request"
    );
    if let Some(other) = calls
        .requests
        .iter()
        .find(|request| request.body.json() != Some(&expected))
    {
        panic!(
            "the server sent {:?}; update provider_body() to match",
            other.body
        );
    }
}

/// One finished request: how long from sending until the whole body had arrived.
struct Sample {
    elapsed: Duration,
    status: StatusCode,
    body: Vec<u8>,
}

async fn timed(request: RequestBuilder) -> Sample {
    let start = Instant::now();
    let response = request.send().await.expect("the request gets an answer");
    let status = response.status();
    let body = response.bytes().await.expect("the answer's body arrives");
    let elapsed = start.elapsed();
    // Copied only now, so the copy is not timed.
    Sample {
        elapsed,
        status,
        body: body.to_vec(),
    }
}

fn parse_image(sample: &Sample) -> Option<GeneratedImage> {
    if !sample.status.is_success() {
        return None;
    }
    serde_json::from_slice::<GeneratedImage>(&sample.body)
        .ok()
        .filter(|image| image.mime == "image/png")
}

fn is_image(sample: &Sample) -> bool {
    parse_image(sample).is_some()
}

fn expect_image(sample: &Sample, what: &str) -> GeneratedImage {
    parse_image(sample).unwrap_or_else(|| {
        let excerpt: String = String::from_utf8_lossy(&sample.body)
            .chars()
            .take(400)
            .collect();
        panic!("{what}: expected a PNG, got {}: {excerpt}", sample.status)
    })
}

fn image_png_bytes(image: &GeneratedImage) -> usize {
    decode_b64(&image.b64).len()
}

/// The PNG inside a Responses API answer (`output[].result` of the `image_generation_call`).
fn mock_png_bytes(sample: &Sample) -> usize {
    assert!(
        sample.status.is_success(),
        "direct call failed with {}",
        sample.status
    );
    let response: Value = serde_json::from_slice(&sample.body).expect("the mock answers JSON");
    let result = response["output"]
        .as_array()
        .and_then(|items| {
            items
                .iter()
                .find(|item| item["type"] == "image_generation_call")
        })
        .and_then(|call| call["result"].as_str())
        .expect("the mock's answer has an image_generation_call result");
    decode_b64(result).len()
}

fn decode_b64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("the image is valid base64")
}

/// When, counted from the burst's start, the mock had received and had answered every call.
struct MockProgress {
    all_received: Option<Duration>,
    all_answered: Option<Duration>,
}

/// Polls the mock's ledger. Tells whether the server fanned the burst out at once (all calls
/// at the mock early) and how long the server took after the mock's last answer.
async fn watch_mock(mock: &MockServer, start: Instant) -> MockProgress {
    let mut progress = MockProgress {
        all_received: None,
        all_answered: None,
    };
    for _ in 0..MOCK_POLLS {
        let calls = mock.calls();
        if progress.all_received.is_none() && calls.count >= BURST_SIZE {
            progress.all_received = Some(start.elapsed());
        }
        if calls.completed + calls.cancelled >= BURST_SIZE {
            progress.all_answered = Some(start.elapsed());
            break;
        }
        tokio::time::sleep(MOCK_POLL_INTERVAL).await;
    }
    progress
}

fn seconds_or_never(at: Option<Duration>) -> String {
    at.map_or_else(
        || "never (timed out)".into(),
        |at| format!("{:.3} s", at.as_secs_f64()),
    )
}

struct Stats {
    median: Duration,
    p95: Duration,
    min: Duration,
    max: Duration,
}

impl Stats {
    fn of(samples: &[Sample]) -> Stats {
        let elapsed: Vec<Duration> = samples.iter().map(|sample| sample.elapsed).collect();
        Stats {
            median: median(&elapsed),
            p95: percentile(&elapsed, 95),
            min: elapsed.iter().min().copied().unwrap_or_default(),
            max: elapsed.iter().max().copied().unwrap_or_default(),
        }
    }
}

fn report(case: &str, stats: &Stats, sample: &Sample, png_bytes: usize) {
    println!(
        "generation {case}: median {:.2} ms, p95 {:.2} ms, min {:.2} ms, response {} bytes, png {png_bytes} bytes",
        millis(stats.median),
        millis(stats.p95),
        millis(stats.min),
        sample.body.len(),
    );
}
