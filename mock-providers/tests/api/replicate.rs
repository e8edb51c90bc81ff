//! Replicate (§4): the prediction lifecycle across polls, sync mode,
//! cancel, output shapes per model, and problem+json errors.

use mock_providers::{MockConfig, MockServer, Provider, ReplicateStep, Step};
use serde_json::{json, Value};

use crate::common::{client, decode, download, send, start, url, Format, Reply};

const KEY: &str = "test-replicate-token-qkzv";
const SCHNELL: &str = "/models/black-forest-labs/flux-schnell/predictions";
const PRO: &str = "/models/black-forest-labs/flux-1.1-pro/predictions";

async fn create(server: &MockServer, path: &str, body: Value, prefer: Option<&str>) -> Reply {
    let mut request = client()
        .post(url(server, Provider::Replicate, path))
        .bearer_auth(KEY)
        .json(&body);
    if let Some(prefer) = prefer {
        request = request.header("prefer", prefer);
    }
    send(request).await
}

async fn get(link: &str) -> Reply {
    send(client().get(link).bearer_auth(KEY)).await
}

async fn post(link: &str) -> Reply {
    send(client().post(link).bearer_auth(KEY)).await
}

fn assert_problem(reply: &Reply, status: u16) -> Value {
    assert_eq!(reply.status, status, "{}", reply.text);
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json")
    );
    reply.json()
}

