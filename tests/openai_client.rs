//! The real OpenAI Responses client, driven through `generate` against the local mock
//! (`mock-providers`' OpenAI): request shape, refinements, retries, error classification and the words
//! people read, timeouts and cancellation. Real time throughout, with millisecond backoff.

mod common;

use common::{
    decode_b64, itxt_entries, openai_state_at, openai_url, refinement, request, start_mock,
    summary, wait_for_calls, API_KEY, PNG_SIGNATURE,
};
use mock_providers::{KeyOutcome, MockServer, OpenAiStep, RecordedBody, Step};
use proofsheet::error::{AppError, ProviderFailure};
use proofsheet::model::{Continuation, GenerateRequest, GeneratedImage, ParentImage, Progress};
use proofsheet::server::generate::{cancel, generate};
use proofsheet::server::state::AppState;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

const PROMPT: &str = "a lighthouse at dusk, watercolour";

async fn mock_and_state(extra: &[(&str, &str)]) -> (MockServer, AppState) {
    let mock = start_mock().await;
    let state = openai_state_at(&openai_url(&mock), API_KEY, extra);
    (mock, state)
}

/// The failure, message and call count of a provider error; panics on anything else.
fn provider_error(result: Result<GeneratedImage, AppError>) -> (ProviderFailure, String, u32) {
    match result {
        Err(AppError::Provider {
            failure,
            message,
            provider_calls,
        }) => (failure, message, provider_calls),
        Err(other) => panic!("expected a provider error, got {other:?}"),
        Ok(image) => panic!(
            "expected a provider error, got an image from {}",
            image.provider
        ),
    }
}

fn invalid_input(result: Result<GeneratedImage, AppError>) -> (String, String) {
    match result {
        Err(AppError::InvalidInput { field, message }) => (field, message),
        Err(other) => panic!("expected invalid input, got {other:?}"),
        Ok(_) => panic!("expected invalid input, got an image"),
    }
}

/// The JSON bodies the mock received, oldest first.
fn bodies(mock: &MockServer) -> Vec<Value> {
    let calls = mock.calls();
    calls.requests.iter().map(|r| json_body(&r.body)).collect()
}

/// A recorded JSON body.
fn json_body(body: &RecordedBody) -> Value {
    body.json().cloned().expect("a JSON body")
}

fn openai_entry(state: &AppState) -> &proofsheet::server::config::ProviderSettings {
    state
        .settings
        .providers
        .iter()
        .find(|p| p.id == "openai")
        .expect("the shipped settings configure openai")
}

fn parent_of(image: &GeneratedImage) -> ParentImage {
    ParentImage {
        continuation: image.continuation.clone(),
        seed: image.seed,
    }
}

/// The OpenAI engine's continuation token holds its response id and image call id (the format is
/// that engine's own contract, tested here; everyone else treats the token as opaque).
fn openai_ids(image: &GeneratedImage) -> (Option<String>, Option<String>) {
    let continuation = image.continuation.as_ref().expect("a continuation");
    assert_eq!(continuation.engine, "openai");
    let token: Value = serde_json::from_str(&continuation.token).expect("a JSON token");
    let id = |name: &str| token[name].as_str().map(String::from);
    (id("response_id"), id("image_call_id"))
}

/// Runs one generation against a mock scripted with `step`, proves it made exactly one provider
/// call (no retry), and returns the failure kind and message.
async fn fails_without_retry(step: Step, request_id: &str) -> (ProviderFailure, String) {
    let (mock, state) = mock_and_state(&[]).await;
    mock.script(vec![step]);
    let (failure, message, calls) =
        provider_error(generate(&state, request(request_id, "openai", PROMPT)).await);
    assert_eq!((calls, mock.calls().count), (1, 1), "{message}");
    (failure, message)
}

