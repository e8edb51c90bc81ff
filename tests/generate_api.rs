//! The HTTP surface through the real router, without a socket (`tower::ServiceExt::oneshot`):
//! the server functions at their fixed paths, the body limit, the SSR page, and that the API key
//! never leaves the server.

mod common;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use common::{
    decode_b64, offline_state, openai_state_at, openai_url, request, start_mock, API_KEY,
    PNG_SIGNATURE,
};
use http_body_util::BodyExt as _;
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;
use mock_providers::{OpenAiStep, Step};
use proofsheet::error::{AppError, ProviderFailure};
use proofsheet::model::{EngineCatalog, GenerateRequest, GeneratedImage, Progress, ProgressEvent};
use proofsheet::server::build_router;
use proofsheet::server::inflight::report;
use serde_json::json;
use tower::ServiceExt as _;

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "status {} body is not the expected JSON ({e}): {}",
                self.status,
                self.text()
            )
        })
    }
}

async fn send(router: &Router, request: Request<Body>) -> Answer {
    let response = router
        .clone()
        .oneshot(request)
        .await
        .expect("the router is infallible");
    let (parts, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .expect("the body can be read")
        .to_bytes();
    Answer {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

/// A JSON POST with an explicit Content-Length, as browsers and HTTP clients send it.
fn post_json(path: &str, body: &serde_json::Value) -> Request<Body> {
    let bytes = serde_json::to_vec(body).expect("JSON encodes");
    Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/json")
        .header(header::CONTENT_LENGTH, bytes.len())
        .body(Body::from(bytes))
        .expect("a valid request")
}

fn get(path: &str) -> Request<Body> {
    Request::builder()
        .method(Method::GET)
        .uri(path)
        .body(Body::empty())
        .expect("a valid request")
}

fn generate_body(request: &GenerateRequest) -> serde_json::Value {
    json!({ "request": request })
}

fn offline_request(id: &str, prompt: &str) -> GenerateRequest {
    GenerateRequest {
        size: "512x512".into(),
        quality: None,
        ..request(id, "offline", prompt)
    }
}

fn assert_no_key(answer: &Answer, what: &str) {
    let text = answer.text();
    assert!(!text.contains(API_KEY), "{what} shows the key: {text}");
    assert!(
        !text.contains("sk-"),
        "{what} shows something shaped like a key: {text}"
    );
    assert!(
        !text.contains(&API_KEY[API_KEY.len() - 4..]),
        "{what} shows the key's tail: {text}"
    );
}

#[tokio::test]
async fn generate_image_on_the_offline_engine_answers_a_png_as_json() {
    let router = build_router(offline_state());

    let answer = send(
        &router,
        post_json(
            "/api/generate_image",
            &generate_body(&offline_request("http-1", "a red kite")),
        ),
    )
    .await;

    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let image: GeneratedImage = answer.json();
    assert_eq!(image.engine, "offline");
    assert_eq!(image.mime, "image/png");
    assert_eq!(image.size, "512x512");
    assert_eq!(image.provider_calls, 1);
    assert!(decode_b64(&image.b64).starts_with(&PNG_SIGNATURE));
}

#[tokio::test]
async fn generate_picture_answers_the_same_picture_as_a_file_beside_its_metadata() {
    let router = build_router(offline_state());
    let asked = offline_request("http-picture", "a red kite");
    let answer = send(
        &router,
        post_json("/api/generate_picture", &generate_body(&asked)),
    )
    .await;

    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let content_type = answer.headers[header::CONTENT_TYPE].to_str().unwrap();
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap_or_else(|| panic!("multipart, not {content_type}"));
    let parts = multipart_parts(&answer.body, boundary);
    assert_eq!(parts.len(), 2, "metadata and picture");
    let (metadata_head, metadata) = &parts[0];
    assert!(
        metadata_head.contains("name=\"metadata\""),
        "{metadata_head}"
    );
    let image: GeneratedImage = serde_json::from_slice(metadata).unwrap();
    assert_eq!(
        (image.engine.as_str(), image.size.as_str()),
        ("offline", "512x512")
    );
    assert!(image.b64.is_empty(), "the file is not in the metadata too");
    let (picture_head, picture) = &parts[1];
    assert!(picture_head.contains("name=\"picture\""), "{picture_head}");
    assert!(
        picture_head.contains("Content-Type: image/png"),
        "{picture_head}"
    );
    assert!(picture.starts_with(&PNG_SIGNATURE));
    // The same file the JSON API sends as base64: provenance stamped in.
    let provenance = common::itxt_entries(picture);
    assert!(
        provenance
            .iter()
            .any(|(keyword, _)| keyword == proofsheet::server::provenance::KEYWORD),
        "{provenance:?}"
    );
}

#[tokio::test]
async fn generate_picture_refuses_like_generate_image() {
    let router = build_router(offline_state());
    let answer = send(
        &router,
        post_json(
            "/api/generate_picture",
            &generate_body(&offline_request("http-picture-empty", "   ")),
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text());
    assert!(
        matches!(answer.json::<AppError>(), AppError::InvalidInput { field, .. } if field == "prompt")
    );
}

#[tokio::test]
async fn generation_events_send_the_current_state_then_each_change() {
    let state = offline_state();
    let router = build_router(state.clone());
    let registration = state.inflight.register("sse-1").expect("a fresh id");
    registration
        .reporting(async { report(Progress::Sent) })
        .await;

    let response = router
        .clone()
        .oneshot(get("/api/generation_events?ids=sse-1,not-running"))
        .await
        .expect("the router is infallible");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/event-stream"
    );
    let mut body = response.into_body();
    assert_eq!(
        next_event(&mut body).await,
        ProgressEvent {
            id: "sse-1".into(),
            progress: Progress::Sent
        }
    );
    registration
        .reporting(async { report(Progress::Processing) })
        .await;
    assert_eq!(
        next_event(&mut body).await,
        ProgressEvent {
            id: "sse-1".into(),
            progress: Progress::Processing
        },
        "a change arrives as it happens"
    );
}

#[tokio::test]
async fn generation_events_end_when_the_server_begins_to_stop() {
    let state = offline_state();
    let router = build_router(state.clone());
    let response = router
        .oneshot(get("/api/generation_events?ids=not-running"))
        .await
        .expect("the router is infallible");
    let mut body = response.into_body();
    state.stopping.cancel();
    let end = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        // Keep-alive comments may come first; the stream must then end.
        while let Some(frame) = body.frame().await {
            frame.expect("a frame");
        }
    })
    .await;
    assert!(
        end.is_ok(),
        "the stream ended once the server began to stop"
    );
}

#[tokio::test]
async fn generation_events_refuse_ids_that_are_not_request_ids() {
    let router = build_router(offline_state());
    let answer = send(&router, get("/api/generation_events?ids=a%20b")).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text());
}

