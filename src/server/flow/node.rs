use super::retry::{AttemptTimedOut, Attempts, RetryPolicy, Retryable};
use std::fmt::Display;
use std::future::Future;

/// The name of the edge a node's `post` chooses; PocketFlow's action strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Action(pub &'static str);

impl Action {
    pub const DEFAULT: Action = Action("default");
}

/// What a node's error must offer: the retry loop classifies it, times out into it, logs it.
pub trait NodeError: Retryable + From<AttemptTimedOut> + Display + Send + Sync + 'static {}

impl<E: Retryable + From<AttemptTimedOut> + Display + Send + Sync + 'static> NodeError for E {}

/// One step of a flow over the shared store `S`.
///
/// Only `exec` is retried, and it cannot see the store: the borrow rules enforce PocketFlow's
/// "exec is for compute and does not touch shared". `prep` reads the store, `post` writes it.
pub trait Node<S: Send + Sync>: Send + Sync {
    type Prep: Send + Sync;
    type Exec: Send;
    type Error: NodeError;

    fn name(&self) -> &'static str;

    /// PocketFlow's default is a single attempt (`max_retries=1`).
    fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy::once()
    }

    fn prep(&self, shared: &S) -> impl Future<Output = Result<Self::Prep, Self::Error>> + Send;

    /// `attempt` counts from 0, like PocketFlow's `cur_retry`.
    fn exec(
        &self,
        prep: &Self::Prep,
        attempt: u32,
    ) -> impl Future<Output = Result<Self::Exec, Self::Error>> + Send;

    /// Called with the last error once retries are spent; `Ok` stands in for exec's result.
    fn exec_fallback(
        &self,
        _prep: &Self::Prep,
        error: Self::Error,
    ) -> impl Future<Output = Result<Self::Exec, Self::Error>> + Send {
        async move { Err(error) }
    }

    fn post(
        &self,
        shared: &mut S,
        prep: Self::Prep,
        exec: Self::Exec,
        attempts: Attempts,
    ) -> impl Future<Output = Result<Action, Self::Error>> + Send;
}
