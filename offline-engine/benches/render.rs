//! Offline engine benchmark: render times (composition, rasterisation and PNG encoding) for the
//! sizes the studio offers.
//!
//! Run with `cargo bench -p proofsheet-offline --bench render`. Prints one line per case:
//! `offline_engine <case>: median <ms> ms, p95 <ms> ms, min <ms> ms, png <bytes> bytes`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use proofsheet_offline::render_png;

const WARMUP_RUNS: usize = 3;
const TIMED_RUNS: usize = 30;
const PROMPT: &str = "a warm sunset over teal sea";
const SEED: u64 = 1;

fn main() {
    for (width, height) in [(1024, 1024), (1024, 1536)] {
        let png_bytes = render_png(PROMPT, SEED, width, height, &[]).len();
        let timings = time_runs(|| render_png(PROMPT, SEED, width, height, &[]));
        report(&format!("render {width}x{height}"), &timings, png_bytes);
    }
}

/// Runs `job` a few times untimed (caches, allocator, CPU clocks), then times each of
/// `TIMED_RUNS` runs separately. Results pass through `black_box` so nothing is optimised out.
fn time_runs<T>(mut job: impl FnMut() -> T) -> Vec<Duration> {
    for _ in 0..WARMUP_RUNS {
        black_box(job());
    }
    (0..TIMED_RUNS)
        .map(|_| {
            let start = Instant::now();
            black_box(job());
            start.elapsed()
        })
        .collect()
}

fn report(case: &str, timings: &[Duration], png_bytes: usize) {
    let mut sorted = timings.to_vec();
    sorted.sort();
    let millis = |d: Duration| d.as_secs_f64() * 1e3;
    // Nearest-rank percentiles: an actual observed run, never an interpolation.
    let percentile = |p: usize| sorted[(sorted.len() * p).div_ceil(100).max(1) - 1];
    println!(
        "offline_engine {case}: median {:.2} ms, p95 {:.2} ms, min {:.2} ms, png {png_bytes} bytes",
        millis(percentile(50)),
        millis(percentile(95)),
        millis(sorted[0]),
    );
}
