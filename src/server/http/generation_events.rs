//! `GET /api/generation_events?ids=a,b`: what the page's running generations are doing, as
//! server-sent events. Each event is a `ProgressEvent` as JSON: first the current state of each
//! id that is running, then every change as it happens (a new state, a new rough preview), until
//! the page closes the stream (it does when the generation ends) or the server stops. An id that
//! is not running yet is followed too: the page opens the stream as it sends the generation,
//! which may register a moment later.
//!
//! Why a stream rather than asking once a second: a preview or a state shows when it happens, not
//! up to a second later, and the page makes one request per generation instead of one a second
//! (each cost the page ~4 ms of its thread).

use super::error_response::refusal;
use crate::model::{Progress, ProgressEvent};
use crate::server::generate::is_request_id;
use crate::server::inflight::{InFlight, ProgressChange};
use crate::server::state::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::stream::{self, StreamExt};
use serde::Deserialize;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::broadcast::Receiver;

/// Try on runs at most three engines at once; a little room beyond that.
const MAX_IDS: usize = 8;

#[derive(Deserialize)]
pub struct Ids {
    ids: String,
}

pub async fn stream_events(State(state): State<AppState>, Query(query): Query<Ids>) -> Response {
    let ids: Vec<String> = query.ids.split(',').map(str::to_string).collect();
    if ids.len() > MAX_IDS || !ids.iter().all(|id| is_request_id(id)) {
        return refusal(
            StatusCode::BAD_REQUEST,
            format!("Name 1 to {MAX_IDS} request ids, separated by commas."),
        );
    }
    let (now, changes) = state.inflight.follow(&ids);
    let following = Following {
        inflight: Arc::clone(&state.inflight),
        ids,
        changes,
        pending: now.into(),
    };
    let events = stream::unfold(following, |mut following| async move {
        let (id, progress) = following.next().await?;
        let event = Event::default().json_data(ProgressEvent { id, progress });
        // A `ProgressEvent` always encodes; an error would only skip this event.
        Some((event.unwrap_or_default(), following))
    });
    // A stopping server ends the stream, or a graceful shutdown would wait for every open page.
    let events = events.take_until(state.stopping.clone().cancelled_owned());
    Sse::new(events.map(Ok::<_, Infallible>))
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// The changes of the generations one page follows.
struct Following {
    inflight: Arc<InFlight>,
    ids: Vec<String>,
    changes: Receiver<ProgressChange>,
    /// States to send before waiting for the next change.
    pending: VecDeque<ProgressChange>,
}

impl Following {
    async fn next(&mut self) -> Option<(String, Progress)> {
        loop {
            if let Some(change) = self.pending.pop_front() {
                return Some(change);
            }
            match self.changes.recv().await {
                Ok(change) if self.ids.contains(&change.0) => return Some(change),
                Ok(_) => {}
                // Changes were missed: what matters is the state now, so send that.
                Err(RecvError::Lagged(_)) => {
                    let (now, changes) = self.inflight.follow(&self.ids);
                    (self.pending, self.changes) = (now.into(), changes);
                }
                Err(RecvError::Closed) => return None,
            }
        }
    }
}