#[tokio::test]
async fn success_returns_a_png_with_openai_metadata_and_sends_the_documented_request() {
    let (mock, state) = mock_and_state(&[]).await;
    mock.script(vec![Step::from(OpenAiStep::Images)]);

    let image = generate(&state, request("ok-1", "openai", PROMPT))
        .await
        .expect("the mock draws");

    assert_eq!(image.mime, "image/png");
    assert!(
        decode_b64(&image.b64).starts_with(&PNG_SIGNATURE),
        "the bytes are a PNG"
    );
    assert_eq!(image.engine, "openai");
    assert_eq!(image.provider, "OpenAI");
    assert_eq!(image.model, openai_entry(&state).models[0].id);
    assert_eq!(image.model, "gpt-image-1");
    assert_eq!(image.size, "1024x1024");
    assert_eq!(
        image.revised_prompt.as_deref(),
        Some(format!("A detailed rendering of: {PROMPT}").as_str())
    );
    assert_eq!(image.provider_calls, 1);
    assert_eq!(image.retries(), 0);
    let (response_id, image_call_id) = openai_ids(&image);
    assert!(
        response_id
            .as_deref()
            .is_some_and(|id| id.starts_with("resp_")),
        "{response_id:?}"
    );
    assert!(
        image_call_id
            .as_deref()
            .is_some_and(|id| id.starts_with("ig_")),
        "{image_call_id:?}"
    );

    // The picture is handed over at `output_item.done`; the stream's rest is read after it.
    let calls = wait_for_calls(&mock, "the whole stream read", |c| c.completed == 1).await;
    assert_eq!(summary(&calls), (1, 1, 0));
    let sent = &calls.requests[0];
    assert_eq!(
        (sent.method.as_str(), sent.path.as_str()),
        ("POST", "/openai/v1/responses")
    );
    assert_eq!(
        sent.auth.outcome,
        KeyOutcome::Accepted,
        "the bearer key is sent"
    );
    let body = &json_body(&sent.body);
    assert_eq!(body["model"], json!(openai_entry(&state).mainline_model));
    assert_eq!(body["input"], json!(PROMPT));
    assert_eq!(body["tools"].as_array().map(Vec::len), Some(1));
    let tool = &body["tools"][0];
    assert_eq!(tool["type"], "image_generation");
    assert_eq!(tool["model"], "gpt-image-1");
    assert_eq!(tool["size"], "1024x1024");
    assert_eq!(tool["quality"], "low");
    assert_eq!(tool["output_format"], "png");
    assert_eq!(body["tool_choice"], json!({"type": "image_generation"}));
    assert!(
        body.get("previous_response_id").is_none(),
        "a first picture refers to nothing: {body}"
    );
}

#[tokio::test]
async fn a_reference_travels_as_an_input_image_beside_the_words() {
    let (mock, state) = mock_and_state(&[]).await;
    let png = common::decode_b64(
        &generate(&state, request("src-1", "openai", PROMPT))
            .await
            .expect("a picture to use as a reference")
            .b64,
    );
    let id = state
        .references
        .put(
            png.clone(),
            proofsheet::server::references::store::StoredFormat::Png,
        )
        .await
        .unwrap();
    let with_reference = GenerateRequest {
        references: vec![id],
        ..request("ref-in-1", "openai", PROMPT)
    };
    generate(&state, with_reference).await.expect("a picture");
    let body = &json_body(&mock.calls().requests[1].body);
    use base64::Engine as _;
    let data_url = format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(&png)
    );
    assert_eq!(
        body["input"],
        json!([{"role": "user", "content": [
            {"type": "input_text", "text": PROMPT},
            {"type": "input_image", "image_url": data_url},
        ]}])
    );
}

#[tokio::test]
async fn returned_png_carries_the_provenance_record() {
    let (mock, state) = mock_and_state(&[]).await;
    mock.script(vec![Step::from(OpenAiStep::Images)]);

    let image = generate(&state, request("prov-1", "openai", PROMPT))
        .await
        .expect("the mock draws");

    let chunks = itxt_entries(&decode_b64(&image.b64));
    let (_, record) = chunks
        .iter()
        .find(|(keyword, _)| keyword == "proofsheet:provenance")
        .unwrap_or_else(|| {
            panic!(
                "no provenance chunk among {:?}",
                chunks.iter().map(|c| &c.0).collect::<Vec<_>>()
            )
        });
    let record: Value = serde_json::from_str(record).expect("the provenance is JSON");
    assert_eq!(record["prompt"], PROMPT);
    assert_eq!(record["provider"], "OpenAI");
    assert_eq!(record["engine"], "openai");
    assert_eq!(record["model"], "gpt-image-1");
    assert_eq!(record["size"], json!(image.size));
    assert_eq!(record["revised_prompt"], json!(image.revised_prompt));
    assert_eq!(record["provider_calls"], 1);
    assert!(
        record["app"]
            .as_str()
            .is_some_and(|app| app.starts_with("Proofsheet")),
        "{record}"
    );
}

