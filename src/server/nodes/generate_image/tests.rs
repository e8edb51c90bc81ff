//! The GenerateImage node with a scripted in-process provider, on paused tokio time: which
//! provider failures are retried, how long the flow waits, and what reaches the store.

use super::*;
use crate::error::{AppError, ProviderFailure};
use crate::model::EngineInfo;
use crate::server::flow::FlowError;
use crate::server::png_text::tests::decoded_itxt;
use crate::server::providers::BoxFuture;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// Answers each call with the next scripted result; a tiny PNG once the script is spent.
struct ScriptedProvider {
    info: EngineInfo,
    script: Mutex<Vec<ProviderError>>,
    calls: Mutex<u32>,
}

fn openai_error(
    failure: ProviderFailure,
    status: u16,
    retry_after: Option<Duration>,
) -> ProviderError {
    ProviderError {
        provider: "OpenAI".into(),
        key_env: "OPENAI_API_KEY".into(),
        status: Some(status),
        retry_after,
        ..ProviderError::new(failure, "")
    }
}

impl ImageProvider for ScriptedProvider {
    fn info(&self) -> &EngineInfo {
        &self.info
    }

    fn generate<'a>(
        &'a self,
        request: &'a GenerateRequest,
        _references: &'a [Reference],
    ) -> BoxFuture<'a, Result<ProviderImage, ProviderError>> {
        Box::pin(async move {
            *self.calls.lock().unwrap() += 1;
            let next = {
                let mut script = self.script.lock().unwrap();
                (!script.is_empty()).then(|| script.remove(0))
            };
            match next {
                Some(error) => Err(error),
                None => Ok(ProviderImage {
                    bytes: proofsheet_offline::render_png(&request.prompt, 1, 8, 8, &[]),
                    mime: "image/png".into(),
                    model: "gpt-image-1".into(),
                    size: "1024x1024".into(),
                    quality: Some("high".into()),
                    revised_prompt: Some("revised".into()),
                    reply: None,
                    sent_prompt: None,
                    continuation: Some("token-1".into()),
                    seed: request.seed,
                }),
            }
        })
    }
}

struct Harness {
    provider: Arc<ScriptedProvider>,
    flow: Flow<GenerationState, ProviderError>,
    _data_dir: tempfile::TempDir,
}

fn harness(script: Vec<ProviderError>) -> Harness {
    let provider = Arc::new(ScriptedProvider {
        info: crate::model::test_support::engine(
            "openai",
            "OpenAI",
            "gpt-image-1",
            &["1024x1024"],
            &[],
        ),
        script: Mutex::new(script),
        calls: Mutex::new(0),
    });
    let registry = ProviderRegistry::new(vec![provider.clone() as Arc<dyn ImageProvider>]);
    let policy = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(20),
        jitter: false,
        max_retry_after: Duration::from_secs(60),
        attempt_timeout: Duration::from_secs(180),
        deadline: Duration::from_secs(600),
    };
    let data_dir = tempfile::tempdir().unwrap();
    let references = ReferenceStore::open(data_dir.path()).unwrap();
    Harness {
        provider,
        flow: generation_flow(Arc::new(registry), Arc::new(references), policy),
        _data_dir: data_dir,
    }
}

fn request() -> GenerateRequest {
    GenerateRequest {
        request_id: "r1".into(),
        engine: "openai".into(),
        model: String::new(),
        prompt: "a red barn".into(),
        size: "1024x1024".into(),
        quality: None,
        seed: 7,
        styling: Default::default(),
        refinements: vec!["warmer".into()],
        parent: None,
        references: vec![],
    }
}

impl Harness {
    async fn run(&self) -> (GenerationState, Result<(), AppError>) {
        // A reference image, as the server found it, for the provenance record.
        let reference = ReferenceRecord {
            sha256: "ab".repeat(32),
            bytes: 1234,
        };
        let mut state = GenerationState::new(request(), vec![reference]);
        let result = match self.flow.run(&mut state).await {
            Ok(_) => Ok(()),
            Err(FlowError::Node {
                error, attempts, ..
            }) => Err(error.to_app_error(&attempts)),
            Err(other) => panic!("unexpected {other:?}"),
        };
        (state, result)
    }

