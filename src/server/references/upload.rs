//! `POST /api/references` takes one image and answers the stored reference; `GET
//! /api/references/{id}` serves it back (the page shows references beside results).
//!
//! Why the raw body and not multipart: the browser sends the `File` itself with XMLHttpRequest
//! (`xhr.send(file)`, for per-file progress), which sets Content-Type from the file. The body is
//! then exactly the file: `Content-Length` is its size, so an oversized file is refused before a
//! byte of it is read; the SHA-256 taken while it streams is the file's own; and there is no
//! multipart framing to parse or get wrong. One image per request also gives each file its own
//! progress bar and its own error.
//!
//! An upload streams to a scratch file under the data directory (never whole into memory),
//! bounded by `limits.max_upload_bytes` and `connections.body_timeout_secs`. Its header is then
//! checked (format by magic bytes, pixel budget), and only after that is it decoded, at most
//! `DECODES_AT_ONCE` at a time, on blocking threads.

use super::normalize::{normalize, read_header, Header, ImageLimits, Unusable};
use super::store::{ReferenceStore, StoredFormat, TempFile};
use crate::error::AppError;
use crate::i18n::server::{in_language, language, UploadRefusal};
use crate::i18n::Lang;
use crate::model::{is_reference_id, malformed_reference_id, millions, ReferenceImage};
use crate::server::config::Settings;
use crate::server::hex::hex;
use crate::server::http::api_gate::media_type;
use crate::server::http::body::{check_declared_length, declared_length, BodyError, BoundedBody};
use crate::server::http::error_response::{error_response, internal};
use crate::server::http::security_headers::SAME_ORIGIN_ONLY;
use crate::server::state::AppState;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sha2::{Digest as _, Sha256};
use std::io::BufReader;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::io::{AsyncWriteExt as _, BufWriter};
use tokio::sync::Semaphore;

/// Decodes at once. Each is CPU-bound (tens to hundreds of milliseconds) and holds a decoded
/// picture in memory (up to `max_reference_pixels` × 8 bytes): two keep a small server's cores
/// busy without letting a burst of uploads take its memory. Uploads still stream in meanwhile.
const DECODES_AT_ONCE: usize = 2;
/// Writes to the scratch file in pieces this large rather than one per network chunk.
const WRITE_BUFFER_BYTES: usize = 256 * 1024;
const ACCEPTED_TYPES: [&str; 3] = ["image/png", "image/jpeg", "image/webp"];
/// A stored reference never changes (its name is its hash); only signed-in pages may see it.
const CACHE_FOREVER_PRIVATELY: &str = "private, max-age=31536000, immutable";

/// How uploads are bounded, and the turns for decoding them.
pub struct Uploads {
    max_bytes: usize,
    body_timeout: Duration,
    limits: ImageLimits,
    decoding: Semaphore,
}

impl Uploads {
    pub fn from_settings(settings: &Settings) -> Uploads {
        Uploads {
            max_bytes: settings.limits.max_upload_bytes,
            body_timeout: Duration::from_secs(settings.connections.body_timeout_secs),
            limits: settings.limits.reference_images(),
            decoding: Semaphore::new(DECODES_AT_ONCE),
        }
    }
}

/// `POST /api/references`: the image in the body, its type in Content-Type.
pub async fn upload_reference(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    // Refusals are worded in the language of the page that sent the file.
    let stored = in_language(
        Lang::of_headers(&headers),
        store_upload(&state, &headers, body),
    );
    match stored.await {
        Ok(reference) => {
            tracing::info!(
                id = %reference.id,
                original_bytes = reference.original_bytes,
                bytes = reference.bytes,
                width = reference.width,
                height = reference.height,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "reference image stored"
            );
            Json(reference).into_response()
        }
        Err(error) => {
            tracing::info!(status = error.http_status(), %error, "reference image refused");
            error_response(&error)
        }
    }
}

