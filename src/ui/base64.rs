//! Standard, padded base64 to bytes: how a picture leaves the JSON answer in the browser.
//!
//! Why our own and not the `base64` crate the server uses: decoding is all the browser needs, it
//! is these few lines, and the crate's engines would add kilobytes to the bundle (first load is
//! a goal). The tests check it against that crate.

const INVALID: u8 = 0xff;

/// Each ASCII byte's 6-bit value, or `INVALID`.
const SEXTETS: [u8; 256] = {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < alphabet.len() {
        table[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// The bytes `text` encodes, or `None` when it is not padded standard base64.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let input = text.as_bytes();
    if !input.len().is_multiple_of(4) {
        return None;
    }
    let padding = input.iter().rev().take_while(|&&b| b == b'=').count();
    if padding > 2 {
        return None;
    }
    let body = &input[..input.len() - padding];
    let mut out = Vec::with_capacity(body.len() / 4 * 3 + 2);
    let mut groups = body.chunks_exact(4);
    for group in &mut groups {
        let bits = join(group)?;
        out.extend_from_slice(&[(bits >> 16) as u8, (bits >> 8) as u8, bits as u8]);
    }
    // What the padding left: 2 characters carry one byte, 3 carry two.
    let tail = groups.remainder();
    let bits = join(tail)?;
    match tail.len() {
        0 => {}
        2 => out.push((bits >> 4) as u8),
        3 => out.extend_from_slice(&[(bits >> 10) as u8, (bits >> 2) as u8]),
        _ => return None,
    }
    Some(out)
}

/// Up to four characters as one number, six bits each.
fn join(chars: &[u8]) -> Option<u32> {
    chars.iter().try_fold(0u32, |bits, &c| {
        let value = SEXTETS[c as usize];
        (value != INVALID).then_some((bits << 6) | u32::from(value))
    })
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::decode;
    use ::base64::engine::general_purpose::STANDARD;
    use ::base64::Engine;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn decodes_what_the_server_encodes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            prop_assert_eq!(decode(&STANDARD.encode(&bytes)), Some(bytes));
        }
    }

    #[test]
    fn refuses_what_is_not_padded_standard_base64() {
        for bad in ["a", "abc", "ab=c", "a===", "ab-_", "ab\ncd==", "===="] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
        assert_eq!(decode(""), Some(Vec::new()));
    }
}
