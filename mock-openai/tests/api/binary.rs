//! The `mock-openai` binary: announces its address, serves, exits on SIGTERM.

use std::process::Stdio;
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::client::{image_request, send};

#[tokio::test]
async fn binary_serves_until_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mock-openai"))
        .args(["--addr", "127.0.0.1:0", "--api-key", "sk-binary-key-1234"])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn mock-openai");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .await
        .expect("read banner");
    let url = line
        .trim()
        .strip_prefix("mock-openai listening on http://")
        .and_then(|rest| rest.strip_suffix("/v1"))
        .unwrap_or_else(|| panic!("unexpected banner {line:?}"));
    let addr = url.parse().expect("socket address");

    let body = image_request("from the binary", json!({})).to_string();
    let ok = send(
        addr,
        "POST",
        "/v1/responses",
        Some("Bearer sk-binary-key-1234"),
        &body,
    )
    .await;
    assert_eq!(ok.status, 200);
    let wrong = send(
        addr,
        "POST",
        "/v1/responses",
        Some("Bearer sk-other"),
        &body,
    )
    .await;
    assert_eq!(wrong.status, 401);

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
