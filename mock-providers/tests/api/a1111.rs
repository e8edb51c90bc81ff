//! AUTOMATIC1111 (§8.1): base64 images with `info` as a JSON string,
//! pydantic-style 422s, handled exceptions, progress of a running job, each
//! task's queue place, and interrupts.

use base64::prelude::{Engine, BASE64_STANDARD};
use mock_providers::{A1111Step, KeyOutcome, MockServer, Provider, Step};
use serde_json::{json, Value};

use crate::common::{base64, client, decode, send, start, url, wait_for_calls, Format, Reply};

async fn post(server: &MockServer, path: &str, body: Value) -> Reply {
    send(
        client()
            .post(url(server, Provider::A1111, path))
            .json(&body),
    )
    .await
}

async fn progress(server: &MockServer) -> Value {
    send(client().get(url(server, Provider::A1111, "/sdapi/v1/progress")))
        .await
        .json()
}

#[tokio::test]
async fn txt2img_answers_images_parameters_and_info_as_a_string() {
    let server = start().await;
    let reply = post(
        &server,
        "/sdapi/v1/txt2img",
        json!({"prompt": "a cat", "negative_prompt": "blurry", "width": 640, "height": 384,
               "batch_size": 2, "seed": 42, "steps": 20, "sampler_name": "DPM++ 2M Karras"}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply
        .header("x-process-time")
        .is_some_and(|t| t.parse::<f64>().is_ok()));
    let body = reply.json();
    let images = body["images"].as_array().expect("images");
    assert_eq!(images.len(), 2);
    assert!(
        images[0]
            .as_str()
            .is_some_and(|b64| b64.starts_with("iVBORw0KGgo")),
        "bare base64, no data: prefix"
    );
    assert_eq!(decode(&base64(&images[1])), (Format::Png, 640, 384));
    assert_eq!(body["parameters"]["prompt"], "a cat");
    assert_eq!(
        body["parameters"]["cfg_scale"], 7.0,
        "defaults fill the echo"
    );
    let info: Value =
        serde_json::from_str(body["info"].as_str().expect("info is a string")).expect("info JSON");
    assert_eq!(
        (info["seed"].as_u64(), &info["all_seeds"]),
        (Some(42), &json!([42, 43]))
    );
    assert_eq!(
        (info["width"].as_u64(), info["height"].as_u64()),
        (Some(640), Some(384))
    );
    assert_eq!(info["all_prompts"], json!(["a cat", "a cat"]));
    let infotext = info["infotexts"][0].as_str().expect("infotext");
    assert!(
        infotext.starts_with("a cat\nNegative prompt: blurry\nSteps: 20, Sampler: DPM++ 2M Karras"),
        "{infotext}"
    );
    assert!(infotext.contains("Seed: 42, Size: 640x384"), "{infotext}");
    assert_eq!(
        server.calls().requests[0].auth.outcome,
        KeyOutcome::NotRequired
    );

    let random_seed = post(
        &server,
        "/sdapi/v1/txt2img",
        json!({"prompt": "x", "seed": -1}),
    )
    .await
    .json();
    let info: Value =
        serde_json::from_str(random_seed["info"].as_str().expect("info")).expect("JSON");
    assert!(info["seed"].as_u64().is_some(), "-1 becomes a real seed");
    assert_eq!(
        decode(&base64(&random_seed["images"][0])),
        (Format::Png, 512, 512)
    );
}

#[tokio::test]
async fn img2img_takes_init_images_and_refuses_bad_ones() {
    let server = start().await;
    let init = format!(
        "data:image/png;base64,{}",
        BASE64_STANDARD.encode(b"an init image")
    );
    let body = post(
        &server,
        "/sdapi/v1/img2img",
        json!({"prompt": "p", "init_images": [init], "denoising_strength": 0.5, "width": 256, "height": 256}),
    )
    .await
    .json();
    assert_eq!(decode(&base64(&body["images"][0])), (Format::Png, 256, 256));
    assert_eq!(
        body["parameters"]["init_images"],
        Value::Null,
        "upstream blanks the echoed inputs"
    );

    let missing = post(&server, "/sdapi/v1/img2img", json!({"prompt": "p"})).await;
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.json(),
        json!({"error": "HTTPException", "detail": "Init image not found", "body": "", "errors": "404: Init image not found"})
    );
    let broken = post(
        &server,
        "/sdapi/v1/img2img",
        json!({"init_images": ["!!not base64!!"]}),
    )
    .await;
    assert_eq!(
        (broken.status, broken.json()["detail"].as_str()),
        (500, Some("Invalid encoded image"))
    );
}

