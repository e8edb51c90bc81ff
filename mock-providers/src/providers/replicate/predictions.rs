//! Predictions the mock has created, and how each one moves through
//! `starting` → `processing` → `succeeded`/`failed` as it is polled (§4.2).

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::{json, Value};

use crate::clock::{iso_millis_z, now_millis};
use crate::state::lock;

#[derive(Default)]
pub(crate) struct Predictions {
    map: Mutex<HashMap<String, Prediction>>,
}

pub(super) struct Prediction {
    pub id: String,
    pub model: &'static str,
    pub version: String,
    pub input: Value,
    /// `urls.get` without the trailing id (`http://host/replicate/v1/predictions`).
    pub api_base: String,
    pub outcome: Outcome,
    /// GETs still to see it running; the next GET at zero sees it finished.
    pub polls_left: u32,
    pub created_ms: u64,
    pub started_ms: Option<u64>,
    pub completed_ms: Option<u64>,
    pub canceled: bool,
}

/// How the prediction ends unless canceled first.
pub(super) enum Outcome {
    /// Output URLs; a single one is a string for flux-1.1-pro.
    Succeeded {
        urls: Vec<String>,
        single: bool,
    },
    Failed {
        error: String,
    },
}

/// Which status to show for a running prediction.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Shown {
    /// As stored: `starting`, `processing` or its end.
    Current,
    /// A sync create that finished within its window: Replicate answers
    /// these with `processing` and `output` already filled (§4.2).
    FinishedWhileWaiting,
}

impl Prediction {
    pub(super) fn is_terminal(&self) -> bool {
        self.canceled || self.completed_ms.is_some()
    }

    /// Marks it finished now (the sync path, or the last poll).
    pub(super) fn finish(&mut self) {
        let now = now_millis();
        self.started_ms.get_or_insert(now);
        self.completed_ms.get_or_insert(now);
        self.polls_left = 0;
    }

    /// One GET: a running prediction moves one step on.
    fn poll(&mut self) {
        if self.is_terminal() {
            return;
        }
        self.started_ms.get_or_insert_with(now_millis);
        self.polls_left = self.polls_left.saturating_sub(1);
        if self.polls_left == 0 {
            self.finish();
        }
    }

    pub(super) fn to_json(&self, shown: Shown) -> Value {
        let finished = self.completed_ms.is_some() && !self.canceled;
        let status = match (&self.outcome, shown) {
            _ if self.canceled => "canceled",
            (Outcome::Succeeded { .. }, Shown::FinishedWhileWaiting) => "processing",
            (Outcome::Succeeded { .. }, _) if finished => "succeeded",
            (Outcome::Failed { .. }, _) if finished => "failed",
            _ if self.started_ms.is_some() => "processing",
            _ => "starting",
        };
        let (output, error) = match &self.outcome {
            Outcome::Succeeded { urls, single } if finished => {
                let output = if *single {
                    json!(urls.first())
                } else {
                    json!(urls)
                };
                (output, Value::Null)
            }
            Outcome::Failed { error } if finished => (Value::Null, json!(error)),
            _ => (Value::Null, Value::Null),
        };
        let get = format!("{}/{}", self.api_base, self.id);
        let mut body = json!({
            "id": self.id,
            "model": self.model,
            "version": self.version,
            "input": self.input,
            "logs": "",
            "output": output,
            "data_removed": false,
            "error": error,
            "status": status,
            "source": "api",
            "created_at": iso_millis_z(self.created_ms),
            "started_at": self.started_ms.map(iso_millis_z),
            "completed_at": self.completed_ms.filter(|_| status != "processing").map(iso_millis_z),
            "urls": {
                "get": get,
                "cancel": format!("{get}/cancel"),
                "web": format!("https://replicate.com/p/{}", self.id),
            },
        });
        if let (Some(started), Some(completed)) = (self.started_ms, self.completed_ms) {
            if status != "processing" {
                body["metrics"] = json!({
                    "predict_time": (completed - started) as f64 / 1000.0,
                    "total_time": (completed - self.created_ms) as f64 / 1000.0,
                });
            }
        }
        body
    }
}

impl Predictions {
    pub(super) fn insert(&self, prediction: Prediction) {
        lock(&self.map).insert(prediction.id.clone(), prediction);
    }

    /// Runs `f` on a stored prediction.
    pub(super) fn with<T>(&self, id: &str, f: impl FnOnce(&mut Prediction) -> T) -> Option<T> {
        lock(&self.map).get_mut(id).map(f)
    }

    /// `GET /v1/predictions/{id}`.
    pub(super) fn poll(&self, id: &str) -> Option<Value> {
        self.with(id, |prediction| {
            prediction.poll();
            prediction.to_json(Shown::Current)
        })
    }

    /// `POST /v1/predictions/{id}/cancel`: the prediction, and whether this
    /// call canceled it (a finished one stays as it was).
    pub(super) fn cancel(&self, id: &str) -> Option<(Value, bool)> {
        self.with(id, |prediction| {
            let cancels = !prediction.is_terminal();
            if cancels {
                prediction.canceled = true;
                prediction.completed_ms = Some(now_millis());
            }
            (prediction.to_json(Shown::Current), cancels)
        })
    }

    pub(crate) fn clear(&self) {
        lock(&self.map).clear();
    }
}
