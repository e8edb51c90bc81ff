//! Reading a request body, whole or chunk by chunk, bounded in size and in time. Every handler
//! that reads a body goes through here, so a client cannot hold a request open by trickling its
//! body, nor make us buffer more than the route allows (a chunked body has no `Content-Length` to
//! refuse up front).

use super::error_response::refusal;
use axum::body::{Body, Bytes};
use axum::http::header::CONTENT_LENGTH;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use http_body_util::{BodyExt as _, Limited};
use std::time::Duration;
use tokio::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyError {
    TooLarge {
        limit: usize,
    },
    TooSlow {
        after: Duration,
    },
    /// The connection broke or the framing was invalid.
    Broken,
}

impl BodyError {
    pub fn status(self) -> StatusCode {
        match self {
            BodyError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            BodyError::TooSlow { .. } => StatusCode::REQUEST_TIMEOUT,
            BodyError::Broken => StatusCode::BAD_REQUEST,
        }
    }

    /// The refusal in the API's JSON shape.
    pub fn into_response(self) -> Response {
        refusal(self.status(), self.message())
    }

    pub fn message(self) -> String {
        match self {
            BodyError::TooLarge { limit } => format!(
                "The request body is larger than this endpoint accepts ({} KiB).",
                limit / 1024
            ),
            BodyError::TooSlow { after } => format!(
                "The request body did not arrive within {} s; send it again.",
                after.as_secs()
            ),
            BodyError::Broken => "The request body could not be read; send it again.".into(),
        }
    }
}

/// The body's length as `Content-Length` declares it; `None` for a chunked body.
pub fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// A declared length over the limit is refused before a byte is read.
pub fn check_declared_length(declared: Option<u64>, limit: usize) -> Result<(), BodyError> {
    match declared {
        Some(length) if length > limit as u64 => Err(BodyError::TooLarge { limit }),
        _ => Ok(()),
    }
}

/// The whole body, for handlers that need all of it at once (small JSON).
pub async fn read_body(body: Body, limit: usize, deadline: Duration) -> Result<Bytes, BodyError> {
    let mut body = BoundedBody::new(body, limit, deadline);
    let mut whole = Vec::new();
    while let Some(chunk) = body.chunk().await? {
        whole.extend_from_slice(&chunk);
    }
    Ok(whole.into())
}

/// A body read chunk by chunk as it arrives (an upload streamed to disk): refused once it passes
/// `limit` bytes, or when it has not ended `deadline` after this was made.
pub struct BoundedBody {
    body: Limited<Body>,
    limit: usize,
    deadline: Duration,
    ends_by: Instant,
}

impl BoundedBody {
    pub fn new(body: Body, limit: usize, deadline: Duration) -> Self {
        BoundedBody {
            body: Limited::new(body, limit),
            limit,
            deadline,
            ends_by: Instant::now() + deadline,
        }
    }

    /// The next chunk of data; `None` once the body has ended.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, BodyError> {
        loop {
            let frame = match tokio::time::timeout_at(self.ends_by, self.body.frame()).await {
                Err(_elapsed) => {
                    return Err(BodyError::TooSlow {
                        after: self.deadline,
                    })
                }
                Ok(None) => return Ok(None),
                Ok(Some(Err(error))) if error.is::<http_body_util::LengthLimitError>() => {
                    return Err(BodyError::TooLarge { limit: self.limit })
                }
                Ok(Some(Err(_))) => return Err(BodyError::Broken),
                Ok(Some(Ok(frame))) => frame,
            };
            // Trailers carry no data; skip them.
            if let Ok(data) = frame.into_data() {
                return Ok(Some(data));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use futures_util::{stream, StreamExt as _};

    fn chunked(chunks: Vec<&'static [u8]>) -> Body {
        Body::from_stream(stream::iter(
            chunks.into_iter().map(Ok::<_, std::io::Error>),
        ))
    }

    #[tokio::test]
    async fn a_body_within_the_limit_is_read_whole() {
        let body = read_body(chunked(vec![b"ab", b"cd"]), 4, Duration::from_secs(1)).await;
        assert_eq!(body.unwrap(), Bytes::from_static(b"abcd"));
    }

    #[tokio::test]
    async fn a_chunked_body_over_the_limit_is_refused_while_streaming() {
        let body = read_body(chunked(vec![b"ab", b"cde"]), 4, Duration::from_secs(1)).await;
        assert_eq!(body.unwrap_err(), BodyError::TooLarge { limit: 4 });
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_never_finishes_times_out() {
        let never = Body::from_stream(stream::pending::<Result<Bytes, std::io::Error>>());
        let error = read_body(never, 4, Duration::from_secs(30))
            .await
            .unwrap_err();
        assert_eq!(
            error,
            BodyError::TooSlow {
                after: Duration::from_secs(30)
            }
        );
        assert_eq!(error.status(), StatusCode::REQUEST_TIMEOUT);
    }

    #[tokio::test(start_paused = true)]
    async fn chunks_arrive_one_by_one_and_the_deadline_covers_them_all() {
        let first_then_nothing = Body::from_stream(
            stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"ab"))])
                .chain(stream::pending()),
        );
        let mut body = BoundedBody::new(first_then_nothing, 4, Duration::from_secs(30));
        assert_eq!(body.chunk().await, Ok(Some(Bytes::from_static(b"ab"))));
        assert_eq!(
            body.chunk().await,
            Err(BodyError::TooSlow {
                after: Duration::from_secs(30)
            })
        );
    }

    #[test]
    fn a_declared_length_over_the_limit_is_refused_unread() {
        assert_eq!(
            check_declared_length(Some(5), 4),
            Err(BodyError::TooLarge { limit: 4 })
        );
        assert_eq!(check_declared_length(Some(4), 4), Ok(()));
        assert_eq!(check_declared_length(None, 4), Ok(()));
    }
}
