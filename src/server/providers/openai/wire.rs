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
        return Err(failure_of(response.error.unwrap_or_default()));
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

/// One event of a streamed Response (providers.md §1.6), with the fields this client reads.
#[derive(Deserialize)]
struct StreamEvent {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    response: Option<StreamedResponse>,
    #[serde(default)]
    item: Option<OutputItem>,
    #[serde(default)]
    partial_image_b64: Option<String>,
    /// A top-level `error`, openai-python's sign of a failure mid-stream (providers.md §0.2).
    /// Read in the same pass as the rest: a second parse would scan each megabyte event twice.
    #[serde(default)]
    error: Option<ErrorFields>,
    /// The `error` event's own fields.
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// The Response inside `response.*` events. Its `output`, which repeats the picture, is
/// skipped unread.
#[derive(Deserialize)]
struct StreamedResponse {
    id: String,
    #[serde(default)]
    error: Option<ErrorFields>,
    #[serde(default)]
    incomplete_details: Option<IncompleteDetails>,
}

#[derive(Deserialize)]
struct IncompleteDetails {
    #[serde(default)]
    reason: Option<String>,
}

/// What a stream has told so far.
#[derive(Default)]
pub struct StreamState {
    response_id: Option<String>,
    image: Option<ImageResult>,
}

/// What one event means for the caller.
pub enum StreamStep {
    /// A rough preview, as base64.
    Preview(String),
    /// The finished picture, from `response.output_item.done`. What follows repeats it
    /// (`response.completed` carries the whole output again), so the caller need not wait.
    Picture(ImageResult),
    /// Nothing to act on yet.
    Continue,
    /// The Response is complete.
    Completed,
}

impl StreamState {
    pub fn read(&mut self, data: &[u8]) -> Result<StreamStep, ProviderError> {
        let event: StreamEvent = serde_json::from_slice(data).map_err(|e| {
            ProviderError::new(
                ProviderFailure::BadResponse,
                format!("unreadable event: {e}"),
            )
        })?;
        if let Some(error) = event.error {
            return Err(failure_of(error));
        }
        if let Some(response) = &event.response {
            self.response_id.get_or_insert_with(|| response.id.clone());
        }
        match event.kind.as_str() {
            "response.image_generation_call.partial_image" => {
                return Ok(StreamStep::Preview(
                    event.partial_image_b64.unwrap_or_default(),
                ))
            }
            "response.output_item.done" => {
                if let Some(OutputItem::ImageCall {
                    id,
                    result: Some(result),
                    revised_prompt,
                    size,
                    quality,
                }) = event.item
                {
                    let image = ImageResult {
                        response_id: self.response_id.clone().unwrap_or_default(),
                        image_call_id: id,
                        image_b64: result,
                        revised_prompt,
                        size,
                        quality,
                    };
                    // The id comes with `response.created`, the first event; should a stream
                    // skip it, the picture waits for `response.completed` to name the Response.
                    if image.response_id.is_empty() {
                        self.image = Some(image);
                    } else {
                        return Ok(StreamStep::Picture(image));
                    }
                }
            }
            "response.completed" => return Ok(StreamStep::Completed),
            "response.failed" => {
                let error = event.response.and_then(|r| r.error);
                return Err(failure_of(error.unwrap_or_default()));
            }
            "response.incomplete" => {
                let reason = event
                    .response
                    .and_then(|r| r.incomplete_details)
                    .and_then(|details| details.reason)
                    .unwrap_or_default();
                let failure = if reason == "content_filter" {
                    ProviderFailure::ContentRejected
                } else {
                    ProviderFailure::BadResponse
                };
                return Err(ProviderError::new(
                    failure,
                    format!("the response stopped before the picture ({reason})"),
                ));
            }
            "error" => {
                return Err(failure_of(ErrorFields {
                    code: event.code,
                    message: event.message,
                    ..ErrorFields::default()
                }))
            }
            _ => {}
        }
        Ok(StreamStep::Continue)
    }

    /// The picture, once the stream has ended: with `response.completed`, or without it, since
    /// live streams have been seen to omit the last events (providers.md §1.6).
    pub fn finish(self) -> Result<ImageResult, ProviderError> {
        match (self.image, self.response_id) {
            (Some(image), Some(response_id)) => Ok(ImageResult {
                response_id,
                ..image
            }),
            _ => Err(ProviderError::new(
                ProviderFailure::BadResponse,
                "the stream ended without the picture",
            )),
        }
    }
}

/// An event of a stream that carries a top-level `error` (how openai-python tells a failure
/// mid-stream, providers.md §0.2); `None` for any other event.
pub fn stream_error(data: &[u8]) -> Option<ProviderError> {
    let envelope: ErrorEnvelope = serde_json::from_slice(data).ok()?;
    Some(failure_of(envelope.error))
}

/// A failure reported inside a 200: a failed response (e.g. a policy violation found while
/// drawing), or an error event in a stream.
fn failure_of(error: ErrorFields) -> ProviderError {
    let code = error.code.unwrap_or_default();
    let failure = match code.as_str() {
        "moderation_blocked" | "image_content_policy_violation" => ProviderFailure::ContentRejected,
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
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_event_in_a_stream_is_classified_and_other_events_are_not_errors() {
        let blocked = stream_error(
            br#"{"type":"error","error":{"type":"image_generation_user_error","code":"moderation_blocked","message":"Your request was rejected by the safety system."}}"#,
        )
        .expect("an error");
        assert_eq!(blocked.failure, ProviderFailure::ContentRejected);
        let busy = stream_error(br#"{"error":{"code":"server_error","message":"oops"}}"#)
            .expect("an error");
        assert_eq!(
            (busy.failure, busy.retryable),
            (ProviderFailure::Unavailable, true)
        );
        let preview = br#"{"type":"image_generation.partial_image","b64_json":"iVBORw0KGgo=","partial_image_index":0}"#;
        assert!(stream_error(preview).is_none());
    }

    #[test]
    fn a_stream_hands_over_the_picture_at_output_item_done_with_the_response_id() {
        let mut state = StreamState::default();
        let created = br#"{"type":"response.created","response":{"id":"resp_1","status":"in_progress","output":[]}}"#;
        assert!(matches!(state.read(created), Ok(StreamStep::Continue)));
        let partial = br#"{"type":"response.image_generation_call.partial_image","partial_image_b64":"iVBORw0KGgo=","partial_image_index":0}"#;
        assert!(
            matches!(state.read(partial), Ok(StreamStep::Preview(b64)) if b64 == "iVBORw0KGgo=")
        );
        let done = br#"{"type":"response.output_item.done","item":{"type":"image_generation_call","id":"ig_1","status":"completed","result":"iVBORw0KGgo="}}"#;
        match state.read(done) {
            Ok(StreamStep::Picture(image)) => {
                assert_eq!(
                    (image.response_id.as_str(), image.image_call_id.as_str()),
                    ("resp_1", "ig_1")
                );
            }
            _ => panic!("the picture at output_item.done"),
        }
    }

    #[test]
    fn a_top_level_error_in_a_stream_event_fails_the_stream() {
        let mut state = StreamState::default();
        let error = br#"{"error":{"code":"server_error","message":"oops"}}"#;
        let failure = state.read(error).err().expect("an error");
        assert_eq!(failure.failure, ProviderFailure::Unavailable);
    }
}
