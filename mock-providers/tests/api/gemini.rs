//! Gemini (§3): both casings in, camelCase out, the aspect-ratio table,
//! refusals as HTTP 200, and the google.rpc.Status errors.

use base64::prelude::{Engine, BASE64_STANDARD};
use mock_providers::{GeminiStep, KeyOutcome, MockConfig, MockServer, Provider};
use serde_json::{json, Value};

use crate::common::{base64, client, decode, send, start, url, Format, Reply};

const KEY: &str = "test-gemini-key-qkzv";
const MODEL: &str = "gemini-2.5-flash-image";

async fn generate(server: &MockServer, model: &str, body: Value) -> Reply {
    send(
        client()
            .post(url(
                server,
                Provider::Gemini,
                &format!("/v1beta/models/{model}:generateContent"),
            ))
            .header("x-goog-api-key", KEY)
            .json(&body),
    )
    .await
}

fn prompt(text: &str) -> Value {
    json!({"contents": [{"role": "user", "parts": [{"text": text}]}]})
}

fn status_of(reply: &Reply) -> Value {
    let body = reply.json();
    assert_eq!(body["error"]["code"], reply.status, "{body}");
    body["error"].clone()
}

#[tokio::test]
async fn camel_case_request_gets_text_and_an_image_of_the_ratio() {
    let server = start().await;
    let mut body = prompt("a cat in a fancy restaurant");
    body["generationConfig"] =
        json!({"responseModalities": ["TEXT", "IMAGE"], "imageConfig": {"aspectRatio": "16:9"}});
    let reply = generate(&server, MODEL, body).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.header("content-type"),
        Some("application/json; charset=UTF-8")
    );
    let answer = reply.json();
    let candidate = &answer["candidates"][0];
    assert_eq!(
        (
            candidate["finishReason"].as_str(),
            candidate["index"].as_u64()
        ),
        (Some("STOP"), Some(0))
    );
    assert_eq!(candidate["content"]["role"], "model");
    let parts = candidate["content"]["parts"].as_array().expect("parts");
    assert!(parts[0]["text"]
        .as_str()
        .is_some_and(|t| t.contains("a cat")));
    let image = &parts[1]["inlineData"];
    assert_eq!(image["mimeType"], "image/png");
    assert_eq!(decode(&base64(&image["data"])), (Format::Png, 1344, 768));
    assert_eq!(answer["modelVersion"], MODEL);
    assert!(answer["responseId"]
        .as_str()
        .is_some_and(|id| !id.is_empty()));
    let usage = &answer["usageMetadata"];
    assert_eq!(
        usage["candidatesTokensDetails"],
        json!([{"modality": "IMAGE", "tokenCount": 1290}])
    );
    assert_eq!(
        usage["totalTokenCount"].as_u64(),
        Some(
            usage["promptTokenCount"].as_u64().unwrap_or(0)
                + usage["candidatesTokenCount"].as_u64().unwrap_or(0)
        )
    );
}

#[tokio::test]
async fn snake_case_with_an_input_image_and_image_only_output() {
    let server = start().await;
    let photo = BASE64_STANDARD.encode(b"pretend jpeg bytes");
    let body = json!({
        "contents": [{"role": "user", "parts": [
            {"text": "put this cat in a restaurant"},
            {"inline_data": {"mime_type": "image/jpeg", "data": photo}},
        ]}],
        "generation_config": {"response_modalities": ["IMAGE"], "image_config": {"aspect_ratio": "21:9"}},
    });
    let answer = generate(&server, MODEL, body.clone()).await.json();
    let parts = answer["candidates"][0]["content"]["parts"]
        .as_array()
        .expect("parts");
    assert_eq!(parts.len(), 1, "IMAGE only: no text part");
    assert_eq!(
        decode(&base64(&parts[0]["inlineData"]["data"])),
        (Format::Png, 1536, 672)
    );
    let details = &answer["usageMetadata"]["promptTokensDetails"];
    assert_eq!(details[1], json!({"modality": "IMAGE", "tokenCount": 258}));
    // The ledger keeps the body exactly as sent.
    assert_eq!(server.calls().requests[0].body.json(), Some(&body));
}

