//! The built-in engine: no key, no network, a deterministic picture from prompt and seed (the
//! renderer itself is the `proofsheet-offline` crate; this adapter decides what it draws). It
//! makes the app usable out of the box and gives tests and benchmarks a provider with no latency
//! of its own.

use super::{
    prompt_in_words, sent_if_changed, BoxFuture, ImageProvider, ProviderError, ProviderImage,
};
use crate::error::ProviderFailure;
use crate::model::{EngineInfo, GenerateRequest};
use proofsheet_offline::render_png;

pub struct OfflineProvider {
    info: EngineInfo,
}

impl OfflineProvider {
    /// `info` is what its `[[providers]]` entry declares (sizes are any `WxH` the renderer can
    /// draw; it has no qualities).
    pub fn new(info: EngineInfo) -> Self {
        OfflineProvider { info }
    }
}

impl ImageProvider for OfflineProvider {
    fn info(&self) -> &EngineInfo {
        &self.info
    }

    fn generate<'a>(
        &'a self,
        request: &'a GenerateRequest,
    ) -> BoxFuture<'a, Result<ProviderImage, ProviderError>> {
        Box::pin(async move {
            let (width, height) = parse_size(&request.size)?;
            let seed = folded_seed(request);
            // A palette goes into the words like for any engine without a palette field; the
            // feedback also steers the colours ("warmer light" warms them up).
            let model = self.info.model_or_default(&request.model);
            let described = GenerateRequest {
                refinements: Vec::new(),
                ..request.clone()
            };
            let text = std::iter::once(prompt_in_words(&described, model))
                .chain(request.refinements.iter().cloned())
                .collect::<Vec<_>>()
                .join(". ");
            let sent_prompt = sent_if_changed(request, &text);
            let render =
                tokio::task::spawn_blocking(move || render_png(&text, seed, width, height));
            let bytes = render.await.map_err(|e| {
                ProviderError::new(
                    ProviderFailure::BadResponse,
                    format!("the renderer stopped: {e}"),
                )
            })?;
            Ok(ProviderImage {
                bytes,
                mime: "image/png".into(),
                model: model.id.clone(),
                size: request.size.clone(),
                quality: None,
                revised_prompt: None,
                reply: None,
                sent_prompt,
                continuation: None,
                seed,
            })
        })
    }
}

fn parse_size(size: &str) -> Result<(u32, u32), ProviderError> {
    let parsed = size
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)));
    parsed.ok_or_else(|| {
        ProviderError::new(
            ProviderFailure::BadRequest,
            format!("\"{size}\" is not a WIDTHxHEIGHT size"),
        )
    })
}

/// A refinement starts from its parent's seed and mixes each feedback text in, so it is a
/// deterministic descendant of the picture it refines; a first attempt uses the request's seed.
fn folded_seed(request: &GenerateRequest) -> u64 {
    let base = request
        .parent
        .as_ref()
        .map_or(request.seed, |parent| parent.seed);
    request.refinements.iter().fold(base, |seed, feedback| {
        (seed.rotate_left(17) ^ fnv1a(feedback)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    })
}

/// FNV-1a, 64-bit. The engine hashes prompts the same way inside, but its surface stays one
/// function: the folded seed is recorded in provenance, so it must not hang on the engine's
/// internals.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ParentImage;

    fn engine() -> OfflineProvider {
        OfflineProvider::new(crate::model::test_support::engine(
            "offline",
            "Offline engine",
            "proofsheet-offline-1",
            &["512x512"],
            &[],
        ))
    }

    fn request(seed: u64) -> GenerateRequest {
        GenerateRequest {
            request_id: "r".into(),
            engine: "offline".into(),
            model: String::new(),
            prompt: "a red barn".into(),
            size: "512x512".into(),
            quality: None,
            seed,
            styling: Default::default(),
            refinements: vec![],
            parent: None,
            references: vec![],
        }
    }

    #[tokio::test]
    async fn renders_a_png_of_the_requested_size() {
        let image = engine().generate(&request(1)).await.unwrap();
        assert_eq!(&image.bytes[..4], b"\x89PNG");
        assert_eq!(
            &image.bytes[16..24],
            &[0, 0, 2, 0, 0, 0, 2, 0],
            "IHDR says 512x512"
        );
    }

    /// Pins the adapter's half of "same request, same picture": feedback is joined to the
    /// prompt with ". " and folded into the parent's seed, and the seed is what provenance
    /// records, so neither may drift.
    #[tokio::test]
    async fn a_refinement_draws_the_joined_text_with_the_folded_seed() {
        let mut refine = request(99);
        refine.parent = Some(ParentImage {
            continuation: None,
            seed: 1,
        });
        refine.refinements = vec!["warmer light".into(), "no text".into()];
        let image = engine().generate(&refine).await.unwrap();
        assert_eq!(image.seed, 0x296b_8b8e_1f45_2117);
        assert_eq!(
            image.bytes,
            render_png("a red barn. warmer light. no text", image.seed, 512, 512)
        );
    }

    #[test]
    fn feedback_changes_the_seed_deterministically() {
        let mut refine = request(99);
        refine.parent = Some(ParentImage {
            continuation: None,
            seed: 1,
        });
        refine.refinements = vec!["warmer light".into()];
        assert_eq!(folded_seed(&refine), folded_seed(&refine.clone()));
        assert_ne!(folded_seed(&refine), 1);
        let mut other = refine.clone();
        other.refinements = vec!["no text".into()];
        assert_ne!(folded_seed(&refine), folded_seed(&other));
    }

    #[test]
    fn malformed_sizes_are_bad_requests() {
        assert_eq!(parse_size("1024x768").unwrap(), (1024, 768));
        assert_eq!(
            parse_size("big").unwrap_err().failure,
            ProviderFailure::BadRequest
        );
    }
}
