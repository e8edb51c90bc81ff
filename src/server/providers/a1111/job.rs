//! Where our job is on an AUTOMATIC1111 server while we wait for its picture, and stopping it
//! once nobody waits for it.
//!
//! A1111 runs one job at a time behind a queue lock. Each job is sent with a task id of our own
//! (`force_task_id`, A1111 1.6 and later), which the web UI's `POST /internal/progress` answers
//! about: the job's place in the server's queue (others may use the server too), then how far
//! it is. A server without its web UI (`--nowebui`) lacks that route, and an older one does not
//! know our id; then the API's `/progress` tells how far whichever job it runs is.

use crate::model::Progress;
use crate::server::inflight::report;
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::json;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// How often where a job is gets asked.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// How long an abandoned job still queued behind others is watched, to be interrupted when it
/// starts. Why a bound: a queue longer than this is a busy shared server, whose later run of
/// our job we leave to it rather than ask about it once a second for ever.
const ABANDONED_WATCH: Duration = Duration::from_secs(600);

/// How many answers in a row that say nothing of our task (it is unknown, or the server does
/// not answer) end that watch: an old server never will know our id.
const BLIND_ANSWERS: u32 = 5;

/// The routes that tell about one server's jobs and stop them.
#[derive(Clone)]
pub(super) struct JobRoutes {
    http: reqwest::Client,
    /// `…/sdapi/v1/progress`: the job the server runs now, whoever sent it.
    server_progress: String,
    /// `…/sdapi/v1/interrupt`: stops the job the server runs now, whoever sent it.
    interrupt: String,
    /// `…/internal/progress`: one task's place in the queue or progress.
    task_progress: String,
}

/// What `/internal/progress` says of one task.
#[derive(Debug, PartialEq)]
enum TaskState {
    /// Running, this far along (0 to 1) when the server says.
    Running(Option<f64>),
    /// Waiting in the server's queue, with upstream's words for the place ("In queue: 2/3").
    Queued(Option<String>),
    Finished,
    /// The server has not heard of the task: it is older than `force_task_id`, or the job has
    /// not reached it yet.
    Unknown,
    /// No such route: the server runs without its web UI.
    NoRoute,
    /// No answer, or one that could not be read.
    Unreadable,
}

impl JobRoutes {
    pub(super) fn new(http: reqwest::Client, base_url: &str) -> Self {
        let base = base_url.trim_end_matches('/');
        JobRoutes {
            http,
            server_progress: format!("{base}/sdapi/v1/progress?skip_current_image=true"),
            interrupt: format!("{base}/sdapi/v1/interrupt"),
            task_progress: format!("{base}/internal/progress"),
        }
    }

