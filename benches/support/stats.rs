//! What the benchmarks compute of their samples, one way for all: nearest-rank percentiles (an
//! observed run, never an interpolation) and milliseconds.

use std::time::Duration;

/// The `p`th percentile of `samples` by nearest rank; zero when there are none.
pub fn percentile(samples: &[Duration], p: usize) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let rank = (sorted.len() * p).div_ceil(100).max(1);
    sorted.get(rank - 1).copied().unwrap_or_default()
}

pub fn median(samples: &[Duration]) -> Duration {
    percentile(samples, 50)
}

pub fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}
