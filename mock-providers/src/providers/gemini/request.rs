//! Checks of a `generateContent` request (§3.2) in either casing,
//! producing what the answer needs.

use base64::prelude::{Engine, BASE64_STANDARD};
use serde_json::{Map, Value};

use super::status::Status;
use crate::images::ImageFormat;
use crate::payload::Payload;

/// The models the mock knows, with what differs between them.
pub(super) struct Model {
    pub format: ImageFormat,
    max_input_images: usize,
    /// Whether `imageConfig.imageSize` (1K/2K/4K) is accepted.
    image_sizes: bool,
}

pub(super) fn model(name: &str) -> Option<Model> {
    match name {
        "gemini-2.5-flash-image" => Some(Model {
            format: ImageFormat::Png,
            max_input_images: 3,
            image_sizes: false,
        }),
        // Gemini 3 returns JPEG (§3.3); 3.1-flash's format and input limit
        // are UNCONFIRMED and follow 3-pro's.
        "gemini-3-pro-image-preview"
        | "gemini-3.1-flash-image"
        | "gemini-3.1-flash-image-preview" => Some(Model {
            format: ImageFormat::Jpeg,
            max_input_images: 14,
            image_sizes: true,
        }),
        _ => None,
    }
}

/// §3.2's table for 2.5-flash-image, at 1K.
const ASPECT_RATIOS: &[(&str, u32, u32)] = &[
    ("1:1", 1024, 1024),
    ("2:3", 832, 1248),
    ("3:2", 1248, 832),
    ("3:4", 864, 1184),
    ("4:3", 1184, 864),
    ("4:5", 896, 1152),
    ("5:4", 1152, 896),
    ("9:16", 768, 1344),
    ("16:9", 1344, 768),
    ("21:9", 1536, 672),
];

/// What the answer needs from a checked request.
pub(super) struct Request {
    /// Text parts of the last user turn.
    pub prompt: String,
    pub input_images: u64,
    pub width: u32,
    pub height: u32,
    pub wants_image: bool,
    pub wants_text: bool,
}

const REQUEST_FIELDS: &[&str] = &[
    "contents",
    "generationConfig",
    "safetySettings",
    "systemInstruction",
    "tools",
    "toolConfig",
    "cachedContent",
];
const CONTENT_FIELDS: &[&str] = &["role", "parts"];
const PART_FIELDS: &[&str] = &[
    "text",
    "inlineData",
    "fileData",
    "thought",
    "thoughtSignature",
];
const BLOB_FIELDS: &[&str] = &["mimeType", "data"];
const FILE_DATA_FIELDS: &[&str] = &["mimeType", "fileUri"];
const GENERATION_CONFIG_FIELDS: &[&str] = &[
    "responseModalities",
    "imageConfig",
    "temperature",
    "topP",
    "topK",
    "candidateCount",
    "maxOutputTokens",
    "seed",
    "stopSequences",
    "responseMimeType",
    "thinkingConfig",
    "presencePenalty",
    "frequencyPenalty",
];
/// `imageOutputOptions` and friends are Vertex-only (§3.2), so unknown here.
const IMAGE_CONFIG_FIELDS: &[&str] = &["aspectRatio", "imageSize", "personGeneration"];
const MODALITIES: &[&str] = &["TEXT", "IMAGE", "AUDIO"];
const IMAGE_SIZES: &[(&str, u32)] = &[("1K", 1), ("2K", 2), ("4K", 4)];

