//! OpenAI's Responses API with the `image_generation` tool (providers.md §1): one POST per
//! attempt, the image inline as base64. A model with `partial_images` asks for a stream (§1.6),
//! and each rough preview is handed to the page as it comes. Refinements build on an earlier picture
//! through `previous_response_id`, or the `image_generation_call` id when only that is known;
//! both travel in the picture's continuation token, which only this engine reads.

mod wire;

use super::events::{exchange_streamed, pass_on_preview, Events, Reply};
use super::http::{
    decode_base64_image, header, json_sent_once, retry_after, sniff_mime, BodyWith, Credentials,
    InlinePicture,
};
use super::redact::redact;
use super::{prompt_in_words, sent_if_changed, ProviderClient, ProviderError, ProviderImage};
use crate::error::ProviderFailure;
use crate::model::{EngineInfo, GenerateRequest};
use crate::server::config::ProviderSettings;
use crate::server::references::Reference;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;

pub struct OpenAiProvider {
    http: reqwest::Client,
    credentials: Credentials,
    endpoint: String,
    mainline_model: String,
    info: EngineInfo,
}

impl OpenAiProvider {
    pub fn new(entry: &ProviderSettings, api_key: String, http: reqwest::Client) -> Self {
        OpenAiProvider {
            http,
            credentials: Credentials::of(entry, api_key),
            endpoint: format!("{}/responses", entry.base_url.trim_end_matches('/')),
            mainline_model: entry.mainline_model.clone(),
            info: entry.engine_info(false, None),
        }
    }

    /// The request body, and the words it sends.
    fn body<'a>(
        &self,
        request: &GenerateRequest,
        references: &'a [Reference],
    ) -> (BodyWith<Input<'a>>, String) {
        let model = self.info.model_or_default(&request.model);
        let mut tool = json!({
            "type": "image_generation",
            "model": model.id,
            "size": request.size,
            "output_format": "png",
        });
        if let Some(quality) = &request.quality {
            tool["quality"] = json!(quality);
        }
        if model.partial_images > 0 {
            tool["partial_images"] = json!(model.partial_images);
        }
        let mut body = json!({
            "model": self.mainline_model,
            "tools": [tool],
            "tool_choice": {"type": "image_generation"},
            "store": true,
            "stream": model.partial_images > 0,
        });
        let words = match self.continuation_of(request) {
            Some(OpenAiContinuation {
                response_id: Some(response_id),
                ..
            }) => {
                let instruction = refine_instruction(request);
                body["previous_response_id"] = json!(response_id);
                body["input"] = json!(instruction);
                instruction
            }
            Some(OpenAiContinuation {
                image_call_id: Some(call_id),
                ..
            }) => {
                let instruction = refine_instruction(request);
                body["input"] = json!([
                    {"role": "user", "content": [{"type": "input_text", "text": instruction}]},
                    {"type": "image_generation_call", "id": call_id},
                ]);
                instruction
            }
            // A first picture, or a refinement of another engine's picture: all in words, with
            // the reference images beside them in the same user message. (A refinement of our
            // own picture builds on it, which already shows what the references gave.)
            _ => {
                let words = prompt_in_words(request, self.info.model_or_default(&request.model));
                if references.is_empty() {
                    body["input"] = json!(words);
                } else {
                    let text = Content::InputText {
                        text: words.clone(),
                    };
                    let pictures = references.iter().map(|r| Content::InputImage {
                        image_url: InlinePicture::data_url(r),
                    });
                    let content = std::iter::once(text).chain(pictures).collect();
                    let message = [Message {
                        role: "user",
                        content,
                    }];
                    let body = BodyWith {
                        fields: body,
                        name: "input",
                        value: Some(message),
                    };
                    return (body, words);
                }
                words
            }
        };
        let body = BodyWith {
            fields: body,
            name: "input",
            value: None,
        };
        (body, words)
    }

    /// The ids this engine handed out with the parent picture, when the parent is its own.
    fn continuation_of(&self, request: &GenerateRequest) -> Option<OpenAiContinuation> {
        let continuation = request.parent.as_ref()?.continuation.as_ref()?;
        if continuation.engine != self.info.id {
            return None;
        }
        serde_json::from_str(&continuation.token).ok()
    }
}

