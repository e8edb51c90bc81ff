//! Checks of an Images API request (§2.2 generations, §2.4 edits), by
//! model family, producing what the answer needs.

use serde_json::Value;

use super::envelope::{invalid_json, model_not_found, ApiError};
use crate::fields::{Fields, Issue, Problem};
use crate::images::ImageFormat;
use crate::payload::Payload;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Generations,
    Edits,
}

/// Models answer in two shapes: GPT image models (base64 + usage) and the
/// DALL·E models (URLs by default), which many compatible servers copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    Gpt,
    DallE2,
    DallE3,
}

pub(crate) struct ImagesRequest {
    pub endpoint: Endpoint,
    pub model: String,
    pub family: Family,
    pub prompt: String,
    pub n: u32,
    pub width: u32,
    pub height: u32,
    /// Echoed by GPT models, `auto` resolved.
    pub quality: &'static str,
    pub background: &'static str,
    pub format: ImageFormat,
    /// Base64 rather than URLs (always, for GPT models).
    pub b64: bool,
    pub stream: bool,
    pub partial_images: u32,
    pub input_images: u32,
}

const GENERATION_PARAMS: &[&str] = &[
    "prompt",
    "model",
    "n",
    "size",
    "quality",
    "background",
    "output_format",
    "output_compression",
    "moderation",
    "response_format",
    "style",
    "stream",
    "partial_images",
    "user",
];
const EDIT_FORM_PARAMS: &[&str] = &[
    "model",
    "prompt",
    "image",
    "image[]",
    "mask",
    "n",
    "size",
    "quality",
    "background",
    "output_format",
    "output_compression",
    "input_fidelity",
    "moderation",
    "stream",
    "partial_images",
    "response_format",
    "user",
];
const EDIT_JSON_PARAMS: &[&str] = &[
    "model",
    "prompt",
    "images",
    "mask",
    "size",
    "quality",
    "n",
    "output_format",
    "output_compression",
    "moderation",
    "background",
    "input_fidelity",
    "stream",
    "partial_images",
    "user",
];
/// Parameters only GPT image models take; one of them in a generation
/// without `model` selects a GPT model instead of the dall-e-2 default.
const GPT_ONLY: &[&str] = &[
    "background",
    "output_format",
    "output_compression",
    "moderation",
    "stream",
    "partial_images",
    "input_fidelity",
];

const GPT_SIZES: &[&str] = &["1024x1024", "1536x1024", "1024x1536", "auto"];
const DALL_E_2_SIZES: &[&str] = &["256x256", "512x512", "1024x1024"];
const DALL_E_3_SIZES: &[&str] = &["1024x1024", "1792x1024", "1024x1792"];
const GPT_QUALITIES: &[&str] = &["auto", "high", "medium", "low"];
const DALL_E_2_QUALITIES: &[&str] = &["standard"];
const DALL_E_3_QUALITIES: &[&str] = &["standard", "hd"];
const BACKGROUNDS: &[&str] = &["transparent", "opaque", "auto"];
const FORMATS: &[&str] = &["png", "jpeg", "webp"];
const MODERATIONS: &[&str] = &["auto", "low"];
const RESPONSE_FORMATS: &[&str] = &["url", "b64_json"];
const STYLES: &[&str] = &["vivid", "natural"];
const FIDELITIES: &[&str] = &["high", "low"];

