//! One module per provider: its routes, scripted steps, request checks and
//! wire shapes. Each answers only from its own script queue.

pub(crate) mod a1111;
pub(crate) mod ark;
pub(crate) mod gemini;
pub(crate) mod ideogram;
pub(crate) mod jimeng;
pub(crate) mod openai;
pub(crate) mod replicate;

use axum::Router;

pub use a1111::A1111Step;
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
        Provider::A1111 => a1111::routes(),
    }
}

/// Whether `provider` answers with image URLs (served under its delivery
/// prefix) rather than only inline base64.
pub(crate) fn hands_out_urls(provider: Provider) -> bool {
    !matches!(provider, Provider::Gemini | Provider::A1111)
}
