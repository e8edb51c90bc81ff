//! Generations in progress, by the browser's request id, so Cancel can stop one and the page can
//! ask what one is doing. (Closing the tab also stops it: hyper drops the handler future when
//! the connection goes, and with it the provider call.)
//!
//! What a generation is doing is reported from wherever it is known (the admission queue, a
//! provider's polling loop) with `report`, which finds its generation through a task-local set
//! by `reporting`: the code deep in a provider client needs no handle passed down to it. A
//! provider that streams rough previews while it draws hands each one over with
//! `report_preview`; only the newest is kept, and it goes with the entry.
//!
//! Every change is also broadcast, for the page's progress stream (`server::http::
//! generation_events`), so the page hears of a new state or preview as it happens instead of
//! asking once a second.

use crate::model::Progress;
use bytes::Bytes;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// Changes waiting for a slow listener before it misses some. Each is a few dozen bytes, and a
/// listener that falls behind is sent the current states again (`generation_events`).
const CHANGES_KEPT: usize = 256;

pub struct InFlight {
    running: Mutex<HashMap<String, Running>>,
    changes: broadcast::Sender<ProgressChange>,
}

/// A generation's new state: (request id, what it is doing now).
pub type ProgressChange = (String, Progress);

impl Default for InFlight {
    fn default() -> Self {
        InFlight {
            running: Mutex::default(),
            changes: broadcast::channel(CHANGES_KEPT).0,
        }
    }
}

struct Running {
    token: CancellationToken,
    progress: Progress,
    preview: Option<Bytes>,
}

tokio::task_local! {
    /// The generation the current task is working for.
    static REPORTER: (Arc<InFlight>, String);
}

/// Says what the current task's generation is doing; nothing when the task works for none (a
/// test calling a provider directly).
pub fn report(progress: Progress) {
    with_running(|running| running.progress = progress);
}

/// Hands over the newest rough preview of the current task's generation (an encoded image),
/// replacing the one before it.
pub fn report_preview(picture: Bytes) {
    with_running(|running| {
        let number = match running.progress {
            Progress::Preview { number } => number.saturating_add(1),
            _ => 1,
        };
        running.progress = Progress::Preview { number };
        running.preview = Some(picture);
    });
}

fn with_running(change: impl FnOnce(&mut Running)) {
    let _ = REPORTER.try_with(|(registry, request_id)| {
        let changed = registry.lock().get_mut(request_id).and_then(|running| {
            let before = running.progress;
            change(running);
            (running.progress != before).then_some(running.progress)
        });
        if let Some(now) = changed {
            registry.announce(request_id, now);
        }
    });
}

/// Removes its entry when the generation ends, however it ends.
pub struct Registration {
    registry: Arc<InFlight>,
    request_id: String,
    pub token: CancellationToken,
}

impl InFlight {
    /// `None` when a generation with that id is already running: two would share one cancel
    /// switch, and the first to finish would unregister the other.
    pub fn register(self: &Arc<Self>, request_id: &str) -> Option<Registration> {
        let token = CancellationToken::new();
        let mut running = self.lock();
        if running.contains_key(request_id) {
            return None;
        }
        let entry = Running {
            token: token.clone(),
            progress: Progress::Waiting,
            preview: None,
        };
        running.insert(request_id.to_string(), entry);
        drop(running);
        self.announce(request_id, Progress::Waiting);
        Some(Registration {
            registry: Arc::clone(self),
            request_id: request_id.to_string(),
            token,
        })
    }

    /// True when a generation with that id was running.
    pub fn cancel(&self, request_id: &str) -> bool {
        match self.lock().remove(request_id) {
            Some(running) => {
                running.token.cancel();
                true
            }
            None => false,
        }
    }

    /// What the generation `request_id` is doing, while it runs.
    pub fn progress(&self, request_id: &str) -> Option<Progress> {
        self.lock().get(request_id).map(|running| running.progress)
    }

    /// The newest rough preview of the generation `request_id`, while it runs.
    pub fn preview(&self, request_id: &str) -> Option<Bytes> {
        self.lock().get(request_id)?.preview.clone()
    }

