//! Volcengine Ark Seedream (§6): synchronous JSON, group generation,
//! references, the Ark error envelope and SSE framing.

use base64::prelude::{Engine, BASE64_STANDARD};
use mock_providers::{ArkStep, MockConfig, MockServer, Provider, Step};
use serde_json::{json, Value};

use crate::common::{
    base64, client, decode, download, send, sse_frames, start, url, Format, Reply,
};

const KEY: &str = "test-ark-key-qkzv";
const MODEL: &str = "doubao-seedream-4-0-250828";

async fn generate(server: &MockServer, body: Value) -> Reply {
    send(
        client()
            .post(url(server, Provider::Ark, "/images/generations"))
            .bearer_auth(KEY)
            .json(&body),
    )
    .await
}

/// The `error` object, after checking the envelope's type and the
/// `Request ID` ending that matches `x-request-id`.
fn ark_error(reply: &Reply, status: u16, kind: &str) -> Value {
    assert_eq!(reply.status, status, "{}", reply.text);
    let error = reply.json()["error"].clone();
    assert_eq!(error["type"], kind, "{error}");
    let id = reply.header("x-request-id").expect("x-request-id");
    let message = error["message"].as_str().expect("message");
    assert!(
        message.ends_with(&format!("Request ID: {id}"))
            || message.ends_with(&format!("request id: {id}")),
        "{message}"
    );
    error
}

