//! Scripted replies: consumed in order, then the default success; delays;
//! and the cancelled counter when a client walks away.

use std::collections::BTreeMap;

use mock_openai::{MockConfig, MockServer, Step};
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::client::{image_call, image_request, post, raw_request, wait_for_calls, KEY};

#[tokio::test]
async fn steps_are_answered_in_order_then_success_by_default() {
    let server = MockServer::start(MockConfig::default()).await;
    server.script(vec![
        Step::RateLimited {
            retry_after_ms: Some(1500),
            delay_ms: 0,
        },
        Step::RateLimited {
            retry_after_ms: None,
            delay_ms: 0,
        },
        Step::InsufficientQuota { delay_ms: 0 },
        Step::InvalidApiKey { delay_ms: 0 },
        Step::ModerationBlocked { delay_ms: 0 },
        Step::OrgNotVerified { delay_ms: 0 },
        Step::ModelNotFound { delay_ms: 0 },
        Step::ServerError {
            status: 502,
            delay_ms: 0,
        },
        Step::Error {
            status: 409,
            kind: "conflict_error".to_owned(),
            code: Some("busy".to_owned()),
            param: None,
            message: "Try later.".to_owned(),
            headers: BTreeMap::from([("x-should-retry".to_owned(), "false".to_owned())]),
            delay_ms: 0,
        },
        Step::Failed {
            code: "image_content_policy_violation".to_owned(),
            message: "Blocked by policy.".to_owned(),
            delay_ms: 0,
        },
    ]);
    let request = image_request("x", json!({}));

    let reply = post(&server, &request).await;
    assert_eq!(reply.status, 429);
    assert_eq!(reply.error()["code"], "rate_limit_exceeded");
    assert_eq!(reply.header("retry-after-ms"), Some("1500"));
    assert_eq!(reply.header("retry-after"), Some("2"));

    let reply = post(&server, &request).await;
    assert_eq!(reply.status, 429);
    assert_eq!(reply.header("retry-after-ms"), None);
    assert_eq!(reply.header("retry-after"), None);

    let reply = post(&server, &request).await;
    assert_eq!(reply.status, 429);
    assert_eq!(reply.error()["type"], "insufficient_quota");
    assert_eq!(reply.error()["code"], "insufficient_quota");

    let reply = post(&server, &request).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.error()["code"], "invalid_api_key");
    assert!(reply.error()["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("Incorrect API key provided: sk-te***1234.")));

    let reply = post(&server, &request).await;
    assert_eq!(reply.status, 400);
    let error = reply.error();
    assert_eq!(error["type"], "image_generation_user_error");
    assert_eq!(error["code"], "moderation_blocked");
    assert_eq!(error["param"], Value::Null);
    assert_eq!(
        error["moderation_details"],
        json!({"moderation_stage": "output", "categories": ["sexual"]})
    );

    let reply = post(&server, &request).await;
    assert_eq!(reply.status, 403);
    assert!(reply.error()["message"].as_str().is_some_and(
        |m| m.starts_with("Your organization must be verified to use the model `gpt-image-1`.")
    ));

    let reply = post(&server, &request).await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.error()["code"], "model_not_found");

    let reply = post(&server, &request).await;
    assert_eq!(reply.status, 502);
    assert_eq!(reply.error()["type"], "server_error");

    let reply = post(&server, &request).await;
    assert_eq!(reply.status, 409);
    assert_eq!(reply.header("x-should-retry"), Some("false"));
    assert_eq!(
        reply.error(),
        json!({"message": "Try later.", "type": "conflict_error", "param": null, "code": "busy"})
    );

    let reply = post(&server, &request).await;
    assert_eq!(reply.status, 200);
    let body = reply.json();
    assert_eq!(body["status"], "failed");
    assert_eq!(
        body["error"],
        json!({"code": "image_content_policy_violation", "message": "Blocked by policy."})
    );
    assert!(!reply.body.contains("image_generation_call"));

    // Queue empty: default success, again and again.
    for _ in 0..2 {
        let reply = post(&server, &request).await;
        assert_eq!(reply.status, 200);
        assert_eq!(image_call(&reply.json())["status"], "completed");
    }
    let calls = server.calls();
    assert_eq!((calls.count, calls.completed, calls.cancelled), (12, 12, 0));
}

#[tokio::test]
async fn delays_hold_the_answer_back() {
    let server = MockServer::start(MockConfig::default()).await;
    server.script(vec![Step::Image { delay_ms: 2_000 }]);
    let request = image_request("slow", json!({}));

    let slow = {
        let addr = server.addr;
        let body = request.to_string();
        tokio::spawn(async move {
            crate::client::send(addr, "POST", "/v1/responses", Some(KEY), &body).await
        })
    };
    // The slow request has taken the scripted step before the fast one starts.
    wait_for_calls(&server, |calls| calls.count == 1).await;
    let fast = post(&server, &request).await;
    assert_eq!(fast.status, 200);
    assert_eq!(server.calls().completed, 1, "fast answer came first");

    let slow = slow.await.expect("slow task");
    assert_eq!(slow.status, 200);
    assert_eq!(server.calls().completed, 2);
}

#[tokio::test]
async fn a_client_that_disconnects_mid_request_counts_as_cancelled() {
    let server = MockServer::start(MockConfig::default()).await;
    server.script(vec![Step::Image { delay_ms: 30_000 }]);
    let body = image_request("never mind", json!({})).to_string();

    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    stream
        .write_all(raw_request(server.addr, "POST", "/v1/responses", Some(KEY), &body).as_bytes())
        .await
        .expect("write request");
    wait_for_calls(&server, |calls| calls.count == 1).await;
    drop(stream);

    let calls = wait_for_calls(&server, |calls| calls.cancelled == 1).await;
    assert_eq!(calls.completed, 0);
    assert_eq!(calls.requests[0].body["input"], "never mind");
}
