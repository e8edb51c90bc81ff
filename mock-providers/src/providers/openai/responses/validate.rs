//! Validation of a `POST /v1/responses` body, with OpenAI's error wording,
//! `param` paths and codes. Produces the parsed request the handler needs.

use serde_json::{json, Map, Value};

use super::Store;
use crate::payload::Payload;
use crate::providers::openai::envelope::{invalid_json, quoted_list, ApiError};
use crate::providers::openai::request::{flexible_size_ok, parse_dimensions, MAX_EDGE, MAX_PIXELS};

type Object = Map<String, Value>;

/// Top-level request fields of the Responses API; anything else is rejected
/// as OpenAI does, which catches typos in the app's client.
const REQUEST_PARAMS: &[&str] = &[
    "background",
    "conversation",
    "include",
    "input",
    "instructions",
    "max_output_tokens",
    "max_tool_calls",
    "metadata",
    "model",
    "parallel_tool_calls",
    "previous_response_id",
    "prompt",
    "prompt_cache_key",
    "reasoning",
    "safety_identifier",
    "service_tier",
    "store",
    "stream",
    "stream_options",
    "temperature",
    "text",
    "tool_choice",
    "tools",
    "top_logprobs",
    "top_p",
    "truncation",
    "user",
];

/// Fields of the `image_generation` tool (`ImageGenTool`).
const TOOL_PARAMS: &[&str] = &[
    "action",
    "background",
    "input_fidelity",
    "input_image_mask",
    "model",
    "moderation",
    "output_compression",
    "output_format",
    "partial_images",
    "quality",
    "size",
    "type",
];

const SIZES: &[&str] = &["1024x1024", "1024x1536", "1536x1024", "auto"];
const QUALITIES: &[&str] = &["low", "medium", "high", "auto"];
const FORMATS: &[&str] = &["png", "webp", "jpeg"];
const BACKGROUNDS: &[&str] = &["transparent", "opaque", "auto"];
const MODERATIONS: &[&str] = &["auto", "low"];
const FIDELITIES: &[&str] = &["high", "low"];
const ACTIONS: &[&str] = &["generate", "edit", "auto"];
const ROLES: &[&str] = &["user", "assistant", "system", "developer"];
/// Input item types this mock understands (the real API knows more, but an
/// image-generation client has no reason to send them).
const ITEM_TYPES: &[&str] = &["message", "image_generation_call", "item_reference"];
const CONTENT_TYPES: &[&str] = &[
    "input_text",
    "input_image",
    "input_file",
    "output_text",
    "refusal",
];

const DEFAULT_TOOL_MODEL: &str = "gpt-image-1";

/// A request that passed validation.
pub(crate) struct ImageRequest {
    pub model: String,
    /// The string input, or the user messages' text parts joined by spaces.
    pub text: String,
    pub tool: ImageTool,
    /// `tools` as OpenAI echoes it: image tool defaults filled in, `n: 1`.
    pub tools_echo: Value,
    pub tool_choice: Value,
    pub previous_response_id: Option<String>,
    /// Present when the request refers to an earlier image (by
    /// `previous_response_id` or an `image_generation_call` input item).
    pub edit_of: Option<EditOf>,
    pub store: bool,
    /// Answer with server-sent events (§1.6) rather than one JSON body.
    pub stream: bool,
    pub instructions: Value,
    pub metadata: Value,
    pub user: Value,
}

/// The image tool's settings, with `auto` resolved the way OpenAI echoes them.
pub(crate) struct ImageTool {
    pub model: String,
    pub width: u32,
    pub height: u32,
    pub size: String,
    pub quality: String,
    pub background: String,
    pub output_format: String,
    pub action: String,
    /// Rough previews a stream sends before the picture (0–3).
    pub partial_images: u32,
}

pub(crate) struct EditOf {
    /// The earlier image's revised prompt; None if that response had no image.
    pub revised_prompt: Option<String>,
}

