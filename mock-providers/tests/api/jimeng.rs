//! jimeng-style proxy (§7): four URLs per call, WebP files, and errors as
//! HTTP 200 with a negative `code`.

use mock_providers::{ImageFormat, JimengStep, MockConfig, MockServer, Provider};
use serde_json::{json, Value};

use crate::common::{base64, client, decode, download, send, start, url, Format, Reply};

const SESSION: &str = "test-jimeng-session-qkzv";

async fn generate(server: &MockServer, auth: Option<&str>, body: Value) -> Reply {
    let mut request = client()
        .post(url(server, Provider::Jimeng, "/images/generations"))
        .json(&body);
    if let Some(auth) = auth {
        request = request.header("authorization", auth);
    }
    send(request).await
}

fn bearer() -> String {
    format!("Bearer {SESSION}")
}

/// Asserts an HTTP 200 failure body and returns its message.
fn failure(reply: &Reply, code: i64) -> String {
    assert_eq!(reply.status, 200, "jimeng errors are HTTP 200");
    let body = reply.json();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["data"], Value::Null);
    body["message"].as_str().expect("message").to_owned()
}

#[tokio::test]
async fn a_call_answers_four_webp_urls_at_the_ratio_and_resolution() {
    let server = start().await;
    let reply = generate(
        &server,
        Some(&bearer()),
        json!({"model": "jimeng-4.5", "prompt": "美丽的少女", "ratio": "16:9", "resolution": "2k"}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let body = reply.json();
    assert!(body["created"].is_u64());
    assert!(body.get("usage").is_none() && body.get("code").is_none());
    let data = body["data"].as_array().expect("data");
    assert_eq!(data.len(), 4);
    let first = data[0]["url"].as_str().expect("url");
    assert!(
        first.contains("/jimeng-delivery/") && first.contains("x-signature="),
        "{first}"
    );
    let (status, content_type, bytes) = download(first).await;
    assert_eq!((status, content_type.as_deref()), (200, Some("image/webp")));
    assert_eq!(decode(&bytes), (Format::Webp, 2560, 1440));
}

#[tokio::test]
async fn b64_json_and_scripted_count_and_format() {
    let server = start().await;
    server.script(vec![JimengStep::Images {
        count: 2,
        format: ImageFormat::Png,
    }
    .into()]);
    let body = generate(
        &server,
        Some(&bearer()),
        json!({"prompt": "p", "ratio": "4:3", "resolution": "1k", "response_format": "b64_json"}),
    )
    .await
    .json();
    let data = body["data"].as_array().expect("data");
    assert_eq!(data.len(), 2);
    // The fork's 1k table really does swap 4:3 and 3:4.
    assert_eq!(
        decode(&base64(&data[0]["b64_json"])),
        (Format::Png, 768, 1024)
    );
    let webp = generate(
        &server,
        Some(&bearer()),
        json!({"prompt": "p", "response_format": "b64_json", "resolution": "1k"}),
    )
    .await
    .json();
    assert_eq!(
        decode(&base64(&webp["data"][3]["b64_json"])),
        (Format::Webp, 1024, 1024)
    );
}

#[tokio::test]
async fn refusals_come_as_http_200_with_negative_codes() {
    let server =
        MockServer::start(MockConfig::default().with_api_key(Provider::Jimeng, SESSION)).await;
    let message = failure(
        &generate(
            &server,
            Some(&bearer()),
            json!({"prompt": "p", "size": "1024x1024"}),
        )
        .await,
        -1000,
    );
    assert!(
        message.contains("不支持的参数") && message.contains("请使用 ratio 和 resolution"),
        "{message}"
    );
    assert_eq!(
        failure(
            &generate(&server, Some(&bearer()), json!({"model": "jimeng-4.5"})).await,
            -2000
        ),
        "Params body.prompt invalid"
    );
    assert_eq!(
        failure(
            &generate(&server, None, json!({"prompt": "p"})).await,
            -2000
        ),
        "Params headers.authorization invalid"
    );
    assert_eq!(
        failure(
            &generate(
                &server,
                Some("Bearer test-stale-session"),
                json!({"prompt": "p"})
            )
            .await,
            -2002
        ),
        "Token已失效"
    );
    failure(
        &generate(
            &server,
            Some(&bearer()),
            json!({"prompt": "p", "ratio": "5:4"}),
        )
        .await,
        -1000,
    );
    // One right session in a comma-separated list is enough.
    let list = format!("Bearer test-other-session, {SESSION}");
    assert_eq!(
        generate(&server, Some(&list), json!({"prompt": "p"}))
            .await
            .json()["data"]
            .as_array()
            .map(Vec::len),
        Some(4)
    );

    server.script(vec![
        JimengStep::Failure {
            code: -2009,
            message: None,
        }
        .into(),
        JimengStep::Failure {
            code: -2006,
            message: None,
        }
        .into(),
        JimengStep::Failure {
            code: -2001,
            message: Some("上游超时".into()),
        }
        .into(),
    ]);
    assert_eq!(
        failure(
            &generate(&server, Some(&bearer()), json!({"prompt": "p"})).await,
            -2009
        ),
        "即梦积分不足"
    );
    assert_eq!(
        failure(
            &generate(&server, Some(&bearer()), json!({"prompt": "p"})).await,
            -2006
        ),
        "内容由于合规问题已被阻止生成"
    );
    assert_eq!(
        failure(
            &generate(&server, Some(&bearer()), json!({"prompt": "p"})).await,
            -2001
        ),
        "上游超时"
    );

    let unknown = send(
        client()
            .get(url(&server, Provider::Jimeng, "/models"))
            .bearer_auth(SESSION),
    )
    .await;
    assert!(failure(&unknown, -1000).contains("GET -> /v1/models"));
}
