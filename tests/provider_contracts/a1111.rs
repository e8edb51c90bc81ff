use crate::*;
use mock_providers::{A1111Step, KeyOutcome, MockServer, Step};
use proofsheet::model::{Progress, Styling};
use proofsheet::server::generate::{cancel, generate};
use proofsheet::server::state::AppState;

#[tokio::test]
async fn a1111_sends_size_steps_sampler_and_negative_prompt() {
    let mock = start_mock().await;
    let state = state_for(&mock, &[]);
    let request = GenerateRequest {
        quality: Some("30".into()),
        styling: Styling {
            negative_prompt: Some("blurry".into()),
            style: Some("DPM++ 2M".into()),
            palette: None,
        },
        ..request("sd-ok", "a1111", "768x512")
    };
    let image = generate(&state, request).await.expect("a picture");
    let calls = api_calls(&mock, Provider::A1111);
    assert_eq!(calls.len(), 1);
    let sent = &calls[0];
    assert_eq!(sent.path, "/a1111/sdapi/v1/txt2img");
    assert_eq!(sent.auth.outcome, KeyOutcome::NotRequired);
    let body = sent.body.json().expect("JSON");
    assert_eq!(body["width"], 768);
    assert_eq!(body["height"], 512);
    assert_eq!(body["steps"], 30);
    assert_eq!(body["sampler_name"], "DPM++ 2M");
    assert_eq!(body["negative_prompt"], "blurry");
    assert_eq!(body["prompt"], PROMPT);
    picture_bytes(&image);
    assert_eq!(image.engine, "a1111");
}

#[tokio::test]
async fn a1111_handled_exception_is_a_failure_quoting_its_detail() {
    let mock = start_mock().await;
    let state = state_for(&mock, &[]);
    let step = A1111Step::Error {
        status: 404,
        error: "HTTPException".into(),
        detail: "Sampler not found".into(),
    };
    mock.script(vec![Step::from(step); 10]);
    let (failure, message, _) =
        provider_error(generate(&state, request("sd-err", "a1111", "512x512")).await);
    assert_eq!(failure, ProviderFailure::NotFound, "{message}");
    assert!(message.contains("Sampler not found"), "{message}");
    assert_eq!(api_calls(&mock, Provider::A1111).len(), 1, "not retried");
}

type Generating = tokio::task::JoinHandle<Result<GeneratedImage, AppError>>;

const INTERRUPT: &str = "/a1111/sdapi/v1/interrupt";

/// Our generation `id` on the A1111 engine, running in the background.
fn start_generating(state: &AppState, id: &'static str) -> Generating {
    let state = state.clone();
    tokio::spawn(async move { generate(&state, request(id, "a1111", "512x512")).await })
}

/// Someone else's job, sent straight to the server (its first call); answers its outcome and
/// how long it took, once it is running or queued there.
async fn someone_elses_job(
    mock: &MockServer,
) -> tokio::task::JoinHandle<(reqwest::Result<reqwest::Response>, Duration)> {
    let url = format!("{}/sdapi/v1/txt2img", mock.base_url(Provider::A1111));
    let theirs = tokio::spawn(async move {
        let started = std::time::Instant::now();
        let body = serde_json::json!({"prompt": "someone else's"});
        let answer = reqwest::Client::new().post(url).json(&body).send().await;
        (answer, started.elapsed())
    });
    assert!(
        until(|| !api_calls(mock, Provider::A1111).is_empty()).await,
        "their job reaches the server"
    );
    theirs
}

