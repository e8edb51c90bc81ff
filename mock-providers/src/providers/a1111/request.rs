//! Checks of a txt2img/img2img body the way upstream's pydantic (v1)
//! models and handlers do, and the generation settings they yield.

use axum::response::{IntoResponse, Response};
use base64::prelude::{Engine, BASE64_STANDARD};
use serde_json::{json, Map, Value};

use super::{exception, unprocessable, Mode};
use crate::clock::{compact, now_secs};
use crate::ids::random_u64;
use crate::payload::Payload;

/// Why a body is refused; an enum rather than a `Response` so checks
/// return something small.
pub(super) enum Refusal {
    /// FastAPI's 422.
    Unprocessable {
        loc: Value,
        msg: &'static str,
        kind: &'static str,
    },
    /// An `HTTPException` upstream raises.
    Exception { status: u16, detail: &'static str },
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Unprocessable { loc, msg, kind } => unprocessable(loc, msg, kind),
            Refusal::Exception { status, detail } => exception(status, "HTTPException", detail),
        }
    }
}

/// The body as an object and the settings it asks for.
pub(super) fn check(
    payload: &Payload,
    mode: Mode,
) -> Result<(&Map<String, Value>, Params), Refusal> {
    let unprocessable = |loc: Value, msg, kind| Refusal::Unprocessable { loc, msg, kind };
    let body = match payload {
        Payload::Json(Value::Object(body)) => body,
        Payload::Json(_) => {
            return Err(unprocessable(
                json!(["body"]),
                "value is not a valid dict",
                "type_error.dict",
            ))
        }
        Payload::Empty => {
            return Err(unprocessable(
                json!(["body"]),
                "field required",
                "value_error.missing",
            ))
        }
        _ => {
            return Err(unprocessable(
                json!(["body", 0]),
                "Expecting value: line 1 column 1 (char 0)",
                "value_error.jsondecode",
            ))
        }
    };
    let extra = match mode {
        Mode::Txt2Img => TXT2IMG_FIELDS,
        Mode::Img2Img => IMG2IMG_FIELDS,
    };
    for &(name, kind) in COMMON_FIELDS.iter().chain(extra) {
        if let Some((msg, kind)) = body.get(name).and_then(|value| type_error(kind, value)) {
            return Err(unprocessable(json!(["body", name]), msg, kind));
        }
    }
    let params = Params::read(body);
    if !known_sampler(&params.sampler) {
        return Err(Refusal::Exception {
            status: 404,
            detail: "Sampler not found",
        });
    }
    if mode == Mode::Img2Img {
        check_init_images(body.get("init_images"))?;
    }
    Ok((body, params))
}

/// The pydantic type of each field the mock checks; others are ignored,
/// as pydantic does by default.
#[derive(Clone, Copy)]
enum Type {
    Str,
    Int,
    Float,
    Bool,
    List,
    Dict,
}

const COMMON_FIELDS: &[(&str, Type)] = &[
    ("prompt", Type::Str),
    ("negative_prompt", Type::Str),
    ("styles", Type::List),
    ("seed", Type::Int),
    ("subseed", Type::Int),
    ("subseed_strength", Type::Float),
    ("sampler_name", Type::Str),
    ("sampler_index", Type::Str),
    ("scheduler", Type::Str),
    ("batch_size", Type::Int),
    ("n_iter", Type::Int),
    ("steps", Type::Int),
    ("cfg_scale", Type::Float),
    ("width", Type::Int),
    ("height", Type::Int),
    ("restore_faces", Type::Bool),
    ("tiling", Type::Bool),
    ("denoising_strength", Type::Float),
    ("override_settings", Type::Dict),
    ("override_settings_restore_afterwards", Type::Bool),
    ("refiner_checkpoint", Type::Str),
    ("refiner_switch_at", Type::Float),
    ("script_name", Type::Str),
    ("script_args", Type::List),
    ("alwayson_scripts", Type::Dict),
    ("send_images", Type::Bool),
    ("save_images", Type::Bool),
    ("force_task_id", Type::Str),
    ("infotext", Type::Str),
];
const TXT2IMG_FIELDS: &[(&str, Type)] = &[
    ("enable_hr", Type::Bool),
    ("hr_scale", Type::Float),
    ("hr_upscaler", Type::Str),
    ("hr_second_pass_steps", Type::Int),
];
const IMG2IMG_FIELDS: &[(&str, Type)] = &[
    ("init_images", Type::List),
    ("mask", Type::Str),
    ("include_init_images", Type::Bool),
    ("resize_mode", Type::Int),
    ("image_cfg_scale", Type::Float),
    ("mask_blur", Type::Int),
    ("inpainting_fill", Type::Int),
    ("inpaint_full_res", Type::Bool),
    ("inpainting_mask_invert", Type::Int),
];

