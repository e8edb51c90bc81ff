//! `POST /api/generate_picture`: `generate_image` for the studio page. The same request, the same
//! errors (an `AppError` as JSON with its status), but a finished picture comes back as
//! `multipart/form-data`: a `metadata` field (the `GeneratedImage` as JSON, its `b64` empty) and a
//! `picture` file holding the image's bytes.
//!
//! Why a second route: as base64 inside JSON a picture is a third heavier on the wire (2.0 MB for
//! a 1.5 MB PNG, which on a remote link is a noticeable wait), the server encodes it and the
//! page must parse the whole answer and decode the picture again. Multipart is what
//! `Response.formData()` reads natively: the page gets the metadata as a string and the picture
//! as a `File` without ever touching its bytes. API clients keep the JSON server function.

use super::error_response::error_response;
use crate::api::GenerateImage;
use crate::error::AppError;
use crate::i18n::server::in_language;
use crate::i18n::Lang;
use crate::server::generate::generate_file;
use crate::server::hex::random_hex;
use crate::server::http::error_response::internal;
use crate::server::nodes::generate_image::MadeImage;
use crate::server::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

pub async fn serve_generation(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // The API gate has checked the origin, the size and that the JSON decodes.
    let request = match serde_json::from_slice::<GenerateImage>(&body) {
        Ok(arguments) => arguments.request,
        Err(error) => {
            return error_response(&AppError::InvalidInput {
                field: "request".into(),
                message: error.to_string(),
            })
        }
    };
    let made = in_language(Lang::of_headers(&headers), generate_file(&state, request));
    match made.await.and_then(multipart) {
        Ok((boundary, body)) => (
            [
                (
                    CONTENT_TYPE,
                    format!("multipart/form-data; boundary={boundary}"),
                ),
                // A generation is made once; a cache must never answer it again.
                (CACHE_CONTROL, "no-store".to_string()),
            ],
            body,
        )
            .into_response(),
        Err(error) => error_response(&error),
    }
}

/// The answer's body and the boundary between its two parts.
fn multipart(made: MadeImage) -> Result<(String, Vec<u8>), AppError> {
    let metadata = serde_json::to_string(&made.metadata)
        .map_err(|e| internal(&format!("encoding a picture's metadata: {e}")))?;
    // Random, so no picture can contain it by design (RFC 2046 asks that it occur nowhere in
    // the parts).
    let boundary = random_hex(16).map_err(|e| internal(&format!("no randomness: {e}")))?;
    let mime = &made.metadata.mime;
    let mut body = Vec::with_capacity(made.file.len() + metadata.len() + 512);
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\
             Content-Type: application/json\r\n\r\n{metadata}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"picture\"; \
             filename=\"picture\"\r\nContent-Type: {mime}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(&made.file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Ok((boundary, body))
}
