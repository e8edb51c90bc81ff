//! The few fields of OpenAI's JSON this client reads. Everything else is ignored, so new fields
//! the API adds never break parsing.

use super::{ProviderError, ProviderFailure};
use serde::Deserialize;

#[derive(Deserialize)]
struct ResponseBody {
    id: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    error: Option<ErrorFields>,
    #[serde(default)]
    output: Vec<OutputItem>,
}

#[derive(Deserialize)]
#[serde(tag = "type")]
enum OutputItem {
    #[serde(rename = "image_generation_call")]
    ImageCall {
        id: String,
        #[serde(default)]
        result: Option<String>,
        #[serde(default)]
        revised_prompt: Option<String>,
        #[serde(default)]
        size: Option<String>,
        #[serde(default)]
        quality: Option<String>,
    },
    #[serde(other)]
    Other,
}

#[derive(Default, Deserialize)]
struct ErrorFields {
    #[serde(default)]
    message: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    moderation_details: Option<ModerationDetails>,
}

#[derive(Default, Deserialize)]
struct ModerationDetails {
    #[serde(default)]
    categories: Vec<String>,
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorFields,
}

/// What a successful answer carries for us.
pub struct ImageResult {
    pub response_id: String,
    pub image_call_id: String,
    pub image_b64: String,
    pub revised_prompt: Option<String>,
    pub size: Option<String>,
    pub quality: Option<String>,
}

/// An error body, leniently: proxies sometimes answer with HTML or nothing.
pub struct ErrorInfo {
    pub message: Option<String>,
    pub kind: Option<String>,
    pub code: Option<String>,
    pub moderation_categories: Vec<String>,
}

pub fn parse_error(body: &[u8]) -> ErrorInfo {
    let fields = serde_json::from_slice::<ErrorEnvelope>(body)
        .map(|e| e.error)
        .unwrap_or_default();
    ErrorInfo {
        message: fields.message,
        kind: fields.kind,
        code: fields.code,
        moderation_categories: fields
            .moderation_details
            .map(|m| m.categories)
            .unwrap_or_default(),
    }
}

/// A 200 can still be a failure (`status: "failed"`, e.g. a policy violation found while
/// drawing), or hold no image; both become errors here.
pub fn parse_success(body: &[u8]) -> Result<ImageResult, ProviderError> {
    let response: ResponseBody = serde_json::from_slice(body).map_err(|e| {
        ProviderError::new(
            ProviderFailure::BadResponse,
            format!("unreadable JSON: {e}"),
        )
    })?;
    if response.status.as_deref() == Some("failed") {
        let error = response.error.unwrap_or_default();
        let code = error.code.unwrap_or_default();
        let failure = match code.as_str() {
            "moderation_blocked" | "image_content_policy_violation" => {
                ProviderFailure::ContentRejected
            }
            "rate_limit_exceeded" => ProviderFailure::RateLimited,
            "server_error" => ProviderFailure::Unavailable,
            _ => ProviderFailure::BadResponse,
        };
        let detail = if failure == ProviderFailure::ContentRejected {
            String::new()
        } else {
            error.message.unwrap_or(code.clone())
        };
        let mut err = ProviderError::new(failure, detail);
        err.code = Some(code);
        return Err(err);
    }
    let image = response.output.into_iter().find_map(|item| match item {
        OutputItem::ImageCall {
            id,
            result: Some(result),
            revised_prompt,
            size,
            quality,
        } => Some(ImageResult {
            response_id: response.id.clone(),
            image_call_id: id,
            image_b64: result,
            revised_prompt,
            size,
            quality,
        }),
        _ => None,
    });
    image.ok_or_else(|| {
        let status = response.status.unwrap_or_else(|| "unknown".into());
        ProviderError::new(
            ProviderFailure::BadResponse,
            format!("no image in the response (status {status})"),
        )
    })
}