/// The next `data:` event of a server-sent event stream, as a `ProgressEvent`. Bounded, so a
/// stream that never sends one fails the test instead of hanging it.
async fn next_event(body: &mut Body) -> ProgressEvent {
    let mut text = String::new();
    loop {
        let frame = tokio::time::timeout(std::time::Duration::from_secs(10), body.frame())
            .await
            .expect("an event within ten seconds")
            .expect("the stream is open")
            .expect("a frame");
        if let Some(data) = frame.data_ref() {
            text.push_str(&String::from_utf8_lossy(data));
        }
        if let Some(line) = text.lines().find_map(|line| line.strip_prefix("data: ")) {
            return serde_json::from_str(line).expect("a ProgressEvent");
        }
    }
}

/// The parts of a `multipart/form-data` body: each one's headers and content.
fn multipart_parts(body: &[u8], boundary: &str) -> Vec<(String, Vec<u8>)> {
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut rest = body;
    while let Some(start) = find(rest, delimiter.as_bytes()) {
        rest = &rest[start + delimiter.len()..];
        if rest.starts_with(b"--") {
            break;
        }
        let rest_of_part = &rest[2..]; // CRLF after the delimiter
        let end =
            find(rest_of_part, format!("\r\n{delimiter}").as_bytes()).expect("a closing delimiter");
        let part = &rest_of_part[..end];
        let split = find(part, b"\r\n\r\n").expect("headers, then content");
        let head = String::from_utf8_lossy(&part[..split]).into_owned();
        parts.push((head, part[split + 4..].to_vec()));
        rest = &rest_of_part[end + 2..];
    }
    parts
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[tokio::test]
async fn without_a_key_openai_is_listed_unavailable_and_offline_is_the_default() {
    let router = build_router(offline_state());

    let answer = send(&router, get("/api/list_engines")).await;

    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let catalog: EngineCatalog = answer.json();
    let ids: Vec<&str> = catalog.engines.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        (ids.first(), ids.last()),
        (Some(&"openai"), Some(&"offline"))
    );
    assert_eq!(catalog.default_engine, "offline");
    assert!(
        catalog
            .engines
            .iter()
            .filter(|e| e.id != "offline")
            .all(|e| e.unavailable.is_some()),
        "without keys only the offline engine can be used"
    );
    let openai = catalog.engine("openai").unwrap();
    assert_eq!(
        openai.unavailable.as_deref(),
        Some("Set OPENAI_API_KEY on the server to use OpenAI.")
    );
    assert!(catalog.engine("offline").unwrap().offline);

    let refused = send(
        &router,
        post_json(
            "/api/generate_image",
            &generate_body(&request("http-na-1", "openai", "a kite")),
        ),
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        refused.text()
    );
    assert!(refused.text().contains("Set OPENAI_API_KEY on the server"));
}

