//! The wire vocabulary shared by the server and the browser: what a person asks for, what comes
//! back, and what each engine can do. Plain data, no behaviour beyond validation.

use crate::error::AppError;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// One engine of the picker: a provider configured on this server, and its models.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineInfo {
    pub id: String,
    /// Shown to people, e.g. "OpenAI".
    pub label: String,
    /// Who makes the pictures, named in messages ("OpenAI").
    pub provider: String,
    /// True for the built-in engine: the UI labels its pictures as offline renders.
    pub offline: bool,
    /// Why this engine cannot be used on this server, in words that say what to do ("Set
    /// GEMINI_API_KEY on the server to use Gemini."); `None` when it is ready.
    pub unavailable: Option<String>,
    pub max_prompt_chars: usize,
    /// Never empty; the first is the default.
    pub models: Vec<ModelInfo>,
}

/// What one model can do; the form offers only these choices, and the server checks them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub id: String,
    pub sizes: Vec<String>,
    pub default_size: String,
    /// Empty when the model has no quality setting.
    pub qualities: Vec<String>,
    pub default_quality: Option<String>,
}

impl EngineInfo {
    /// The named model, or the default one when the name is empty or unknown here (a request
    /// that names none, or a session saved while the server offered other models).
    pub fn model_or_default(&self, id: &str) -> &ModelInfo {
        self.models
            .iter()
            .find(|m| m.id == id)
            .unwrap_or(&self.models[0])
    }

    /// "OpenAI · gpt-image-1", for the page's engine badge and messages.
    pub fn label_with(&self, model: &ModelInfo) -> String {
        format!("{} · {}", self.label, model.id)
    }
}

/// Every engine the server has configured, and the one to preselect.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineCatalog {
    pub engines: Vec<EngineInfo>,
    pub default_engine: String,
}

impl EngineCatalog {
    pub fn engine(&self, id: &str) -> Option<&EngineInfo> {
        self.engines.iter().find(|e| e.id == id)
    }

    /// The named engine, or the default one when the name is empty or no longer offered (a
    /// fresh draft, or a session saved while the server had other engines).
    pub fn engine_or_default(&self, id: &str) -> Option<&EngineInfo> {
        self.engine(id)
            .or_else(|| self.engine(&self.default_engine))
    }
}

/// One call of `generate_image`. The request id is made by the browser so that it can cancel the
/// call and drop late answers; the seed likewise, so a regenerate is a new picture.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerateRequest {
    pub request_id: String,
    pub engine: String,
    /// One of the engine's models; empty for its default.
    #[serde(default)]
    pub model: String,
    pub prompt: String,
    pub size: String,
    pub quality: Option<String>,
    pub seed: u64,
    /// Feedback texts, oldest first, that led from the first picture to this one.
    pub refinements: Vec<String>,
    /// The attempt this one refines, when it is a refinement.
    pub parent: Option<ParentImage>,
}

/// Enough about an earlier picture for a provider to build on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParentImage {
    /// What the engine that made the picture handed back for building on it, if anything.
    #[serde(default)]
    pub continuation: Option<Continuation>,
    pub seed: u64,
}

/// What an engine needs to build on a picture it made (OpenAI's response and image-call ids, a
/// Replicate prediction id). Opaque to everyone but that engine: the browser stores it and sends
/// it back with a refinement, and only an engine whose id matches reads `token`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Continuation {
    pub engine: String,
    pub token: String,
}

/// A finished picture and how it was made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneratedImage {
    pub mime: String,
    /// Base64 of the image file (with its provenance chunk). `Arc` because these are megabytes.
    /// In the studio's stage it is empty: the page turns the picture into a Blob as the answer
    /// arrives (`ui::generation`) and keeps only the metadata here.
    pub b64: Arc<str>,
    pub engine: String,
    pub provider: String,
    pub model: String,
    pub size: String,
    pub quality: Option<String>,
    pub revised_prompt: Option<String>,
    pub elapsed_ms: u64,
    /// Provider calls made, including retries (1 = no retry needed).
    pub provider_calls: u32,
    /// How the engine can build on this picture in a refinement; `None` when it cannot.
    #[serde(default)]
    pub continuation: Option<Continuation>,
    pub seed: u64,
    /// Unix seconds when the server finished the picture.
    pub created_at: u64,
}

impl GeneratedImage {
    pub fn retries(&self) -> u32 {
        self.provider_calls.saturating_sub(1)
    }
}

/// The options that survive a switch to `model`: what it also offers is kept, the rest becomes
/// its default, and `dropped` says what changed, for the person to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CarriedOptions {
    pub size: String,
    pub quality: Option<String>,
    pub dropped: Option<String>,
}

