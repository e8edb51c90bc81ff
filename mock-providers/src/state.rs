//! Shared state behind the router: configuration, script queues, the call
//! ledger, issued image URLs and the providers' own bookkeeping.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::files::Files;
use crate::images::Picture;
use crate::ledger::{Calls, ReceivedRequest};
use crate::providers::{a1111, ideogram, openai, replicate};
use crate::script::{Scripted, Step};
use crate::{MockConfig, Provider};

/// Cheap-to-clone handle on one mock's state; pass it to [`crate::router`].
#[derive(Clone)]
pub struct MockState {
    inner: Arc<Inner>,
}

struct Inner {
    config: MockConfig,
    queues: Mutex<HashMap<Provider, VecDeque<Step>>>,
    ledger: Mutex<Ledger>,
    files: Files,
    predictions: replicate::Predictions,
    ideogram_in_flight: ideogram::InFlight,
    a1111_jobs: a1111::Jobs,
    /// OpenAI Responses stored with `store` on.
    responses: Mutex<openai::Store>,
}

#[derive(Default)]
struct Ledger {
    /// Bumped by `reset`, so a request in flight across a reset does not
    /// count in the fresh ledger.
    epoch: u64,
    calls: Calls,
}

/// Marks the end of one recorded call; see [`MockState::begin_call`].
pub(crate) struct CallToken {
    epoch: u64,
}

impl MockState {
    pub fn new(config: MockConfig) -> Self {
        let in_flight = ideogram::InFlight::new(config.ideogram_max_inflight_images);
        MockState {
            inner: Arc::new(Inner {
                config,
                queues: Mutex::new(HashMap::new()),
                ledger: Mutex::new(Ledger::default()),
                files: Files::default(),
                predictions: replicate::Predictions::default(),
                ideogram_in_flight: in_flight,
                a1111_jobs: a1111::Jobs::default(),
                responses: Mutex::default(),
            }),
        }
    }

    /// The picture a provider draws for a prompt (the `index`-th of several), padded as
    /// configured.
    pub(crate) fn picture(&self, prompt: &str, index: u32, width: u32, height: u32) -> Picture {
        Picture::nth(prompt, index, width, height).padded(self.config().image_padding_bytes)
    }

    pub fn config(&self) -> &MockConfig {
        &self.inner.config
    }

    /// Replaces every provider's queue with the given steps, each in its
    /// provider's queue in order. Fails, changing nothing, if a step could
    /// not be answered as written.
    pub fn script(&self, steps: Vec<Step>) -> Result<(), String> {
        for step in &steps {
            step.check()?;
        }
        let mut queues = lock(&self.inner.queues);
        queues.clear();
        for step in steps {
            queues.entry(step.provider()).or_default().push_back(step);
        }
        Ok(())
    }

    /// Snapshot of everything received on the provider routes.
    pub fn calls(&self) -> Calls {
        lock(&self.inner.ledger).calls.clone()
    }

    /// Clears the script, the ledger, issued URLs and predictions.
    /// Ideogram's in-flight slots stay with the requests holding them.
    pub fn reset(&self) {
        lock(&self.inner.queues).clear();
        {
            let mut ledger = lock(&self.inner.ledger);
            ledger.epoch += 1;
            ledger.calls = Calls::default();
        }
        self.inner.files.clear();
        self.inner.predictions.clear();
        // A job outlives its client (as upstream's do); a reset must not leave one running.
        self.inner.a1111_jobs.interrupt();
        *lock(&self.inner.responses) = openai::Store::default();
    }

    /// Takes the provider's next step (success if none is queued) and
    /// sleeps its delay.
    pub(crate) async fn next_step<S: Scripted>(&self) -> S {
        let (step, delay) = self.take_step();
        tokio::time::sleep(delay).await;
        step
    }

    /// Takes the provider's next step and its delay, for handlers that
    /// need to know how long they will take.
    pub(crate) fn take_step<S: Scripted>(&self) -> (S, Duration) {
        let step = lock(&self.inner.queues)
            .get_mut(&S::PROVIDER)
            .and_then(VecDeque::pop_front);
        match step {
            // Queues are keyed by the step's provider, so this always matches.
            Some(step) => {
                let delay = step.delay();
                (S::from_reply(step.reply).unwrap_or_default(), delay)
            }
            None => (S::default(), Duration::ZERO),
        }
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

    pub(crate) fn count_prediction_cancel(&self) {
        lock(&self.inner.ledger).calls.predictions_cancelled += 1;
    }

    pub(crate) fn files(&self) -> &Files {
        &self.inner.files
    }

    pub(crate) fn predictions(&self) -> &replicate::Predictions {
        &self.inner.predictions
    }

    pub(crate) fn ideogram_in_flight(&self) -> &ideogram::InFlight {
        &self.inner.ideogram_in_flight
    }

    pub(crate) fn a1111_jobs(&self) -> &a1111::Jobs {
        &self.inner.a1111_jobs
    }

    pub(crate) fn responses(&self) -> MutexGuard<'_, openai::Store> {
        lock(&self.inner.responses)
    }
}

/// Why ignore poisoning: every critical section leaves the data consistent,
/// and a panicking test thread must not turn every later request into a 500.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
