//! A small async PocketFlow: nodes with `prep → exec (retried) → post`, linked into a flow by the
//! action each `post` returns. Semantics follow PocketFlow's `Node`/`Flow` (see
//! shared/docs/architecture-notes.md §B1) with three deliberate changes: the shared store is a
//! typed struct, nodes are stateless (`&self`, the attempt number is an argument) so one flow serves
//! every request at once, and a flow has a step limit so a loop cannot run away.

mod graph;
mod node;
mod retry;

pub use graph::{Flow, FlowBuilder, FlowError};
pub use node::{Action, Node};
pub use retry::{run_with_retries, AttemptTimedOut, Attempts, RetryPolicy, Retryable};
