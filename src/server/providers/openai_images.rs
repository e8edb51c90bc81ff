//! OpenAI's Images API, `images/generations`, or `images/edits` when the request has reference
//! images (providers.md §2, §2.4), and the servers that copy it
//! (§7, §8.3): LocalAI, relays, and jimeng-style proxies. One client, because the protocol is one;
//! what differs between servers is configuration:
//!
//! - `size_param` / `quality_param` name the fields the size and quality go in (`size` /
//!   `quality` for OpenAI; `ratio` / `resolution` for a jimeng proxy);
//! - `response_format`, when set, is sent (`b64_json` for dall-e and most proxies; GPT image
//!   models always answer base64 and refuse the field);
//! - each answered image may be `b64_json` or a `url` (fetched at once from the server's hosts).
//!
//! jimeng-style proxies report failures as HTTP 200 with a negative `code` (§7.4); those are
//! read before the picture.
//!
//! A model with `partial_images` asks for a stream (§2.3): each rough preview is handed to the
//! page as it comes, and the picture arrives in the last event. A server that ignores `stream`
//! and answers JSON is read as usual.

use super::events::{exchange_streamed, pass_on_preview, Events, Reply};
use super::http::{
    decode_base64_image, file_part, parse_json, sniff_mime, Credentials, ResultFetcher,
};
use super::openai::{classify_status, stream_error};
use super::{prompt_in_words, sent_if_changed, ProviderClient, ProviderError, ProviderImage};
use crate::error::ProviderFailure;
use crate::model::{EngineInfo, GenerateRequest, ModelInfo};
use crate::server::config::ProviderSettings;
use crate::server::references::Reference;
use reqwest::multipart::Form;
use serde::Deserialize;
use serde_json::{json, Value};

pub struct OpenAiImagesProvider {
    http: reqwest::Client,
    credentials: Credentials,
    /// `…/images/`, before `generations` or `edits`.
    api: String,
    size_param: String,
    quality_param: String,
    response_format: Option<String>,
    results: ResultFetcher,
    info: EngineInfo,
}

impl OpenAiImagesProvider {
    pub fn new(
        entry: &ProviderSettings,
        api_key: String,
        http: reqwest::Client,
        results: ResultFetcher,
    ) -> Self {
        let or =
            |value: &str, default: &str| if value.is_empty() { default } else { value }.to_string();
        OpenAiImagesProvider {
            http,
            credentials: Credentials::of(entry, api_key),
            api: format!("{}/images/", entry.base_url.trim_end_matches('/')),
            size_param: or(&entry.size_param, "size"),
            quality_param: or(&entry.quality_param, "quality"),
            response_format: Some(entry.response_format.clone()).filter(|f| !f.is_empty()),
            results,
            info: entry.engine_info(false, None),
        }
    }

    fn body(&self, request: &GenerateRequest, model: &ModelInfo, words: &str) -> Value {
        let mut body = json!({"model": model.id, "prompt": words, "n": 1});
        if model.partial_images > 0 {
            body["stream"] = json!(true);
            body["partial_images"] = json!(model.partial_images);
        }
        body[self.size_param.as_str()] = json!(request.size);
        if let Some(quality) = &request.quality {
            body[self.quality_param.as_str()] = json!(quality);
        }
        if let Some(format) = &self.response_format {
            body["response_format"] = json!(format);
        }
        if let Some(negative) = &request.styling.negative_prompt {
            body["negative_prompt"] = json!(negative);
        }
        body
    }
}

impl ProviderClient for OpenAiImagesProvider {
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
        let key = &self.credentials.api_key;
        let body = self.body(request, model, &words);
        let sent = if references.is_empty() {
            let url = format!("{}generations", self.api);
            self.http.post(url).bearer_auth(key).json(&body)
        } else {
            let url = format!("{}edits", self.api);
            self.http
                .post(url)
                .bearer_auth(key)
                .multipart(edit_form(&body, references))
        };
        let made = match exchange_streamed(sent).await? {
            Reply::Whole(status, headers, body) if !status.is_success() => {
                return Err(classify_status(status, &headers, &body, key))
            }
            Reply::Whole(_, _, body) => parse_success(&body)?,
            Reply::Events(events) => read_stream(events).await?,
        };
        let bytes = match made.image {
            Image::Inline(b64) => decode_base64_image(&b64)?,
            Image::Url(url) => self.results.fetch(&url).await?,
        };
        Ok(ProviderImage {
            mime: sniff_mime(&bytes).to_string(),
            bytes,
            model: model.id.clone(),
            size: made.size.unwrap_or_else(|| request.size.clone()),
            quality: made.quality.or_else(|| request.quality.clone()),
            revised_prompt: made.revised_prompt,
            reply: None,
            sent_prompt: sent_if_changed(request, &words),
            continuation: None,
            seed: request.seed,
        })
    }
}

