//! Static files: the bundle under `/pkg` and the public assets at the root.
//!
//! With hashed file names (cargo-leptos `hash-files`) a `/pkg` file never changes under its name,
//! so browsers may keep it for a year without asking (`immutable`). Everything else is
//! `no-cache`: kept, but revalidated with `ETag` / `Last-Modified`, which answer 304 when nothing
//! changed. `Range` requests are answered (206) by tower-http's `ServeDir`, which also serves the
//! precompressed `.br` / `.gz` copies the release build writes.

use axum::extract::Request;
use axum::http::header::{
    HeaderValue, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, ETAG, IF_NONE_MATCH,
    LAST_MODIFIED,
};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
pub const REVALIDATE: &str = "no-cache";

/// A weak validator from what `ServeDir` already knows (size, modification time, encoding), so
/// no file is read twice to hash it. Weak because the bytes are not compared.
fn etag_of(response: &Response) -> Option<HeaderValue> {
    let headers = response.headers();
    let length = headers.get(CONTENT_LENGTH)?.to_str().ok()?;
    let modified = headers.get(LAST_MODIFIED)?.to_str().ok()?;
    let modified = httpdate::parse_http_date(modified).ok()?;
    let seconds = modified
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    let encoding = headers
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(|e| format!("-{e}"))
        .unwrap_or_default();
    HeaderValue::from_str(&format!("W/\"{length}-{seconds:x}{encoding}\"")).ok()
}

fn matches(if_none_match: &str, etag: &str) -> bool {
    let bare = |tag: &str| tag.trim().trim_start_matches("W/").to_string();
    if_none_match
        .split(',')
        .any(|candidate| candidate.trim() == "*" || bare(candidate) == bare(etag))
}

/// Adds `ETag` and `Cache-Control` to a static file and answers 304 to a matching
/// `If-None-Match` (which, per RFC 9110, wins over `If-Modified-Since`).
pub async fn cache_validators(
    request: Request,
    next: Next,
    cache_control: &'static str,
) -> Response {
    let conditional = request
        .headers()
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let safe = matches!(*request.method(), Method::GET | Method::HEAD);
    let mut response = next.run(request).await;
    let status = response.status();
    if status != StatusCode::OK && status != StatusCode::NOT_MODIFIED {
        return response;
    }
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static(cache_control));
    let Some(etag) = etag_of(&response) else {
        return response;
    };
    let unchanged = safe
        && conditional
            .as_deref()
            .zip(etag.to_str().ok())
            .is_some_and(|(candidates, etag)| matches(candidates, etag));
    if unchanged {
        let mut not_modified = StatusCode::NOT_MODIFIED.into_response();
        for name in [CACHE_CONTROL, LAST_MODIFIED, CONTENT_ENCODING] {
            if let Some(value) = response.headers().get(&name) {
                not_modified.headers_mut().insert(name, value.clone());
            }
        }
        not_modified.headers_mut().insert(ETAG, etag);
        return not_modified;
    }
    response.headers_mut().insert(ETAG, etag);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_and_strong_forms_of_one_tag_match() {
        assert!(matches("W/\"a-1\"", "W/\"a-1\""));
        assert!(matches("\"x\", \"a-1\"", "W/\"a-1\""));
        assert!(matches("*", "W/\"a-1\""));
        assert!(!matches("W/\"a-2\"", "W/\"a-1\""));
    }
}