pub(crate) fn validate(payload: &Payload, store: &Store) -> Result<ImageRequest, ApiError> {
    let value = match payload {
        Payload::Json(value) => value.clone(),
        _ => return Err(invalid_json()),
    };
    let Value::Object(request) = value else {
        return Err(ApiError::invalid_request(format!(
            "Invalid body: expected a JSON object, but got {} instead.",
            type_name(&value)
        ))
        .code("invalid_type"));
    };
    reject_unknown(&request, REQUEST_PARAMS, "")?;

    let model = required_string(&request, "model", "")?.to_owned();
    let input = present(&request, "input").ok_or_else(|| missing("input"))?;
    let summary = read_input(input)?;
    let stream = bool_field(&request, "stream", "")?.unwrap_or(false);
    let store_flag = bool_field(&request, "store", "")?.unwrap_or(true);
    let previous_response_id =
        string_field(&request, "previous_response_id", "")?.map(str::to_owned);
    let (tool_index, tool) = image_tool(&request)?;
    let settings = tool_settings(tool, &format!("tools[{tool_index}]."))?;

    let edit_of = resolve_edit_source(previous_response_id.as_deref(), &summary, store)?;
    let action = match settings.action {
        Some("generate") => "generate",
        Some("edit") => "edit",
        _ if edit_of.is_some() => "edit",
        _ => "generate",
    };

    Ok(ImageRequest {
        model,
        text: summary.text,
        tool: ImageTool {
            model: settings.model.to_owned(),
            width: settings.width,
            height: settings.height,
            size: format!("{}x{}", settings.width, settings.height),
            quality: match settings.quality {
                None | Some("auto") => "high",
                Some(quality) => quality,
            }
            .to_owned(),
            background: match settings.background {
                None | Some("auto") => "opaque",
                Some(background) => background,
            }
            .to_owned(),
            output_format: settings.output_format.to_owned(),
            action: action.to_owned(),
            partial_images: settings.partial_images,
        },
        tools_echo: tools_echo(&request, tool_index),
        tool_choice: present(&request, "tool_choice")
            .cloned()
            .unwrap_or_else(|| json!("auto")),
        previous_response_id,
        edit_of,
        store: store_flag,
        stream,
        instructions: echo(&request, "instructions"),
        metadata: present(&request, "metadata")
            .cloned()
            .unwrap_or_else(|| json!({})),
        user: echo(&request, "user"),
    })
}

/// Text and image-call references found in `input`.
struct InputSummary {
    text: String,
    /// (param path, id) of each `image_generation_call` / `item_reference`.
    references: Vec<(String, String)>,
}

fn read_input(input: &Value) -> Result<InputSummary, ApiError> {
    let items = match input {
        Value::String(text) => {
            return Ok(InputSummary {
                text: text.clone(),
                references: Vec::new(),
            })
        }
        Value::Array(items) => items,
        other => {
            return Err(invalid_type(
                "input",
                "a string or an array of input items",
                other,
            ))
        }
    };
    let mut texts = Vec::new();
    let mut references = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let path = format!("input[{index}]");
        let item = item
            .as_object()
            .ok_or_else(|| invalid_type(&path, "an object", item))?;
        let prefix = format!("{path}.");
        // Easy-input messages may omit `type`.
        match one_of(item, "type", &prefix, ITEM_TYPES)?.unwrap_or("message") {
            "message" => read_message(item, &prefix, &mut texts)?,
            _ => {
                let id = required_string(item, "id", &prefix)?;
                references.push((path, id.to_owned()));
            }
        }
    }
    Ok(InputSummary {
        text: texts.join(" "),
        references,
    })
}