#[tokio::test]
async fn a_prediction_moves_from_starting_to_processing_to_succeeded_across_polls() {
    let server = start().await;
    server.script(vec![ReplicateStep::Succeeded {
        polls: 3,
        run_ms: 0,
    }
    .into()]);
    let created = create(
        &server,
        SCHNELL,
        json!({"input": {"prompt": "a manicure", "num_outputs": 2, "aspect_ratio": "16:9"}}),
        None,
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.header("ratelimit-remaining"), Some("599"));
    assert_eq!(created.header("ratelimit-reset"), Some("1"));
    assert!(created.header("preference-applied").is_none());
    let prediction = created.json();
    assert_eq!(prediction["status"], "starting");
    assert_eq!(prediction["output"], Value::Null);
    assert_eq!(prediction["model"], "black-forest-labs/flux-schnell");
    assert!(prediction["version"]
        .as_str()
        .is_some_and(|v| v.starts_with("dp-")));
    assert_eq!(
        prediction["input"],
        json!({"prompt": "a manicure", "num_outputs": 2, "aspect_ratio": "16:9"})
    );
    assert_eq!(
        (prediction["source"].as_str(), prediction["logs"].as_str()),
        (Some("api"), Some(""))
    );
    assert_eq!(prediction["data_removed"], false);
    assert!(prediction["created_at"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
    let id = prediction["id"].as_str().expect("id");
    let link = prediction["urls"]["get"].as_str().expect("urls.get");
    assert_eq!(
        link,
        url(&server, Provider::Replicate, &format!("/predictions/{id}"))
    );
    assert_eq!(
        prediction["urls"]["cancel"].as_str(),
        Some(format!("{link}/cancel").as_str())
    );

    for _ in 0..2 {
        let polled = get(link).await.json();
        assert_eq!(
            (polled["status"].as_str(), &polled["output"]),
            (Some("processing"), &Value::Null)
        );
        assert!(polled["started_at"].is_string());
    }
    let done = get(link).await.json();
    assert_eq!(done["status"], "succeeded");
    assert!(done["completed_at"].is_string() && done["metrics"]["predict_time"].is_number());
    let outputs = done["output"]
        .as_array()
        .expect("flux-schnell output is an array");
    assert_eq!(outputs.len(), 2);
    for output in outputs {
        let link = output.as_str().expect("URL");
        assert!(
            link.contains("/replicate-delivery/") && link.ends_with(".webp"),
            "{link}"
        );
        let (status, content_type, bytes) = download(link).await;
        assert_eq!((status, content_type.as_deref()), (200, Some("image/webp")));
        let (format, width, height) = decode(&bytes);
        assert!(format == Format::Webp && width > height, "{width}x{height}");
    }
    assert_eq!(
        get(link).await.json()["status"],
        "succeeded",
        "terminal stays terminal"
    );
}

#[tokio::test]
async fn flux_pro_outputs_a_single_string_in_the_asked_format() {
    let server = start().await;
    server.script(vec![ReplicateStep::Succeeded {
        polls: 0,
        run_ms: 0,
    }
    .into()]);
    let prediction = create(
        &server,
        PRO,
        json!({"input": {"prompt": "p", "aspect_ratio": "custom", "width": 800, "height": 608, "output_format": "png"}}),
        None,
    )
    .await
    .json();
    assert_eq!(
        prediction["status"], "succeeded",
        "polls: 0 finishes at once"
    );
    let output = prediction["output"]
        .as_str()
        .expect("flux-1.1-pro output is a string");
    let (_, _, bytes) = download(output).await;
    assert_eq!(decode(&bytes), (Format::Png, 800, 608));

    let via_version = send(
        client()
            .post(url(&server, Provider::Replicate, "/predictions"))
            .bearer_auth(KEY)
            .json(&json!({"version": "black-forest-labs/flux-1.1-pro", "input": {"prompt": "p", "output_format": "jpg"}})),
    )
    .await;
    assert_eq!(via_version.status, 201);
    let link = via_version.json()["urls"]["get"]
        .as_str()
        .expect("get")
        .to_owned();
    get(&link).await;
    let output = get(&link).await.json()["output"]
        .as_str()
        .expect("string")
        .to_owned();
    assert_eq!(
        decode(&download(&output).await.2),
        (Format::Jpeg, 1024, 1024)
    );
}

#[tokio::test]
async fn prefer_wait_returns_finished_output_with_preference_applied() {
    let server = start().await;
    let reply = create(
        &server,
        SCHNELL,
        json!({"input": {"prompt": "p"}}),
        Some("wait"),
    )
    .await;
    assert_eq!(reply.status, 201, "sync mode is still 201");
    assert_eq!(reply.header("preference-applied"), Some("wait=60"));
    let prediction = reply.json();
    // Recorded behaviour: `processing` with the output already there.
    assert_eq!(prediction["status"], "processing");
    assert_eq!(prediction["output"].as_array().map(Vec::len), Some(1));
    let link = prediction["urls"]["get"].as_str().expect("get");
    assert_eq!(get(link).await.json()["status"], "succeeded");

    // A run longer than the window: `starting`, no output, then polling.
    server.script(vec![ReplicateStep::Succeeded {
        polls: 1,
        run_ms: 60_000,
    }
    .into()]);
    let reply = create(
        &server,
        SCHNELL,
        json!({"input": {"prompt": "p"}}),
        Some("wait=1"),
    )
    .await;
    assert_eq!(reply.header("preference-applied"), Some("wait=1"));
    let prediction = reply.json();
    assert_eq!(
        (prediction["status"].as_str(), &prediction["output"]),
        (Some("starting"), &Value::Null)
    );
    let link = prediction["urls"]["get"].as_str().expect("get");
    assert_eq!(get(link).await.json()["status"], "succeeded");
}

#[tokio::test]
async fn cancel_stops_a_running_prediction_and_is_counted_once() {
    let server = start().await;
    let prediction = create(&server, SCHNELL, json!({"input": {"prompt": "p"}}), None)
        .await
        .json();
    let cancel = prediction["urls"]["cancel"].as_str().expect("cancel");
    let canceled = post(cancel).await;
    assert_eq!(canceled.status, 200);
    let body = canceled.json();
    assert_eq!(
        (body["status"].as_str(), &body["output"]),
        (Some("canceled"), &Value::Null)
    );
    assert!(body["completed_at"].is_string());
    assert_eq!(server.calls().predictions_cancelled, 1);
    assert_eq!(post(cancel).await.json()["status"], "canceled");
    assert_eq!(
        server.calls().predictions_cancelled,
        1,
        "a second cancel changes nothing"
    );
    let link = prediction["urls"]["get"].as_str().expect("get");
    assert_eq!(get(link).await.json()["status"], "canceled");

    // Finished predictions cannot be canceled.
    server.script(vec![ReplicateStep::Succeeded {
        polls: 0,
        run_ms: 0,
    }
    .into()]);
    let done = create(&server, SCHNELL, json!({"input": {"prompt": "p"}}), None)
        .await
        .json();
    let after = post(done["urls"]["cancel"].as_str().expect("cancel"))
        .await
        .json();
    assert_eq!(after["status"], "succeeded");
    assert_eq!(server.calls().predictions_cancelled, 1);
    assert_problem(
        &post(&url(
            &server,
            Provider::Replicate,
            "/predictions/nope/cancel",
        ))
        .await,
        404,
    );
}

#[tokio::test]
async fn failed_predictions_carry_an_error_string() {
    let server = start().await;
    server.script(vec![Step::from(ReplicateStep::Failed {
        error: "NSFW content detected".into(),
        polls: 1,
        run_ms: 0,
    })]);
    let prediction = create(&server, SCHNELL, json!({"input": {"prompt": "p"}}), None)
        .await
        .json();
    let failed = get(prediction["urls"]["get"].as_str().expect("get"))
        .await
        .json();
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["error"], "NSFW content detected");
    assert_eq!(failed["output"], Value::Null);
}

#[tokio::test]
async fn errors_are_problem_json_with_the_documented_bodies() {
    let server =
        MockServer::start(MockConfig::default().with_api_key(Provider::Replicate, KEY)).await;
    let unauthenticated = send(
        client()
            .post(url(&server, Provider::Replicate, SCHNELL))
            .header("authorization", "Token test-wrong-token")
            .json(&json!({"input": {"prompt": "p"}})),
    )
    .await;
    assert_eq!(
        assert_problem(&unauthenticated, 401),
        json!({"title": "Unauthenticated", "detail": "You did not pass a valid authentication token", "status": 401})
    );

    let invalid = create(
        &server,
        SCHNELL,
        json!({"input": {"num_inference_steps": 9}}),
        None,
    )
    .await;
    let body = assert_problem(&invalid, 422);
    assert_eq!(body["title"], "Input validation failed");
    assert_eq!(
        body["detail"],
        "- input: prompt is required\n- input.num_inference_steps: Must be less than or equal to 4\n"
    );
    assert_eq!(
        body["invalid_fields"],
        json!([{"type": "required", "field": "input", "description": "prompt is required"},
               {"type": "number_lte", "field": "input.num_inference_steps", "description": "Must be less than or equal to 4"}])
    );

    let bad_version = send(
        client()
            .post(url(&server, Provider::Replicate, "/predictions"))
            .bearer_auth(KEY)
            .json(&json!({"version": "5599ed30703defd1d160a25a63321b4dec97101d98b4674bcc56e41f62f35637", "input": {"prompt": "p"}})),
    )
    .await;
    assert_eq!(
        assert_problem(&bad_version, 422)["title"],
        "Invalid version or not permitted"
    );
    assert_problem(
        &create(
            &server,
            "/models/acme/unknown/predictions",
            json!({"input": {}}),
            None,
        )
        .await,
        404,
    );
    assert_problem(
        &get(&url(&server, Provider::Replicate, "/predictions/nope")).await,
        404,
    );

    server.script(vec![
        ReplicateStep::InsufficientCredit.into(),
        ReplicateStep::Throttled {
            retry_after_secs: 1,
        }
        .into(),
        ReplicateStep::Throttled {
            retry_after_secs: 5,
        }
        .into(),
        ReplicateStep::InvalidVersion.into(),
        ReplicateStep::Unavailable { status: 504 }.into(),
        ReplicateStep::Unauthenticated.into(),
    ]);
    let input = json!({"input": {"prompt": "p"}});
    let credit = assert_problem(&create(&server, SCHNELL, input.clone(), None).await, 402);
    assert_eq!(credit["title"], "Insufficient credit");
    let throttled = create(&server, SCHNELL, input.clone(), None).await;
    assert_eq!(
        assert_problem(&throttled, 429),
        json!({"detail": "Request was throttled. Expected available in 1 second."})
    );
    assert_eq!(throttled.header("retry-after"), Some("1"));
    let throttled = create(&server, SCHNELL, input.clone(), None).await;
    assert_eq!(
        assert_problem(&throttled, 429)["detail"],
        "Request was throttled. Expected available in 5 seconds."
    );
    assert_eq!(throttled.header("retry-after"), Some("5"));
    assert_problem(&create(&server, SCHNELL, input.clone(), None).await, 422);
    assert_problem(&create(&server, SCHNELL, input.clone(), None).await, 504);
    assert_problem(&create(&server, SCHNELL, input, None).await, 401);
}