pub(super) fn parse(payload: &Payload, model: &Model) -> Result<Request, Status> {
    let Payload::Json(body) = payload else {
        return Err(Status::invalid_argument(
            "Invalid JSON payload received. Unexpected token.",
        ));
    };
    // The JSON mapping takes snake_case and camelCase alike (§3.2).
    let body = camel_case_keys(body);
    let request = object(&body, "")?;
    known_fields(request, REQUEST_FIELDS, "")?;

    let contents = match request.get("contents") {
        Some(Value::Array(contents)) if !contents.is_empty() => contents,
        None | Some(Value::Array(_)) => {
            return Err(field_violation("contents", "contents is not specified"))
        }
        Some(other) => return Err(invalid_value("contents", other)),
    };
    let mut prompt = String::new();
    let mut input_images = 0;
    for (index, content) in contents.iter().enumerate() {
        let path = format!("contents[{index}]");
        let content = object(content, &path)?;
        known_fields(content, CONTENT_FIELDS, &path)?;
        let from_user = match content.get("role") {
            None => true,
            Some(Value::String(role)) if role == "user" => true,
            Some(Value::String(role)) if role == "model" => false,
            Some(_) => {
                return Err(field_violation(
                    &format!("{path}.role"),
                    "Please use a valid role: user, model.",
                ))
            }
        };
        let parts = match content.get("parts") {
            Some(Value::Array(parts)) if !parts.is_empty() => parts,
            _ => {
                return Err(field_violation(
                    &format!("{path}.parts"),
                    "contents.parts must not be empty.",
                ))
            }
        };
        let (text, images) = read_parts(parts, &path)?;
        // Only the last user turn is the prompt; earlier turns are history.
        if from_user {
            prompt = text;
            input_images = images;
        }
    }
    if input_images > model.max_input_images {
        // Wording UNCONFIRMED.
        return Err(Status::invalid_argument(format!(
            "Too many input images: this model accepts at most {} images per request.",
            model.max_input_images
        )));
    }

    let config = match request.get("generationConfig") {
        None => Map::new(),
        Some(config) => object(config, "generation_config")?.clone(),
    };
    known_fields(&config, GENERATION_CONFIG_FIELDS, "generation_config")?;
    let (wants_image, wants_text) = modalities(&config)?;
    let image_config = match config.get("imageConfig") {
        None => Map::new(),
        Some(image_config) => object(image_config, "generation_config.image_config")?.clone(),
    };
    known_fields(
        &image_config,
        IMAGE_CONFIG_FIELDS,
        "generation_config.image_config",
    )?;
    let (width, height) = pixel_size(&image_config, model)?;
    Ok(Request {
        prompt,
        input_images: input_images as u64,
        width,
        height,
        wants_image,
        wants_text,
    })
}

/// The text of `parts` joined by spaces, and how many images they hold.
fn read_parts(parts: &[Value], content_path: &str) -> Result<(String, usize), Status> {
    let mut texts = Vec::new();
    let mut images = 0;
    for (index, part) in parts.iter().enumerate() {
        let path = format!("{content_path}.parts[{index}]");
        let part = object(part, &path)?;
        known_fields(part, PART_FIELDS, &path)?;
        if let Some(text) = part.get("text") {
            match text {
                Value::String(text) => texts.push(text.as_str()),
                other => return Err(invalid_value(&format!("{path}.text"), other)),
            }
        } else if let Some(blob) = part.get("inlineData") {
            let blob_path = format!("{path}.inline_data");
            let blob = object(blob, &blob_path)?;
            known_fields(blob, BLOB_FIELDS, &blob_path)?;
            if !blob.get("mimeType").is_some_and(Value::is_string) {
                return Err(field_violation(
                    &format!("{blob_path}.mime_type"),
                    "mime_type is not specified",
                ));
            }
            let data = blob.get("data").and_then(Value::as_str).unwrap_or("");
            if data.is_empty() || BASE64_STANDARD.decode(data).is_err() {
                let shown: String = data.chars().take(32).collect();
                return Err(Status::invalid_argument(format!(
                    "Invalid value at '{blob_path}.data' (TYPE_BYTES), Base64 decoding failed \
                     for \"{shown}\""
                )));
            }
            images += 1;
        } else if let Some(file) = part.get("fileData") {
            let file_path = format!("{path}.file_data");
            let file = object(file, &file_path)?;
            known_fields(file, FILE_DATA_FIELDS, &file_path)?;
            if !file.get("fileUri").is_some_and(Value::is_string) {
                return Err(field_violation(
                    &format!("{file_path}.file_uri"),
                    "file_uri is not specified",
                ));
            }
            images += 1;
        } else {
            return Err(field_violation(
                &format!("{path}.data"),
                "required oneof field 'data' must have one initialized field",
            ));
        }
    }
    Ok((texts.join(" "), images))
}

