//! Successful generations and edits: the §1.5 response shape.

use mock_openai::{MockConfig, MockServer};
use serde_json::{json, Value};

use crate::client::{decode_png, image_call, image_request, png_size, post, send, KEY};

fn is_id(value: &Value, prefix: &str) -> bool {
    value.as_str().is_some_and(|id| {
        id.len() == prefix.len() + 24
            && id.starts_with(prefix)
            && id[prefix.len()..].chars().all(|c| c.is_ascii_hexdigit())
    })
}

#[tokio::test]
async fn generation_has_the_recorded_shape_and_a_png_of_the_requested_size() {
    let server = MockServer::start(MockConfig::default()).await;
    let reply = post(
        &server,
        &image_request("a cat", json!({"size": "1024x1536"})),
    )
    .await;

    assert_eq!(reply.status, 200, "{}", reply.body);
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
    let (_, width, height) = decode_png(&call["result"]);
    assert_eq!((width, height), (1024, 1536));
}

#[tokio::test]
async fn null_fields_are_accepted_and_auto_means_1024_square() {
    let server = MockServer::start(MockConfig::default()).await;
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
    assert_eq!(reply.status, 200, "{}", reply.body);
    let call = image_call(&reply.json());
    assert_eq!(call["size"], "1024x1024");
    assert_eq!(call["quality"], "high");
    assert_eq!(png_size(&call["result"]), (1024, 1024));
}

#[tokio::test]
async fn different_prompts_give_different_images() {
    let server = MockServer::start(MockConfig::default()).await;
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
    let server = MockServer::start(MockConfig::default()).await;
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
    let server = MockServer::start(MockConfig::default()).await;
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
    assert_eq!(reply.status, 200, "{}", reply.body);
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
    let server = MockServer::start(MockConfig::default()).await;
    let created = post(&server, &image_request("a lamp", json!({})))
        .await
        .json();
    let id = created["id"].as_str().expect("id");

    let fetched = send(
        server.addr,
        "GET",
        &format!("/v1/responses/{id}"),
        Some(KEY),
        "",
    )
    .await;
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.json(), created);

    let missing = send(server.addr, "GET", "/v1/responses/resp_nope", Some(KEY), "").await;
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.error(),
        json!({"message": "Response with id 'resp_nope' not found.",
               "type": "invalid_request_error", "param": null, "code": null})
    );
}

#[tokio::test]
async fn store_false_responses_cannot_be_fetched_or_continued() {
    let server = MockServer::start(MockConfig::default()).await;
    let mut request = image_request("a tree", json!({}));
    request["store"] = json!(false);
    let created = post(&server, &request).await.json();
    assert_eq!(created["store"], false);
    let id = created["id"].as_str().expect("id");

    let fetched = send(
        server.addr,
        "GET",
        &format!("/v1/responses/{id}"),
        Some(KEY),
        "",
    )
    .await;
    assert_eq!(fetched.status, 404);
    let mut follow_up = image_request("taller", json!({}));
    follow_up["previous_response_id"] = json!(id);
    let reply = post(&server, &follow_up).await;
    assert_eq!(reply.error()["code"], "previous_response_not_found");
}

#[tokio::test]
async fn gpt_image_2_accepts_free_form_sizes() {
    let server = MockServer::start(MockConfig::default()).await;
    let request = image_request(
        "a wide view",
        json!({"model": "gpt-image-2", "size": "2048x1152"}),
    );
    let reply = post(&server, &request).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let call = image_call(&reply.json());
    assert_eq!(call["size"], "2048x1152");
    assert_eq!(png_size(&call["result"]), (2048, 1152));
}

#[tokio::test]
async fn padding_makes_a_valid_png_of_about_the_asked_size() {
    let padding = 1_500_000;
    let server = MockServer::start(MockConfig {
        api_key: None,
        image_padding_bytes: padding,
    })
    .await;
    let reply = post(&server, &image_request("a big one", json!({}))).await;
    let (bytes, width, height) = decode_png(&image_call(&reply.json())["result"]);
    assert_eq!((width, height), (1024, 1024));
    assert!(
        bytes.len() > padding && bytes.len() < padding + 200_000,
        "PNG is {} bytes",
        bytes.len()
    );
}
