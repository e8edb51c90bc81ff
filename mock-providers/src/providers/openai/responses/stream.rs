//! §1.6: a Response told as server-sent events, for requests with
//! `stream: true`. Each event's `type` equals its `event:` name; the image
//! arrives in `response.output_item.done` and again in `response.completed`,
//! after `partial_images` previews (here the finished picture each time, as
//! the mock draws nothing rougher). No `data: [DONE]` follows (UNCONFIRMED).

use std::time::Duration;

use axum::response::Response;
use serde_json::{json, Value};

use crate::sse;

/// The events of a completed `response` (its image call's `result` set),
/// with `drawing` spread evenly before each preview and the picture.
pub(crate) fn completed(response: Value, partial_images: u32, drawing: Duration) -> Response {
    let output = response["output"].as_array().cloned().unwrap_or_default();
    let (index, call) = output
        .into_iter()
        .enumerate()
        .find(|(_, item)| item["type"] == "image_generation_call")
        .unwrap_or_default();
    let call_id = call["id"].clone();
    let about_call = json!({"output_index": index, "item_id": call_id});
    let step = drawing / (partial_images + 1);
    let mut events = started(&response);
    events.push((
        Duration::ZERO,
        "response.output_item.added",
        json!({"output_index": index, "item": {"type": "image_generation_call", "id": call_id, "status": "in_progress"}}),
    ));
    for name in [
        "response.image_generation_call.in_progress",
        "response.image_generation_call.generating",
    ] {
        events.push((Duration::ZERO, name, about_call.clone()));
    }
    for partial in 0..partial_images {
        let mut event = about_call.clone();
        event["partial_image_index"] = json!(partial);
        event["partial_image_b64"] = call["result"].clone();
        events.push((step, "response.image_generation_call.partial_image", event));
    }
    events.push((
        step,
        "response.output_item.done",
        json!({"output_index": index, "item": call}),
    ));
    events.push((
        Duration::ZERO,
        "response.image_generation_call.completed",
        about_call,
    ));
    events.push((
        Duration::ZERO,
        "response.completed",
        json!({"response": response}),
    ));
    answer(events)
}

/// The events of a Response that failed while it ran.
pub(crate) fn failed(response: Value) -> Response {
    let mut events = started(&response);
    events.push((
        Duration::ZERO,
        "response.failed",
        json!({"response": response}),
    ));
    answer(events)
}

type Planned = (Duration, &'static str, Value);

/// `response.created` and `response.in_progress`, with the Response as it
/// looked before any output.
fn started(response: &Value) -> Vec<Planned> {
    let mut running = response.clone();
    running["status"] = json!("in_progress");
    running["output"] = json!([]);
    running["error"] = Value::Null;
    running["usage"] = Value::Null;
    ["response.created", "response.in_progress"]
        .into_iter()
        .map(|name| (Duration::ZERO, name, json!({"response": running})))
        .collect()
}

/// Sends each event after its wait; a client that goes away stops the rest.
fn answer(events: Vec<Planned>) -> Response {
    sse::stream(move |frames| async move {
        for (sequence, (wait, name, mut event)) in events.into_iter().enumerate() {
            tokio::time::sleep(wait).await;
            event["type"] = json!(name);
            event["sequence_number"] = json!(sequence);
            if !frames.send(Some(name), event.to_string()).await {
                return;
            }
        }
    })
}
