//! Shared helpers: a client, image decoding, SSE framing, condition waits.

use std::time::Duration;

use base64::prelude::{Engine, BASE64_STANDARD};
use mock_providers::{Calls, MockConfig, MockServer, OpenAiStep, Provider, Step};
use reqwest::header::HeaderMap;
use serde_json::Value;

/// A client that never goes through a proxy: the mock is on 127.0.0.1.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("HTTP client")
}

pub async fn start() -> MockServer {
    MockServer::start(MockConfig::default()).await
}

/// `base_url(provider)` + `path`.
pub fn url(server: &MockServer, provider: Provider, path: &str) -> String {
    format!("{}{path}", server.base_url(provider))
}

/// A finished answer: status, headers, body text.
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
}

impl Reply {
    pub async fn from(response: reqwest::Response) -> Reply {
        Reply {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            text: response.text().await.expect("body"),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.text))
    }
}

pub async fn send(request: reqwest::RequestBuilder) -> Reply {
    Reply::from(request.send().await.expect("request sent")).await
}

/// `GET url` as raw bytes.
pub async fn download(url: &str) -> (u16, Option<String>, Vec<u8>) {
    let response = client().get(url).send().await.expect("download");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let bytes = response.bytes().await.expect("bytes").to_vec();
    (status, content_type, bytes)
}

pub fn base64(value: &Value) -> Vec<u8> {
    BASE64_STANDARD
        .decode(value.as_str().expect("base64 string"))
        .expect("valid base64")
}

#[derive(Debug, PartialEq, Eq)]
pub enum Format {
    Png,
    Jpeg,
    Webp,
}

/// Fully decodes an image with an independent decoder and returns its
/// format and size.
pub fn decode(bytes: &[u8]) -> (Format, u32, u32) {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        let mut reader = png::Decoder::new(bytes).read_info().expect("PNG header");
        let mut pixels = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut pixels).expect("PNG data");
        reader.finish().expect("PNG end");
        (Format::Png, info.width, info.height)
    } else if bytes.starts_with(&[0xff, 0xd8]) {
        let mut decoder = jpeg_decoder::Decoder::new(bytes);
        decoder.decode().expect("JPEG data");
        let info = decoder.info().expect("JPEG header");
        (Format::Jpeg, u32::from(info.width), u32::from(info.height))
    } else if bytes.starts_with(b"RIFF") {
        let mut decoder =
            image_webp::WebPDecoder::new(std::io::Cursor::new(bytes)).expect("WebP header");
        let (width, height) = decoder.dimensions();
        let mut pixels = vec![0; decoder.output_buffer_size().expect("size")];
        decoder.read_image(&mut pixels).expect("WebP data");
        (Format::Webp, width, height)
    } else {
        panic!("not an image: {:?}", &bytes[..bytes.len().min(16)]);
    }
}

/// `(event name, data)` of each SSE frame.
pub fn sse_frames(text: &str) -> Vec<(Option<String>, String)> {
    text.split("\n\n")
        .filter(|frame| !frame.trim().is_empty())
        .map(|frame| {
            let mut event = None;
            let mut data = Vec::new();
            for line in frame.lines() {
                if let Some(name) = line.strip_prefix("event:") {
                    event = Some(name.trim().to_owned());
                } else if let Some(value) = line.strip_prefix("data:") {
                    data.push(value.trim_start().to_owned());
                }
            }
            (event, data.join("\n"))
        })
        .collect()
}

/// Polls the ledger until `done` holds (or fails after five seconds).
pub async fn wait_for_calls(server: &MockServer, done: impl Fn(&Calls) -> bool) -> Calls {
    for _ in 0..1000 {
        let calls = server.calls();
        if done(&calls) {
            return calls;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("condition never held; calls: {:?}", server.calls());
}

/// Every canned OpenAI error step, in the order both OpenAI APIs' tests expect their answers:
/// two rate limits (with and without a hint), quota, key, moderation, content policy,
/// verification, unknown model, a 502.
pub fn canned_openai_errors() -> Vec<Step> {
    vec![
        OpenAiStep::RateLimited {
            retry_after_ms: Some(1500),
        }
        .into(),
        OpenAiStep::RateLimited {
            retry_after_ms: None,
        }
        .into(),
        OpenAiStep::InsufficientQuota.into(),
        OpenAiStep::InvalidApiKey.into(),
        OpenAiStep::ModerationBlocked.into(),
        OpenAiStep::ContentPolicyViolation.into(),
        OpenAiStep::OrgNotVerified.into(),
        OpenAiStep::ModelNotFound.into(),
        OpenAiStep::ServerError { status: 502 }.into(),
    ]
}
