//! Random-looking identifiers (`resp_…`, `ig_…`, `req_…`).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// `prefix` followed by `hex_len` lowercase hex digits.
///
/// Why not a counter: ids must not collide across mock instances or restarts
/// (a test could otherwise pass a stale id that happens to exist), and no RNG
/// crate is needed: std's randomly keyed SipHash over a counter is enough.
pub(crate) fn hex_id(prefix: &str, hex_len: usize) -> String {
    let state = RandomState::new();
    let mut id = String::with_capacity(prefix.len() + hex_len);
    id.push_str(prefix);
    while id.len() < prefix.len() + hex_len {
        let mut hasher = state.build_hasher();
        hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        id.push_str(&format!("{:016x}", hasher.finish()));
    }
    id.truncate(prefix.len() + hex_len);
    id
}

#[cfg(test)]
mod tests {
    use super::hex_id;

    #[test]
    fn ids_have_prefix_length_and_differ() {
        let a = hex_id("resp_", 24);
        let b = hex_id("resp_", 24);
        assert_eq!(a.len(), 29);
        assert!(a.starts_with("resp_"));
        assert!(a[5..].chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
