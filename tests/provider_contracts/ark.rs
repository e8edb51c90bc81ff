use crate::*;
use mock_providers::KeyOutcome;
use proofsheet::server::generate::generate;

#[tokio::test]
async fn ark_seedream_4_sends_size_and_no_watermark_and_no_seed() {
    let mock = start_mock().await;
    let state = state_for(&mock, &[]);
    let image = generate(&state, request("ark-4", "doubao", "2K"))
        .await
        .expect("a picture");
    let calls = api_calls(&mock, Provider::Ark);
    assert_eq!(calls.len(), 1);
    let sent = &calls[0];
    assert_eq!(sent.path, "/ark/api/v3/images/generations");
    assert_eq!(sent.auth.via.as_deref(), Some("authorization"));
    assert_eq!(sent.auth.outcome, KeyOutcome::Accepted);
    let body = sent.body.json().expect("JSON");
    assert_eq!(body["model"], "doubao-seedream-4-0-250828");
    assert_eq!(body["size"], "2K");
    assert_eq!(body["watermark"], false);
    assert_eq!(body["prompt"], PROMPT);
    assert!(
        body.get("seed").is_none(),
        "Seedream 4 takes no seed: {body}"
    );
    picture_bytes(&image);
    assert_eq!(image.engine, "doubao");
    assert_eq!(image.model, "doubao-seedream-4-0-250828");
}

#[tokio::test]
async fn ark_seedream_3_sends_the_seed() {
    let mock = start_mock().await;
    let state = state_for(&mock, &[]);
    let request = GenerateRequest {
        model: "doubao-seedream-3-0-t2i-250415".into(),
        ..request("ark-3", "doubao", "1024x1024")
    };
    let image = generate(&state, request).await.expect("a picture");
    let body = api_calls(&mock, Provider::Ark)[0]
        .body
        .json()
        .cloned()
        .expect("JSON");
    assert_eq!(body["seed"], 7);
    assert_eq!(body["size"], "1024x1024");
    picture_bytes(&image);
    assert_eq!(image.model, "doubao-seedream-3-0-t2i-250415");
}

#[tokio::test]
async fn ark_errors_map_to_failures_naming_doubao_without_the_key() {
    use mock_providers::{ArkStep, Step};
    use ProviderFailure::*;
    let cases = [
        (401, "AuthenticationError", Auth, false),
        (
            400,
            "InputTextSensitiveContentDetected",
            ContentRejected,
            false,
        ),
        (403, "AccountOverdueError", QuotaExhausted, false),
        (
            429,
            "RateLimitExceeded.EndpointRPMExceeded",
            RateLimited,
            true,
        ),
        (500, "InternalServiceError", Unavailable, true),
    ];
    for (status, code, expected, retried) in cases {
        let mock = start_mock().await;
        let state = state_for(&mock, &[]);
        let step = ArkStep::Error {
            status,
            code: code.into(),
            message: None,
            retry_after_secs: None,
        };
        mock.script(vec![Step::from(step); 10]);
        let (failure, message, _) =
            provider_error(generate(&state, request("ark-err", "doubao", "2K")).await);
        assert_eq!(failure, expected, "{code}: {message}");
        assert!(message.contains("Doubao"), "{code}: {message}");
        assert_no_key(&message);
        let calls = api_calls(&mock, Provider::Ark).len();
        assert_eq!(calls > 1, retried, "{code}: {calls} calls");
        if expected == Auth {
            assert!(message.contains("ARK_API_KEY"), "{message}");
        }
    }
}