#[tokio::test]
async fn bad_bodies_get_fastapi_422s_and_unknown_samplers_404() {
    let server = start().await;
    let reply = post(
        &server,
        "/sdapi/v1/txt2img",
        json!({"prompt": "p", "steps": "twenty"}),
    )
    .await;
    assert_eq!(reply.status, 422);
    assert_eq!(
        reply.json(),
        json!({"detail": [{"loc": ["body", "steps"], "msg": "value is not a valid integer", "type": "type_error.integer"}]})
    );
    let coerced = post(
        &server,
        "/sdapi/v1/txt2img",
        json!({"prompt": "p", "steps": "20", "width": "128", "height": 128}),
    )
    .await;
    assert_eq!(coerced.status, 200, "pydantic v1 coerces numeric strings");
    let not_json = send(
        client()
            .post(url(&server, Provider::A1111, "/sdapi/v1/txt2img"))
            .body("{oops"),
    )
    .await;
    assert_eq!(
        (
            not_json.status,
            not_json.json()["detail"][0]["type"].as_str()
        ),
        (422, Some("value_error.jsondecode"))
    );
    let sampler = post(
        &server,
        "/sdapi/v1/txt2img",
        json!({"sampler_name": "Euler z"}),
    )
    .await;
    assert_eq!(
        (sampler.status, sampler.json()["detail"].as_str()),
        (404, Some("Sampler not found"))
    );

    server.script(vec![A1111Step::Error {
        status: 500,
        error: "OutOfMemoryError".into(),
        detail: "CUDA out of memory.".into(),
    }
    .into()]);
    let oom = post(
        &server,
        "/sdapi/v1/txt2img",
        json!({"width": 64, "height": 64}),
    )
    .await;
    assert_eq!(oom.status, 500);
    assert_eq!(
        oom.json(),
        json!({"error": "OutOfMemoryError", "detail": "CUDA out of memory.", "body": "", "errors": "CUDA out of memory."})
    );
}

#[tokio::test]
async fn progress_reports_the_running_job_and_jobs_run_one_at_a_time() {
    let server = start().await;
    let idle = progress(&server).await;
    assert_eq!(
        (
            idle["progress"].as_f64(),
            idle["state"]["job_count"].as_u64()
        ),
        (Some(0.0), Some(0))
    );

    server.script(vec![Step::from(A1111Step::Images).delayed(60_000)]);
    let spawn = |body: Value| {
        let request = client()
            .post(url(&server, Provider::A1111, "/sdapi/v1/txt2img"))
            .json(&body);
        tokio::spawn(async move {
            request
                .send()
                .await
                .map(|response| response.status().as_u16())
        })
    };
    let first = spawn(json!({"prompt": "slow", "steps": 30, "width": 64, "height": 64}));
    // The idle poll was call 1.
    wait_for_calls(&server, |calls| calls.count == 2).await;
    let running = progress(&server).await;
    assert_eq!(running["state"]["job"], "scripts_txt2img");
    assert_eq!(
        (
            running["state"]["job_count"].as_u64(),
            running["state"]["sampling_steps"].as_u64()
        ),
        (Some(1), Some(30))
    );
    let share = running["progress"].as_f64().expect("progress");
    assert!((0.0..1.0).contains(&share), "{share}");
    assert!(running["eta_relative"]
        .as_f64()
        .is_some_and(|eta| eta > 0.0));
    assert!(running["state"]["job_timestamp"]
        .as_str()
        .is_some_and(|t| t.len() == 14));

    // A second job waits behind the first.
    let second = spawn(json!({"prompt": "queued", "width": 64, "height": 64}));
    let calls = wait_for_calls(&server, |calls| calls.count == 4).await;
    assert_eq!(
        calls.completed, 2,
        "only the two progress polls have been answered"
    );
    // An interrupt ends the running job at once (it answers with what it has); the queued one
    // then runs.
    let interrupted = post(&server, "/sdapi/v1/interrupt", json!({})).await;
    assert_eq!(interrupted.status, 200, "{}", interrupted.text);
    assert_eq!(first.await.expect("task").expect("answer"), 200);
    assert_eq!(second.await.expect("task").expect("answer"), 200);
    assert_eq!(progress(&server).await["state"]["job"], "", "idle again");
}