#[tokio::test]
async fn gemini_3_answers_jpeg_at_image_size() {
    let server = start().await;
    let mut body = prompt("x");
    body["generationConfig"] = json!({"imageConfig": {"aspectRatio": "1:1", "imageSize": "2K"}});
    let answer = generate(&server, "gemini-3-pro-image-preview", body)
        .await
        .json();
    let image = &answer["candidates"][0]["content"]["parts"][1]["inlineData"];
    assert_eq!(image["mimeType"], "image/jpeg");
    assert_eq!(decode(&base64(&image["data"])), (Format::Jpeg, 2048, 2048));
}

#[tokio::test]
async fn keys_come_by_header_or_query_and_bad_ones_are_400() {
    let server = MockServer::start(MockConfig::default().with_api_key(Provider::Gemini, KEY)).await;
    let endpoint = url(
        &server,
        Provider::Gemini,
        &format!("/v1beta/models/{MODEL}:generateContent"),
    );

    let by_query = send(
        client()
            .post(format!("{endpoint}?key={KEY}"))
            .json(&prompt("x")),
    )
    .await;
    assert_eq!(by_query.status, 200);
    let wrong = send(
        client()
            .post(&endpoint)
            .header("x-goog-api-key", "test-wrong-key")
            .json(&prompt("x")),
    )
    .await;
    assert_eq!(wrong.status, 400);
    assert_eq!(
        wrong.json(),
        json!({"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.",
            "status": "INVALID_ARGUMENT", "details": [
                {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
                 "domain": "googleapis.com", "metadata": {"service": "generativelanguage.googleapis.com"}},
                {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US",
                 "message": "API key not valid. Please pass a valid API key."}]}})
    );
    let missing = send(client().post(&endpoint).json(&prompt("x"))).await;
    assert_eq!(
        (missing.status, status_of(&missing)["status"].as_str()),
        (403, Some("PERMISSION_DENIED"))
    );

    let calls = server.calls();
    let first = &calls.requests[0];
    assert_eq!(first.query.as_deref(), Some("key=REDACTED"));
    assert_eq!(
        (first.auth.via.as_deref(), first.auth.outcome),
        (Some("?key"), KeyOutcome::Accepted)
    );
    assert_eq!(
        (
            calls.requests[1].auth.via.as_deref(),
            calls.requests[1].auth.outcome
        ),
        (Some("x-goog-api-key"), KeyOutcome::Wrong)
    );
    assert!(!serde_json::to_string(&calls).expect("json").contains(KEY));
}

#[tokio::test]
async fn malformed_requests_and_unknown_models() {
    let server = start().await;
    let mut bad_ratio = prompt("x");
    bad_ratio["generationConfig"] = json!({"imageConfig": {"aspectRatio": "7:5"}});
    let mut vertex_only = prompt("x");
    vertex_only["generationConfig"] =
        json!({"imageConfig": {"imageOutputOptions": {"mimeType": "image/jpeg"}}});
    let cases = [
        (bad_ratio, "Unsupported aspect ratio '7:5'"),
        (
            vertex_only,
            "Unknown name \"imageOutputOptions\" at 'generation_config.image_config'",
        ),
        (json!({"contents": []}), "contents is not specified"),
        (
            json!({"contents": [{"parts": []}]}),
            "contents.parts must not be empty.",
        ),
        (
            json!({"contents": [{"parts": [{"inlineData": {"mimeType": "image/png", "data": "@@@"}}]}]}),
            "Base64 decoding failed",
        ),
        (
            json!({"contents": [{"role": "robot", "parts": [{"text": "x"}]}]}),
            "Please use a valid role",
        ),
        (
            json!({"prompt": "x"}),
            "Unknown name \"prompt\": Cannot find field.",
        ),
    ];
    for (body, fragment) in cases {
        let reply = generate(&server, MODEL, body.clone()).await;
        assert_eq!(reply.status, 400, "{body}");
        let error = status_of(&reply);
        assert_eq!(error["status"], "INVALID_ARGUMENT");
        assert!(
            error["message"]
                .as_str()
                .is_some_and(|m| m.contains(fragment)),
            "{body}: {error}"
        );
    }
    let too_many: Vec<Value> = (0..4)
        .map(|_| json!({"inlineData": {"mimeType": "image/png", "data": "AAAA"}}))
        .collect();
    let reply = generate(&server, MODEL, json!({"contents": [{"parts": too_many}]})).await;
    assert_eq!(reply.status, 400, "2.5-flash-image takes at most 3 images");

    let gone = generate(&server, "gemini-2.5-flash-image-preview", prompt("x")).await;
    assert_eq!(gone.status, 404);
    assert_eq!(
        status_of(&gone)["message"],
        "models/gemini-2.5-flash-image-preview is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods."
    );
    assert_eq!(server.calls().count, 9);
}

