//! What every request can reach: settings, providers, the generation flow, generations in
//! progress, and reference images. Built once at start; cheap to clone.

use crate::error::AppError;
use crate::server::access::Access;
use crate::server::admission::Admission;
use crate::server::config::Settings;
use crate::server::flow::Flow;
use crate::server::inflight::InFlight;
use crate::server::nodes::generate_image::{generation_flow, GenerationState};
use crate::server::providers::{ProviderError, ProviderRegistry};
use crate::server::references::upload::Uploads;
use crate::server::references::ReferenceStore;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub settings: Arc<Settings>,
    pub providers: Arc<ProviderRegistry>,
    pub generation: Arc<Flow<GenerationState, ProviderError>>,
    pub inflight: Arc<InFlight>,
    pub admission: Arc<Admission>,
    /// `None` when access control is off.
    pub access: Option<Arc<Access>>,
    /// Uploaded reference images, under the data directory; provider clients read them here.
    pub references: Arc<ReferenceStore>,
    pub uploads: Arc<Uploads>,
    /// Cancelled when the server begins to stop. Answers that last as long as the page wants
    /// (progress streams) end then, so a graceful shutdown waits only for real work.
    pub stopping: CancellationToken,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl AppState {
    pub fn new(leptos_options: LeptosOptions, settings: Settings) -> Result<Self, String> {
        // One client for every provider: one connection pool. No overall timeout here: the retry
        // loop owns attempt timeouts, so they are configurable and testable in one place.
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("proofsheet/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let providers = ProviderRegistry::from_settings(&settings, http)?;
        let references = ReferenceStore::open(&settings.storage.data_dir)?;
        let mut state = Self::with_providers(leptos_options, settings, providers, references);
        state.access = Access::from_settings(&state.settings.access)?;
        Ok(state)
    }

    pub fn with_providers(
        leptos_options: LeptosOptions,
        settings: Settings,
        providers: ProviderRegistry,
        references: ReferenceStore,
    ) -> Self {
        let limits = providers.catalog().engines.into_iter().map(|engine| {
            let limit = settings.generation.limit_for(engine.offline);
            (engine.id, limit)
        });
        let admission = Arc::new(Admission::new(
            limits,
            Duration::from_secs(settings.generation.max_queue_wait_secs),
        ));
        let providers = Arc::new(providers);
        let references = Arc::new(references);
        let generation = Arc::new(generation_flow(
            Arc::clone(&providers),
            Arc::clone(&references),
            settings.retry.policy(),
        ));
        let uploads = Arc::new(Uploads::from_settings(&settings));
        AppState {
            leptos_options,
            settings: Arc::new(settings),
            providers,
            generation,
            inflight: Arc::default(),
            admission,
            access: None,
            references,
            uploads,
            stopping: CancellationToken::new(),
        }
    }
}

/// The state, from inside a server function.
pub fn app_state() -> Result<AppState, AppError> {
    leptos::prelude::use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the server function context");
        AppError::Internal {
            reference: "state".into(),
        }
    })
}
