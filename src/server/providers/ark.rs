//! ByteDance Doubao Seedream through Volcengine Ark's `images/generations` (providers.md §6):
//! a synchronous JSON call, `size` as `1K`/`2K`/`4K` or `WxH`, the watermark off unless the
//! entry turns it on, and the picture at a URL (valid 24 h, fetched at once) or inline. Ark's
//! error messages end with a `Request ID`, which is kept: it is what Ark's support asks for.
//!
//! Why not `"stream": true` (§6.4): Ark's stream sends each *finished* picture of a group
//! (`image_generation.partial_succeeded`), not rough previews of one, and a recorded stream
//! sent even its headers only once the first picture was done. For the one picture asked here
//! it would show nothing sooner, so the page shows "Sent; waiting for the picture" meanwhile.

use super::http::{
    decode_base64_image, exchange, json_sent_once, parse_json, retry_after, sniff_mime, BodyWith,
    Credentials, InlinePicture, ResultFetcher,
};
use super::{prompt_in_words, sent_if_changed, ProviderClient, ProviderError, ProviderImage};
use crate::error::ProviderFailure;
use crate::model::{EngineInfo, GenerateRequest};
use crate::server::config::ProviderSettings;
use crate::server::references::Reference;
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Seedream 3.0 and SeedEdit take seeds up to 2^31 - 1 (4.x ignores them).
const MAX_SEED: u64 = 2_147_483_647;

/// Seedream 3.0 and SeedEdit 3.0 (`doubao-seedream-3-0-…`, `doubao-seededit-3-0-…`).
fn is_3_0(model_id: &str) -> bool {
    model_id.contains("seedream-3-0") || model_id.contains("seededit-3-0")
}

pub struct ArkProvider {
    http: reqwest::Client,
    credentials: Credentials,
    endpoint: String,
    watermark: bool,
    results: ResultFetcher,
    info: EngineInfo,
}

impl ArkProvider {
    pub fn new(
        entry: &ProviderSettings,
        api_key: String,
        http: reqwest::Client,
        results: ResultFetcher,
    ) -> Self {
        ArkProvider {
            http,
            credentials: Credentials::of(entry, api_key),
            endpoint: format!(
                "{}/images/generations",
                entry.base_url.trim_end_matches('/')
            ),
            watermark: entry.watermark,
            results,
            info: entry.engine_info(false, None),
        }
    }

    fn body<'a>(
        &self,
        request: &GenerateRequest,
        model_id: &str,
        words: &str,
        seed: bool,
        references: &'a [Reference],
    ) -> BodyWith<Images<'a>> {
        let mut body = json!({
            "model": model_id,
            "prompt": words,
            "size": request.size,
            "response_format": "url",
            "watermark": self.watermark,
            "stream": false,
        });
        // Group generation is a Seedream 4.x field; 3.0 models refuse a request that names it.
        if !is_3_0(model_id) {
            body["sequential_image_generation"] = json!("disabled");
        }
        if seed {
            body["seed"] = json!(request.seed % (MAX_SEED + 1));
        }
        // Image-to-image: Seedream takes the references as data URLs, a list for 4.x; SeedEdit
        // (3.0) takes exactly one, as a string.
        let image = match references {
            [] => None,
            [only] if is_3_0(model_id) => Some(Images::One(InlinePicture::data_url(only))),
            several => Some(Images::Several(
                several.iter().map(InlinePicture::data_url).collect(),
            )),
        };
        BodyWith {
            fields: body,
            name: "image",
            value: image,
        }
    }
}

