//! The page's call of `generate_image`: the server function's own path, request and answer
//! types, but the answer is parsed by the browser (`Response.json()`) and its picture decoded by
//! the browser into a Blob, so its 2 MB of base64 never pass through wasm.
//!
//! Why not the server function's client: it hands the whole answer to wasm as one string, where
//! copying, parsing and decoding it took 20–30 ms per picture, on the page's only thread.

use super::blob;
use crate::api::GenerateImage;
use crate::error::AppError;
use crate::model::{GenerateRequest, GeneratedImage};
use js_sys::{Array, JsString, Reflect, Uint8Array, JSON};
use leptos::server_fn::error::{FromServerFnError, IntoAppError, ServerFnErrorErr};
use leptos::server_fn::ServerFn;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Blob, RequestInit, Response};

/// Aborts the fetch when the generation is dropped (Cancel), as the server function's client does.
struct AbortOnDrop(Option<AbortController>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(controller) = &self.0 {
            controller.abort();
        }
    }
}

/// The finished picture's metadata (with an empty `b64`) and its bytes as a Blob.
pub async fn generate(request: GenerateRequest) -> Result<(GeneratedImage, Blob), AppError> {
    let body = serde_json::to_string(&GenerateImage { request })
        .map_err(|e| ServerFnErrorErr::Serialization(e.to_string()).into_app_error())?;
    let abort = AbortOnDrop(AbortController::new().ok());
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(&body));
    let json = JsValue::from_str("application/json");
    init.set_headers(&Array::of2(
        &Array::of2(&"Content-Type".into(), &json),
        &Array::of2(&"Accept".into(), &json),
    ));
    if let Some(controller) = &abort.0 {
        init.set_signal(Some(&controller.signal()));
    }
    let window = web_sys::window().ok_or_else(|| unreachable_server("no window"))?;
    let response: Response =
        JsFuture::from(window.fetch_with_str_and_init(GenerateImage::PATH, &init))
            .await
            .map_err(|e| unreachable_server(&message(e)))?
            .unchecked_into();
    // Like the server function's client: an error status carries an `AppError` as JSON.
    if (400..=599).contains(&response.status()) {
        let body = settle(response.array_buffer()).await?;
        return Err(AppError::de(Uint8Array::new(&body).to_vec().into()));
    }
    let answer = settle(response.json()).await?;
    let b64: JsString = Reflect::get(&answer, &"b64".into())
        .ok()
        .and_then(|b64| b64.dyn_into().ok())
        .ok_or_else(|| unreadable("the answer has no picture"))?;
    // The metadata goes to serde without the picture: a few hundred bytes instead of 2 MB.
    let _ = Reflect::set(&answer, &"b64".into(), &"".into());
    let metadata = JSON::stringify(&answer).map_err(|e| unreadable(&message(e)))?;
    let image: GeneratedImage =
        serde_json::from_str(&String::from(metadata)).map_err(|e| unreadable(&e.to_string()))?;
    let picture = blob::from_base64(&image.mime, &b64)
        .ok_or_else(|| unreadable("the picture is not base64"))?;
    Ok((image, picture))
}

async fn settle(promise: Result<js_sys::Promise, JsValue>) -> Result<JsValue, AppError> {
    let promise = promise.map_err(|e| unreadable(&message(e)))?;
    JsFuture::from(promise)
        .await
        .map_err(|e| unreadable(&message(e)))
}

fn unreachable_server(detail: &str) -> AppError {
    AppError::from_server_fn_error(ServerFnErrorErr::Request(detail.to_string()))
}

fn unreadable(detail: &str) -> AppError {
    AppError::from_server_fn_error(ServerFnErrorErr::Deserialization(detail.to_string()))
}

fn message(error: JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "unknown error".into())
}
