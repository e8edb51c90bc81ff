//! The built-in engine: no key, no network, a deterministic picture from prompt and seed (the
//! renderer itself is the `proofsheet-offline` crate; this adapter decides what it draws). It
//! makes the app usable out of the box and gives tests and benchmarks a provider with no latency
//! of its own. Reference images and a custom palette lead its colours: each reference gives its
//! mean colour and its most vivid one, each swatch its own.

use super::{
    prompt_in_words, sent_if_changed, BoxFuture, ImageProvider, ProviderError, ProviderImage,
};
use crate::error::ProviderFailure;
use crate::model::{EngineInfo, GenerateRequest, Palette};
use crate::server::references::Reference;
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
        references: &'a [Reference],
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
            let mut leading = swatch_colours(request);
            let pictures: Vec<bytes::Bytes> = references.iter().map(|r| r.bytes.clone()).collect();
            let render = tokio::task::spawn_blocking(move || {
                // Decoding a reference is CPU work like the render, so it runs beside it.
                leading.extend(pictures.iter().flat_map(|bytes| picture_colours(bytes)));
                render_png(&text, seed, width, height, &leading)
            });
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

/// The custom palette's colours, heaviest first (swatches come sorted by weight).
fn swatch_colours(request: &GenerateRequest) -> Vec<[u8; 3]> {
    let Some(Palette::Custom(swatches)) = &request.styling.palette else {
        return Vec::new();
    };
    swatches.iter().filter_map(|s| parse_hex(&s.hex)).collect()
}

/// `#rgb` or `#rrggbb` (validation already refused anything else).
fn parse_hex(hex: &str) -> Option<[u8; 3]> {
    let digits = hex.strip_prefix('#')?;
    let channel = |text: &str| u8::from_str_radix(text, 16).ok();
    match digits.len() {
        3 => {
            let mut rgb = [0; 3];
            for (slot, c) in rgb.iter_mut().zip(digits.chars()) {
                *slot = channel(&c.to_string())? * 17;
            }
            Some(rgb)
        }
        6 => Some([
            channel(&digits[0..2])?,
            channel(&digits[2..4])?,
            channel(&digits[4..6])?,
        ]),
        _ => None,
    }
}

/// A reference's mean colour and its most vivid one (largest channel spread), read from an
/// 8x8 thumbnail. A picture that cannot be decoded adds none: it was checked when uploaded.
fn picture_colours(bytes: &[u8]) -> Vec<[u8; 3]> {
    let Ok(picture) = image::load_from_memory(bytes) else {
        return Vec::new();
    };
    let thumbnail = picture.thumbnail_exact(8, 8).to_rgb8();
    let pixels: Vec<[u8; 3]> = thumbnail.pixels().map(|p| p.0).collect();
    let mut sums = [0_u32; 3];
    for pixel in &pixels {
        for (sum, &value) in sums.iter_mut().zip(pixel) {
            *sum += u32::from(value);
        }
    }
    let mean = sums.map(|sum| (sum / pixels.len() as u32) as u8);
    let spread = |p: &[u8; 3]| p.iter().max().unwrap_or(&0) - p.iter().min().unwrap_or(&0);
    let vivid = pixels.iter().copied().max_by_key(spread).unwrap_or(mean);
    vec![vivid, mean]
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
        let image = engine().generate(&request(1), &[]).await.unwrap();
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
        let image = engine().generate(&refine, &[]).await.unwrap();
        assert_eq!(image.seed, 0x296b_8b8e_1f45_2117);
        assert_eq!(
            image.bytes,
            render_png(
                "a red barn. warmer light. no text",
                image.seed,
                512,
                512,
                &[]
            )
        );
    }

    fn mean_green_minus_blue(png: &[u8]) -> i64 {
        let pixels = image::load_from_memory(png).unwrap().to_rgb8();
        let count = i64::from(pixels.width() * pixels.height());
        pixels
            .pixels()
            .map(|p| i64::from(p.0[1]) - i64::from(p.0[2]))
            .sum::<i64>()
            / count
    }

    #[tokio::test]
    async fn a_reference_image_leads_the_colours_of_the_picture() {
        let mut green = Vec::new();
        image::RgbImage::from_pixel(16, 16, image::Rgb([30, 200, 40]))
            .write_to(
                &mut std::io::Cursor::new(&mut green),
                image::ImageFormat::Png,
            )
            .unwrap();
        let reference = Reference {
            id: "g".repeat(64),
            mime: "image/png",
            bytes: green.into(),
        };
        let mut blue = request(1);
        blue.prompt = "icy blue winter".into();
        let plain = engine().generate(&blue, &[]).await.unwrap();
        let led = engine().generate(&blue, &[reference]).await.unwrap();
        let (before, after) = (
            mean_green_minus_blue(&plain.bytes),
            mean_green_minus_blue(&led.bytes),
        );
        assert!(
            after > before + 40,
            "green minus blue: {before} without the reference, {after} with it"
        );
    }

    #[test]
    fn a_custom_palette_leads_the_colours_too() {
        let mut request = request(1);
        request.styling.palette = Some(Palette::Custom(vec![
            crate::model::Swatch {
                hex: "#0f0".into(),
                weight: 60,
            },
            crate::model::Swatch {
                hex: "#1C0C47".into(),
                weight: 40,
            },
        ]));
        assert_eq!(swatch_colours(&request), [[0, 255, 0], [0x1c, 0x0c, 0x47]]);
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
