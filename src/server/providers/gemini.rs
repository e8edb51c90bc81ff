//! Google Gemini's `models/{model}:generateContent` with an image-capable model such as
//! `gemini-2.5-flash-image` (providers.md §3): the prompt as a text part, the aspect ratio in
//! `generationConfig.imageConfig`, the picture back inline as base64 beside an optional text
//! reply, which is shown with the picture. Gemini has no seed, no quality and no negative prompt.
//!
//! Failures come in two shapes: google.rpc.Status envelopes with an HTTP error status (a bad key
//! is a 400 with reason `API_KEY_INVALID`; a 429 carries `RetryInfo.retryDelay`), and HTTP 200
//! answers without a picture (a blocked prompt, or a candidate stopped for safety or with
//! `NO_IMAGE`), which are failures too and are never retried as they are.

use super::http::{
    decode_base64_image, exchange, failure_for_status, json_sent_once, parse_json, sniff_mime,
    BodyWith, Credentials, InlinePicture,
};
use super::{prompt_in_words, sent_if_changed, ProviderClient, ProviderError, ProviderImage};
use crate::error::ProviderFailure;
use crate::model::{EngineInfo, GenerateRequest};
use crate::server::config::ProviderSettings;
use crate::server::references::Reference;
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::time::Duration;

pub struct GeminiProvider {
    http: reqwest::Client,
    credentials: Credentials,
    base_url: String,
    info: EngineInfo,
}

impl GeminiProvider {
    pub fn new(entry: &ProviderSettings, api_key: String, http: reqwest::Client) -> Self {
        GeminiProvider {
            http,
            credentials: Credentials::of(entry, api_key),
            base_url: entry.base_url.trim_end_matches('/').to_string(),
            info: entry.engine_info(false, None),
        }
    }
}

impl ProviderClient for GeminiProvider {
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
        let model = &self.info.model_or_default(&request.model).id;
        let url = format!("{}/v1beta/models/{model}:generateContent", self.base_url);
        let text = prompt_in_words(request, self.info.model_or_default(&request.model));
        let sent = json_sent_once(
            self.http
                .post(url)
                .header("x-goog-api-key", &self.credentials.api_key),
            &body(&text, &request.size, references),
        );
        let (status, _headers, answer) = exchange(sent).await?;
        if !status.is_success() {
            return Err(classify_status(status, &answer));
        }
        let picture = parse_success(&answer)?;
        let bytes = decode_base64_image(&picture.data)?;
        Ok(ProviderImage {
            mime: sniff_mime(&bytes).to_string(),
            bytes,
            model: model.clone(),
            size: request.size.clone(),
            quality: None,
            revised_prompt: None,
            reply: picture.reply,
            sent_prompt: sent_if_changed(request, &text),
            // Gemini continues a picture by resending it; the words of the feedback do instead.
            continuation: None,
            seed: request.seed,
        })
    }
}

/// The prompt, then each reference image inline, as Google's own image-editing examples order
/// them.
fn body<'a>(
    text: &'a str,
    aspect_ratio: &str,
    references: &'a [Reference],
) -> BodyWith<[SentContent<'a>; 1]> {
    let pictures = references.iter().map(|reference| SentPart::Picture {
        inline_data: SentInline {
            mime_type: reference.mime,
            data: InlinePicture::base64(reference),
        },
    });
    let parts = std::iter::once(SentPart::Text { text })
        .chain(pictures)
        .collect();
    BodyWith {
        fields: json!({
            "generationConfig": {
                "responseModalities": ["TEXT", "IMAGE"],
                "imageConfig": {"aspectRatio": aspect_ratio},
            },
        }),
        name: "contents",
        value: Some([SentContent {
            role: "user",
            parts,
        }]),
    }
}

