//! Answers a provider streams as server-sent events (providers.md §0.2), read one event at a
//! time so a stream of several full-size pictures never sits in memory whole.
//!
//! Why not a crate: the SSE parsers on crates.io rescan their whole buffer for each network
//! chunk, and an event here is one `data:` line of megabytes of base64 that arrives in hundreds
//! of chunks; this reader looks at each byte once. It is also tolerant where providers differ:
//! Ark's documented stream pretty-prints its JSON over several lines without `data:` prefixes,
//! so any line that is not a field is taken as data, and an event ends at a blank line.

use super::http::{decode_base64_image, read_whole, send, transport_error};
use super::ProviderError;
use crate::error::ProviderFailure;
use crate::server::inflight::report_preview;
use axum::body::Bytes;
use futures::stream::BoxStream;
use futures::StreamExt;
use reqwest::header::{HeaderMap, CONTENT_TYPE};
use reqwest::StatusCode;
use std::time::Duration;

/// No event of any provider we know comes near this (a 4096² PNG in base64 is ~45 MB); a
/// stream that never ends its event is refused rather than held.
const MAX_EVENT_BYTES: usize = 64 * 1024 * 1024;

/// How long the rest of a stream may take to arrive once the caller has what it needs.
const DRAIN_LIMIT: Duration = Duration::from_secs(60);

/// What a request that asked for a stream got back.
pub enum Reply {
    /// The whole body: an error status, or a server that answered plain JSON although asked to
    /// stream (OpenAI-compatible proxies often ignore `stream`).
    Whole(StatusCode, HeaderMap, Bytes),
    Events(Events),
}

pub struct Events {
    body: BoxStream<'static, reqwest::Result<Bytes>>,
    /// Received bytes not yet part of an event.
    buffer: Vec<u8>,
    /// Where the search for the blank line that ends the next event resumes.
    scanned: usize,
}

/// Sends `request`; a success answered as `text/event-stream` is handed over unread.
pub async fn exchange_streamed(request: reqwest::RequestBuilder) -> Result<Reply, ProviderError> {
    let response = send(request).await?;
    let streamed = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/event-stream"));
    if response.status().is_success() && streamed {
        Ok(Reply::Events(Events {
            body: response.bytes_stream().boxed(),
            buffer: Vec::new(),
            scanned: 0,
        }))
    } else {
        let (status, headers, body) = read_whole(response).await?;
        Ok(Reply::Whole(status, headers, body))
    }
}

impl Events {
    /// The next event's data; `None` once the stream ends, or at `data: [DONE]`, which some
    /// servers send last (whether OpenAI does is UNCONFIRMED, so both ends are taken).
    pub async fn next(&mut self) -> Result<Option<String>, ProviderError> {
        loop {
            let (frame, ended) = match blank_line(&self.buffer, self.scanned) {
                Some((end, next)) => {
                    // The event keeps the buffer's allocation; only what follows it is copied
                    // (an event is megabytes, what follows is at most a network chunk).
                    let rest = self.buffer.split_off(next);
                    let mut frame = std::mem::replace(&mut self.buffer, rest);
                    frame.truncate(end);
                    self.scanned = 0;
                    (frame, false)
                }
                None => {
                    // A blank line may straddle two chunks: look again at the last bytes.
                    self.scanned = self.buffer.len().saturating_sub(2);
                    match self.body.next().await {
                        Some(Ok(chunk)) => {
                            if self.buffer.len() + chunk.len() > MAX_EVENT_BYTES {
                                return Err(unreadable("an event larger than 64 MiB"));
                            }
                            self.buffer.extend_from_slice(&chunk);
                            continue;
                        }
                        Some(Err(error)) => return Err(transport_error(&error)),
                        // A last event without its blank line still counts.
                        None => (std::mem::take(&mut self.buffer), true),
                    }
                }
            };
            match data_of(&frame)? {
                Some(data) if data.starts_with("[DONE]") => return Ok(None),
                Some(data) => return Ok(Some(data)),
                None if ended => return Ok(None),
                // A comment or keep-alive: nothing to hand over.
                None => continue,
            }
        }
    }