#[tokio::test]
async fn refine_with_a_response_id_sends_previous_response_id_and_the_feedback() {
    let (mock, state) = mock_and_state(&[]).await;
    let first = generate(&state, request("ref-1", "openai", PROMPT))
        .await
        .expect("first picture");

    let refined = generate(
        &state,
        refinement("ref-2", PROMPT, "make the sky green", parent_of(&first)),
    )
    .await
    .expect("the mock accepts its own response id");

    let sent = &bodies(&mock)[1];
    assert_eq!(sent["previous_response_id"], json!(openai_ids(&first).0));
    assert_ne!(openai_ids(&refined).0, openai_ids(&first).0);
    assert_eq!(sent["input"], "Edit the previous image: make the sky green");
    assert_eq!(sent["tools"][0]["type"], "image_generation");
    // The mock builds an edit's revised prompt on the earlier one: proof it resolved the id.
    let earlier = first.revised_prompt.expect("first revised prompt");
    assert!(
        refined
            .revised_prompt
            .as_deref()
            .is_some_and(|p| p.starts_with(&earlier)),
        "{:?}",
        refined.revised_prompt
    );
}

#[tokio::test]
async fn refining_another_engines_picture_sends_the_feedback_as_words() {
    let (mock, state) = mock_and_state(&[]).await;
    let parent = ParentImage {
        continuation: Some(Continuation {
            engine: "offline".into(),
            token: json!({ "response_id": "resp_not_ours" }).to_string(),
        }),
        seed: 3,
    };
    generate(
        &state,
        refinement("other-1", PROMPT, "warmer light", parent),
    )
    .await
    .expect("a picture");
    let sent = &bodies(&mock)[0];
    assert!(sent.get("previous_response_id").is_none(), "{sent}");
    assert_eq!(
        sent["input"],
        json!(format!("{PROMPT}\n\nChanges to make: warmer light"))
    );
}

#[tokio::test]
async fn refine_with_only_an_image_call_id_sends_an_image_generation_call_item() {
    let (mock, state) = mock_and_state(&[]).await;
    let first = generate(&state, request("call-1", "openai", PROMPT))
        .await
        .expect("first picture");
    let call_id = openai_ids(&first)
        .1
        .expect("the first picture has an image call id");
    let parent = ParentImage {
        continuation: Some(Continuation {
            engine: "openai".into(),
            token: json!({ "image_call_id": call_id }).to_string(),
        }),
        seed: first.seed,
    };

    let refined = generate(
        &state,
        refinement("call-2", PROMPT, "add a rowing boat", parent),
    )
    .await
    .expect("the mock accepts its own image call id");

    let sent = &bodies(&mock)[1];
    assert!(sent.get("previous_response_id").is_none(), "{sent}");
    assert_eq!(
        sent["input"],
        json!([
            {"role": "user", "content": [{"type": "input_text", "text": "Edit the previous image: add a rowing boat"}]},
            {"type": "image_generation_call", "id": call_id},
        ])
    );
    let earlier = first.revised_prompt.expect("first revised prompt");
    assert!(
        refined
            .revised_prompt
            .as_deref()
            .is_some_and(|p| p.starts_with(&earlier)),
        "{:?}",
        refined.revised_prompt
    );
}

#[tokio::test]
async fn rate_limit_then_success_is_retried_and_succeeds() {
    let (mock, state) = mock_and_state(&[]).await;
    mock.script(vec![
        Step::from(OpenAiStep::RateLimited {
            retry_after_ms: Some(20),
        }),
        Step::from(OpenAiStep::Images),
    ]);

    let image = generate(&state, request("rl-1", "openai", PROMPT))
        .await
        .expect("the retry succeeds");

    assert_eq!(image.provider_calls, 2);
    assert_eq!(image.retries(), 1);
    assert_eq!(mock.calls().count, 2);
}

#[tokio::test]
async fn persistent_rate_limit_gives_up_after_the_configured_attempts() {
    let (mock, state) = mock_and_state(&[]).await;
    assert_eq!(state.settings.retry.max_attempts, 3, "the shipped default");
    mock.script(vec![
        Step::from(OpenAiStep::RateLimited {
            retry_after_ms: Some(20),
        });
        5
    ]);

    let (failure, message, calls) =
        provider_error(generate(&state, request("rl-2", "openai", PROMPT)).await);

    assert_eq!(failure, ProviderFailure::RateLimited);
    assert!(
        message.starts_with("OpenAI is rate limiting; retried 2 times"),
        "{message}"
    );
    assert_eq!(calls, 3);
    assert_eq!(mock.calls().count, 3);
}

