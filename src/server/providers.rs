//! Image providers behind one trait, and the registry the server builds from its settings.
//! Adding a provider is one module here plus one line in `ProviderRegistry::from_settings`.

mod error;
pub mod http;
pub mod offline;
pub mod openai;
mod redact;

pub use error::ProviderError;

use crate::model::{EngineCatalog, EngineInfo, GenerateRequest};
use crate::server::config::Settings;
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
    /// This provider's own token for building on the picture (see `model::Continuation`).
    pub continuation: Option<String>,
    /// The seed the picture was really made with (the offline engine folds feedback into it).
    pub seed: u64,
}

pub trait ImageProvider: Send + Sync {
    fn info(&self) -> &EngineInfo;
    /// One provider call; the caller owns retries, timeouts and cancellation.
    fn generate<'a>(
        &'a self,
        request: &'a GenerateRequest,
    ) -> BoxFuture<'a, Result<ProviderImage, ProviderError>>;
}

/// The engines this server can use, in the order the picker shows them.
pub struct ProviderRegistry {
    providers: Vec<Arc<dyn ImageProvider>>,
    default_engine: String,
}

impl ProviderRegistry {
    /// Real providers are registered only when their key is present, so the picker never offers
    /// one that cannot work. The offline engine is always there, and is the default only when
    /// nothing else is configured.
    pub fn from_settings(settings: &Settings, http: reqwest::Client) -> Self {
        let mut providers: Vec<Arc<dyn ImageProvider>> = Vec::new();
        if let Some(openai) = openai::OpenAiProvider::from_settings(settings, http) {
            providers.push(Arc::new(openai));
        }
        providers.push(Arc::new(offline::OfflineProvider::new(
            settings.limits.max_prompt_chars,
        )));
        Self::new(providers)
    }

    /// The first provider is the default.
    pub fn new(providers: Vec<Arc<dyn ImageProvider>>) -> Self {
        assert!(
            !providers.is_empty(),
            "a registry needs at least one provider"
        );
        let default_engine = providers[0].info().id.clone();
        ProviderRegistry {
            providers,
            default_engine,
        }
    }

    pub fn get(&self, engine: &str) -> Option<&Arc<dyn ImageProvider>> {
        self.providers.iter().find(|p| p.info().id == engine)
    }

    pub fn catalog(&self) -> EngineCatalog {
        EngineCatalog {
            engines: self.providers.iter().map(|p| p.info().clone()).collect(),
            default_engine: self.default_engine.clone(),
        }
    }
}
