//! Bytes as lower-case hex: content hashes, and random names that nothing else contains by
//! chance (scratch files, multipart boundaries, placeholders in a body).

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `bytes` random bytes, as hex (twice as many digits).
pub fn random_hex(bytes: usize) -> Result<String, getrandom::Error> {
    let mut random = vec![0u8; bytes];
    getrandom::fill(&mut random)?;
    Ok(hex(&random))
}
