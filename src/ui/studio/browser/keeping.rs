//! The session across reloads: the stage in localStorage (`ui::storage`), the pictures in
//! IndexedDB (`ui::picture_store`); pictures that leave the session are let go.

use super::{attempts, in_session, session_ids, show, Studio};
use crate::fsm::Attempt;
use crate::ui::{blob, picture_store, storage};
use js_sys::JsString;
use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::Blob;

/// Runs once, after hydration: the stage at once from localStorage, the pictures as IndexedDB
/// hands them back. Saving starts only then, so the saved session is not overwritten first.
pub fn restore(studio: Studio) {
    Effect::new(move |_| {
        if let Some(saved) = storage::load() {
            studio.stage.set(saved.after_reload());
        }
        studio.hydrated.set(true);
        let attempts = studio.stage.with_untracked(|s| attempts(s).to_vec());
        // Also with no attempts: stale stored pictures and old localStorage copies are cleared.
        spawn_local(restore_pictures(studio, attempts));
    });
}

async fn restore_pictures(studio: Studio, attempts: Vec<Attempt>) {
    let mut legacy = storage::take_legacy_pictures();
    let ids: Vec<String> = attempts
        .iter()
        .map(|a| a.request.request_id.clone())
        .collect();
    let stored = picture_store::restore(&ids)
        .await
        .unwrap_or_else(|_| vec![None; ids.len()]);
    let mut missing = Vec::new();
    for ((attempt, id), blob) in attempts.iter().zip(ids).zip(stored) {
        // A picture an earlier version kept in localStorage moves to IndexedDB.
        let moved = || {
            let b64 = legacy.remove(&id)?;
            let blob = blob::from_base64(&attempt.image.mime, &JsString::from(b64))?;
            spawn_local(keep(studio, id.clone(), blob.clone()));
            Some(blob)
        };
        match blob.or_else(moved) {
            // The person may have started over while the pictures were read.
            Some(blob) if in_session(studio.stage, &id) => show(studio, &id, &blob),
            Some(_) => {}
            None => missing.push(id),
        }
    }
    if !missing.is_empty() {
        studio.pictures.mark_missing(&missing);
        studio.note.set(Some(
            crate::i18n::text().pictures_missing_after_reload.into(),
        ));
    }
}

pub fn save_session(studio: Studio) {
    Effect::new(move |_| {
        if studio.hydrated.get() {
            if let Err(note) = studio.stage.with(storage::save) {
                studio.note.set(Some(note.into()));
            }
        }
    });
}

/// Stores a picture for the next reload, off the page's thread, and says when pictures will not
/// survive one.
pub async fn keep(studio: Studio, id: String, picture: Blob) {
    let others: Vec<String> = studio
        .stage
        .with_untracked(session_ids)
        .into_iter()
        .filter(|other| *other != id)
        .collect();
    let outcome = picture_store::keep(&id, &picture, &others).await;
    let lost = studio.stage.with_untracked(|s| {
        attempts(s)
            .iter()
            .filter(|a| !picture_store::is_stored(&a.request.request_id))
            .count()
    });
    if lost == 0 {
        return;
    }
    let t = crate::i18n::text();
    let why = match outcome {
        Err(error) if !error.is_quota() => (t.storage_unavailable)(&error.0),
        _ => t.storage_full.into(),
    };
    studio.note.set(Some((t.pictures_will_be_lost)(&why, lost)));
}

/// When attempts leave the session (Start over), their object URLs are revoked and their stored
/// copies deleted.
pub fn let_go(studio: Studio) {
    let ids = Memo::new(move |_| studio.stage.with(session_ids));
    Effect::new(move |_| {
        let gone = ids.with(|ids| studio.pictures.retain(ids));
        if gone.is_empty() {
            return;
        }
        let ids: Vec<String> = gone
            .into_iter()
            .map(|(id, url)| {
                if let Some(url) = url {
                    blob::revoke(&url);
                }
                id
            })
            .collect();
        spawn_local(async move {
            // A failed delete is retried by the next reload's restore, which drops strays.
            let _ = picture_store::forget(&ids).await;
        });
    });
}
