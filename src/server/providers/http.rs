//! What every provider client does the same way over HTTP, kept in one place: classifying a
//! failed request, reading a server's retry hint, reading a header, and recognising an image by
//! its first bytes (providers.md §0.1 and §0.3). Key redaction is its sibling, `redact.rs`.

use super::ProviderError;
use crate::error::ProviderFailure;
use axum::body::Bytes;
use reqwest::header::HeaderMap;
use std::time::Duration;

pub fn transport_error(error: &reqwest::Error) -> ProviderError {
    let failure = if error.is_timeout() {
        ProviderFailure::Timeout
    } else {
        ProviderFailure::Network
    };
    // reqwest's Display can carry the URL but never headers, so the key cannot leak through it.
    ProviderError::new(failure, error.to_string())
}

pub fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `retry-after-ms` first, then `retry-after` as seconds or an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    if let Some(ms) = header(headers, "retry-after-ms").and_then(|v| v.trim().parse::<f64>().ok()) {
        return (ms >= 0.0).then(|| Duration::from_secs_f64(ms / 1000.0));
    }
    let value = header(headers, "retry-after")?.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
}

pub fn sniff_mime(bytes: &[u8]) -> &'static str {
    match bytes {
        [0x89, b'P', b'N', b'G', ..] => "image/png",
        [0xFF, 0xD8, ..] => "image/jpeg",
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => "image/webp",
        _ => "application/octet-stream",
    }
}

/// Sends `request` and reads the whole answer; a failure to connect or to read is classified
/// as the network's (or a timeout), never as the provider's answer.
pub async fn exchange(
    request: reqwest::RequestBuilder,
) -> Result<(reqwest::StatusCode, HeaderMap, Bytes), ProviderError> {
    let response = request.send().await.map_err(|e| transport_error(&e))?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.map_err(|e| transport_error(&e))?;
    Ok((status, headers, body))
}

/// An image a provider sent inline as base64.
pub fn decode_base64_image(b64: &str) -> Result<Vec<u8>, ProviderError> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(b64.trim().as_bytes())
        .map_err(|e| {
            ProviderError::new(
                ProviderFailure::BadResponse,
                format!("invalid base64 image: {e}"),
            )
        })
}

/// One engine's key, and what every error of that engine carries: whose it is, which variable
/// holds the key, and text cleaned of the key.
pub struct Credentials {
    pub provider: String,
    pub key_env: String,
    pub api_key: String,
}

impl Credentials {
    pub fn stamp(&self, mut error: ProviderError) -> ProviderError {
        error.provider.clone_from(&self.provider);
        error.key_env.clone_from(&self.key_env);
        error.detail = super::redact::redact(&error.detail, &self.api_key);
        error
    }
}
