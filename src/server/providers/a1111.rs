//! AUTOMATIC1111 / Forge, `sdapi/v1/txt2img`, and `img2img` when the request has reference
//! images (providers.md §8.1): a local server with no key.
//! Sizes are `WxH`; the model's "quality" choices are step counts and its styles are sampler
//! names (the entry labels them so in the form); the negative prompt and the seed are sent.
//! The engine is listed only when `A1111_BASE_URL` (or its entry's `base_url`) is set. A server
//! that refuses connections is starting or busy, so that is retried.
//! While a job waits and runs, its place in the server's own queue and then how far it is are
//! reported, and a job nobody waits for any more is interrupted (see `job`).

mod job;

use super::http::{
    decode_base64_image, exchange, failure_for_status, json_sent_once, parse_json, sniff_mime,
    Credentials, InlinePicture,
};
use super::{prompt_in_words, sent_if_changed, ProviderClient, ProviderError, ProviderImage};
use crate::error::ProviderFailure;
use crate::model::{EngineInfo, GenerateRequest};
use crate::server::config::ProviderSettings;
use crate::server::references::Reference;
use job::{JobRoutes, SentJob};
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};

/// A1111's seed is a 32-bit integer (-1 means random, which we never send).
const MAX_SEED: u64 = u32::MAX as u64;

pub struct A1111Provider {
    http: reqwest::Client,
    /// No key; kept for the provider name on every error.
    credentials: Credentials,
    /// `…/sdapi/v1/`, before `txt2img` or `img2img`.
    api: String,
    jobs: JobRoutes,
    info: EngineInfo,
}

impl A1111Provider {
    pub fn new(entry: &ProviderSettings, http: reqwest::Client) -> Self {
        A1111Provider {
            jobs: JobRoutes::new(http.clone(), &entry.base_url),
            http,
            credentials: Credentials {
                provider: entry.label.clone(),
                key_env: String::new(),
                api_key: String::new(),
            },
            api: format!("{}/sdapi/v1/", entry.base_url.trim_end_matches('/')),
            info: entry.engine_info(false, None),
        }
    }
}

impl ProviderClient for A1111Provider {
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
        // Our own task id, so the server can say where this job is and we can stop it.
        let task_id = JobRoutes::new_task_id(&request.request_id);
        let sent = {
            let mut body = body(request, &words)?;
            body["force_task_id"] = json!(task_id);
            let mode = if references.is_empty() {
                "txt2img"
            } else {
                let pictures: Vec<_> = references.iter().map(InlinePicture::base64).collect();
                body["init_images"] = json!(pictures);
                // A1111's own default: the picture keeps the reference's layout, not its details.
                body["denoising_strength"] = json!(0.75);
                "img2img"
            };
            json_sent_once(self.http.post(format!("{}{mode}", self.api)), &body)
        };
        // From here until its answer the job is at the server, to be stopped if abandoned.
        let job = SentJob::new(&self.jobs, task_id);
        // A1111 answers only when the picture is done; where the job is comes from the progress
        // routes, asked on another connection meanwhile.
        let answered = tokio::select! {
            answered = exchange(sent) => answered,
            never = self.jobs.watch_progress(job.task_id()) => match never {},
        };
        job.answered();
        let (status, _headers, answer) = answered?;
        if !status.is_success() {
            return Err(classify_status(status, &answer));
        }
        let made = parse_success(&answer)?;
        let bytes = decode_base64_image(&made.image)?;
        Ok(ProviderImage {
            mime: sniff_mime(&bytes).to_string(),
            bytes,
            model: model.id.clone(),
            size: request.size.clone(),
            quality: request.quality.clone(),
            revised_prompt: None,
            reply: None,
            sent_prompt: sent_if_changed(request, &words),
            continuation: None,
            seed: made.seed.unwrap_or(request.seed % (MAX_SEED + 1)),
        })
    }
}

