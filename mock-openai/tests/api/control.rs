//! The `/__mock` control API and the OpenAI-style 404 for everything else.

use mock_openai::{Calls, MockConfig, MockServer};
use serde_json::json;

use crate::client::{image_request, post, send, KEY};

#[tokio::test]
async fn script_calls_and_reset_over_http() {
    let server = MockServer::start(MockConfig::default()).await;
    let script = json!({"steps": [
        {"respond": "rate_limited", "retry_after_ms": 1500},
        {"respond": "server_error"},
    ]});
    let scripted = send(
        server.addr,
        "POST",
        "/__mock/script",
        None,
        &script.to_string(),
    )
    .await;
    assert_eq!(scripted.status, 204, "{}", scripted.body);

    let request = image_request("x", json!({}));
    assert_eq!(post(&server, &request).await.status, 429);
    assert_eq!(post(&server, &request).await.status, 500);
    let created = post(&server, &request).await.json();

    let calls = send(server.addr, "GET", "/__mock/calls", None, "").await;
    assert_eq!(calls.status, 200);
    let calls: Calls = serde_json::from_str(&calls.body).expect("Calls JSON");
    assert_eq!((calls.count, calls.completed, calls.cancelled), (3, 3, 0));
    assert_eq!(calls.requests[0].path, "/v1/responses");
    assert!(calls.requests[0].authorization_present);
    assert_eq!(calls.requests[0].body, request);
    assert_eq!(calls, server.calls());

    let reset = send(server.addr, "POST", "/__mock/reset", None, "").await;
    assert_eq!(reset.status, 204);
    assert_eq!(server.calls(), Calls::default());
    let id = created["id"].as_str().expect("id");
    let gone = send(
        server.addr,
        "GET",
        &format!("/v1/responses/{id}"),
        Some(KEY),
        "",
    )
    .await;
    assert_eq!(gone.status, 404);
}

#[tokio::test]
async fn bad_scripts_are_refused_and_leave_the_queue_alone() {
    let server = MockServer::start(MockConfig::default()).await;
    for script in [
        json!({"steps": [{"respond": "teapot"}]}),
        json!({"steps": [{"respond": "server_error", "status": 404}]}),
        json!({"step": []}),
    ] {
        let reply = send(
            server.addr,
            "POST",
            "/__mock/script",
            None,
            &script.to_string(),
        )
        .await;
        assert_eq!(reply.status, 400, "{script}");
        assert!(reply.error()["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Invalid script")));
    }
    assert_eq!(
        post(&server, &image_request("x", json!({}))).await.status,
        200
    );
}

#[tokio::test]
async fn other_paths_and_methods_get_openais_404() {
    let server = MockServer::start(MockConfig::default()).await;
    let models = send(server.addr, "GET", "/v1/models", Some(KEY), "").await;
    assert_eq!(models.status, 404);
    assert_eq!(models.header("openai-version"), Some("2020-10-01"));
    assert_eq!(
        models.error(),
        json!({"message": "Invalid URL (GET /v1/models)", "type": "invalid_request_error",
               "param": null, "code": null})
    );
    let wrong_method = send(server.addr, "GET", "/v1/responses", Some(KEY), "").await;
    assert_eq!(wrong_method.status, 404);
    assert_eq!(
        wrong_method.error()["message"],
        "Invalid URL (GET /v1/responses)"
    );
}