fn read_message(message: &Object, prefix: &str, texts: &mut Vec<String>) -> Result<(), ApiError> {
    let role =
        one_of(message, "role", prefix, ROLES)?.ok_or_else(|| missing(&format!("{prefix}role")))?;
    let from_user = role == "user";
    let content_path = format!("{prefix}content");
    match present(message, "content") {
        None => Err(missing(&content_path)),
        Some(Value::String(text)) => {
            if from_user {
                texts.push(text.clone());
            }
            Ok(())
        }
        Some(Value::Array(parts)) => {
            for (index, part) in parts.iter().enumerate() {
                let path = format!("{content_path}[{index}]");
                let part = part
                    .as_object()
                    .ok_or_else(|| invalid_type(&path, "an object", part))?;
                let prefix = format!("{path}.");
                let kind = one_of(part, "type", &prefix, CONTENT_TYPES)?
                    .ok_or_else(|| missing(&format!("{prefix}type")))?;
                match kind {
                    "input_text" | "output_text" => {
                        let text = required_string(part, "text", &prefix)?;
                        if from_user && kind == "input_text" {
                            texts.push(text.to_owned());
                        }
                    }
                    "input_image" => {
                        let url = string_field(part, "image_url", &prefix)?;
                        let file = string_field(part, "file_id", &prefix)?;
                        if url.is_none() && file.is_none() {
                            return Err(missing(&format!("{prefix}image_url")));
                        }
                    }
                    _ => {}
                }
            }
            Ok(())
        }
        Some(other) => Err(invalid_type(
            &content_path,
            "a string or an array of content parts",
            other,
        )),
    }
}

/// Finds the first `image_generation` tool; this mock serves nothing else.
fn image_tool(request: &Object) -> Result<(usize, &Object), ApiError> {
    let no_image_tool = || {
        ApiError::invalid_request(
            "This mock only serves the image_generation tool: 'tools' must include \
             {\"type\": \"image_generation\"}.",
        )
        .param("tools")
        .code("missing_required_parameter")
    };
    let tools = match present(request, "tools") {
        None => return Err(no_image_tool()),
        Some(Value::Array(tools)) => tools,
        Some(other) => return Err(invalid_type("tools", "an array", other)),
    };
    let mut found = None;
    for (index, tool) in tools.iter().enumerate() {
        let path = format!("tools[{index}]");
        let tool = tool
            .as_object()
            .ok_or_else(|| invalid_type(&path, "an object", tool))?;
        let kind = required_string(tool, "type", &format!("{path}."))?;
        if kind == "image_generation" && found.is_none() {
            found = Some((index, tool));
        }
    }
    found.ok_or_else(no_image_tool)
}

/// Checked tool fields; `None` means absent or null.
struct ToolSettings<'a> {
    model: &'a str,
    width: u32,
    height: u32,
    quality: Option<&'a str>,
    background: Option<&'a str>,
    output_format: &'a str,
    action: Option<&'a str>,
    partial_images: u32,
}

fn tool_settings<'a>(tool: &'a Object, prefix: &str) -> Result<ToolSettings<'a>, ApiError> {
    reject_unknown(tool, TOOL_PARAMS, prefix)?;
    let model = string_field(tool, "model", prefix)?.unwrap_or(DEFAULT_TOOL_MODEL);
    let (width, height) = size(tool, prefix, model)?;
    let quality = one_of(tool, "quality", prefix, QUALITIES)?;
    let output_format = one_of(tool, "output_format", prefix, FORMATS)?.unwrap_or("png");
    let background = one_of(tool, "background", prefix, BACKGROUNDS)?;
    if background == Some("transparent") && output_format == "jpeg" {
        return Err(ApiError::invalid_request(
            "Transparent background is not supported for output_format 'jpeg'; use 'png' or 'webp'.",
        )
        .param(format!("{prefix}background"))
        .code("invalid_value"));
    }
    one_of(tool, "moderation", prefix, MODERATIONS)?;
    one_of(tool, "input_fidelity", prefix, FIDELITIES)?;
    let action = one_of(tool, "action", prefix, ACTIONS)?;
    integer_in(tool, "output_compression", prefix, 0, 100)?;
    integer_in(tool, "partial_images", prefix, 0, 3)?;
    let partial_images = present(tool, "partial_images")
        .and_then(Value::as_u64)
        .unwrap_or(0) as u32;
    if let Some(mask) = present(tool, "input_image_mask") {
        if !mask.is_object() {
            return Err(invalid_type(
                &format!("{prefix}input_image_mask"),
                "an object",
                mask,
            ));
        }
    }
    Ok(ToolSettings {
        model,
        width,
        height,
        quality,
        background,
        output_format,
        action,
        partial_images,
    })
}

