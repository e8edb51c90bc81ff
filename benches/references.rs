//! Reference upload benchmark: eight ~5 MB JPEGs sent at once to the release server, timed until
//! all eight are stored and answered ("uploaded and ready"). Target: at most 500 ms on localhost.
//!
//! Run with `cargo bench --features ssr --bench references` (`bench/run` runs it with the other
//! benchmarks). It starts the release server (`CARGO_BIN_EXE_proofsheet`) as a child process on
//! 127.0.0.1 with a fresh data directory, and prints figures, never pass/fail, on lines starting
//! with `references `:
//!
//! - `8x5MB`: the headline. Eight JPEGs of random noise at quality 95 (noise is what makes a JPEG
//!   that size at this resolution), 1664×1248, so within the 2048 side limit, upright and without
//!   metadata: each is streamed to disk, hashed, its header checked and the whole image decoded
//!   (to know it is intact), then kept as it came. New pictures every round, so nothing is found
//!   already stored. Wall time per round, from the first byte sent to the last answer, over
//!   `ROUNDS` rounds after one warm-up; each upload's own latency; the server's peak memory.
//! - `8x5MB again`: the same eight sent again: found by the hash taken while streaming, nothing
//!   decoded (information).
//! - `8x camera`: eight 4032×3024 photo-like JPEGs with EXIF orientation 6, as a phone takes
//!   them: each is decoded, turned upright, scaled to 2048 and encoded again (information; the
//!   costly path).
//! - `20 generations x 4 references`: twenty generations sent at once on the OpenAI engine (the
//!   local mock, 500 ms per picture), each naming the same four ~5 MB references, with the
//!   shipped bounds (8 running, the rest waiting): how many were made, their wall time, and the
//!   server's peak memory. Target: at most 300 MiB.

#[path = "support/server.rs"]
mod server;
#[path = "support/stats.rs"]
mod stats;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageEncoder as _, Rgb, RgbImage};
use mock_providers::{MockConfig, MockServer, OpenAiStep, Provider, Step};
use proofsheet::model::{GenerateRequest, ReferenceImage};
use reqwest::{Client, StatusCode};
use server::{client, Server};
use stats::{median, millis};
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

const UPLOADS: usize = 8;
const ROUNDS: usize = 5;
/// Noise at quality 95 takes about 2.4 bytes a pixel: 1664×1248 comes to about 5 MB.
const NOISE_SIZE: (u32, u32) = (1664, 1248);
const CAMERA_SIZE: (u32, u32) = (4032, 3024);

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime for the client");
    runtime.block_on(async {
        let server = Server::start("references", &[]).await;
        let client = client();
        let mut seed = 1;
        let mut rounds = Vec::with_capacity(ROUNDS);
        let mut last = Vec::new();
        for round in 0..=ROUNDS {
            let jpegs: Vec<Vec<u8>> = (0..UPLOADS)
                .map(|_| {
                    seed += 1;
                    noise_jpeg(seed)
                })
                .collect();
            let run = upload_all(&server, &client, &jpegs, "8x5MB").await;
            // Round 0 warms the server up (first connections, first allocations).
            if round > 0 {
                rounds.push(run);
            }
            last = jpegs;
        }
        let sizes: Vec<usize> = last.iter().map(Vec::len).collect();
        let walls: Vec<Duration> = rounds.iter().map(|run| run.wall).collect();
        let each: Vec<Duration> = rounds.iter().flat_map(|run| run.each.clone()).collect();
        println!(
            "references 8x5MB JPEG ({}x{} noise q95, {:.1}-{:.1} MB each) uploaded at once until stored: wall median {:.0} ms, min {:.0} ms, max {:.0} ms over {ROUNDS} rounds; each upload median {:.0} ms, max {:.0} ms; server peak RSS {:.1} MiB",
            NOISE_SIZE.0,
            NOISE_SIZE.1,
            megabytes(*sizes.iter().min().unwrap_or(&0)),
            megabytes(*sizes.iter().max().unwrap_or(&0)),
            millis(median(&walls)),
            millis(*walls.iter().min().unwrap_or(&Duration::ZERO)),
            millis(*walls.iter().max().unwrap_or(&Duration::ZERO)),
            millis(median(&each)),
            millis(*each.iter().max().unwrap_or(&Duration::ZERO)),
            server.memory_kib("VmHWM") as f64 / 1024.0,
        );

        let again = upload_all(&server, &client, &last, "8x5MB again").await;
        println!(
            "references 8x5MB JPEG again (already stored, found by hash): wall {:.0} ms",
            millis(again.wall)
        );

        let cameras: Vec<Vec<u8>> = (0..UPLOADS as u64).map(camera_jpeg).collect();
        let camera = upload_all(&server, &client, &cameras, "8x camera").await;
        println!(
            "references 8x camera JPEG ({}x{} with EXIF orientation, {:.1} MB each, rotated and scaled to 2048): wall {:.0} ms; each upload median {:.0} ms, max {:.0} ms",
            CAMERA_SIZE.0,
            CAMERA_SIZE.1,
            megabytes(cameras[0].len()),
            millis(camera.wall),
            millis(median(&camera.each)),
            millis(*camera.each.iter().max().unwrap_or(&Duration::ZERO)),
        );
        drop(server);
        generations_with_references(&client, &last[..4]).await;
    });
}

const GENERATIONS: usize = 20;
/// A test key for the local mock, not a secret.
const MOCK_KEY: &str = "bench-openai-key";

