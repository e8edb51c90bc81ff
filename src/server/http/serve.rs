//! The accept loop: HTTP/1.1 connections with the limits `axum::serve` does not offer.
//!
//! Why our own loop: `axum::serve` gives hyper no timer, so a connection that never sends its
//! headers (or sends them a byte a second, slowloris) stays open forever, and nothing caps how many
//! connections are served at once. Here every connection must deliver its request headers within
//! `header_timeout` of opening and of its previous response (hyper counts an idle keep-alive
//! connection as one waiting for headers, so idle connections close after the same time), and at
//! most `max_connections` are served at once; the rest wait in the kernel's backlog. Bodies that
//! trickle are bounded where bodies are read (`body.rs`). HTTP/1 only: browsers speak HTTP/2 only
//! over TLS, which a proxy in front of us terminates, so cleartext HTTP/2 would be attack surface
//! without users.

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    pub header_timeout: Duration,
    pub max_connections: usize,
    /// How long a graceful shutdown waits for running requests before giving up on them.
    pub shutdown_grace: Duration,
}

/// Serves `router` on `listener` until `shutdown` completes, then lets running requests finish
/// (up to `shutdown_grace`).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        // Take a slot before accepting, so a full server leaves new connections in the backlog
        // instead of accepting and starving them.
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(error) => {
                    // Out of descriptors (EMFILE) and similar: the listener itself is fine, so
                    // keep serving, but give closing connections a moment to free descriptors
                    // instead of spinning on the same error.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Answers are small JSON or streamed HTML; Nagle's delay would only add latency.
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // Errors here are the client's: a header timeout, a reset, a malformed request.
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection closed with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.shutdown_grace) => {
            tracing::warn!("shutdown grace period over; closing the remaining connections");
        }
    }
}
