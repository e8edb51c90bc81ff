use super::node::NodeError;
use super::node::{Action, Node};
use super::retry::{run_with_retries, Attempts};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a flow stopped early. `attempts` says how many exec calls the failing node made and how
/// long they took, so the caller can tell a person "retried 3 times over 41 s".
#[derive(Debug)]
pub enum FlowError<E> {
    Node {
        node: &'static str,
        error: E,
        attempts: Attempts,
    },
    StepLimit {
        limit: usize,
    },
}

/// A node with its types erased, so nodes of different kinds can sit in one graph.
trait DynNode<S, E>: Send + Sync {
    fn name(&self) -> &'static str;
    fn run<'a>(&'a self, shared: &'a mut S) -> BoxFuture<'a, Result<Action, FlowError<E>>>;
}

impl<S, E, N> DynNode<S, E> for N
where
    S: Send + Sync,
    E: NodeError,
    N: Node<S, Error = E>,
{
    fn name(&self) -> &'static str {
        Node::name(self)
    }

    fn run<'a>(&'a self, shared: &'a mut S) -> BoxFuture<'a, Result<Action, FlowError<E>>> {
        Box::pin(async move {
            let fail = |error, attempts| FlowError::Node {
                node: Node::name(self),
                error,
                attempts,
            };
            let prep = self
                .prep(shared)
                .await
                .map_err(|e| fail(e, Attempts::default()))?;
            let policy = self.retry_policy();
            let (result, attempts) =
                run_with_retries(&policy, |attempt| self.exec(&prep, attempt)).await;
            let exec = match result {
                Ok(exec) => exec,
                Err(error) => self
                    .exec_fallback(&prep, error)
                    .await
                    .map_err(|e| fail(e, attempts))?,
            };
            self.post(shared, prep, exec, attempts)
                .await
                .map_err(|e| fail(e, attempts))
        })
    }
}

/// Nodes linked by actions. Loops are allowed; `max_steps` stops a runaway one.
pub struct Flow<S, E> {
    nodes: Vec<Box<dyn DynNode<S, E>>>,
    edges: HashMap<(usize, Action), usize>,
    start: usize,
    max_steps: usize,
}

pub struct FlowBuilder<S, E> {
    nodes: Vec<Box<dyn DynNode<S, E>>>,
    edges: HashMap<(usize, Action), usize>,
    max_steps: usize,
}

impl<S: Send + Sync + 'static, E: NodeError> Default for FlowBuilder<S, E> {
    fn default() -> Self {
        FlowBuilder {
            nodes: Vec::new(),
            edges: HashMap::new(),
            max_steps: 64,
        }
    }
}

impl<S: Send + Sync + 'static, E: NodeError> FlowBuilder<S, E> {
    /// Adds a node and returns its id for `edge` and `build`.
    pub fn node(&mut self, node: impl Node<S, Error = E> + 'static) -> usize {
        self.nodes.push(Box::new(node));
        self.nodes.len() - 1
    }

    /// `from --action--> to`. Wiring the same action twice replaces the edge, as PocketFlow does
    /// (it warns; so do we).
    pub fn edge(&mut self, from: usize, action: Action, to: usize) -> &mut Self {
        if self.edges.insert((from, action), to).is_some() {
            tracing::warn!(
                node = self.nodes[from].name(),
                action = action.0,
                "overwriting successor"
            );
        }
        self
    }

    pub fn max_steps(&mut self, steps: usize) -> &mut Self {
        self.max_steps = steps;
        self
    }

    pub fn build(self, start: usize) -> Flow<S, E> {
        assert!(
            start < self.nodes.len(),
            "the start node must be added to the flow"
        );
        Flow {
            nodes: self.nodes,
            edges: self.edges,
            start,
            max_steps: self.max_steps,
        }
    }
}

impl<S: Send + Sync, E: Send> Flow<S, E> {
    /// Runs from the start node until an action has no successor; returns that last action.
    pub async fn run(&self, shared: &mut S) -> Result<Action, FlowError<E>> {
        let mut current = self.start;
        for _ in 0..self.max_steps {
            let action = self.nodes[current].run(shared).await?;
            match self.edges.get(&(current, action)) {
                Some(&next) => current = next,
                None => {
                    let has_successors = self.edges.keys().any(|(from, _)| *from == current);
                    if has_successors {
                        // PocketFlow ends the flow with a warning rather than an error here.
                        tracing::warn!(
                            node = self.nodes[current].name(),
                            action = action.0,
                            "flow ends: no successor"
                        );
                    }
                    return Ok(action);
                }
            }
        }
        Err(FlowError::StepLimit {
            limit: self.max_steps,
        })
    }
}

#[cfg(test)]
mod tests;
