//! Shared state behind the router: the script queue, the call ledger and the
//! responses this mock has issued.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::Value;

use crate::record::{Calls, ReceivedRequest};
use crate::script::Step;
use crate::MockConfig;

/// Cheap-to-clone handle on one mock's state; pass it to [`crate::router`].
#[derive(Clone)]
pub struct MockState {
    inner: Arc<Inner>,
}

struct Inner {
    config: MockConfig,
    queue: Mutex<VecDeque<Step>>,
    ledger: Mutex<Ledger>,
    store: Mutex<Store>,
}

#[derive(Default)]
struct Ledger {
    /// Bumped by `reset`, so a request in flight across a reset does not
    /// count in the fresh ledger.
    epoch: u64,
    calls: Calls,
}

/// Responses and image calls issued with `store` on, for `GET` and for
/// `previous_response_id` / `image_generation_call` references.
#[derive(Default)]
pub(crate) struct Store {
    responses: HashMap<String, StoredResponse>,
    /// Image-call id → revised prompt.
    image_calls: HashMap<String, String>,
}

pub(crate) struct StoredResponse {
    /// The Response JSON without the image bytes (see [`StoredImage`]).
    pub body: Value,
    pub image: Option<StoredImage>,
}

/// Enough to re-render the picture on `GET`. Why not keep the base64: with
/// benchmark padding each image is ~2 MB and benchmarks issue thousands.
#[derive(Clone)]
pub(crate) struct StoredImage {
    pub revised_prompt: String,
    pub width: u32,
    pub height: u32,
}

impl Store {
    /// `None`: never issued. `Some(None)`: issued without an image (failed).
    pub(crate) fn response_prompt(&self, response_id: &str) -> Option<Option<&str>> {
        self.responses.get(response_id).map(|stored| {
            stored
                .image
                .as_ref()
                .map(|image| image.revised_prompt.as_str())
        })
    }

    pub(crate) fn image_call_prompt(&self, call_id: &str) -> Option<&str> {
        self.image_calls.get(call_id).map(String::as_str)
    }
}

/// Marks the end of one recorded call; see [`MockState::begin_call`].
pub(crate) struct CallToken {
    epoch: u64,
}

impl MockState {
    pub fn new(config: MockConfig) -> Self {
        MockState {
            inner: Arc::new(Inner {
                config,
                queue: Mutex::new(VecDeque::new()),
                ledger: Mutex::new(Ledger::default()),
                store: Mutex::new(Store::default()),
            }),
        }
    }

    pub fn config(&self) -> &MockConfig {
        &self.inner.config
    }

    /// Replaces the queue of scripted replies. Fails, leaving the queue as it
    /// was, if a step could not be answered as written (e.g. a non-5xx
    /// `server_error`).
    pub fn script(&self, steps: Vec<Step>) -> Result<(), String> {
        for step in &steps {
            step.check()?;
        }
        *lock(&self.inner.queue) = steps.into();
        Ok(())
    }

    /// Snapshot of every request received on the OpenAI routes.
    pub fn calls(&self) -> Calls {
        lock(&self.inner.ledger).calls.clone()
    }

    /// Clears the queue, the call ledger and every stored response.
    pub fn reset(&self) {
        lock(&self.inner.queue).clear();
        {
            let mut ledger = lock(&self.inner.ledger);
            ledger.epoch += 1;
            ledger.calls = Calls::default();
        }
        *lock(&self.inner.store) = Store::default();
    }

    pub(crate) fn next_step(&self) -> Step {
        lock(&self.inner.queue).pop_front().unwrap_or_default()
    }

    pub(crate) fn begin_call(&self, request: ReceivedRequest) -> CallToken {
        let mut ledger = lock(&self.inner.ledger);
        ledger.calls.count += 1;
        ledger.calls.requests.push(request);
        CallToken {
            epoch: ledger.epoch,
        }
    }

    pub(crate) fn end_call(&self, token: &CallToken, answered: bool) {
        let mut ledger = lock(&self.inner.ledger);
        if ledger.epoch != token.epoch {
            return;
        }
        if answered {
            ledger.calls.completed += 1;
        } else {
            ledger.calls.cancelled += 1;
        }
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.inner.store)
    }

    pub(crate) fn remember(&self, id: String, call_id: Option<&str>, stored: StoredResponse) {
        let mut store = lock(&self.inner.store);
        if let (Some(call_id), Some(image)) = (call_id, &stored.image) {
            store
                .image_calls
                .insert(call_id.to_owned(), image.revised_prompt.clone());
        }
        store.responses.insert(id, stored);
    }

    pub(crate) fn stored_response(&self, id: &str) -> Option<(Value, Option<StoredImage>)> {
        lock(&self.inner.store)
            .responses
            .get(id)
            .map(|stored| (stored.body.clone(), stored.image.clone()))
    }
}

/// Why ignore poisoning: every critical section leaves the data consistent,
/// and a panicking test thread must not turn every later request into a 500.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
