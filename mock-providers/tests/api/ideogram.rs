//! Ideogram 3.0 (§5): multipart and JSON, signed expiring URLs, unsafe
//! images, `{"error": …}` refusals and the enforced in-flight limit.

use mock_providers::{IdeogramStep, MockConfig, MockServer, Provider, Step};
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::common::{client, decode, download, send, start, url, wait_for_calls, Format, Reply};

const KEY: &str = "test-ideogram-key-qkzv";
const GENERATE: &str = "/v1/ideogram-v3/generate";

fn endpoint(server: &MockServer) -> String {
    url(server, Provider::Ideogram, GENERATE)
}

async fn generate_json(server: &MockServer, body: Value) -> Reply {
    send(
        client()
            .post(endpoint(server))
            .header("api-key", KEY)
            .json(&body),
    )
    .await
}

#[tokio::test]
async fn multipart_request_answers_signed_urls_and_is_recorded_field_by_field() {
    let server = start().await;
    let form = Form::new()
        .text("prompt", "a serene tropical beach")
        .text("aspect_ratio", "16x10")
        .text("num_images", "2")
        .text("seed", "7")
        .text("style_type", "REALISTIC")
        .text("magic_prompt", "OFF")
        .text("rendering_speed", "TURBO")
        .text(
            "color_palette",
            r##"{"members":[{"color_hex":"#b470b3","color_weight":0.49},{"color_hex":"#fff"}]}"##,
        )
        .part(
            "style_reference_images",
            Part::bytes(vec![9u8; 64])
                .file_name("ref.jpg")
                .mime_str("image/jpeg")
                .expect("mime"),
        );
    let reply = send(
        client()
            .post(endpoint(&server))
            .header("api-key", KEY)
            .multipart(form),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let body = reply.json();
    let created = body["created"].as_str().expect("created is a string");
    assert!(
        created.ends_with("+00:00") && created.contains('T'),
        "{created}"
    );
    let data = body["data"].as_array().expect("data");
    assert_eq!(data.len(), 2);
    for (index, item) in data.iter().enumerate() {
        assert_eq!(
            item["prompt"], "a serene tropical beach",
            "magic prompt off"
        );
        assert_eq!(item["resolution"], "1280x800");
        assert_eq!(item["is_image_safe"], true);
        assert_eq!(item["seed"], 7 + index as u64);
        assert_eq!(item["style_type"], "REALISTIC");
    }
    let link = data[0]["url"].as_str().expect("url");
    assert!(
        link.contains("/ideogram-delivery/api/images/ephemeral/") && link.contains(".png?exp="),
        "{link}"
    );
    let (status, content_type, bytes) = download(link).await;
    assert_eq!((status, content_type.as_deref()), (200, Some("image/png")));
    assert_eq!(decode(&bytes), (Format::Png, 1280, 800));

    let calls = server.calls();
    let recorded = &calls.requests[0];
    assert_eq!(
        recorded
            .headers
            .get("content-type")
            .map(|t| t.starts_with("multipart/form-data")),
        Some(true)
    );
    assert!(!recorded.headers.contains_key("api-key"));
    assert_eq!(recorded.body.field("aspect_ratio"), Some("16x10"));
    let reference = recorded
        .body
        .parts()
        .iter()
        .find(|p| p.name == "style_reference_images")
        .expect("file");
    assert_eq!(
        (
            reference.file_name.as_deref(),
            reference.size,
            reference.text.as_deref()
        ),
        (Some("ref.jpg"), 64, None)
    );
    // The download was recorded too, without a key.
    assert_eq!(calls.requests[1].provider, Provider::Ideogram);
    assert_eq!(calls.requests[1].method, "GET");
}

#[tokio::test]
async fn json_requests_are_accepted_and_magic_prompt_rewrites() {
    let server = start().await;
    let body = generate_json(
        &server,
        json!({"prompt": "a fox", "color_palette": {"name": "EMBER"}}),
    )
    .await
    .json();
    let item = &body["data"][0];
    assert_ne!(item["prompt"], "a fox", "AUTO magic prompt embellishes");
    assert!(item["prompt"]
        .as_str()
        .is_some_and(|p| p.starts_with("a fox")));
    assert_eq!(
        (item["resolution"].as_str(), item["style_type"].as_str()),
        (Some("1024x1024"), Some("GENERAL"))
    );
    assert!(item["seed"]
        .as_u64()
        .is_some_and(|seed| seed <= 2_147_483_647));
}

#[tokio::test]
async fn urls_expire_and_refuse_tampering() {
    let server = start().await;
    server.script(vec![IdeogramStep::Images {
        unsafe_indices: vec![],
        url_ttl_secs: Some(0),
    }
    .into()]);
    let expired = generate_json(&server, json!({"prompt": "p"})).await.json();
    let link = expired["data"][0]["url"].as_str().expect("url");
    let (status, _, body) = download(link).await;
    assert_eq!(
        (status, String::from_utf8_lossy(&body).as_ref()),
        (403, "Request has expired")
    );

    let fresh = generate_json(&server, json!({"prompt": "p"})).await.json();
    let link = fresh["data"][0]["url"].as_str().expect("url");
    assert_eq!(download(link).await.0, 200);
    let (path, query) = link.split_once('?').expect("query");
    let exp: u64 = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("exp="))
        .and_then(|exp| exp.parse().ok())
        .expect("exp");
    let sig = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("sig="))
        .expect("sig");
    let stretched = format!("{path}?exp={}&sig={sig}", exp + 86_400);
    assert_eq!(
        download(&stretched).await.0,
        403,
        "a later exp needs a new signature"
    );
    assert_eq!(download(path).await.0, 403, "unsigned");
    let unknown = path.replace("/ephemeral/", "/ephemeral/x");
    assert_eq!(download(&format!("{unknown}?{query}")).await.0, 404);
}

