//! Proofsheet: a human-in-the-loop image studio. The crate builds twice: as the server (`ssr`)
//! and as the browser bundle (`hydrate`). Shared vocabulary lives in `model`, `error` and `fsm`.

pub mod api;
pub mod app;
pub mod error;
pub mod fsm;
pub mod i18n;
pub mod model;
pub mod price;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
