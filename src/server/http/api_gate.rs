//! The checks every `/api/` request passes before a server function (or the reference image
//! route) sees it. server_fn would answer all of these with `500` and serde's words, or start a
//! generation for any web page:
//!
//! - the endpoint and method exist (404 / 405);
//! - a `POST` comes from our own pages or from a non-browser client: a browser request from
//!   another origin is refused (403), so no other site can spend the team's key;
//! - a `POST` body is JSON (415), no larger than `limits.max_request_bytes` (413, also for a
//!   chunked body without `Content-Length`), and arrives within `connections.body_timeout_secs`
//!   (408);
//! - the JSON decodes into the function's arguments, or the caller learns which field is wrong
//!   and why (400).
//!
//! The one `POST` that is not JSON, a reference image upload, passes the origin check here and
//! then bounds its own body (`server::references::upload`): its limit is megabytes, not the
//! JSON limit, and it streams to disk instead of being held in memory.
//!
//! Why decode here and again in server_fn: its decoding error happens before our function runs,
//! so its status and words cannot be changed; bodies are at most 256 KiB, and decoding one twice
//! costs well under a millisecond.

use super::body::{check_declared_length, declared_length, read_body};
use super::decode::decode_json;
use super::error_response::{error_response, refusal};
use crate::api::{CancelGeneration, GenerateImage};
use crate::error::AppError;
use crate::model::shorten;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_TYPE, HOST, ORIGIN};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::Duration;

pub const API_PREFIX: &str = "/api/";

pub struct ApiGate {
    pub max_body_bytes: usize,
    pub body_timeout: Duration,
    /// Origins besides the site's own (as the `Host` or `X-Forwarded-Host` names it) whose pages
    /// may call the API, e.g. `https://studio.example.com`.
    pub allowed_origins: Vec<String>,
}

type ArgumentCheck = fn(&[u8]) -> Result<(), (String, String)>;

struct Endpoint {
    /// A path; a last segment `{id}` stands for any one non-empty segment.
    path: &'static str,
    method: Method,
    body: Payload,
}

/// What an endpoint's request carries, and so what the gate checks before passing it on.
enum Payload {
    None,
    /// JSON arguments, read whole here and decoded once to explain any error.
    Json(ArgumentCheck),
    /// A file the endpoint streams to disk under its own limit; the gate checks only its origin.
    Upload,
}

impl Endpoint {
    fn matches(&self, path: &str) -> bool {
        match self.path.strip_suffix("{id}") {
            Some(prefix) => path
                .strip_prefix(prefix)
                .is_some_and(|id| !id.is_empty() && !id.contains('/')),
            None => self.path == path,
        }
    }
}

fn endpoints() -> [Endpoint; 11] {
    [
        Endpoint {
            path: "/api/generate_image",
            method: Method::POST,
            body: Payload::Json(arguments::<GenerateImage>),
        },
        Endpoint {
            path: "/api/generate_picture",
            method: Method::POST,
            body: Payload::Json(arguments::<GenerateImage>),
        },
        Endpoint {
            path: "/api/cancel_generation",
            method: Method::POST,
            body: Payload::Json(arguments::<CancelGeneration>),
        },
        Endpoint {
            path: "/api/generation_progress",
            method: Method::GET,
            body: Payload::None,
        },
        Endpoint {
            path: "/api/generation_events",
            method: Method::GET,
            body: Payload::None,
        },
        Endpoint {
            path: "/api/generation_preview/{id}",
            method: Method::GET,
            body: Payload::None,
        },
        Endpoint {
            path: "/api/list_engines",
            method: Method::GET,
            body: Payload::None,
        },
        Endpoint {
            path: "/api/list_templates",
            method: Method::GET,
            body: Payload::None,
        },
        Endpoint {
            path: "/api/signed_in_user",
            method: Method::GET,
            body: Payload::None,
        },
        Endpoint {
            path: "/api/references",
            method: Method::POST,
            body: Payload::Upload,
        },
        Endpoint {
            path: "/api/references/{id}",
            method: Method::GET,
            body: Payload::None,
        },
    ]
}

fn arguments<T: DeserializeOwned>(bytes: &[u8]) -> Result<(), (String, String)> {
    decode_json::<T>(bytes).map(drop)
}

