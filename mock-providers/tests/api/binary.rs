//! The `mock-providers` binary: announces its address, serves every
//! provider, takes scripts over HTTP, exits on SIGTERM.

use std::process::Stdio;
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::common::{client, send};

#[tokio::test]
async fn binary_serves_until_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mock-providers"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--api-key",
            "gemini=test-gemini-key-qkzv",
        ])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn mock-providers");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let banner = lines
        .next_line()
        .await
        .expect("read banner")
        .expect("a banner");
    let origin = banner
        .strip_prefix("mock-providers listening on ")
        .unwrap_or_else(|| panic!("unexpected banner {banner:?}"))
        .to_owned();
    let gemini_line = lines.next_line().await.expect("read").expect("a line");
    assert!(
        gemini_line.contains(&format!("{origin}/openai/v1")),
        "{gemini_line}"
    );

    let endpoint = format!("{origin}/gemini/v1beta/models/gemini-2.5-flash-image:generateContent");
    let body = json!({"contents": [{"parts": [{"text": "from the binary"}]}]});
    let ok = send(
        client()
            .post(&endpoint)
            .header("x-goog-api-key", "test-gemini-key-qkzv")
            .json(&body),
    )
    .await;
    assert_eq!(ok.status, 200);
    let wrong = send(
        client()
            .post(&endpoint)
            .header("x-goog-api-key", "test-other")
            .json(&body),
    )
    .await;
    assert_eq!(wrong.status, 400);
    let script = json!({"steps": [{"provider": "gemini", "respond": "unavailable"}]});
    let scripted = send(
        client()
            .post(format!("{origin}/__mock/script"))
            .json(&script),
    )
    .await;
    assert_eq!(scripted.status, 204);
    let unavailable = send(
        client()
            .post(&endpoint)
            .header("x-goog-api-key", "test-gemini-key-qkzv")
            .json(&body),
    )
    .await;
    assert_eq!(unavailable.status, 503);

    let pid = child.id().expect("pid").to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("run kill");
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(5), child.wait())
        .await
        .expect("exits promptly")
        .expect("exit status");
    assert!(status.success(), "{status:?}");
}