#[derive(Serialize)]
#[serde(untagged)]
enum Images<'a> {
    One(InlinePicture<'a>),
    Several(Vec<InlinePicture<'a>>),
}

impl ProviderClient for ArkProvider {
    fn info(&self) -> &EngineInfo {
        &self.info
    }

    fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    async fn call(
        &self,
        request: &GenerateRequest,
        references: &[Reference],
    ) -> Result<ProviderImage, ProviderError> {
        let model = self.info.model_or_default(&request.model);
        let words = prompt_in_words(request, model);
        let sent = json_sent_once(
            self.http
                .post(&self.endpoint)
                .bearer_auth(&self.credentials.api_key),
            &self.body(request, &model.id, &words, model.seed, references),
        );
        let (status, headers, body) = exchange(sent).await?;
        if !status.is_success() {
            return Err(classify_status(status, &headers, &body));
        }
        let made = parse_success(&body)?;
        let bytes = match made.image {
            Image::Url(url) => self.results.fetch(&url).await?,
            Image::Inline(b64) => decode_base64_image(&b64)?,
        };
        Ok(ProviderImage {
            mime: sniff_mime(&bytes).to_string(),
            bytes,
            model: model.id.clone(),
            size: made.size.unwrap_or_else(|| request.size.clone()),
            quality: None,
            revised_prompt: None,
            reply: None,
            sent_prompt: sent_if_changed(request, &words),
            continuation: None,
            seed: request.seed,
        })
    }
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    data: Vec<Item>,
    /// A 200 can carry a whole-request error too (providers.md §6.3).
    #[serde(default)]
    error: Option<ArkError>,
}

#[derive(Deserialize)]
struct Item {
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    b64_json: Option<String>,
    #[serde(default)]
    size: Option<String>,
    #[serde(default)]
    error: Option<ArkError>,
}

#[derive(Clone, Default, Deserialize)]
struct ArkError {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

#[derive(Debug)]
enum Image {
    Url(String),
    Inline(String),
}

#[derive(Debug)]
struct Made {
    image: Image,
    size: Option<String>,
}

fn parse_success(body: &[u8]) -> Result<Made, ProviderError> {
    let answer: Answer = parse_json(body)?;
    if let Some(error) = answer.error {
        return Err(from_code(None, error));
    }
    let item = answer.data.into_iter().next().ok_or_else(|| {
        ProviderError::new(ProviderFailure::BadResponse, "the answer has no picture")
    })?;
    if let Some(error) = item.error {
        return Err(from_code(None, error));
    }
    let image = match (item.url, item.b64_json) {
        (_, Some(b64)) if !b64.is_empty() => Image::Inline(b64),
        (Some(url), _) if !url.is_empty() => Image::Url(url),
        _ => {
            return Err(ProviderError::new(
                ProviderFailure::BadResponse,
                "the picture has neither a URL nor data",
            ))
        }
    };
    Ok(Made {
        image,
        size: item.size,
    })
}

#[derive(Deserialize)]
struct Envelope {
    error: ArkError,
}

/// Maps an Ark error (providers.md §6.5): the code decides where the status alone cannot.
fn classify_status(
    status: StatusCode,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
) -> ProviderError {
    let error = serde_json::from_slice::<Envelope>(body)
        .map(|e| e.error)
        .unwrap_or_else(|_| ArkError {
            code: String::new(),
            message: String::from_utf8_lossy(body).into_owned(),
        });
    let mut mapped = from_code(Some(status), error);
    mapped.retry_after = retry_after(headers);
    mapped
}

fn from_code(status: Option<StatusCode>, error: ArkError) -> ProviderError {
    let code = error.code.as_str();
    let sensitive = code.contains("SensitiveContentDetected") || code.contains("RiskDetection");
    let failure = match (status.map(|s| s.as_u16()), code) {
        _ if sensitive => ProviderFailure::ContentRejected,
        (Some(401), _) | (_, "AuthenticationError") => ProviderFailure::Auth,
        (_, "AccountOverdueError" | "QuotaExceeded" | "SetLimitExceeded") => {
            ProviderFailure::QuotaExhausted
        }
        (Some(403), _) => ProviderFailure::Forbidden,
        (Some(404), _) => ProviderFailure::NotFound,
        (Some(429), _) => ProviderFailure::RateLimited,
        (Some(s), _) if s >= 500 => ProviderFailure::Unavailable,
        (None, _) => ProviderFailure::BadResponse,
        _ => ProviderFailure::BadRequest,
    };
    let detail = match failure {
        ProviderFailure::Auth => String::new(),
        _ => error.message,
    };
    let mut mapped = ProviderError::new(failure, detail);
    mapped.status = status.map(|s| s.as_u16());
    mapped.code = (!error.code.is_empty()).then_some(error.code);
    mapped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none() -> reqwest::header::HeaderMap {
        reqwest::header::HeaderMap::new()
    }

    #[test]
    fn a_url_or_inline_picture_is_read_with_its_size() {
        let by_url = parse_success(br#"{"model":"m","created":1,"data":[{"url":"https://x.volces.com/a.jpeg","size":"2048x2048"}],"usage":{"generated_images":1}}"#).unwrap();
        assert!(matches!(by_url.image, Image::Url(ref u) if u.ends_with("a.jpeg")));
        assert_eq!(by_url.size.as_deref(), Some("2048x2048"));
        let inline =
            parse_success(br#"{"data":[{"b64_json":"iVBORw0KGgo=","size":"1024x1024"}]}"#).unwrap();
        assert!(matches!(inline.image, Image::Inline(_)));
    }

    #[test]
    fn sensitive_content_is_a_rejection_and_keeps_the_request_id() {
        let body = br#"{"error":{"code":"OutputImageSensitiveContentDetected","message":"The request failed because the output image may contain sensitive information. Request ID: 2026abc","param":"","type":"BadRequest"}}"#;
        let error = classify_status(StatusCode::BAD_REQUEST, &none(), body);
        assert_eq!(
            (error.failure, error.retryable),
            (ProviderFailure::ContentRejected, false)
        );
        assert!(error.detail.ends_with("Request ID: 2026abc"));
    }

    #[test]
    fn rate_limits_are_retried_but_spending_caps_are_not() {
        let ipm = br#"{"error":{"code":"ModelAccountIpmRateLimitExceeded","message":"IPM limit exceeded. Request ID: r1","type":"TooManyRequests"}}"#;
        let error = classify_status(StatusCode::TOO_MANY_REQUESTS, &none(), ipm);
        assert_eq!(
            (error.failure, error.retryable),
            (ProviderFailure::RateLimited, true)
        );
        let cap = br#"{"error":{"code":"SetLimitExceeded","message":"Usage cap reached. Request ID: r2","type":"TooManyRequests"}}"#;
        let error = classify_status(StatusCode::TOO_MANY_REQUESTS, &none(), cap);
        assert_eq!(
            (error.failure, error.retryable),
            (ProviderFailure::QuotaExhausted, false)
        );
        let auth = br#"{"error":{"code":"AuthenticationError","message":"the API key is missing or invalid. request id: r3","param":"","type":"Unauthorized"}}"#;
        assert_eq!(
            classify_status(StatusCode::UNAUTHORIZED, &none(), auth).failure,
            ProviderFailure::Auth
        );
    }

    #[test]
    fn a_failed_picture_inside_a_200_is_a_failure() {
        let body = br#"{"data":[{"error":{"code":"OutputImageSensitiveContentDetected","message":"sensitive"}}]}"#;
        assert_eq!(
            parse_success(body).unwrap_err().failure,
            ProviderFailure::ContentRejected
        );
    }
}
