//! The wire vocabulary shared by the server and the browser: what a person asks for, what comes
//! back, and what each engine can do. Plain data, no behaviour beyond validation.

use crate::error::AppError;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Id of the built-in engine that needs no key and no network.
pub const OFFLINE_ENGINE: &str = "offline";

/// What one engine offers; the form shows only these choices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineInfo {
    pub id: String,
    /// Shown to people, e.g. "OpenAI · gpt-image-1".
    pub label: String,
    pub provider: String,
    pub model: String,
    /// True for the built-in engine: the UI labels its pictures as offline renders.
    pub offline: bool,
    pub sizes: Vec<String>,
    pub default_size: String,
    /// Empty when the engine has no quality setting.
    pub qualities: Vec<String>,
    pub default_quality: Option<String>,
    pub max_prompt_chars: usize,
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
    /// Base64 of the image file (with its provenance chunk). `Arc` because the stage machine
    /// clones stages and these are megabytes.
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
    pub fn data_url(&self) -> String {
        format!("data:{};base64,{}", self.mime, self.b64)
    }

    pub fn retries(&self) -> u32 {
        self.provider_calls.saturating_sub(1)
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

/// Validates a whole request against the engine it names.
pub fn validate_request(request: &GenerateRequest, engine: &EngineInfo) -> Result<(), AppError> {
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
    if !engine.sizes.contains(&request.size) {
        return Err(AppError::InvalidInput {
            field: "size".into(),
            message: format!(
                "{} cannot make {} pictures; choose one of {}.",
                engine.label,
                shorten(&request.size, ECHO_CHARS),
                engine.sizes.join(", ")
            ),
        });
    }
    match &request.quality {
        Some(q) if !engine.qualities.contains(q) => Err(AppError::InvalidInput {
            field: "quality".into(),
            message: format!(
                "{} has no quality \"{}\".",
                engine.label,
                shorten(q, ECHO_CHARS)
            ),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> EngineInfo {
        EngineInfo {
            id: "openai".into(),
            label: "OpenAI · gpt-image-1".into(),
            provider: "OpenAI".into(),
            model: "gpt-image-1".into(),
            offline: false,
            sizes: vec!["1024x1024".into(), "auto".into()],
            default_size: "auto".into(),
            qualities: vec!["low".into(), "high".into()],
            default_quality: Some("low".into()),
            max_prompt_chars: 10,
        }
    }

    fn request(prompt: &str) -> GenerateRequest {
        GenerateRequest {
            request_id: "r1".into(),
            engine: "openai".into(),
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
    fn blank_feedback_is_refused() {
        let mut r = request("a cat");
        r.refinements = vec!["  ".into()];
        assert!(validate_request(&r, &engine())
            .unwrap_err()
            .to_string()
            .contains("feedback is empty"));
    }
}
