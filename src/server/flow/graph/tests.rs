//! Flow and retry behaviour, on paused tokio time so backoff costs no wall time.

use super::*;
use crate::server::flow::{AttemptTimedOut, RetryPolicy, Retryable};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

#[derive(Debug, Clone, PartialEq)]
enum TestError {
    Transient { retry_after: Option<Duration> },
    Fatal,
    TimedOut,
}

impl std::fmt::Display for TestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl Retryable for TestError {
    fn is_retryable(&self) -> bool {
        !matches!(self, TestError::Fatal)
    }
    fn retry_after(&self) -> Option<Duration> {
        match self {
            TestError::Transient { retry_after } => *retry_after,
            _ => None,
        }
    }
}

impl From<AttemptTimedOut> for TestError {
    fn from(_: AttemptTimedOut) -> Self {
        TestError::TimedOut
    }
}

#[derive(Default)]
struct Store {
    log: Vec<String>,
    visits: u32,
}

/// A node whose exec fails with the scripted errors first, then succeeds after `delay`.
struct Scripted {
    name: &'static str,
    failures: Vec<TestError>,
    delay: Duration,
    calls: Arc<AtomicU32>,
    policy: RetryPolicy,
    fallback: bool,
    action: Action,
}

impl Scripted {
    fn new(failures: Vec<TestError>) -> Self {
        Scripted {
            name: "scripted",
            failures,
            delay: Duration::ZERO,
            calls: Arc::default(),
            policy: policy(3),
            fallback: false,
            action: Action::DEFAULT,
        }
    }
}

fn policy(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(8),
        jitter: false,
        max_retry_after: Duration::from_secs(30),
        attempt_timeout: Duration::from_secs(180),
        deadline: Duration::from_secs(600),
    }
}

impl Node<Store> for Scripted {
    type Prep = u32;
    type Exec = String;
    type Error = TestError;

    fn name(&self) -> &'static str {
        self.name
    }
    fn retry_policy(&self) -> RetryPolicy {
        self.policy.clone()
    }
    async fn prep(&self, shared: &Store) -> Result<u32, TestError> {
        Ok(shared.visits)
    }
    async fn exec(&self, _prep: &u32, attempt: u32) -> Result<String, TestError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(self.delay).await;
        match self.failures.get(attempt as usize) {
            Some(error) => Err(error.clone()),
            None => Ok(format!("{} ok on attempt {attempt}", self.name)),
        }
    }
    async fn exec_fallback(&self, _prep: &u32, error: TestError) -> Result<String, TestError> {
        if self.fallback {
            Ok(format!("fallback after {error}"))
        } else {
            Err(error)
        }
    }
    async fn post(
        &self,
        shared: &mut Store,
        _prep: u32,
        exec: String,
        attempts: Attempts,
    ) -> Result<Action, TestError> {
        shared
            .log
            .push(format!("{exec} ({} calls)", attempts.calls));
        shared.visits += 1;
        Ok(self.action)
    }
}

fn single(node: Scripted) -> Flow<Store, TestError> {
    let mut builder = FlowBuilder::default();
    let id = builder.node(node);
    builder.build(id)
}

fn transient() -> TestError {
    TestError::Transient { retry_after: None }
}

#[tokio::test(start_paused = true)]
async fn retries_until_success_within_max_attempts() {
    let flow = single(Scripted::new(vec![transient(), transient()]));
    let mut store = Store::default();
    flow.run(&mut store).await.unwrap();
    // The success message names the 0-based attempt exec was given: the third call is attempt 2.
    assert_eq!(store.log, ["scripted ok on attempt 2 (3 calls)"]);
}

#[tokio::test(start_paused = true)]
async fn max_attempts_counts_total_tries() {
    let node = Scripted::new(vec![transient(); 5]);
    let calls = node.calls.clone();
    let err = single(node).run(&mut Store::default()).await.unwrap_err();
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let FlowError::Node {
        attempts, error, ..
    } = err
    else {
        panic!()
    };
    assert_eq!((attempts.calls, error), (3, transient()));
}