/// Waits until `done` holds; false if it did not within ten seconds. Bounded only so a broken
/// client cannot hang a test: what a test asserts is what is seen.
async fn until(done: impl Fn() -> bool) -> bool {
    for _ in 0..1000 {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

/// Waits for the generation `id` to report a progress `wanted` accepts, and returns it.
async fn progress_seen(
    state: &AppState,
    id: &str,
    wanted: impl Fn(&Progress) -> bool,
) -> Option<Progress> {
    let seen = || state.inflight.progress(id).filter(&wanted);
    until(|| seen().is_some()).await;
    seen()
}

fn is_rendering(progress: &Progress) -> bool {
    matches!(progress, Progress::Rendering { percent: 1..=100 })
}

fn is_queued(progress: &Progress) -> bool {
    matches!(progress, Progress::Queued { .. })
}

/// The calls the mock received on `path`, by now.
fn calls_to(mock: &MockServer, path: &str) -> usize {
    api_calls(mock, Provider::A1111)
        .iter()
        .filter(|c| c.path == path)
        .count()
}

#[tokio::test]
async fn a1111_reports_its_place_in_the_servers_queue_then_its_own_progress() {
    let mock = start_mock().await;
    let state = state_for(&mock, &[]);
    // Someone else's two-second job holds the server's queue lock; ours takes two seconds too.
    mock.script(vec![
        Step::from(A1111Step::Images).delayed(2000),
        Step::from(A1111Step::Images).delayed(2000),
    ]);
    let theirs = someone_elses_job(&mock).await;
    let generating = start_generating(&state, "sd-queued");

    let queued = progress_seen(&state, "sd-queued", is_queued).await;
    assert_eq!(queued, Some(Progress::Queued { position: 1, of: 1 }));
    let rendering = progress_seen(&state, "sd-queued", is_rendering).await;
    assert!(rendering.is_some(), "then its own progress");
    generating.await.unwrap().expect("a picture");
    assert!(theirs.await.unwrap().0.unwrap().status().is_success());

    let calls = api_calls(&mock, Provider::A1111);
    let ours = calls
        .iter()
        .find(|c| {
            c.path == "/a1111/sdapi/v1/txt2img"
                && c.body.json().is_some_and(|b| b["prompt"] == PROMPT)
        })
        .expect("our txt2img");
    let task_id = ours.body.json().unwrap()["force_task_id"].clone();
    assert!(
        task_id
            .as_str()
            .is_some_and(|id| id.starts_with("proofsheet-sd-queued-")),
        "our own task id, which the progress route is asked about: {task_id}"
    );
    assert_eq!(
        calls_to(&mock, "/a1111/sdapi/v1/progress"),
        0,
        "the server's own job progress is not needed while ours is known"
    );
    assert_eq!(state.inflight.progress("sd-queued"), None, "gone once done");
}

#[tokio::test]
async fn a1111_without_its_web_ui_reports_the_progress_of_the_job_it_runs() {
    let mock = MockServer::start(MockConfig {
        a1111_api_only: true,
        ..Default::default()
    })
    .await;
    let state = state_for(&mock, &[]);
    // A job that takes three seconds: the client asks for progress once a second meanwhile.
    mock.script(vec![Step::from(A1111Step::Images).delayed(3000)]);
    let generating = start_generating(&state, "sd-progress");
    let rendering = progress_seen(&state, "sd-progress", is_rendering).await;
    assert!(rendering.is_some(), "the server's progress is reported");
    generating.await.unwrap().expect("a picture");
    assert_eq!(
        calls_to(&mock, "/a1111/internal/progress"),
        1,
        "a missing task route is asked for once, then not again"
    );
    assert!(
        calls_to(&mock, "/a1111/sdapi/v1/progress") >= 1,
        "the API's own progress, on its own connection"
    );
    assert_eq!(
        state.inflight.progress("sd-progress"),
        None,
        "gone once done"
    );
}

#[tokio::test]
async fn a1111_interrupts_its_own_running_job_once_nobody_waits_for_it() {
    let mock = start_mock().await;
    let state = state_for(&mock, &[]);
    // A job far longer than the test: only an interrupt ends it in time.
    mock.script(vec![Step::from(A1111Step::Images).delayed(600_000)]);
    let generating = start_generating(&state, "sd-dropped");
    let running = progress_seen(&state, "sd-dropped", is_rendering).await;
    assert!(running.is_some(), "the job runs");
    assert_eq!(cancel(&state, "sd-dropped"), Ok(true));
    assert!(
        generating.await.unwrap().is_err(),
        "a cancelled generation makes no picture"
    );
    assert!(
        until(|| calls_to(&mock, INTERRUPT) > 0).await,
        "the abandoned job is interrupted"
    );
    assert_eq!(calls_to(&mock, INTERRUPT), 1);
}

#[tokio::test]
async fn a1111_leaves_someone_elses_job_alone_and_interrupts_its_own_when_it_starts() {
    let mock = start_mock().await;
    let state = state_for(&mock, &[]);
    // Someone else's two-second job runs first; ours would then take ten minutes.
    mock.script(vec![
        Step::from(A1111Step::Images).delayed(2000),
        Step::from(A1111Step::Images).delayed(600_000),
    ]);
    let theirs = someone_elses_job(&mock).await;
    let generating = start_generating(&state, "sd-left");
    let queued = progress_seen(&state, "sd-left", is_queued).await;
    assert!(queued.is_some(), "ours waits behind theirs");
    assert_eq!(cancel(&state, "sd-left"), Ok(true));
    assert!(
        generating.await.unwrap().is_err(),
        "a cancelled generation makes no picture"
    );
    assert_eq!(
        calls_to(&mock, INTERRUPT),
        0,
        "their running job is not interrupted"
    );

    let (answer, took) = theirs.await.unwrap();
    assert!(answer.unwrap().status().is_success());
    assert!(
        took >= Duration::from_millis(1900),
        "their job ran its whole course ({took:?})"
    );
    assert!(
        until(|| calls_to(&mock, INTERRUPT) > 0).await,
        "ours is interrupted once it runs"
    );
    assert_eq!(calls_to(&mock, INTERRUPT), 1);
}