/// pydantic v1's coercions and messages: numeric strings pass as numbers,
/// numbers pass as strings.
fn type_error(kind: Type, value: &Value) -> Option<(&'static str, &'static str)> {
    let numeric_text = |text: &str| text.trim().parse::<f64>().is_ok();
    let ok = match (kind, value) {
        (_, Value::Null) => true,
        (Type::Str, Value::String(_) | Value::Number(_)) => true,
        (Type::Int, Value::Number(_) | Value::Bool(_)) => true,
        (Type::Int, Value::String(text)) => text.trim().parse::<i64>().is_ok(),
        (Type::Float, Value::Number(_) | Value::Bool(_)) => true,
        (Type::Float, Value::String(text)) => numeric_text(text),
        (Type::Bool, Value::Bool(_)) => true,
        (Type::Bool, Value::Number(n)) => n.as_i64().is_some_and(|n| n == 0 || n == 1),
        (Type::List, Value::Array(_)) | (Type::Dict, Value::Object(_)) => true,
        _ => false,
    };
    if ok {
        return None;
    }
    Some(match kind {
        Type::Str => ("str type expected", "type_error.str"),
        Type::Int => ("value is not a valid integer", "type_error.integer"),
        Type::Float => ("value is not a valid float", "type_error.float"),
        Type::Bool => ("value could not be parsed to a boolean", "type_error.bool"),
        Type::List => ("value is not a valid list", "type_error.list"),
        Type::Dict => ("value is not a valid dict", "type_error.dict"),
    })
}

/// Samplers by their display names; scheduler suffixes of older names
/// ("DPM++ 2M Karras") are accepted too, as upstream maps them.
const SAMPLERS: &[&str] = &[
    "DPM++ 2M",
    "DPM++ SDE",
    "DPM++ 2M SDE",
    "DPM++ 2M SDE Heun",
    "DPM++ 2S a",
    "DPM++ 3M SDE",
    "Euler a",
    "Euler",
    "LMS",
    "Heun",
    "DPM2",
    "DPM2 a",
    "DPM fast",
    "DPM adaptive",
    "Restart",
    "DDIM",
    "DDIM CFG++",
    "PLMS",
    "UniPC",
    "LCM",
];
const SCHEDULER_SUFFIXES: &[&str] = &["", " Karras", " Exponential", " SGM Uniform"];

fn known_sampler(name: &str) -> bool {
    SCHEDULER_SUFFIXES.iter().any(|suffix| {
        name.strip_suffix(suffix)
            .is_some_and(|base| SAMPLERS.contains(&base))
    })
}

/// Every init image must be there and decode, as upstream checks.
fn check_init_images(init_images: Option<&Value>) -> Result<(), Refusal> {
    let Some(Value::Array(images)) = init_images else {
        return Err(Refusal::Exception {
            status: 404,
            detail: "Init image not found",
        });
    };
    for image in images {
        let text = image.as_str().unwrap_or("");
        if text.starts_with("http://") || text.starts_with("https://") {
            continue;
        }
        // Data URLs are accepted: upstream splits at the first comma.
        let data = text.split_once(',').map_or(text, |(_, data)| data);
        if data.is_empty() || BASE64_STANDARD.decode(data).is_err() {
            return Err(Refusal::Exception {
                status: 500,
                detail: "Invalid encoded image",
            });
        }
    }
    Ok(())
}

