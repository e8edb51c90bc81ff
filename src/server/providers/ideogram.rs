//! Ideogram 3.0's `v1/ideogram-v3/generate` (providers.md §5), sent as multipart like its
//! documentation: aspect ratio, rendering speed (the form's "quality"), seed, negative prompt,
//! style type, and a colour palette as a preset name or weighted swatches. The picture comes back
//! at a signed URL that expires, so it is fetched at once. A picture Ideogram marks
//! `is_image_safe: false` comes without a URL (and is still billed): that is reported, not retried.

use super::http::{
    exchange, failure_for_status, file_part, parse_json, retry_after, sniff_mime, Credentials,
    ResultFetcher,
};
use super::{prompt_in_words, sent_if_changed, ProviderClient, ProviderError, ProviderImage};
use crate::error::ProviderFailure;
use crate::model::{EngineInfo, GenerateRequest, Palette};
use crate::server::config::ProviderSettings;
use crate::server::references::Reference;
use reqwest::multipart::Form;
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::json;

/// Ideogram takes seeds up to 2^31 - 1.
const MAX_SEED: u64 = 2_147_483_647;

pub struct IdeogramProvider {
    http: reqwest::Client,
    credentials: Credentials,
    endpoint: String,
    magic_prompt: Option<String>,
    results: ResultFetcher,
    info: EngineInfo,
}

impl IdeogramProvider {
    pub fn new(
        entry: &ProviderSettings,
        api_key: String,
        http: reqwest::Client,
        results: ResultFetcher,
    ) -> Self {
        IdeogramProvider {
            http,
            credentials: Credentials::of(entry, api_key),
            endpoint: format!(
                "{}/v1/ideogram-v3/generate",
                entry.base_url.trim_end_matches('/')
            ),
            magic_prompt: Some(entry.magic_prompt.clone()).filter(|m| !m.is_empty()),
            results,
            info: entry.engine_info(false, None),
        }
    }
}

impl ProviderClient for IdeogramProvider {
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
        let seed = request.seed % (MAX_SEED + 1);
        let sent = self
            .http
            .post(&self.endpoint)
            .header("Api-Key", &self.credentials.api_key)
            .multipart(form(
                request,
                &words,
                seed,
                self.magic_prompt.as_deref(),
                references,
            ));
        let (status, headers, body) = exchange(sent).await?;
        if !status.is_success() {
            return Err(classify_status(status, &headers, &body));
        }
        let made = parse_success(&body)?;
        let bytes = self.results.fetch(&made.url).await?;
        // Magic prompt may have rewritten the prompt; show it as the revised prompt.
        let revised = made.prompt.filter(|p| p.trim() != words.trim());
        Ok(ProviderImage {
            mime: sniff_mime(&bytes).to_string(),
            bytes,
            model: model.id.clone(),
            size: made.resolution.unwrap_or_else(|| request.size.clone()),
            quality: request.quality.clone(),
            revised_prompt: revised,
            reply: None,
            sent_prompt: sent_if_changed(request, &words),
            continuation: None,
            seed: made.seed.unwrap_or(seed),
        })
    }
}

/// The multipart form. Ideogram writes aspect ratios with `x` (`16x9`); the studio writes them
/// with `:` everywhere, so people see one notation. How a palette travels inside multipart is
/// not documented (providers.md §5.2); it goes as one JSON text field, the likeliest form.
/// Reference images go as style references (the field repeated), Ideogram's image input to
/// `generate`.
fn form(
    request: &GenerateRequest,
    words: &str,
    seed: u64,
    magic_prompt: Option<&str>,
    references: &[Reference],
) -> Form {
    let mut form = Form::new()
        .text("prompt", words.to_string())
        .text("aspect_ratio", request.size.replace(':', "x"))
        .text("seed", seed.to_string())
        .text("num_images", "1");
    if let Some(magic) = magic_prompt {
        form = form.text("magic_prompt", magic.to_string());
    }
    if let Some(speed) = &request.quality {
        form = form.text("rendering_speed", speed.clone());
    }
    let styling = &request.styling;
    if let Some(negative) = &styling.negative_prompt {
        form = form.text("negative_prompt", negative.clone());
    }
    if let Some(style) = &styling.style {
        form = form.text("style_type", style.clone());
    }
    let palette = match &styling.palette {
        Some(Palette::Preset(name)) => Some(json!({"name": name})),
        Some(Palette::Custom(swatches)) => Some(json!({"members": swatches
            .iter()
            .map(|s| json!({"color_hex": s.hex, "color_weight": f64::from(s.weight) / 100.0}))
            .collect::<Vec<_>>()})),
        None => None,
    };
    if let Some(palette) = palette {
        form = form.text("color_palette", palette.to_string());
    }
    for reference in references {
        form = form.part("style_reference_images", file_part(reference));
    }
    form
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    data: Vec<Made>,
}

