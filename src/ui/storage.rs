//! Keeps the session in the browser's localStorage so a reload brings it back.
//!
//! The stage (small) and each picture (megabytes of base64) are stored under separate keys: the
//! stage is rewritten on every change, a picture once. When storage is full, the oldest pictures
//! are given up first and the person is told; the session itself is never lost for lack of room
//! for a picture.

use crate::fsm::Stage;

pub const MISSING_IMAGES_NOTE: &str =
    "Some earlier pictures could not be kept across the reload because browser storage is full.";

pub struct Saved {
    pub stage: Stage,
    pub missing_images: bool,
}

#[derive(Default)]
pub struct SaveReport {
    /// Older pictures removed to make room for newer ones.
    pub images_evicted: usize,
    /// Pictures that did not fit even after eviction.
    pub images_unsaved: usize,
    pub session_failed: bool,
}

impl SaveReport {
    pub fn note(&self) -> Option<String> {
        if self.session_failed {
            Some("Browser storage is full: this session will not survive a reload.".into())
        } else if self.images_evicted + self.images_unsaved > 0 {
            Some(format!(
                "Browser storage is full: {} picture(s) will not survive a reload.",
                self.images_evicted + self.images_unsaved
            ))
        } else {
            None
        }
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::*;
    use crate::fsm::Attempt;

    const SESSION_KEY: &str = "proofsheet.session.v1";
    const IMAGE_PREFIX: &str = "proofsheet.image.";

    fn image_key(attempt: &Attempt) -> String {
        format!("{IMAGE_PREFIX}{}", attempt.request.request_id)
    }

    fn attempts_mut(stage: &mut Stage) -> &mut [Attempt] {
        match stage {
            Stage::InitialInput { .. } => &mut [],
            Stage::Generating { session, .. }
            | Stage::UserFeedback { session, .. }
            | Stage::Final { session, .. } => &mut session.attempts,
        }
    }

    /// The stage with every picture's bytes left out.
    fn skeleton(stage: &Stage) -> Stage {
        let mut copy = stage.clone();
        for attempt in attempts_mut(&mut copy) {
            attempt.image.b64 = "".into();
        }
        copy
    }

    use std::cell::RefCell;
    use std::collections::BTreeSet;
    use web_sys::Storage;

    thread_local! {
        /// Picture keys known to be in storage, so a picture is written once, not on every change.
        static STORED: RefCell<BTreeSet<String>> = const { RefCell::new(BTreeSet::new()) };
    }

    fn storage() -> Option<Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    fn stored_image_keys(storage: &Storage) -> Vec<String> {
        let count = storage.length().unwrap_or(0);
        (0..count)
            .filter_map(|i| storage.key(i).ok().flatten())
            .filter(|k| k.starts_with(IMAGE_PREFIX))
            .collect()
    }

    pub fn load() -> Option<Saved> {
        let storage = storage()?;
        let text = storage.get_item(SESSION_KEY).ok().flatten()?;
        let Ok(mut stage) = serde_json::from_str::<Stage>(&text) else {
            // Written by an incompatible version: start clean rather than fail.
            let _ = storage.remove_item(SESSION_KEY);
            return None;
        };
        let mut missing_images = false;
        for attempt in attempts_mut(&mut stage) {
            match storage.get_item(&image_key(attempt)).ok().flatten() {
                Some(b64) => attempt.image.b64 = b64.into(),
                None => missing_images = true,
            }
        }
        STORED.with(|s| s.borrow_mut().extend(stored_image_keys(&storage)));
        Some(Saved {
            stage,
            missing_images,
        })
    }

    pub fn save(stage: &Stage) -> SaveReport {
        let mut report = SaveReport::default();
        let Some(storage) = storage() else {
            return report;
        };
        // Read in place: this runs on every keystroke, so no copy of the stage here.
        let attempts = stage.session().map_or(&[][..], |s| &s.attempts[..]);
        let wanted: BTreeSet<String> = attempts.iter().map(image_key).collect();
        for key in stored_image_keys(&storage)
            .into_iter()
            .filter(|k| !wanted.contains(k))
        {
            let _ = storage.remove_item(&key);
            STORED.with(|s| s.borrow_mut().remove(&key));
        }
        for attempt in attempts.iter() {
            let key = image_key(attempt);
            if attempt.image.b64.is_empty() || STORED.with(|s| s.borrow().contains(&key)) {
                continue;
            }
            // Newest pictures matter most: evict the oldest stored ones until this one fits.
            let mut evictable: Vec<String> = attempts
                .iter()
                .map(image_key)
                .filter(|k| *k != key && STORED.with(|s| s.borrow().contains(k)))
                .collect();
            evictable.reverse();
            loop {
                if storage.set_item(&key, &attempt.image.b64).is_ok() {
                    STORED.with(|s| s.borrow_mut().insert(key.clone()));
                    break;
                }
                let Some(oldest) = evictable.pop() else {
                    report.images_unsaved += 1;
                    break;
                };
                let _ = storage.remove_item(&oldest);
                STORED.with(|s| s.borrow_mut().remove(&oldest));
                report.images_evicted += 1;
            }
        }
        let text = serde_json::to_string(&skeleton(stage)).unwrap_or_default();
        report.session_failed = storage.set_item(SESSION_KEY, &text).is_err();
        report
    }
}

#[cfg(feature = "hydrate")]
pub use browser::{load, save};

/// The server has no browser storage: nothing to restore, nothing saved.
#[cfg(not(feature = "hydrate"))]
pub fn load() -> Option<Saved> {
    None
}

#[cfg(not(feature = "hydrate"))]
pub fn save(_stage: &Stage) -> SaveReport {
    SaveReport::default()
}
