//! The two FLUX models' input schemas (§4.3) and Replicate's 422 for
//! inputs that break them, worded like its JSON-schema validator.

use serde_json::{json, Map, Value};

use crate::fields::{Fields, Issue, Problem};
use crate::images::ImageFormat;

/// The models the mock serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Model {
    /// `black-forest-labs/flux-1.1-pro`: one output, a string.
    FluxPro,
    /// `black-forest-labs/flux-schnell`: an array of `num_outputs` outputs.
    FluxSchnell,
}

impl Model {
    pub(super) fn from_name(owner: &str, name: &str) -> Option<Model> {
        match (owner, name) {
            ("black-forest-labs", "flux-1.1-pro") => Some(Model::FluxPro),
            ("black-forest-labs", "flux-schnell") => Some(Model::FluxSchnell),
            _ => None,
        }
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            Model::FluxPro => "black-forest-labs/flux-1.1-pro",
            Model::FluxSchnell => "black-forest-labs/flux-schnell",
        }
    }
}

/// The exact flux-1.1-pro enum is UNCONFIRMED (§4.3).
const PRO_RATIOS: &[&str] = &[
    "custom", "1:1", "16:9", "3:2", "2:3", "4:5", "5:4", "9:16", "3:4", "4:3",
];
const SCHNELL_RATIOS: &[&str] = &[
    "1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4", "3:4", "4:3", "9:16", "9:21",
];
const FORMATS: &[&str] = &["webp", "jpg", "png"];
const MEGAPIXELS: &[&str] = &["1", "0.25"];
const PRO_FIELDS: &[&str] = &[
    "prompt",
    "aspect_ratio",
    "width",
    "height",
    "safety_tolerance",
    "seed",
    "prompt_upsampling",
    "output_format",
    "output_quality",
    "image_prompt",
];
const SCHNELL_FIELDS: &[&str] = &[
    "prompt",
    "aspect_ratio",
    "num_outputs",
    "num_inference_steps",
    "seed",
    "output_format",
    "output_quality",
    "disable_safety_checker",
    "go_fast",
    "megapixels",
];

/// What the prediction needs from a valid input.
pub(super) struct Input {
    pub prompt: String,
    pub outputs: u32,
    pub width: u32,
    pub height: u32,
    pub format: ImageFormat,
}

/// One entry of `invalid_fields`.
pub(super) struct InvalidField {
    kind: &'static str,
    field: String,
    description: String,
}

/// Checks `input` against the model's schema, reporting every problem at
/// once as Replicate does.
pub(super) fn validate(model: Model, input: Option<&Value>) -> Result<Input, Vec<InvalidField>> {
    let input = match input {
        Some(Value::Object(input)) => input,
        None | Some(Value::Null) => {
            return Err(vec![InvalidField {
                kind: "required",
                field: "(root)".into(),
                description: "input is required".into(),
            }])
        }
        Some(other) => {
            return Err(vec![InvalidField {
                kind: "invalid_type",
                field: "input".into(),
                description: format!(
                    "Invalid type. Expected: object, given: {}",
                    crate::fields::json_type(other)
                ),
            }])
        }
    };
    let fields = Fields::Json(input);
    let mut problems = Vec::new();
    let mut keep = |result: Result<(), Problem>| {
        if let Err(problem) = result {
            problems.push(problem);
        }
    };
    let known = match model {
        Model::FluxPro => PRO_FIELDS,
        Model::FluxSchnell => SCHNELL_FIELDS,
    };
    for name in fields.names() {
        if !known.contains(&name) {
            keep(Err(Problem::new(name, Issue::Unknown)));
        }
    }
    keep(fields.required_str("prompt").map(drop));
    keep(fields.int("seed").map(drop));
    keep(fields.one_of("output_format", FORMATS).map(drop));
    keep(fields.int_in("output_quality", 0, 100).map(drop));
    let ratios = match model {
        Model::FluxPro => PRO_RATIOS,
        Model::FluxSchnell => SCHNELL_RATIOS,
    };
    keep(fields.one_of("aspect_ratio", ratios).map(drop));
    match model {
        Model::FluxPro => {
            keep(fields.int_in("width", 256, 1440).map(drop));
            keep(fields.int_in("height", 256, 1440).map(drop));
            keep(fields.int_in("safety_tolerance", 1, 6).map(drop));
            keep(fields.bool("prompt_upsampling").map(drop));
            keep(fields.str("image_prompt").map(drop));
        }
        Model::FluxSchnell => {
            keep(fields.int_in("num_outputs", 1, 4).map(drop));
            keep(fields.int_in("num_inference_steps", 1, 4).map(drop));
            keep(fields.bool("disable_safety_checker").map(drop));
            keep(fields.bool("go_fast").map(drop));
            keep(fields.one_of("megapixels", MEGAPIXELS).map(drop));
        }
    }
    if !problems.is_empty() {
        return Err(problems.into_iter().map(invalid_field).collect());
    }
    Ok(read(model, &fields))
}

