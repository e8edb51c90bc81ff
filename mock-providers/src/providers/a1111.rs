//! AUTOMATIC1111 / Forge (§8.1): `POST /sdapi/v1/txt2img`,
//! `POST /sdapi/v1/img2img` and `GET /sdapi/v1/progress`, no auth. Jobs run
//! one at a time behind a queue lock, as upstream, so progress is polled
//! from a parallel connection while a generation blocks. Answers hold bare
//! base64 PNGs and `info` as a JSON-encoded string.

mod request;

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

use crate::images::ImageFormat;
use crate::ledger::Incoming;
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

/// The job running now, for `/progress`, and the lock that serialises jobs.
#[derive(Default)]
pub(crate) struct Jobs {
    queue: tokio::sync::Mutex<()>,
    current: Mutex<Option<Job>>,
}

struct Job {
    kind: &'static str,
    started: Instant,
    duration: Duration,
    steps: u32,
    timestamp: String,
}

/// Clears the current job when a generation ends, however it ends.
struct Running<'a>(&'a Jobs);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        *lock(&self.0.current) = None;
    }
}

impl Jobs {
    fn start(&self, job: Job) -> Running<'_> {
        *lock(&self.current) = Some(job);
        Running(self)
    }

    /// The `/sdapi/v1/progress` body: progress is the share of the
    /// scripted delay that has passed.
    fn progress(&self) -> Value {
        let current = lock(&self.current);
        let Some(job) = current.as_ref() else {
            return json!({
                "progress": 0.0,
                "eta_relative": 0.0,
                "state": state_dict("", 0, "0", 0, 0),
                "current_image": null,
                "textinfo": null,
            });
        };
        let total = job.duration.as_secs_f64();
        let elapsed = job.started.elapsed().as_secs_f64().min(total);
        let progress = if total > 0.0 { elapsed / total } else { 1.0 };
        let step = (progress * f64::from(job.steps)) as u32;
        json!({
            "progress": progress,
            "eta_relative": total - elapsed,
            "state": state_dict(job.kind, 1, &job.timestamp, step, job.steps),
            "current_image": null,
            "textinfo": null,
        })
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
        .fallback(|| async { (StatusCode::NOT_FOUND, Json(json!({"detail": "Not Found"}))) })
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

async fn generate(
    State(state): State<MockState>,
    Extension(incoming): Extension<Incoming>,
    mode: Mode,
) -> Response {
    let (body, params) = match request::check(&incoming.payload, mode) {
        Ok(checked) => checked,
        Err(refusal) => return refusal.into_response(),
    };

    let jobs = state.a1111_jobs();
    // Upstream serialises generations behind one lock.
    let _queue = jobs.queue.lock().await;
    let (step, delay) = state.take_step::<A1111Step>();
    let _running = jobs.start(Job {
        kind: match mode {
            Mode::Txt2Img => "scripts_txt2img",
            Mode::Img2Img => "scripts_img2img",
        },
        started: Instant::now(),
        duration: delay,
        steps: params.steps,
        timestamp: params.timestamp.clone(),
    });
    tokio::time::sleep(delay).await;
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
