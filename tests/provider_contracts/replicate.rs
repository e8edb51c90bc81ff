use crate::*;
use mock_providers::{KeyOutcome, ReplicateStep, Step};
use proofsheet::server::generate::{cancel, generate};
use std::time::Duration;

#[tokio::test]
async fn replicate_creates_a_prediction_with_prefer_wait_and_returns_its_output() {
    let mock = start_mock().await;
    let state = state_for(&mock, &[]);
    let image = generate(&state, request("rep-ok", "replicate", "16:9"))
        .await
        .expect("a picture");

    let calls = api_calls(&mock, Provider::Replicate);
    let create = &calls[0];
    assert_eq!(create.method, "POST");
    assert_eq!(
        create.path,
        format!("/replicate/v1/models/{}/predictions", image.model)
    );
    assert_eq!(create.auth.via.as_deref(), Some("authorization"));
    assert_eq!(create.auth.outcome, KeyOutcome::Accepted);
    let prefer = create.headers.get("prefer").expect("a Prefer header");
    assert!(prefer.starts_with("wait"), "{prefer}");
    let input = &create.body.json().expect("JSON")["input"];
    assert_eq!(input["aspect_ratio"], "16:9");
    assert_eq!(input["seed"], 7);
    assert_eq!(input["prompt"], PROMPT);

    picture_bytes(&image);
    assert_eq!(image.engine, "replicate");
    assert!(
        image.model.starts_with("black-forest-labs/flux"),
        "{}",
        image.model
    );
}

/// A prediction that outlasts `Prefer: wait` (60 s) comes back `starting` and is polled. Paused
/// time lets the mock's 60 s window and the client's poll intervals pass at once; the mock runs
/// in this test's runtime, so it sleeps on the same clock.
#[tokio::test(start_paused = true)]
async fn replicate_polls_a_prediction_that_outlasts_the_wait_until_it_succeeds() {
    let mock = start_mock().await;
    let state = state_for(&mock, &[]);
    mock.script(vec![Step::from(ReplicateStep::Succeeded {
        polls: 3,
        run_ms: 120_000,
    })]);
    let image = generate(&state, request("rep-poll", "replicate", "1:1"))
        .await
        .expect("a picture");
    picture_bytes(&image);
    let calls = api_calls(&mock, Provider::Replicate);
    let polls: Vec<_> = calls.iter().filter(|r| r.method == "GET").collect();
    assert_eq!(polls.len(), 3, "polled until the third poll saw it succeed");
    assert!(polls
        .iter()
        .all(|r| r.path.starts_with("/replicate/v1/predictions/")));
    assert_eq!(
        mock.calls().predictions_cancelled,
        0,
        "a finished prediction is not cancelled"
    );
}

/// Cancelled while polling (after the create's 60 s wait, in paused time), the prediction is
/// cancelled at Replicate so nobody pays for a picture no one will see.
#[tokio::test(start_paused = true)]
async fn replicate_cancelled_generation_cancels_its_prediction() {
    let mock = start_mock().await;
    let state = state_for(&mock, &[]);
    mock.script(vec![Step::from(ReplicateStep::Succeeded {
        polls: 1_000_000,
        run_ms: 600_000,
    })]);
    let task = tokio::spawn({
        let state = state.clone();
        async move { generate(&state, request("rep-cancel", "replicate", "1:1")).await }
    });
    // The create call holds for `Prefer: wait`'s 60 (virtual) seconds before polling starts.
    let past_the_wait = Duration::from_secs(120);
    wait_for_calls_within(&mock, "a poll of the prediction", past_the_wait, |c| {
        c.requests.iter().any(|r| r.method == "GET")
    })
    .await;
    assert_eq!(cancel(&state, "rep-cancel"), Ok(true));
    let outcome = tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("generate returns once cancelled")
        .expect("no panic");
    assert_eq!(outcome, Err(AppError::Cancelled));
    let calls = wait_for_calls(&mock, "the prediction cancelled", |c| {
        c.predictions_cancelled == 1
    })
    .await;
    assert_eq!(calls.predictions_cancelled, 1);
    let cancels = calls
        .requests
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/cancel"))
        .count();
    assert_eq!(cancels, 1, "one cancel call");
}

#[tokio::test]
async fn replicate_throttling_is_waited_out_and_retried() {
    let mock = start_mock().await;
    let state = state_for(&mock, &[]);
    mock.script(vec![Step::from(ReplicateStep::Throttled {
        retry_after_secs: 1,
    })]);
    let image = generate(&state, request("rep-429", "replicate", "1:1"))
        .await
        .expect("a picture after the wait");
    picture_bytes(&image);
    let creates = api_calls(&mock, Provider::Replicate)
        .iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(creates, 2);
}

#[tokio::test]
async fn replicate_failed_prediction_is_a_content_rejection() {
    let mock = start_mock().await;
    let state = state_for(&mock, &[]);
    mock.script(vec![
        Step::from(ReplicateStep::Failed {
            error: "NSFW content detected. Try running it again, or try a different prompt.".into(),
            polls: 0,
            run_ms: 0,
        });
        5
    ]);
    let (failure, message, _) =
        provider_error(generate(&state, request("rep-nsfw", "replicate", "1:1")).await);
    assert_eq!(failure, ProviderFailure::ContentRejected, "{message}");
    assert!(message.contains("Replicate"), "{message}");
    assert_eq!(
        api_calls(&mock, Provider::Replicate)
            .iter()
            .filter(|r| r.method == "POST")
            .count(),
        1
    );
}

#[tokio::test]
async fn replicate_errors_map_to_failures_naming_replicate_without_the_key() {
    use ProviderFailure::*;
    let cases: Vec<(ReplicateStep, ProviderFailure, bool)> = vec![
        (ReplicateStep::Unauthenticated, Auth, false),
        (ReplicateStep::InsufficientCredit, QuotaExhausted, false),
        (ReplicateStep::InvalidVersion, BadRequest, false),
        (
            ReplicateStep::Unavailable { status: 503 },
            Unavailable,
            true,
        ),
    ];
    for (step, expected, retried) in cases {
        let mock = start_mock().await;
        let state = state_for(&mock, &[]);
        mock.script(vec![Step::from(step.clone()); 10]);
        let (failure, message, _) =
            provider_error(generate(&state, request("rep-err", "replicate", "1:1")).await);
        assert_eq!(failure, expected, "{step:?}: {message}");
        assert!(message.contains("Replicate"), "{step:?}: {message}");
        assert_no_key(&message);
        let calls = api_calls(&mock, Provider::Replicate).len();
        assert_eq!(calls > 1, retried, "{step:?}: {calls} calls");
        if expected == Auth {
            assert!(message.contains("REPLICATE_API_TOKEN"), "{message}");
        }
    }
}