pub fn carry_options(model: &ModelInfo, size: &str, quality: Option<&str>) -> CarriedOptions {
    let mut changes = Vec::new();
    let size = if model.sizes.iter().any(|s| s == size) {
        size.to_string()
    } else {
        if !size.is_empty() {
            changes.push(format!("size {size} → {}", model.default_size));
        }
        model.default_size.clone()
    };
    let quality = match quality {
        Some(q) if model.qualities.iter().any(|offered| offered == q) => Some(q.to_string()),
        Some(q) => {
            let replacement = model.default_quality.as_deref().unwrap_or("none");
            changes.push(format!("quality {q} → {replacement}"));
            model.default_quality.clone()
        }
        None => model.default_quality.clone(),
    };
    let dropped = (!changes.is_empty()).then(|| {
        format!(
            "{} does not offer everything you chose: {}.",
            model.id,
            changes.join(", ")
        )
    });
    CarriedOptions {
        size,
        quality,
        dropped,
    }
}

/// Checks a prompt or feedback text against an engine's limit. Shared so the browser refuses
/// what the server would refuse, with the same words.
pub fn validate_text(
    field: &str,
    text: &str,
    max_chars: usize,
    provider: &str,
) -> Result<(), AppError> {
    let length = text.chars().count();
    if text.chars().all(is_invisible) {
        return Err(AppError::InvalidInput {
            field: field.to_string(),
            message: format!("The {field} is empty: describe the picture you want."),
        });
    }
    if length > max_chars {
        return Err(AppError::InvalidInput {
            field: field.to_string(),
            message: format!(
                "The {field} is {length} characters long; {provider} accepts at most {max_chars}."
            ),
        });
    }
    Ok(())
}

/// Whitespace and the characters that print as nothing (zero-width spaces and joiners, the
/// byte-order mark, soft hyphens, direction marks, Hangul fillers): a prompt of only these is empty.
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{3164}'
                | '\u{FEFF}'
                | '\u{FFA0}'
        )
}

