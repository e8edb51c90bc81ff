//! The OpenAI Images client configured as a jimeng-style proxy, the way Leptos.toml's commented
//! example has it, added from the environment: ratio and resolution fields, `b64_json`, and
//! failures as HTTP 200 with a negative code.
use crate::*;
use mock_providers::{JimengStep, KeyOutcome, Step};
use proofsheet::server::generate::generate;

const SESSION: &str = "test-jimeng-session-qkzv";

fn jimeng_state(mock: &MockServer) -> AppState {
    let base_url = mock.base_url(Provider::Jimeng);
    state_for(
        mock,
        &[
            ("PROOFSHEET_PROVIDER__JIMENG__KIND", "openai-images"),
            ("PROOFSHEET_PROVIDER__JIMENG__LABEL", "Jimeng"),
            ("PROOFSHEET_PROVIDER__JIMENG__KEY_ENV", "JIMENG_SESSION"),
            ("PROOFSHEET_PROVIDER__JIMENG__BASE_URL", &base_url),
            ("PROOFSHEET_PROVIDER__JIMENG__SIZE_PARAM", "ratio"),
            ("PROOFSHEET_PROVIDER__JIMENG__QUALITY_PARAM", "resolution"),
            ("PROOFSHEET_PROVIDER__JIMENG__RESPONSE_FORMAT", "b64_json"),
            (
                "PROOFSHEET_PROVIDER__JIMENG__MODELS",
                r#"[{id = "jimeng-4.5", sizes = ["1:1", "16:9"], qualities = ["2k", "1k"], negative_prompt = true}]"#,
            ),
            ("JIMENG_SESSION", SESSION),
        ],
    )
}

#[tokio::test]
async fn jimeng_proxy_gets_ratio_resolution_and_b64_json_and_its_webp_is_returned() {
    let mock = start_mock().await;
    let state = jimeng_state(&mock);
    let request = GenerateRequest {
        quality: Some("2k".into()),
        ..request("jm-ok", "jimeng", "16:9")
    };
    let image = generate(&state, request).await.expect("a picture");

    let calls = api_calls(&mock, Provider::Jimeng);
    assert_eq!(calls.len(), 1);
    let sent = &calls[0];
    assert_eq!(sent.path, "/jimeng/v1/images/generations");
    assert_eq!(sent.auth.via.as_deref(), Some("authorization"));
    assert_eq!(sent.auth.outcome, KeyOutcome::Accepted);
    let body = sent.body.json().expect("JSON");
    assert_eq!(body["model"], "jimeng-4.5");
    assert_eq!(body["ratio"], "16:9");
    assert_eq!(body["resolution"], "2k");
    assert_eq!(body["response_format"], "b64_json");
    assert_eq!(body["prompt"], PROMPT);
    assert!(body.get("size").is_none(), "{body}");

    picture_bytes(&image);
    assert_eq!(image.mime, "image/webp", "the proxy's default is WebP");
    assert_eq!(image.engine, "jimeng");
    assert_eq!(image.model, "jimeng-4.5");
}

#[tokio::test]
async fn jimeng_failure_codes_in_a_200_map_to_failures_without_the_session() {
    use ProviderFailure::*;
    for (code, expected, retried) in [
        (-2002, Auth, false),
        (-2006, ContentRejected, false),
        (-2009, QuotaExhausted, false),
        (-2001, Unavailable, true),
    ] {
        let mock = start_mock().await;
        let state = jimeng_state(&mock);
        mock.script(vec![
            Step::from(JimengStep::Failure {
                code,
                message: None
            });
            10
        ]);
        let (failure, message, _) =
            provider_error(generate(&state, request("jm-err", "jimeng", "1:1")).await);
        assert_eq!(failure, expected, "{code}: {message}");
        assert!(message.contains("Jimeng"), "{code}: {message}");
        assert_no_key(&message);
        let calls = api_calls(&mock, Provider::Jimeng).len();
        assert_eq!(calls > 1, retried, "{code}: {calls} calls");
    }
}
