//! Reference images reach every engine the way its API takes them: Gemini inline parts, Ark data
//! URLs, OpenAI `images/edits` multipart files, Ideogram style references, FLUX's image prompt,
//! AUTOMATIC1111's img2img. Each test stores a PNG and a JPEG in the server's reference store,
//! names them in the request, and reads what the mock received.
use crate::*;
use base64::Engine as _;
use image::{ImageFormat, Rgb, RgbImage};
use proofsheet::server::generate::generate;
use proofsheet::server::references::store::StoredFormat;

/// The two stored references, PNG first: (id, bytes, MIME type) each.
async fn two_references(state: &AppState) -> Vec<(String, Vec<u8>, &'static str)> {
    let mut stored = Vec::new();
    for (format, stored_as, colour) in [
        (ImageFormat::Png, StoredFormat::Png, [200, 30, 30]),
        (ImageFormat::Jpeg, StoredFormat::Jpeg, [30, 30, 200]),
    ] {
        let mut bytes = Vec::new();
        RgbImage::from_pixel(24, 16, Rgb(colour))
            .write_to(&mut std::io::Cursor::new(&mut bytes), format)
            .unwrap();
        let id = state
            .references
            .put(bytes.clone(), stored_as)
            .await
            .unwrap();
        stored.push((id, bytes, stored_as.mime()));
    }
    stored
}

fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn data_url(mime: &str, bytes: &[u8]) -> String {
    format!("data:{mime};base64,{}", base64(bytes))
}

/// A request for `engine` naming `references`, in their order.
fn with_references(
    id: &str,
    engine: &str,
    size: &str,
    references: &[(String, Vec<u8>, &str)],
) -> GenerateRequest {
    GenerateRequest {
        references: references.iter().map(|(id, _, _)| id.clone()).collect(),
        ..request(id, engine, size)
    }
}

/// The one API call `provider` received.
fn the_call(mock: &MockServer, provider: Provider) -> ReceivedRequest {
    let calls = api_calls(mock, provider);
    assert_eq!(calls.len(), 1, "one call to {provider:?}");
    calls.into_iter().next().unwrap()
}

#[tokio::test]
async fn gemini_gets_each_reference_as_an_inline_part_after_the_words() {
    let mock = start_mock().await;
    let state = state_for(&mock, &[]);
    let references = two_references(&state).await;
    generate(
        &state,
        with_references("ref-gem", "gemini", "1:1", &references),
    )
    .await
    .expect("a picture");
    let sent = the_call(&mock, Provider::Gemini);
    // Sent with its length, not chunked (the body is a stream so it is not kept after sending).
    assert!(
        sent.headers.contains_key("content-length"),
        "{:?}",
        sent.headers
    );
    assert!(!sent.headers.contains_key("transfer-encoding"));
    let body = sent.body.json().unwrap().clone();
    let parts = body["contents"][0]["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 3, "the words and two pictures: {parts:?}");
    assert!(parts[0]["text"].as_str().unwrap().contains(PROMPT));
    for (part, (_, bytes, mime)) in parts[1..].iter().zip(&references) {
        assert_eq!(part["inlineData"]["mimeType"], *mime);
        assert_eq!(part["inlineData"]["data"], base64(bytes));
    }
}

#[tokio::test]
async fn doubao_gets_the_references_as_a_list_of_data_urls() {
    let mock = start_mock().await;
    let state = state_for(&mock, &[]);
    let references = two_references(&state).await;
    generate(
        &state,
        with_references("ref-ark", "doubao", "2K", &references),
    )
    .await
    .expect("a picture");
    let body = the_call(&mock, Provider::Ark).body.json().unwrap().clone();
    let expected: Vec<String> = references
        .iter()
        .map(|(_, bytes, mime)| data_url(mime, bytes))
        .collect();
    assert_eq!(body["image"], serde_json::json!(expected));
}

#[tokio::test]
async fn openai_images_with_references_posts_an_edit_with_one_image_part_each() {
    const KEY: &str = "sk-test-edits-qkzv";
    let mock = MockServer::start(MockConfig::default().with_api_key(Provider::OpenAi, KEY)).await;
    let base_url = mock.base_url(Provider::OpenAi);
    let state = state_for(
        &mock,
        &[
            ("OPENAI_API_KEY", KEY),
            ("PROOFSHEET_PROVIDER__OPENAI_IMAGES__BASE_URL", &base_url),
        ],
    );
    let references = two_references(&state).await;
    let mut request = with_references("ref-edit", "openai-images", "1024x1024", &references);
    request.quality = Some("low".into());
    generate(&state, request).await.expect("a picture");
    let sent = the_call(&mock, Provider::OpenAi);
    assert_eq!(sent.path, "/openai/v1/images/edits");
    assert_eq!(part(&sent, "model"), Some("gpt-image-1"));
    assert_eq!(part(&sent, "prompt"), Some(PROMPT));
    assert_eq!(part(&sent, "size"), Some("1024x1024"));
    assert_eq!(part(&sent, "quality"), Some("low"));
    assert_eq!(part(&sent, "n"), Some("1"), "numbers travel as text");
    let images: Vec<_> = sent
        .body
        .parts()
        .iter()
        .filter(|p| p.name == "image[]")
        .collect();
    assert_eq!(images.len(), 2);
    for (image, (id, bytes, mime)) in images.iter().zip(&references) {
        assert_eq!(image.content_type.as_deref(), Some(*mime));
        assert_eq!(image.size, bytes.len());
        assert!(image.file_name.as_deref().unwrap().starts_with(id.as_str()));
    }
}

#[tokio::test]
async fn ideogram_gets_the_references_as_style_reference_images() {
    let mock = start_mock().await;
    let state = state_for(&mock, &[]);
    let references = two_references(&state).await;
    generate(
        &state,
        with_references("ref-ideo", "ideogram", "16:9", &references),
    )
    .await
    .expect("a picture");
    let sent = the_call(&mock, Provider::Ideogram);
    let sizes: Vec<usize> = sent
        .body
        .parts()
        .iter()
        .filter(|p| p.name == "style_reference_images")
        .map(|p| p.size)
        .collect();
    let expected: Vec<usize> = references.iter().map(|(_, b, _)| b.len()).collect();
    assert_eq!(sizes, expected);
}

#[tokio::test]
async fn flux_gets_its_one_reference_as_the_image_prompt() {
    let mock = start_mock().await;
    let state = state_for(&mock, &[]);
    let references = two_references(&state).await;
    generate(
        &state,
        with_references("ref-flux", "replicate", "1:1", &references[..1]),
    )
    .await
    .expect("a picture");
    let creates: Vec<_> = api_calls(&mock, Provider::Replicate)
        .into_iter()
        .filter(|c| c.method == "POST")
        .collect();
    let body = creates[0].body.json().unwrap();
    let (_, bytes, mime) = &references[0];
    assert_eq!(body["input"]["image_prompt"], data_url(mime, bytes));
}

#[tokio::test]
async fn a1111_with_a_reference_runs_img2img_from_it() {
    let mock = start_mock().await;
    let state = state_for(&mock, &[]);
    let references = two_references(&state).await;
    generate(
        &state,
        with_references("ref-a1111", "a1111", "512x512", &references[..1]),
    )
    .await
    .expect("a picture");
    let sent = the_call(&mock, Provider::A1111);
    assert_eq!(sent.path, "/a1111/sdapi/v1/img2img");
    let body = sent.body.json().unwrap();
    assert_eq!(
        body["init_images"],
        serde_json::json!([base64(&references[0].1)])
    );
    assert_eq!(body["prompt"], PROMPT);
}
