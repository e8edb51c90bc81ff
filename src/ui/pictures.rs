//! Every picture of the session as an object URL, by the id of the request that made it.
//!
//! A picture is turned into a `Blob` and an object URL once, when it arrives or when it is
//! read back from IndexedDB after a reload; every view of it (result, strip, comparison, final,
//! download link) shows that one URL, so the browser fetches and decodes it once. The stage
//! machine keeps only the attempts' metadata: no picture bytes are copied when the stage changes.

use leptos::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;

// Only the browser makes pictures: the server renders the page before there are any.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PictureState {
    /// An object URL (`blob:…`) of the picture.
    Ready(Arc<str>),
    /// Not in browser storage after a reload (storage was full or unavailable).
    Missing,
}

/// The registry: the studio writes it, `<Picture>` and the download link read it (context).
/// No entry yet means the picture is still being read back after a reload.
#[derive(Clone, Copy)]
pub struct Pictures {
    states: RwSignal<HashMap<String, PictureState>>,
}

impl Pictures {
    pub fn new() -> Self {
        Self {
            states: RwSignal::new(HashMap::new()),
        }
    }

    /// The state of one picture, as a memo: a view re-renders only when this picture changes.
    pub fn watch(self, id: String) -> Memo<Option<PictureState>> {
        Memo::new(move |_| self.states.with(|states| states.get(&id).cloned()))
    }
}

#[cfg(feature = "hydrate")]
impl Pictures {
    pub fn show(self, id: &str, url: String) {
        self.states
            .update(|states| drop(states.insert(id.to_string(), PictureState::Ready(url.into()))));
    }

    pub fn mark_missing(self, ids: &[String]) {
        self.states.update(|states| {
            for id in ids {
                states.insert(id.clone(), PictureState::Missing);
            }
        });
    }

    /// Forgets every picture whose id is not in `session`, returning them with their object
    /// URLs (if any) so the caller can revoke those and drop the stored copies.
    pub fn retain(self, session: &[String]) -> Vec<(String, Option<Arc<str>>)> {
        let mut gone = Vec::new();
        self.states.update(|states| {
            states.retain(|id, state| {
                let keep = session.contains(id);
                if !keep {
                    let url = match state {
                        PictureState::Ready(url) => Some(url.clone()),
                        PictureState::Missing => None,
                    };
                    gone.push((id.clone(), url));
                }
                keep
            })
        });
        gone
    }
}
