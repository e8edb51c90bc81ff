//! Sending one reference image to `POST /api/references`, with its progress.
//!
//! Why XMLHttpRequest and not fetch: only XHR reports upload progress, and a 20 MB photo on a
//! slow connection takes long enough that people need to see it move. The body is the `File`
//! itself (the route takes the raw image, its type in Content-Type), so the browser streams it
//! from disk without a copy in wasm.

use crate::error::AppError;
use crate::model::ReferenceImage;
use futures::channel::oneshot;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{File, ProgressEvent, XmlHttpRequest};

const ROUTE: &str = "/api/references";

/// An upload in flight. Dropping it aborts the request (the person removed the picture, or left
/// the page's input stage); the callbacks live as long as it does.
struct InFlight {
    request: XmlHttpRequest,
    finished: bool,
    _on_progress: Closure<dyn FnMut(ProgressEvent)>,
    _on_end: Closure<dyn FnMut()>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if !self.finished {
            let _ = self.request.abort();
        }
    }
}

/// Uploads `file`, calling `progress` with the per cent sent; the stored reference, or the
/// sentence to show beside the file.
pub async fn upload(
    file: &File,
    progress: impl Fn(u32) + 'static,
) -> Result<ReferenceImage, String> {
    let t = crate::i18n::text();
    let failed_to_start = |_| t.upload_not_started.to_string();
    let request = XmlHttpRequest::new().map_err(failed_to_start)?;
    request.open("POST", ROUTE).map_err(failed_to_start)?;
    // A file the browser cannot type (no known extension) is sent as what it is not sure of; the
    // server then says which types it takes.
    let declared = Some(file.type_()).filter(|t| !t.is_empty());
    let content_type = declared.unwrap_or_else(|| "application/octet-stream".into());
    request
        .set_request_header("Content-Type", &content_type)
        .map_err(failed_to_start)?;
    request
        .set_request_header("Accept", "application/json")
        .map_err(failed_to_start)?;

    let on_progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |event: ProgressEvent| {
        if event.length_computable() && event.total() > 0.0 {
            progress((event.loaded() / event.total() * 100.0).round() as u32);
        }
    });
    request
        .upload()
        .map_err(failed_to_start)?
        .set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    let (ended, end) = oneshot::channel::<()>();
    let mut ended = Some(ended);
    let on_end = Closure::<dyn FnMut()>::new(move || {
        if let Some(ended) = ended.take() {
            let _ = ended.send(());
        }
    });
    request.set_onloadend(Some(on_end.as_ref().unchecked_ref()));
    let mut in_flight = InFlight {
        request,
        finished: false,
        _on_progress: on_progress,
        _on_end: on_end,
    };
    in_flight
        .request
        .send_with_opt_blob(Some(file))
        .map_err(failed_to_start)?;
    let _ = end.await;
    in_flight.finished = true;

    let request = &in_flight.request;
    let status = request.status().unwrap_or(0);
    let body = request.response_text().ok().flatten().unwrap_or_default();
    match status {
        200 => serde_json::from_str(&body).map_err(|_| t.upload_unreadable.into()),
        // No answer at all: the connection failed, or the server closed it while the file was
        // still being sent (which is also how some proxies refuse a file that is too large).
        0 => Err(t.upload_unreachable.into()),
        _ => Err(serde_json::from_str::<AppError>(&body)
            .map(|error| error.to_string())
            .unwrap_or_else(|_| (t.upload_refused)(status))),
    }
}