async fn task_progress(server: &MockServer, id_task: &str) -> Value {
    post(
        server,
        "/internal/progress",
        json!({"id_task": id_task, "id_live_preview": -1}),
    )
    .await
    .json()
}

#[tokio::test]
async fn each_task_is_told_its_queue_place_then_progress_and_outlives_its_client() {
    let server = start().await;
    server.script(vec![
        Step::from(A1111Step::Images).delayed(60_000),
        Step::from(A1111Step::Images),
    ]);
    let spawn = |body: Value| {
        let request = client()
            .post(url(&server, Provider::A1111, "/sdapi/v1/txt2img"))
            .json(&body);
        tokio::spawn(async move { request.send().await.map(|r| r.status().as_u16()) })
    };
    let first = spawn(json!({"prompt": "slow", "force_task_id": "task(first)"}));
    wait_for_calls(&server, |calls| calls.count == 1).await;
    let second = spawn(json!({"prompt": "next", "force_task_id": "task(second)"}));
    wait_for_calls(&server, |calls| calls.count == 2).await;

    let running = task_progress(&server, "task(first)").await;
    assert_eq!(
        (running["active"].as_bool(), running["queued"].as_bool()),
        (Some(true), Some(false))
    );
    assert!(running["progress"]
        .as_f64()
        .is_some_and(|p| (0.0..1.0).contains(&p)));
    let waiting = task_progress(&server, "task(second)").await;
    assert_eq!(
        (waiting["active"].as_bool(), waiting["queued"].as_bool()),
        (Some(false), Some(true))
    );
    assert_eq!(waiting["textinfo"], "In queue: 1/1");
    let unknown = task_progress(&server, "task(never-sent)").await;
    assert_eq!(
        (unknown["queued"].as_bool(), unknown["completed"].as_bool()),
        (Some(false), Some(false))
    );
    assert_eq!(unknown["textinfo"], "Waiting...");

    // The first client leaves; as upstream, its job goes on.
    first.abort();
    wait_for_calls(&server, |calls| calls.cancelled == 1).await;
    let still = task_progress(&server, "task(first)").await;
    assert_eq!(
        still["active"].as_bool(),
        Some(true),
        "the job outlives its client"
    );

    post(&server, "/sdapi/v1/interrupt", json!({})).await;
    assert_eq!(second.await.expect("task").expect("answer"), 200);
    let done = task_progress(&server, "task(first)").await;
    assert_eq!(
        (done["active"].as_bool(), done["completed"].as_bool()),
        (Some(false), Some(true))
    );
}

#[tokio::test]
async fn without_the_web_ui_there_is_no_task_progress() {
    let server = MockServer::start(mock_providers::MockConfig {
        a1111_api_only: true,
        ..Default::default()
    })
    .await;
    let reply = post(&server, "/internal/progress", json!({"id_task": "task(x)"})).await;
    assert_eq!(reply.status, 404, "{}", reply.text);
}