#[derive(Serialize)]
/// What the request's `contents` hold (the answer's are read by `Content`).
struct SentContent<'a> {
    role: &'static str,
    parts: Vec<SentPart<'a>>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum SentPart<'a> {
    Text {
        text: &'a str,
    },
    Picture {
        #[serde(rename = "inlineData")]
        inline_data: SentInline<'a>,
    },
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SentInline<'a> {
    mime_type: &'static str,
    data: InlinePicture<'a>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    #[serde(default)]
    candidates: Vec<Candidate>,
    #[serde(default)]
    prompt_feedback: Option<PromptFeedback>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PromptFeedback {
    #[serde(default)]
    block_reason: Option<String>,
    #[serde(default)]
    block_reason_message: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Candidate {
    #[serde(default)]
    content: Option<Content>,
    #[serde(default)]
    finish_reason: Option<String>,
    #[serde(default)]
    finish_message: Option<String>,
}

#[derive(Deserialize)]
struct Content {
    #[serde(default)]
    parts: Vec<Part>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Part {
    #[serde(default)]
    text: Option<String>,
    #[serde(default, alias = "inline_data")]
    inline_data: Option<InlineData>,
    /// Gemini 3 "thinks" in draft images first; only the final picture counts.
    #[serde(default)]
    thought: bool,
}

#[derive(Deserialize)]
struct InlineData {
    data: String,
}

#[derive(Debug)]
struct Picture {
    data: String,
    reply: Option<String>,
}

/// Finish reasons that mean a safety system stopped the picture (providers.md §3.4).
const SAFETY_STOPS: [&str; 8] = [
    "SAFETY",
    "PROHIBITED_CONTENT",
    "BLOCKLIST",
    "SPII",
    "RECITATION",
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
    "IMAGE_RECITATION",
];

fn parse_success(body: &[u8]) -> Result<Picture, ProviderError> {
    let answer: Answer = parse_json(body)?;
    if let Some(feedback) = answer.prompt_feedback {
        if let Some(reason) = feedback.block_reason {
            let why = feedback.block_reason_message.unwrap_or_default();
            return Err(ProviderError::new(
                ProviderFailure::ContentRejected,
                format!("{reason} {why}").trim().to_string(),
            ));
        }
    }
    let candidate = answer.candidates.into_iter().next().ok_or_else(|| {
        ProviderError::new(ProviderFailure::BadResponse, "the answer has no candidate")
    })?;
    let parts: Vec<Part> = candidate
        .content
        .map(|c| c.parts)
        .unwrap_or_default()
        .into_iter()
        .filter(|p| !p.thought)
        .collect();
    let reply = parts
        .iter()
        .filter_map(|p| p.text.as_deref())
        .collect::<Vec<_>>()
        .join(" ");
    let reply = (!reply.trim().is_empty()).then(|| reply.trim().to_string());
    let image = parts.into_iter().find_map(|p| p.inline_data);
    if let Some(image) = image {
        return Ok(Picture {
            data: image.data,
            reply,
        });
    }
    let reason = candidate.finish_reason.unwrap_or_else(|| "STOP".into());
    let said = candidate.finish_message.or(reply).unwrap_or_default();
    let failure = if SAFETY_STOPS.contains(&reason.as_str()) {
        ProviderFailure::ContentRejected
    } else {
        ProviderFailure::BadResponse
    };
    let detail = if failure == ProviderFailure::ContentRejected {
        reason
    } else {
        format!("it stopped ({reason}) without a picture: {said}")
    };
    Err(ProviderError::new(failure, detail.trim().to_string()))
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: RpcStatus,
}

#[derive(Deserialize)]
struct RpcStatus {
    #[serde(default)]
    message: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    details: Vec<Value>,
}

/// Maps a google.rpc.Status answer (providers.md §3.5 and the retry matrix in §0.1).
fn classify_status(status: StatusCode, body: &[u8]) -> ProviderError {
    let envelope: Option<ErrorEnvelope> = serde_json::from_slice(body).ok();
    let (message, rpc_status, details) = match envelope {
        Some(ErrorEnvelope { error }) => (error.message, error.status, error.details),
        None => (
            String::from_utf8_lossy(body).into_owned(),
            String::new(),
            Vec::new(),
        ),
    };
    let reason = |wanted: &str| {
        details
            .iter()
            .any(|d| d.get("reason").and_then(Value::as_str) == Some(wanted))
    };
    // Gemini answers a bad key with 400, not 401.
    let failure = match status.as_u16() {
        400 if reason("API_KEY_INVALID") => ProviderFailure::Auth,
        s => failure_for_status(s),
    };
    let mut error = ProviderError::from_status(failure, status.as_u16(), message);
    error.code = (!rpc_status.is_empty()).then_some(rpc_status);
    error.retry_after = retry_delay(&details);
    error
}

/// `RetryInfo.retryDelay`, a protobuf Duration such as `"47s"` or `"12.771204034s"`.
fn retry_delay(details: &[Value]) -> Option<Duration> {
    details
        .iter()
        .filter(|d| {
            d.get("@type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.ends_with("google.rpc.RetryInfo"))
        })
        .find_map(|d| d.get("retryDelay").and_then(Value::as_str))
        .and_then(|delay| delay.trim().strip_suffix('s'))
        .and_then(|seconds| seconds.parse::<f64>().ok())
        .filter(|seconds| seconds.is_finite() && *seconds >= 0.0)
        .map(Duration::from_secs_f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_picture_and_the_text_reply_are_read_skipping_thoughts() {
        let answer = json!({"candidates": [{"content": {"role": "model", "parts": [
            {"inlineData": {"mimeType": "image/png", "data": "ZHJhZnQ="}, "thought": true},
            {"text": "Here is your lighthouse."},
            {"inlineData": {"mimeType": "image/png", "data": "ZmluYWw="}}
        ]}, "finishReason": "STOP"}]});
        let picture = parse_success(answer.to_string().as_bytes()).unwrap();
        assert_eq!(picture.data, "ZmluYWw=");
        assert_eq!(picture.reply.as_deref(), Some("Here is your lighthouse."));
    }

    #[test]
    fn a_blocked_prompt_or_a_safety_stop_is_a_content_rejection() {
        let blocked = json!({"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}});
        let error = parse_success(blocked.to_string().as_bytes()).unwrap_err();
        assert_eq!(error.failure, ProviderFailure::ContentRejected);
        assert!(!error.retryable);
        let stopped = json!({"candidates": [{"finishReason": "IMAGE_SAFETY"}]});
        let error = parse_success(stopped.to_string().as_bytes()).unwrap_err();
        assert_eq!(
            (error.failure, error.detail.as_str()),
            (ProviderFailure::ContentRejected, "IMAGE_SAFETY")
        );
    }

    #[test]
    fn an_answer_without_a_picture_says_what_gemini_said() {
        let text_only = json!({"candidates": [{"content": {"parts": [{"text": "I can only describe it."}]}, "finishReason": "NO_IMAGE"}]});
        let error = parse_success(text_only.to_string().as_bytes()).unwrap_err();
        assert_eq!(error.failure, ProviderFailure::BadResponse);
        assert_eq!(
            error.detail,
            "it stopped (NO_IMAGE) without a picture: I can only describe it."
        );
    }

    #[test]
    fn a_bad_key_is_an_auth_failure_though_gemini_answers_400() {
        let body = json!({"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT",
            "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}]}});
        let error = classify_status(StatusCode::BAD_REQUEST, body.to_string().as_bytes());
        assert_eq!(error.failure, ProviderFailure::Auth);
        assert!(!error.retryable);
    }

    #[test]
    fn quota_429_is_retried_after_its_retry_delay() {
        let body = json!({"error": {"code": 429, "message": "You exceeded your current quota.", "status": "RESOURCE_EXHAUSTED",
            "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "12.5s"}]}});
        let error = classify_status(StatusCode::TOO_MANY_REQUESTS, body.to_string().as_bytes());
        assert_eq!(error.failure, ProviderFailure::RateLimited);
        assert!(error.retryable);
        assert_eq!(error.retry_after, Some(Duration::from_millis(12_500)));
        let overloaded = json!({"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}});
        let error = classify_status(
            StatusCode::SERVICE_UNAVAILABLE,
            overloaded.to_string().as_bytes(),
        );
        assert_eq!(
            (error.failure, error.retryable),
            (ProviderFailure::Unavailable, true)
        );
    }

    #[test]
    fn the_request_carries_the_words_and_the_aspect_ratio() {
        let sent = serde_json::to_value(body("a lighthouse", "16:9", &[])).unwrap();
        assert_eq!(
            sent["generationConfig"]["imageConfig"]["aspectRatio"],
            "16:9"
        );
        assert_eq!(
            sent["generationConfig"]["responseModalities"],
            json!(["TEXT", "IMAGE"])
        );
        assert_eq!(sent["contents"][0]["parts"][0]["text"], "a lighthouse");
    }
}