/// Whether an image and a text part are wanted. Without
/// `responseModalities`, 2.5-flash-image still answers both (§3.2).
fn modalities(config: &Map<String, Value>) -> Result<(bool, bool), Status> {
    let Some(value) = config.get("responseModalities") else {
        return Ok((true, true));
    };
    let path = "generation_config.response_modalities";
    let Value::Array(items) = value else {
        return Err(invalid_value(path, value));
    };
    let mut wanted = Vec::new();
    for (index, item) in items.iter().enumerate() {
        match item.as_str() {
            Some(modality) if MODALITIES.contains(&modality) => wanted.push(modality),
            _ => {
                return Err(Status::invalid_argument(format!(
                    "Invalid value at '{path}[{index}]' \
                     (type.googleapis.com/google.ai.generativelanguage.v1beta.GenerationConfig.Modality), \
                     {item}"
                )))
            }
        }
    }
    Ok((wanted.contains(&"IMAGE"), wanted.contains(&"TEXT")))
}

fn pixel_size(image_config: &Map<String, Value>, model: &Model) -> Result<(u32, u32), Status> {
    let path = "generation_config.image_config";
    let (width, height) = match image_config.get("aspectRatio") {
        None => (1024, 1024),
        Some(Value::String(ratio)) => ASPECT_RATIOS
            .iter()
            .find(|(name, _, _)| name == ratio)
            .map(|&(_, width, height)| (width, height))
            .ok_or_else(|| {
                // Wording UNCONFIRMED.
                let supported: Vec<&str> = ASPECT_RATIOS.iter().map(|(name, _, _)| *name).collect();
                field_violation(
                    &format!("{path}.aspect_ratio"),
                    &format!(
                        "Unsupported aspect ratio '{ratio}'. Supported aspect ratios: {}.",
                        supported.join(", ")
                    ),
                )
            })?,
        Some(other) => return Err(invalid_value(&format!("{path}.aspect_ratio"), other)),
    };
    let scale = match image_config.get("imageSize") {
        None => 1,
        Some(Value::String(size)) if model.image_sizes => IMAGE_SIZES
            .iter()
            .find(|(name, _)| name == size)
            .map(|&(_, scale)| scale)
            .ok_or_else(|| {
                field_violation(
                    &format!("{path}.image_size"),
                    &format!("Unsupported image size '{size}'. Supported sizes: 1K, 2K, 4K."),
                )
            })?,
        // 2.5-flash-image has no imageSize (§3.2); refusing it (rather than
        // ignoring it) is a choice, UNCONFIRMED.
        Some(_) => {
            return Err(field_violation(
                &format!("{path}.image_size"),
                "image_size is not supported for this model.",
            ))
        }
    };
    Ok((width * scale, height * scale))
}

fn object<'a>(value: &'a Value, path: &str) -> Result<&'a Map<String, Value>, Status> {
    value.as_object().ok_or_else(|| invalid_value(path, value))
}

/// Google's refusal of a field it does not know.
fn known_fields(object: &Map<String, Value>, known: &[&str], path: &str) -> Result<(), Status> {
    match object.keys().find(|key| !known.contains(&key.as_str())) {
        None => Ok(()),
        Some(key) => {
            let at = if path.is_empty() {
                String::new()
            } else {
                format!(" at '{path}'")
            };
            Err(Status::invalid_argument(format!(
                "Invalid JSON payload received. Unknown name \"{key}\"{at}: Cannot find field."
            )))
        }
    }
}

/// A value of the wrong JSON type (exact wording varies by type upstream).
fn invalid_value(path: &str, value: &Value) -> Status {
    Status::invalid_argument(format!("Invalid value at '{path}', {value}"))
}

/// The `* GenerateContentRequest.<path>: <message>` form of request checks.
fn field_violation(path: &str, message: &str) -> Status {
    Status::invalid_argument(format!("* GenerateContentRequest.{path}: {message}\n"))
}

/// Every object key in camelCase (`inline_data` → `inlineData`).
fn camel_case_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| (camel_case(key), camel_case_keys(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(camel_case_keys).collect()),
        other => other.clone(),
    }
}

fn camel_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::camel_case;

    #[test]
    fn keys_become_camel_case() {
        assert_eq!(camel_case("inline_data"), "inlineData");
        assert_eq!(camel_case("response_modalities"), "responseModalities");
        assert_eq!(camel_case("mimeType"), "mimeType");
    }
}
