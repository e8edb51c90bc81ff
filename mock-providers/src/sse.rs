//! Server-sent event answers: a producer task sends frames as the work
//! behind them finishes; a client that goes away stops the producer.

use std::convert::Infallible;
use std::future::Future;

use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use tokio::sync::mpsc;

/// The producer's end of a stream.
pub(crate) struct Frames(mpsc::Sender<Event>);

impl Frames {
    /// Sends `event: {name}` (if any) and `data: {data}`. Returns false once
    /// the client has gone away, so the producer can stop working.
    pub(crate) async fn send(&self, name: Option<&str>, data: String) -> bool {
        let mut event = Event::default().data(data);
        if let Some(name) = name {
            event = event.event(name);
        }
        self.0.send(event).await.is_ok()
    }
}

/// A `text/event-stream` response fed by `produce`, which runs in its own
/// task; the stream ends when `produce` returns.
pub(crate) fn stream<F, Fut>(produce: F) -> Response
where
    F: FnOnce(Frames) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    // Why a small buffer: a frame can hold a multi-megabyte base64 image,
    // and the producer should not run far ahead of a slow client.
    let (sender, receiver) = mpsc::channel(1);
    tokio::spawn(produce(Frames(sender)));
    let events = futures_util::stream::unfold(receiver, |mut receiver| async move {
        let event = receiver.recv().await?;
        Some((Ok::<Event, Infallible>(event), receiver))
    });
    Sse::new(events).into_response()
}