#[tokio::test]
async fn a_generation_answers_a_url_with_size_and_usage() {
    let server = start().await;
    let reply = generate(
        &server,
        json!({"model": MODEL, "prompt": "星际穿越，黑洞", "size": "1280x720",
               "sequential_image_generation": "disabled", "response_format": "url",
               "stream": false, "watermark": true}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let body = reply.json();
    assert_eq!(body["model"], MODEL);
    assert!(body["created"].is_u64());
    assert_eq!(body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(body["data"][0]["size"], "1280x720");
    assert_eq!(body["usage"]["generated_images"], 1);
    assert_eq!(body["usage"]["output_tokens"], 1280 * 720 / 256);
    let link = body["data"][0]["url"].as_str().expect("url");
    assert!(
        link.contains("/ark-delivery/") && link.contains("X-Tos-Signature="),
        "{link}"
    );
    let (status, content_type, bytes) = download(link).await;
    assert_eq!((status, content_type.as_deref()), (200, Some("image/jpeg")));
    assert_eq!(decode(&bytes), (Format::Jpeg, 1280, 720));

    let presets = generate(
        &server,
        json!({"model": MODEL, "prompt": "p", "size": "4K"}),
    )
    .await
    .json();
    assert_eq!(presets["data"][0]["size"], "4096x4096");
    let default = generate(
        &server,
        json!({"model": "seedream-4-5-251128", "prompt": "p"}),
    )
    .await
    .json();
    assert_eq!(default["data"][0]["size"], "2048x2048");
}

#[tokio::test]
async fn groups_and_references_and_b64() {
    let server = start().await;
    let reference = format!(
        "data:image/png;base64,{}",
        BASE64_STANDARD.encode(b"fake png bytes")
    );
    let body = generate(
        &server,
        json!({"model": MODEL, "prompt": "a set of four", "size": "1280x720", "response_format": "b64_json",
               "image": [reference, "https://example.test/ref.jpg"],
               "sequential_image_generation": "auto",
               "sequential_image_generation_options": {"max_images": 2}}),
    )
    .await
    .json();
    let data = body["data"].as_array().expect("data");
    assert_eq!(data.len(), 2, "three by default, capped by max_images");
    for item in data {
        assert_eq!(
            decode(&base64(&item["b64_json"])),
            (Format::Jpeg, 1280, 720)
        );
    }
    assert_eq!(body["usage"]["generated_images"], 2);

    server.script(vec![ArkStep::Images {
        count: Some(3),
        failed_indices: vec![1],
    }
    .into()]);
    let body = generate(
        &server,
        json!({"model": MODEL, "prompt": "p", "size": "1280x720", "sequential_image_generation": "auto"}),
    )
    .await
    .json();
    assert_eq!(
        body["data"][1]["error"]["code"],
        "OutputImageSensitiveContentDetected"
    );
    assert!(body["data"][2]["url"].is_string());
    assert_eq!(body["usage"]["generated_images"], 2);

    let png = generate(
        &server,
        json!({"model": "doubao-seedream-5-0-260128", "prompt": "p", "size": "2560x1440", "output_format": "png",
               "response_format": "b64_json"}),
    )
    .await
    .json();
    assert_eq!(decode(&base64(&png["data"][0]["b64_json"])).0, Format::Png);
}

#[tokio::test]
async fn validation_errors_use_the_ark_envelope() {
    let server = start().await;
    let cases = [
        (
            json!({"prompt": "p"}),
            400,
            "BadRequest",
            "MissingParameter",
            "model",
        ),
        (
            json!({"model": MODEL}),
            400,
            "BadRequest",
            "MissingParameter",
            "prompt",
        ),
        (
            json!({"model": MODEL, "prompt": "p", "size": "1000x700"}),
            400,
            "BadRequest",
            "InvalidParameter",
            "size",
        ),
        (
            json!({"model": "seedream-4-5-251128", "prompt": "p", "size": "1024x1024"}),
            400,
            "BadRequest",
            "InvalidParameter",
            "size",
        ),
        (
            json!({"model": MODEL, "prompt": "p", "size": "8200x500"}),
            400,
            "BadRequest",
            "InvalidParameter",
            "size",
        ),
        (
            json!({"model": "seedream-4-5-251128", "prompt": "p", "size": "1K"}),
            400,
            "BadRequest",
            "InvalidParameter",
            "size",
        ),
        (
            json!({"model": MODEL, "prompt": "p", "image": "data:image/PNG;base64,AAAA"}),
            400,
            "BadRequest",
            "InvalidParameter",
            "image",
        ),
        (
            json!({"model": MODEL, "prompt": "p", "guidance_scale": 5.5}),
            400,
            "BadRequest",
            "InvalidParameter",
            "guidance_scale",
        ),
        (
            json!({"model": MODEL, "prompt": "p", "output_format": "png"}),
            400,
            "BadRequest",
            "InvalidParameter",
            "output_format",
        ),
        (
            json!({"model": "doubao-seededit-3-0-i2i-250628", "prompt": "p"}),
            400,
            "BadRequest",
            "MissingParameter",
            "image",
        ),
        (
            json!({"model": "doubao-seedream-3-0-t2i-250415", "prompt": "p", "size": "2049x512"}),
            400,
            "BadRequest",
            "InvalidParameter",
            "size",
        ),
        (
            json!({"model": MODEL, "prompt": "p", "negative_prompt": "x"}),
            400,
            "BadRequest",
            "InvalidParameter",
            "negative_prompt",
        ),
        (
            json!({"model": "doubao-seedream-9-9-990101", "prompt": "p"}),
            404,
            "NotFound",
            "InvalidEndpointOrModel.NotFound",
            "",
        ),
    ];
    for (body, status, kind, code, param) in cases {
        let reply = generate(&server, body.clone()).await;
        let error = ark_error(&reply, status, kind);
        assert_eq!(
            (error["code"].as_str(), error["param"].as_str()),
            (Some(code), Some(param)),
            "{body}"
        );
    }
    let seededit = generate(
        &server,
        json!({"model": "doubao-seededit-3-0-i2i-250628", "prompt": "改成爱心形状的泡泡",
               "image": "https://example.test/seededit_i2i.jpeg", "size": "adaptive", "seed": 21,
               "guidance_scale": 5.5, "watermark": true}),
    )
    .await;
    assert_eq!(seededit.status, 200, "{}", seededit.text);
}

#[tokio::test]
async fn auth_and_scripted_errors() {
    let server = MockServer::start(MockConfig::default().with_api_key(Provider::Ark, KEY)).await;
    let unauthorized = send(
        client()
            .post(url(&server, Provider::Ark, "/images/generations"))
            .bearer_auth("test-wrong-key")
            .json(&json!({"model": MODEL, "prompt": "p"})),
    )
    .await;
    let error = ark_error(&unauthorized, 401, "Unauthorized");
    assert_eq!(
        (error["code"].as_str(), error["param"].as_str()),
        (Some("AuthenticationError"), Some(""))
    );
    assert!(error["message"].as_str().is_some_and(|m| m
        .starts_with("the API key or AK/SK in the request is missing or invalid. request id: ")));

    server.script(vec![
        ArkStep::Error {
            status: 429,
            code: "ModelAccountIpmRateLimitExceeded".into(),
            message: None,
            retry_after_secs: Some(3),
        }
        .into(),
        ArkStep::Error {
            status: 400,
            code: "InputTextSensitiveContentDetected".into(),
            message: None,
            retry_after_secs: None,
        }
        .into(),
        ArkStep::Error {
            status: 403,
            code: "AccountOverdueError".into(),
            message: None,
            retry_after_secs: None,
        }
        .into(),
        ArkStep::Error {
            status: 500,
            code: "InternalServiceError".into(),
            message: None,
            retry_after_secs: None,
        }
        .into(),
    ]);
    let body = json!({"model": MODEL, "prompt": "p"});
    let limited = generate(&server, body.clone()).await;
    let error = ark_error(&limited, 429, "TooManyRequests");
    assert_eq!(error["code"], "ModelAccountIpmRateLimitExceeded");
    assert!(error["message"]
        .as_str()
        .is_some_and(|m| m
            .starts_with("IPM (Images Per Minute) limit of the model is exceeded. Request ID: ")));
    assert_eq!(limited.header("retry-after"), Some("3"));
    let sensitive = generate(&server, body.clone()).await;
    assert_eq!(
        ark_error(&sensitive, 400, "BadRequest")["code"],
        "InputTextSensitiveContentDetected"
    );
    assert_eq!(sensitive.header("retry-after"), None);
    assert_eq!(
        ark_error(&generate(&server, body.clone()).await, 403, "Forbidden")["code"],
        "AccountOverdueError"
    );
    assert_eq!(
        ark_error(&generate(&server, body).await, 500, "InternalServerError")["code"],
        "InternalServiceError"
    );
}

#[tokio::test]
async fn streams_frame_each_image_then_completed_then_done() {
    let server = start().await;
    server.script(vec![Step::from(ArkStep::Images {
        count: Some(3),
        failed_indices: vec![2],
    })]);
    let reply = generate(
        &server,
        json!({"model": MODEL, "prompt": "p", "size": "1280x720", "stream": true,
               "sequential_image_generation": "auto"}),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert!(reply
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/event-stream")));
    let frames = sse_frames(&reply.text);
    let names: Vec<Option<&str>> = frames.iter().map(|(name, _)| name.as_deref()).collect();
    assert_eq!(
        names,
        [
            Some("image_generation.partial_succeeded"),
            Some("image_generation.partial_succeeded"),
            Some("image_generation.partial_failed"),
            Some("image_generation.completed"),
            None,
        ]
    );
    assert_eq!(frames[4].1, "[DONE]");
    for (index, (name, data)) in frames[..3].iter().enumerate() {
        let event: Value = serde_json::from_str(data).expect("one-line JSON");
        assert_eq!(event["type"].as_str(), name.as_deref());
        assert_eq!(
            (event["model"].as_str(), event["image_index"].as_u64()),
            (Some(MODEL), Some(index as u64))
        );
        assert!(event["created"].is_u64());
    }
    let first: Value = serde_json::from_str(&frames[0].1).expect("JSON");
    assert_eq!(first["size"], "1280x720");
    assert_eq!(download(first["url"].as_str().expect("url")).await.0, 200);
    let failed: Value = serde_json::from_str(&frames[2].1).expect("JSON");
    assert_eq!(
        failed["error"]["code"],
        "OutputImageSensitiveContentDetected"
    );
    let completed: Value = serde_json::from_str(&frames[3].1).expect("JSON");
    assert_eq!(completed["usage"]["generated_images"], 2);
    assert!(completed.get("url").is_none());

    // Validation errors are not streamed, even with `stream: true`.
    let refused = generate(&server, json!({"model": MODEL, "stream": true})).await;
    assert_eq!(refused.header("content-type"), Some("application/json"));
    ark_error(&refused, 400, "BadRequest");
}