fn body(request: &GenerateRequest, words: &str) -> Result<Value, ProviderError> {
    let (width, height) = request
        .size
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)))
        .ok_or_else(|| {
            ProviderError::new(
                ProviderFailure::BadRequest,
                format!("the size {:?} is not WIDTHxHEIGHT", request.size),
            )
        })?;
    let mut body = json!({
        "prompt": words,
        "negative_prompt": request.styling.negative_prompt.clone().unwrap_or_default(),
        "seed": request.seed % (MAX_SEED + 1),
        "width": width,
        "height": height,
        "batch_size": 1,
        "n_iter": 1,
        "send_images": true,
        "save_images": false,
    });
    if let Some(steps) = request
        .quality
        .as_deref()
        .and_then(|q| q.parse::<u32>().ok())
    {
        body["steps"] = json!(steps);
    }
    if let Some(sampler) = &request.styling.style {
        body["sampler_name"] = json!(sampler);
    }
    Ok(body)
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    images: Vec<String>,
    /// A JSON document inside a string (decoded twice).
    #[serde(default)]
    info: Option<String>,
}

#[derive(Debug)]
struct Made {
    image: String,
    seed: Option<u64>,
}

fn parse_success(body: &[u8]) -> Result<Made, ProviderError> {
    let answer: Answer = parse_json(body)?;
    let image = answer.images.into_iter().next().ok_or_else(|| {
        ProviderError::new(ProviderFailure::BadResponse, "the answer has no picture")
    })?;
    let seed = answer
        .info
        .and_then(|info| serde_json::from_str::<Value>(&info).ok())
        .and_then(|info| info.get("seed").and_then(Value::as_u64));
    Ok(Made { image, seed })
}

/// `{"error": "...", "detail": "...", "errors": "..."}` or FastAPI's `{"detail": [...]}`.
fn classify_status(status: StatusCode, body: &[u8]) -> ProviderError {
    let parsed: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let detail = match parsed.get("detail") {
        Some(Value::String(text)) => text.clone(),
        Some(other @ Value::Array(_)) => other.to_string(),
        _ => String::from_utf8_lossy(body).into_owned(),
    };
    ProviderError::from_status(failure_for_status(status.as_u16()), status.as_u16(), detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> GenerateRequest {
        GenerateRequest {
            request_id: "a1".into(),
            engine: "a1111".into(),
            model: String::new(),
            prompt: "a cat".into(),
            size: "768x512".into(),
            quality: Some("30".into()),
            seed: 7,
            styling: crate::model::Styling {
                negative_prompt: Some("blurry".into()),
                style: Some("DPM++ 2M".into()),
                palette: None,
            },
            refinements: vec![],
            parent: None,
            references: vec![],
        }
    }

    #[test]
    fn the_request_carries_size_steps_sampler_seed_and_negative_prompt() {
        let sent = body(&request(), "a cat").unwrap();
        assert_eq!(
            (sent["width"].as_u64(), sent["height"].as_u64()),
            (Some(768), Some(512))
        );
        assert_eq!(
            (sent["steps"].as_u64(), sent["seed"].as_u64()),
            (Some(30), Some(7))
        );
        assert_eq!(sent["sampler_name"], "DPM++ 2M");
        assert_eq!(sent["negative_prompt"], "blurry");
    }

    #[test]
    fn the_seed_is_read_from_the_info_string() {
        let body = br#"{"images":["iVBORw0KGgo="],"parameters":{},"info":"{\"seed\": 1234567890, \"width\": 512}"}"#;
        let made = parse_success(body).unwrap();
        assert_eq!(made.seed, Some(1_234_567_890));
    }

    #[test]
    fn server_errors_are_retried_and_unknown_samplers_are_not() {
        let busy = classify_status(
            StatusCode::INTERNAL_SERVER_ERROR,
            br#"{"error":"RuntimeError","detail":"","errors":"CUDA"}"#,
        );
        assert!(busy.retryable);
        let sampler = classify_status(
            StatusCode::NOT_FOUND,
            br#"{"error":"HTTPException","detail":"Sampler not found"}"#,
        );
        assert_eq!(
            (sampler.failure, sampler.detail.as_str()),
            (ProviderFailure::NotFound, "Sampler not found")
        );
    }
}