async fn store_upload(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<ReferenceImage, AppError> {
    let uploads = &state.uploads;
    let store = &state.references;
    let declares_an_image = media_type(headers).is_some_and(|essence| {
        ACCEPTED_TYPES
            .iter()
            .any(|t| essence.eq_ignore_ascii_case(t))
    });
    if !declares_an_image {
        return Err(refused(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Send one PNG, JPEG or WebP image as the request body, with its type as Content-Type \
             (image/png, image/jpeg or image/webp).",
        ));
    }
    let declared = declared_length(headers);
    if check_declared_length(declared, uploads.max_bytes).is_err() {
        return Err(too_large(uploads.max_bytes, declared));
    }
    let upload = receive(store, body, uploads).await?;
    match store.find(&upload.sha256).await.map_err(io_failed)? {
        // The very same bytes are stored already: an upload kept as it came, sent again.
        Some(stored) => {
            let header = header_of(stored.path, uploads.limits).await?;
            Ok(answer(
                upload.sha256,
                stored.format,
                (header.width, header.height),
                stored.bytes,
                upload.bytes,
            ))
        }
        None => make_reference(state, upload).await,
    }
}

/// Checks the upload's header, then decodes and normalizes it (on a blocking thread, when a
/// decoding turn is free) and stores the result.
async fn make_reference(state: &AppState, upload: Received) -> Result<ReferenceImage, AppError> {
    let uploads = &state.uploads;
    // The content decides, not the declared type: a text file named .png stops here.
    let header = header_of(upload.file.path().to_path_buf(), uploads.limits).await?;
    let normalized = {
        let _turn = uploads
            .decoding
            .acquire()
            .await
            .map_err(|_| internal("the decoding semaphore was closed"))?;
        let path = upload.file.path().to_path_buf();
        let limits = uploads.limits;
        tokio::task::spawn_blocking(move || {
            let bytes = std::fs::read(path)?;
            Ok::<_, std::io::Error>(normalize(&bytes, header, limits))
        })
        .await
        .map_err(|e| internal(&format!("the decoding thread failed: {e}")))?
        .map_err(io_failed)?
        .map_err(unusable)?
    };
    let format = normalized.format;
    let (id, bytes) = match normalized.encoded {
        None => {
            state
                .references
                .adopt(upload.file, &upload.sha256, format)
                .await
                .map_err(io_failed)?;
            (upload.sha256, upload.bytes)
        }
        Some(encoded) => {
            let bytes = encoded.len() as u64;
            let id = state
                .references
                .put(encoded, format)
                .await
                .map_err(io_failed)?;
            (id, bytes)
        }
    };
    Ok(answer(
        id,
        format,
        (normalized.width, normalized.height),
        bytes,
        upload.bytes,
    ))
}

/// An upload on disk, with what was learnt while it streamed in.
struct Received {
    file: TempFile,
    sha256: String,
    bytes: u64,
}

async fn receive(
    store: &ReferenceStore,
    body: Body,
    uploads: &Uploads,
) -> Result<Received, AppError> {
    let (file, handle) = store.scratch_file().await.map_err(io_failed)?;
    let mut writer = BufWriter::with_capacity(WRITE_BUFFER_BYTES, handle);
    let mut hasher = Sha256::new();
    let mut bytes = 0u64;
    let mut body = BoundedBody::new(body, uploads.max_bytes, uploads.body_timeout);
    loop {
        let chunk = match body.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(BodyError::TooLarge { .. }) => return Err(too_large(uploads.max_bytes, None)),
            Err(other) => return Err(refused(other.status(), other.message())),
        };
        hasher.update(&chunk);
        bytes += chunk.len() as u64;
        writer.write_all(&chunk).await.map_err(io_failed)?;
    }
    writer.flush().await.map_err(io_failed)?;
    Ok(Received {
        file,
        sha256: hex(&hasher.finalize()),
        bytes,
    })
}

/// The header of the file at `path` (reading a few kilobytes at most, on a blocking thread).
async fn header_of(path: PathBuf, limits: ImageLimits) -> Result<Header, AppError> {
    tokio::task::spawn_blocking(move || {
        let file = std::fs::File::open(path)?;
        Ok::<_, std::io::Error>(read_header(BufReader::new(file), limits))
    })
    .await
    .map_err(|e| internal(&format!("the header thread failed: {e}")))?
    .map_err(io_failed)?
    .map_err(unusable)
}

fn answer(
    id: String,
    format: StoredFormat,
    (width, height): (u32, u32),
    bytes: u64,
    original_bytes: u64,
) -> ReferenceImage {
    ReferenceImage {
        id,
        mime: format.mime().to_string(),
        width,
        height,
        bytes,
        original_bytes,
    }
}

/// `GET /api/references/{id}`: the stored file, cached for good (its name is its content).
pub async fn serve_reference(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let id = match id {
        Ok(Path(id)) if is_reference_id(&id) => id,
        Ok(Path(id)) => return invalid_id(&id),
        Err(_) => return invalid_id(""),
    };
    match state.references.get(&id).await {
        Ok(Some(reference)) => (
            [
                (CONTENT_TYPE, reference.mime),
                (CACHE_CONTROL, CACHE_FOREVER_PRIVATELY),
                SAME_ORIGIN_ONLY,
            ],
            reference.bytes,
        )
            .into_response(),
        Ok(None) => error_response(&refused(
            StatusCode::NOT_FOUND,
            "This server has no reference image with that id; upload the image again.",
        )),
        Err(error) => error_response(&io_failed(error)),
    }
}

fn invalid_id(id: &str) -> Response {
    error_response(&AppError::InvalidInput {
        field: "id".into(),
        message: malformed_reference_id(id),
    })
}

fn refused(status: StatusCode, message: impl Into<String>) -> AppError {
    AppError::Refused {
        status: status.as_u16(),
        message: message.into(),
    }
}

fn too_large(limit: usize, declared: Option<u64>) -> AppError {
    refused(
        StatusCode::PAYLOAD_TOO_LARGE,
        (language().text().reference_too_large)(limit as u64, declared),
    )
}

fn unusable(why: Unusable) -> AppError {
    let refusal = match why {
        Unusable::NotAnImage => UploadRefusal::NotAnImage,
        Unusable::TooManyPixels {
            width,
            height,
            max_pixels,
        } => UploadRefusal::TooManyPixels {
            width,
            height,
            megapixels: millions(width.saturating_mul(height)),
            max_megapixels: millions(max_pixels),
        },
        Unusable::OverMemoryBudget => UploadRefusal::OverMemoryBudget,
        Unusable::Damaged => UploadRefusal::Damaged,
        Unusable::Encoding(cause) => return internal(&format!("encoding a reference: {cause}")),
    };
    let status = match refusal {
        UploadRefusal::NotAnImage => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    refused(status, (language().server_text().upload_refused)(&refusal))
}

fn io_failed(error: std::io::Error) -> AppError {
    internal(&format!("reference storage: {error}"))
}