/// The generation settings, defaults filled as upstream's dataclass does.
pub(super) struct Params {
    pub prompt: String,
    pub negative_prompt: String,
    pub seed: u64,
    pub subseed: u64,
    pub sampler: String,
    pub steps: u32,
    pub cfg_scale: f64,
    pub width: u32,
    pub height: u32,
    pub batch_size: u32,
    pub n_iter: u32,
    pub denoising_strength: Option<f64>,
    /// The task id the client chose, for `/internal/progress`.
    pub force_task_id: Option<String>,
    pub timestamp: String,
}

pub(super) const MODEL_NAME: &str = "v1-5-pruned-emaonly";
pub(super) const MODEL_HASH: &str = "6ce0161689";
pub(super) const VERSION: &str = "v1.10.1";

impl Params {
    pub(super) fn read(body: &Map<String, Value>) -> Params {
        // Types were checked; these read pydantic-coerced values.
        let text = |name: &str| match body.get(name) {
            Some(Value::String(text)) => Some(text.clone()),
            Some(Value::Number(number)) => Some(number.to_string()),
            _ => None,
        };
        let number = |name: &str| match body.get(name) {
            Some(Value::Number(number)) => number.as_f64(),
            Some(Value::String(text)) => text.trim().parse().ok(),
            Some(Value::Bool(flag)) => Some(f64::from(u8::from(*flag))),
            _ => None,
        };
        let count = |name: &str, default: u32| number(name).map_or(default, |n| n.max(1.0) as u32);
        let seed = |name: &str| match number(name) {
            Some(seed) if seed >= 0.0 => seed as u64,
            _ => random_u64() % 4_294_967_295,
        };
        let sampler = text("sampler_name")
            .or_else(|| text("sampler_index"))
            .unwrap_or_else(|| "Euler".to_owned());
        Params {
            prompt: text("prompt").unwrap_or_default(),
            negative_prompt: text("negative_prompt").unwrap_or_default(),
            seed: seed("seed"),
            subseed: seed("subseed"),
            sampler,
            steps: count("steps", 50),
            cfg_scale: number("cfg_scale").unwrap_or(7.0),
            width: count("width", 512),
            height: count("height", 512),
            batch_size: count("batch_size", 1),
            n_iter: count("n_iter", 1),
            denoising_strength: number("denoising_strength"),
            force_task_id: text("force_task_id").filter(|id| !id.is_empty()),
            timestamp: compact(now_secs()),
        }
    }

    /// The infotext upstream writes under each image.
    pub(super) fn infotext(&self, seed: u64) -> String {
        let negative = if self.negative_prompt.is_empty() {
            String::new()
        } else {
            format!("\nNegative prompt: {}", self.negative_prompt)
        };
        format!(
            "{}{negative}\nSteps: {}, Sampler: {}, Schedule type: Automatic, CFG scale: {:?}, \
             Seed: {seed}, Size: {}x{}, Model hash: {MODEL_HASH}, Model: {MODEL_NAME}, \
             Version: {VERSION}",
            self.prompt, self.steps, self.sampler, self.cfg_scale, self.width, self.height
        )
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{known_sampler, type_error, Type};

    #[test]
    fn pydantic_coercions() {
        assert!(type_error(Type::Int, &json!("20")).is_none());
        assert_eq!(
            type_error(Type::Int, &json!("twenty")),
            Some(("value is not a valid integer", "type_error.integer"))
        );
        assert!(type_error(Type::Str, &json!(5)).is_none());
        assert!(type_error(Type::Str, &json!([1])).is_some());
        assert!(type_error(Type::Float, &json!(null)).is_none());
    }

    #[test]
    fn samplers_with_and_without_schedulers() {
        assert!(known_sampler("Euler a"));
        assert!(known_sampler("DPM++ 2M Karras"));
        assert!(!known_sampler("Euler b"));
    }
}
