//! Replicate's predictions API for official models such as `black-forest-labs/flux-1.1-pro` and
//! `flux-schnell` (providers.md §4). A generation is created with `Prefer: wait`, which answers
//! as soon as the output exists; when the wait runs out the prediction is polled, with backoff,
//! until it ends. The output URL is fetched at once (it expires) from Replicate's hosts only.
//!
//! Why the polling lives here and not in the node's retry loop: a prediction is paid for when it
//! is created. Once created, every later hiccup (a poll that times out, a 503 while polling) is
//! retried here by polling again; only failures before a prediction exists reach the retry loop,
//! so a retry never pays twice. For the same reason a create that may have reached Replicate
//! (a timeout or reset after sending) is not retried; only one that never connected is. A
//! generation that is cancelled or dropped cancels its prediction.

use super::http::{
    exchange, failure_for_status, json_sent_once, parse_json, retry_after, sniff_mime,
    transport_error, Credentials, InlinePicture, ResultFetcher,
};
use super::{prompt_in_words, sent_if_changed, ProviderClient, ProviderError, ProviderImage};
use crate::error::ProviderFailure;
use crate::model::{EngineInfo, GenerateRequest, Progress};
use crate::server::config::ProviderSettings;
use crate::server::inflight::report;
use crate::server::references::Reference;
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::Duration;

/// How long Replicate may hold the create call open waiting for the output (its maximum is 60).
/// Short on purpose: until the create call answers we do not know the prediction's id, so a
/// generation cancelled in that window cannot cancel its prediction. FLUX usually finishes
/// within it anyway; slower runs are polled, and cancelling those works.
const WAIT_SECS: u32 = 5;
/// Replicate cancels a prediction still running this long after creation (`Cancel-After`): a
/// backstop for one whose generation was dropped before its id was known.
const CANCEL_AFTER: &str = "5m";
/// Polling starts fast (FLUX often finishes in seconds) and slows to this.
const FIRST_POLL: Duration = Duration::from_millis(500);
const MAX_POLL: Duration = Duration::from_secs(5);
/// FLUX takes seeds up to 2^31 - 1.
const MAX_SEED: u64 = 2_147_483_647;

pub struct ReplicateProvider {
    http: reqwest::Client,
    credentials: Credentials,
    base_url: String,
    results: ResultFetcher,
    info: EngineInfo,
}

impl ReplicateProvider {
    pub fn new(
        entry: &ProviderSettings,
        api_key: String,
        http: reqwest::Client,
        results: ResultFetcher,
    ) -> Self {
        ReplicateProvider {
            http,
            credentials: Credentials::of(entry, api_key),
            base_url: entry.base_url.trim_end_matches('/').to_string(),
            results,
            info: entry.engine_info(false, None),
        }
    }

    async fn poll(&self, id: &str) -> Result<Prediction, ProviderError> {
        let get = self
            .http
            .get(format!("{}/predictions/{id}", self.base_url))
            .bearer_auth(&self.credentials.api_key);
        let (status, headers, body) = exchange(get).await?;
        if !status.is_success() {
            return Err(classify_status(status, &headers, &body));
        }
        parse_json::<Prediction>(&body)
    }

    fn cancel_in_background(&self, id: &str) {
        let cancel = self
            .http
            .post(format!("{}/predictions/{id}/cancel", self.base_url))
            .bearer_auth(&self.credentials.api_key);
        let id = id.to_string();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                match cancel.send().await {
                    Ok(answer) => tracing::info!(prediction = %id, status = answer.status().as_u16(), "prediction cancelled"),
                    Err(error) => tracing::warn!(prediction = %id, %error, "could not cancel the prediction"),
                }
            });
        }
    }
}

/// A created prediction; cancelled at Replicate when dropped before it finished (the person
/// cancelled, the tab closed, or the attempt timed out), so nobody pays for a picture no one
/// will see.
struct Running<'a> {
    provider: &'a ReplicateProvider,
    id: String,
    finished: bool,
}

