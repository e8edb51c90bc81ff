//! The browser side. `studio` owns the state; every other view is stateless and is given only
//! its stage's data, read-only, and a callback to send events.

mod attempt_details;
mod final_view;
mod fresh;
mod generating;
mod language_switch;
mod notice;
mod picture;
mod pictures;
mod prompt_form;
mod reference_picker;
mod review;
mod shortcut;
pub mod studio;
mod styling_fields;
mod template_picker;
mod try_on_picker;
mod used_references;

// Only the browser makes requests for pictures, keeps them as Blobs and keeps the session.
#[cfg(any(feature = "hydrate", test))]
mod base64;
#[cfg(feature = "hydrate")]
mod blob;
#[cfg(feature = "hydrate")]
mod generation;
#[cfg(feature = "hydrate")]
mod idb;
#[cfg(feature = "hydrate")]
mod picture_store;
#[cfg(feature = "hydrate")]
mod storage;
#[cfg(feature = "hydrate")]
mod upload;
