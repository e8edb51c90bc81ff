//! `GenerateImage`, the node seed 001 describes: prep reads the request, picks the provider and
//! reads the reference images it names, exec makes one provider call (retried by the flow),
//! post stamps provenance and writes the picture into the store.

use crate::error::ProviderFailure;
use crate::model::{Continuation, GenerateRequest, GeneratedImage};
use crate::price::Price;
use crate::server::flow::{Action, Attempts, Flow, FlowBuilder, Node, RetryPolicy};
use crate::server::provenance::{stamp, Provenance, ReferenceRecord};
use crate::server::providers::{ImageProvider, ProviderError, ProviderImage, ProviderRegistry};
use crate::server::references::{references_of, Reference, ReferenceStore};
use base64::Engine as _;
use bytes::Bytes;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// The shared store of the generation flow.
pub struct GenerationState {
    pub request: GenerateRequest,
    /// The reference images the request names, as the server found them, for provenance.
    pub references: Vec<ReferenceRecord>,
    pub image: Option<MadeImage>,
}

/// A finished picture: what is known of it, and its file with the provenance stamped in. Kept
/// apart so each way of answering sends the file as it needs: the JSON API as base64, the page's
/// own route as bytes (`server::http::generate_picture`).
pub struct MadeImage {
    /// Everything but the file: its `b64` is empty.
    pub metadata: GeneratedImage,
    pub file: Bytes,
}

impl MadeImage {
    /// The metadata with the file in it as base64, as `generate_image` answers.
    pub fn with_base64(self) -> GeneratedImage {
        GeneratedImage {
            b64: base64::engine::general_purpose::STANDARD
                .encode(&self.file)
                .into(),
            ..self.metadata
        }
    }
}

impl GenerationState {
    pub fn new(request: GenerateRequest, references: Vec<ReferenceRecord>) -> Self {
        GenerationState {
            request,
            references,
            image: None,
        }
    }
}

pub struct GenerateImage {
    providers: Arc<ProviderRegistry>,
    references: Arc<ReferenceStore>,
    policy: RetryPolicy,
}

/// The one-node flow behind `generate_image`.
pub fn generation_flow(
    providers: Arc<ProviderRegistry>,
    references: Arc<ReferenceStore>,
    policy: RetryPolicy,
) -> Flow<GenerationState, ProviderError> {
    let mut builder = FlowBuilder::default();
    let generate = builder.node(GenerateImage {
        providers,
        references,
        policy,
    });
    builder.build(generate)
}

/// What every attempt of one generation sends. The references are read here, once, after the
/// generation got its turn (so queued generations hold no pictures), and shared by the retries.
pub struct Call {
    provider: Arc<dyn ImageProvider>,
    request: GenerateRequest,
    references: Vec<Reference>,
}

impl Node<GenerationState> for GenerateImage {
    type Prep = Call;
    type Exec = ProviderImage;
    type Error = ProviderError;

    fn name(&self) -> &'static str {
        "GenerateImage"
    }

    fn retry_policy(&self) -> RetryPolicy {
        self.policy.clone()
    }

    async fn prep(&self, shared: &GenerationState) -> Result<Self::Prep, ProviderError> {
        let engine = &shared.request.engine;
        let provider = self.providers.get(engine).ok_or_else(|| ProviderError {
            provider: engine.clone(),
            ..ProviderError::new(ProviderFailure::NotConfigured, "choose another engine")
        })?;
        Ok(Call {
            provider: Arc::clone(provider),
            request: shared.request.clone(),
            references: references_of(&self.references, &shared.request).await?,
        })
    }

    async fn exec(&self, call: &Self::Prep, attempt: u32) -> Result<ProviderImage, ProviderError> {
        tracing::debug!(attempt, engine = %call.request.engine, "provider call");
        call.provider
            .generate(&call.request, &call.references)
            .await
    }

    /// Errors made outside the provider (an attempt timing out, the deadline) do not know which
    /// provider they are about; say it, so the message names it.
    async fn exec_fallback(
        &self,
        call: &Self::Prep,
        mut error: ProviderError,
    ) -> Result<ProviderImage, ProviderError> {
        if error.provider.is_empty() {
            error.provider = call.provider.info().provider.clone();
        }
        Err(error)
    }

    async fn post(
        &self,
        shared: &mut GenerationState,
        Call {
            provider, request, ..
        }: Self::Prep,
        image: ProviderImage,
        attempts: Attempts,
    ) -> Result<Action, ProviderError> {
        let elapsed_ms = attempts.elapsed.as_millis() as u64;
        let created_at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let info = provider.info();
        let cost = info
            .model_or_default(&request.model)
            .price(request.quality.as_deref());
        let record = Provenance {
            cost: cost.as_ref().map(Price::display),
            ..Provenance::new(
                &request,
                &shared.references,
                provider.as_ref(),
                &image,
                created_at,
                elapsed_ms,
                attempts.calls,
            )
        }
        .to_record();
        let file = stamp(&image.mime, image.bytes, &record).into();
        let metadata = GeneratedImage {
            b64: "".into(),
            mime: image.mime,
            engine: info.id.clone(),
            provider: info.provider.clone(),
            model: image.model,
            size: image.size,
            quality: image.quality,
            revised_prompt: image.revised_prompt,
            reply: image.reply,
            sent_prompt: image.sent_prompt,
            fallback: None,
            cost,
            elapsed_ms,
            provider_calls: attempts.calls,
            continuation: image.continuation.map(|token| Continuation {
                engine: info.id.clone(),
                token,
            }),
            seed: image.seed,
            created_at,
        };
        shared.image = Some(MadeImage { metadata, file });
        Ok(Action::DEFAULT)
    }
}

#[cfg(test)]
mod tests;
