//! The wire vocabulary shared by the server and the browser: what a person asks for, what comes
//! back, and what each engine can do. Plain data, no behaviour beyond validation.

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::i18n::server::Unoffered;
use crate::i18n::Text;
use crate::price::{Price, Prices};
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
#[serde(deny_unknown_fields)]
pub struct ModelInfo {
    pub id: String,
    pub sizes: Vec<String>,
    #[serde(default)]
    pub default_size: String,
    /// Empty when the model has no quality setting.
    #[serde(default)]
    pub qualities: Vec<String>,
    #[serde(default)]
    pub default_quality: Option<String>,
    /// What the form calls the quality and style choices when the model means something more
    /// precise ("Rendering speed", "Steps"; "Sampler"); `None` for "Quality" and "Style".
    #[serde(default)]
    pub quality_label: Option<String>,
    #[serde(default)]
    pub style_label: Option<String>,
    /// Whether the seed is sent (a regenerate then differs by seed alone).
    #[serde(default)]
    pub seed: bool,
    #[serde(default)]
    pub negative_prompt: bool,
    /// Style presets the model takes; empty when it has none.
    #[serde(default)]
    pub styles: Vec<String>,
    /// Named palettes the model takes; a custom palette goes to a model with `custom_palette`,
    /// and into the prompt's words for any other.
    #[serde(default)]
    pub palette_presets: Vec<String>,
    #[serde(default)]
    pub custom_palette: bool,
    /// The public price list, when known.
    #[serde(default)]
    pub prices: Option<Prices>,
    /// How many reference images the model takes with a prompt; 0 when it takes none.
    #[serde(default)]
    pub max_references: u32,
    /// The largest reference image the provider takes, in bytes (Ark: 10 MB each); 0 when it
    /// sets no limit of its own.
    #[serde(default)]
    pub max_reference_bytes: u64,
    /// The most all of a request's reference images may weigh together (Ideogram: 10 MB); 0
    /// when there is no such limit.
    #[serde(default)]
    pub max_reference_total_bytes: u64,
    /// How many rough previews the provider streams while it draws (OpenAI's
    /// `partial_images`, 0–3); 0 asks for the finished picture alone.
    #[serde(default)]
    pub partial_images: u8,
}

impl ModelInfo {
    /// What one picture at `quality` costs, previews included; `None` when the price is unknown.
    pub fn price(&self, quality: Option<&str>) -> Option<Price> {
        self.prices.as_ref()?.of(quality, self.partial_images)
    }
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
    /// The largest reference image upload the server takes, so the page can refuse a larger
    /// file before sending it; 0 when not said.
    #[serde(default)]
    pub max_upload_bytes: u64,
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
    /// Negative prompt, style preset and colour palette; absent means none.
    #[serde(default)]
    pub styling: Styling,
    /// Feedback texts, oldest first, that led from the first picture to this one.
    pub refinements: Vec<String>,
    /// The attempt this one refines, when it is a refinement.
    pub parent: Option<ParentImage>,
    /// Reference images, by the ids `POST /api/references` answered, in the order the model
    /// should see them; at most the model's `max_references`.
    #[serde(default)]
    pub references: Vec<String>,
}

/// What a running generation is doing, as `GET /api/generation_progress` says and the page shows
/// while it waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Progress {
    /// Waiting for a turn: the engine is running as many generations as it may.
    Waiting,
    /// Sent to the provider, which says nothing more until the picture comes.
    Sent,
    /// The provider is starting the model (Replicate's `starting`: a cold model can take a while).
    Starting,
    /// The provider is making the picture (Replicate's `processing`).
    Processing,
    /// Waiting in a local AUTOMATIC1111 server's own queue behind others' jobs: `position` of
    /// the `of` jobs waiting there.
    Queued { position: u16, of: u16 },
    /// A local AUTOMATIC1111 server's job is this far along. A server without its web UI
    /// (`--nowebui`), or older than 1.6, tells only how far the job it runs is, which on a server
    /// others use too may be theirs.
    Rendering { percent: u8 },
    /// The provider has sent `number` rough previews of the picture so far; the newest is at
    /// `GET /api/generation_preview/{request_id}`.
    Preview { number: u8 },
}

