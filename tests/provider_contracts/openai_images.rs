//! The Images API client (`openai-images`) against the mock's OpenAI Images routes. Only this
//! entry is pointed at the mock (`PROOFSHEET_PROVIDER__OPENAI_IMAGES__BASE_URL`), with
//! OPENAI_BASE_URL unset, since that variable would win and also move the Responses engine.
use crate::*;
use mock_providers::{KeyOutcome, OpenAiStep, Step};
use proofsheet::model::Progress;
use proofsheet::server::generate::generate;

const OPENAI_KEY: &str = "sk-test-images-qkzv";

async fn openai_mock_and_state() -> (MockServer, AppState) {
    let mock =
        MockServer::start(MockConfig::default().with_api_key(Provider::OpenAi, OPENAI_KEY)).await;
    let base_url = mock.base_url(Provider::OpenAi);
    let state = state_for(
        &mock,
        &[
            ("OPENAI_API_KEY", OPENAI_KEY),
            ("PROOFSHEET_PROVIDER__OPENAI_IMAGES__BASE_URL", &base_url),
        ],
    );
    (mock, state)
}

fn images_request(id: &str) -> GenerateRequest {
    GenerateRequest {
        quality: Some("low".into()),
        ..request(id, "openai-images", "1024x1024")
    }
}

#[tokio::test]
async fn openai_images_sends_model_size_quality_and_returns_the_picture() {
    let (mock, state) = openai_mock_and_state().await;
    let image = generate(&state, images_request("oi-ok"))
        .await
        .expect("a picture");
    let calls = api_calls(&mock, Provider::OpenAi);
    assert_eq!(calls.len(), 1);
    let sent = &calls[0];
    assert_eq!(sent.path, "/openai/v1/images/generations");
    assert_eq!(sent.auth.via.as_deref(), Some("authorization"));
    assert_eq!(sent.auth.outcome, KeyOutcome::Accepted);
    let body = sent.body.json().expect("JSON");
    assert_eq!(body["model"], "gpt-image-1");
    assert_eq!(body["size"], "1024x1024");
    assert_eq!(body["quality"], "low");
    assert_eq!(body["prompt"], PROMPT);
    picture_bytes(&image);
    assert_eq!(image.engine, "openai-images");
    assert_eq!(image.model, "gpt-image-1");
}

#[tokio::test]
async fn openai_images_errors_map_to_failures_naming_openai_without_the_key() {
    use ProviderFailure::*;
    let cases: Vec<(OpenAiStep, ProviderFailure, bool)> = vec![
        (OpenAiStep::InvalidApiKey, Auth, false),
        (OpenAiStep::InsufficientQuota, QuotaExhausted, false),
        (OpenAiStep::ModerationBlocked, ContentRejected, false),
        (OpenAiStep::ModelNotFound, NotFound, false),
        (OpenAiStep::ServerError { status: 500 }, Unavailable, true),
        (
            OpenAiStep::RateLimited {
                retry_after_ms: Some(5),
            },
            RateLimited,
            true,
        ),
    ];
    for (step, expected, retried) in cases {
        let (mock, state) = openai_mock_and_state().await;
        mock.script(vec![Step::from(step.clone()); 10]);
        let (failure, message, _) =
            provider_error(generate(&state, images_request("oi-err")).await);
        assert_eq!(failure, expected, "{step:?}: {message}");
        assert!(message.contains("OpenAI"), "{step:?}: {message}");
        assert_no_key(&message);
        let calls = api_calls(&mock, Provider::OpenAi).len();
        assert_eq!(calls > 1, retried, "{step:?}: {calls} calls");
        if expected == Auth {
            assert!(message.contains("OPENAI_API_KEY"), "{message}");
        }
    }
}

#[tokio::test]
async fn openai_images_streams_each_rough_preview_to_the_page_then_the_picture() {
    let (mock, state) = openai_mock_and_state().await;
    // Two previews and the picture, 300 ms apart: time enough to see each.
    mock.script(vec![Step::from(OpenAiStep::Images).delayed(900)]);
    let running = tokio::spawn({
        let state = state.clone();
        async move { generate(&state, images_request("oi-stream")).await }
    });
    let inflight = &state.inflight;
    while inflight.progress("oi-stream") != Some(Progress::Preview { number: 1 }) {
        assert!(!running.is_finished(), "finished before any preview");
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let preview = inflight.preview("oi-stream").expect("the preview is kept");
    assert!(preview.starts_with(&common::PNG_SIGNATURE), "a PNG preview");
    let image = running
        .await
        .unwrap()
        .expect("a picture after the previews");
    picture_bytes(&image);
    assert_eq!(
        inflight.preview("oi-stream"),
        None,
        "gone with the generation"
    );
    let calls = api_calls(&mock, Provider::OpenAi);
    let body = calls[0].body.json().expect("JSON");
    assert_eq!(
        (body["stream"].clone(), body["partial_images"].clone()),
        (true.into(), 2.into())
    );
    // gpt-image-1 low, and two previews at $0.004.
    let cost = image.cost.expect("a known price");
    assert_eq!(cost.display(), "$0.019");
}