pub(crate) fn parse(payload: &Payload, endpoint: Endpoint) -> Result<ImagesRequest, ApiError> {
    let (fields, known) = match (payload, endpoint) {
        (Payload::Json(Value::Object(map)), Endpoint::Generations) => {
            (Fields::Json(map), GENERATION_PARAMS)
        }
        (Payload::Json(Value::Object(map)), Endpoint::Edits) => {
            (Fields::Json(map), EDIT_JSON_PARAMS)
        }
        (Payload::Multipart(parts), Endpoint::Edits) => (Fields::Form(parts), EDIT_FORM_PARAMS),
        _ => return Err(invalid_json()),
    };
    fields.reject_unknown(known)?;
    let model = match (fields.str("model")?, endpoint) {
        (Some(model), _) => model,
        (None, Endpoint::Edits) => "gpt-image-1.5",
        (None, Endpoint::Generations) if GPT_ONLY.iter().any(|name| fields.has(name)) => {
            "gpt-image-1"
        }
        (None, Endpoint::Generations) => "dall-e-2",
    };
    let family = family(model).ok_or_else(|| model_not_found(model))?;
    reject_other_family_params(&fields, family)?;

    let prompt = fields.required_str("prompt")?;
    let max_prompt = match family {
        Family::Gpt => 32_000,
        Family::DallE2 => 1000,
        Family::DallE3 => 4000,
    };
    let length = prompt.chars().count();
    if length > max_prompt {
        return Err(ApiError::invalid_request(format!(
            "Invalid 'prompt': string too long. Expected a string with maximum length \
             {max_prompt}, but got a string with length {length} instead."
        ))
        .param("prompt")
        .code("string_above_max_length"));
    }

    let n = fields.int_in("n", 1, 10)?.unwrap_or(1) as u32;
    if family == Family::DallE3 && n != 1 {
        return Err(Problem::new("n", Issue::Invalid("dall-e-3 only supports n=1.".into())).into());
    }
    let (width, height) = size(&fields, model, family)?;
    let quality = quality(&fields, family)?;
    let format = match fields.one_of("output_format", FORMATS)? {
        Some("jpeg") => ImageFormat::Jpeg,
        Some("webp") => ImageFormat::Webp,
        _ => ImageFormat::Png,
    };
    let background = match fields.one_of("background", BACKGROUNDS)? {
        Some("transparent") if format == ImageFormat::Jpeg => {
            return Err(Problem::new(
                "background",
                Issue::Invalid(
                    "Transparent background is not supported for output_format 'jpeg'; use \
                     'png' or 'webp'."
                        .into(),
                ),
            )
            .into())
        }
        Some("transparent") => "transparent",
        _ => "opaque",
    };
    fields.int_in("output_compression", 0, 100)?;
    fields.one_of("moderation", MODERATIONS)?;
    fields.one_of("style", STYLES)?;
    fields.str("user")?;
    if fields.one_of("input_fidelity", FIDELITIES)?.is_some() && model == "gpt-image-1-mini" {
        return Err(Problem::new(
            "input_fidelity",
            Issue::Invalid("input_fidelity is not supported for gpt-image-1-mini.".into()),
        )
        .into());
    }
    let b64 = family == Family::Gpt
        || fields.one_of("response_format", RESPONSE_FORMATS)? == Some("b64_json");
    let stream = fields.bool("stream")?.unwrap_or(false);
    let partial_images = fields.int_in("partial_images", 0, 3)?.unwrap_or(0) as u32;
    let input_images = match endpoint {
        Endpoint::Generations => 0,
        Endpoint::Edits => input_images(&fields, family)?,
    };

    Ok(ImagesRequest {
        endpoint,
        model: model.to_owned(),
        family,
        prompt: prompt.to_owned(),
        n,
        width,
        height,
        quality,
        background,
        format,
        b64,
        stream,
        partial_images,
        input_images,
    })
}

fn family(model: &str) -> Option<Family> {
    match model {
        "dall-e-2" => Some(Family::DallE2),
        "dall-e-3" => Some(Family::DallE3),
        // Why prefixes: dated snapshots and new sizes share the rules.
        _ if model.starts_with("gpt-image-") || model == "chatgpt-image-latest" => {
            Some(Family::Gpt)
        }
        _ => None,
    }
}

/// Parameters of the other family are unknown to this one. The exact
/// refusal for, say, `response_format` on gpt-image-1 is UNCONFIRMED; the
/// doc only says it is "not supported".
fn reject_other_family_params(fields: &Fields<'_>, family: Family) -> Result<(), Problem> {
    let foreign = |name: &str| match name {
        "response_format" => family == Family::Gpt,
        "style" => family != Family::DallE3,
        name => family != Family::Gpt && GPT_ONLY.contains(&name),
    };
    match fields.names().into_iter().find(|name| foreign(name)) {
        Some(name) => Err(Problem::new(name, Issue::Unknown)),
        None => Ok(()),
    }
}

fn size(fields: &Fields<'_>, model: &str, family: Family) -> Result<(u32, u32), Problem> {
    let allowed = match family {
        Family::Gpt => GPT_SIZES,
        Family::DallE2 => DALL_E_2_SIZES,
        Family::DallE3 => DALL_E_3_SIZES,
    };
    let Some(size) = fields.str("size")? else {
        return Ok((1024, 1024));
    };
    if size == "auto" && family == Family::Gpt {
        return Ok((1024, 1024));
    }
    let parsed = parse_dimensions(size);
    if let (true, Some(dimensions)) = (allowed.contains(&size), parsed) {
        return Ok(dimensions);
    }
    // gpt-image-2 takes any size within the §1.3 rules.
    match parsed {
        Some((w, h)) if model.starts_with("gpt-image-2") => {
            if flexible_size_ok(w, h) {
                Ok((w, h))
            } else {
                Err(Problem::new(
                    "size",
                    Issue::Invalid(format!(
                        "Invalid size '{size}'. For {model}, size must be 'auto' or \
                         WIDTHxHEIGHT with both sides multiples of 16, the long side at most \
                         3840px, an aspect ratio between 1:3 and 3:1, and at most 8294400 \
                         pixels (3840x2160) in total."
                    )),
                ))
            }
        }
        _ => Err(Problem::new(
            "size",
            Issue::NotAllowed {
                value: size.to_owned(),
                allowed: allowed.to_vec(),
            },
        )),
    }
}

