//! OpenAI Images (§2): shapes by model family, edits in both encodings,
//! validation, auth, scripted errors and streaming.

use mock_providers::{KeyOutcome, MockConfig, MockServer, OpenAiStep, Provider, Step};
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::common::{
    base64, canned_openai_errors, client, decode, download, send, sse_frames, start, url, Format,
    Reply,
};

const KEY: &str = "test-openai-key-qkzv";

async fn generate(server: &MockServer, body: Value) -> Reply {
    send(
        client()
            .post(url(server, Provider::OpenAi, "/images/generations"))
            .bearer_auth(KEY)
            .json(&body),
    )
    .await
}

fn error_of(reply: &Reply) -> Value {
    let body = reply.json();
    assert!(body["error"].is_object(), "not an error envelope: {body}");
    body["error"].clone()
}

#[tokio::test]
async fn gpt_image_models_answer_base64_with_usage_and_echoes() {
    let server = start().await;
    let reply = generate(
        &server,
        json!({"model": "gpt-image-1", "prompt": "a cat", "size": "1024x1536", "n": 2}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.header("openai-version"), Some("2020-10-01"));
    assert!(reply
        .header("x-request-id")
        .is_some_and(|id| id.starts_with("req_")));
    assert!(reply.header("openai-processing-ms").is_some());
    let body = reply.json();
    assert!(body["created"].as_u64().is_some_and(|t| t > 1_700_000_000));
    assert_eq!(body["background"], "opaque");
    assert_eq!(body["output_format"], "png");
    assert_eq!(body["quality"], "high");
    assert_eq!(body["size"], "1024x1536");
    let data = body["data"].as_array().expect("data");
    assert_eq!(data.len(), 2);
    assert!(data[0].get("url").is_none() && data[0].get("revised_prompt").is_none());
    assert_eq!(
        decode(&base64(&data[0]["b64_json"])),
        (Format::Png, 1024, 1536)
    );
    assert_ne!(
        data[0]["b64_json"], data[1]["b64_json"],
        "each image differs"
    );
    let usage = &body["usage"];
    for key in ["total_tokens", "input_tokens", "output_tokens"] {
        assert!(usage[key].as_u64().is_some_and(|n| n > 0), "{key}: {usage}");
    }
    assert!(usage["input_tokens_details"]["text_tokens"].is_u64());
    assert_eq!(usage["input_tokens_details"]["image_tokens"], 0);

    let webp = generate(
        &server,
        json!({"model": "gpt-image-1.5", "prompt": "x", "output_format": "webp", "quality": "low"}),
    )
    .await
    .json();
    assert_eq!(webp["output_format"], "webp");
    assert_eq!(webp["quality"], "low");
    assert_eq!(
        decode(&base64(&webp["data"][0]["b64_json"])),
        (Format::Webp, 1024, 1024)
    );
}

#[tokio::test]
async fn dall_e_models_answer_urls_served_by_the_mock() {
    let server = start().await;
    let body = generate(
        &server,
        json!({"model": "dall-e-3", "prompt": "a lighthouse", "size": "1024x1792", "quality": "hd"}),
    )
    .await
    .json();
    assert_eq!(
        body.as_object().map(|b| b.len()),
        Some(2),
        "only created and data: {body}"
    );
    let item = &body["data"][0];
    assert_eq!(
        item["revised_prompt"],
        "A detailed rendering of: a lighthouse"
    );
    let link = item["url"].as_str().expect("url");
    assert!(
        link.contains("/openai-delivery/private/") && link.contains("&sig="),
        "{link}"
    );
    let (status, content_type, bytes) = download(link).await;
    assert_eq!((status, content_type.as_deref()), (200, Some("image/png")));
    assert_eq!(decode(&bytes), (Format::Png, 1024, 1792));

    // b64_json on request; dall-e-2 is the default model without GPT-only fields.
    let b64 = generate(
        &server,
        json!({"prompt": "x", "response_format": "b64_json", "size": "256x256"}),
    )
    .await
    .json();
    assert!(
        b64["data"][0].get("revised_prompt").is_none(),
        "dall-e-2 has none"
    );
    assert_eq!(
        decode(&base64(&b64["data"][0]["b64_json"])),
        (Format::Png, 256, 256)
    );
    assert!(b64.get("usage").is_none());
}

#[tokio::test]
async fn edits_take_multipart_files_and_json_references_and_are_recorded() {
    let server = start().await;
    let form = Form::new()
        .text("model", "gpt-image-1.5")
        .text("prompt", "put them in a basket")
        .text("n", "1")
        .part(
            "image[]",
            Part::bytes(vec![1u8; 10])
                .file_name("lotion.png")
                .mime_str("image/png")
                .expect("mime"),
        )
        .part(
            "image[]",
            Part::bytes(vec![2u8; 20])
                .file_name("soap.png")
                .mime_str("image/png")
                .expect("mime"),
        )
        .part(
            "mask",
            Part::bytes(vec![3u8; 5])
                .file_name("mask.png")
                .mime_str("image/png")
                .expect("mime"),
        );
    let reply = send(
        client()
            .post(url(&server, Provider::OpenAi, "/images/edits"))
            .bearer_auth(KEY)
            .multipart(form),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let body = reply.json();
    assert!(body["usage"]["input_tokens_details"]["image_tokens"].as_u64() > Some(0));
    assert_eq!(decode(&base64(&body["data"][0]["b64_json"])).0, Format::Png);

    let calls = server.calls();
    let recorded = &calls.requests[0].body;
    assert_eq!(recorded.field("prompt"), Some("put them in a basket"));
    let files: Vec<(&str, Option<&str>, usize)> = recorded
        .parts()
        .iter()
        .filter(|part| part.file_name.is_some())
        .map(|part| (part.name.as_str(), part.file_name.as_deref(), part.size))
        .collect();
    assert_eq!(
        files,
        [
            ("image[]", Some("lotion.png"), 10),
            ("image[]", Some("soap.png"), 20),
            ("mask", Some("mask.png"), 5)
        ]
    );
    assert_eq!(
        recorded.parts()[3].content_type.as_deref(),
        Some("image/png")
    );

    let json_edit = send(
        client()
            .post(url(&server, Provider::OpenAi, "/images/edits"))
            .bearer_auth(KEY)
            .json(&json!({"prompt": "p", "images": [{"image_url": "https://example.test/a.png"}, {"file_id": "file-1"}]})),
    )
    .await;
    assert_eq!(json_edit.status, 200, "{}", json_edit.text);

    let no_image = send(
        client()
            .post(url(&server, Provider::OpenAi, "/images/edits"))
            .bearer_auth(KEY)
            .multipart(Form::new().text("prompt", "p")),
    )
    .await;
    assert_eq!(no_image.status, 400);
    assert_eq!(
        error_of(&no_image),
        json!({"message": "Missing required parameter: 'image'.", "type": "invalid_request_error",
               "param": "image", "code": "missing_required_parameter"})
    );
}

#[tokio::test]
async fn requests_openai_would_refuse_get_its_errors_and_use_no_step() {
    let server = start().await;
    server.script(vec![Step::from(OpenAiStep::InsufficientQuota)]);
    let cases = [
        (
            json!({"prompt": "x", "colour": "red"}),
            400,
            "unknown_parameter",
            Some("colour"),
        ),
        (
            json!({"model": "gpt-image-1", "prompt": "x", "response_format": "url"}),
            400,
            "unknown_parameter",
            Some("response_format"),
        ),
        (
            json!({"model": "gpt-image-1", "prompt": "x", "size": "800x600"}),
            400,
            "invalid_value",
            Some("size"),
        ),
        (
            json!({"model": "dall-e-3", "prompt": "x", "n": 2}),
            400,
            "invalid_value",
            Some("n"),
        ),
        (
            json!({"model": "gpt-image-1", "prompt": "x", "n": 11}),
            400,
            "integer_above_max_value",
            Some("n"),
        ),
        (
            json!({"model": "gpt-image-1", "prompt": 5}),
            400,
            "invalid_type",
            Some("prompt"),
        ),
        (
            json!({"model": "gpt-image-1"}),
            400,
            "missing_required_parameter",
            Some("prompt"),
        ),
        (
            json!({"model": "gpt-image-1", "prompt": "x", "background": "transparent", "output_format": "jpeg"}),
            400,
            "invalid_value",
            Some("background"),
        ),
        (
            json!({"model": "imagen-9", "prompt": "x"}),
            404,
            "model_not_found",
            None,
        ),
    ];
    for (body, status, code, param) in cases {
        let reply = generate(&server, body.clone()).await;
        assert_eq!(reply.status, status, "{body}: {}", reply.text);
        let error = error_of(&reply);
        assert_eq!(error["code"], code, "{body}");
        assert_eq!(error["param"].as_str(), param, "{body}");
    }
    let size = error_of(
        &generate(
            &server,
            json!({"model": "gpt-image-1", "prompt": "x", "size": "800x600"}),
        )
        .await,
    );
    assert_eq!(
        size["message"],
        "Invalid value: '800x600'. Supported values are: '1024x1024', '1536x1024', '1024x1536', and 'auto'."
    );
    // gpt-image-2 takes free sizes within its rules.
    let free = generate(
        &server,
        json!({"model": "gpt-image-2", "prompt": "x", "size": "1280x720"}),
    )
    .await;
    assert_eq!(free.status, 429, "valid, so it reached the scripted step");

    let not_json = send(
        client()
            .post(url(&server, Provider::OpenAi, "/images/generations"))
            .bearer_auth(KEY)
            .body("{oops"),
    )
    .await;
    assert_eq!(not_json.status, 400);
    assert!(error_of(&not_json)["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("We could not parse the JSON body")));

    let unknown = send(
        client()
            .get(url(&server, Provider::OpenAi, "/models"))
            .bearer_auth(KEY),
    )
    .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(
        error_of(&unknown)["message"],
        "Invalid URL (GET /v1/models)"
    );
}

#[tokio::test]
async fn keys_are_checked_first_and_never_recorded() {
    let server = MockServer::start(MockConfig::default().with_api_key(Provider::OpenAi, KEY)).await;
    let body = json!({"model": "gpt-image-1", "prompt": "x"});
    let endpoint = url(&server, Provider::OpenAi, "/images/generations");

    let missing = send(client().post(&endpoint).json(&body)).await;
    assert_eq!(missing.status, 401);
    let error = error_of(&missing);
    assert!(error["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("You didn't provide an API key.")));
    assert_eq!(error["code"], Value::Null);

    let wrong = send(
        client()
            .post(&endpoint)
            .bearer_auth("test-wrong-key-abcd")
            .json(&body),
    )
    .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(
        error_of(&wrong),
        json!({"message": "Incorrect API key provided: test-***abcd. You can find your API key at https://platform.openai.com/account/api-keys.",
               "type": "invalid_request_error", "param": null, "code": "invalid_api_key"})
    );

    let right = send(client().post(&endpoint).bearer_auth(KEY).json(&body)).await;
    assert_eq!(right.status, 200);

    let calls = server.calls();
    let outcomes: Vec<KeyOutcome> = calls.requests.iter().map(|r| r.auth.outcome).collect();
    assert_eq!(
        outcomes,
        [KeyOutcome::Missing, KeyOutcome::Wrong, KeyOutcome::Accepted]
    );
    assert_eq!(calls.requests[2].auth.via.as_deref(), Some("authorization"));
    let recorded = serde_json::to_string(&calls).expect("serialises");
    assert!(
        !recorded.contains(KEY) && !recorded.contains("test-wrong-key"),
        "keys leak into the ledger"
    );
}

#[tokio::test]
async fn every_scripted_error_has_its_documented_shape() {
    let server = start().await;
    server.script(canned_openai_errors());
    let body = json!({"model": "gpt-image-1", "prompt": "x"});

    let limited = generate(&server, body.clone()).await;
    assert_eq!(limited.status, 429);
    assert_eq!(error_of(&limited)["code"], "rate_limit_exceeded");
    assert_eq!(
        (
            limited.header("retry-after-ms"),
            limited.header("retry-after")
        ),
        (Some("1500"), Some("2"))
    );
    let limited = generate(&server, body.clone()).await;
    assert_eq!((limited.status, limited.header("retry-after")), (429, None));

    let quota = generate(&server, body.clone()).await;
    assert_eq!(
        (quota.status, error_of(&quota)["type"].as_str()),
        (429, Some("insufficient_quota"))
    );
    let revoked = generate(&server, body.clone()).await;
    assert_eq!(
        (revoked.status, error_of(&revoked)["code"].as_str()),
        (401, Some("invalid_api_key"))
    );

    let moderated = generate(&server, body.clone()).await;
    assert_eq!(moderated.status, 400);
    let error = error_of(&moderated);
    assert_eq!(
        (error["type"].as_str(), error["code"].as_str()),
        (
            Some("image_generation_user_error"),
            Some("moderation_blocked")
        )
    );
    assert_eq!(
        error["moderation_details"],
        json!({"moderation_stage": "output", "categories": ["sexual"]})
    );

    let policy = generate(&server, body.clone()).await;
    assert_eq!(
        (policy.status, error_of(&policy)["code"].as_str()),
        (400, Some("content_policy_violation"))
    );
    let verify = generate(&server, body.clone()).await;
    assert_eq!(verify.status, 403);
    assert!(error_of(&verify)["message"].as_str().is_some_and(
        |m| m.starts_with("Your organization must be verified to use the model `gpt-image-1`.")
    ));
    let missing_model = generate(&server, body.clone()).await;
    assert_eq!(
        (
            missing_model.status,
            error_of(&missing_model)["code"].as_str()
        ),
        (404, Some("model_not_found"))
    );
    let server_error = generate(&server, body.clone()).await;
    assert_eq!(
        (
            server_error.status,
            error_of(&server_error)["type"].as_str()
        ),
        (502, Some("server_error"))
    );

    assert_eq!(
        generate(&server, body).await.status,
        200,
        "queue empty: success"
    );
}

#[tokio::test]
async fn streams_send_partials_then_completed_with_event_equal_to_type() {
    let server = start().await;
    let reply = generate(
        &server,
        json!({"model": "gpt-image-1", "prompt": "x", "stream": true, "partial_images": 2}),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert!(reply
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/event-stream")));
    let frames = sse_frames(&reply.text);
    let names: Vec<&str> = frames
        .iter()
        .filter_map(|(name, _)| name.as_deref())
        .collect();
    assert_eq!(
        names,
        [
            "image_generation.partial_image",
            "image_generation.partial_image",
            "image_generation.completed"
        ]
    );
    for (index, (name, data)) in frames.iter().enumerate() {
        let event: Value = serde_json::from_str(data).expect("JSON data");
        assert_eq!(event["type"].as_str(), name.as_deref());
        for key in [
            "b64_json",
            "created_at",
            "size",
            "quality",
            "background",
            "output_format",
        ] {
            assert!(event.get(key).is_some(), "{key} in {name:?}");
        }
        if index < 2 {
            assert_eq!(event["partial_image_index"], index);
        } else {
            assert!(event["usage"]["total_tokens"].is_u64());
        }
    }

    let form = Form::new()
        .text("prompt", "p")
        .text("stream", "true")
        .part("image", Part::bytes(vec![1u8; 4]).file_name("a.png"));
    let edit = send(
        client()
            .post(url(&server, Provider::OpenAi, "/images/edits"))
            .bearer_auth(KEY)
            .multipart(form),
    )
    .await;
    let names: Vec<Option<String>> = sse_frames(&edit.text)
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(names, [Some("image_edit.completed".to_owned())]);
}
