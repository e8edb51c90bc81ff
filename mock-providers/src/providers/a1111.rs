//! AUTOMATIC1111 / Forge (§8.1): `POST /sdapi/v1/txt2img`,
//! `POST /sdapi/v1/img2img`, `GET /sdapi/v1/progress` and
//! `POST /sdapi/v1/interrupt` (ends the running job early), no auth, plus the
//! web UI's `POST /internal/progress` (one task's progress or queue position,
//! by the `force_task_id` its generation was sent with; absent when
//! [`MockConfig::a1111_api_only`](crate::MockConfig)). Jobs run one at a time
//! behind a queue lock, as upstream, so progress is polled from a parallel
//! connection while a generation blocks. Answers hold bare base64 PNGs and
//! `info` as a JSON-encoded string.

mod request;

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{from_fn, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use self::request::{Params, MODEL_HASH, MODEL_NAME, VERSION};

use crate::ids::{random_string, UPPER_ALNUM};
use crate::images::ImageFormat;
use crate::ledger::Incoming;
use crate::payload::Payload;
use crate::state::{lock, MockState};

/// One scripted AUTOMATIC1111 answer. JSON: `{"provider":"a1111","respond":"error","status":500,"error":"OutOfMemoryError"}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "respond", rename_all = "snake_case")]
pub enum A1111Step {
    /// The images (`batch_size` × `n_iter` of them).
    #[default]
    Images,
    /// A handled exception: `{"error": <class>, "detail", "body": "",
    /// "errors"}` with `status`. `errors` is `str(e)`, which for an
    /// `HTTPException` reads `"<status>: <detail>"`.
    Error {
        #[serde(default = "default_status")]
        status: u16,
        #[serde(default = "default_error_class")]
        error: String,
        #[serde(default)]
        detail: String,
    },
}

fn default_status() -> u16 {
    500
}

fn default_error_class() -> String {
    "HTTPException".to_owned()
}

impl A1111Step {
    pub(crate) fn check(&self) -> Result<(), String> {
        match self {
            A1111Step::Error { status, .. } if !(400..=599).contains(status) => {
                Err(format!("error status must be 4xx or 5xx, got {status}"))
            }
            _ => Ok(()),
        }
    }
}

/// upstream's `handle_exception`.
fn exception(status: u16, class: &str, detail: &str) -> Response {
    let errors = if class == "HTTPException" {
        format!("{status}: {detail}")
    } else {
        detail.to_owned()
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = json!({"error": class, "detail": detail, "body": "", "errors": errors});
    (status, Json(body)).into_response()
}

/// FastAPI's 422 for a body that fails its pydantic (v1) model. Which
/// handler formats these upstream is UNCONFIRMED (§8.1); FastAPI's default
/// shape is used.
fn unprocessable(loc: Value, msg: &str, kind: &str) -> Response {
    let body = json!({"detail": [{"loc": loc, "msg": msg, "type": kind}]});
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

/// The lock that serialises jobs, and upstream's task bookkeeping
/// (`modules/progress.py`): the job running now, the tasks waiting for the
/// lock and the latest finished ones.
#[derive(Default)]
pub(crate) struct Jobs {
    queue: tokio::sync::Mutex<()>,
    tasks: Mutex<Tasks>,
    /// Wakes the running job, which then answers at once (upstream's
    /// `shared.state.interrupt()`); with no job running it does nothing.
    interrupt: tokio::sync::Notify,
}

#[derive(Default)]
struct Tasks {
    current: Option<Job>,
    /// Task ids waiting for the queue lock, oldest first (`pending_tasks`).
    pending: Vec<String>,
    /// The newest finished task ids (`finished_tasks`, which keeps 16).
    finished: VecDeque<String>,
}

const FINISHED_KEPT: usize = 16;

struct Job {
    task_id: String,
    kind: &'static str,
    started: Instant,
    duration: Duration,
    steps: u32,
    timestamp: String,
}

impl Job {
    /// The share of the scripted delay that has passed, and the seconds left.
    fn fraction(&self) -> (f64, f64) {
        let total = self.duration.as_secs_f64();
        let elapsed = self.started.elapsed().as_secs_f64().min(total);
        let progress = if total > 0.0 { elapsed / total } else { 1.0 };
        (progress, total - elapsed)
    }
}

/// A task waiting for the queue lock; leaves the queue when dropped (its
/// client went away) or when it starts.
struct Queued<'a> {
    jobs: &'a Jobs,
    task_id: String,
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        lock(&self.jobs.tasks)
            .pending
            .retain(|waiting| *waiting != self.task_id);
    }
}

/// The running task; finished when a generation ends, however it ends.
struct Running<'a>(&'a Jobs);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        let mut tasks = lock(&self.0.tasks);
        if let Some(job) = tasks.current.take() {
            tasks.finished.push_back(job.task_id);
            if tasks.finished.len() > FINISHED_KEPT {
                tasks.finished.pop_front();
            }
        }
    }
}