    /// What the generations `ids` are doing now (those running), and every change from now on,
    /// of any generation: the caller keeps the ones it asked about. Subscribed before the states
    /// are read, so no change falls between the two (one may come twice).
    pub fn follow(
        &self,
        ids: &[String],
    ) -> (Vec<ProgressChange>, broadcast::Receiver<ProgressChange>) {
        let changes = self.changes.subscribe();
        let running = self.lock();
        let now = ids
            .iter()
            .filter_map(|id| Some((id.clone(), running.get(id)?.progress)))
            .collect();
        (now, changes)
    }

    /// Tells listeners; nobody listening is the usual case, not an error.
    fn announce(&self, request_id: &str, progress: Progress) {
        let _ = self.changes.send((request_id.to_string(), progress));
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Running>> {
        // A panic while holding this lock cannot leave the map inconsistent; keep serving.
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Registration {
    /// Runs `work` with `report` reaching this generation.
    pub async fn reporting<F: Future>(&self, work: F) -> F::Output {
        let reporter = (Arc::clone(&self.registry), self.request_id.clone());
        REPORTER.scope(reporter, work).await
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.registry.lock().remove(&self.request_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_running_id_cannot_be_registered_twice() {
        let registry = Arc::new(InFlight::default());
        let _running = registry.register("r1").unwrap();
        assert!(registry.register("r1").is_none());
    }

    #[test]
    fn cancel_fires_the_token_and_forgets_the_request() {
        let registry = Arc::new(InFlight::default());
        let registration = registry.register("r1").unwrap();
        assert!(registry.cancel("r1"));
        assert!(registration.token.is_cancelled());
        assert!(!registry.cancel("r1"), "a second cancel finds nothing");
    }

    #[tokio::test]
    async fn reports_reach_the_generation_the_task_works_for() {
        let registry = Arc::new(InFlight::default());
        let registration = registry.register("r1").unwrap();
        assert_eq!(registry.progress("r1"), Some(Progress::Waiting));
        registration
            .reporting(async { report(Progress::Processing) })
            .await;
        assert_eq!(registry.progress("r1"), Some(Progress::Processing));
        report(Progress::Starting);
        assert_eq!(
            registry.progress("r1"),
            Some(Progress::Processing),
            "outside its task a report reaches nothing"
        );
        drop(registration);
        assert_eq!(registry.progress("r1"), None);
    }

    #[tokio::test]
    async fn previews_are_counted_and_only_the_newest_is_kept() {
        let registry = Arc::new(InFlight::default());
        let registration = registry.register("r1").unwrap();
        assert_eq!(registry.preview("r1"), None);
        registration
            .reporting(async {
                report_preview(Bytes::from_static(b"first"));
                report_preview(Bytes::from_static(b"second"));
            })
            .await;
        assert_eq!(
            registry.progress("r1"),
            Some(Progress::Preview { number: 2 })
        );
        assert_eq!(registry.preview("r1").as_deref(), Some(&b"second"[..]));
        drop(registration);
        assert_eq!(
            registry.preview("r1"),
            None,
            "the preview goes with the entry"
        );
    }

    #[tokio::test]
    async fn a_follower_gets_the_current_state_then_each_change() {
        let registry = Arc::new(InFlight::default());
        let registration = registry.register("r1").unwrap();
        let (now, mut changes) = registry.follow(&["r1".into(), "unknown".into()]);
        assert_eq!(now, vec![("r1".to_string(), Progress::Waiting)]);
        registration
            .reporting(async {
                report(Progress::Sent);
                report_preview(Bytes::from_static(b"rough"));
            })
            .await;
        assert_eq!(changes.recv().await.unwrap(), ("r1".into(), Progress::Sent));
        assert_eq!(
            changes.recv().await.unwrap(),
            ("r1".into(), Progress::Preview { number: 1 })
        );
    }

    #[test]
    fn finished_generations_leave_no_entry() {
        let registry = Arc::new(InFlight::default());
        drop(registry.register("r1"));
        assert!(registry.is_empty());
        assert!(
            registry.register("r1").is_some(),
            "the id can be used again"
        );
        assert!(!registry.cancel("r1"));
    }
}
