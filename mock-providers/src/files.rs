//! Image files the providers hand out as URLs, served by the mock itself
//! under `/{provider}-delivery/…`, optionally signed and expiring.
//!
//! The real hosts are CDNs and object stores whose error bodies are not
//! part of any provider's API (and not in providers.md), so failures here
//! are plain text: 404 for a path never issued, 403 for a signature that
//! does not match or a URL past its expiry.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::extract::{OriginalUri, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::clock::now_secs;
use crate::ids::{keyed_digest, random_u64};
use crate::images::{ImageFormat, Picture};
use crate::state::{lock, MockState};

pub(crate) struct Files {
    /// Signs URLs, so a hand-edited `exp` is caught.
    secret: u64,
    entries: Mutex<HashMap<String, File>>,
}

struct File {
    picture: Picture,
    format: ImageFormat,
    signed: Option<Signed>,
}

struct Signed {
    /// The exact query string issued with the URL.
    query: String,
    /// Unix seconds; the URL works strictly before this instant.
    expires_at: u64,
}

impl Default for Files {
    fn default() -> Self {
        Files {
            secret: random_u64(),
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl Files {
    /// Publishes `picture` at `path` (under a delivery prefix) for good and
    /// returns its absolute URL under `origin`.
    pub(crate) fn publish(
        &self,
        origin: &str,
        path: String,
        picture: Picture,
        format: ImageFormat,
    ) -> String {
        let url = format!("{origin}{path}");
        self.insert(path, picture, format, None);
        url
    }

    /// Publishes `picture` at `path` for `ttl_secs`, reachable only with the
    /// query `layout` builds from the expiry (Unix seconds) and the
    /// signature (each provider spells its parameters its own way), and
    /// returns the URL.
    pub(crate) fn publish_signed(
        &self,
        origin: &str,
        path: String,
        picture: Picture,
        format: ImageFormat,
        ttl_secs: u64,
        layout: impl FnOnce(u64, &str) -> String,
    ) -> String {
        let expires_at = now_secs() + ttl_secs;
        let signature = keyed_digest(self.secret, &format!("{path}\n{expires_at}"));
        let query = layout(expires_at, &signature);
        let url = format!("{origin}{path}?{query}");
        self.insert(path, picture, format, Some(Signed { query, expires_at }));
        url
    }

    fn insert(&self, path: String, picture: Picture, format: ImageFormat, signed: Option<Signed>) {
        let file = File {
            picture,
            format,
            signed,
        };
        lock(&self.entries).insert(path, file);
    }

    pub(crate) fn clear(&self) {
        lock(&self.entries).clear();
    }

    /// What `GET path?query` should serve, or why not.
    fn lookup(&self, path: &str, query: Option<&str>) -> Result<(Picture, ImageFormat), Refusal> {
        let entries = lock(&self.entries);
        let file = entries.get(path).ok_or(Refusal::NotFound)?;
        if let Some(signed) = &file.signed {
            if query != Some(signed.query.as_str()) {
                return Err(Refusal::BadSignature);
            }
            if now_secs() >= signed.expires_at {
                return Err(Refusal::Expired);
            }
        }
        Ok((file.picture, file.format))
    }
}

enum Refusal {
    NotFound,
    BadSignature,
    Expired,
}

/// `GET /{provider}-delivery/…`.
pub(crate) async fn serve(
    State(state): State<MockState>,
    OriginalUri(uri): OriginalUri,
) -> Response {
    match state.files().lookup(uri.path(), uri.query()) {
        Ok((picture, format)) => {
            let bytes = picture.encode_async(format).await;
            ([(header::CONTENT_TYPE, format.mime())], bytes).into_response()
        }
        Err(Refusal::NotFound) => (StatusCode::NOT_FOUND, "Not Found").into_response(),
        Err(Refusal::BadSignature) => {
            (StatusCode::FORBIDDEN, "Signature does not match").into_response()
        }
        Err(Refusal::Expired) => (StatusCode::FORBIDDEN, "Request has expired").into_response(),
    }
}