impl Jobs {
    /// Ends the running job now, if there is one.
    pub(crate) fn interrupt(&self) {
        self.interrupt.notify_waiters();
    }

    fn enqueue(&self, task_id: String) -> Queued<'_> {
        lock(&self.tasks).pending.push(task_id.clone());
        Queued {
            jobs: self,
            task_id,
        }
    }

    /// The `/sdapi/v1/progress` body, about whichever job runs.
    fn progress(&self) -> Value {
        let tasks = lock(&self.tasks);
        let Some(job) = tasks.current.as_ref() else {
            return json!({
                "progress": 0.0,
                "eta_relative": 0.0,
                "state": state_dict("", 0, "0", 0, 0),
                "current_image": null,
                "textinfo": null,
            });
        };
        let (progress, eta) = job.fraction();
        let step = (progress * f64::from(job.steps)) as u32;
        json!({
            "progress": progress,
            "eta_relative": eta,
            "state": state_dict(job.kind, 1, &job.timestamp, step, job.steps),
            "current_image": null,
            "textinfo": null,
        })
    }

    /// The `/internal/progress` body about one task, as upstream's
    /// `progressapi`: its progress while it runs, else whether it waits
    /// ("In queue: 2/3") or has finished.
    fn task_progress(&self, id_task: Option<&str>) -> Value {
        let tasks = lock(&self.tasks);
        let running = tasks
            .current
            .as_ref()
            .filter(|job| Some(job.task_id.as_str()) == id_task);
        if let Some(job) = running {
            let (progress, eta) = job.fraction();
            return json!({
                "active": true, "queued": false, "completed": false,
                "progress": progress, "eta": eta,
                "live_preview": null, "id_live_preview": -1, "textinfo": null,
            });
        }
        let position = tasks
            .pending
            .iter()
            .position(|waiting| Some(waiting.as_str()) == id_task);
        let textinfo = match position {
            Some(index) => format!("In queue: {}/{}", index + 1, tasks.pending.len()),
            None => "Waiting...".to_owned(),
        };
        let completed = tasks
            .finished
            .iter()
            .any(|done| Some(done.as_str()) == id_task);
        json!({
            "active": false, "queued": position.is_some(), "completed": completed,
            "progress": null, "eta": null,
            "live_preview": null, "id_live_preview": -1, "textinfo": textinfo,
        })
    }
}

impl<'a> Queued<'a> {
    /// The task got the queue lock: it leaves the queue and runs.
    fn start(self, job: Job) -> Running<'a> {
        let jobs = self.jobs;
        let mut tasks = lock(&jobs.tasks);
        tasks.pending.retain(|waiting| *waiting != self.task_id);
        tasks.current = Some(job);
        drop(tasks);
        Running(jobs)
    }
}

fn state_dict(job: &str, count: u32, timestamp: &str, step: u32, steps: u32) -> Value {
    json!({
        "skipped": false,
        "interrupted": false,
        "stopping_generation": false,
        "job": job,
        "job_count": count,
        "job_timestamp": timestamp,
        "job_no": 0,
        "sampling_step": step,
        "sampling_steps": steps,
    })
}