#[tokio::test(start_paused = true)]
async fn backoff_doubles_from_the_base_delay() {
    let started = Instant::now();
    let err = single(Scripted::new(vec![transient(); 5]))
        .run(&mut Store::default())
        .await
        .unwrap_err();
    let FlowError::Node { attempts, .. } = err else {
        panic!()
    };
    assert_eq!(attempts.waited, Duration::from_secs(1 + 2));
    assert_eq!(started.elapsed(), Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn retry_after_from_the_server_is_honoured_and_capped() {
    let asked = |secs| TestError::Transient {
        retry_after: Some(Duration::from_secs(secs)),
    };
    let mut store = Store::default();
    let started = Instant::now();
    single(Scripted::new(vec![asked(7), asked(90)]))
        .run(&mut store)
        .await
        .unwrap();
    // 7 s as asked, then 90 s capped to the policy's 30 s.
    assert_eq!(started.elapsed(), Duration::from_secs(7 + 30));
}

#[tokio::test(start_paused = true)]
async fn fatal_errors_are_not_retried() {
    let node = Scripted::new(vec![TestError::Fatal, transient()]);
    let calls = node.calls.clone();
    let err = single(node).run(&mut Store::default()).await.unwrap_err();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(matches!(
        err,
        FlowError::Node {
            error: TestError::Fatal,
            ..
        }
    ));
}

#[tokio::test(start_paused = true)]
async fn fallback_result_reaches_post() {
    let mut node = Scripted::new(vec![TestError::Fatal]);
    node.fallback = true;
    let mut store = Store::default();
    single(node).run(&mut store).await.unwrap();
    assert_eq!(store.log, ["fallback after Fatal (1 calls)"]);
}

#[tokio::test(start_paused = true)]
async fn a_slow_attempt_times_out_and_is_retried() {
    let mut node = Scripted::new(vec![]);
    node.delay = Duration::from_secs(200);
    node.policy.attempt_timeout = Duration::from_secs(180);
    let calls = node.calls.clone();
    let started = Instant::now();
    let err = single(node).run(&mut Store::default()).await.unwrap_err();
    assert!(matches!(
        err,
        FlowError::Node {
            error: TestError::TimedOut,
            ..
        }
    ));
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(started.elapsed(), Duration::from_secs(180 * 3 + 1 + 2));
}

#[tokio::test(start_paused = true)]
async fn the_deadline_stops_retries_that_would_outlast_it() {
    let mut node = Scripted::new(vec![
        TestError::Transient {
            retry_after: Some(Duration::from_secs(20))
        };
        5
    ]);
    node.policy.deadline = Duration::from_secs(30);
    node.policy.max_attempts = 10;
    node.delay = Duration::from_secs(5);
    let calls = node.calls.clone();
    let started = Instant::now();
    single(node).run(&mut Store::default()).await.unwrap_err();
    // call at 0 s (5 s), wait 20 s, call at 25 s (5 s) ends at 30 s; no third call fits.
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(started.elapsed(), Duration::from_secs(30));
}

#[tokio::test(start_paused = true)]
async fn actions_choose_the_next_node_and_a_missing_successor_ends_the_flow() {
    let mut builder = FlowBuilder::default();
    let mut first = Scripted::new(vec![]);
    first.name = "first";
    first.action = Action("next");
    let mut second = Scripted::new(vec![]);
    second.name = "second";
    second.action = Action("done");
    let a = builder.node(first);
    let b = builder.node(second);
    builder.edge(a, Action("next"), b);
    let mut store = Store::default();
    let last = builder.build(a).run(&mut store).await.unwrap();
    assert_eq!(last, Action("done"));
    assert_eq!(
        store.log,
        [
            "first ok on attempt 0 (1 calls)",
            "second ok on attempt 0 (1 calls)"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn loops_are_allowed_but_bounded_by_the_step_limit() {
    let mut builder = FlowBuilder::default();
    let mut node = Scripted::new(vec![]);
    node.action = Action("again");
    let a = builder.node(node);
    builder.edge(a, Action("again"), a).max_steps(5);
    let mut store = Store::default();
    let err = builder.build(a).run(&mut store).await.unwrap_err();
    assert!(matches!(err, FlowError::StepLimit { limit: 5 }));
    assert_eq!(store.visits, 5);
    assert!(
        store
            .log
            .iter()
            .all(|line| line.ends_with("attempt 0 (1 calls)")),
        "attempts restart per visit"
    );
}