pub async fn api_gate(State(gate): State<Arc<ApiGate>>, request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with(API_PREFIX) {
        return next.run(request).await;
    }
    let Some(endpoint) = endpoints()
        .into_iter()
        .find(|e| e.matches(request.uri().path()))
    else {
        return refusal(
            StatusCode::NOT_FOUND,
            "There is no such API endpoint; the README's HTTP API section lists them.",
        );
    };
    let method = request.method();
    let same_method =
        method == endpoint.method || (method == Method::HEAD && endpoint.method == Method::GET);
    if !same_method {
        return refusal(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{} accepts only {}.", endpoint.path, endpoint.method),
        );
    }
    if matches!(endpoint.body, Payload::None) {
        return next.run(request).await;
    }
    if let Err(origin) = same_origin(request.headers(), &gate.allowed_origins) {
        tracing::warn!(origin = %shorten(&origin, 80), "refused a cross-origin API call");
        return refusal(
            StatusCode::FORBIDDEN,
            "This API accepts calls only from Proofsheet's own pages (or clients that send no Origin).",
        );
    }
    let Payload::Json(check_arguments) = endpoint.body else {
        return next.run(request).await;
    };
    if !is_json(request.headers()) {
        return refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Send the request body as JSON, with Content-Type: application/json.",
        );
    }
    let (parts, body) = request.into_parts();
    let declared = declared_length(&parts.headers);
    let read = match check_declared_length(declared, gate.max_body_bytes) {
        Ok(()) => read_body(body, gate.max_body_bytes, gate.body_timeout).await,
        Err(error) => Err(error),
    };
    let bytes = match read {
        Ok(bytes) => bytes,
        Err(error) => return error.into_response(),
    };
    if let Err((field, message)) = check_arguments(&bytes) {
        return error_response(&AppError::InvalidInput { field, message });
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// `Err(origin)` for a browser request from a page of another origin. Requests without `Origin`
/// (curl, scripts) pass: a browser always sends it on a cross-origin `POST`.
pub fn same_origin(headers: &HeaderMap, allowed: &[String]) -> Result<(), String> {
    let Some(origin) = headers.get(ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or("(not text)").trim();
    if allowed
        .iter()
        .any(|a| a.trim_end_matches('/').eq_ignore_ascii_case(origin))
    {
        return Ok(());
    }
    let authority = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    // Behind a proxy, Host may be the upstream address; the proxy's X-Forwarded-Host names the
    // host the browser saw. A page cannot set that header on a request it sends without asking.
    let own_hosts = [HOST.as_str(), "x-forwarded-host"]
        .into_iter()
        .filter_map(|name| headers.get(name)?.to_str().ok());
    let matches = |host: &str| authority.is_some_and(|a| a.eq_ignore_ascii_case(host.trim()));
    if own_hosts.into_iter().any(matches) {
        Ok(())
    } else {
        Err(origin.to_string())
    }
}

pub fn is_json(headers: &HeaderMap) -> bool {
    media_type(headers).is_some_and(|essence| essence.eq_ignore_ascii_case("application/json"))
}

/// The `Content-Type` without its parameters (`image/png` of `image/png; q=1`).
pub fn media_type(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn own_pages_and_originless_clients_pass() {
        let own = headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000"),
        ]);
        assert!(same_origin(&own, &[]).is_ok());
        assert!(same_origin(&headers(&[("host", "127.0.0.1:3000")]), &[]).is_ok());
    }

    #[test]
    fn another_sites_page_is_refused() {
        let foreign = headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "https://evil.example"),
        ]);
        assert_eq!(
            same_origin(&foreign, &[]),
            Err("https://evil.example".into())
        );
        let sandboxed = headers(&[("host", "127.0.0.1:3000"), ("origin", "null")]);
        assert!(same_origin(&sandboxed, &[]).is_err());
    }

    #[test]
    fn a_proxy_host_or_a_configured_origin_passes() {
        let proxied = headers(&[
            ("host", "127.0.0.1:3000"),
            ("x-forwarded-host", "studio.example.com"),
            ("origin", "https://studio.example.com"),
        ]);
        assert!(same_origin(&proxied, &[]).is_ok());
        let listed = headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "https://tools.example.com"),
        ]);
        assert!(same_origin(&listed, &["https://tools.example.com/".into()]).is_ok());
    }

    #[test]
    fn an_id_segment_matches_one_segment() {
        let reference = endpoints()
            .into_iter()
            .find(|e| e.path == "/api/references/{id}")
            .unwrap();
        assert!(reference.matches("/api/references/abc"));
        for other in ["/api/references", "/api/references/", "/api/references/a/b"] {
            assert!(!reference.matches(other), "{other}");
        }
    }

    #[test]
    fn only_json_bodies_are_accepted() {
        assert!(is_json(&headers(&[(
            "content-type",
            "application/json; charset=utf-8"
        )])));
        assert!(!is_json(&headers(&[("content-type", "text/plain")])));
        assert!(!is_json(&headers(&[])));
    }
}
