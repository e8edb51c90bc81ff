//! Everything that runs only on the server, behind the one `ssr` gate.

pub mod access;
pub mod admission;
pub mod config;
pub mod fallback;
pub mod flow;
pub mod generate;
pub mod hex;
pub mod http;
pub mod inflight;
pub mod nodes;
pub mod png_text;
pub mod provenance;
pub mod providers;
pub mod references;
pub mod site;
pub mod state;

use crate::app::{shell, App};
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{Extensions, HeaderMap, StatusCode, Version};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use http::api_gate::{api_gate, ApiGate};
use http::page_body::{finish_unread, finish_unread_pages};
use http::security_headers::{provide_page_headers, security_headers};
use http::static_files::{cache_validators, IMMUTABLE, REVALIDATE};
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use state::AppState;
use std::sync::Arc;
use std::time::Duration;
use tower_http::compression::predicate::Predicate;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::services::ServeDir;

/// The whole HTTP surface: pages, server functions under /api, reference image uploads, the login
/// page, static files. A function so tests can drive it without a socket.
pub fn build_router(state: AppState) -> Router {
    let settings = &state.settings;
    let gate = Arc::new(ApiGate {
        max_body_bytes: settings.limits.max_request_bytes,
        body_timeout: Duration::from_secs(settings.connections.body_timeout_secs),
        allowed_origins: settings.site.allowed_origins.clone(),
    });
    let pages = Router::new()
        .leptos_routes_with_context(&state, generate_route_list(App), provide_page_headers, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .route_layer(from_fn(finish_unread_pages))
        .route_layer(page_compression());
    Router::new()
        .merge(pages)
        .route("/login", get(access::login_form).post(access::login_submit))
        .route("/logout", get(access::logout).post(access::logout))
        .route(
            "/api/references",
            post(references::upload::upload_reference),
        )
        .route(
            "/api/references/{id}",
            get(references::upload::serve_reference),
        )
        .route(
            "/api/generate_picture",
            post(http::generate_picture::serve_generation),
        )
        .route(
            "/api/generation_events",
            get(http::generation_events::stream_events),
        )
        .route(
            "/api/generation_preview/{id}",
            get(http::generation_preview::serve_preview),
        )
        .nest_service("/pkg", bundle_files(&state))
        .fallback_service(public_files(&state))
        .layer(from_fn_with_state(gate, api_gate))
        .layer(from_fn_with_state(
            state.access.clone(),
            access::require_sign_in,
        ))
        .layer(from_fn(security_headers))
        .with_state(state)
}

/// HTML documents are compressed as they are sent. The bundle is precompressed at build time;
/// server functions' answers are left as they are, because `generate_image` answers megabytes of
/// base64 that would cost tens of milliseconds to compress for an API client on the same network.
/// Why level 5: a page is ~16 KB, which brotli 5 takes to ~4 KB in well under a millisecond; 11,
/// brotli's own default, costs far more time for a few hundred bytes less.
fn page_compression() -> CompressionLayer<impl Predicate> {
    let html = |_: StatusCode, _: Version, headers: &HeaderMap, _: &Extensions| {
        headers
            .get(CONTENT_TYPE)
            .is_some_and(|kind| kind.as_bytes().starts_with(b"text/html"))
    };
    CompressionLayer::new()
        .quality(CompressionLevel::Precise(5))
        .compress_when(html)
}

/// `/pkg`: the bundle. Its names carry content hashes when the build hashed them, and then a
/// file can be kept for good.
fn bundle_files(state: &AppState) -> Router {
    let options = &state.leptos_options;
    let dir = std::path::Path::new(&*options.site_root).join(&*options.site_pkg_dir);
    let cache_control = if options.hash_files {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    Router::new()
        .fallback_service(ServeDir::new(dir).precompressed_br().precompressed_gzip())
        .layer(from_fn(move |request, next| {
            cache_validators(request, next, cache_control)
        }))
}

/// Everything else under the site root (the icon), and the studio's 404 page for the rest.
fn public_files(state: &AppState) -> Router {
    let not_found = get(not_found_page).with_state(state.clone());
    let files = ServeDir::new(&*state.leptos_options.site_root)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(not_found);
    Router::new()
        .fallback_service(files)
        .layer(from_fn(|request, next| {
            cache_validators(request, next, REVALIDATE)
        }))
}

/// The studio with status 404, so a mistyped address still lands somewhere useful.
async fn not_found_page(State(state): State<AppState>, request: Request) -> Response {
    let options = state.leptos_options.clone();
    let render = leptos_axum::render_app_to_stream_with_context(
        move || {
            provide_context(state.clone());
            provide_page_headers();
        },
        move || shell(options.clone()),
    );
    let mut response = render(request).await;
    *response.status_mut() = StatusCode::NOT_FOUND;
    finish_unread(response)
}
