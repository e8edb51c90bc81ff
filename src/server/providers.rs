//! Image providers behind one trait, and the registry the server builds from the `[[providers]]`
//! entries of its settings. Adding a protocol is one module here plus one line in
//! `ProviderRegistry::from_settings`; adding an engine of a known protocol is configuration.

pub mod a1111;
pub mod ark;
mod error;
mod events;
pub mod gemini;
pub mod http;
pub mod ideogram;
mod json_body;
pub mod offline;
pub mod openai;
pub mod openai_images;
mod redact;
pub mod replicate;

pub use error::ProviderError;

use crate::error::ProviderFailure;
use crate::i18n::Lang;
use crate::model::{EngineCatalog, EngineInfo, GenerateRequest, ModelInfo, Palette};
use crate::server::config::{ProviderSettings, Settings};
use crate::server::references::Reference;
use http::FetchLimits;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A picture as a provider returns it, before provenance is stamped on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderImage {
    pub bytes: Vec<u8>,
    pub mime: String,
    pub model: String,
    pub size: String,
    pub quality: Option<String>,
    pub revised_prompt: Option<String>,
    /// What the model said beside the picture, for engines that answer in words too.
    pub reply: Option<String>,
    /// The prompt as sent, when it differs from the typed one (a palette or feedback in words).
    pub sent_prompt: Option<String>,
    /// This provider's own token for building on the picture (see `model::Continuation`).
    pub continuation: Option<String>,
    /// The seed the picture was really made with (the offline engine folds feedback into it).
    pub seed: u64,
}

pub trait ImageProvider: Send + Sync {
    fn info(&self) -> &EngineInfo;
    /// Why the engine cannot be used, worded in `lang`; `None` when it can.
    fn unavailable_in(&self, _lang: Lang) -> Option<String> {
        None
    }
    /// `info`, with what an unavailable engine lacks worded in `lang`.
    fn info_in(&self, lang: Lang) -> EngineInfo {
        EngineInfo {
            unavailable: self.unavailable_in(lang),
            ..self.info().clone()
        }
    }
    /// One provider call; the caller owns retries, timeouts and cancellation. `references` are
    /// the images `request.references` names, in its order, read once for every attempt.
    fn generate<'a>(
        &'a self,
        request: &'a GenerateRequest,
        references: &'a [Reference],
    ) -> BoxFuture<'a, Result<ProviderImage, ProviderError>>;
}

/// A client of a remote service, one call per attempt. Every such client is an `ImageProvider`
/// the same way: its errors carry the engine's name and key variable, and are cleaned of its key.
pub trait ProviderClient: Send + Sync {
    fn info(&self) -> &EngineInfo;
    fn credentials(&self) -> &http::Credentials;
    fn call<'a>(
        &'a self,
        request: &'a GenerateRequest,
        references: &'a [Reference],
    ) -> impl Future<Output = Result<ProviderImage, ProviderError>> + Send + 'a;
}

impl<T: ProviderClient> ImageProvider for T {
    fn info(&self) -> &EngineInfo {
        ProviderClient::info(self)
    }

    fn generate<'a>(
        &'a self,
        request: &'a GenerateRequest,
        references: &'a [Reference],
    ) -> BoxFuture<'a, Result<ProviderImage, ProviderError>> {
        Box::pin(async move {
            self.call(request, references)
                .await
                .map_err(|e| self.credentials().stamp(e))
        })
    }
}

/// The engines this server can use, in the order the picker shows them.
pub struct ProviderRegistry {
    providers: Vec<Arc<dyn ImageProvider>>,
    default_engine: String,
}

/// The protocols this server speaks, as `kind` names them in `[[providers]]`.
const KINDS: [&str; 8] = [
    "openai-responses",
    "openai-images",
    "gemini",
    "replicate",
    "ideogram",
    "doubao",
    "a1111",
    "offline",
];

impl ProviderRegistry {
    /// One engine per `[[providers]]` entry, in the file's order. An engine whose key is missing
    /// stays listed, unavailable, so the picker can say which variable to set.
    pub fn from_settings(settings: &Settings, http: reqwest::Client) -> Result<Self, String> {
        let providers = settings
            .providers
            .iter()
            .map(|entry| provider_for(entry, &http, settings.limits.result_fetch()))
            .collect::<Result<Vec<_>, String>>()?
            .into_iter()
            .flatten()
            .collect();
        Ok(Self::new(providers))
    }

    /// The default engine is the first one that can be used (the offline engine is always
    /// usable, so it is the default only when no engine before it has its key).
    pub fn new(providers: Vec<Arc<dyn ImageProvider>>) -> Self {
        assert!(
            !providers.is_empty(),
            "a registry needs at least one provider"
        );
        let default_engine = providers
            .iter()
            .find(|p| p.info().unavailable.is_none())
            .unwrap_or(&providers[0])
            .info()
            .id
            .clone();
        ProviderRegistry {
            providers,
            default_engine,
        }
    }

    pub fn get(&self, engine: &str) -> Option<&Arc<dyn ImageProvider>> {
        self.providers.iter().find(|p| p.info().id == engine)
    }

    pub fn catalog(&self) -> EngineCatalog {
        self.catalog_in(Lang::En)
    }

    /// The engines as the picker lists them, what an unavailable one lacks worded in `lang`.
    pub fn catalog_in(&self, lang: Lang) -> EngineCatalog {
        EngineCatalog {
            engines: self.providers.iter().map(|p| p.info_in(lang)).collect(),
            default_engine: self.default_engine.clone(),
            max_upload_bytes: 0,
        }
    }
}

