//! Checks of an Ark image request (§6.2) by model family.

use axum::http::StatusCode;
use base64::prelude::{Engine, BASE64_STANDARD};
use serde_json::Value;

use super::errors::ArkError;
use crate::fields::{Fields, Issue, Kind, Problem};
use crate::images::ImageFormat;
use crate::payload::Payload;

/// What differs between the model families.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    /// Seedream 4.0 (and `ep-…` endpoint ids, taken to be 4.0).
    Seedream40,
    /// Seedream 4.5: no `1K`.
    Seedream45,
    /// Seedream 5.0: `output_format`; the lite variant also takes `3K`.
    Seedream50 { lite: bool },
    /// Seedream 3.0 text-to-image: `WxH` in 512–2048, no references.
    Seedream30,
    /// SeedEdit 3.0: exactly one reference, `size: adaptive`.
    SeedEdit30,
}

pub(crate) struct ArkRequest {
    pub model: String,
    pub prompt: String,
    pub width: u32,
    pub height: u32,
    /// Images wanted: 1, or up to `max_images` with sequential generation.
    pub max_images: u32,
    pub sequential: bool,
    pub b64: bool,
    pub stream: bool,
    pub format: ImageFormat,
}

const FIELDS: &[&str] = &[
    "model",
    "prompt",
    "image",
    "size",
    "response_format",
    "watermark",
    "seed",
    "guidance_scale",
    "sequential_image_generation",
    "sequential_image_generation_options",
    "stream",
    "optimize_prompt",
    "optimize_prompt_options",
    "output_format",
    "tools",
    "layer_decomposition",
];
/// Input + output images of one group generation.
const MAX_GROUP_IMAGES: u32 = 15;
const MAX_REFERENCE_BYTES: usize = 10 * 1024 * 1024;
const REFERENCE_FORMATS: &[&str] = &["jpeg", "jpg", "png", "webp", "bmp", "tiff", "gif"];

fn family(model: &str) -> Option<Family> {
    if model.starts_with("ep-") {
        return Some(Family::Seedream40);
    }
    // BytePlus ids drop the `doubao-` prefix (§6.1).
    let model = model.strip_prefix("doubao-").unwrap_or(model);
    let family = if model.starts_with("seedream-4-0-") {
        Family::Seedream40
    } else if model.starts_with("seedream-4-5-") {
        Family::Seedream45
    } else if model.starts_with("seedream-5-0-") {
        Family::Seedream50 {
            lite: model.starts_with("seedream-5-0-lite"),
        }
    } else if model.starts_with("seedream-3-0-t2i-") {
        Family::Seedream30
    } else if model.starts_with("seededit-3-0-i2i-") {
        Family::SeedEdit30
    } else {
        return None;
    };
    Some(family)
}

pub(crate) fn parse(payload: &Payload) -> Result<ArkRequest, ArkError> {
    let Payload::Json(Value::Object(body)) = payload else {
        return Err(ArkError::new(
            StatusCode::BAD_REQUEST,
            "InvalidParameter",
            "The request failed because the request body is not a valid JSON object.",
        ));
    };
    let fields = Fields::Json(body);
    let model = fields
        .str("model")
        .map_err(problem)?
        .ok_or_else(|| ArkError::missing("model"))?;
    let family = family(model).ok_or_else(|| {
        ArkError::new(
            StatusCode::NOT_FOUND,
            "InvalidEndpointOrModel.NotFound",
            format!(
                "The model or endpoint {model} does not exist or you do not have access to it."
            ),
        )
    })?;
    read(&fields, model, family).map_err(problem)
}