/// The pixel size to render; `auto` renders 1024x1024.
fn size(tool: &Object, prefix: &str, tool_model: &str) -> Result<(u32, u32), ApiError> {
    let path = format!("{prefix}size");
    let Some(size) = string_field(tool, "size", prefix)? else {
        return Ok((1024, 1024));
    };
    if size == "auto" {
        return Ok((1024, 1024));
    }
    let parsed = parse_dimensions(size);
    if SIZES.contains(&size) {
        if let Some(dimensions) = parsed {
            return Ok(dimensions);
        }
    }
    // Why a prefix match: dated snapshots (gpt-image-2-2026-04-21) share the rules.
    if !tool_model.starts_with("gpt-image-2") {
        return Err(invalid_value(&path, size, SIZES));
    }
    match parsed {
        Some((w, h)) if flexible_size_ok(w, h) => Ok((w, h)),
        _ => Err(ApiError::invalid_request(format!(
            "Invalid size '{size}'. For {tool_model}, size must be 'auto' or WIDTHxHEIGHT with \
             both sides multiples of 16, the long side at most {MAX_EDGE}px, an aspect ratio \
             between 1:3 and 3:1, and at most {MAX_PIXELS} pixels (3840x2160) in total."
        ))
        .param(path)
        .code("invalid_value")),
    }
}

/// Looks up what the request edits. Unknown ids are errors, as on the real
/// API; an image-call reference wins over `previous_response_id` because it
/// names the exact image (the last one if several).
fn resolve_edit_source(
    previous_response_id: Option<&str>,
    summary: &InputSummary,
    store: &Store,
) -> Result<Option<EditOf>, ApiError> {
    let mut edit_of = None;
    if let Some(id) = previous_response_id {
        let prompt = store.response_prompt(id).ok_or_else(|| {
            ApiError::invalid_request(format!("Previous response with id '{id}' not found."))
                .param("previous_response_id")
                .code("previous_response_not_found")
        })?;
        edit_of = Some(EditOf {
            revised_prompt: prompt.map(str::to_owned),
        });
    }
    for (path, id) in &summary.references {
        let prompt = store.image_call_prompt(id).ok_or_else(|| {
            ApiError::invalid_request(format!("Item with id '{id}' not found.")).param(path.clone())
        })?;
        edit_of = Some(EditOf {
            revised_prompt: Some(prompt.to_owned()),
        });
    }
    Ok(edit_of)
}

/// `tools` as the real API echoes it: every image-tool field present, `n: 1`.
fn tools_echo(request: &Object, image_tool_index: usize) -> Value {
    let mut tools = present(request, "tools")
        .cloned()
        .unwrap_or_else(|| json!([]));
    if let Some(Value::Object(tool)) = tools.get_mut(image_tool_index) {
        let defaults = [
            ("background", json!("auto")),
            ("model", json!(DEFAULT_TOOL_MODEL)),
            ("moderation", json!("auto")),
            ("output_compression", json!(100)),
            ("output_format", json!("png")),
            ("quality", json!("auto")),
            ("size", json!("auto")),
        ];
        for (key, default) in defaults {
            if tool.get(key).is_none_or(Value::is_null) {
                tool.insert(key.to_owned(), default);
            }
        }
        tool.insert("n".to_owned(), json!(1));
    }
    tools
}

fn echo(request: &Object, key: &str) -> Value {
    present(request, key).cloned().unwrap_or(Value::Null)
}

// ---- field helpers: `prefix` is "" or a path such as "tools[0]." ----

/// Absent and `null` mean the same: real clients send explicit nulls.
fn present<'a>(object: &'a Object, key: &str) -> Option<&'a Value> {
    object.get(key).filter(|value| !value.is_null())
}

