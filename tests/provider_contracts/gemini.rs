use crate::*;
use mock_providers::{GeminiStep, KeyOutcome, Step};
use proofsheet::server::generate::generate;

#[tokio::test]
async fn gemini_sends_the_words_and_aspect_ratio_and_returns_picture_and_reply() {
    let mock = start_mock().await;
    let state = state_for(&mock, &[]);
    let image = generate(&state, request("gem-ok", "gemini", "16:9"))
        .await
        .expect("a picture");

    let calls = api_calls(&mock, Provider::Gemini);
    assert_eq!(calls.len(), 1);
    let sent = &calls[0];
    assert_eq!(sent.method, "POST");
    assert_eq!(
        sent.path,
        "/gemini/v1beta/models/gemini-2.5-flash-image:generateContent"
    );
    assert_eq!(sent.auth.via.as_deref(), Some("x-goog-api-key"));
    assert_eq!(sent.auth.outcome, KeyOutcome::Accepted);
    let body = sent.body.json().expect("a JSON body");
    assert_eq!(
        body["generationConfig"]["imageConfig"]["aspectRatio"],
        "16:9"
    );
    let text = body.to_string();
    assert!(text.contains(PROMPT), "the prompt is sent: {text}");

    picture_bytes(&image);
    assert_eq!(image.engine, "gemini");
    assert_eq!(image.model, "gemini-2.5-flash-image");
    let reply = image.reply.expect("Gemini's text is kept as the reply");
    assert!(!reply.trim().is_empty());
}

#[tokio::test]
async fn gemini_quota_429_is_retried_and_then_succeeds() {
    let mock = start_mock().await;
    let state = state_for(&mock, &[]);
    mock.script(vec![Step::from(GeminiStep::RateLimited {
        retry_delay_ms: 5,
    })]);
    let image = generate(&state, request("gem-429", "gemini", "1:1"))
        .await
        .expect("the retry makes a picture");
    picture_bytes(&image);
    assert_eq!(api_calls(&mock, Provider::Gemini).len(), 2);
}

#[tokio::test]
async fn gemini_errors_map_to_failures_naming_gemini_without_the_key() {
    use ProviderFailure::*;
    let cases: Vec<(GeminiStep, ProviderFailure, bool)> = vec![
        (GeminiStep::InvalidApiKey, Auth, false),
        (GeminiStep::PermissionDenied, Forbidden, false),
        (GeminiStep::ModelNotFound, NotFound, false),
        (
            GeminiStep::Blocked {
                block_reason: "PROHIBITED_CONTENT".into(),
            },
            ContentRejected,
            false,
        ),
        (
            GeminiStep::NoImage {
                finish_reason: "IMAGE_SAFETY".into(),
                text: None,
            },
            ContentRejected,
            false,
        ),
        (GeminiStep::Internal, Unavailable, true),
        (GeminiStep::Unavailable, Unavailable, true),
    ];
    for (step, expected, retried) in cases {
        let mock = start_mock().await;
        let state = state_for(&mock, &[]);
        // Enough of the same answer to outlast every retry.
        mock.script(vec![Step::from(step.clone()); 10]);
        let (failure, message, _) =
            provider_error(generate(&state, request("gem-err", "gemini", "1:1")).await);
        assert_eq!(failure, expected, "{step:?}: {message}");
        assert!(message.contains("Gemini"), "{step:?}: {message}");
        assert_no_key(&message);
        let calls = api_calls(&mock, Provider::Gemini).len();
        if retried {
            assert!(calls > 1, "{step:?} is retried ({calls} calls)");
        } else {
            assert_eq!(calls, 1, "{step:?} is not retried");
        }
        if expected == Auth {
            assert!(message.contains("GEMINI_API_KEY"), "{message}");
        }
    }
}

#[tokio::test]
async fn gemini_text_only_answer_is_a_bad_response_quoting_what_it_said() {
    let mock = start_mock().await;
    let state = state_for(&mock, &[]);
    mock.script(vec![Step::from(GeminiStep::TextOnly); 10]);
    let (failure, message, _) =
        provider_error(generate(&state, request("gem-text", "gemini", "1:1")).await);
    assert!(
        matches!(
            failure,
            ProviderFailure::BadResponse | ProviderFailure::ContentRejected
        ),
        "{failure:?}: {message}"
    );
    assert!(message.contains("Gemini"), "{message}");
    assert_no_key(&message);
}

#[tokio::test]
async fn gemini_takes_a_palette_in_words_and_shows_the_prompt_sent() {
    use proofsheet::model::{Palette, Styling, Swatch};
    let mock = start_mock().await;
    let state = state_for(&mock, &[]);
    let request = GenerateRequest {
        styling: Styling {
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
            ..Default::default()
        },
        ..request("gem-palette", "gemini", "1:1")
    };
    let image = generate(&state, request).await.expect("a picture");
    let sent = image
        .sent_prompt
        .expect("the prompt as sent, palette in words");
    assert!(sent.contains(PROMPT) && sent.contains("#1f3b73"), "{sent}");
    let body = api_calls(&mock, Provider::Gemini)[0]
        .body
        .json()
        .cloned()
        .unwrap();
    assert!(
        body.to_string().contains("#1f3b73"),
        "the palette words reach Gemini: {body}"
    );
}

#[tokio::test]
async fn gemini_wrong_key_is_an_auth_failure_that_never_quotes_the_key() {
    let mock = start_mock().await;
    let state = state_for(&mock, &[("GEMINI_API_KEY", "test-gemini-wrong-qkzv")]);
    let (failure, message, _) =
        provider_error(generate(&state, request("gem-wrong", "gemini", "1:1")).await);
    assert_eq!(failure, ProviderFailure::Auth, "{message}");
    assert!(message.contains("GEMINI_API_KEY"), "{message}");
    assert_no_key(&message);
    let calls = api_calls(&mock, Provider::Gemini);
    assert_eq!(calls.len(), 1, "not retried");
    assert_eq!(calls[0].auth.outcome, KeyOutcome::Wrong);
}
