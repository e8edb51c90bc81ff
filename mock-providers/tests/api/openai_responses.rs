//! OpenAI's Responses API with the `image_generation` tool (§1): validation
//! wording, stored responses and refinements, scripted errors, auth, event
//! streams, and how the ledger counts streams.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::prelude::{Engine, BASE64_STANDARD};
use mock_providers::{
    Calls, KeyOutcome, MockConfig, MockServer, OpenAiStep, Provider, RecordedBody, Step,
};
use serde_json::{json, Value};

use crate::common::{
    canned_openai_errors, client, send, sse_frames, start, url, wait_for_calls, Reply,
};

const KEY: &str = "sk-test-key-1234";

fn responses_url(server: &MockServer) -> String {
    url(server, Provider::OpenAi, "/responses")
}

async fn post(server: &MockServer, body: &Value) -> Reply {
    send(
        client()
            .post(responses_url(server))
            .bearer_auth(KEY)
            .json(body),
    )
    .await
}

/// A body sent as it is, labelled JSON.
async fn post_raw(server: &MockServer, body: &'static str) -> Reply {
    send(
        client()
            .post(responses_url(server))
            .bearer_auth(KEY)
            .header("content-type", "application/json")
            .body(body),
    )
    .await
}

async fn get_response(server: &MockServer, id: &str) -> Reply {
    send(
        client()
            .get(format!("{}/{id}", responses_url(server)))
            .bearer_auth(KEY),
    )
    .await
}

/// `POST /__mock/…` of the mock's own control API.
async fn control(server: &MockServer, path: &str, body: Option<Value>) -> Reply {
    let request = client().post(format!("http://{}/__mock/{path}", server.addr));
    send(match body {
        Some(body) => request.json(&body),
        None => request,
    })
    .await
}

/// The `error` object of an OpenAI error envelope.
fn error_of(reply: &Reply) -> Value {
    let body = reply.json();
    assert!(body["error"].is_object(), "not an error envelope: {body}");
    body["error"].clone()
}

/// Asserts a 400 `invalid_request_error` with this param and code, and a
/// message; returns the error.
fn assert_rejected(reply: &Reply, param: Value, code: Value) -> Value {
    assert_eq!(reply.status, 400, "{}", reply.text);
    let error = error_of(reply);
    assert_eq!(error["type"], "invalid_request_error", "{error}");
    assert_eq!(error["param"], param, "{error}");
    assert_eq!(error["code"], code, "{error}");
    assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
    error
}

/// A minimal valid request: string input, image tool with `tool`'s fields.
fn image_request(prompt: &str, tool: Value) -> Value {
    let mut image_tool = json!({"type": "image_generation"});
    if let (Some(target), Some(extra)) = (image_tool.as_object_mut(), tool.as_object()) {
        target.extend(extra.clone());
    }
    json!({
        "model": "gpt-5",
        "input": prompt,
        "tools": [image_tool],
        "tool_choice": {"type": "image_generation"},
    })
}

/// The `image_generation_call` item of a Response.
fn image_call(response: &Value) -> Value {
    response["output"]
        .as_array()
        .and_then(|items| {
            items
                .iter()
                .find(|item| item["type"] == "image_generation_call")
        })
        .cloned()
        .unwrap_or_else(|| panic!("no image_generation_call in {response}"))
}

/// Decodes a `result` (bare base64) and returns the PNG bytes and size,
/// checking every chunk's CRC on the way, the padding chunk's included.
fn decode_png(result: &Value) -> (Vec<u8>, u32, u32) {
    let bytes = BASE64_STANDARD
        .decode(result.as_str().expect("result is a string"))
        .expect("result is bare base64");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    // Strict: by default the png crate forgives bad CRCs on ancillary chunks.
    let mut options = png::DecodeOptions::default();
    options.set_skip_ancillary_crc_failures(false);
    let mut reader = png::Decoder::new_with_options(&bytes[..], options)
        .read_info()
        .expect("PNG header");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).expect("PNG image data");
    reader.finish().expect("PNG trailing chunks");
    (bytes, info.width, info.height)
}

fn png_size(result: &Value) -> (u32, u32) {
    let (_, width, height) = decode_png(result);
    (width, height)
}

