//! Generations in progress, by the browser's request id, so Cancel can stop one. (Closing the
//! tab also stops it: hyper drops the handler future when the connection goes, and with it the
//! provider call.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use tokio_util::sync::CancellationToken;

#[derive(Default)]
pub struct InFlight {
    tokens: Mutex<HashMap<String, CancellationToken>>,
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
        let mut tokens = self.lock();
        if tokens.contains_key(request_id) {
            return None;
        }
        tokens.insert(request_id.to_string(), token.clone());
        Some(Registration {
            registry: Arc::clone(self),
            request_id: request_id.to_string(),
            token,
        })
    }

    /// True when a generation with that id was running.
    pub fn cancel(&self, request_id: &str) -> bool {
        match self.lock().remove(request_id) {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, CancellationToken>> {
        // A panic while holding this lock cannot leave the map inconsistent; keep serving.
        self.tokens.lock().unwrap_or_else(PoisonError::into_inner)
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