/// One event of `GET /api/generation_events`: the generation `id` is now doing `progress`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressEvent {
    pub id: String,
    pub progress: Progress,
}

/// What `POST /api/references` answers: a reference image as the server stored it (upright, no
/// larger than its side limit). `id` is the SHA-256 of the stored bytes, which `bytes` counts;
/// `original_bytes` counts what was uploaded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceImage {
    pub id: String,
    pub mime: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    pub original_bytes: u64,
}

/// What is wrong with an id `is_reference_id` refuses, echoing only its start.
pub fn malformed_reference_id(id: &str) -> String {
    format!(
        "\"{}\" is not a reference image id (64 hex digits, as POST /api/references answers).",
        shorten(id, ECHO_CHARS)
    )
}

/// "20 MB", "28.6 MB": decimal megabytes, as file managers show sizes.
pub fn megabytes(bytes: u64) -> String {
    format!("{} MB", millions(bytes))
}

/// A count in millions with at most one decimal: 50, 28.6, 10000.
pub fn millions(count: u64) -> String {
    let tenths = (count as f64 / 100_000.0).round() as u64;
    match tenths % 10 {
        0 => format!("{}", tenths / 10),
        decimal => format!("{}.{decimal}", tenths / 10),
    }
}

/// A reference image id as the server makes them: 64 lowercase hex digits (a SHA-256). Checked
/// before an id reaches a file name or a message.
pub fn is_reference_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// How a picture should look beyond its prompt. A model that has a field for a choice gets it
/// there; a palette for a model without one is written into the prompt.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Styling {
    #[serde(default)]
    pub negative_prompt: Option<String>,
    /// One of the model's `styles`.
    #[serde(default)]
    pub style: Option<String>,
    #[serde(default)]
    pub palette: Option<Palette>,
}

/// A colour palette: one of the model's named presets, or swatches with weights.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Palette {
    Preset(String),
    Custom(Vec<Swatch>),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Swatch {
    /// `#rgb` or `#rrggbb`.
    pub hex: String,
    /// 5 to 100 (per cent); heavier swatches first.
    pub weight: u8,
}

/// A prompt people fill in rather than write (seed 003's agent thumbnail): its text has
/// `{slot}` places, and it suggests a size, a style and a palette, which the form applies where
/// the chosen model offers them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    pub id: String,
    pub name: String,
    pub text: String,
    #[serde(default)]
    pub size: Option<String>,
    #[serde(default)]
    pub style: Option<String>,
    #[serde(default)]
    pub palette: Option<Palette>,
}

impl Template {
    /// The `{slot}` names in the text, in order, each once.
    pub fn slots(&self) -> Vec<String> {
        let mut slots: Vec<String> = Vec::new();
        for piece in self.text.split('{').skip(1) {
            if let Some((name, _)) = piece.split_once('}') {
                let plain =
                    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if plain && !slots.iter().any(|s| s == name) {
                    slots.push(name.to_string());
                }
            }
        }
        slots
    }

    /// The text with each `{slot}` replaced by its value (an empty value leaves it empty).
    pub fn fill(&self, values: &[(String, String)]) -> String {
        values
            .iter()
            .fold(self.text.clone(), |text, (slot, value)| {
                text.replace(&format!("{{{slot}}}"), value.trim())
            })
    }
}

/// Reads "#000030, #1C0C47 #9900FF" as a custom palette, the first colour weighing most (as
/// Ideogram recommends), or says which entry is not a colour.
pub fn palette_from_text(text: &str) -> Result<Option<Palette>, AppError> {
    let colours: Vec<&str> = text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .collect();
    if colours.is_empty() {
        return Ok(None);
    }
    // 100 for the first colour, then evenly down to 20 for the last.
    let step = if colours.len() > 1 {
        80 / (colours.len() - 1)
    } else {
        0
    };
    let swatches: Vec<Swatch> = colours
        .iter()
        .enumerate()
        .map(|(i, hex)| Swatch {
            hex: hex.to_string(),
            weight: (100 - step * i).min(100) as u8,
        })
        .collect();
    validate_swatches(&swatches)?;
    Ok(Some(Palette::Custom(swatches)))
}

