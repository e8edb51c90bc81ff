//! Authentication comes first, with OpenAI's two 401 wordings.

use mock_openai::{MockConfig, MockServer};
use serde_json::json;

use crate::client::{image_request, send};

async fn post_with(server: &MockServer, auth: Option<&str>, body: &str) -> crate::client::Reply {
    send(server.addr, "POST", "/v1/responses", auth, body).await
}

#[tokio::test]
async fn a_missing_or_empty_key_is_401_without_code() {
    let server = MockServer::start(MockConfig::default()).await;
    let body = image_request("x", json!({})).to_string();
    for auth in [None, Some("Bearer "), Some("Basic dXNlcjpwYXNz")] {
        let reply = post_with(&server, auth, &body).await;
        assert_eq!(reply.status, 401, "{auth:?}");
        let error = reply.error();
        assert!(error["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("You didn't provide an API key.")));
        assert_eq!(error["type"], "invalid_request_error");
        assert_eq!(error["param"], serde_json::Value::Null);
        assert_eq!(error["code"], serde_json::Value::Null);
    }
    // Any non-empty key is fine when none is configured.
    assert_eq!(
        post_with(&server, Some("Bearer anything"), &body)
            .await
            .status,
        200
    );

    let calls = server.calls();
    let present: Vec<bool> = calls
        .requests
        .iter()
        .map(|r| r.authorization_present)
        .collect();
    assert_eq!(present, [false, true, true, true]);
}

#[tokio::test]
async fn a_wrong_key_is_401_invalid_api_key_echoing_part_of_it() {
    let server = MockServer::start(MockConfig {
        api_key: Some("sk-right-key-0000".to_owned()),
        image_padding_bytes: 0,
    })
    .await;
    let body = image_request("x", json!({})).to_string();

    let reply = post_with(&server, Some("Bearer sk-wrong-key-wxyz"), &body).await;
    assert_eq!(reply.status, 401);
    assert_eq!(
        reply.error(),
        json!({
            "message": "Incorrect API key provided: sk-wr***wxyz. You can find your API key at https://platform.openai.com/account/api-keys.",
            "type": "invalid_request_error",
            "param": null,
            "code": "invalid_api_key",
        })
    );

    assert_eq!(
        post_with(&server, Some("Bearer sk-right-key-0000"), &body)
            .await
            .status,
        200
    );
    // Auth is checked before the body is even parsed.
    assert_eq!(post_with(&server, None, "not json").await.status, 401);
    // GET is authenticated too.
    let get = send(server.addr, "GET", "/v1/responses/resp_x", None, "").await;
    assert_eq!(get.status, 401);
}