#[derive(Deserialize)]
struct Made {
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    prompt: Option<String>,
    #[serde(default)]
    resolution: Option<String>,
    #[serde(default = "safe_unless_told")]
    is_image_safe: bool,
    #[serde(default)]
    seed: Option<u64>,
}

fn safe_unless_told() -> bool {
    true
}

#[derive(Debug)]
struct Picture {
    url: String,
    prompt: Option<String>,
    resolution: Option<String>,
    seed: Option<u64>,
}

fn parse_success(body: &[u8]) -> Result<Picture, ProviderError> {
    let answer: Answer = parse_json(body)?;
    let made = answer.data.into_iter().next().ok_or_else(|| {
        ProviderError::new(ProviderFailure::BadResponse, "the answer has no picture")
    })?;
    if !made.is_image_safe {
        return Err(ProviderError::new(
            ProviderFailure::ContentRejected,
            "Ideogram marked the picture unsafe (is_image_safe: false) and withheld it; it was still billed",
        ));
    }
    let url = made.url.filter(|u| !u.is_empty()).ok_or_else(|| {
        ProviderError::new(ProviderFailure::BadResponse, "the picture has no URL")
    })?;
    Ok(Picture {
        url,
        prompt: made.prompt,
        resolution: made.resolution,
        seed: made.seed,
    })
}

#[derive(Default, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    reject_reason: Option<String>,
}

/// Maps an error answer (providers.md §5.4 and §0.1): 422 is Ideogram's safety check, 402 its
/// funds or daily limit, 429 its in-flight limit (retried).
fn classify_status(
    status: StatusCode,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
) -> ProviderError {
    let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
    let message = parsed
        .error
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    // 422 is Ideogram's safety check, not a malformed request.
    let failure = match status.as_u16() {
        422 => ProviderFailure::ContentRejected,
        s => failure_for_status(s),
    };
    let mut error = ProviderError::from_status(failure, status.as_u16(), message);
    error.code = parsed.reject_reason;
    error.retry_after = retry_after(headers);
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unsafe_picture_is_reported_not_retried() {
        let body = br#"{"created":"2026-01-01T00:00:00+00:00","data":[{"url":null,"prompt":"p","resolution":"1024x1024","is_image_safe":false,"seed":1}]}"#;
        let error = parse_success(body).unwrap_err();
        assert_eq!(
            (error.failure, error.retryable),
            (ProviderFailure::ContentRejected, false)
        );
        assert!(error.detail.contains("still billed"));
    }

    #[test]
    fn a_safe_picture_gives_its_url_prompt_and_seed() {
        let body = br#"{"created":"2026-01-01T00:00:00+00:00","data":[{"url":"https://ideogram.ai/api/images/ephemeral/x.png?exp=1&sig=s","prompt":"magic","resolution":"1280x800","is_image_safe":true,"seed":42,"style_type":"GENERAL"}]}"#;
        let picture = parse_success(body).unwrap();
        assert!(picture.url.starts_with("https://ideogram.ai/"));
        assert_eq!(
            (picture.prompt.as_deref(), picture.seed),
            (Some("magic"), Some(42))
        );
    }

    #[test]
    fn safety_funds_and_inflight_limits_are_told_apart() {
        let none = reqwest::header::HeaderMap::new();
        let safety = classify_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &none,
            br#"{"error":"Prompt provided failed safety check."}"#,
        );
        assert_eq!(
            (safety.failure, safety.retryable),
            (ProviderFailure::ContentRejected, false)
        );
        let funds = classify_status(
            StatusCode::PAYMENT_REQUIRED,
            &none,
            br#"{"error":"Insufficient funds","reject_reason":"insufficient_funds"}"#,
        );
        assert_eq!(
            (funds.failure, funds.retryable),
            (ProviderFailure::QuotaExhausted, false)
        );
        let inflight = classify_status(
            StatusCode::TOO_MANY_REQUESTS,
            &none,
            br#"{"error":"Too many","reject_reason":"inflight_limit","max_inflight_requests":10}"#,
        );
        assert_eq!(
            (inflight.failure, inflight.retryable),
            (ProviderFailure::RateLimited, true)
        );
        assert_eq!(inflight.code.as_deref(), Some("inflight_limit"));
    }
}
