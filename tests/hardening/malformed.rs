//! Every malformed request gets a 4xx in the README's `AppError` shape, with a sentence a person
//! can act on and no Rust type or serde internals; and no other site's page can start a generation.

use crate::server::{client, start};
use futures_util::stream;
use proofsheet::error::AppError;
use reqwest::header::{CONTENT_TYPE, ORIGIN};
use reqwest::StatusCode;

const GENERATE: &str = "/api/generate_image";

fn valid_body() -> serde_json::Value {
    serde_json::json!({"request": {
        "request_id": "m1", "engine": "offline", "prompt": "a red kite", "size": "512x512",
        "quality": null, "seed": 1, "refinements": [], "parent": null
    }})
}

/// What the API answered, decoded as an `AppError`, with the words checked for internals.
async fn refusal(response: reqwest::Response) -> (StatusCode, AppError) {
    let status = response.status();
    let text = response.text().await.unwrap();
    for internal in [
        "GenerateImage",
        "GenerateRequest",
        "struct",
        "Deserialization",
        "Transport",
        "u64",
        "expected `",
    ] {
        assert!(
            !text.contains(internal),
            "{status} names an internal ({internal}): {text}"
        );
    }
    let error: AppError = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{status} is not an AppError ({e}): {text}"));
    (status, error)
}

#[tokio::test]
async fn malformed_bodies_get_400_naming_the_field() {
    let server = start(&[]).await;
    let seed_1e400 = valid_body()
        .to_string()
        .replace("\"seed\":1", "\"seed\":1e400");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("invalid JSON", b"{\"request\":".to_vec(), "request"),
        ("null", b"null".to_vec(), "body"),
        ("request null", br#"{"request":null}"#.to_vec(), "request"),
        (
            "wrong type",
            valid_body()
                .to_string()
                .replace("\"seed\":1", "\"seed\":\"one\"")
                .into_bytes(),
            "request.seed",
        ),
        (
            "missing field",
            br#"{"request":{"request_id":"m1"}}"#.to_vec(),
            "request",
        ),
        ("seed 1e400", seed_1e400.into_bytes(), "request.seed"),
        (
            "invalid UTF-8",
            [
                &br#"{"request":{"request_id":"m"#[..],
                &[0xff, 0xfe],
                &br#""}}"#[..],
            ]
            .concat(),
            "request.request_id",
        ),
    ];
    for (what, body, field) in cases {
        let response = client()
            .post(server.url(GENERATE))
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let (status, error) = refusal(response).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}");
        match error {
            AppError::InvalidInput {
                field: got,
                message,
            } => {
                assert_eq!(got, field, "{what}: {message}");
                assert!(message.ends_with('.'), "{what}: a sentence: {message}");
            }
            other => panic!("{what}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn invalid_values_are_refused_in_words_and_echoed_only_in_part() {
    let server = start(&[]).await;
    let mut body = valid_body();
    body["request"]["engine"] = "e".repeat(5000).into();
    let response = client()
        .post(server.url(GENERATE))
        .json(&body)
        .send()
        .await
        .unwrap();
    let (status, error) = refusal(response).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error.to_string().len() < 200, "{error}");

    let mut body = valid_body();
    body["request"]["prompt"] = "\u{200B}\u{200D}\u{FEFF}".into();
    let response = client()
        .post(server.url(GENERATE))
        .json(&body)
        .send()
        .await
        .unwrap();
    let (_, error) = refusal(response).await;
    assert_eq!(
        error.to_string(),
        "The prompt is empty: describe the picture you want."
    );
}

#[tokio::test]
async fn oversized_bodies_get_413_in_the_api_shape_with_or_without_a_length() {
    let server = start(&[]).await;
    let declared = client()
        .post(server.url(GENERATE))
        .header(CONTENT_TYPE, "application/json")
        .body(vec![b' '; 300 * 1024])
        .send()
        .await
        .unwrap();
    let (status, error) = refusal(declared).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(error.to_string().contains("256 KiB"), "{error}");

    // 10 MB in 1 MB chunks with no Content-Length (chunked transfer encoding).
    let chunks = stream::iter((0..10).map(|_| Ok::<_, std::io::Error>(vec![b' '; 1 << 20])));
    let chunked = client()
        .post(server.url(GENERATE))
        .header(CONTENT_TYPE, "application/json")
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await;
    // The server may answer and close before the client has sent everything.
    if let Ok(response) = chunked {
        let (status, _) = refusal(response).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    }
}

#[tokio::test]
async fn another_sites_page_cannot_start_a_generation() {
    let server = start(&[]).await;
    // What a page on another site can send without a CORS preflight.
    let simple = client()
        .post(server.url(GENERATE))
        .header(CONTENT_TYPE, "text/plain")
        .header(ORIGIN, "https://evil.example")
        .body(valid_body().to_string())
        .send()
        .await
        .unwrap();
    let (status, _) = refusal(simple).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let not_json = client()
        .post(server.url(GENERATE))
        .header(CONTENT_TYPE, "text/plain")
        .body(valid_body().to_string())
        .send()
        .await
        .unwrap();
    let (status, _) = refusal(not_json).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let own_page = client()
        .post(server.url(GENERATE))
        .header(ORIGIN, format!("http://{}", server.addr))
        .json(&valid_body())
        .send()
        .await
        .unwrap();
    assert_eq!(
        own_page.status(),
        StatusCode::OK,
        "the studio's own page is served"
    );
}

#[tokio::test]
async fn unknown_endpoints_and_methods_answer_in_the_api_shape() {
    let server = start(&[]).await;
    let missing = client().get(server.url("/api/nope")).send().await.unwrap();
    assert_eq!(refusal(missing).await.0, StatusCode::NOT_FOUND);
    let wrong_method = client().get(server.url(GENERATE)).send().await.unwrap();
    assert_eq!(
        refusal(wrong_method).await.0,
        StatusCode::METHOD_NOT_ALLOWED
    );
}
