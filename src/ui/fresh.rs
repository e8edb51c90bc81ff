//! Request ids and seeds, made in the browser so it can cancel a request and drop late answers.

use crate::fsm::Fresh;

#[cfg(feature = "hydrate")]
fn random_u64() -> u64 {
    // Math.random has 52 random bits; two calls fill 64.
    let high = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    let low = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    (high << 32) | low
}

/// The server renders the page but never runs its event handlers; this only lets the shared UI
/// code compile natively.
#[cfg(not(feature = "hydrate"))]
fn random_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

pub fn fresh() -> Fresh {
    Fresh {
        request_id: format!("{:016x}", random_u64()),
        seed: random_u64() >> 11,
    }
}
