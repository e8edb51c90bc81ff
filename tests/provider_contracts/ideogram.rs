use crate::*;
use mock_providers::{IdeogramStep, KeyOutcome, Step};
use proofsheet::model::{Palette, Styling, Swatch};
use proofsheet::server::generate::generate;
use serde_json::Value;

fn styled(id: &str) -> GenerateRequest {
    GenerateRequest {
        quality: Some("TURBO".into()),
        styling: Styling {
            negative_prompt: Some("text, watermark".into()),
            style: Some("DESIGN".into()),
            palette: Some(Palette::Custom(vec![
                Swatch {
                    hex: "#1f3b73".into(),
                    weight: 60,
                },
                Swatch {
                    hex: "#f2a541".into(),
                    weight: 40,
                },
            ])),
        },
        ..request(id, "ideogram", "16:9")
    }
}

#[tokio::test]
async fn ideogram_sends_the_multipart_form_and_returns_the_fetched_picture() {
    let mock = start_mock().await;
    let state = state_for(&mock, &[]);
    let image = generate(&state, styled("ideo-ok"))
        .await
        .expect("a picture");

    let calls = api_calls(&mock, Provider::Ideogram);
    assert_eq!(calls.len(), 1);
    let sent = &calls[0];
    assert_eq!(sent.path, "/ideogram/v1/ideogram-v3/generate");
    assert_eq!(sent.auth.via.as_deref(), Some("api-key"));
    assert_eq!(sent.auth.outcome, KeyOutcome::Accepted);
    assert_eq!(part(sent, "prompt"), Some(PROMPT));
    assert_eq!(part(sent, "aspect_ratio"), Some("16x9"));
    assert_eq!(part(sent, "rendering_speed"), Some("TURBO"));
    assert_eq!(part(sent, "style_type"), Some("DESIGN"));
    assert_eq!(part(sent, "negative_prompt"), Some("text, watermark"));
    assert_eq!(part(sent, "magic_prompt"), Some("OFF"));
    let palette: Value =
        serde_json::from_str(part(sent, "color_palette").expect("a palette part")).unwrap();
    let members = palette["members"].as_array().expect("palette members");
    assert_eq!(members.len(), 2);
    assert_eq!(members[0]["color_hex"], "#1f3b73");
    assert_eq!(members[0]["color_weight"], 0.6);
    assert_eq!(members[1]["color_hex"], "#f2a541");
    assert_eq!(members[1]["color_weight"], 0.4);

    picture_bytes(&image);
    assert_eq!(image.engine, "ideogram");
    assert_eq!(image.model, "ideogram-v3");
    assert_eq!(
        image.sent_prompt, None,
        "the palette travelled as a field, not in words"
    );
    let downloads = mock.calls().of(Provider::Ideogram).len() - calls.len();
    assert_eq!(downloads, 1, "the picture is fetched from its URL once");
}

#[tokio::test]
async fn ideogram_unsafe_picture_is_a_content_rejection_not_retried() {
    let mock = start_mock().await;
    let state = state_for(&mock, &[]);
    mock.script(vec![
        Step::from(IdeogramStep::Images {
            unsafe_indices: vec![0],
            url_ttl_secs: None
        });
        5
    ]);
    let (failure, message, _) = provider_error(generate(&state, styled("ideo-unsafe")).await);
    assert_eq!(failure, ProviderFailure::ContentRejected, "{message}");
    assert!(message.contains("Ideogram"), "{message}");
    assert_eq!(api_calls(&mock, Provider::Ideogram).len(), 1);
}

#[tokio::test]
async fn ideogram_expired_url_is_a_bad_response_saying_so() {
    let mock = start_mock().await;
    let state = state_for(&mock, &[]);
    mock.script(vec![
        Step::from(IdeogramStep::Images {
            unsafe_indices: vec![],
            url_ttl_secs: Some(0)
        });
        5
    ]);
    let (failure, message, _) = provider_error(generate(&state, styled("ideo-expired")).await);
    assert_eq!(failure, ProviderFailure::BadResponse, "{message}");
    assert!(message.contains("Ideogram"), "{message}");
    assert!(
        message.contains("expired"),
        "says the URL may have expired: {message}"
    );
    assert_no_key(&message);
}

#[tokio::test]
async fn ideogram_inflight_limit_is_retried_then_succeeds() {
    let mock = start_mock().await;
    let state = state_for(&mock, &[]);
    mock.script(vec![Step::from(IdeogramStep::InflightLimit)]);
    let image = generate(&state, styled("ideo-429"))
        .await
        .expect("a picture after the retry");
    picture_bytes(&image);
    assert_eq!(api_calls(&mock, Provider::Ideogram).len(), 2);
}

#[tokio::test]
async fn ideogram_errors_map_to_failures_naming_ideogram_without_the_key() {
    use ProviderFailure::*;
    let cases: Vec<(IdeogramStep, ProviderFailure, bool)> = vec![
        (IdeogramStep::SafetyRejected, ContentRejected, false),
        (IdeogramStep::InsufficientFunds, QuotaExhausted, false),
        (IdeogramStep::DailyLimit, QuotaExhausted, false),
        (IdeogramStep::Unauthorized, Auth, false),
        (IdeogramStep::Forbidden, Forbidden, false),
    ];
    for (step, expected, retried) in cases {
        let mock = start_mock().await;
        let state = state_for(&mock, &[]);
        mock.script(vec![Step::from(step.clone()); 10]);
        let (failure, message, _) = provider_error(generate(&state, styled("ideo-err")).await);
        assert_eq!(failure, expected, "{step:?}: {message}");
        assert!(message.contains("Ideogram"), "{step:?}: {message}");
        assert_no_key(&message);
        let calls = api_calls(&mock, Provider::Ideogram).len();
        assert_eq!(calls > 1, retried, "{step:?}: {calls} calls");
        if expected == Auth {
            assert!(message.contains("IDEOGRAM_API_KEY"), "{message}");
        }
    }
}
