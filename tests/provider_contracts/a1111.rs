use crate::*;
use mock_providers::KeyOutcome;
use proofsheet::model::Styling;
use proofsheet::server::generate::generate;

#[tokio::test]
async fn a1111_sends_size_steps_sampler_and_negative_prompt() {
    let mock = start_mock().await;
    let state = state_for(&mock, &[]);
    let request = GenerateRequest {
        quality: Some("30".into()),
        styling: Styling {
            negative_prompt: Some("blurry".into()),
            style: Some("DPM++ 2M".into()),
            palette: None,
        },
        ..request("sd-ok", "a1111", "768x512")
    };
    let image = generate(&state, request).await.expect("a picture");
    let calls = api_calls(&mock, Provider::A1111);
    assert_eq!(calls.len(), 1);
    let sent = &calls[0];
    assert_eq!(sent.path, "/a1111/sdapi/v1/txt2img");
    assert_eq!(sent.auth.outcome, KeyOutcome::NotRequired);
    let body = sent.body.json().expect("JSON");
    assert_eq!(body["width"], 768);
    assert_eq!(body["height"], 512);
    assert_eq!(body["steps"], 30);
    assert_eq!(body["sampler_name"], "DPM++ 2M");
    assert_eq!(body["negative_prompt"], "blurry");
    assert_eq!(body["prompt"], PROMPT);
    picture_bytes(&image);
    assert_eq!(image.engine, "a1111");
}

#[tokio::test]
async fn a1111_handled_exception_is_a_failure_quoting_its_detail() {
    use mock_providers::{A1111Step, Step};
    let mock = start_mock().await;
    let state = state_for(&mock, &[]);
    let step = A1111Step::Error {
        status: 404,
        error: "HTTPException".into(),
        detail: "Sampler not found".into(),
    };
    mock.script(vec![Step::from(step); 10]);
    let (failure, message, _) =
        provider_error(generate(&state, request("sd-err", "a1111", "512x512")).await);
    assert_eq!(failure, ProviderFailure::NotFound, "{message}");
    assert!(message.contains("Sampler not found"), "{message}");
    assert_eq!(api_calls(&mock, Provider::A1111).len(), 1, "not retried");
}

#[tokio::test]
async fn a1111_progress_is_reported_while_its_job_runs() {
    use mock_providers::{A1111Step, Step};
    use proofsheet::model::Progress;
    let mock = start_mock().await;
    let state = state_for(&mock, &[]);
    // A job that takes three seconds: the client asks `/progress` once a second meanwhile.
    mock.script(vec![Step::from(A1111Step::Images).delayed(3000)]);
    let generating = tokio::spawn({
        let state = state.clone();
        async move { generate(&state, request("sd-progress", "a1111", "512x512")).await }
    });
    let mut seen = None;
    // Bounded only so a broken client cannot hang the test; what it asserts is what is seen.
    for _ in 0..500 {
        if let Some(Progress::Rendering { percent }) = state.inflight.progress("sd-progress") {
            seen = Some(percent);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let percent = seen.expect("a rendering percentage while the job ran");
    assert!((1..=100).contains(&percent), "{percent} %");
    generating.await.unwrap().expect("a picture");
    let asked = api_calls(&mock, Provider::A1111)
        .iter()
        .filter(|c| c.path == "/a1111/sdapi/v1/progress")
        .count();
    assert!(asked >= 1, "progress was asked for on its own connection");
    assert_eq!(
        state.inflight.progress("sd-progress"),
        None,
        "gone once done"
    );
}
