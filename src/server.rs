//! Everything that runs only on the server, behind the one `ssr` gate.

pub mod config;
pub mod flow;
pub mod generate;
pub mod inflight;
pub mod nodes;
pub mod offline;
pub mod png_text;
pub mod provenance;
pub mod providers;
pub mod state;

use crate::app::{shell, App};
use axum::Router;
use leptos_axum::{generate_route_list, LeptosRoutes};
use state::AppState;
use tower_http::limit::RequestBodyLimitLayer;

/// The whole HTTP surface: pages, server functions under /api, static files. A function so
/// tests can drive it without a socket.
pub fn build_router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let body_limit = state.settings.limits.max_request_bytes;
    Router::new()
        .leptos_routes(&state, routes, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        // Server functions read their whole body; refuse big ones before reading them.
        .layer(RequestBodyLimitLayer::new(body_limit))
        .with_state(state)
}