/// `images/edits` takes the same fields as `generations`, as multipart text, plus each
/// reference as a repeated `image[]` file (§2.4: numbers travel as text).
fn edit_form(body: &Value, references: &[Reference]) -> Form {
    let fields = body.as_object().into_iter().flatten();
    let mut form = fields.fold(Form::new(), |form, (name, value)| {
        let text = match value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        form.text(name.clone(), text)
    });
    for reference in references {
        form = form.part("image[]", file_part(reference));
    }
    form
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    data: Option<Vec<Item>>,
    #[serde(default)]
    size: Option<String>,
    #[serde(default)]
    quality: Option<String>,
    /// jimeng-style proxies: a negative code is a failure, whatever the HTTP status said.
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
struct Item {
    #[serde(default)]
    b64_json: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    revised_prompt: Option<String>,
}

#[derive(Debug)]
enum Image {
    Inline(String),
    Url(String),
}

#[derive(Debug)]
struct Made {
    image: Image,
    size: Option<String>,
    quality: Option<String>,
    revised_prompt: Option<String>,
}

fn parse_success(body: &[u8]) -> Result<Made, ProviderError> {
    let answer: Answer = parse_json(body)?;
    if let Some(code) = answer.code.filter(|code| *code != 0) {
        return Err(proxy_failure(code, answer.message.unwrap_or_default()));
    }
    let item = answer
        .data
        .unwrap_or_default()
        .into_iter()
        .next()
        .ok_or_else(|| {
            ProviderError::new(ProviderFailure::BadResponse, "the answer has no picture")
        })?;
    let image = match (item.b64_json, item.url) {
        (Some(b64), _) if !b64.is_empty() => Image::Inline(b64),
        (_, Some(url)) if !url.is_empty() => Image::Url(url),
        _ => {
            return Err(ProviderError::new(
                ProviderFailure::BadResponse,
                "the picture has neither data nor a URL",
            ))
        }
    };
    Ok(Made {
        image,
        size: answer.size,
        quality: answer.quality,
        revised_prompt: item.revised_prompt,
    })
}

/// One event of a stream (§2.3): `image_generation.partial_image` / `.completed`, or
/// `image_edit.…` from the edits endpoint.
#[derive(Deserialize)]
struct Frame {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    b64_json: String,
    #[serde(default)]
    size: Option<String>,
    #[serde(default)]
    quality: Option<String>,
}

/// Hands each rough preview to the page, and returns the picture of the last event.
async fn read_stream(mut events: Events) -> Result<Made, ProviderError> {
    while let Some(data) = events.next().await? {
        if let Some(error) = stream_error(data.as_bytes()) {
            return Err(error);
        }
        let frame: Frame = parse_json(data.as_bytes())?;
        if frame.kind.ends_with(".partial_image") {
            pass_on_preview(&frame.b64_json);
        } else if frame.kind.ends_with(".completed") {
            return Ok(Made {
                image: Image::Inline(frame.b64_json),
                size: frame.size,
                quality: frame.quality,
                revised_prompt: None,
            });
        }
    }
    Err(ProviderError::new(
        ProviderFailure::BadResponse,
        "the stream ended before the picture came",
    ))
}

/// jimeng-style error codes (providers.md §7.4).
fn proxy_failure(code: i64, message: String) -> ProviderError {
    let failure = match code {
        -2002 => ProviderFailure::Auth,
        -2006 => ProviderFailure::ContentRejected,
        -2009 => ProviderFailure::QuotaExhausted,
        -2001 | -2007 | -1000 => ProviderFailure::Unavailable,
        _ => ProviderFailure::BadRequest,
    };
    let mut error = ProviderError::new(failure, message);
    error.code = Some(code.to_string());
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpt_image_base64_and_dalle_urls_are_both_read() {
        let gpt = parse_success(br#"{"created":1,"size":"1024x1024","quality":"high","data":[{"b64_json":"iVBORw0KGgo="}],"usage":{"total_tokens":100}}"#).unwrap();
        assert!(matches!(gpt.image, Image::Inline(_)));
        assert_eq!(
            (gpt.size.as_deref(), gpt.quality.as_deref()),
            (Some("1024x1024"), Some("high"))
        );
        let dalle = parse_success(br#"{"created":1,"data":[{"url":"https://example.test/img.png","revised_prompt":"A lighthouse"}]}"#).unwrap();
        assert!(matches!(dalle.image, Image::Url(ref u) if u.ends_with("img.png")));
        assert_eq!(dalle.revised_prompt.as_deref(), Some("A lighthouse"));
    }

    #[test]
    fn a_proxy_failure_inside_a_200_is_mapped_by_its_code() {
        let filtered = parse_success(
            "{\"code\":-2006,\"message\":\"内容由于合规问题已被阻止生成\",\"data\":null}"
                .as_bytes(),
        )
        .unwrap_err();
        assert_eq!(
            (filtered.failure, filtered.retryable),
            (ProviderFailure::ContentRejected, false)
        );
        let expired =
            parse_success(br#"{"code":-2002,"message":"token expired","data":null}"#).unwrap_err();
        assert_eq!(expired.failure, ProviderFailure::Auth);
        let busy =
            parse_success(br#"{"code":-2001,"message":"request failed","data":null}"#).unwrap_err();
        assert_eq!(
            (busy.failure, busy.retryable),
            (ProviderFailure::Unavailable, true)
        );
    }
}
