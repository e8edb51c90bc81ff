//! What every provider client does the same way over HTTP, kept in one place: classifying a
//! failed request, reading a server's retry hint, reading a header, and recognising an image by
//! its first bytes (providers.md §0.1 and §0.3). Key redaction is its sibling, `redact.rs`.

pub use super::json_body::{json_sent_once, BodyWith, InlinePicture};
use super::ProviderError;
use crate::error::ProviderFailure;
use crate::server::references::Reference;
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
    read_whole(send(request).await?).await
}

/// Sends `request` and waits for the answer's head.
pub async fn send(request: reqwest::RequestBuilder) -> Result<reqwest::Response, ProviderError> {
    request.send().await.map_err(|e| transport_error(&e))
}

/// Reads the rest of an answer whose head has come.
pub async fn read_whole(
    response: reqwest::Response,
) -> Result<(reqwest::StatusCode, HeaderMap, Bytes), ProviderError> {
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.map_err(|e| transport_error(&e))?;
    Ok((status, headers, body))
}

/// A provider's JSON answer as `T`; an answer that is not is the provider's fault.
pub fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ProviderError> {
    serde_json::from_slice(body).map_err(|e| {
        ProviderError::new(
            ProviderFailure::BadResponse,
            format!("unreadable answer: {e}"),
        )
    })
}

/// What an HTTP error status means when the provider's body says nothing more precise
/// (providers.md §0.1): each client maps its own special cases first.
pub fn failure_for_status(status: u16) -> ProviderFailure {
    match status {
        401 => ProviderFailure::Auth,
        402 => ProviderFailure::QuotaExhausted,
        403 => ProviderFailure::Forbidden,
        404 => ProviderFailure::NotFound,
        408 => ProviderFailure::Timeout,
        429 => ProviderFailure::RateLimited,
        s if s >= 500 => ProviderFailure::Unavailable,
        _ => ProviderFailure::BadRequest,
    }
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

/// A reference image as a multipart file part (OpenAI image edits, Ideogram), named by its id.
pub fn file_part(reference: &Reference) -> reqwest::multipart::Part {
    let extension = reference.mime.trim_start_matches("image/");
    // With its length, so the form has one too and is not sent chunked.
    let length = reference.bytes.len() as u64;
    reqwest::multipart::Part::stream_with_length(reference.bytes.clone(), length)
        .file_name(format!("{}.{extension}", reference.id))
        .mime_str(reference.mime)
        .expect("a stored reference's type is a valid MIME type")
}

/// One engine's key, and what every error of that engine carries: whose it is, which variable
/// holds the key, and text cleaned of the key.
pub struct Credentials {
    pub provider: String,
    pub key_env: String,
    pub api_key: String,
}

impl Credentials {
    pub fn of(entry: &crate::server::config::ProviderSettings, api_key: String) -> Self {
        Credentials {
            provider: entry.label.clone(),
            key_env: entry.key_env.clone(),
            api_key,
        }
    }

    pub fn stamp(&self, mut error: ProviderError) -> ProviderError {
        error.provider.clone_from(&self.provider);
        error.key_env.clone_from(&self.key_env);
        error.detail = super::redact::redact(&error.detail, &self.api_key);
        error
    }
}

/// How a picture left at a URL is fetched: bounded in size and time.
#[derive(Clone, Copy, Debug)]
pub struct FetchLimits {
    pub max_bytes: usize,
    pub timeout: Duration,
}

/// Fetches pictures that providers leave at URLs (Replicate, Ideogram, Ark): at once, because
/// the URLs expire; only from the provider's own hosts, so a hostile answer cannot make us fetch
/// from elsewhere (redirects are held to the same rule); never with our key; and no larger or
/// slower than `limits`.
pub struct ResultFetcher {
    http: reqwest::Client,
    hosts: std::sync::Arc<Vec<String>>,
    limits: FetchLimits,
}

impl ResultFetcher {
    /// `hosts`: the provider's result hosts (a subdomain of one also passes) and the host of its
    /// configured base URL, so a compatible server or a local mock can serve its own results.
    pub fn new(hosts: Vec<String>, limits: FetchLimits) -> Result<Self, String> {
        let hosts = std::sync::Arc::new(
            hosts
                .into_iter()
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect::<Vec<_>>(),
        );
        let allowed = std::sync::Arc::clone(&hosts);
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() < 5 && host_allowed(attempt.url(), &allowed) {
                    attempt.follow()
                } else {
                    attempt.stop()
                }
            }))
            .build()
            .map_err(|e| format!("cannot build the result-fetching client: {e}"))?;
        Ok(ResultFetcher {
            http,
            hosts,
            limits,
        })
    }

    pub async fn fetch(&self, url: &str) -> Result<Vec<u8>, ProviderError> {
        let bad = |detail: String| ProviderError::new(ProviderFailure::BadResponse, detail);
        let parsed =
            reqwest::Url::parse(url).map_err(|e| bad(format!("unusable result URL: {e}")))?;
        if !host_allowed(&parsed, &self.hosts) {
            return Err(bad(format!(
                "the result is on a host this engine does not use ({})",
                parsed.host_str().unwrap_or("none")
            )));
        }
        let download = async {
            let mut response = self
                .http
                .get(parsed)
                .send()
                .await
                .map_err(|e| transport_error(&e))?;
            if !response.status().is_success() {
                // An expired signed URL answers 403 or 404.
                return Err(bad(format!(
                    "the result could not be downloaded ({}); it may have expired",
                    response.status().as_u16()
                )));
            }
            let mut bytes = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| transport_error(&e))? {
                if bytes.len() + chunk.len() > self.limits.max_bytes {
                    return Err(bad(format!(
                        "the result is larger than {} MB",
                        self.limits.max_bytes / 1_000_000
                    )));
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(bytes)
        };
        tokio::time::timeout(self.limits.timeout, download)
            .await
            .unwrap_or_else(|_| {
                Err(ProviderError::new(
                    ProviderFailure::Timeout,
                    format!(
                        "the result did not download within {} s",
                        self.limits.timeout.as_secs()
                    ),
                ))
            })
    }
}