#[tokio::test]
async fn invalid_api_key_is_not_retried_and_never_echoes_the_key() {
    let (mock, state) = mock_and_state(&[]).await;
    mock.script(vec![Step::from(OpenAiStep::InvalidApiKey)]);

    let result = generate(&state, request("auth-1", "openai", PROMPT)).await;
    let error = result.as_ref().expect_err("401 fails").clone();
    let (failure, message, calls) = provider_error(result);

    assert_eq!(failure, ProviderFailure::Auth);
    assert_eq!(
        message,
        "OpenAI rejected the API key (401): check OPENAI_API_KEY"
    );
    assert_eq!(calls, 1);
    assert_eq!(mock.calls().count, 1);
    // The mock's 401 body quotes the key as `sk-fa***qkzv`; none of it may reach a person.
    let serialized = serde_json::to_string(&error).expect("AppError serializes");
    assert!(!serialized.contains("sk-"), "{serialized}");
    assert!(
        !serialized.contains(&API_KEY[API_KEY.len() - 4..]),
        "{serialized}"
    );
}

#[tokio::test]
async fn a_wrong_configured_key_gets_the_auth_message_after_one_call() {
    let mock = start_mock().await;
    let wrong_key = "sk-fake-wrong-jxwq";
    let state = openai_state_at(&openai_url(&mock), wrong_key, &[]);

    let result = generate(&state, request("auth-2", "openai", PROMPT)).await;
    let serialized = serde_json::to_string(result.as_ref().expect_err("401 fails"))
        .expect("AppError serializes");
    let (failure, message, calls) = provider_error(result);

    assert_eq!(failure, ProviderFailure::Auth);
    assert_eq!(
        message,
        "OpenAI rejected the API key (401): check OPENAI_API_KEY"
    );
    assert_eq!(calls, 1);
    assert_eq!(mock.calls().count, 1);
    assert!(
        !serialized.contains("sk-") && !serialized.contains("jxwq"),
        "{serialized}"
    );
}

#[tokio::test]
async fn moderation_block_is_reported_as_a_safety_rejection_without_retry() {
    let (failure, message) =
        fails_without_retry(Step::from(OpenAiStep::ModerationBlocked), "mod-1").await;
    assert_eq!(failure, ProviderFailure::ContentRejected);
    assert!(
        message.starts_with("The prompt was blocked by OpenAI's safety system"),
        "{message}"
    );
    assert!(
        message.contains("(sexual)"),
        "the moderation category is shown: {message}"
    );
}

#[tokio::test]
async fn insufficient_quota_is_quota_exhausted_and_not_retried() {
    let (failure, message) =
        fails_without_retry(Step::from(OpenAiStep::InsufficientQuota), "quota-1").await;
    assert_eq!(failure, ProviderFailure::QuotaExhausted);
    assert_eq!(
        message,
        "OpenAI says the account has no quota left (429): check its plan and billing"
    );
}

#[tokio::test]
async fn server_errors_are_retried_until_success() {
    let (mock, state) = mock_and_state(&[]).await;
    mock.script(vec![
        Step::from(OpenAiStep::ServerError { status: 500 }),
        Step::from(OpenAiStep::ServerError { status: 500 }),
        Step::from(OpenAiStep::Images),
    ]);

    let image = generate(&state, request("5xx-1", "openai", PROMPT))
        .await
        .expect("the third call succeeds");

    assert_eq!(image.provider_calls, 3);
    assert_eq!(mock.calls().count, 3);
}

#[tokio::test]
async fn x_should_retry_false_stops_retrying_a_server_error() {
    let step = Step::from(OpenAiStep::Error {
        status: 500,
        kind: "server_error".into(),
        code: None,
        param: None,
        message: "The server had an error while processing your request.".into(),
        headers: BTreeMap::from([("x-should-retry".to_string(), "false".to_string())]),
    });
    let (failure, message) = fails_without_retry(step, "nsr-1").await;
    assert_eq!(failure, ProviderFailure::Unavailable);
    assert!(
        message.starts_with("OpenAI had a server error (500)"),
        "{message}"
    );
}