/// Caps text a caller sent before it is echoed in a message or written to a log.
pub fn shorten(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// How much of an unknown engine, size or quality value a message repeats.
pub const ECHO_CHARS: usize = 40;

/// Validates a whole request against the engine it names and that engine's model.
pub fn validate_request(request: &GenerateRequest, engine: &EngineInfo) -> Result<(), AppError> {
    if let Some(reason) = &engine.unavailable {
        return Err(AppError::Provider {
            failure: crate::error::ProviderFailure::NotConfigured,
            message: reason.clone(),
            provider_calls: 0,
        });
    }
    let model = match engine.models.iter().find(|m| m.id == request.model) {
        Some(model) => model,
        None if request.model.is_empty() => &engine.models[0],
        None => {
            let known: Vec<&str> = engine.models.iter().map(|m| m.id.as_str()).collect();
            return Err(AppError::InvalidInput {
                field: "model".into(),
                message: format!(
                    "{} has no model \"{}\"; choose one of {}.",
                    engine.label,
                    shorten(&request.model, ECHO_CHARS),
                    known.join(", ")
                ),
            });
        }
    };
    let label = engine.label_with(model);
    validate_text(
        "prompt",
        &request.prompt,
        engine.max_prompt_chars,
        &engine.provider,
    )?;
    for feedback in &request.refinements {
        validate_text(
            "feedback",
            feedback,
            engine.max_prompt_chars,
            &engine.provider,
        )?;
    }
    if !model.sizes.contains(&request.size) {
        return Err(AppError::InvalidInput {
            field: "size".into(),
            message: format!(
                "{label} cannot make {} pictures; choose one of {}.",
                shorten(&request.size, ECHO_CHARS),
                model.sizes.join(", ")
            ),
        });
    }
    match &request.quality {
        Some(q) if !model.qualities.contains(q) => Err(AppError::InvalidInput {
            field: "quality".into(),
            message: format!("{label} has no quality \"{}\".", shorten(q, ECHO_CHARS)),
        }),
        _ => Ok(()),
    }
}

/// Engines for the unit tests of every module, built one way.
#[cfg(test)]
pub(crate) mod test_support {
    use super::{EngineInfo, ModelInfo};

    /// An engine `id` named `label` with one model; the first size and quality are the defaults.
    pub fn engine(
        id: &str,
        label: &str,
        model: &str,
        sizes: &[&str],
        qualities: &[&str],
    ) -> EngineInfo {
        let strings = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        EngineInfo {
            id: id.into(),
            label: label.into(),
            provider: label.into(),
            offline: id == "offline",
            unavailable: None,
            max_prompt_chars: 100,
            models: vec![ModelInfo {
                id: model.into(),
                default_size: sizes[0].into(),
                sizes: strings(sizes),
                default_quality: qualities.first().map(|q| q.to_string()),
                qualities: strings(qualities),
            }],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> EngineInfo {
        EngineInfo {
            max_prompt_chars: 10,
            ..test_support::engine(
                "openai",
                "OpenAI",
                "gpt-image-1",
                &["auto", "1024x1024"],
                &["low", "high"],
            )
        }
    }

    fn request(prompt: &str) -> GenerateRequest {
        GenerateRequest {
            request_id: "r1".into(),
            engine: "openai".into(),
            model: String::new(),
            prompt: prompt.into(),
            size: "auto".into(),
            quality: Some("high".into()),
            seed: 1,
            refinements: vec![],
            parent: None,
        }
    }

    #[test]
    fn blank_prompt_is_refused() {
        let err = validate_request(&request("   \n"), &engine()).unwrap_err();
        assert!(err.to_string().contains("prompt is empty"), "{err}");
    }

    #[test]
    fn over_long_prompt_names_the_limit_and_provider() {
        let err = validate_request(&request("ééééééééééé"), &engine()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "The prompt is 11 characters long; OpenAI accepts at most 10."
        );
    }

    #[test]
    fn limit_counts_characters_not_bytes() {
        assert!(validate_request(&request("éééééééééé"), &engine()).is_ok());
    }

    #[test]
    fn unsupported_size_and_quality_are_refused() {
        let mut r = request("a cat");
        r.size = "512x512".into();
        assert!(validate_request(&r, &engine())
            .unwrap_err()
            .to_string()
            .contains("512x512"));
        let mut r = request("a cat");
        r.quality = Some("ultra".into());
        assert!(validate_request(&r, &engine())
            .unwrap_err()
            .to_string()
            .contains("ultra"));
    }

    #[test]
    fn a_prompt_of_only_invisible_characters_is_empty() {
        let err =
            validate_request(&request("\u{200B}\u{200D}\u{FEFF} \u{2060}"), &engine()).unwrap_err();
        assert!(err.to_string().contains("prompt is empty"), "{err}");
        assert!(validate_request(&request("a\u{200B}b"), &engine()).is_ok());
    }

    #[test]
    fn shorten_cuts_at_characters_not_bytes() {
        assert_eq!(shorten("ééé", 2), "éé…");
        assert_eq!(shorten("ab", 2), "ab");
    }

    #[test]
    fn unknown_values_are_echoed_only_in_part() {
        let mut r = request("a cat");
        r.size = "9".repeat(10_000);
        let message = validate_request(&r, &engine()).unwrap_err().to_string();
        assert!(
            message.contains(&format!("{}…", "9".repeat(ECHO_CHARS))),
            "{message}"
        );
        assert!(message.len() < 200, "{message}");
    }

    #[test]
    fn switching_models_keeps_what_still_applies_and_says_what_changed() {
        let model = &engine().models[0];
        let kept = carry_options(model, "1024x1024", Some("high"));
        assert_eq!(
            kept,
            CarriedOptions {
                size: "1024x1024".into(),
                quality: Some("high".into()),
                dropped: None
            }
        );
        let changed = carry_options(model, "512x512", Some("ultra"));
        assert_eq!(
            (changed.size.as_str(), changed.quality.as_deref()),
            ("auto", Some("low"))
        );
        assert_eq!(
            changed.dropped.as_deref(),
            Some("gpt-image-1 does not offer everything you chose: size 512x512 → auto, quality ultra → low.")
        );
        let fresh = carry_options(model, "", None);
        assert_eq!((fresh.size.as_str(), fresh.dropped), ("auto", None));
    }

    #[test]
    fn an_unknown_model_is_refused_and_an_empty_one_means_the_default() {
        let mut r = request("a cat");
        r.model = "gpt-image-9".into();
        let message = validate_request(&r, &engine()).unwrap_err().to_string();
        assert_eq!(
            message,
            "OpenAI has no model \"gpt-image-9\"; choose one of gpt-image-1."
        );
        r.model = "gpt-image-1".into();
        assert!(validate_request(&r, &engine()).is_ok());
    }

    #[test]
    fn an_unavailable_engine_says_what_to_set() {
        let engine = EngineInfo {
            unavailable: Some("Set OPENAI_API_KEY on the server to use OpenAI.".into()),
            ..engine()
        };
        let error = validate_request(&request("a cat"), &engine).unwrap_err();
        assert_eq!(error.http_status(), 503);
        assert_eq!(
            error.to_string(),
            "Set OPENAI_API_KEY on the server to use OpenAI."
        );
    }

    #[test]
    fn blank_feedback_is_refused() {
        let mut r = request("a cat");
        r.refinements = vec!["  ".into()];
        assert!(validate_request(&r, &engine())
            .unwrap_err()
            .to_string()
            .contains("feedback is empty"));
    }
}