/// The input's effect, once it is known to be valid.
fn read(model: Model, fields: &Fields<'_>) -> Input {
    let text = |name| fields.str(name).ok().flatten();
    let int = |name| fields.int(name).ok().flatten();
    let format = match text("output_format").unwrap_or("webp") {
        "png" => ImageFormat::Png,
        "jpg" => ImageFormat::Jpeg,
        _ => ImageFormat::Webp,
    };
    let ratio = text("aspect_ratio").unwrap_or("1:1");
    let (width, height, outputs) = match model {
        Model::FluxPro if ratio == "custom" => {
            // Sizes are rounded to multiples of 32 (§4.3).
            let side = |name| round_to(int(name).unwrap_or(1024) as u32, 32);
            (side("width"), side("height"), 1)
        }
        Model::FluxPro => {
            let (width, height) = from_ratio(ratio, 1024 * 1024, 32);
            (width, height, 1)
        }
        Model::FluxSchnell => {
            let area = if text("megapixels") == Some("0.25") {
                512 * 512
            } else {
                1024 * 1024
            };
            let (width, height) = from_ratio(ratio, area, 16);
            (width, height, int("num_outputs").unwrap_or(1) as u32)
        }
    };
    Input {
        prompt: text("prompt").unwrap_or_default().to_owned(),
        outputs,
        width,
        height,
        format,
    }
}

/// About `area` pixels in the ratio `w:h`, sides multiples of `step`.
fn from_ratio(ratio: &str, area: u32, step: u32) -> (u32, u32) {
    let (w, h) = ratio
        .split_once(':')
        .and_then(|(w, h)| Some((w.parse::<f64>().ok()?, h.parse::<f64>().ok()?)))
        .unwrap_or((1.0, 1.0));
    let width = (f64::from(area) * w / h).sqrt();
    let height = f64::from(area) / width;
    (round_to(width as u32, step), round_to(height as u32, step))
}

fn round_to(value: u32, step: u32) -> u32 {
    ((value + step / 2) / step * step).max(step)
}

/// gojsonschema's wording, which Replicate's messages match (§4.4 shows
/// `required` and `number_lte`; the other descriptions follow the same
/// library and are UNCONFIRMED).
fn invalid_field(problem: Problem) -> InvalidField {
    let name = problem.field;
    let field = format!("input.{name}");
    let (kind, field, description) = match problem.issue {
        Issue::Missing => ("required", "input".into(), format!("{name} is required")),
        Issue::Unknown => (
            "additional_property_not_allowed",
            "input".into(),
            format!("Additional property {name} is not allowed"),
        ),
        Issue::WrongType {
            expected,
            given_type,
            ..
        } => (
            "invalid_type",
            field,
            format!(
                "Invalid type. Expected: {}, given: {given_type}",
                expected.name()
            ),
        ),
        Issue::NotAllowed { allowed, .. } => {
            let allowed: Vec<String> = allowed.iter().map(|value| format!("{value:?}")).collect();
            let description = format!(
                "{field} must be one of the following: {}",
                allowed.join(", ")
            );
            ("enum", field, description)
        }
        Issue::BelowMin { min, .. } => (
            "number_gte",
            field,
            format!("Must be greater than or equal to {min}"),
        ),
        Issue::AboveMax { max, .. } => (
            "number_lte",
            field,
            format!("Must be less than or equal to {max}"),
        ),
        Issue::Invalid(message) => ("invalid", field, message),
    };
    InvalidField {
        kind,
        field,
        description,
    }
}

/// The 422 body: `detail` lists every problem, one `- field: description` a line.
pub(super) fn problem_body(fields: &[InvalidField]) -> Value {
    let detail: String = fields
        .iter()
        .map(|f| format!("- {}: {}\n", f.field, f.description))
        .collect();
    let invalid: Vec<Value> = fields
        .iter()
        .map(|f| json!({"type": f.kind, "field": f.field, "description": f.description}))
        .collect();
    json!({
        "detail": detail,
        "status": 422,
        "title": "Input validation failed",
        "invalid_fields": invalid,
    })
}

/// The input as echoed on the prediction: what was sent.
pub(super) fn echo(input: Option<&Value>) -> Value {
    input
        .and_then(Value::as_object)
        .cloned()
        .map_or_else(|| Value::Object(Map::new()), Value::Object)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{from_ratio, problem_body, validate, Model};

    #[test]
    fn ratios_give_about_a_megapixel() {
        assert_eq!(from_ratio("1:1", 1024 * 1024, 16), (1024, 1024));
        let (w, h) = from_ratio("16:9", 1024 * 1024, 16);
        assert!(w > h && w % 16 == 0 && h % 16 == 0, "{w}x{h}");
    }

    #[test]
    fn every_problem_is_reported_in_the_documented_form() {
        let input = json!({"num_inference_steps": 9, "aspect_ratio": "7:5", "colour": "red"});
        let fields = validate(Model::FluxSchnell, Some(&input))
            .err()
            .expect("invalid");
        let body = problem_body(&fields);
        let detail = body["detail"].as_str().expect("detail");
        assert!(detail.contains("- input: prompt is required\n"), "{detail}");
        assert!(detail.contains("- input.num_inference_steps: Must be less than or equal to 4\n"));
        assert!(detail.contains("- input: Additional property colour is not allowed\n"));
        assert!(detail.contains(
            "- input.aspect_ratio: input.aspect_ratio must be one of the following: \"1:1\""
        ));
        assert_eq!(body["invalid_fields"].as_array().map(Vec::len), Some(4));
    }
}
