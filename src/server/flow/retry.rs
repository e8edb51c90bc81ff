//! The retry loop, the only place that knows about backoff. tokio-retry supplies the delay
//! sequence; the loop is ours because tokio-retry's own cannot honour a server's `Retry-After`,
//! does not tell the action its attempt number, and counts retries where PocketFlow counts
//! attempts (architecture-notes §C4.4).

use std::future::Future;
use std::time::Duration;
use tokio::time::{sleep, timeout, Instant};
use tokio_retry::strategy::{jitter, ExponentialBackoff};

/// What an error tells the retry loop.
pub trait Retryable {
    fn is_retryable(&self) -> bool;
    /// The wait the server asked for (`Retry-After` and friends), if any.
    fn retry_after(&self) -> Option<Duration>;
}

/// An attempt ran out of time: its own timeout, or what was left of the overall deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttemptTimedOut {
    pub after: Duration,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total tries, like PocketFlow's `max_retries`: 1 means no retry.
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    pub jitter: bool,
    /// A server's requested wait is honoured up to this much.
    pub max_retry_after: Duration,
    pub attempt_timeout: Duration,
    /// Nothing starts or waits past this, counted from the first attempt.
    pub deadline: Duration,
}

impl RetryPolicy {
    pub fn once() -> Self {
        RetryPolicy {
            max_attempts: 1,
            base_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
            jitter: false,
            max_retry_after: Duration::ZERO,
            attempt_timeout: Duration::from_secs(600),
            deadline: Duration::from_secs(600),
        }
    }

    /// base, 2·base, 4·base, … capped at max_delay; with full jitter when enabled.
    fn backoff(&self) -> impl Iterator<Item = Duration> {
        // ExponentialBackoff yields factor·2, factor·4, …, so factor = base/2 starts at base.
        let factor = (self.base_delay.as_millis() as u64 / 2).max(1);
        let use_jitter = self.jitter;
        ExponentialBackoff::from_millis(2)
            .factor(factor)
            .max_delay(self.max_delay)
            .map(move |delay| if use_jitter { jitter(delay) } else { delay })
    }
}

/// How the calls of one `exec` went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Attempts {
    pub calls: u32,
    pub waited: Duration,
    pub elapsed: Duration,
}

/// Calls `call(attempt)` until it succeeds, fails with an error that must not be retried, the
/// attempts are spent, or the deadline would be passed.
pub async fn run_with_retries<T, E, F, Fut>(
    policy: &RetryPolicy,
    mut call: F,
) -> (Result<T, E>, Attempts)
where
    E: Retryable + From<AttemptTimedOut> + std::fmt::Display,
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let started = Instant::now();
    let deadline = started + policy.deadline;
    let mut delays = policy.backoff();
    let mut attempts = Attempts::default();
    loop {
        let attempt = attempts.calls;
        attempts.calls += 1;
        let budget = policy
            .attempt_timeout
            .min(deadline.saturating_duration_since(Instant::now()));
        let result = match timeout(budget, call(attempt)).await {
            Ok(result) => result,
            Err(_) => Err(E::from(AttemptTimedOut { after: budget })),
        };
        attempts.elapsed = started.elapsed();
        let error = match result {
            Ok(value) => return (Ok(value), attempts),
            Err(error) => error,
        };
        if attempts.calls >= policy.max_attempts.max(1) || !error.is_retryable() {
            return (Err(error), attempts);
        }
        let backoff = delays.next().unwrap_or(policy.max_delay);
        // A server that says how long to wait knows better than our curve (capped, though).
        let delay = error
            .retry_after()
            .map_or(backoff, |asked| asked.min(policy.max_retry_after));
        if Instant::now() + delay >= deadline {
            // Waiting would end past the deadline: give up now rather than sleep for nothing.
            return (Err(error), attempts);
        }
        tracing::warn!(attempt, delay_ms = delay.as_millis() as u64, error = %error, "retrying");
        sleep(delay).await;
        attempts.waited += delay;
    }
}
