//! `GET /api/generation_preview/{request_id}`: the newest rough preview a provider has streamed
//! for a generation still running. The page asks for it when `generation_progress` says a new
//! one came, so the preview travels once, as an image the browser decodes itself, never as
//! base64 inside JSON.

use super::error_response::error_response;
use super::security_headers::SAME_ORIGIN_ONLY;
use crate::error::AppError;
use crate::server::providers::http::sniff_mime;
use crate::server::state::AppState;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub async fn serve_preview(
    State(state): State<AppState>,
    Path(request_id): Path<String>,
) -> Response {
    match state.inflight.preview(&request_id) {
        Some(picture) => (
            [
                (CONTENT_TYPE, sniff_mime(&picture)),
                // The page asks again for each new preview; none is worth keeping.
                (CACHE_CONTROL, "no-store"),
                SAME_ORIGIN_ONLY,
            ],
            picture,
        )
            .into_response(),
        None => error_response(&AppError::Refused {
            status: StatusCode::NOT_FOUND.as_u16(),
            message: "There is no preview for that generation: it has finished, or its \
                      engine sends none yet."
                .into(),
        }),
    }
}