pub(crate) fn parse_dimensions(size: &str) -> Option<(u32, u32)> {
    let (w, h) = size.split_once('x')?;
    let (w, h) = (w.parse::<u32>().ok()?, h.parse::<u32>().ok()?);
    (w > 0 && h > 0).then_some((w, h))
}

/// gpt-image-2's free-form sizes: the longest side, and the most pixels, it takes.
pub(crate) const MAX_EDGE: u32 = 3840;
pub(crate) const MAX_PIXELS: u32 = 3840 * 2160;

/// gpt-image-2's rules for a free-form size, in both OpenAI APIs: sides multiples of 16, at most
/// `MAX_EDGE` long and `MAX_PIXELS` in all, an aspect ratio between 1:3 and 3:1.
pub(crate) fn flexible_size_ok(width: u32, height: u32) -> bool {
    let (long, short) = (width.max(height), width.min(height));
    width.is_multiple_of(16)
        && height.is_multiple_of(16)
        && long <= MAX_EDGE
        && u64::from(long) <= 3 * u64::from(short)
        && u64::from(width) * u64::from(height) <= u64::from(MAX_PIXELS)
}

fn quality(fields: &Fields<'_>, family: Family) -> Result<&'static str, Problem> {
    let allowed = match family {
        Family::Gpt => GPT_QUALITIES,
        Family::DallE2 => DALL_E_2_QUALITIES,
        Family::DallE3 => DALL_E_3_QUALITIES,
    };
    let chosen = fields.one_of("quality", allowed)?;
    // The allowed list's own `&'static str` for the chosen value.
    let chosen = chosen.and_then(|chosen| allowed.iter().copied().find(|a| *a == chosen));
    Ok(match (family, chosen) {
        (Family::Gpt, None | Some("auto")) => "high",
        (_, None) => "standard",
        (_, Some(chosen)) => chosen,
    })
}

/// Counts the images to edit: `image`/`image[]` files in a form, `images`
/// references in JSON.
fn input_images(fields: &Fields<'_>, family: Family) -> Result<u32, Problem> {
    let count = match fields {
        Fields::Form(_) => {
            let files = fields.files(&["image", "image[]"]);
            if files.is_empty() {
                return Err(Problem::new("image", Issue::Missing));
            }
            if files.iter().any(|file| file.data.is_empty()) {
                return Err(Problem::new(
                    "image",
                    Issue::Invalid("Invalid image file: the file is empty.".into()),
                ));
            }
            if fields.files(&["mask"]).len() > 1 {
                return Err(Problem::new(
                    "mask",
                    Issue::Invalid("Only one mask image is supported.".into()),
                ));
            }
            files.len()
        }
        Fields::Json(map) => {
            let images = match map.get("images") {
                None | Some(Value::Null) => return Err(Problem::new("images", Issue::Missing)),
                Some(Value::Array(images)) if !images.is_empty() => images,
                Some(_) => {
                    return Err(Problem::new(
                        "images",
                        Issue::Invalid("'images' must be a non-empty array.".into()),
                    ))
                }
            };
            for (index, image) in images.iter().enumerate() {
                let reference = ["image_url", "file_id"]
                    .iter()
                    .any(|key| image.get(key).is_some_and(Value::is_string));
                if !reference {
                    return Err(Problem::new(
                        &format!("images[{index}]"),
                        Issue::Invalid(format!(
                            "Invalid 'images[{index}]': expected an object with 'image_url' or \
                             'file_id'."
                        )),
                    ));
                }
            }
            images.len()
        }
    };
    let max = match family {
        Family::Gpt => 16,
        Family::DallE2 => 1,
        Family::DallE3 => 0,
    };
    if count > max {
        let message = if max == 0 {
            "dall-e-3 does not support image edits.".to_owned()
        } else {
            format!("Too many images: at most {max} can be edited at once.")
        };
        return Err(Problem::new("image", Issue::Invalid(message)));
    }
    Ok(count as u32)
}

#[cfg(test)]
mod tests {
    use super::{family, flexible_size_ok, parse_dimensions, Family};

    #[test]
    fn families_and_sizes() {
        assert_eq!(family("gpt-image-2-2026-04-21"), Some(Family::Gpt));
        assert_eq!(family("dall-e-3"), Some(Family::DallE3));
        assert_eq!(family("stablediffusion"), None);
        assert_eq!(parse_dimensions("1536x1024"), Some((1536, 1024)));
        assert_eq!(parse_dimensions("0x5"), None);
        assert!(flexible_size_ok(3840, 2160));
        assert!(!flexible_size_ok(1600, 512));
        assert!(!flexible_size_ok(1000, 1000));
    }
}