#[tokio::test]
async fn masked_keys_and_newlines_in_provider_text_never_reach_the_person() {
    // The shapes providers use to echo a key: masked after "(" or ":", and text on several lines.
    let tail = &API_KEY[API_KEY.len() - 4..];
    let step = Step::from(OpenAiStep::Error {
        status: 400,
        kind: "invalid_request_error".into(),
        code: None,
        param: None,
        message: format!("Bad key (sk-fake-t****{tail}) used\nsecond line:sk-…{tail}"),
        headers: BTreeMap::new(),
    });
    let (failure, message) = fails_without_retry(step, "mask-1").await;
    assert_eq!(failure, ProviderFailure::BadRequest);
    assert!(!message.contains(tail), "{message}");
    assert!(!message.contains("sk-"), "{message}");
    assert!(!message.contains('\n'), "{message}");
    assert_eq!(
        message,
        "OpenAI rejected the request (400): Bad key ([redacted]) used second line:[redacted]"
    );
}

#[tokio::test]
async fn failed_response_with_a_policy_violation_is_a_content_rejection() {
    let step = Step::from(OpenAiStep::Failed {
        code: "image_content_policy_violation".into(),
        message: "The image could not be generated.".into(),
    });
    let (failure, message) = fails_without_retry(step, "failed-1").await;
    assert_eq!(failure, ProviderFailure::ContentRejected);
    assert!(
        message.starts_with("The prompt was blocked by OpenAI's safety system"),
        "{message}"
    );
}

#[tokio::test]
async fn attempt_timeout_fails_with_timeout_and_drops_the_request() {
    let (mock, state) = mock_and_state(&[
        ("PROOFSHEET_RETRY_ATTEMPT_TIMEOUT_SECS", "1"),
        ("PROOFSHEET_RETRY_MAX_ATTEMPTS", "1"),
    ])
    .await;
    mock.script(vec![Step::from(OpenAiStep::Images).delayed(3000)]);

    let (failure, message, calls) =
        provider_error(generate(&state, request("slow-1", "openai", PROMPT)).await);

    assert_eq!(failure, ProviderFailure::Timeout);
    assert_eq!(message, "OpenAI did not answer in time (no answer after 1 s); no retry was possible in the time allowed.");
    assert_eq!(calls, 1);
    // The abandoned HTTP request is closed, so the mock counts it as cancelled, not answered.
    let calls = wait_for_calls(&mock, "the timed-out request cancelled", |c| {
        c.cancelled == 1
    })
    .await;
    assert_eq!(summary(&calls), (1, 0, 1));
}

#[tokio::test]
async fn cancel_stops_a_running_generation_and_its_http_request() {
    let (mock, state) = mock_and_state(&[]).await;
    mock.script(vec![Step::from(OpenAiStep::Images).delayed(30_000)]);
    let task = tokio::spawn({
        let state = state.clone();
        async move { generate(&state, request("cancel-me", "openai", PROMPT)).await }
    });
    wait_for_calls(&mock, "the generation's request", |c| c.count == 1).await;

    assert_eq!(
        cancel(&state, "cancel-me"),
        Ok(true),
        "the generation was running"
    );

    // The bound only keeps a broken test from hanging for the mock's 30 s; it is far below it.
    let outcome = tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("generate returns once cancelled, without waiting for the provider")
        .expect("the task did not panic");
    assert_eq!(outcome, Err(AppError::Cancelled));
    assert!(
        state.inflight.is_empty(),
        "the cancelled generation is no longer registered"
    );
    let calls = wait_for_calls(&mock, "the cancelled request", |c| c.cancelled == 1).await;
    assert_eq!(summary(&calls), (1, 0, 1));
    assert_eq!(
        cancel(&state, "cancel-me"),
        Ok(false),
        "nothing left to cancel"
    );
}

#[tokio::test]
async fn connection_refused_is_a_retried_network_failure() {
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        listener.local_addr().expect("local address").port()
    };
    let state = openai_state_at(&format!("http://127.0.0.1:{closed_port}/v1"), API_KEY, &[]);

    let (failure, message, calls) =
        provider_error(generate(&state, request("net-1", "openai", PROMPT)).await);

    assert_eq!(failure, ProviderFailure::Network);
    assert!(message.starts_with("Could not reach OpenAI"), "{message}");
    assert!(message.contains("retried 2 times"), "{message}");
    assert_eq!(calls, 3);
    assert!(!message.contains(API_KEY), "{message}");
}