    /// A task id of our own for the next job: unique in this process, so that a retried
    /// attempt's job is never taken for the one it replaces.
    pub(super) fn new_task_id(request_id: &str) -> String {
        static SENT: AtomicU64 = AtomicU64::new(0);
        format!(
            "proofsheet-{request_id}-{}",
            SENT.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// Reports once a second where the job sent as `task_id` is, until dropped (when its answer
    /// comes). What cannot be read is skipped: progress is information, never a reason to fail.
    pub(super) async fn watch_progress(&self, task_id: &str) -> Infallible {
        let mut has_task_route = true;
        loop {
            tokio::time::sleep(PROGRESS_EVERY).await;
            let state = if has_task_route {
                self.task_state(task_id).await
            } else {
                TaskState::Unknown
            };
            let progress = match state {
                TaskState::Running(done) => done.and_then(rendering),
                TaskState::Queued(words) => words.as_deref().and_then(queue_place),
                TaskState::Finished | TaskState::Unreadable => None,
                TaskState::Unknown => self.server_progress().await,
                TaskState::NoRoute => {
                    has_task_route = false;
                    self.server_progress().await
                }
            };
            if let Some(progress) = progress {
                report(progress);
            }
        }
    }

    async fn task_state(&self, task_id: &str) -> TaskState {
        #[derive(Deserialize)]
        struct Answer {
            #[serde(default)]
            active: bool,
            #[serde(default)]
            queued: bool,
            #[serde(default)]
            completed: bool,
            progress: Option<f64>,
            textinfo: Option<String>,
        }
        let asked = self
            .http
            .post(&self.task_progress)
            .json(&json!({"id_task": task_id, "id_live_preview": -1, "live_preview": false}))
            .timeout(PROGRESS_EVERY)
            .send()
            .await;
        let Ok(answer) = asked else {
            return TaskState::Unreadable;
        };
        if answer.status() == StatusCode::NOT_FOUND {
            return TaskState::NoRoute;
        }
        match answer.json::<Answer>().await {
            Ok(task) if task.active => TaskState::Running(task.progress),
            Ok(task) if task.queued => TaskState::Queued(task.textinfo),
            Ok(task) if task.completed => TaskState::Finished,
            Ok(_) => TaskState::Unknown,
            Err(_) => TaskState::Unreadable,
        }
    }

    async fn server_progress(&self) -> Option<Progress> {
        #[derive(Deserialize)]
        struct Answer {
            progress: f64,
        }
        let asked = self.http.get(&self.server_progress).timeout(PROGRESS_EVERY);
        let answer = asked.send().await.ok()?.json::<Answer>().await.ok()?;
        rendering(answer.progress)
    }

    /// Interrupts the job sent as `task_id` once the server runs it, and only then:
    /// `/sdapi/v1/interrupt` stops whatever job runs, which may be someone else's. A job still
    /// queued is watched until it starts (up to `ABANDONED_WATCH`); without the web UI's route
    /// nobody can tell whose job runs, so nothing is interrupted.
    async fn interrupt_when_running(self, task_id: String) {
        let deadline = Instant::now() + ABANDONED_WATCH;
        let mut blind = 0;
        while Instant::now() < deadline && blind < BLIND_ANSWERS {
            match self.task_state(&task_id).await {
                TaskState::Running(_) => {
                    let stopped = self.http.post(&self.interrupt).timeout(PROGRESS_EVERY);
                    match stopped.send().await {
                        Ok(_) => {
                            tracing::info!(task = %task_id, "interrupted an abandoned AUTOMATIC1111 job")
                        }
                        Err(error) => {
                            tracing::warn!(task = %task_id, %error, "could not interrupt an abandoned AUTOMATIC1111 job")
                        }
                    }
                    return;
                }
                TaskState::Queued(_) => blind = 0,
                TaskState::Unknown | TaskState::Unreadable => blind += 1,
                TaskState::Finished | TaskState::NoRoute => return,
            }
            tokio::time::sleep(PROGRESS_EVERY).await;
        }
    }
}

/// Our job at the server, from when it is sent until its answer comes. Dropped before that (the
/// person cancelled, the tab closed, the attempt timed out), it has the job interrupted: the
/// server runs one job at a time, so an abandoned one would hold up the person's next picture
/// for the whole of its run.
pub(super) struct SentJob<'a> {
    routes: &'a JobRoutes,
    task_id: String,
    answered: bool,
}

impl<'a> SentJob<'a> {
    pub(super) fn new(routes: &'a JobRoutes, task_id: String) -> Self {
        SentJob {
            routes,
            task_id,
            answered: false,
        }
    }

    pub(super) fn task_id(&self) -> &str {
        &self.task_id
    }

    /// The server answered (a picture or an error): there is nothing left to stop.
    pub(super) fn answered(mut self) {
        self.answered = true;
    }
}

impl Drop for SentJob<'_> {
    fn drop(&mut self) {
        if self.answered {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let task_id = std::mem::take(&mut self.task_id);
            runtime.spawn(self.routes.clone().interrupt_when_running(task_id));
        }
    }
}

/// A share of the job done, as a percentage; nothing before it has begun.
fn rendering(done: f64) -> Option<Progress> {
    (done > 0.0).then(|| Progress::Rendering {
        percent: (done.clamp(0.0, 1.0) * 100.0).round() as u8,
    })
}

/// Upstream words a queued task's place "In queue: 2/3"; any other wording is not shown.
fn queue_place(words: &str) -> Option<Progress> {
    let (position, length) = words.strip_prefix("In queue:")?.split_once('/')?;
    Some(Progress::Queued {
        position: position.trim().parse().ok()?,
        of: length.trim().parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queue_place_is_read_from_upstreams_wording_and_nothing_else() {
        assert_eq!(
            queue_place("In queue: 2/3"),
            Some(Progress::Queued { position: 2, of: 3 })
        );
        assert_eq!(queue_place("Waiting..."), None);
        assert_eq!(queue_place("In queue: two/3"), None);
    }

    #[test]
    fn each_job_gets_a_task_id_of_its_own() {
        let first = JobRoutes::new_task_id("r1");
        let retry = JobRoutes::new_task_id("r1");
        assert!(first.starts_with("proofsheet-r1-"), "{first}");
        assert_ne!(first, retry);
    }
}