/// Twenty generations at once, each naming the same four references, on the OpenAI engine.
async fn generations_with_references(client: &Client, jpegs: &[Vec<u8>]) {
    let mock = MockServer::start(MockConfig {
        image_padding_bytes: 1_480_000,
        ..MockConfig::default().with_api_key(Provider::OpenAi, MOCK_KEY)
    })
    .await;
    mock.script(vec![
        Step::from(OpenAiStep::Images).delayed(500);
        GENERATIONS
    ]);
    let base_url = mock.base_url(Provider::OpenAi);
    let server = Server::start(
        "references-generations",
        &[
            ("OPENAI_API_KEY", MOCK_KEY),
            ("OPENAI_BASE_URL", base_url.as_str()),
        ],
    )
    .await;
    let references: Vec<String> = upload_all(&server, client, jpegs, "4 references").await.ids;
    let idle = server.memory_kib("VmRSS");
    let start = Instant::now();
    let mut generations = JoinSet::new();
    for index in 0..GENERATIONS {
        let request = GenerateRequest {
            request_id: format!("refs-{index}"),
            engine: "openai".into(),
            model: String::new(),
            prompt: "the product on a plain studio background".into(),
            size: "1024x1024".into(),
            quality: None,
            seed: index as u64,
            styling: Default::default(),
            refinements: vec![],
            parent: None,
            references: references.clone(),
        };
        let sent = client
            .post(server.url("/api/generate_image"))
            .json(&serde_json::json!({ "request": request }));
        generations.spawn(async move { sent.send().await.map(|r| r.status()) });
    }
    let statuses = generations.join_all().await;
    let made = statuses
        .iter()
        .filter(|s| matches!(s, Ok(StatusCode::OK)))
        .count();
    println!(
        "references 20 generations x 4 references ({:.1} MB each, the same four) on the mock OpenAI engine (500 ms each, 8 running at once): {made} made of {GENERATIONS}, wall {:.0} ms; server RSS idle {:.1} MiB, peak {:.1} MiB",
        megabytes(jpegs[0].len()),
        millis(start.elapsed()),
        idle as f64 / 1024.0,
        server.memory_kib("VmHWM") as f64 / 1024.0,
    );
}

struct Run {
    /// From the first request sent until the last answer had arrived.
    wall: Duration,
    each: Vec<Duration>,
    /// The stored references' ids, in the order they were answered.
    ids: Vec<String>,
}

/// Sends every file at once; each must come back stored (a bench that measured refusals would
/// mean nothing).
async fn upload_all(server: &Server, client: &Client, files: &[Vec<u8>], case: &str) -> Run {
    let url = server.url("/api/references");
    let start = Instant::now();
    let mut uploads = JoinSet::new();
    for file in files {
        let request = client
            .post(&url)
            .header("content-type", "image/jpeg")
            .body(file.clone());
        uploads.spawn(async move {
            let sent = Instant::now();
            let response = request.send().await.expect("the server answers");
            let status = response.status();
            let body = response.bytes().await.expect("the answer arrives");
            (sent.elapsed(), status, body)
        });
    }
    let answers = uploads.join_all().await;
    let wall = start.elapsed();
    let mut ids = Vec::with_capacity(answers.len());
    for (_, status, body) in &answers {
        assert_eq!(
            *status,
            StatusCode::OK,
            "{case}: {}",
            String::from_utf8_lossy(body)
        );
        let stored: ReferenceImage = serde_json::from_slice(body).expect("a stored reference");
        ids.push(stored.id);
    }
    Run {
        wall,
        each: answers.into_iter().map(|(elapsed, ..)| elapsed).collect(),
        ids,
    }
}

/// Random noise (xorshift, so every seed is a different picture) as a quality-95 JPEG.
fn noise_jpeg(seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let (width, height) = NOISE_SIZE;
    let pixels = RgbImage::from_fn(width, height, |_, _| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let [r, g, b, ..] = state.to_le_bytes();
        Rgb([r, g, b])
    });
    jpeg(pixels, 95, None)
}

/// A smooth scene with a little grain, as a phone stores it: sideways, with EXIF orientation 6.
fn camera_jpeg(seed: u64) -> Vec<u8> {
    let (width, height) = CAMERA_SIZE;
    let pixels = RgbImage::from_fn(width, height, |x, y| {
        let grain = ((x * 7 + y * 13 + seed as u32 * 31) % 17) as u8;
        Rgb([
            (x * 255 / width) as u8 / 2 + grain,
            (y * 255 / height) as u8 / 2 + grain,
            120 + grain,
        ])
    });
    // A big-endian TIFF header and one IFD entry: Orientation (0x0112) = 6.
    let exif = [
        b"MM\x00\x2a\x00\x00\x00\x08".as_slice(),
        b"\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00",
        b"\x00\x00\x00\x00",
    ]
    .concat();
    jpeg(pixels, 92, Some(exif))
}

fn jpeg(pixels: RgbImage, quality: u8, exif: Option<Vec<u8>>) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut encoder = JpegEncoder::new_with_quality(&mut bytes, quality);
    if let Some(exif) = exif {
        encoder
            .set_exif_metadata(exif)
            .expect("the JPEG encoder takes EXIF");
    }
    DynamicImage::ImageRgb8(pixels)
        .write_with_encoder(encoder)
        .expect("the picture encodes");
    bytes
}

fn megabytes(bytes: usize) -> f64 {
    bytes as f64 / 1e6
}