#[tokio::test]
async fn empty_and_over_long_prompts_are_refused_before_any_call() {
    let (mock, state) = mock_and_state(&[]).await;

    let (field, message) = invalid_input(generate(&state, request("val-1", "openai", "")).await);
    assert_eq!(field, "prompt");
    assert!(message.contains("prompt is empty"), "{message}");

    let long = "a".repeat(32_001);
    let (field, message) = invalid_input(generate(&state, request("val-2", "openai", &long)).await);
    assert_eq!(field, "prompt");
    assert_eq!(
        message,
        "The prompt is 32001 characters long; OpenAI accepts at most 32000."
    );

    assert_eq!(mock.calls().count, 0, "nothing reached the provider");
}

#[tokio::test]
async fn an_outage_after_retries_hands_the_request_to_the_fallback_engine() {
    let (mock, state) =
        mock_and_state(&[("PROOFSHEET_PROVIDER__OPENAI__FALLBACK", "offline")]).await;
    mock.script(vec![Step::from(OpenAiStep::ServerError { status: 503 }); 3]);

    let image = generate(&state, request("fb-1", "openai", PROMPT))
        .await
        .expect("the fallback makes the picture");

    assert_eq!(
        mock.calls().count,
        3,
        "OpenAI was tried as often as the policy allows"
    );
    assert_eq!(image.engine, "offline");
    assert_eq!(
        image.fallback.as_deref(),
        Some("OpenAI could not make it (Unavailable, 503); made with Offline engine instead.")
    );
}

#[tokio::test]
async fn a_refusal_is_not_handed_to_the_fallback() {
    let (mock, state) =
        mock_and_state(&[("PROOFSHEET_PROVIDER__OPENAI__FALLBACK", "offline")]).await;
    mock.script(vec![Step::from(OpenAiStep::ModerationBlocked)]);

    let (failure, _, _) = provider_error(generate(&state, request("fb-2", "openai", PROMPT)).await);

    assert_eq!(failure, ProviderFailure::ContentRejected);
}

#[tokio::test]
async fn unknown_engine_is_refused_naming_the_engines_on_offer() {
    let (mock, state) = mock_and_state(&[]).await;

    let (field, message) =
        invalid_input(generate(&state, request("val-3", "midjourney", PROMPT)).await);

    assert_eq!(field, "engine");
    assert!(message.contains("\"midjourney\""), "{message}");
    assert!(
        message.contains("openai, openai-images, offline"),
        "{message}"
    );
    assert_eq!(mock.calls().count, 0);
}

#[tokio::test]
async fn the_responses_stream_hands_each_rough_preview_to_the_page_then_the_picture() {
    let (mock, state) = mock_and_state(&[]).await;
    // Two previews and the picture, 300 ms apart: time enough to see each.
    mock.script(vec![Step::from(OpenAiStep::Images).delayed(900)]);
    let running = tokio::spawn({
        let state = state.clone();
        async move { generate(&state, request("streamed", "openai", PROMPT)).await }
    });
    let inflight = &state.inflight;
    while inflight.progress("streamed") != Some(Progress::Preview { number: 1 }) {
        assert!(!running.is_finished(), "finished before any preview");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let preview = inflight.preview("streamed").expect("the preview is kept");
    assert!(preview.starts_with(&PNG_SIGNATURE), "a PNG preview");
    let image = running
        .await
        .unwrap()
        .expect("a picture after the previews");
    assert!(decode_b64(&image.b64).starts_with(&PNG_SIGNATURE));
    assert_eq!(
        inflight.preview("streamed"),
        None,
        "gone with the generation"
    );
    // The picture came at `output_item.done`; the rest of the stream (which repeats it) is still
    // read to its end, not cut off: the mock counts a stream cut short as cancelled.
    let calls = wait_for_calls(&mock, "the whole stream read", |c| c.completed == 1).await;
    assert_eq!(summary(&calls), (1, 1, 0), "the whole stream was read");
    let body = &json_body(&calls.requests[0].body);
    assert_eq!(body["stream"], true);
    assert_eq!(body["tools"][0]["partial_images"], 2);
    let continuation = image.continuation.expect("the stream's ids are kept");
    assert!(
        continuation.token.contains("resp_"),
        "{}",
        continuation.token
    );
}