/// The engine of one entry; `None` for a local server whose address is not set (it has no key
/// whose absence the picker could explain, so it is simply not offered).
fn provider_for(
    entry: &ProviderSettings,
    http: &reqwest::Client,
    results: FetchLimits,
) -> Result<Option<Arc<dyn ImageProvider>>, String> {
    let http = http.clone();
    match entry.kind.as_str() {
        "offline" => {
            let info = entry.engine_info(true, None);
            return Ok(Some(Arc::new(offline::OfflineProvider::new(info))));
        }
        "a1111" if entry.base_url.is_empty() => return Ok(None),
        "a1111" => return Ok(Some(Arc::new(a1111::A1111Provider::new(entry, http)))),
        kind if !KINDS.contains(&kind) => {
            return Err(format!(
                "providers.{}: unknown kind {kind:?}; this server speaks {}",
                entry.id,
                KINDS.join(", ")
            ))
        }
        _ => {}
    }
    let Some(api_key) = entry.api_key.clone() else {
        let info = entry.engine_info(false, Some(entry.missing_key(Lang::En)));
        let entry = entry.clone();
        return Ok(Some(Arc::new(Unavailable { info, entry })));
    };
    let fetcher = || entry.result_fetcher(results);
    let provider: Arc<dyn ImageProvider> = match entry.kind.as_str() {
        "gemini" => Arc::new(gemini::GeminiProvider::new(entry, api_key, http)),
        "openai-images" => Arc::new(openai_images::OpenAiImagesProvider::new(
            entry,
            api_key,
            http,
            fetcher()?,
        )),
        "doubao" => Arc::new(ark::ArkProvider::new(entry, api_key, http, fetcher()?)),
        "ideogram" => Arc::new(ideogram::IdeogramProvider::new(
            entry,
            api_key,
            http,
            fetcher()?,
        )),
        "replicate" => Arc::new(replicate::ReplicateProvider::new(
            entry,
            api_key,
            http,
            fetcher()?,
        )),
        _ => Arc::new(openai::OpenAiProvider::new(entry, api_key, http)),
    };
    Ok(Some(provider))
}

/// The words a provider receives: the prompt; a custom palette, when the model has no field for
/// one; and the feedback that led to this attempt, for engines that cannot build on an earlier
/// picture of theirs.
pub fn prompt_in_words(request: &GenerateRequest, model: &ModelInfo) -> String {
    let mut text = request.prompt.clone();
    if let (Some(Palette::Custom(swatches)), false) =
        (&request.styling.palette, model.custom_palette)
    {
        let colours: Vec<String> = swatches
            .iter()
            .map(|s| format!("{} ({}%)", s.hex, s.weight))
            .collect();
        text.push_str(&format!("\n\nColour palette: {}.", colours.join(", ")));
    }
    if !request.refinements.is_empty() {
        text.push_str(&format!(
            "\n\nChanges to make: {}",
            request.refinements.join("; ")
        ));
    }
    text
}

/// The prompt as sent, for the attempt's details, when it is not the one the person typed.
pub fn sent_if_changed(request: &GenerateRequest, sent: &str) -> Option<String> {
    (sent != request.prompt).then(|| sent.to_string())
}

/// An engine that is configured but cannot be used here (its key is missing). It stays in the
/// catalog so the picker can say why; requests for it are refused before reaching it.
struct Unavailable {
    info: EngineInfo,
    entry: ProviderSettings,
}

impl ImageProvider for Unavailable {
    fn info(&self) -> &EngineInfo {
        &self.info
    }

    fn unavailable_in(&self, lang: Lang) -> Option<String> {
        Some(self.entry.missing_key(lang))
    }

    fn generate<'a>(
        &'a self,
        _request: &'a GenerateRequest,
        _references: &'a [Reference],
    ) -> BoxFuture<'a, Result<ProviderImage, ProviderError>> {
        let reason = self.info.unavailable.clone().unwrap_or_default();
        Box::pin(async move { Err(ProviderError::new(ProviderFailure::NotConfigured, reason)) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{test_support, Swatch};

    fn request() -> GenerateRequest {
        GenerateRequest {
            request_id: "w1".into(),
            engine: "gemini".into(),
            model: String::new(),
            prompt: "a lighthouse".into(),
            size: "16:9".into(),
            quality: None,
            seed: 1,
            styling: Default::default(),
            refinements: vec![],
            parent: None,
            references: vec![],
        }
    }

    #[test]
    fn a_palette_without_a_field_and_the_feedback_travel_as_words() {
        let engine = test_support::engine("gemini", "Gemini", "g", &["16:9"], &[]);
        let model = &engine.models[0];
        let mut request = request();
        assert_eq!(prompt_in_words(&request, model), "a lighthouse");
        assert_eq!(sent_if_changed(&request, "a lighthouse"), None);
        request.styling.palette = Some(Palette::Custom(vec![
            Swatch {
                hex: "#b470b3".into(),
                weight: 60,
            },
            Swatch {
                hex: "#ffd700".into(),
                weight: 40,
            },
        ]));
        request.refinements = vec!["warmer".into(), "no text".into()];
        let words = prompt_in_words(&request, model);
        assert_eq!(
            words,
            "a lighthouse\n\nColour palette: #b470b3 (60%), #ffd700 (40%).\n\nChanges to make: warmer; no text"
        );
        assert_eq!(
            sent_if_changed(&request, &words).as_deref(),
            Some(words.as_str())
        );
    }

    #[test]
    fn a_model_with_a_palette_field_gets_no_palette_words() {
        let mut engine = test_support::engine("ideogram", "Ideogram", "v3", &["1x1"], &[]);
        engine.models[0].custom_palette = true;
        let mut request = request();
        request.styling.palette = Some(Palette::Custom(vec![Swatch {
            hex: "#fff".into(),
            weight: 100,
        }]));
        assert_eq!(prompt_in_words(&request, &engine.models[0]), "a lighthouse");
    }
}