#[tokio::test]
async fn unsafe_images_have_no_url_and_refusals_have_error_bodies() {
    let server =
        MockServer::start(MockConfig::default().with_api_key(Provider::Ideogram, KEY)).await;
    server.script(vec![
        IdeogramStep::Images {
            unsafe_indices: vec![0],
            url_ttl_secs: None,
        }
        .into(),
        IdeogramStep::SafetyRejected.into(),
        IdeogramStep::InsufficientFunds.into(),
        IdeogramStep::DailyLimit.into(),
        IdeogramStep::InflightLimit.into(),
        IdeogramStep::Forbidden.into(),
        IdeogramStep::ServerError { status: 503 }.into(),
    ]);
    let body = generate_json(&server, json!({"prompt": "p", "num_images": 2}))
        .await
        .json();
    assert_eq!(
        (&body["data"][0]["is_image_safe"], &body["data"][0]["url"]),
        (&json!(false), &Value::Null)
    );
    assert_eq!(body["data"][1]["is_image_safe"], true);
    assert!(body["data"][0]["seed"].is_u64(), "required fields stay");

    let safety = generate_json(&server, json!({"prompt": "p"})).await;
    assert_eq!(safety.status, 422);
    assert_eq!(
        safety.json(),
        json!({"error": "Prompt provided failed safety check due to the inclusion of prohibited content."})
    );
    for reason in ["insufficient_funds", "daily_limit"] {
        let reply = generate_json(&server, json!({"prompt": "p"})).await;
        assert_eq!(
            (reply.status, reply.json()["reject_reason"].as_str()),
            (402, Some(reason))
        );
    }
    let limited = generate_json(&server, json!({"prompt": "p"})).await;
    assert_eq!(
        (limited.status, limited.json()["reject_reason"].as_str()),
        (429, Some("inflight_limit"))
    );
    assert_eq!(
        generate_json(&server, json!({"prompt": "p"})).await.status,
        403
    );
    assert_eq!(
        generate_json(&server, json!({"prompt": "p"})).await.status,
        503
    );

    let wrong = send(
        client()
            .post(endpoint(&server))
            .header("api-key", "test-wrong")
            .json(&json!({"prompt": "p"})),
    )
    .await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.json()["error"].is_string());
    let bearer = send(
        client()
            .post(endpoint(&server))
            .bearer_auth(KEY)
            .json(&json!({"prompt": "p"})),
    )
    .await;
    assert_eq!(
        bearer.status, 401,
        "the key goes in Api-Key, not Authorization"
    );

    for body in [
        json!({"prompt": "p", "aspect_ratio": "16:9"}),
        json!({"prompt": "p", "aspect_ratio": "1x1", "resolution": "1024x1024"}),
        json!({"prompt": "p", "num_images": 9}),
        json!({"prompt": "p", "color_palette": {"members": [{"color_hex": "purple"}]}}),
        json!({"prompt": "p", "color_palette": {"name": "NEON"}}),
        json!({"prompt": "p", "style_codes": ["AAAA0000"], "style_type": "GENERAL"}),
        json!({"prompt": "p", "seed": -1}),
        json!({"aspect_ratio": "1x1"}),
    ] {
        let reply = generate_json(&server, body.clone()).await;
        assert_eq!(reply.status, 400, "{body}");
        assert!(reply.json()["error"].is_string(), "{body}");
    }
    assert_eq!(
        generate_json(&server, json!({"prompt": "p", "resolution": "1280x800"}))
            .await
            .json()["data"][0]["resolution"],
        "1280x800"
    );
}

#[tokio::test]
async fn the_in_flight_limit_counts_images_and_frees_them_when_requests_end() {
    let server = start().await;
    server.script(vec![Step::from(IdeogramStep::default()).delayed(60_000)]);
    let slow = {
        let request = client()
            .post(endpoint(&server))
            .header("api-key", KEY)
            .json(&json!({"prompt": "p", "num_images": 8}));
        tokio::spawn(async move { request.send().await })
    };
    // On this single-threaded runtime, once the request is recorded its
    // handler has also taken its slots (no await in between).
    wait_for_calls(&server, |calls| calls.count == 1).await;

    let over = generate_json(&server, json!({"prompt": "p", "num_images": 3})).await;
    assert_eq!(over.status, 429);
    let body = over.json();
    assert_eq!(
        (
            body["reject_reason"].as_str(),
            body["max_inflight_requests"].as_u64()
        ),
        (Some("inflight_limit"), Some(10))
    );
    assert!(body["error"].is_string());
    assert_eq!(
        generate_json(&server, json!({"prompt": "p", "num_images": 2}))
            .await
            .status,
        200,
        "8 + 2 fits"
    );

    slow.abort();
    wait_for_calls(&server, |calls| calls.cancelled == 1).await;
    assert_eq!(
        generate_json(&server, json!({"prompt": "p", "num_images": 8}))
            .await
            .status,
        200
    );
}