pub(crate) fn routes() -> Router<MockState> {
    Router::new()
        .route("/sdapi/v1/txt2img", post(txt2img))
        .route("/sdapi/v1/img2img", post(img2img))
        .route("/sdapi/v1/progress", get(progress))
        .route("/sdapi/v1/interrupt", post(interrupt))
        .route("/internal/progress", post(internal_progress))
        .fallback(|| async { not_found() })
        .layer(from_fn(process_time))
}

/// Upstream adds `X-Process-Time` (seconds) to every answer.
async fn process_time(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::try_from(format!("{:.4}", started.elapsed().as_secs_f64())) {
        response.headers_mut().insert("x-process-time", value);
    }
    response
}

async fn progress(State(state): State<MockState>) -> Json<Value> {
    Json(state.a1111_jobs().progress())
}

async fn interrupt(State(state): State<MockState>) -> Json<Value> {
    state.a1111_jobs().interrupt();
    Json(json!({}))
}

/// FastAPI's answer to a path it has no route for.
fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"detail": "Not Found"}))).into_response()
}

/// Upstream registers this route with the web UI only: a `--nowebui`
/// server answers it with a 404.
async fn internal_progress(
    State(state): State<MockState>,
    Extension(incoming): Extension<Incoming>,
) -> Response {
    if state.config().a1111_api_only {
        return not_found();
    }
    let Payload::Json(Value::Object(body)) = &*incoming.payload else {
        return unprocessable(json!(["body"]), "field required", "value_error.missing");
    };
    let id_task = body.get("id_task").and_then(Value::as_str);
    Json(state.a1111_jobs().task_progress(id_task)).into_response()
}

async fn txt2img(state: State<MockState>, incoming: Extension<Incoming>) -> Response {
    generate(state, incoming, Mode::Txt2Img).await
}

async fn img2img(state: State<MockState>, incoming: Extension<Incoming>) -> Response {
    generate(state, incoming, Mode::Img2Img).await
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Txt2Img,
    Img2Img,
}

/// Upstream runs a job on a worker thread that carries on when its client leaves, so here each
/// job is a task of its own rather than part of the request: a client that goes away leaves it
/// running (and queued jobs waiting) until it ends or is interrupted.
async fn generate(
    State(state): State<MockState>,
    Extension(incoming): Extension<Incoming>,
    mode: Mode,
) -> Response {
    match tokio::spawn(run_job(state, incoming, mode)).await {
        Ok(response) => response,
        Err(error) => std::panic::resume_unwind(error.into_panic()),
    }
}

async fn run_job(state: MockState, incoming: Incoming, mode: Mode) -> Response {
    let (body, params) = match request::check(&incoming.payload, mode) {
        Ok(checked) => checked,
        Err(refusal) => return refusal.into_response(),
    };

    let jobs = state.a1111_jobs();
    let (kind, task_kind) = match mode {
        Mode::Txt2Img => ("scripts_txt2img", "txt2img"),
        Mode::Img2Img => ("scripts_img2img", "img2img"),
    };
    // Upstream's `create_task_id` when the request names none.
    let task_id = params
        .force_task_id
        .clone()
        .unwrap_or_else(|| format!("task({task_kind}-{})", random_string(UPPER_ALNUM, 7)));
    let queued = jobs.enqueue(task_id.clone());
    // Upstream serialises generations behind one lock.
    let _queue = jobs.queue.lock().await;
    let (step, delay) = state.take_step::<A1111Step>();
    let _running = queued.start(Job {
        task_id,
        kind,
        started: Instant::now(),
        duration: delay,
        steps: params.steps,
        timestamp: params.timestamp.clone(),
    });
    // An interrupted job answers with what it has, as upstream does.
    tokio::select! {
        () = tokio::time::sleep(delay) => {}
        () = jobs.interrupt.notified() => {}
    }
    match step {
        A1111Step::Error {
            status,
            error,
            detail,
        } => exception(status, &error, &detail),
        A1111Step::Images => answer(&state, &params, body, mode).await,
    }
}