fn is_id(value: &Value, prefix: &str) -> bool {
    value.as_str().is_some_and(|id| {
        id.len() == prefix.len() + 24
            && id.starts_with(prefix)
            && id[prefix.len()..].chars().all(|c| c.is_ascii_hexdigit())
    })
}

/// The events of an SSE body, checking that each event's `type` is its
/// `event:` name.
fn stream_events(text: &str) -> Vec<Value> {
    sse_frames(text)
        .into_iter()
        .map(|(name, data)| {
            let event: Value = serde_json::from_str(&data).expect("event data is JSON");
            assert_eq!(event["type"].as_str(), name.as_deref(), "{event}");
            event
        })
        .collect()
}

fn names(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|event| event["type"].as_str().expect("type"))
        .collect()
}

/// The next chunk of a streamed body, failing if none comes within ten seconds.
async fn next_chunk(response: &mut reqwest::Response) -> Option<String> {
    tokio::time::timeout(Duration::from_secs(10), response.chunk())
        .await
        .expect("a chunk within ten seconds")
        .expect("body readable")
        .map(|chunk| String::from_utf8_lossy(&chunk).into_owned())
}

// ---- auth ----

#[tokio::test]
async fn a_missing_or_unusable_key_is_401_without_code() {
    let server = start().await;
    let body = image_request("x", json!({}));
    for auth in [None, Some("Bearer "), Some("Basic dXNlcjpwYXNz")] {
        let mut request = client().post(responses_url(&server)).json(&body);
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        let reply = send(request).await;
        assert_eq!(reply.status, 401, "{auth:?}");
        let error = error_of(&reply);
        assert!(
            error["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("You didn't provide an API key.")),
            "{error}"
        );
        assert_eq!(error["type"], "invalid_request_error");
        assert_eq!(error["param"], Value::Null);
        assert_eq!(error["code"], Value::Null);
    }
    // Any non-empty key is fine when none is configured.
    let any = send(
        client()
            .post(responses_url(&server))
            .bearer_auth("anything")
            .json(&body),
    )
    .await;
    assert_eq!(any.status, 200, "{}", any.text);

    let outcomes: Vec<KeyOutcome> = server
        .calls()
        .requests
        .iter()
        .map(|request| request.auth.outcome)
        .collect();
    assert_eq!(
        outcomes,
        [
            KeyOutcome::Missing,
            KeyOutcome::Missing,
            KeyOutcome::Missing,
            KeyOutcome::Accepted
        ]
    );
}

#[tokio::test]
async fn a_wrong_key_is_401_invalid_api_key_echoing_part_of_it_before_the_body_is_read() {
    let server = MockServer::start(
        MockConfig::default().with_api_key(Provider::OpenAi, "sk-right-key-0000"),
    )
    .await;
    let body = image_request("x", json!({}));
    let endpoint = responses_url(&server);

    let wrong = send(
        client()
            .post(&endpoint)
            .bearer_auth("sk-wrong-key-wxyz")
            .json(&body),
    )
    .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(
        error_of(&wrong),
        json!({
            "message": "Incorrect API key provided: sk-wr***wxyz. You can find your API key at https://platform.openai.com/account/api-keys.",
            "type": "invalid_request_error",
            "param": null,
            "code": "invalid_api_key",
        })
    );

    let right = send(
        client()
            .post(&endpoint)
            .bearer_auth("sk-right-key-0000")
            .json(&body),
    )
    .await;
    assert_eq!(right.status, 200, "{}", right.text);
    // Auth is checked before the body is even parsed.
    let unparsable = send(client().post(&endpoint).body("not json")).await;
    assert_eq!(unparsable.status, 401);
    // GET is authenticated too: a 404 with the right key, 401 without it.
    let lookup = format!("{endpoint}/resp_x");
    assert_eq!(send(client().get(&lookup)).await.status, 401);
    let wrong_get = send(client().get(&lookup).bearer_auth("sk-wrong-key-wxyz")).await;
    assert_eq!(
        (wrong_get.status, error_of(&wrong_get)["code"].as_str()),
        (401, Some("invalid_api_key"))
    );
    let right_get = send(client().get(&lookup).bearer_auth("sk-right-key-0000")).await;
    assert_eq!(right_get.status, 404);
}

// ---- routes, ledger, reset, scripts over HTTP ----

#[tokio::test]
async fn responses_calls_are_recorded_and_a_reset_forgets_stored_responses() {
    let server = start().await;
    let request = image_request("a lamp", json!({}));
    let created = post(&server, &request).await.json();
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(get_response(&server, &id).await.status, 200);

    let calls = server.calls();
    assert_eq!((calls.count, calls.completed, calls.cancelled), (2, 2, 0));
    let posted = &calls.requests[0];
    assert_eq!(posted.provider, Provider::OpenAi);
    assert_eq!(
        (posted.method.as_str(), posted.path.as_str()),
        ("POST", "/openai/v1/responses")
    );
    assert_eq!(posted.auth.outcome, KeyOutcome::Accepted);
    assert_eq!(posted.body.json(), Some(&request));
    let fetched = &calls.requests[1];
    assert_eq!(
        (fetched.method.as_str(), fetched.path.clone()),
        ("GET", format!("/openai/v1/responses/{id}"))
    );
    assert_eq!(fetched.body, RecordedBody::Empty);

    assert_eq!(control(&server, "reset", None).await.status, 204);
    assert_eq!(server.calls(), Calls::default());
    assert_eq!(get_response(&server, &id).await.status, 404);
    let mut follow_up = image_request("brighter", json!({}));
    follow_up["previous_response_id"] = json!(id);
    assert_eq!(
        error_of(&post(&server, &follow_up).await)["code"],
        "previous_response_not_found"
    );
}

#[tokio::test]
async fn other_methods_on_the_responses_routes_get_openais_404() {
    let server = start().await;
    let listing = send(client().get(responses_url(&server)).bearer_auth(KEY)).await;
    assert_eq!(listing.status, 404);
    assert_eq!(listing.header("openai-version"), Some("2020-10-01"));
    assert_eq!(
        error_of(&listing),
        json!({"message": "Invalid URL (GET /v1/responses)", "type": "invalid_request_error",
               "param": null, "code": null})
    );
    let posted = send(
        client()
            .post(format!("{}/resp_x", responses_url(&server)))
            .bearer_auth(KEY)
            .json(&image_request("x", json!({}))),
    )
    .await;
    assert_eq!(posted.status, 404);
    assert_eq!(
        error_of(&posted)["message"],
        "Invalid URL (POST /v1/responses/resp_x)"
    );
}

#[tokio::test]
async fn image_error_and_failed_steps_are_scripted_over_http_and_bad_ones_refused() {
    let server = start().await;
    let script = json!({"steps": [
        {"provider": "openai", "respond": "image", "delay_ms": 1},
        {"provider": "openai", "respond": "error", "status": 409, "type": "conflict_error",
         "message": "Try later.", "headers": {"x-should-retry": "false"}},
        {"provider": "openai", "respond": "failed", "code": "image_content_policy_violation"},
    ]});
    let scripted = control(&server, "script", Some(script)).await;
    assert_eq!(scripted.status, 204, "{}", scripted.text);

    let request = image_request("x", json!({}));
    let image = post(&server, &request).await;
    assert_eq!(image.status, 200);
    assert_eq!(image_call(&image.json())["status"], "completed");
    let conflict = post(&server, &request).await;
    assert_eq!(conflict.status, 409, "the image step was used up");
    assert_eq!(conflict.header("x-should-retry"), Some("false"));
    assert_eq!(
        error_of(&conflict),
        json!({"message": "Try later.", "type": "conflict_error", "param": null, "code": null})
    );
    let failed = post(&server, &request).await.json();
    assert_eq!(
        failed["error"],
        json!({"code": "image_content_policy_violation",
               "message": "The image could not be generated."})
    );

    server.script(vec![Step::from(OpenAiStep::InsufficientQuota)]);
    for bad in [
        json!({"provider": "openai", "respond": "error", "status": 200, "type": "t", "message": "m"}),
        json!({"provider": "openai", "respond": "error", "status": 400, "type": "t", "message": "m",
               "headers": {"bad name": "x"}}),
        json!({"provider": "openai", "respond": "error", "status": 400, "message": "m"}),
        json!({"provider": "openai", "respond": "failed"}),
    ] {
        let reply = control(&server, "script", Some(json!({"steps": [bad.clone()]}))).await;
        assert_eq!(reply.status, 400, "{bad}");
        assert!(
            reply.json()["error"]
                .as_str()
                .is_some_and(|e| e.starts_with("Invalid script")),
            "{bad}: {}",
            reply.text
        );
    }
    assert_eq!(
        post(&server, &request).await.status,
        429,
        "the old script still stands"
    );
}

// ---- scripted replies ----

#[tokio::test]
async fn scripted_steps_are_answered_in_order_then_success_by_default() {
    let server = start().await;
    let mut steps = canned_openai_errors();
    steps.extend([
        OpenAiStep::Error {
            status: 409,
            kind: "conflict_error".to_owned(),
            code: Some("busy".to_owned()),
            param: Some("input".to_owned()),
            message: "Try later.".to_owned(),
            headers: BTreeMap::from([("x-should-retry".to_owned(), "false".to_owned())]),
        }
        .into(),
        OpenAiStep::Failed {
            code: "image_content_policy_violation".to_owned(),
            message: "Blocked by policy.".to_owned(),
        }
        .into(),
    ]);
    server.script(steps);
    // The tool's model is what rate limits and verification quote; the
    // request's own model is what model_not_found quotes.
    let request = image_request("x", json!({"model": "gpt-image-1.5"}));

    let reply = post(&server, &request).await;
    assert_eq!(reply.status, 429);
    let error = error_of(&reply);
    assert_eq!(error["code"], "rate_limit_exceeded");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Rate limit reached for gpt-image-1.5 ")
                && m.contains("Please try again in 1.5s.")),
        "{error}"
    );
    assert_eq!(reply.header("retry-after-ms"), Some("1500"));
    assert_eq!(reply.header("retry-after"), Some("2"));

    let reply = post(&server, &request).await;
    assert_eq!(reply.status, 429);
    assert_eq!(reply.header("retry-after-ms"), None);
    assert_eq!(reply.header("retry-after"), None);

    let reply = post(&server, &request).await;
    assert_eq!(reply.status, 429);
    assert_eq!(error_of(&reply)["type"], "insufficient_quota");
    assert_eq!(error_of(&reply)["code"], "insufficient_quota");

    let reply = post(&server, &request).await;
    assert_eq!(reply.status, 401);
    assert_eq!(error_of(&reply)["code"], "invalid_api_key");
    assert!(error_of(&reply)["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("Incorrect API key provided: sk-te***1234.")));

    let reply = post(&server, &request).await;
    assert_eq!(reply.status, 400);
    let error = error_of(&reply);
    assert_eq!(error["type"], "image_generation_user_error");
    assert_eq!(error["code"], "moderation_blocked");
    assert_eq!(error["param"], Value::Null);
    assert_eq!(
        error["moderation_details"],
        json!({"moderation_stage": "output", "categories": ["sexual"]})
    );

    let reply = post(&server, &request).await;
    assert_eq!(
        (reply.status, error_of(&reply)["code"].as_str()),
        (400, Some("content_policy_violation"))
    );

    let reply = post(&server, &request).await;
    assert_eq!(reply.status, 403);
    assert!(error_of(&reply)["message"]
        .as_str()
        .is_some_and(|m| m
            .starts_with("Your organization must be verified to use the model `gpt-image-1.5`.")));

    let reply = post(&server, &request).await;
    assert_eq!(reply.status, 404);
    assert_eq!(
        error_of(&reply),
        json!({"message": "The model `gpt-5` does not exist or you do not have access to it.",
               "type": "invalid_request_error", "param": null, "code": "model_not_found"})
    );

    let reply = post(&server, &request).await;
    assert_eq!(reply.status, 502);
    assert_eq!(error_of(&reply)["type"], "server_error");

    let reply = post(&server, &request).await;
    assert_eq!(reply.status, 409);
    assert_eq!(reply.header("x-should-retry"), Some("false"));
    assert_eq!(
        error_of(&reply),
        json!({"message": "Try later.", "type": "conflict_error", "param": "input", "code": "busy"})
    );

    let reply = post(&server, &request).await;
    assert_eq!(reply.status, 200);
    let body = reply.json();
    assert!(is_id(&body["id"], "resp_"), "{}", body["id"]);
    assert_eq!(body["status"], "failed");
    assert_eq!(
        body["error"],
        json!({"code": "image_content_policy_violation", "message": "Blocked by policy."})
    );
    assert_eq!(body["output"], json!([]));
    assert!(!reply.text.contains("image_generation_call"));
    // A failed response is stored like any other.
    let id = body["id"].as_str().expect("id");
    assert_eq!(get_response(&server, id).await.json(), body);

    // Queue empty: default success, again and again.
    for _ in 0..2 {
        let reply = post(&server, &request).await;
        assert_eq!(reply.status, 200);
        assert_eq!(image_call(&reply.json())["status"], "completed");
    }
    let calls = server.calls();
    assert_eq!((calls.count, calls.completed, calls.cancelled), (14, 14, 0));
}

#[tokio::test]
async fn a_delayed_step_holds_its_answer_back_while_later_requests_pass() {
    let server = start().await;
    server.script(vec![Step::from(OpenAiStep::Images).delayed(2_000)]);
    let request = image_request("slow", json!({}));

    let slow = {
        let call = client()
            .post(responses_url(&server))
            .bearer_auth(KEY)
            .json(&request);
        tokio::spawn(send(call))
    };
    // The slow request has taken the scripted step before the fast one starts.
    wait_for_calls(&server, |calls| calls.count == 1).await;
    let fast = post(&server, &request).await;
    assert_eq!(fast.status, 200);
    assert_eq!(server.calls().completed, 1, "the fast answer came first");

    let slow = slow.await.expect("slow task");
    assert_eq!(slow.status, 200);
    assert_eq!(server.calls().completed, 2);
}

// ---- validation ----

#[tokio::test]
async fn malformed_bodies_are_400_with_param_and_code() {
    let server = start().await;

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
async fn the_image_generation_tool_is_required() {
    let server = start().await;
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
async fn image_tool_fields_are_checked_with_their_paths() {
    let server = start().await;
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
            json!({"partial_images": 4}),
            "tools[0].partial_images",
            "integer_above_max_value",
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
        assert_eq!(reply.status, 400, "{tool}: {}", reply.text);
        assert_eq!(error_of(&reply)["param"], param, "{tool}");
        assert_eq!(error_of(&reply)["code"], code, "{tool}");
    }

    let error = error_of(&post(&server, &image_request("x", json!({"quality": "ultra"}))).await);
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
async fn unknown_previous_response_and_image_call_ids_are_rejected() {
    let server = start().await;
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
    let server = start().await;
    server.script(vec![Step::from(OpenAiStep::ServerError { status: 503 })]);
    assert_eq!(post_raw(&server, "not json").await.status, 400);
    let mut unknown = image_request("x", json!({}));
    unknown["temprature"] = json!(1);
    assert_eq!(post(&server, &unknown).await.status, 400);
    assert_eq!(
        post(&server, &image_request("x", json!({}))).await.status,
        503
    );
    assert_eq!(
        post(&server, &image_request("x", json!({}))).await.status,
        200
    );
}

// ---- successful generations and edits ----

#[tokio::test]
async fn generation_has_the_recorded_shape_and_a_png_of_the_requested_size() {
    let server = start().await;
    let reply = post(
        &server,
        &image_request("a cat", json!({"size": "1024x1536"})),
    )
    .await;

    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.header("openai-version"), Some("2020-10-01"));
    assert!(reply
        .header("x-request-id")
        .is_some_and(|id| id.starts_with("req_")));
    assert!(reply
        .header("openai-processing-ms")
        .is_some_and(|ms| ms.parse::<u64>().is_ok()));

    let body = reply.json();
    assert!(is_id(&body["id"], "resp_"), "{}", body["id"]);
    assert_eq!(body["object"], "response");
    assert!(body["created_at"]
        .as_u64()
        .is_some_and(|t| t > 1_700_000_000));
    assert_eq!(body["status"], "completed");
    assert_eq!(body["error"], Value::Null);
    assert_eq!(body["model"], "gpt-5");
    assert_eq!(body["previous_response_id"], Value::Null);
    assert_eq!(body["store"], true);
    assert_eq!(body["tool_choice"], json!({"type": "image_generation"}));
    assert_eq!(
        body["tools"],
        json!([{"type": "image_generation", "background": "auto", "model": "gpt-image-1",
                "moderation": "auto", "n": 1, "output_compression": 100,
                "output_format": "png", "quality": "auto", "size": "1024x1536"}])
    );
    assert!(body["usage"]["total_tokens"]
        .as_u64()
        .is_some_and(|n| n > 0));

    let types: Vec<&str> = body["output"]
        .as_array()
        .expect("output array")
        .iter()
        .filter_map(|item| item["type"].as_str())
        .collect();
    assert_eq!(types, ["reasoning", "image_generation_call", "message"]);

    let call = image_call(&body);
    assert!(is_id(&call["id"], "ig_"), "{}", call["id"]);
    assert_eq!(call["status"], "completed");
    assert_eq!(call["action"], "generate");
    assert_eq!(call["background"], "opaque");
    assert_eq!(call["output_format"], "png");
    assert_eq!(call["quality"], "high");
    assert_eq!(call["size"], "1024x1536");
    assert_eq!(call["revised_prompt"], "A detailed rendering of: a cat");
    assert_eq!(png_size(&call["result"]), (1024, 1536));
}

#[tokio::test]
async fn null_fields_are_accepted_and_auto_means_1024_square() {
    let server = start().await;
    // What pydantic-ai's recorded client really sends: explicit nulls.
    let request = json!({
        "model": "gpt-5", "input": "a boat", "stream": null, "store": null,
        "previous_response_id": null, "instructions": null,
        "tools": [{"type": "image_generation", "background": "auto", "input_fidelity": null,
                   "moderation": "auto", "output_compression": 100, "output_format": "png",
                   "partial_images": 0, "quality": null, "size": "auto", "model": null,
                   "action": null}],
    });
    let reply = post(&server, &request).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let call = image_call(&reply.json());
    assert_eq!(call["size"], "1024x1024");
    assert_eq!(call["quality"], "high");
    assert_eq!(png_size(&call["result"]), (1024, 1024));
}

#[tokio::test]
async fn different_prompts_give_different_images() {
    let server = start().await;
    let mut results = Vec::new();
    for prompt in ["a red fox", "a blue whale", "a red fox"] {
        let reply = post(&server, &image_request(prompt, json!({}))).await;
        results.push(image_call(&reply.json())["result"].clone());
    }
    assert_ne!(results[0], results[1]);
    assert_eq!(results[0], results[2], "same prompt, same picture");
}

#[tokio::test]
async fn edit_by_previous_response_id_refines_the_earlier_prompt() {
    let server = start().await;
    let first = post(&server, &image_request("a cat", json!({})))
        .await
        .json();

    let mut follow_up = image_request("make it blue", json!({}));
    follow_up["previous_response_id"] = first["id"].clone();
    let second = post(&server, &follow_up).await.json();
    assert_eq!(second["previous_response_id"], first["id"]);
    let call = image_call(&second);
    assert_eq!(call["action"], "edit");
    assert_eq!(
        call["revised_prompt"],
        "A detailed rendering of: a cat, refined: make it blue"
    );

    // Chains keep growing.
    let mut third = image_request("and smaller", json!({}));
    third["previous_response_id"] = second["id"].clone();
    let call = image_call(&post(&server, &third).await.json());
    assert_eq!(
        call["revised_prompt"],
        "A detailed rendering of: a cat, refined: make it blue, refined: and smaller"
    );
}

#[tokio::test]
async fn edit_by_image_call_item_uses_the_user_text_parts() {
    let server = start().await;
    let first = post(&server, &image_request("a house", json!({})))
        .await
        .json();
    let first_call = image_call(&first);

    let mut edit = image_request("", json!({"size": "1536x1024"}));
    edit["input"] = json!([
        {"role": "user", "content": [
            {"type": "input_text", "text": "add a garden"},
            {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0KGgo="},
            {"type": "input_text", "text": "at dusk"}]},
        {"type": "image_generation_call", "id": first_call["id"]},
    ]);
    let reply = post(&server, &edit).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let call = image_call(&reply.json());
    assert_eq!(call["action"], "edit");
    assert_eq!(
        call["revised_prompt"],
        "A detailed rendering of: a house, refined: add a garden at dusk"
    );
    assert_eq!(png_size(&call["result"]), (1536, 1024));
}

#[tokio::test]
async fn stored_responses_come_back_from_get_and_unknown_ids_are_404() {
    let server = start().await;
    let created = post(&server, &image_request("a lamp", json!({})))
        .await
        .json();
    let id = created["id"].as_str().expect("id");

    let fetched = get_response(&server, id).await;
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.json(), created);

    let missing = get_response(&server, "resp_nope").await;
    assert_eq!(missing.status, 404);
    assert_eq!(
        error_of(&missing),
        json!({"message": "Response with id 'resp_nope' not found.",
               "type": "invalid_request_error", "param": null, "code": null})
    );
}

#[tokio::test]
async fn store_false_responses_cannot_be_fetched_or_continued() {
    let server = start().await;
    let mut request = image_request("a tree", json!({}));
    request["store"] = json!(false);
    let created = post(&server, &request).await.json();
    assert_eq!(created["store"], false);
    let id = created["id"].as_str().expect("id");
    let call_id = image_call(&created)["id"].clone();

    assert_eq!(get_response(&server, id).await.status, 404);
    let mut follow_up = image_request("taller", json!({}));
    follow_up["previous_response_id"] = json!(id);
    let reply = post(&server, &follow_up).await;
    assert_eq!(error_of(&reply)["code"], "previous_response_not_found");
    let mut by_item = image_request("x", json!({}));
    by_item["input"] = json!([{"type": "image_generation_call", "id": call_id}]);
    assert_rejected(
        &post(&server, &by_item).await,
        json!("input[0]"),
        Value::Null,
    );
}

#[tokio::test]
async fn gpt_image_2_accepts_free_form_sizes() {
    let server = start().await;
    let request = image_request(
        "a wide view",
        json!({"model": "gpt-image-2", "size": "2048x1152"}),
    );
    let reply = post(&server, &request).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let call = image_call(&reply.json());
    assert_eq!(call["size"], "2048x1152");
    assert_eq!(png_size(&call["result"]), (2048, 1152));
}

#[tokio::test]
async fn padding_makes_a_valid_png_of_about_the_asked_size() {
    let padding = 1_500_000;
    let server = MockServer::start(MockConfig {
        image_padding_bytes: padding,
        ..MockConfig::default()
    })
    .await;
    let created = post(&server, &image_request("a big one", json!({})))
        .await
        .json();
    let (bytes, width, height) = decode_png(&image_call(&created)["result"]);
    assert_eq!((width, height), (1024, 1024));
    assert!(
        bytes.len() > padding && bytes.len() < padding + 200_000,
        "PNG is {} bytes",
        bytes.len()
    );
    // GET draws the stored picture again, padding and all.
    let id = created["id"].as_str().expect("id");
    let fetched = get_response(&server, id).await.json();
    assert_eq!(
        image_call(&fetched)["result"],
        image_call(&created)["result"]
    );
}

// ---- event streams ----

#[tokio::test]
async fn streams_tell_the_response_as_events_with_previews_then_the_image() {
    let server = start().await;
    let mut request = image_request("a kite", json!({"partial_images": 2, "size": "1536x1024"}));
    request["stream"] = json!(true);
    let reply = post(&server, &request).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/event-stream")));
    let events = stream_events(&reply.text);
    assert_eq!(
        names(&events),
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.image_generation_call.in_progress",
            "response.image_generation_call.generating",
            "response.image_generation_call.partial_image",
            "response.image_generation_call.partial_image",
            "response.output_item.done",
            "response.image_generation_call.completed",
            "response.completed",
        ]
    );
    for (index, event) in events.iter().enumerate() {
        assert_eq!(event["sequence_number"], index, "{event}");
    }

    let created = &events[0]["response"];
    assert!(is_id(&created["id"], "resp_"), "{created}");
    assert_eq!(created["status"], "in_progress");
    assert_eq!(created["output"], json!([]));
    assert_eq!(created["usage"], Value::Null);

    let finished = &events[9]["response"];
    assert_eq!(finished["id"], created["id"]);
    assert_eq!(finished["status"], "completed");
    let call = image_call(finished);
    assert_eq!(call["revised_prompt"], "A detailed rendering of: a kite");
    assert_eq!(png_size(&call["result"]), (1536, 1024));
    assert_eq!(events[2]["output_index"], 1);
    assert_eq!(events[2]["item"]["id"], call["id"]);
    assert_eq!(events[2]["item"]["status"], "in_progress");
    for preview in [&events[5], &events[6]] {
        assert_eq!(preview["item_id"], call["id"]);
        assert_eq!(png_size(&preview["partial_image_b64"]), (1536, 1024));
    }
    assert_eq!(events[5]["partial_image_index"], 0);
    assert_eq!(events[6]["partial_image_index"], 1);
    assert_eq!(events[7]["item"], call);
    assert_eq!(events[8]["item_id"], call["id"]);

    // The streamed Response is stored like any other.
    let id = finished["id"].as_str().expect("id");
    assert_eq!(get_response(&server, id).await.json(), *finished);

    // No previews asked, none sent.
    let mut plain = image_request("a kite", json!({}));
    plain["stream"] = json!(true);
    let plain = stream_events(&post(&server, &plain).await.text);
    assert!(!names(&plain).contains(&"response.image_generation_call.partial_image"));
    assert_eq!(names(&plain).last(), Some(&"response.completed"));
}

#[tokio::test]
async fn a_failed_step_streams_created_in_progress_then_failed() {
    let server = start().await;
    server.script(vec![Step::from(OpenAiStep::Failed {
        code: "image_generation_failed".to_owned(),
        message: "Blocked.".to_owned(),
    })]);
    let mut request = image_request("x", json!({"partial_images": 2}));
    request["stream"] = json!(true);
    let reply = post(&server, &request).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let events = stream_events(&reply.text);
    assert_eq!(
        names(&events),
        [
            "response.created",
            "response.in_progress",
            "response.failed"
        ]
    );
    let failed = &events[2]["response"];
    assert_eq!(failed["status"], "failed");
    assert_eq!(
        failed["error"],
        json!({"code": "image_generation_failed", "message": "Blocked."})
    );
    assert_eq!(failed["output"], json!([]));
    let id = failed["id"].as_str().expect("id");
    assert_eq!(get_response(&server, id).await.json(), *failed);
}

/// A streamed generation of `prompt` with `previews` previews, and its first chunk, which
/// opens the Response (`response.created`) before any drawing.
async fn start_stream(
    server: &MockServer,
    prompt: &str,
    previews: u32,
) -> (reqwest::Response, String) {
    let mut request = image_request(prompt, json!({"partial_images": previews}));
    request["stream"] = json!(true);
    let mut response = client()
        .post(responses_url(server))
        .bearer_auth(KEY)
        .json(&request)
        .send()
        .await
        .expect("stream starts");
    let first = next_chunk(&mut response).await.expect("a first chunk");
    assert!(first.contains("response.created"), "{first}");
    (response, first)
}

#[tokio::test]
async fn a_stream_counts_as_completed_only_once_read_to_its_end() {
    let server = start().await;
    // One preview: the delay is spent in two halves, before it and before the picture.
    server.script(vec![Step::from(OpenAiStep::Images).delayed(3_000)]);
    let (mut response, first) = start_stream(&server, "x", 1).await;
    let calls = server.calls();
    assert_eq!(
        (calls.count, calls.completed, calls.cancelled),
        (1, 0, 0),
        "not answered while events are still to come"
    );

    let mut text = first;
    while let Some(chunk) = next_chunk(&mut response).await {
        text.push_str(&chunk);
    }
    assert_eq!(
        names(&stream_events(&text)).last(),
        Some(&"response.completed"),
        "{text}"
    );
    let calls = wait_for_calls(&server, |calls| calls.completed == 1).await;
    assert_eq!(calls.cancelled, 0);
}

#[tokio::test]
async fn a_stream_dropped_midway_counts_as_cancelled() {
    let server = start().await;
    // Twenty seconds before each preview: the client leaves long before the end.
    server.script(vec![Step::from(OpenAiStep::Images).delayed(60_000)]);
    // The first events come at once, not after the delay.
    let (response, _) = start_stream(&server, "never mind", 2).await;
    drop(response);

    let calls = wait_for_calls(&server, |calls| calls.cancelled == 1).await;
    assert_eq!(calls.completed, 0);
    assert_eq!(
        calls.requests[0].body.json().map(|body| &body["input"]),
        Some(&json!("never mind"))
    );
}