fn read(fields: &Fields<'_>, model: &str, family: Family) -> Result<ArkRequest, Problem> {
    // Unknown fields are refused so client typos show (Ark's own handling
    // is UNCONFIRMED).
    fields.reject_unknown(FIELDS)?;
    let prompt = fields.required_str("prompt")?;
    let four_plus = !matches!(family, Family::Seedream30 | Family::SeedEdit30);
    let not_for_family = |name: &str| {
        Problem::new(
            name,
            Issue::Invalid(format!("{name} is not supported by this model.")),
        )
    };

    let references = references(fields, family)?;
    let (width, height) = size(fields, family)?;
    fields.one_of("response_format", &["url", "b64_json"])?;
    fields.bool("watermark")?;
    fields.int_in("seed", -1, 2_147_483_647)?;
    if fields.number_in("guidance_scale", 1.0, 10.0)?.is_some() && four_plus {
        return Err(not_for_family("guidance_scale"));
    }
    let sequential = fields.one_of("sequential_image_generation", &["auto", "disabled"])?;
    if sequential.is_some() && !four_plus {
        return Err(not_for_family("sequential_image_generation"));
    }
    let mut max_images = MAX_GROUP_IMAGES - references;
    if let Some(Value::Object(options)) =
        fields.json("sequential_image_generation_options", Kind::Object)?
    {
        let options = Fields::Json(&options);
        if let Some(max) = options.int_in("max_images", 1, i64::from(MAX_GROUP_IMAGES))? {
            if max as u32 + references > MAX_GROUP_IMAGES {
                return Err(Problem::new(
                    "sequential_image_generation_options.max_images",
                    Issue::Invalid(format!(
                        "input images plus max_images must be at most {MAX_GROUP_IMAGES}"
                    )),
                ));
            }
            max_images = max as u32;
        }
    }
    let stream = fields.bool("stream")?.unwrap_or(false);
    if stream && !four_plus {
        return Err(not_for_family("stream"));
    }
    fields.bool("optimize_prompt")?;
    if let Some(options) = fields.json("optimize_prompt_options", Kind::Object)? {
        let mode = options.get("mode").and_then(Value::as_str);
        if !matches!(mode, None | Some("standard" | "fast")) {
            return Err(Problem::new(
                "optimize_prompt_options.mode",
                Issue::Invalid("mode must be standard or fast".into()),
            ));
        }
    }
    let format = match fields.one_of("output_format", &["png", "jpeg"])? {
        Some(_) if !matches!(family, Family::Seedream50 { .. }) => {
            return Err(not_for_family("output_format"))
        }
        Some("png") => ImageFormat::Png,
        // 4.x returns JPEG; 5.0's default is UNCONFIRMED, JPEG here too.
        _ => ImageFormat::Jpeg,
    };
    fields.json("tools", Kind::Array)?;
    fields.bool("layer_decomposition")?;
    let sequential = sequential == Some("auto");
    Ok(ArkRequest {
        model: model.to_owned(),
        prompt: prompt.to_owned(),
        width,
        height,
        max_images: if sequential { max_images } else { 1 },
        sequential,
        b64: fields.str("response_format")? == Some("b64_json"),
        stream,
        format,
    })
}

/// Counts and checks `image`: one URL or data URL, or a list of them.
fn references(fields: &Fields<'_>, family: Family) -> Result<u32, Problem> {
    let Fields::Json(body) = fields else {
        return Ok(0);
    };
    let images: Vec<&Value> = match body.get("image") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(single) => vec![single],
    };
    let (min, max) = match family {
        Family::Seedream30 => (0, 0),
        Family::SeedEdit30 => (1, 1),
        // 4.0 documents 10 references, later models 14 (§6.2).
        Family::Seedream40 => (0, 10),
        _ => (0, 14),
    };
    if images.len() < min {
        return Err(Problem::new("image", Issue::Missing));
    }
    if images.len() > max {
        return Err(Problem::new(
            "image",
            Issue::Invalid(format!("at most {max} images are supported by this model")),
        ));
    }
    for image in &images {
        let Some(image) = image.as_str() else {
            return Err(Problem::new(
                "image",
                Issue::Invalid("each image must be a URL or a data URL string".into()),
            ));
        };
        check_reference(image)?;
    }
    Ok(images.len() as u32)
}

/// An `http(s)` URL, or `data:image/<fmt lowercase>;base64,…` of ≤ 10 MB.
fn check_reference(image: &str) -> Result<(), Problem> {
    if image.starts_with("https://") || image.starts_with("http://") {
        return Ok(());
    }
    let bad = |why: &str| Problem::new("image", Issue::Invalid(why.to_owned()));
    let rest = image.strip_prefix("data:image/").ok_or_else(|| {
        bad("an image must be an http(s) URL or a data:image/<format>;base64 URL")
    })?;
    let (format, data) = rest
        .split_once(";base64,")
        .ok_or_else(|| bad("a data URL must be base64-encoded"))?;
    if !REFERENCE_FORMATS.contains(&format) {
        return Err(bad(&format!(
            "unsupported image format '{format}' (use lower case)"
        )));
    }
    let bytes = BASE64_STANDARD
        .decode(data)
        .map_err(|_| bad("the data URL's base64 does not decode"))?;
    if bytes.len() > MAX_REFERENCE_BYTES {
        return Err(bad("an image must be at most 10 MB"));
    }
    Ok(())
}