#[tokio::test]
async fn refusals_are_http_200_and_errors_use_the_status_envelope() {
    let server = start().await;
    server.script(vec![
        GeminiStep::Blocked {
            block_reason: "PROHIBITED_CONTENT".into(),
        }
        .into(),
        GeminiStep::NoImage {
            finish_reason: "IMAGE_SAFETY".into(),
            text: None,
        }
        .into(),
        GeminiStep::NoImage {
            finish_reason: "NO_IMAGE".into(),
            text: Some("I can't create that.".into()),
        }
        .into(),
        GeminiStep::TextOnly.into(),
        GeminiStep::RateLimited {
            retry_delay_ms: 1500,
        }
        .into(),
        GeminiStep::Unavailable.into(),
        GeminiStep::Internal.into(),
        GeminiStep::PermissionDenied.into(),
        GeminiStep::InvalidApiKey.into(),
        GeminiStep::ModelNotFound.into(),
    ]);
    let ask = || generate(&server, MODEL, prompt("x"));

    let blocked = ask().await;
    assert_eq!(blocked.status, 200);
    let body = blocked.json();
    assert!(body.get("candidates").is_none());
    assert_eq!(body["promptFeedback"]["blockReason"], "PROHIBITED_CONTENT");
    assert!(body["usageMetadata"]["promptTokenCount"].is_u64());

    let safety = ask().await.json();
    assert_eq!(safety["candidates"][0]["finishReason"], "IMAGE_SAFETY");
    assert!(safety["candidates"][0].get("content").is_none());
    let no_image = ask().await.json();
    assert_eq!(no_image["candidates"][0]["finishReason"], "NO_IMAGE");
    assert_eq!(
        no_image["candidates"][0]["content"]["parts"],
        json!([{"text": "I can't create that."}])
    );
    let text_only = ask().await.json();
    let parts = text_only["candidates"][0]["content"]["parts"]
        .as_array()
        .expect("parts");
    assert!(parts.len() == 1 && parts[0].get("text").is_some());
    assert_eq!(text_only["candidates"][0]["finishReason"], "STOP");

    let limited = ask().await;
    assert_eq!(limited.status, 429);
    let error = status_of(&limited);
    assert_eq!(error["status"], "RESOURCE_EXHAUSTED");
    assert!(error["message"]
        .as_str()
        .is_some_and(|m| m.ends_with("Please retry in 1.5s.")));
    let retry = error["details"]
        .as_array()
        .and_then(|details| {
            details
                .iter()
                .find(|d| d["@type"] == "type.googleapis.com/google.rpc.RetryInfo")
        })
        .expect("RetryInfo");
    assert_eq!(retry["retryDelay"], "1.5s");

    let unavailable = ask().await;
    assert_eq!(
        unavailable.json(),
        json!({"error": {"code": 503, "message": "The model is overloaded. Please try again later.", "status": "UNAVAILABLE"}})
    );
    for (status, name) in [
        (500, "INTERNAL"),
        (403, "PERMISSION_DENIED"),
        (400, "INVALID_ARGUMENT"),
        (404, "NOT_FOUND"),
    ] {
        let reply = ask().await;
        assert_eq!(
            (reply.status, status_of(&reply)["status"].as_str()),
            (status, Some(name))
        );
    }
    assert!(ask().await.json()["candidates"][0]["content"]["parts"][1]["inlineData"].is_object());
}