#[tokio::test]
async fn list_engines_puts_openai_first_and_default_when_a_key_is_set_and_hides_the_key() {
    let mock = start_mock().await;
    let router = build_router(openai_state_at(&openai_url(&mock), API_KEY, &[]));

    let answer = send(&router, get("/api/list_engines")).await;

    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_no_key(&answer, "list_engines");
    let catalog: EngineCatalog = answer.json();
    let ids: Vec<&str> = catalog.engines.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        (ids.first(), ids.last()),
        (Some(&"openai"), Some(&"offline"))
    );
    assert_eq!(catalog.default_engine, "openai");
    let openai = catalog.engine("openai").expect("openai is listed");
    assert_eq!(
        (
            openai.provider.as_str(),
            openai.models[0].id.as_str(),
            openai.offline,
            openai.unavailable.as_deref()
        ),
        ("OpenAI", "gpt-image-1", false, None)
    );
    assert_eq!(mock.calls().count, 0, "listing engines calls no provider");
}

#[tokio::test]
async fn generate_image_on_the_openai_engine_answers_the_mocks_picture() {
    let mock = start_mock().await;
    let router = build_router(openai_state_at(&openai_url(&mock), API_KEY, &[]));
    let boat = request("http-oa-1", "openai", "a paper boat");

    let answer = send(
        &router,
        post_json("/api/generate_image", &generate_body(&boat)),
    )
    .await;

    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let image: GeneratedImage = answer.json();
    assert_eq!(
        (image.engine.as_str(), image.provider.as_str()),
        ("openai", "OpenAI")
    );
    assert!(decode_b64(&image.b64).starts_with(&PNG_SIGNATURE));
    assert_eq!(mock.calls().count, 1);
}

/// A failed server function answers the status `AppError::http_status` chose (400 for bad
/// input), server_fn's `serverfnerror` header naming the function's path, and the error as JSON.
#[tokio::test]
async fn invalid_request_answers_400_with_the_json_app_error() {
    let router = build_router(offline_state());

    let answer = send(
        &router,
        post_json(
            "/api/generate_image",
            &generate_body(&offline_request("http-2", "   ")),
        ),
    )
    .await;

    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text());
    assert_eq!(
        answer
            .headers
            .get(SERVER_FN_ERROR_HEADER)
            .and_then(|v| v.to_str().ok()),
        Some("/api/generate_image")
    );
    match answer.json::<AppError>() {
        AppError::InvalidInput { field, message } => {
            assert_eq!(field, "prompt");
            assert!(message.contains("prompt is empty"), "{message}");
        }
        other => panic!("expected invalid input, got {other:?}"),
    }
}

