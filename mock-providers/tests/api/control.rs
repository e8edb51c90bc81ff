//! The `/__mock` control API, the ledger's contents, per-provider queues,
//! reset, and requests dropped mid-flight.

use mock_providers::{
    Calls, JimengStep, KeyOutcome, MockServer, OpenAiStep, Provider, RecordedBody, Step,
};
use serde_json::{json, Value};

use crate::common::{client, download, send, start, url, wait_for_calls, Reply};

async fn control(server: &MockServer, method: &str, path: &str, body: Option<Value>) -> Reply {
    let address = format!("http://{}{path}", server.addr);
    let request = match method {
        "GET" => client().get(address),
        _ => client().post(address),
    };
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    send(request).await
}

fn openai_request(server: &MockServer, body: Value) -> reqwest::RequestBuilder {
    client()
        .post(url(server, Provider::OpenAi, "/images/generations"))
        .bearer_auth("test-openai-key-qkzv")
        .header("user-agent", "contract-test/1.0")
        .json(&body)
}

async fn openai(server: &MockServer) -> Reply {
    send(openai_request(
        server,
        json!({"model": "gpt-image-1", "prompt": "x"}),
    ))
    .await
}

/// jimeng's error `code` (0 for success, which has none).
async fn jimeng(server: &MockServer) -> i64 {
    let reply = send(
        client()
            .post(url(server, Provider::Jimeng, "/images/generations"))
            .bearer_auth("test-jimeng-session-qkzv")
            .json(&json!({"prompt": "x", "resolution": "1k"})),
    )
    .await;
    reply.json()["code"].as_i64().unwrap_or(0)
}

#[tokio::test]
async fn scripts_over_http_fill_each_providers_own_queue() {
    let server = start().await;
    let script = json!({"steps": [
        {"provider": "jimeng", "respond": "failure", "code": -2009},
        {"provider": "openai", "respond": "rate_limited", "retry_after_ms": 1000},
        {"provider": "jimeng", "respond": "failure", "code": -2001, "delay_ms": 1},
    ]});
    let scripted = control(&server, "POST", "/__mock/script", Some(script)).await;
    assert_eq!(scripted.status, 204, "{}", scripted.text);

    // OpenAI's step is not used up by jimeng requests, and the reverse.
    assert_eq!(jimeng(&server).await, -2009);
    assert_eq!(openai(&server).await.status, 429);
    assert_eq!(jimeng(&server).await, -2001);
    assert_eq!(jimeng(&server).await, 0);
    assert_eq!(openai(&server).await.status, 200);

    let calls = control(&server, "GET", "/__mock/calls?provider=jimeng", None).await;
    assert_eq!(calls.status, 200);
    let calls: Calls = serde_json::from_str(&calls.text).expect("Calls JSON");
    assert_eq!((calls.count, calls.completed, calls.cancelled), (5, 5, 0));
    assert_eq!(calls.requests.len(), 3);
    assert!(calls
        .requests
        .iter()
        .all(|request| request.provider == Provider::Jimeng));
    assert_eq!(server.calls().of(Provider::OpenAi).len(), 2);
    assert_eq!(
        control(&server, "GET", "/__mock/calls?provider=dalle", None)
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn bad_scripts_are_refused_and_leave_the_queues_alone() {
    let server = start().await;
    server.script(vec![Step::from(OpenAiStep::InsufficientQuota)]);
    for script in [
        json!({"steps": [{"provider": "dalle", "respond": "images"}]}),
        json!({"steps": [{"provider": "openai", "respond": "teapot"}]}),
        json!({"steps": [{"provider": "openai", "respond": "server_error", "status": 404}]}),
        json!({"steps": [{"provider": "jimeng", "respond": "failure", "code": 5}]}),
        json!({"steps": [{"provider": "jimeng", "respond": "failure", "code": -7777}]}),
        json!({"step": []}),
    ] {
        let reply = control(&server, "POST", "/__mock/script", Some(script.clone())).await;
        assert_eq!(reply.status, 400, "{script}");
        assert!(
            reply.json()["error"]
                .as_str()
                .is_some_and(|e| e.starts_with("Invalid script")),
            "{script}"
        );
    }
    assert_eq!(
        openai(&server).await.status,
        429,
        "the old script still stands"
    );
}

#[tokio::test]
async fn the_ledger_records_what_a_contract_test_needs() {
    let server = start().await;
    let body = json!({"model": "gpt-image-1", "prompt": "x", "size": "1024x1536"});
    send(openai_request(&server, body.clone()).query(&[("trace", "1")])).await;
    let calls = server.calls();
    let request = &calls.requests[0];
    assert_eq!(request.provider, Provider::OpenAi);
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/openai/v1/images/generations");
    assert_eq!(request.query.as_deref(), Some("trace=1"));
    assert_eq!(
        request.headers.get("user-agent").map(String::as_str),
        Some("contract-test/1.0")
    );
    assert_eq!(
        request.headers.get("content-type").map(String::as_str),
        Some("application/json")
    );
    assert!(!request.headers.contains_key("authorization"));
    assert_eq!(
        (request.auth.via.as_deref(), request.auth.outcome),
        (Some("authorization"), KeyOutcome::Accepted)
    );
    assert_eq!(request.body, RecordedBody::Json { value: body });
    let as_json = serde_json::to_value(&calls).expect("serialises");
    assert_eq!(as_json["requests"][0]["body"]["kind"], "json");
    assert_eq!(
        as_json["requests"][0]["auth"],
        json!({"via": "authorization", "outcome": "accepted"})
    );
}

#[tokio::test]
async fn reset_clears_script_calls_and_issued_urls() {
    let server = start().await;
    server.script(vec![
        OpenAiStep::InsufficientQuota.into(),
        JimengStep::Failure {
            code: -2001,
            message: None,
        }
        .into(),
    ]);
    assert_eq!(openai(&server).await.status, 429);

    let reset = control(&server, "POST", "/__mock/reset", None).await;
    assert_eq!(reset.status, 204);
    assert_eq!(server.calls(), Calls::default());
    assert_eq!(
        jimeng(&server).await,
        0,
        "the jimeng step went with the reset"
    );
    let image = send(openai_request(
        &server,
        json!({"prompt": "x", "model": "dall-e-2"}),
    ))
    .await
    .json();
    let link = image["data"][0]["url"].as_str().expect("url").to_owned();
    assert_eq!(download(&link).await.0, 200);
    server.reset();
    assert_eq!(download(&link).await.0, 404, "issued files are forgotten");
}

#[tokio::test]
async fn a_client_that_disconnects_mid_request_counts_as_cancelled() {
    let server = start().await;
    server.script(vec![Step::from(OpenAiStep::Images).delayed(60_000)]);
    let request = openai_request(
        &server,
        json!({"model": "gpt-image-1", "prompt": "never mind"}),
    );
    let task = tokio::spawn(async move { request.send().await });
    wait_for_calls(&server, |calls| calls.count == 1).await;
    task.abort();
    let calls = wait_for_calls(&server, |calls| calls.cancelled == 1).await;
    assert_eq!(calls.completed, 0);
}

#[tokio::test]
async fn unknown_paths_outside_any_provider_are_json_404s() {
    let server = start().await;
    let reply = control(&server, "GET", "/v2/whatever", None).await;
    assert_eq!(reply.status, 404);
    assert!(reply.json()["error"].is_string());
    assert_eq!(server.calls().count, 0, "not a provider call");
}
