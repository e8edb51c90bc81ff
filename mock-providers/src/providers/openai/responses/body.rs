//! The Response objects the mock returns, shaped like a real recording
//! (providers.md §1.5).

use serde_json::{json, Value};

use super::validate::ImageRequest;
use crate::clock::now_secs;
use crate::ids::hex_id;

/// `revised_prompt` for a request: edits extend the earlier image's prompt so
/// a chain of refinements stays visible in the text (and in the picture,
/// whose colours hash this string).
pub(crate) fn revised_prompt(request: &ImageRequest) -> String {
    let earlier = request
        .edit_of
        .as_ref()
        .and_then(|edit| edit.revised_prompt.as_deref());
    match earlier {
        Some(earlier) if request.tool.action == "edit" => {
            format!("{earlier}, refined: {}", request.text)
        }
        _ => format!("A detailed rendering of: {}", request.text),
    }
}

/// A completed response with one image call whose `result` is still null:
/// the stored copy keeps it that way, the reply fills it with [`with_result`].
pub(crate) fn completed(
    request: &ImageRequest,
    response_id: &str,
    call_id: &str,
    revised_prompt: &str,
) -> Value {
    let tool = &request.tool;
    let output = json!([
        {"type": "reasoning", "id": hex_id("rs_", 24), "summary": []},
        {
            "type": "image_generation_call",
            "id": call_id,
            "status": "completed",
            "action": tool.action,
            "background": tool.background,
            "output_format": tool.output_format,
            "quality": tool.quality,
            "size": tool.size,
            "revised_prompt": revised_prompt,
            "result": null,
        },
        {
            "type": "message",
            "id": hex_id("msg_", 24),
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": "", "annotations": [], "logprobs": []}],
        },
    ]);
    envelope(request, response_id, "completed", output, Value::Null)
}

/// HTTP 200 whose Response failed: `status: "failed"`, `error`, no image.
pub(crate) fn failed(
    request: &ImageRequest,
    response_id: &str,
    code: &str,
    message: &str,
) -> Value {
    envelope(
        request,
        response_id,
        "failed",
        json!([]),
        json!({"code": code, "message": message}),
    )
}

/// Sets `result` (bare base64 of the image) on the response's image call.
pub(crate) fn with_result(mut body: Value, result: String) -> Value {
    let calls = body
        .get_mut("output")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter(|item| item["type"] == "image_generation_call");
    for call in calls {
        call["result"] = Value::String(result.clone());
    }
    body
}

fn envelope(request: &ImageRequest, id: &str, status: &str, output: Value, error: Value) -> Value {
    let created_at = now_secs();
    // Token counts are made up but stable: roughly four characters a token.
    let input_tokens = 40 + request.text.chars().count() as u64 / 4;
    let (output_tokens, reasoning_tokens) = if error.is_null() { (96, 64) } else { (0, 0) };
    json!({
        "id": id,
        "object": "response",
        "created_at": created_at,
        "status": status,
        "background": false,
        "error": error,
        "incomplete_details": null,
        "instructions": request.instructions,
        "max_output_tokens": null,
        "model": request.model,
        "output": output,
        "parallel_tool_calls": true,
        "previous_response_id": request.previous_response_id,
        "reasoning": {"effort": null, "summary": null},
        "service_tier": "default",
        "store": request.store,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}},
        "tool_choice": request.tool_choice,
        "tools": request.tools_echo,
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": {
            "input_tokens": input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": output_tokens,
            "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
            "total_tokens": input_tokens + output_tokens,
        },
        "user": request.user,
        "metadata": request.metadata,
    })
}
