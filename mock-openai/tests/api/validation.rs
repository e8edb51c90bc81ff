//! Requests OpenAI would reject: 400 `invalid_request_error` with the right
//! `param` and `code`, and no scripted reply used up.

use mock_openai::{MockConfig, MockServer, Step};
use serde_json::{json, Value};

use crate::client::{image_request, post, post_raw};

/// Asserts a 400 invalid_request_error with this param and code.
fn assert_rejected(reply: &crate::client::Reply, param: Value, code: Value) -> Value {
    assert_eq!(reply.status, 400, "{}", reply.body);
    let error = reply.error();
    assert_eq!(error["type"], "invalid_request_error", "{error}");
    assert_eq!(error["param"], param, "{error}");
    assert_eq!(error["code"], code, "{error}");
    assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
    error
}

#[tokio::test]
async fn malformed_bodies() {
    let server = MockServer::start(MockConfig::default()).await;

    let error = assert_rejected(
        &post_raw(&server, "{\"model\":").await,
        Value::Null,
        Value::Null,
    );
    assert!(error["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("We could not parse the JSON body of your request.")));

    let mut no_model = image_request("x", json!({}));
    no_model.as_object_mut().map(|body| body.remove("model"));
    let error = assert_rejected(
        &post(&server, &no_model).await,
        json!("model"),
        json!("missing_required_parameter"),
    );
    assert_eq!(error["message"], "Missing required parameter: 'model'.");

    let mut no_input = image_request("x", json!({}));
    no_input["input"] = Value::Null;
    assert_rejected(
        &post(&server, &no_input).await,
        json!("input"),
        json!("missing_required_parameter"),
    );

    let mut bad_input = image_request("x", json!({}));
    bad_input["input"] = json!(42);
    assert_rejected(
        &post(&server, &bad_input).await,
        json!("input"),
        json!("invalid_type"),
    );

    let mut bad_item = image_request("x", json!({}));
    bad_item["input"] = json!([{"role": "user", "content": [{"type": "input_text"}]}]);
    assert_rejected(
        &post(&server, &bad_item).await,
        json!("input[0].content[0].text"),
        json!("missing_required_parameter"),
    );

    let mut unknown = image_request("x", json!({}));
    unknown["temprature"] = json!(1);
    let error = assert_rejected(
        &post(&server, &unknown).await,
        json!("temprature"),
        json!("unknown_parameter"),
    );
    assert_eq!(error["message"], "Unknown parameter: 'temprature'.");
}

#[tokio::test]
async fn the_image_tool_is_required() {
    let server = MockServer::start(MockConfig::default()).await;
    let mut no_tools = image_request("x", json!({}));
    no_tools.as_object_mut().map(|body| body.remove("tools"));
    assert_rejected(
        &post(&server, &no_tools).await,
        json!("tools"),
        json!("missing_required_parameter"),
    );

    let mut other_tool = image_request("x", json!({}));
    other_tool["tools"] = json!([{"type": "web_search"}]);
    assert_rejected(
        &post(&server, &other_tool).await,
        json!("tools"),
        json!("missing_required_parameter"),
    );
}

#[tokio::test]
async fn tool_fields_are_checked_with_their_paths() {
    let server = MockServer::start(MockConfig::default()).await;
    let cases = [
        (json!({"size": "512x512"}), "tools[0].size", "invalid_value"),
        (
            json!({"size": "1024x1024", "quality": "ultra"}),
            "tools[0].quality",
            "invalid_value",
        ),
        (json!({"quality": 3}), "tools[0].quality", "invalid_type"),
        (
            json!({"output_format": "gif"}),
            "tools[0].output_format",
            "invalid_value",
        ),
        (
            json!({"background": "blurry"}),
            "tools[0].background",
            "invalid_value",
        ),
        (
            json!({"moderation": "none"}),
            "tools[0].moderation",
            "invalid_value",
        ),
        (
            json!({"background": "transparent", "output_format": "jpeg"}),
            "tools[0].background",
            "invalid_value",
        ),
        (
            json!({"output_compression": 101}),
            "tools[0].output_compression",
            "integer_above_max_value",
        ),
        (
            json!({"partial_images": -1}),
            "tools[0].partial_images",
            "integer_below_min_value",
        ),
        (
            json!({"sizes": "auto"}),
            "tools[0].sizes",
            "unknown_parameter",
        ),
        // gpt-image-2 takes free-form sizes, within limits.
        (
            json!({"model": "gpt-image-2", "size": "1000x1000"}),
            "tools[0].size",
            "invalid_value",
        ),
        (
            json!({"model": "gpt-image-2", "size": "1600x512"}),
            "tools[0].size",
            "invalid_value",
        ),
        (
            json!({"model": "gpt-image-2", "size": "4096x2304"}),
            "tools[0].size",
            "invalid_value",
        ),
        // …but other image models do not.
        (
            json!({"model": "gpt-image-1", "size": "2048x1152"}),
            "tools[0].size",
            "invalid_value",
        ),
    ];
    for (tool, param, code) in cases {
        let reply = post(&server, &image_request("x", tool.clone())).await;
        assert_eq!(reply.status, 400, "{tool}: {}", reply.body);
        assert_eq!(reply.error()["param"], param, "{tool}");
        assert_eq!(reply.error()["code"], code, "{tool}");
    }

    let error = post(&server, &image_request("x", json!({"quality": "ultra"})))
        .await
        .error();
    assert_eq!(
        error["message"],
        "Invalid value: 'ultra'. Supported values are: 'low', 'medium', 'high', and 'auto'."
    );

    // The path names the image tool's real index.
    let mut second = image_request("x", json!({}));
    second["tools"] = json!([{"type": "web_search"},
                             {"type": "image_generation", "output_format": "bmp"}]);
    assert_rejected(
        &post(&server, &second).await,
        json!("tools[1].output_format"),
        json!("invalid_value"),
    );
}

#[tokio::test]
async fn unknown_previous_ids_are_rejected() {
    let server = MockServer::start(MockConfig::default()).await;
    let mut follow_up = image_request("x", json!({}));
    follow_up["previous_response_id"] = json!("resp_0123456789abcdef01234567");
    let error = assert_rejected(
        &post(&server, &follow_up).await,
        json!("previous_response_id"),
        json!("previous_response_not_found"),
    );
    assert_eq!(
        error["message"],
        "Previous response with id 'resp_0123456789abcdef01234567' not found."
    );

    let mut by_item = image_request("x", json!({}));
    by_item["input"] = json!([
        {"role": "user", "content": "again"},
        {"type": "image_generation_call", "id": "ig_nope"},
    ]);
    let error = assert_rejected(
        &post(&server, &by_item).await,
        json!("input[1]"),
        Value::Null,
    );
    assert_eq!(error["message"], "Item with id 'ig_nope' not found.");
}

#[tokio::test]
async fn rejected_requests_do_not_use_up_scripted_replies() {
    let server = MockServer::start(MockConfig::default()).await;
    server.script(vec![Step::ServerError {
        status: 503,
        delay_ms: 0,
    }]);
    assert_eq!(post_raw(&server, "not json").await.status, 400);
    assert_eq!(
        post(&server, &image_request("x", json!({}))).await.status,
        503
    );
    assert_eq!(
        post(&server, &image_request("x", json!({}))).await.status,
        200
    );
}
