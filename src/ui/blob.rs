//! A picture's bytes as a `Blob` and its object URL: made once per picture, shared by every view.

use super::base64;
use js_sys::{Array, JsString, Uint8Array};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use web_sys::{Blob, BlobPropertyBag, Url};

#[wasm_bindgen]
extern "C" {
    /// `Uint8Array.fromBase64` (Chrome 140, Firefox 133, Safari 18.2): decodes in the browser,
    /// without copying the text into wasm.
    #[wasm_bindgen(js_namespace = Uint8Array, js_name = fromBase64, catch)]
    fn decode_natively(text: &JsString) -> Result<Uint8Array, JsValue>;
}

/// The picture that `b64` encodes, or `None` when it is not base64.
pub fn from_base64(mime: &str, b64: &JsString) -> Option<Blob> {
    let bytes = match decode_natively(b64) {
        Ok(bytes) => bytes,
        // Older browsers: decode in wasm.
        Err(_) => Uint8Array::from(base64::decode(&String::from(b64))?.as_slice()),
    };
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    Blob::new_with_u8_array_sequence_and_options(&Array::of1(&bytes), &options).ok()
}

pub fn object_url(blob: &Blob) -> Option<String> {
    Url::create_object_url_with_blob(blob).ok()
}

/// Lets the browser free the picture once no view shows it any more.
pub fn revoke(url: &str) {
    let _ = Url::revoke_object_url(url);
}
