//! How many generations each engine runs at once, and how many may wait for a turn.
//!
//! Without a bound, 300 simultaneous 1536×1024 offline renders took the server to 540 MiB and
//! made every other request wait over a second. Each engine now runs at most `max_running`
//! generations; up to `max_queued` more wait (at most `max_wait`) for a turn; beyond that a
//! caller is refused at once with a time to come back, so the page stays responsive and memory
//! stays flat. Both the running slot and the queue slot are guards: a generation that is
//! cancelled or whose client disconnects gives its slot back on `Drop`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EngineLimit {
    pub max_running: usize,
    pub max_queued: usize,
}

pub struct Admission {
    engines: HashMap<String, EngineGate>,
    max_wait: Duration,
}

struct EngineGate {
    limit: EngineLimit,
    running: Arc<Semaphore>,
    queue: Arc<Semaphore>,
}

/// A turn to run; the slot is free again when this is dropped.
pub struct Turn {
    _running: OwnedSemaphorePermit,
}

/// Why no turn was given. Both mean "come back later", not "you did something wrong".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    QueueFull(EngineLimit),
    WaitedTooLong { waited: Duration },
}

impl Admission {
    pub fn new(
        limits: impl IntoIterator<Item = (String, EngineLimit)>,
        max_wait: Duration,
    ) -> Self {
        let engines = limits
            .into_iter()
            .map(|(engine, limit)| {
                let gate = EngineGate {
                    limit,
                    running: Arc::new(Semaphore::new(limit.max_running)),
                    queue: Arc::new(Semaphore::new(limit.max_queued)),
                };
                (engine, gate)
            })
            .collect();
        Admission { engines, max_wait }
    }

    /// Waits for a turn on `engine`. An engine without a configured limit is not bounded (the
    /// registry gives every engine one, so that only happens in tests of other parts).
    pub async fn admit(&self, engine: &str) -> Result<Option<Turn>, Refusal> {
        let Some(gate) = self.engines.get(engine) else {
            return Ok(None);
        };
        if let Ok(running) = Arc::clone(&gate.running).try_acquire_owned() {
            return Ok(Some(Turn { _running: running }));
        }
        let Ok(_in_queue) = Arc::clone(&gate.queue).try_acquire_owned() else {
            return Err(Refusal::QueueFull(gate.limit));
        };
        match tokio::time::timeout(self.max_wait, Arc::clone(&gate.running).acquire_owned()).await {
            Ok(Ok(running)) => Ok(Some(Turn { _running: running })),
            // The semaphore is never closed; treat it like a full queue if it ever is.
            Ok(Err(_closed)) => Err(Refusal::QueueFull(gate.limit)),
            Err(_elapsed) => Err(Refusal::WaitedTooLong {
                waited: self.max_wait,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admission(max_running: usize, max_queued: usize) -> Admission {
        Admission::new(
            [(
                "offline".to_string(),
                EngineLimit {
                    max_running,
                    max_queued,
                },
            )],
            Duration::from_secs(30),
        )
    }

    #[tokio::test(start_paused = true)]
    async fn turns_are_given_up_to_the_limit_then_the_queue_then_refused() {
        let admission = Arc::new(admission(1, 1));
        let first = admission.admit("offline").await.unwrap();
        let waiting = tokio::spawn({
            let admission = Arc::clone(&admission);
            async move { admission.admit("offline").await.map(|t| t.is_some()) }
        });
        tokio::task::yield_now().await;
        assert_eq!(
            admission.admit("offline").await.err(),
            Some(Refusal::QueueFull(EngineLimit {
                max_running: 1,
                max_queued: 1
            })),
            "one running and one waiting fill this engine"
        );
        drop(first);
        assert_eq!(
            waiting.await.unwrap(),
            Ok(true),
            "the waiting one gets the freed turn"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_longer_than_allowed_is_refused_and_frees_its_queue_place() {
        let admission = admission(1, 1);
        let _running = admission.admit("offline").await.unwrap();
        assert_eq!(
            admission.admit("offline").await.err(),
            Some(Refusal::WaitedTooLong {
                waited: Duration::from_secs(30)
            })
        );
        assert_eq!(
            admission.admit("offline").await.err(),
            Some(Refusal::WaitedTooLong {
                waited: Duration::from_secs(30)
            }),
            "the queue place was given back, so this one waited too"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_wait_gives_its_queue_place_back() {
        let admission = admission(1, 1);
        let _running = admission.admit("offline").await.unwrap();
        let mut waiting = Box::pin(admission.admit("offline"));
        assert!(
            futures_util::poll!(&mut waiting).is_pending(),
            "it waits in the queue"
        );
        drop(waiting);
        let mut again = Box::pin(admission.admit("offline"));
        assert!(
            futures_util::poll!(&mut again).is_pending(),
            "it waits in the freed queue place instead of being refused"
        );
    }

    #[tokio::test]
    async fn engines_are_bounded_separately() {
        let admission = Admission::new(
            [
                (
                    "a".to_string(),
                    EngineLimit {
                        max_running: 1,
                        max_queued: 0,
                    },
                ),
                (
                    "b".to_string(),
                    EngineLimit {
                        max_running: 1,
                        max_queued: 0,
                    },
                ),
            ],
            Duration::from_secs(1),
        );
        let _a = admission.admit("a").await.unwrap();
        assert!(admission.admit("b").await.is_ok());
        assert!(admission.admit("a").await.is_err());
    }
}
