//! The real binary as a separate process, so its memory and its log can be read: the per-engine
//! bound under a burst of 300 large offline generations, HEAD bursts that must not panic the
//! renderer, a generation dropped by its client, and a log without colour codes when piped.

use crate::common::{openai_url, start_mock, API_KEY};
use mock_providers::{OpenAiStep, Step};
use reqwest::StatusCode;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncReadExt as _;
use tokio::process::{Child, Command};

struct Binary {
    child: Child,
    base: String,
    log: Arc<Mutex<String>>,
}

impl Binary {
    async fn start(env: &[(&str, &str)]) -> Binary {
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        let addr = format!("127.0.0.1:{port}");
        let mut child = Command::new(env!("CARGO_BIN_EXE_proofsheet"))
            .env_remove("OPENAI_API_KEY")
            .env("LEPTOS_SITE_ADDR", &addr)
            .env("LEPTOS_OUTPUT_NAME", "proofsheet")
            .env("LEPTOS_SITE_ROOT", "target/site")
            .env("RUST_LOG", "proofsheet=info,warn")
            .env(
                "PROOFSHEET_DATA_DIR",
                concat!(env!("CARGO_TARGET_TMPDIR"), "/binary-data"),
            )
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the proofsheet binary starts");
        let log = Arc::new(Mutex::new(String::new()));
        for mut pipe in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn tokio::io::AsyncRead + Unpin + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                let mut buffer = [0u8; 4096];
                while let Ok(n @ 1..) = pipe.read(&mut buffer).await {
                    log.lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buffer[..n]));
                }
            });
        }
        let binary = Binary {
            child,
            base: format!("http://{addr}"),
            log,
        };
        binary
            .wait_until("it answers", || async {
                reqwest::get(format!("{}/api/list_engines", binary.base))
                    .await
                    .is_ok()
            })
            .await;
        binary
    }

    /// Polls `ready` in short steps; the bound only stops a broken test from hanging.
    async fn wait_until<F: std::future::Future<Output = bool>>(
        &self,
        what: &str,
        ready: impl Fn() -> F,
    ) {
        for _ in 0..1000 {
            if ready().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the server never got to: {what}\n{}", self.log());
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Peak resident memory so far, from the kernel.
    fn peak_rss_kib(&self) -> u64 {
        let pid = self.child.id().expect("running");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in /proc/<pid>/status")
    }
}

fn offline_request(id: usize) -> serde_json::Value {
    serde_json::json!({"request": {
        "request_id": format!("burst-{id}"), "engine": "offline", "prompt": "a harbour at dusk",
        "size": "1536x1024", "quality": null, "seed": id, "refinements": [], "parent": null
    }})
}

#[tokio::test]
async fn a_burst_of_300_large_generations_is_bounded_and_memory_stays_flat() {
    let binary = Binary::start(&[]).await;
    let client = reqwest::Client::new();
    let burst: Vec<_> = (0..300)
        .map(|id| {
            let request = client
                .post(format!("{}/api/generate_image", binary.base))
                .json(&offline_request(id))
                .send();
            tokio::spawn(async move {
                let response = request.await.expect("every request is answered");
                let retry_after = response.headers().get("retry-after").cloned();
                (response.status(), retry_after)
            })
        })
        .collect();
    // While the burst runs, the rest of the API still answers.
    let engines = client
        .get(format!("{}/api/list_engines", binary.base))
        .send()
        .await
        .unwrap();
    assert_eq!(engines.status(), StatusCode::OK);

    let (mut made, mut busy) = (0, 0);
    for answer in burst {
        match answer.await.unwrap() {
            (StatusCode::OK, _) => made += 1,
            (StatusCode::TOO_MANY_REQUESTS, Some(retry_after)) => {
                assert_eq!(retry_after, "5");
                busy += 1;
            }
            other => panic!("unexpected answer {other:?}"),
        }
    }
    let peak_mib = binary.peak_rss_kib() / 1024;
    eprintln!("300-request burst: {made} made, {busy} told to come back; peak RSS {peak_mib} MiB");
    // 2 running + 16 queued are served; the rest learn at once to come back.
    assert!(made >= 18, "{made} made");
    assert!(busy > 0 && made + busy == 300, "{made} made, {busy} busy");
    assert!(peak_mib < 200, "peak RSS {peak_mib} MiB");
}

#[tokio::test]
async fn head_bursts_never_panic_the_renderer() {
    let binary = Binary::start(&[]).await;
    let client = reqwest::Client::new();
    for _ in 0..40 {
        let head = client.head(&binary.base).send().await.unwrap();
        assert_eq!(head.status(), StatusCode::OK);
    }
    // A page render outlives its HEAD response by a few milliseconds; a GET after the burst has
    // been rendered after all of them.
    let get = client.get(&binary.base).send().await.unwrap();
    assert_eq!(get.status(), StatusCode::OK);
    let log = binary.log();
    assert!(!log.contains("panicked"), "{log}");
}

#[tokio::test]
async fn a_dropped_generation_is_logged_on_one_plain_line() {
    let mock = start_mock().await;
    mock.script(vec![Step::from(OpenAiStep::Images).delayed(30_000)]);
    let binary = Binary::start(&[
        ("OPENAI_API_KEY", API_KEY),
        ("OPENAI_BASE_URL", &openai_url(&mock)),
    ])
    .await;
    let mut body = offline_request(1);
    body["request"]["engine"] = "openai".into();
    body["request"]["size"] = "1024x1024".into();
    body["request"]["quality"] = "low".into();
    let call = reqwest::Client::new()
        .post(format!("{}/api/generate_image", binary.base))
        .json(&body)
        .send();
    let started = tokio::spawn(call);
    crate::common::wait_for_calls(&mock, "the generation", |calls| calls.count == 1).await;
    started.abort();
    binary
        .wait_until("logging the dropped generation", || async {
            binary.log().contains("dropped: the client went away")
        })
        .await;
    let log = binary.log();
    let line = log
        .lines()
        .find(|l| l.contains("dropped: the client went away"))
        .unwrap();
    assert!(line.contains("request_id=burst-1"), "{line}");
    assert!(
        !log.contains('\u{1b}'),
        "colour codes in a piped log: {log:?}"
    );
}