fn size(fields: &Fields<'_>, family: Family) -> Result<(u32, u32), Problem> {
    let size = fields.str("size")?;
    let bad = |why: String| Problem::new("size", Issue::Invalid(why));
    match family {
        Family::SeedEdit30 => match size {
            // `adaptive` keeps the input's aspect ratio; the mock does not
            // decode the input, so it renders a square.
            None | Some("adaptive") => Ok((1024, 1024)),
            Some(other) => Err(bad(format!("'{other}' is not supported; use adaptive"))),
        },
        Family::Seedream30 => {
            let (w, h) = match size {
                None => (1024, 1024),
                Some(size) => {
                    dimensions(size).ok_or_else(|| bad(format!("'{size}' is not WIDTHxHEIGHT")))?
                }
            };
            if (512..=2048).contains(&w) && (512..=2048).contains(&h) {
                Ok((w, h))
            } else {
                Err(bad(format!("{w}x{h} is outside 512-2048 on a side")))
            }
        }
        _ => {
            let presets: &[(&str, u32)] = match family {
                Family::Seedream40 => &[("1K", 1024), ("2K", 2048), ("4K", 4096)],
                Family::Seedream50 { lite: true } => &[("2K", 2048), ("3K", 3072), ("4K", 4096)],
                _ => &[("2K", 2048), ("4K", 4096)],
            };
            let Some(size) = size else {
                return Ok((2048, 2048));
            };
            // A preset lets the model pick the aspect ratio; the mock
            // renders it square.
            if let Some(&(_, side)) = presets.iter().find(|(name, _)| *name == size) {
                return Ok((side, side));
            }
            let (w, h) = dimensions(size).ok_or_else(|| {
                let names: Vec<&str> = presets.iter().map(|(name, _)| *name).collect();
                bad(format!(
                    "'{size}' is neither {} nor WIDTHxHEIGHT",
                    names.join("/")
                ))
            })?;
            // 4.0 documents 1280x720 pixels at least. 4.5 and 5.0 drop `1K`
            // and the doc calls 1024x1024 "below the minimum"; their floor of
            // 2560x1440 (the 2K 16:9 size) is inferred, UNCONFIRMED.
            let min_pixels = if family == Family::Seedream40 {
                1280 * 720
            } else {
                2560 * 1440
            };
            let pixels = u64::from(w) * u64::from(h);
            let pixels_ok = (min_pixels..=4096 * 4096).contains(&pixels);
            let ratio_ok = u64::from(w) <= 16 * u64::from(h) && u64::from(h) <= 16 * u64::from(w);
            if pixels_ok && ratio_ok {
                Ok((w, h))
            } else {
                Err(bad(format!(
                    "{w}x{h} must have between {min_pixels} and 16777216 (4096x4096) pixels and \
                     an aspect ratio between 1/16 and 16"
                )))
            }
        }
    }
}

fn dimensions(size: &str) -> Option<(u32, u32)> {
    let (w, h) = size.split_once('x')?;
    let (w, h) = (w.parse::<u32>().ok()?, h.parse::<u32>().ok()?);
    (w > 0 && h > 0).then_some((w, h))
}

/// A refused field as Ark's 400 (message wording UNCONFIRMED).
fn problem(problem: Problem) -> ArkError {
    let field = problem.field;
    let detail = match problem.issue {
        Issue::Missing => return ArkError::missing(&field),
        Issue::Unknown => "unknown parameter".to_owned(),
        Issue::WrongType {
            expected,
            given_type,
            ..
        } => {
            format!("expected {}, got {given_type}", expected.name())
        }
        Issue::NotAllowed { value, allowed } => {
            format!("'{value}' is not one of {}", allowed.join(", "))
        }
        Issue::BelowMin { min, .. } => format!("must be at least {min}"),
        Issue::AboveMax { max, .. } => format!("must be at most {max}"),
        Issue::Invalid(message) => message,
    };
    ArkError::invalid(&field, &detail)
}

#[cfg(test)]
mod tests {
    use super::{family, Family};

    #[test]
    fn model_ids_map_to_families() {
        assert_eq!(
            family("doubao-seedream-4-0-250828"),
            Some(Family::Seedream40)
        );
        assert_eq!(family("seedream-4-5-251128"), Some(Family::Seedream45));
        assert_eq!(
            family("doubao-seedream-5-0-lite-260128"),
            Some(Family::Seedream50 { lite: true })
        );
        assert_eq!(
            family("doubao-seededit-3-0-i2i-250628"),
            Some(Family::SeedEdit30)
        );
        assert_eq!(family("ep-20260101-abcde"), Some(Family::Seedream40));
        assert_eq!(family("dall-e-3"), None);
    }
}