    /// Reads what is left of the stream in a task of its own and throws it away.
    ///
    /// Why not drop it: closing the connection early is a client going away mid-answer, and
    /// whether OpenAI still stores that Response as complete (a refinement continues from it) is
    /// UNCONFIRMED; read to its end, the exchange is an ordinary one. Bounded by `DRAIN_LIMIT`,
    /// so a stalled stream does not hold a connection.
    pub fn drain_in_background(mut self) {
        tokio::spawn(async move {
            let rest = async move { while let Some(Ok(_)) = self.body.next().await {} };
            let _ = tokio::time::timeout(DRAIN_LIMIT, rest).await;
        });
    }
}

/// Hands a rough preview a stream sent as base64 to the page. One that cannot be read is only a
/// lost preview: the picture may still come.
pub fn pass_on_preview(b64: &str) {
    if let Ok(picture) = decode_base64_image(b64) {
        report_preview(picture.into());
    }
}

/// The end of the first event in `buffer` and where the next begins, searching from `from`.
fn blank_line(buffer: &[u8], from: usize) -> Option<(usize, usize)> {
    (from..buffer.len()).find_map(|i| {
        if buffer[i] != b'\n' {
            return None;
        }
        match &buffer[i + 1..] {
            [b'\n', ..] => Some((i, i + 2)),
            [b'\r', b'\n', ..] => Some((i, i + 3)),
            _ => None,
        }
    })
}

/// An event's data lines joined by newlines; `None` when it has none.
fn data_of(frame: &[u8]) -> Result<Option<String>, ProviderError> {
    let text = std::str::from_utf8(frame).map_err(|_| unreadable("an event that is not UTF-8"))?;
    let mut data: Vec<&str> = Vec::new();
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        match line.split_once(':') {
            Some(("data", value)) => data.push(value.strip_prefix(' ').unwrap_or(value)),
            Some(("event" | "id" | "retry" | "", _)) => {}
            _ if line.trim().is_empty() => {}
            _ => data.push(line),
        }
    }
    Ok((!data.is_empty()).then(|| data.join("\n")))
}

fn unreadable(what: &str) -> ProviderError {
    ProviderError::new(
        ProviderFailure::BadResponse,
        format!("unreadable event stream: {what}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events_of(chunks: &[&'static str]) -> Events {
        let chunks: Vec<reqwest::Result<Bytes>> = chunks
            .iter()
            .map(|c| Ok(Bytes::from_static(c.as_bytes())))
            .collect();
        Events {
            body: futures::stream::iter(chunks).boxed(),
            buffer: Vec::new(),
            scanned: 0,
        }
    }

    async fn all(mut events: Events) -> Vec<String> {
        let mut data = Vec::new();
        while let Some(event) = events.next().await.unwrap() {
            data.push(event);
        }
        data
    }

    #[tokio::test]
    async fn events_split_across_chunks_and_blank_lines_are_read_whole() {
        let events = events_of(&[
            "event: a\ndata: {\"n\":",
            "1}\n",
            "\n: keep-alive\n\nevent: b\r\ndata: {\"n\":2}\r\n\r",
            "\ndata: last\n",
        ]);
        assert_eq!(all(events).await, ["{\"n\":1}", "{\"n\":2}", "last"]);
    }

    #[tokio::test]
    async fn done_ends_the_stream_and_pretty_printed_json_is_data() {
        let events = events_of(&[
            "event: image_generation.partial_succeeded\ndata: {\n  \"x\": 1\n}\n\n",
            "data: [DONE]\n\ndata: never\n\n",
        ]);
        assert_eq!(all(events).await, ["{\n  \"x\": 1\n}"]);
    }

    #[tokio::test]
    async fn an_event_that_is_not_utf8_is_the_providers_fault() {
        let bytes: Vec<reqwest::Result<Bytes>> = vec![Ok(Bytes::from_static(b"data: \xff\n\n"))];
        let mut events = Events {
            body: futures::stream::iter(bytes).boxed(),
            buffer: Vec::new(),
            scanned: 0,
        };
        let error = events.next().await.unwrap_err();
        assert_eq!(error.failure, ProviderFailure::BadResponse);
    }
}
