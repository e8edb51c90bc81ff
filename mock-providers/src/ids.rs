//! Random-looking identifiers and secrets.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

pub(crate) const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
pub(crate) const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
pub(crate) const HEX: &[u8] = b"0123456789abcdef";
pub(crate) const BASE64URL: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A fresh random number.
///
/// Why not a counter or an RNG crate: ids must not collide across mock
/// instances or restarts (a stale id must not happen to exist), and std's
/// randomly keyed SipHash over a counter is random enough for a mock.
pub(crate) fn random_u64() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.finish()
}

/// `prefix` and `len` random lower-case hex digits (`resp_…`, `ig_…`).
pub(crate) fn hex_id(prefix: &str, len: usize) -> String {
    format!("{prefix}{}", random_string(HEX, len))
}

/// `len` characters drawn from `alphabet` (at most 256 symbols).
pub(crate) fn random_string(alphabet: &[u8], len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut bits = 0u64;
    for index in 0..len {
        if index % 8 == 0 {
            bits = random_u64();
        }
        let byte = (bits >> ((index % 8) * 8)) as u8;
        out.push(char::from(alphabet[usize::from(byte) % alphabet.len()]));
    }
    out
}

/// A keyed digest for signing URLs; deterministic for one `key`.
pub(crate) fn keyed_digest(key: u64, message: &str) -> String {
    // FNV-1a seeded with the key: not cryptographic, but the mock only has to
    // tell a URL it issued from one a test edited by hand.
    let hash = message
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325 ^ key, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::{keyed_digest, random_string, BASE64URL, HEX};

    #[test]
    fn strings_have_the_length_and_alphabet_and_differ() {
        let a = random_string(BASE64URL, 26);
        assert_eq!(a.len(), 26);
        assert!(a.bytes().all(|b| BASE64URL.contains(&b)));
        assert_ne!(a, random_string(BASE64URL, 26));
        assert!(random_string(HEX, 40)
            .bytes()
            .all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn digests_depend_on_key_and_message() {
        assert_eq!(keyed_digest(1, "a"), keyed_digest(1, "a"));
        assert_ne!(keyed_digest(1, "a"), keyed_digest(2, "a"));
        assert_ne!(keyed_digest(1, "a"), keyed_digest(1, "b"));
    }
}
