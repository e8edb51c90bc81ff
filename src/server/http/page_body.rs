//! Server rendering must finish even when nobody reads the page.
//!
//! Leptos streams the page and resolves `<Suspense>` (the engine list) in a task of its own. When
//! the response body is dropped early, the page's reactive owner is disposed while that task still
//! runs, and it panics ("Tried to access a reactive value that has already been disposed"). Every
//! `HEAD` request does this (hyper never reads a HEAD body), and so can a closed tab. A page body
//! that is dropped unfinished is therefore read to its end in the background, bounded in time,
//! so the owner outlives the work that uses it. A page renders in milliseconds; the cost is small.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Body as HttpBody, Frame, SizeHint};
use http_body_util::BodyExt as _;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// Longer than any page render takes; a render that outlives it is abandoned.
const FINISH_WITHIN: Duration = Duration::from_secs(30);

pub async fn finish_unread_pages(request: Request, next: Next) -> Response {
    finish_unread(next.run(request).await)
}

pub fn finish_unread(response: Response) -> Response {
    response.map(|body| Body::new(FinishOnDrop { inner: Some(body) }))
}

struct FinishOnDrop {
    /// `None` once the body has ended.
    inner: Option<Body>,
}

impl HttpBody for FinishOnDrop {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        let polled = Pin::new(inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None)) {
            self.inner = None;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(HttpBody::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), HttpBody::size_hint)
    }
}

impl Drop for FinishOnDrop {
    fn drop(&mut self) {
        let Some(mut body) = self.inner.take() else {
            return;
        };
        if body.is_end_stream() {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let drain = async { while body.frame().await.is_some_and(|f| f.is_ok()) {} };
                if tokio::time::timeout(FINISH_WITHIN, drain).await.is_err() {
                    tracing::warn!("abandoned a page render nobody was reading");
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::{stream, StreamExt as _};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[tokio::test]
    async fn a_body_dropped_unread_is_still_read_to_its_end() {
        let produced = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&produced);
        let chunks = stream::iter(0..3).map(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
            Ok::<_, std::io::Error>(Bytes::from_static(b"x"))
        });
        let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
        let guarded = chunks.chain(stream::once(async move {
            let _ = done_tx.send(());
            Ok(Bytes::new())
        }));
        drop(FinishOnDrop {
            inner: Some(Body::from_stream(guarded)),
        });
        done_rx.await.expect("the dropped body was read to its end");
        assert_eq!(produced.load(Ordering::SeqCst), 3);
    }
}