fn host_allowed(url: &reqwest::Url, hosts: &[String]) -> bool {
    let Some(host) = url.host_str().map(str::to_ascii_lowercase) else {
        return false;
    };
    let scheme_ok = matches!(url.scheme(), "https" | "http");
    scheme_ok
        && hosts
            .iter()
            .any(|allowed| host == *allowed || host.ends_with(&format!(".{allowed}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;

    fn limits(max_bytes: usize) -> FetchLimits {
        FetchLimits {
            max_bytes,
            timeout: Duration::from_secs(5),
        }
    }

    /// A result host on a free port: `/small` (4 bytes), `/big` (1 MB), `/expired` (403),
    /// `/elsewhere` (a redirect to another host).
    async fn result_host() -> String {
        let app = axum::Router::new()
            .route("/small", get(|| async { vec![0x89u8, b'P', b'N', b'G'] }))
            .route("/big", get(|| async { vec![0u8; 1 << 20] }))
            .route(
                "/expired",
                get(|| async { axum::http::StatusCode::FORBIDDEN }),
            )
            .route(
                "/elsewhere",
                get(|| async { axum::response::Redirect::temporary("http://localhost:9/stolen") }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    }

    #[tokio::test]
    async fn a_result_on_an_allowed_host_is_fetched() {
        let base = result_host().await;
        let fetcher = ResultFetcher::new(vec!["127.0.0.1".into()], limits(100)).unwrap();
        assert_eq!(
            fetcher.fetch(&format!("{base}/small")).await.unwrap(),
            b"\x89PNG"
        );
    }

    #[tokio::test]
    async fn other_hosts_redirects_to_them_oversized_and_expired_results_are_refused() {
        let base = result_host().await;
        let fetcher = ResultFetcher::new(vec!["127.0.0.1".into()], limits(1000)).unwrap();
        let elsewhere = fetcher.fetch("http://localhost:9/x").await.unwrap_err();
        assert!(
            elsewhere.detail.contains("does not use (localhost)"),
            "{}",
            elsewhere.detail
        );
        let redirected = fetcher
            .fetch(&format!("{base}/elsewhere"))
            .await
            .unwrap_err();
        assert_eq!(
            redirected.failure,
            ProviderFailure::BadResponse,
            "{}",
            redirected.detail
        );
        let big = fetcher.fetch(&format!("{base}/big")).await.unwrap_err();
        assert!(big.detail.contains("larger than"), "{}", big.detail);
        let expired = fetcher.fetch(&format!("{base}/expired")).await.unwrap_err();
        assert!(expired.detail.contains("(403)"), "{}", expired.detail);
    }

    #[test]
    fn subdomains_of_an_allowed_host_pass_and_lookalikes_do_not() {
        let hosts = vec!["replicate.delivery".to_string()];
        let url = |u: &str| reqwest::Url::parse(u).unwrap();
        assert!(host_allowed(
            &url("https://pbxt.replicate.delivery/a.webp"),
            &hosts
        ));
        assert!(host_allowed(
            &url("https://replicate.delivery/a.webp"),
            &hosts
        ));
        assert!(!host_allowed(
            &url("https://evilreplicate.delivery/a.webp"),
            &hosts
        ));
        assert!(!host_allowed(
            &url("ftp://replicate.delivery/a.webp"),
            &hosts
        ));
    }
}