impl Running<'_> {
    async fn until_output(
        &mut self,
        mut prediction: Prediction,
    ) -> Result<Prediction, ProviderError> {
        let mut wait = FIRST_POLL;
        loop {
            match prediction.status.as_str() {
                "starting" => report(Progress::Starting),
                "processing" => report(Progress::Processing),
                _ => {}
            }
            // Output can exist while the status still says `processing` (providers.md §4.2).
            if prediction.first_output().is_some() {
                return Ok(prediction);
            }
            match prediction.status.as_str() {
                "failed" => return Err(failed(prediction.error)),
                "canceled" => {
                    return Err(ProviderError::new(
                        ProviderFailure::BadResponse,
                        "the prediction was cancelled at Replicate",
                    ))
                }
                "succeeded" => {
                    return Err(ProviderError::new(
                        ProviderFailure::BadResponse,
                        "the prediction succeeded without an output",
                    ))
                }
                _ => {}
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 3 / 2).min(MAX_POLL);
            prediction = match self.provider.poll(&self.id).await {
                Ok(next) => next,
                // Polling is free and safe to repeat: a failed poll is tried again, later.
                Err(error) if error.retryable => {
                    tracing::warn!(prediction = %self.id, %error, "poll failed; polling again");
                    wait = error.retry_after.unwrap_or(wait).min(MAX_POLL);
                    continue;
                }
                Err(error) => return Err(error),
            };
        }
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.provider.cancel_in_background(&self.id);
        }
    }
}

impl ProviderClient for ReplicateProvider {
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
        let model_info = self.info.model_or_default(&request.model);
        let model = &model_info.id;
        let seed = request.seed % (MAX_SEED + 1);
        let words = prompt_in_words(request, model_info);
        let mut input = json!({
            "prompt": words,
            "aspect_ratio": request.size,
            "seed": seed,
            "output_format": "png",
        });
        // FLUX 1.1 [pro] takes one image to lean on (Flux Redux), as a URL; Replicate accepts a
        // data URL wherever a file URL goes. Models without the field take no references
        // (`max_references` says so and the request was checked against it).
        if let Some(first) = references.first() {
            input["image_prompt"] = json!(InlinePicture::data_url(first));
        }
        let create = self
            .http
            .post(format!("{}/models/{model}/predictions", self.base_url))
            .bearer_auth(&self.credentials.api_key)
            .header("Prefer", format!("wait={WAIT_SECS}"))
            .header("Cancel-After", CANCEL_AFTER);
        let create = json_sent_once(create, &json!({ "input": input }));
        let sent = create.send().await.map_err(|e| {
            let mut error = transport_error(&e);
            // Only a create that never connected is sure not to have started a paid prediction.
            error.retryable = e.is_connect();
            error
        })?;
        let status = sent.status();
        let headers = sent.headers().clone();
        let body = sent.bytes().await.map_err(|e| transport_error(&e))?;
        if !status.is_success() {
            return Err(classify_status(status, &headers, &body));
        }
        let created = parse_json::<Prediction>(&body)?;
        let mut running = Running {
            provider: self,
            id: created.id.clone(),
            finished: false,
        };
        let prediction = running.until_output(created).await?;
        running.finished = true;
        let url = prediction.first_output().ok_or_else(|| {
            ProviderError::new(
                ProviderFailure::BadResponse,
                "the prediction has no output URL",
            )
        })?;
        let bytes = self.results.fetch(&url).await?;
        Ok(ProviderImage {
            mime: sniff_mime(&bytes).to_string(),
            bytes,
            model: model.clone(),
            size: request.size.clone(),
            quality: None,
            revised_prompt: None,
            reply: None,
            sent_prompt: sent_if_changed(request, &words),
            continuation: None,
            seed,
        })
    }
}

#[derive(Clone, Debug, Deserialize)]
struct Prediction {
    id: String,
    #[serde(default)]
    status: String,
    /// A URL for flux-1.1-pro, a list of URLs for flux-schnell, null until ready.
    #[serde(default)]
    output: Value,
    #[serde(default)]
    error: Option<Value>,
}

impl Prediction {
    fn first_output(&self) -> Option<String> {
        match &self.output {
            Value::String(url) => Some(url.clone()),
            Value::Array(urls) => urls.first().and_then(Value::as_str).map(String::from),
            _ => None,
        }
    }
}

