//! Bearer-token check, done before anything else like the real API.

use axum::http::{header, HeaderMap};

use crate::envelope::{incorrect_api_key, missing_api_key, ApiError};

/// Returns the presented key, or the 401 OpenAI would send.
/// `expected` None accepts any non-empty key.
pub(crate) fn authorize(headers: &HeaderMap, expected: Option<&str>) -> Result<String, ApiError> {
    let key = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(bearer_token)
        .ok_or_else(missing_api_key)?;
    match expected {
        Some(expected) if expected != key => Err(incorrect_api_key(key)),
        _ => Ok(key.to_owned()),
    }
}

/// `Bearer sk-…` → `sk-…`; the scheme is case-insensitive per RFC 7235.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn parses_bearer_tokens_only() {
        assert_eq!(bearer_token("Bearer sk-1"), Some("sk-1"));
        assert_eq!(bearer_token("bearer  sk-1 "), Some("sk-1"));
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("sk-1"), None);
    }
}