/// How many swatches a custom palette may have (Ideogram's limit, providers.md §5.2).
pub const MAX_SWATCHES: usize = 8;

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
    /// What the model said beside the picture (Gemini answers in words too).
    #[serde(default)]
    pub reply: Option<String>,
    /// The prompt as the provider received it, when it is not the typed one.
    #[serde(default)]
    pub sent_prompt: Option<String>,
    /// Why another engine made this picture, when the chosen one failed and its fallback ran.
    #[serde(default)]
    pub fallback: Option<String>,
    /// What the picture cost by the model's price list; `None` when its price is unknown.
    #[serde(default)]
    pub cost: Option<Price>,
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
/// its default, and `changes` says what changed, for the person to read (`dropped`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CarriedOptions {
    pub size: String,
    pub quality: Option<String>,
    pub changes: Vec<Change>,
}

/// A chosen option the new model does not offer, and what it became (`None`: nothing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub option: ChangedOption,
    pub from: String,
    pub to: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangedOption {
    Size,
    Quality,
}

impl CarriedOptions {
    /// What the switch to `model` changed, in the page's words; `None` when nothing did.
    pub fn dropped(&self, model: &str, t: &Text) -> Option<String> {
        (!self.changes.is_empty()).then(|| (t.options_dropped)(model, &self.changes))
    }
}

pub fn carry_options(model: &ModelInfo, size: &str, quality: Option<&str>) -> CarriedOptions {
    let mut changes = Vec::new();
    let size = if model.sizes.iter().any(|s| s == size) {
        size.to_string()
    } else {
        if !size.is_empty() {
            changes.push(Change {
                option: ChangedOption::Size,
                from: size.to_string(),
                to: Some(model.default_size.clone()),
            });
        }
        model.default_size.clone()
    };
    let quality = match quality {
        Some(q) if model.qualities.iter().any(|offered| offered == q) => Some(q.to_string()),
        Some(q) => {
            changes.push(Change {
                option: ChangedOption::Quality,
                from: q.to_string(),
                to: model.default_quality.clone(),
            });
            model.default_quality.clone()
        }
        None => model.default_quality.clone(),
    };
    CarriedOptions {
        size,
        quality,
        changes,
    }
}