    fn calls(&self) -> u32 {
        *self.provider.calls.lock().unwrap()
    }
}

#[tokio::test(start_paused = true)]
async fn rate_limit_then_success_waits_as_asked_and_counts_the_calls() {
    let h = harness(vec![openai_error(
        ProviderFailure::RateLimited,
        429,
        Some(Duration::from_millis(1500)),
    )]);
    let started = Instant::now();
    let (state, result) = h.run().await;
    result.unwrap();
    assert_eq!(
        started.elapsed(),
        Duration::from_millis(1500),
        "Retry-After honoured, not the 1 s backoff"
    );
    let image = state.image.unwrap().metadata;
    assert_eq!(
        (image.provider_calls, image.retries(), h.calls()),
        (2, 1, 2)
    );
    assert_eq!(image.elapsed_ms, 1500);
}

#[tokio::test(start_paused = true)]
async fn persistent_rate_limiting_gives_up_after_three_calls_with_a_clear_message() {
    let limited = || {
        openai_error(
            ProviderFailure::RateLimited,
            429,
            Some(Duration::from_secs(20)),
        )
    };
    let h = harness(vec![limited(), limited(), limited(), limited()]);
    let (_, result) = h.run().await;
    assert_eq!(h.calls(), 3);
    assert_eq!(
        result.unwrap_err().to_string(),
        "OpenAI is rate limiting; retried 2 times over 40 s"
    );
}

#[tokio::test(start_paused = true)]
async fn auth_bad_request_moderation_and_quota_are_never_retried() {
    for (failure, status) in [
        (ProviderFailure::Auth, 401),
        (ProviderFailure::BadRequest, 400),
        (ProviderFailure::ContentRejected, 400),
        (ProviderFailure::QuotaExhausted, 429),
        (ProviderFailure::Forbidden, 403),
    ] {
        let h = harness(vec![openai_error(
            failure,
            status,
            Some(Duration::from_secs(1)),
        )]);
        let started = Instant::now();
        let (_, result) = h.run().await;
        assert_eq!(h.calls(), 1, "{failure:?}");
        assert_eq!(started.elapsed(), Duration::ZERO, "{failure:?} waited");
        assert!(
            matches!(result, Err(AppError::Provider { failure: f, provider_calls: 1, .. }) if f == failure)
        );
    }
}

#[tokio::test(start_paused = true)]
async fn server_errors_back_off_exponentially() {
    let h = harness(vec![
        openai_error(ProviderFailure::Unavailable, 500, None);
        2
    ]);
    let started = Instant::now();
    h.run().await.1.unwrap();
    assert_eq!(started.elapsed(), Duration::from_secs(1 + 2));
}

#[tokio::test(start_paused = true)]
async fn unknown_engine_fails_in_prep_without_a_call() {
    let h = harness(vec![]);
    let mut state = GenerationState::new(
        GenerateRequest {
            engine: "gemini".into(),
            ..request()
        },
        vec![],
    );
    let err = h.flow.run(&mut state).await.unwrap_err();
    assert!(matches!(
        err,
        FlowError::Node {
            error: ProviderError {
                failure: ProviderFailure::NotConfigured,
                ..
            },
            ..
        }
    ));
    assert_eq!(h.calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn post_stamps_provenance_into_the_png() {
    let (state, result) = harness(vec![]).run().await;
    result.unwrap();
    let bytes = state.image.unwrap().file;
    let chunks = decoded_itxt(&bytes);
    let (_, record) = chunks
        .iter()
        .find(|(k, _)| k == crate::server::provenance::KEYWORD)
        .unwrap();
    let record: serde_json::Value = serde_json::from_str(record).unwrap();
    assert_eq!(record["prompt"], "a red barn");
    assert_eq!(record["refinements"][0], "warmer");
    assert_eq!(
        record["references"],
        serde_json::json!([{"sha256": "ab".repeat(32), "bytes": 1234}])
    );
    assert_eq!(record["provider"], "OpenAI");
    assert_eq!(record["revised_prompt"], "revised");
    assert!(record["app"].as_str().unwrap().starts_with("Proofsheet "));
}