/// A prediction that ended `failed`: a safety filter's refusal is the person's to fix; anything
/// else may be the model's bad luck, and a new prediction may succeed.
fn failed(error: Option<Value>) -> ProviderError {
    let text = match error {
        Some(Value::String(text)) => text,
        Some(other) => other.to_string(),
        None => "no reason given".into(),
    };
    let lower = text.to_lowercase();
    let filtered = ["nsfw", "sensitive", "safety", "e005"]
        .iter()
        .any(|word| lower.contains(word));
    if filtered {
        ProviderError::new(ProviderFailure::ContentRejected, text)
    } else {
        let mut error = ProviderError::new(
            ProviderFailure::Unavailable,
            format!("the prediction failed: {text}"),
        );
        error.retryable = true;
        error
    }
}

#[derive(Default, Deserialize)]
struct Problem {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    detail: Option<String>,
}

/// Maps an `application/problem+json` answer (providers.md §4.4 and §0.1).
fn classify_status(
    status: StatusCode,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
) -> ProviderError {
    let problem: Problem = serde_json::from_slice(body).unwrap_or_default();
    let detail = problem
        .detail
        .or(problem.title)
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    let wait = retry_after(headers).or_else(|| expected_in(&detail));
    let failure = failure_for_status(status.as_u16());
    let mut error = ProviderError::from_status(failure, status.as_u16(), detail);
    error.retry_after = wait;
    error
}

/// "Request was throttled. Expected available in 3 seconds." → 3 s.
fn expected_in(detail: &str) -> Option<Duration> {
    let rest = detail.split("Expected available in ").nth(1)?;
    let seconds: f64 = rest.split_whitespace().next()?.parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_a_url_or_a_list_of_urls() {
        let pro = parse_json::<Prediction>(
            br#"{"id":"p1","status":"processing","output":"https://replicate.delivery/a.png"}"#,
        )
        .unwrap();
        assert_eq!(
            pro.first_output().as_deref(),
            Some("https://replicate.delivery/a.png")
        );
        let schnell = parse_json::<Prediction>(
            br#"{"id":"p2","status":"succeeded","output":["https://replicate.delivery/b.webp"]}"#,
        )
        .unwrap();
        assert_eq!(
            schnell.first_output().as_deref(),
            Some("https://replicate.delivery/b.webp")
        );
        let waiting =
            parse_json::<Prediction>(br#"{"id":"p3","status":"starting","output":null}"#).unwrap();
        assert_eq!(waiting.first_output(), None);
    }

    #[test]
    fn throttling_waits_as_long_as_replicate_says() {
        let body = br#"{"detail":"Request was throttled. Expected available in 3 seconds."}"#;
        let error = classify_status(StatusCode::TOO_MANY_REQUESTS, &Default::default(), body);
        assert_eq!(error.failure, ProviderFailure::RateLimited);
        assert!(error.retryable);
        assert_eq!(error.retry_after, Some(Duration::from_secs(3)));
    }

    #[test]
    fn credit_and_validation_problems_are_not_retried() {
        let credit = br#"{"title":"Insufficient credit","detail":"You have insufficient credit to run this model.","status":402}"#;
        let error = classify_status(StatusCode::PAYMENT_REQUIRED, &Default::default(), credit);
        assert_eq!(
            (error.failure, error.retryable),
            (ProviderFailure::QuotaExhausted, false)
        );
        let invalid = br#"{"title":"Input validation failed","detail":"- input.aspect_ratio: must be one of ...","status":422}"#;
        let error = classify_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &Default::default(),
            invalid,
        );
        assert_eq!(
            (error.failure, error.retryable),
            (ProviderFailure::BadRequest, false)
        );
        assert!(error.detail.contains("aspect_ratio"));
    }

    #[test]
    fn a_failed_prediction_is_a_rejection_only_when_a_filter_refused_it() {
        let flagged = failed(Some(json!("Your image was flagged as sensitive (E005)")));
        assert_eq!(
            (flagged.failure, flagged.retryable),
            (ProviderFailure::ContentRejected, false)
        );
        let crashed = failed(Some(json!("CUDA out of memory")));
        assert_eq!(
            (crashed.failure, crashed.retryable),
            (ProviderFailure::Unavailable, true)
        );
    }
}