/// Checks a prompt or feedback text against an engine's limit. Shared so the browser refuses
/// what the server would refuse, with the same words.
pub fn validate_text(
    field: &str,
    text: &str,
    max_chars: usize,
    provider: &str,
    t: &Text,
) -> Result<(), AppError> {
    let length = text.chars().count();
    if text.chars().all(is_invisible) {
        return Err(AppError::InvalidInput {
            field: field.to_string(),
            message: (t.text_empty)(field),
        });
    }
    if length > max_chars {
        return Err(AppError::InvalidInput {
            field: field.to_string(),
            message: (t.text_too_long)(field, length, provider, max_chars),
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

/// Validates a whole request against the engine it names and that engine's model. Server-only:
/// its refusals are worded in the request's language by the server's catalogue.
#[cfg(feature = "ssr")]
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
            let asked = shorten(&request.model, ECHO_CHARS);
            let known = known.join(", ");
            let what = Unoffered::Model { asked, known };
            return Err(invalid("model", unoffered(&engine.label, &what)));
        }
    };
    let label = engine.label_with(model);
    let t = crate::i18n::server::language().text();
    let (max_chars, provider) = (engine.max_prompt_chars, &engine.provider);
    validate_text("prompt", &request.prompt, max_chars, provider, t)?;
    for feedback in &request.refinements {
        validate_text("feedback", feedback, max_chars, provider, t)?;
    }
    if !model.sizes.contains(&request.size) {
        let asked = shorten(&request.size, ECHO_CHARS);
        let offered = model.sizes.join(", ");
        return Err(invalid(
            "size",
            unoffered(&label, &Unoffered::Size { asked, offered }),
        ));
    }
    if let Some(q) = &request.quality {
        if !model.qualities.contains(q) {
            let asked = shorten(q, ECHO_CHARS);
            return Err(invalid(
                "quality",
                unoffered(&label, &Unoffered::Quality { asked }),
            ));
        }
    }
    validate_styling(&request.styling, model, &label, engine, t)?;
    validate_references(&request.references, model, &label, t)
}

/// What a model does not offer, in the language of the request being answered.
#[cfg(feature = "ssr")]
fn unoffered(label: &str, what: &Unoffered) -> String {
    (crate::i18n::server::language().server_text().unoffered)(label, what)
}

/// As many reference ids as the model takes, each one well formed. (Whether the server still has
/// them is for the server to say.) The page checks the draft's references with it as they change.
pub fn validate_references(
    references: &[String],
    model: &ModelInfo,
    label: &str,
    t: &Text,
) -> Result<(), AppError> {
    let max = model.max_references as usize;
    if references.len() > max {
        let message = (t.too_many_references)(label, max, references.len());
        return Err(invalid("references", message));
    }
    match references.iter().find(|id| !is_reference_id(id)) {
        Some(bad) => Err(invalid("references", malformed_reference_id(bad))),
        None => Ok(()),
    }
}

/// References no heavier than the model takes, each and together; `sizes` are the stored bytes
/// of each, in the request's order. (Stored references are at most 2048 pixels a side, but a
/// detailed PNG that size can still pass 10 MB.)
#[cfg(feature = "ssr")]
pub fn validate_reference_sizes(
    sizes: &[u64],
    model: &ModelInfo,
    label: &str,
) -> Result<(), AppError> {
    let each = model.max_reference_bytes;
    if let Some((n, size)) = sizes
        .iter()
        .enumerate()
        .find(|(_, s)| each > 0 && **s > each)
    {
        let what = Unoffered::HeavyReference {
            number: n + 1,
            size: megabytes(*size),
            each: megabytes(each),
        };
        return Err(invalid("references", unoffered(label, &what)));
    }
    let total: u64 = sizes.iter().sum();
    let limit = model.max_reference_total_bytes;
    if limit > 0 && total > limit {
        let what = Unoffered::HeavyReferences {
            total: megabytes(total),
            limit: megabytes(limit),
        };
        return Err(invalid("references", unoffered(label, &what)));
    }
    Ok(())
}

fn invalid(field: &str, message: String) -> AppError {
    AppError::InvalidInput {
        field: field.into(),
        message,
    }
}

/// The negative prompt, style and palette against what the model takes.
#[cfg(feature = "ssr")]
fn validate_styling(
    styling: &Styling,
    model: &ModelInfo,
    label: &str,
    engine: &EngineInfo,
    t: &Text,
) -> Result<(), AppError> {
    if let Some(negative) = &styling.negative_prompt {
        if !model.negative_prompt {
            let words = unoffered(label, &Unoffered::NegativePrompt);
            return Err(invalid("negative_prompt", words));
        }
        let (max_chars, provider) = (engine.max_prompt_chars, &engine.provider);
        validate_text("negative prompt", negative, max_chars, provider, t)
            .map_err(|e| invalid("negative_prompt", e.to_string()))?;
    }
    if let Some(style) = &styling.style {
        if !model.styles.contains(style) {
            let asked = shorten(style, ECHO_CHARS);
            let offered = model.styles.join(", ");
            return Err(invalid(
                "style",
                unoffered(label, &Unoffered::Style { asked, offered }),
            ));
        }
    }
    match &styling.palette {
        Some(Palette::Preset(name)) if !model.palette_presets.contains(name) => {
            let asked = shorten(name, ECHO_CHARS);
            Err(invalid(
                "palette",
                unoffered(label, &Unoffered::Palette { asked }),
            ))
        }
        Some(Palette::Custom(swatches)) => validate_swatches(swatches),
        _ => Ok(()),
    }
}

pub(crate) fn validate_swatches(swatches: &[Swatch]) -> Result<(), AppError> {
    if swatches.is_empty() || swatches.len() > MAX_SWATCHES {
        return Err(invalid(
            "palette",
            format!(
                "A palette has 1 to {MAX_SWATCHES} colours, not {}.",
                swatches.len()
            ),
        ));
    }
    for swatch in swatches {
        let digits = swatch.hex.strip_prefix('#').unwrap_or("x");
        let hex = matches!(digits.len(), 3 | 6) && digits.chars().all(|c| c.is_ascii_hexdigit());
        if !hex {
            return Err(invalid(
                "palette",
                format!(
                    "\"{}\" is not a colour; write it as #rgb or #rrggbb.",
                    shorten(&swatch.hex, ECHO_CHARS)
                ),
            ));
        }
        if !(5..=100).contains(&swatch.weight) {
            return Err(invalid(
                "palette",
                format!("Colour weights run from 5 to 100, not {}.", swatch.weight),
            ));
        }
    }
    Ok(())
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
                quality_label: None,
                style_label: None,
                seed: true,
                negative_prompt: false,
                styles: Vec::new(),
                palette_presets: Vec::new(),
                custom_palette: false,
                prices: None,
                max_references: 0,
                max_reference_bytes: 0,
                max_reference_total_bytes: 0,
                partial_images: 0,
            }],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_a_person_writes_them() {
        assert_eq!(megabytes(20_000_000), "20 MB");
        assert_eq!(megabytes(28_649_000), "28.6 MB");
        assert_eq!(millions(10_000_000_000), "10000");
        assert_eq!(millions(49_990_000), "50");
    }

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
            styling: Default::default(),
            refinements: vec![],
            parent: None,
            references: vec![],
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
                changes: Vec::new()
            }
        );
        let changed = carry_options(model, "512x512", Some("ultra"));
        assert_eq!(
            (changed.size.as_str(), changed.quality.as_deref()),
            ("auto", Some("low"))
        );
        assert_eq!(
            changed.dropped(&model.id, crate::i18n::Lang::En.text()).as_deref(),
            Some("gpt-image-1 does not offer everything you chose: size 512x512 → auto, quality ultra → low.")
        );
        assert_eq!(
            changed
                .dropped(&model.id, crate::i18n::Lang::ZhCn.text())
                .as_deref(),
            Some("gpt-image-1 不支持你选的全部选项：尺寸 512x512 → auto，质量 ultra → low。")
        );
        let fresh = carry_options(model, "", None);
        assert_eq!(fresh.size.as_str(), "auto");
        assert_eq!(fresh.dropped(&model.id, crate::i18n::Lang::En.text()), None);
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
    fn styling_is_checked_against_what_the_model_takes() {
        let mut r = request("a cat");
        r.styling.negative_prompt = Some("blur".into());
        assert_eq!(
            validate_request(&r, &engine()).unwrap_err().to_string(),
            "OpenAI · gpt-image-1 takes no negative prompt; describe what to avoid in the prompt."
        );
        let mut r = request("a cat");
        r.styling.style = Some("ANIME".into());
        assert!(validate_request(&r, &engine())
            .unwrap_err()
            .to_string()
            .contains("has no style \"ANIME\""));
        let mut r = request("a cat");
        r.styling.palette = Some(Palette::Preset("EMBER".into()));
        assert!(
            validate_request(&r, &engine()).is_err(),
            "no presets on this model"
        );
        r.styling.palette = Some(Palette::Custom(vec![Swatch {
            hex: "#b470b3".into(),
            weight: 60,
        }]));
        assert!(
            validate_request(&r, &engine()).is_ok(),
            "custom colours go into the prompt"
        );
    }

    #[test]
    fn custom_palettes_need_real_colours_and_weights() {
        let swatch = |hex: &str, weight| Swatch {
            hex: hex.into(),
            weight,
        };
        assert!(validate_swatches(&[swatch("#fff", 100), swatch("#0a0B0c", 5)]).is_ok());
        for bad in [
            vec![],
            vec![swatch("red", 50)],
            vec![swatch("#12345", 50)],
            vec![swatch("#123456", 0)],
            vec![swatch("#123", 50); 9],
        ] {
            assert!(validate_swatches(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn templates_name_their_slots_once_and_fill_them() {
        let template = Template {
            id: "t".into(),
            name: "T".into(),
            text: "featuring \"{name}\": a {description}, clearly a {name}. {not a slot}".into(),
            size: None,
            style: None,
            palette: None,
        };
        assert_eq!(template.slots(), ["name", "description"]);
        let filled = template.fill(&[
            ("name".into(), " Scout ".into()),
            ("description".into(), "research agent".into()),
        ]);
        assert_eq!(
            filled,
            "featuring \"Scout\": a research agent, clearly a Scout. {not a slot}"
        );
    }

    #[test]
    fn typed_colours_become_a_palette_weighted_first_to_last() {
        let palette = palette_from_text("#000030, #1C0C47 #9900FF,#4285F4 #FFFFFF").unwrap();
        let Some(Palette::Custom(swatches)) = palette else {
            panic!("{palette:?}")
        };
        let weights: Vec<u8> = swatches.iter().map(|s| s.weight).collect();
        assert_eq!(weights, [100, 80, 60, 40, 20]);
        assert_eq!(palette_from_text("  ").unwrap(), None);
        let error = palette_from_text("#000030, teal").unwrap_err();
        assert_eq!(
            error.to_string(),
            "\"teal\" is not a colour; write it as #rgb or #rrggbb."
        );
    }

    #[test]
    fn references_heavier_than_the_provider_takes_are_refused_each_and_together() {
        let mut model = engine().models.remove(0);
        let sizes = [3_000_000, 12_400_000];
        assert!(
            validate_reference_sizes(&sizes, &model, "Doubao").is_ok(),
            "no limit set"
        );
        model.max_reference_bytes = 10_000_000;
        assert_eq!(
            validate_reference_sizes(&sizes, &model, "Doubao")
                .unwrap_err()
                .to_string(),
            "Doubao takes reference images of at most 10 MB each; reference 2 is 12.4 MB. Remove \
             it, or upload a smaller copy (a JPEG is usually far smaller)."
        );
        model.max_reference_bytes = 0;
        model.max_reference_total_bytes = 10_000_000;
        let error = validate_reference_sizes(&sizes, &model, "Ideogram").unwrap_err();
        assert!(
            matches!(&error, AppError::InvalidInput { field, .. } if field == "references"),
            "{error:?}"
        );
        assert!(
            error.to_string().contains("these come to 15.4 MB"),
            "{error}"
        );
        assert!(validate_reference_sizes(&[4_000_000, 6_000_000], &model, "Ideogram").is_ok());
    }

    #[test]
    fn references_are_counted_against_the_model_and_must_be_ids() {
        let id = "ab".repeat(32);
        let mut r = request("a cat");
        r.references = vec![id.clone()];
        assert_eq!(
            validate_request(&r, &engine()).unwrap_err().to_string(),
            "OpenAI · gpt-image-1 takes no reference images; remove 1 of the 1."
        );
        let mut engine = engine();
        engine.models[0].max_references = 2;
        r.references = vec![id.clone(), id.clone(), id.clone()];
        assert_eq!(
            validate_request(&r, &engine).unwrap_err().to_string(),
            "OpenAI · gpt-image-1 takes at most 2 reference images; remove 1 of the 3."
        );
        r.references = vec![id.clone(), "AB".repeat(32)];
        let error = validate_request(&r, &engine).unwrap_err();
        assert!(
            matches!(&error, AppError::InvalidInput { field, .. } if field == "references"),
            "{error:?}"
        );
        assert!(error.to_string().contains("is not a reference image id"));
        r.references = vec![id];
        assert!(validate_request(&r, &engine).is_ok());
    }

    #[test]
    fn reference_ids_are_64_lowercase_hex_digits() {
        assert!(is_reference_id(&"0f".repeat(32)));
        for bad in [
            String::new(),
            "0f".repeat(31),
            "0F".repeat(32),
            format!("{}g", "0".repeat(63)),
            format!("../{}", "0".repeat(61)),
        ] {
            assert!(!is_reference_id(&bad), "{bad}");
        }
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