#[tokio::test]
async fn refusals_are_worded_in_the_language_the_request_asks_for() {
    let router = build_router(offline_state());
    let mut request = post_json(
        "/api/generate_image",
        &generate_body(&offline_request("http-zh", "   ")),
    );
    request
        .headers_mut()
        .insert(header::ACCEPT_LANGUAGE, "zh-CN,zh;q=0.9".parse().unwrap());
    let answer = send(&router, request).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text());
    assert_eq!(
        answer.json::<AppError>().to_string(),
        "提示词为空：请描述你想要的图片。"
    );
}

#[tokio::test]
async fn a_size_the_model_does_not_offer_is_refused_in_the_requests_language() {
    let router = build_router(offline_state());
    let mut asked = offline_request("http-zh-size", "a paper boat");
    asked.size = "9999x9999".into();
    let mut request = post_json("/api/generate_image", &generate_body(&asked));
    request
        .headers_mut()
        .insert(header::ACCEPT_LANGUAGE, "zh-CN,zh;q=0.9".parse().unwrap());
    let answer = send(&router, request).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text());
    match answer.json::<AppError>() {
        AppError::InvalidInput { field, message } => {
            assert_eq!(field, "size");
            assert!(message.contains("无法生成 9999x9999 的图片"), "{message}");
            assert!(
                message.contains("1024x1024"),
                "names what it can make: {message}"
            );
        }
        other => panic!("expected a refused size, got {other:?}"),
    }
}

#[tokio::test]
async fn provider_errors_over_http_never_show_the_api_key() {
    let mock = start_mock().await;
    mock.script(vec![Step::from(OpenAiStep::InvalidApiKey)]);
    let router = build_router(openai_state_at(&openai_url(&mock), API_KEY, &[]));
    let auth_request = request("http-auth-1", "openai", "a paper boat");

    let answer = send(
        &router,
        post_json("/api/generate_image", &generate_body(&auth_request)),
    )
    .await;

    assert_eq!(answer.status, StatusCode::BAD_GATEWAY, "{}", answer.text());
    assert_no_key(&answer, "the auth error");
    match answer.json::<AppError>() {
        AppError::Provider {
            failure,
            message,
            provider_calls,
        } => {
            assert_eq!(failure, ProviderFailure::Auth);
            assert_eq!(
                message,
                "OpenAI rejected the API key (401): check OPENAI_API_KEY"
            );
            assert_eq!(provider_calls, 1);
        }
        other => panic!("expected a provider error, got {other:?}"),
    }

    let empty = send(
        &router,
        post_json(
            "/api/generate_image",
            &generate_body(&request("http-auth-2", "openai", "")),
        ),
    )
    .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert_no_key(&empty, "the validation error");
}

#[tokio::test]
async fn a_body_over_the_request_limit_is_refused_with_413() {
    let state = offline_state();
    let limit = state.settings.limits.max_request_bytes;
    assert_eq!(limit, 262_144, "the shipped default");
    let router = build_router(state);
    let body = generate_body(&offline_request("http-big", &"a".repeat(limit + 1)));

    let answer = send(&router, post_json("/api/generate_image", &body)).await;

    assert_eq!(
        answer.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        answer.text()
    );
}

#[tokio::test]
async fn cancel_generation_of_an_unknown_id_answers_false() {
    let router = build_router(offline_state());

    let answer = send(
        &router,
        post_json(
            "/api/cancel_generation",
            &json!({"request_id": "never-started"}),
        ),
    )
    .await;

    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert!(!answer.json::<bool>());
}

#[tokio::test]
async fn the_home_page_renders_the_studio_at_its_first_stage() {
    let router = build_router(offline_state());

    let answer = send(&router, get("/")).await;

    assert_eq!(answer.status, StatusCode::OK);
    let html = answer.text();
    assert!(html.contains(r#"data-testid="studio""#), "{html}");
    assert!(html.contains(r#"data-stage="initial_input""#), "{html}");
}
