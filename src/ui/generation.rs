//! The page's generation: `generate_image`'s request and errors, through its twin route
//! `/api/generate_picture` (`server::http::generate_picture`), which answers the picture as a file
//! in `multipart/form-data` instead of base64 in JSON. The browser parses that
//! (`Response.formData()`) and hands over the picture as a `File`, so its bytes never pass through
//! wasm, and the answer is a quarter lighter than JSON's base64.
//!
//! Why not the server function's client: it hands the whole answer to wasm as one string, where
//! copying, parsing and decoding it took 20–30 ms per picture, on the page's only thread.

use crate::api::GenerateImage;
use crate::error::AppError;
use crate::model::{GenerateRequest, GeneratedImage};
use js_sys::{Array, Uint8Array};
use leptos::server_fn::error::{FromServerFnError, IntoAppError, ServerFnErrorErr};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Blob, FormData, RequestInit, Response};

/// Where the page asks for a picture (the JSON API's `GenerateImage::PATH` answers base64).
const PICTURE_PATH: &str = "/api/generate_picture";

/// Aborts the fetch when the generation is dropped (Cancel), as the server function's client does.
struct AbortOnDrop(Option<AbortController>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(controller) = &self.0 {
            controller.abort();
        }
    }
}

/// The finished picture's metadata (with an empty `b64`) and its file as a Blob.
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
    let response: Response = JsFuture::from(window.fetch_with_str_and_init(PICTURE_PATH, &init))
        .await
        .map_err(|e| unreachable_server(&message(e)))?
        .unchecked_into();
    // Like the server function's client: an error status carries an `AppError` as JSON.
    if (400..=599).contains(&response.status()) {
        let body = settle(response.array_buffer()).await?;
        return Err(AppError::de(Uint8Array::new(&body).to_vec().into()));
    }
    let form: FormData = settle(response.form_data()).await?.unchecked_into();
    let metadata = form
        .get("metadata")
        .as_string()
        .ok_or_else(|| unreadable("the answer has no metadata"))?;
    let image: GeneratedImage =
        serde_json::from_str(&metadata).map_err(|e| unreadable(&e.to_string()))?;
    let picture: Blob = form
        .get("picture")
        .dyn_into()
        .map_err(|_| unreadable("the answer has no picture"))?;
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
