//! One module per provider: its routes, scripted steps, request checks and
//! wire shapes. Each answers only from its own script queue.

pub(crate) mod ark;
pub(crate) mod gemini;
pub(crate) mod ideogram;
pub(crate) mod jimeng;
pub(crate) mod openai;
pub(crate) mod replicate;

use axum::Router;

pub use ark::ArkStep;
pub use gemini::GeminiStep;
pub use ideogram::IdeogramStep;
pub use jimeng::JimengStep;
pub use openai::OpenAiStep;
pub use replicate::ReplicateStep;

use crate::state::MockState;
use crate::Provider;

/// `provider`'s API routes, relative to its prefix.
pub(crate) fn routes(provider: Provider) -> Router<MockState> {
    match provider {
        Provider::OpenAi => openai::routes(),
        Provider::Jimeng => jimeng::routes(),
        Provider::Gemini => gemini::routes(),
        Provider::Replicate => replicate::routes(),
        Provider::Ideogram => ideogram::routes(),
        Provider::Ark => ark::routes(),
        // Not served yet: the server-wide 404 answers.
        _ => Router::new(),
    }
}

/// Whether `provider` answers with image URLs (served under its delivery
/// prefix) rather than only inline base64.
pub(crate) fn hands_out_urls(provider: Provider) -> bool {
    !matches!(provider, Provider::Gemini | Provider::A1111)
}
