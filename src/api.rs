//! The server functions: the browser's only way into the server. Each is a thin adapter over
//! `server::*`, with a fixed path so other clients (and tests) can call it. JSON in, JSON out.

use crate::error::AppError;
use crate::model::{EngineCatalog, GenerateRequest, GeneratedImage, Progress, Template};
use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, Json};

/// `POST /api/generate_image` with `{"request": GenerateRequest}`; answers a `GeneratedImage`,
/// or an `AppError` with the status `AppError::http_status` gives, its message in the language of
/// the request (the switch's cookie, else `Accept-Language`).
#[server(prefix = "/api", endpoint = "generate_image", input = Json, output = Json)]
pub async fn generate_image(request: GenerateRequest) -> Result<GeneratedImage, AppError> {
    use crate::i18n::{page_language, server::in_language};
    let state = crate::server::state::app_state()?;
    let work = crate::server::generate::generate(&state, request);
    with_status(in_language(page_language(), work).await)
}

/// `POST /api/cancel_generation` with `{"request_id": "…"}`; true when it was running.
#[server(prefix = "/api", endpoint = "cancel_generation", input = Json, output = Json)]
pub async fn cancel_generation(request_id: String) -> Result<bool, AppError> {
    let state = crate::server::state::app_state()?;
    with_status(crate::server::generate::cancel(&state, &request_id))
}

/// `GET /api/generation_progress?request_id=…`: what that generation is doing while it runs
/// (`null` once it has ended, or for an id this server is not running).
#[server(prefix = "/api", endpoint = "generation_progress", input = GetUrl, output = Json)]
pub async fn generation_progress(request_id: String) -> Result<Option<Progress>, AppError> {
    Ok(crate::server::state::app_state()?
        .inflight
        .progress(&request_id))
}

/// `GET /api/list_engines`: the engines this server offers and what each supports.
#[server(prefix = "/api", endpoint = "list_engines", input = GetUrl, output = Json)]
pub async fn list_engines() -> Result<EngineCatalog, AppError> {
    let state = crate::server::state::app_state()?;
    Ok(EngineCatalog {
        max_upload_bytes: state.settings.limits.max_upload_bytes as u64,
        ..state.providers.catalog_in(crate::i18n::page_language())
    })
}

/// `GET /api/list_templates`: the prompts people can fill in instead of writing.
#[server(prefix = "/api", endpoint = "list_templates", input = GetUrl, output = Json)]
pub async fn list_templates() -> Result<Vec<Template>, AppError> {
    Ok(crate::server::state::app_state()?
        .settings
        .templates
        .clone())
}

/// `GET /api/signed_in_user`: the name this browser is signed in under, or `null` when the
/// server has no access control.
#[server(prefix = "/api", endpoint = "signed_in_user", input = GetUrl, output = Json)]
pub async fn signed_in_user() -> Result<Option<String>, AppError> {
    let state = crate::server::state::app_state()?;
    let parts = use_context::<axum::http::request::Parts>();
    Ok(state
        .access
        .zip(parts)
        .and_then(|(access, parts)| access.identify(&parts.headers)))
}

/// server_fn answers every error with 500; say what kind of failure it was instead.
#[cfg(feature = "ssr")]
fn with_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let (Err(error), Some(options)) = (&result, use_context::<leptos_axum::ResponseOptions>()) {
        if let Ok(status) = axum::http::StatusCode::from_u16(error.http_status()) {
            options.set_status(status);
        }
        for (name, value) in crate::server::http::error_response::extra_headers(error) {
            options.insert_header(name, value);
        }
    }
    result
}