async fn answer(
    state: &MockState,
    params: &Params,
    body: &Map<String, Value>,
    mode: Mode,
) -> Response {
    let count = params.batch_size * params.n_iter;
    let seeds: Vec<u64> = (0..u64::from(count)).map(|i| params.seed + i).collect();
    let mut images = Vec::new();
    for index in 0..count {
        let picture = state.picture(&params.prompt, index, params.width, params.height);
        images.push(picture.base64(ImageFormat::Png).await);
    }
    let info = json!({
        "prompt": params.prompt,
        "all_prompts": vec![&params.prompt; count as usize],
        "negative_prompt": params.negative_prompt,
        "all_negative_prompts": vec![&params.negative_prompt; count as usize],
        "seed": params.seed,
        "all_seeds": seeds,
        "subseed": params.subseed,
        "all_subseeds": (0..u64::from(count)).map(|i| params.subseed + i).collect::<Vec<_>>(),
        "subseed_strength": 0,
        "width": params.width,
        "height": params.height,
        "sampler_name": params.sampler,
        "cfg_scale": params.cfg_scale,
        "steps": params.steps,
        "batch_size": params.batch_size,
        "restore_faces": false,
        "face_restoration_model": null,
        "sd_model_name": MODEL_NAME,
        "sd_model_hash": MODEL_HASH,
        "sd_vae_name": null,
        "sd_vae_hash": null,
        "seed_resize_from_w": -1,
        "seed_resize_from_h": -1,
        "denoising_strength": params.denoising_strength,
        "extra_generation_params": {"Schedule type": "Automatic"},
        "index_of_first_image": 0,
        "infotexts": seeds.iter().map(|&seed| params.infotext(seed)).collect::<Vec<_>>(),
        "styles": [],
        "job_timestamp": params.timestamp,
        "clip_skip": 1,
        "is_using_inpainting_conditioning": false,
        "version": VERSION,
    });
    let mut parameters = defaults(mode);
    parameters.extend(body.clone());
    if mode == Mode::Img2Img {
        // Upstream blanks the inputs it echoes, to keep answers small.
        parameters.insert("init_images".into(), Value::Null);
        parameters.insert("mask".into(), Value::Null);
    }
    Json(json!({
        "images": images,
        "parameters": parameters,
        "info": info.to_string(),
    }))
    .into_response()
}

/// The request model's defaults, which `parameters` echoes under the
/// fields that were sent.
fn defaults(mode: Mode) -> Map<String, Value> {
    let common = json!({
        "prompt": "", "negative_prompt": "", "styles": null, "seed": -1, "subseed": -1,
        "subseed_strength": 0, "sampler_name": null, "sampler_index": "Euler",
        "scheduler": null, "batch_size": 1, "n_iter": 1, "steps": 50, "cfg_scale": 7.0,
        "width": 512, "height": 512, "restore_faces": null, "tiling": null,
        "denoising_strength": null, "override_settings": null,
        "override_settings_restore_afterwards": true, "refiner_checkpoint": null,
        "refiner_switch_at": null, "script_name": null, "script_args": [],
        "alwayson_scripts": {}, "send_images": true, "save_images": false,
        "force_task_id": null, "infotext": null,
    });
    let extra = match mode {
        Mode::Txt2Img => json!({"enable_hr": false, "hr_scale": 2.0, "hr_upscaler": null,
                                "hr_second_pass_steps": 0}),
        Mode::Img2Img => json!({"init_images": null, "mask": null, "include_init_images": false,
                                "resize_mode": 0, "image_cfg_scale": null, "mask_blur": 4,
                                "inpainting_fill": 0, "inpaint_full_res": true,
                                "inpainting_mask_invert": 0}),
    };
    [common, extra]
        .into_iter()
        .filter_map(|value| match value {
            Value::Object(map) => Some(map),
            _ => None,
        })
        .flatten()
        .collect()
}
