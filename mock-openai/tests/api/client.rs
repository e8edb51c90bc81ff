//! A deliberately tiny HTTP/1.1 client over a raw `TcpStream`: no extra
//! dependency, and the cancel test needs to drop a connection mid-request.

use std::net::SocketAddr;
use std::time::Duration;

use base64::prelude::{Engine, BASE64_STANDARD};
use mock_openai::{Calls, MockServer};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const KEY: &str = "Bearer sk-test-key-1234";

pub struct Reply {
    pub status: u16,
    headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("body is not JSON ({error}): {}", self.body))
    }

    /// The `error` object of an OpenAI error envelope.
    pub fn error(&self) -> Value {
        let body = self.json();
        assert!(body["error"].is_object(), "not an error envelope: {body}");
        body["error"].clone()
    }
}

/// The raw bytes of one request, `Connection: close` so the reply ends at EOF.
pub fn raw_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    auth: Option<&str>,
    body: &str,
) -> String {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(auth) = auth {
        head.push_str(&format!("Authorization: {auth}\r\n"));
    }
    head.push_str(&format!(
        "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    ));
    head
}

pub async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    auth: Option<&str>,
    body: &str,
) -> Reply {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(raw_request(addr, method, path, auth, body).as_bytes())
        .await
        .expect("write request");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read reply");
    parse_reply(&raw)
}

fn parse_reply(raw: &[u8]) -> Reply {
    let text = String::from_utf8(raw.to_vec()).expect("UTF-8 reply");
    let (head, body) = text.split_once("\r\n\r\n").expect("header/body separator");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    assert!(
        !headers.iter().any(
            |(name, value)| name.eq_ignore_ascii_case("transfer-encoding")
                && value.contains("chunked")
        ),
        "this tiny client does not decode chunked bodies"
    );
    Reply {
        status,
        headers,
        body: body.to_owned(),
    }
}

pub async fn post(server: &MockServer, body: &Value) -> Reply {
    send(
        server.addr,
        "POST",
        "/v1/responses",
        Some(KEY),
        &body.to_string(),
    )
    .await
}

pub async fn post_raw(server: &MockServer, body: &str) -> Reply {
    send(server.addr, "POST", "/v1/responses", Some(KEY), body).await
}

/// A minimal valid request: string input, image tool with `tool` fields.
pub fn image_request(prompt: &str, tool: Value) -> Value {
    let mut image_tool = json!({"type": "image_generation"});
    if let (Some(target), Some(extra)) = (image_tool.as_object_mut(), tool.as_object()) {
        target.extend(extra.clone());
    }
    json!({
        "model": "gpt-5",
        "input": prompt,
        "tools": [image_tool],
        "tool_choice": {"type": "image_generation"},
    })
}

/// The `image_generation_call` item of a Response.
pub fn image_call(response: &Value) -> Value {
    response["output"]
        .as_array()
        .and_then(|items| {
            items
                .iter()
                .find(|item| item["type"] == "image_generation_call")
        })
        .cloned()
        .unwrap_or_else(|| panic!("no image_generation_call in {response}"))
}

/// Decodes a `result` and returns the PNG bytes and IHDR dimensions,
/// checking the signature and every chunk's CRC on the way.
pub fn decode_png(result: &Value) -> (Vec<u8>, u32, u32) {
    let bytes = BASE64_STANDARD
        .decode(result.as_str().expect("result is a string"))
        .expect("result is bare base64");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR");
    let width = u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]);
    let height = u32::from_be_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]);
    // Strict: by default the png crate forgives bad CRCs on ancillary chunks,
    // such as the padding chunk.
    let mut options = png::DecodeOptions::default();
    options.set_skip_ancillary_crc_failures(false);
    let mut reader = png::Decoder::new_with_options(&bytes[..], options)
        .read_info()
        .expect("PNG header");
    let mut pixels = vec![0; reader.output_buffer_size()];
    reader.next_frame(&mut pixels).expect("PNG image data");
    reader.finish().expect("PNG trailing chunks");
    (bytes, width, height)
}

pub fn png_size(result: &Value) -> (u32, u32) {
    let (_, width, height) = decode_png(result);
    (width, height)
}

/// Polls the ledger until `done` holds (or fails after five seconds).
pub async fn wait_for_calls(server: &MockServer, done: impl Fn(&Calls) -> bool) -> Calls {
    for _ in 0..500 {
        let calls = server.calls();
        if done(&calls) {
            return calls;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("condition never held; calls: {:?}", server.calls());
}