fn reject_unknown(object: &Object, known: &[&str], prefix: &str) -> Result<(), ApiError> {
    match object.keys().find(|key| !known.contains(&key.as_str())) {
        Some(key) => Err(
            ApiError::invalid_request(format!("Unknown parameter: '{prefix}{key}'."))
                .param(format!("{prefix}{key}"))
                .code("unknown_parameter"),
        ),
        None => Ok(()),
    }
}

fn string_field<'a>(
    object: &'a Object,
    key: &str,
    prefix: &str,
) -> Result<Option<&'a str>, ApiError> {
    match present(object, key) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(other) => Err(invalid_type(&format!("{prefix}{key}"), "a string", other)),
    }
}

fn required_string<'a>(object: &'a Object, key: &str, prefix: &str) -> Result<&'a str, ApiError> {
    string_field(object, key, prefix)?.ok_or_else(|| missing(&format!("{prefix}{key}")))
}

fn one_of<'a>(
    object: &'a Object,
    key: &str,
    prefix: &str,
    allowed: &[&str],
) -> Result<Option<&'a str>, ApiError> {
    match string_field(object, key, prefix)? {
        Some(value) if !allowed.contains(&value) => {
            Err(invalid_value(&format!("{prefix}{key}"), value, allowed))
        }
        value => Ok(value),
    }
}

fn bool_field(object: &Object, key: &str, prefix: &str) -> Result<Option<bool>, ApiError> {
    match present(object, key) {
        None => Ok(None),
        Some(Value::Bool(flag)) => Ok(Some(*flag)),
        Some(other) => Err(invalid_type(&format!("{prefix}{key}"), "a boolean", other)),
    }
}

fn integer_in(
    object: &Object,
    key: &str,
    prefix: &str,
    min: i64,
    max: i64,
) -> Result<(), ApiError> {
    let path = format!("{prefix}{key}");
    let Some(value) = present(object, key) else {
        return Ok(());
    };
    let Some(number) = value.as_i64() else {
        return Err(invalid_type(&path, "an integer", value));
    };
    let (code, relation, bound) = if number < min {
        (
            "integer_below_min_value",
            "below minimum",
            format!(">= {min}"),
        )
    } else if number > max {
        (
            "integer_above_max_value",
            "above maximum",
            format!("<= {max}"),
        )
    } else {
        return Ok(());
    };
    Err(ApiError::invalid_request(format!(
        "Invalid '{path}': integer {relation} value. Expected a value {bound}, but got {number} instead."
    ))
    .param(path)
    .code(code))
}

// ---- error wording ----

fn missing(path: &str) -> ApiError {
    ApiError::invalid_request(format!("Missing required parameter: '{path}'."))
        .param(path)
        .code("missing_required_parameter")
}

fn invalid_type(path: &str, expected: &str, got: &Value) -> ApiError {
    ApiError::invalid_request(format!(
        "Invalid type for '{path}': expected {expected}, but got {} instead.",
        type_name(got)
    ))
    .param(path)
    .code("invalid_type")
}

fn invalid_value(path: &str, got: &str, allowed: &[&str]) -> ApiError {
    ApiError::invalid_request(format!(
        "Invalid value: '{got}'. Supported values are: {}.",
        quoted_list(allowed)
    ))
    .param(path)
    .code("invalid_value")
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(number) if number.is_i64() || number.is_u64() => "an integer",
        Value::Number(_) => "a decimal",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::flexible_size_ok;

    #[test]
    fn flexible_sizes_follow_gpt_image_2_rules() {
        assert!(flexible_size_ok(3840, 2160));
        assert!(flexible_size_ok(1536, 512));
        assert!(!flexible_size_ok(1600, 512)); // wider than 3:1
        assert!(!flexible_size_ok(1000, 1000)); // not multiples of 16
        assert!(!flexible_size_ok(4096, 2048)); // long side above 3840
        assert!(!flexible_size_ok(3840, 2880)); // too many pixels
    }
}
