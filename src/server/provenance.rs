//! Stamps where a picture came from into the PNG itself, so a downloaded file can be traced
//! later: prompt, refinements, reference images, provider, model, size, revised prompt, time and
//! app version.

use crate::model::GenerateRequest;
use crate::server::png_text::embed_itxt;
use crate::server::providers::{ImageProvider, ProviderImage};
use serde::Serialize;

/// The iTXt keyword under which the JSON record is stored.
pub const KEYWORD: &str = "proofsheet:provenance";

/// A reference image the picture was made from: its SHA-256 (also its id on the server that
/// stored it) and its size in bytes, so the very file can be recognised later.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReferenceRecord {
    pub sha256: String,
    pub bytes: u64,
}

#[derive(Serialize)]
pub struct Provenance<'a> {
    pub app: String,
    pub prompt: &'a str,
    pub refinements: &'a [String],
    pub references: &'a [ReferenceRecord],
    pub engine: &'a str,
    pub provider: &'a str,
    pub model: &'a str,
    pub size: &'a str,
    pub quality: Option<&'a str>,
    pub revised_prompt: Option<&'a str>,
    /// The prompt as the provider received it, when it is not the typed one.
    pub sent_prompt: Option<&'a str>,
    pub seed: u64,
    pub generated_at_unix: u64,
    pub elapsed_ms: u64,
    pub provider_calls: u32,
    /// The price list's figure for this picture ("$0.042"); absent when unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<String>,
}

impl<'a> Provenance<'a> {
    pub fn new(
        request: &'a GenerateRequest,
        references: &'a [ReferenceRecord],
        provider: &'a dyn ImageProvider,
        image: &'a ProviderImage,
        generated_at_unix: u64,
        elapsed_ms: u64,
        provider_calls: u32,
    ) -> Self {
        Provenance {
            app: format!("Proofsheet {}", env!("CARGO_PKG_VERSION")),
            prompt: &request.prompt,
            refinements: &request.refinements,
            references,
            engine: &provider.info().id,
            provider: &provider.info().provider,
            model: &image.model,
            size: &image.size,
            quality: image.quality.as_deref(),
            revised_prompt: image.revised_prompt.as_deref(),
            sent_prompt: image.sent_prompt.as_deref(),
            seed: image.seed,
            generated_at_unix,
            elapsed_ms,
            provider_calls,
            cost: None,
        }
    }

    pub fn to_record(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The PNG with the record added; other formats are returned unchanged (they have no place for
/// it that every viewer keeps). Splices a chunk in, never re-encodes.
pub fn stamp(mime: &str, bytes: Vec<u8>, record: &str) -> Vec<u8> {
    if mime != "image/png" {
        return bytes;
    }
    match embed_itxt(&bytes, KEYWORD, record) {
        Ok(stamped) => stamped,
        Err(error) => {
            // A malformed PNG still goes to the person; only its provenance is missing.
            tracing::warn!(%error, "could not stamp provenance");
            bytes
        }
    }
}
