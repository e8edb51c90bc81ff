//! Keeps the session's stage in localStorage so a reload brings it back.
//!
//! The stage is small: attempts carry their pictures' metadata only (the bytes are Blobs in
//! IndexedDB, see `picture_store`), so it is rewritten on every change, synchronously, and is
//! there at once when the page hydrates.

use crate::fsm::Stage;
use std::collections::HashMap;
use web_sys::Storage;

const SESSION_KEY: &str = "proofsheet.session.v1";
/// Where earlier versions kept each picture as base64, under its request id.
const LEGACY_PICTURE_PREFIX: &str = "proofsheet.image.";

fn storage() -> Option<Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

pub fn load() -> Option<Stage> {
    let storage = storage()?;
    let text = storage.get_item(SESSION_KEY).ok().flatten()?;
    let stage = serde_json::from_str::<Stage>(&text);
    if stage.is_err() {
        // Written by an incompatible version: start clean rather than fail.
        let _ = storage.remove_item(SESSION_KEY);
    }
    stage.ok()
}

/// When the browser refuses (storage full or disabled), the note that tells the person.
pub fn save(stage: &Stage) -> Result<(), &'static str> {
    let not_saved = crate::i18n::text().session_not_saved;
    let storage = storage().ok_or(not_saved)?;
    let text = serde_json::to_string(stage).map_err(|_| not_saved)?;
    storage.set_item(SESSION_KEY, &text).map_err(|_| not_saved)
}

/// Removes the pictures earlier versions kept here and hands them over (request id → base64),
/// so they move to IndexedDB and stop taking the room the session needs.
pub fn take_legacy_pictures() -> HashMap<String, String> {
    let Some(storage) = storage() else {
        return HashMap::new();
    };
    let keys: Vec<String> = (0..storage.length().unwrap_or(0))
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter(|key| key.starts_with(LEGACY_PICTURE_PREFIX))
        .collect();
    keys.into_iter()
        .filter_map(|key| {
            let b64 = storage.get_item(&key).ok().flatten();
            let _ = storage.remove_item(&key);
            Some((key[LEGACY_PICTURE_PREFIX.len()..].to_string(), b64?))
        })
        .collect()
}