impl ProviderClient for OpenAiProvider {
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
        let key = &self.credentials.api_key;
        // The body's JSON tree is dropped once it is serialized (see `json_sent_once`).
        let (sent, words) = {
            let (body, words) = self.body(request, references);
            (
                json_sent_once(self.http.post(&self.endpoint).bearer_auth(key), &body),
                words,
            )
        };
        let parsed = match exchange_streamed(sent).await? {
            Reply::Whole(status, headers, body) if !status.is_success() => {
                return Err(classify_status(status, &headers, &body, key))
            }
            Reply::Whole(_, _, body) => wire::parse_success(&body)?,
            Reply::Events(events) => read_stream(events).await?,
        };
        let bytes = decode_base64_image(&parsed.image_b64)?;
        Ok(ProviderImage {
            mime: sniff_mime(&bytes).to_string(),
            bytes,
            model: self.info.model_or_default(&request.model).id.clone(),
            size: parsed.size.unwrap_or_else(|| request.size.clone()),
            quality: parsed.quality.or_else(|| request.quality.clone()),
            revised_prompt: parsed.revised_prompt,
            reply: None,
            sent_prompt: sent_if_changed(request, &words),
            continuation: serde_json::to_string(&OpenAiContinuation {
                response_id: Some(parsed.response_id),
                image_call_id: Some(parsed.image_call_id),
            })
            .ok(),
            seed: request.seed,
        })
    }
}

/// Hands each rough preview to the page, and returns the picture as soon as it is finished: the
/// rest of the stream repeats it (another full copy in `response.completed`, megabytes more to
/// download before the person would see anything), so it is read off the generation's path.
async fn read_stream(mut events: Events) -> Result<wire::ImageResult, ProviderError> {
    let mut state = wire::StreamState::default();
    while let Some(data) = events.next().await? {
        match state.read(data.as_bytes())? {
            wire::StreamStep::Preview(b64) => pass_on_preview(&b64),
            wire::StreamStep::Picture(image) => {
                events.drain_in_background();
                return Ok(image);
            }
            wire::StreamStep::Completed => break,
            wire::StreamStep::Continue => {}
        }
    }
    state.finish()
}

/// The input of a first picture with reference images: one user message, the words and then
/// each picture. (Other inputs are plain JSON in the body's fields.)
type Input<'a> = [Message<'a>; 1];

#[derive(Serialize)]
struct Message<'a> {
    role: &'static str,
    content: Vec<Content<'a>>,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Content<'a> {
    InputText { text: String },
    InputImage { image_url: InlinePicture<'a> },
}

/// The continuation token's content: the stored response to continue, and the image call inside it
/// (enough on its own when the response can no longer be referenced).
#[derive(Serialize, Deserialize)]
struct OpenAiContinuation {
    response_id: Option<String>,
    image_call_id: Option<String>,
}

/// The newest feedback is what the model must act on; the conversation holds the rest.
fn refine_instruction(request: &GenerateRequest) -> String {
    let feedback = request
        .refinements
        .last()
        .map(String::as_str)
        .unwrap_or_default();
    format!("Edit the previous image: {feedback}")
}

/// The failure an event of a stream reports, if it reports one (the Images API's streams too).
pub(crate) fn stream_error(data: &[u8]) -> Option<ProviderError> {
    wire::stream_error(data)
}

/// Maps an error answer to a failure, following providers.md §0.1 and §1.7.
pub(crate) fn classify_status(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    api_key: &str,
) -> ProviderError {
    let envelope = wire::parse_error(body);
    let code = envelope.code.clone().unwrap_or_default();
    let kind = envelope.kind.clone().unwrap_or_default();
    let failure = match status.as_u16() {
        401 => ProviderFailure::Auth,
        403 => ProviderFailure::Forbidden,
        404 => ProviderFailure::NotFound,
        400 if code == "moderation_blocked" || kind == "image_generation_user_error" => {
            ProviderFailure::ContentRejected
        }
        408 => ProviderFailure::Timeout,
        409 => ProviderFailure::Unavailable,
        429 if code == "insufficient_quota" || kind == "insufficient_quota" => {
            ProviderFailure::QuotaExhausted
        }
        429 => ProviderFailure::RateLimited,
        s if s >= 500 => ProviderFailure::Unavailable,
        _ => ProviderFailure::BadRequest,
    };
    let detail = match failure {
        // The 401 text echoes part of the key: never pass it on.
        ProviderFailure::Auth => String::new(),
        ProviderFailure::ContentRejected => envelope.moderation_categories.join(", "),
        _ => envelope
            .message
            .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned()),
    };
    let mut error = ProviderError::new(failure, redact(&detail, api_key));
    error.status = Some(status.as_u16());
    error.code = envelope.code;
    // The server's explicit word on retrying wins over our table (providers.md §0.1).
    match header(headers, "x-should-retry") {
        Some("true") => error.retryable = true,
        Some("false") => error.retryable = false,
        _ => {}
    }
    error.retry_after = retry_after(headers);
    error
}
