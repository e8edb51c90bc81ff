//! What `generate_image` does on the server: check the request, run the generation flow, and
//! turn its outcome into the picture or an error a person can act on.

use crate::error::AppError;
use crate::i18n::server::{language, BusyReason};
use crate::model::{
    shorten, validate_reference_sizes, validate_request, GenerateRequest, GeneratedImage, Progress,
    ECHO_CHARS,
};
use crate::server::admission::Refusal;
use crate::server::fallback::{plan, Plan};
use crate::server::flow::{Attempts, FlowError};
use crate::server::http::error_response::internal;
use crate::server::inflight::report;
use crate::server::nodes::generate_image::{GenerationState, MadeImage};
use crate::server::provenance::ReferenceRecord;
use crate::server::providers::ProviderError;
use crate::server::state::AppState;
use tracing::Instrument;

/// The picture with its file in base64, as the JSON API answers it.
pub async fn generate(
    state: &AppState,
    request: GenerateRequest,
) -> Result<GeneratedImage, AppError> {
    generate_file(state, request)
        .await
        .map(MadeImage::with_base64)
}

/// The picture and its file apart (`server::http::generate_picture` sends the file as bytes).
pub async fn generate_file(
    state: &AppState,
    request: GenerateRequest,
) -> Result<MadeImage, AppError> {
    check_request_id(&request.request_id)?;
    let provider = state
        .providers
        .get(&request.engine)
        .ok_or_else(|| unknown_engine(state, &request.engine))?;
    // What an engine without its key lacks, said in the request's language.
    let info = &provider.info_in(language());
    validate_request(&request, info)?;
    let references = stored_references(state, &request.references).await?;
    let model = info.model_or_default(&request.model);
    let sizes: Vec<u64> = references.iter().map(|r| r.bytes).collect();
    validate_reference_sizes(&sizes, model, &info.label_with(model))?;
    let span =
        tracing::info_span!("generate", request_id = %request.request_id, engine = %request.engine);
    run_cancellable(state, request, references)
        .instrument(span)
        .await
}

/// Each reference the request names, as provenance records it; refused before anything runs
/// when the server does not have one (it may have been uploaded to another server, or removed).
async fn stored_references(
    state: &AppState,
    ids: &[String],
) -> Result<Vec<ReferenceRecord>, AppError> {
    let mut records = Vec::with_capacity(ids.len());
    for id in ids {
        let stored = state
            .references
            .find(id)
            .await
            .map_err(|e| internal(&format!("looking up reference {id}: {e}")))?
            .ok_or_else(|| AppError::InvalidInput {
                field: "references".into(),
                message: format!(
                    "The reference image {id} is not on this server; upload it again."
                ),
            })?;
        records.push(ReferenceRecord {
            sha256: id.clone(),
            bytes: stored.bytes,
        });
    }
    Ok(records)
}

async fn run_cancellable(
    state: &AppState,
    request: GenerateRequest,
    references: Vec<ReferenceRecord>,
) -> Result<MadeImage, AppError> {
    let registration = state
        .inflight
        .register(&request.request_id)
        .ok_or_else(|| AppError::InvalidInput {
            field: "request_id".into(),
            message: "A generation with this request id is already running.".into(),
        })?;
    let mut unfinished = Unfinished { armed: true };
    let work = async {
        let failed = match run_on_engine(state, request.clone(), &references).await? {
            Ok(image) => return Ok(image),
            Err(failed) => failed,
        };
        let Some(plan) = fallback_for(state, &request, &failed.error) else {
            return Err(failed.error.to_app_error(&failed.attempts));
        };
        tracing::warn!(fallback = %plan.request.engine, "trying the fallback engine");
        match run_on_engine(state, plan.request, &references).await? {
            Ok(made) => Ok(MadeImage {
                metadata: GeneratedImage {
                    fallback: Some(plan.note),
                    ..made.metadata
                },
                ..made
            }),
            Err(also) => Err(also.error.to_app_error(&also.attempts)),
        }
    };
    let outcome = tokio::select! {
        outcome = registration.reporting(work) => outcome,
        () = registration.token.cancelled() => {
            // Dropping the flow future here drops the provider's HTTP request with it.
            tracing::info!("cancelled by the person");
            Err(AppError::Cancelled)
        }
    };
    unfinished.armed = false;
    outcome
}

/// A provider's failure after its retries, kept so a fallback can be chosen before it becomes
/// the person's message.
struct Failed {
    error: ProviderError,
    attempts: Attempts,
}

/// One engine's turn and flow run: the picture, or how its provider failed. Errors that are not
/// the provider's (no turn, a broken flow) end the generation.
async fn run_on_engine(
    state: &AppState,
    request: GenerateRequest,
    references: &[ReferenceRecord],
) -> Result<Result<MadeImage, Failed>, AppError> {
    let engine = request.engine.clone();
    // Waiting for a turn is inside the caller's select, so Cancel also reaches a queued one.
    report(Progress::Waiting);
    let turn = state
        .admission
        .admit(&engine)
        .await
        .map_err(|refusal| busy(state, &engine, refusal))?;
    report(Progress::Sent);
    let mut store = GenerationState::new(request, references.to_vec());
    let outcome = state.generation.run(&mut store).await;
    drop(turn);
    match outcome {
        Ok(_) => store
            .image
            .inspect(|made| {
                tracing::info!(
                    engine,
                    elapsed_ms = made.metadata.elapsed_ms,
                    provider_calls = made.metadata.provider_calls,
                    bytes = made.file.len(),
                    "generated"
                );
            })
            .map(Ok)
            .ok_or_else(|| internal("the flow finished without an image")),
        Err(FlowError::Node {
            error,
            attempts,
            node,
        }) => {
            tracing::warn!(engine, node, calls = attempts.calls, elapsed_ms = attempts.elapsed.as_millis() as u64, %error, "generation failed");
            Ok(Err(Failed { error, attempts }))
        }
        Err(FlowError::StepLimit { limit }) => {
            Err(internal(&format!("step limit {limit} reached")))
        }
    }
}

/// The fallback the primary engine's entry names, if the failure and the fallback allow one.
fn fallback_for(
    state: &AppState,
    request: &GenerateRequest,
    error: &ProviderError,
) -> Option<Plan> {
    let entry = state
        .settings
        .providers
        .iter()
        .find(|p| p.id == request.engine)?;
    let primary = state.providers.get(&request.engine)?;
    let fallback = state.providers.get(&entry.fallback).map(|p| p.info());
    plan(primary.info(), fallback, request, error)
}

/// Logs a generation whose future was dropped before it finished: the client went away (closed
/// tab, aborted fetch) and hyper dropped the handler, and with it the provider call.
struct Unfinished {
    armed: bool,
}

impl Drop for Unfinished {
    fn drop(&mut self) {
        if self.armed {
            tracing::info!("dropped: the client went away before the picture was ready");
        }
    }
}

fn busy(state: &AppState, engine: &str, refusal: Refusal) -> AppError {
    let label = state
        .providers
        .get(engine)
        .map(|p| p.info().label.clone())
        .unwrap_or_else(|| engine.to_string());
    let retry_after_secs = state.settings.generation.retry_after_secs;
    let reason = match refusal {
        Refusal::QueueFull(limit) => BusyReason::QueueFull {
            running: limit.max_running,
            queued: limit.max_queued,
        },
        Refusal::WaitedTooLong { waited } => BusyReason::WaitedTooLong {
            seconds: waited.as_secs(),
        },
    };
    tracing::warn!(engine, ?refusal, "refused: engine busy");
    AppError::Busy {
        message: (language().server_text().busy)(&label, &reason, retry_after_secs),
        retry_after_secs,
    }
}

pub fn cancel(state: &AppState, request_id: &str) -> Result<bool, AppError> {
    check_request_id(request_id)?;
    let cancelled = state.inflight.cancel(request_id);
    tracing::info!(request_id, cancelled, "cancel requested");
    Ok(cancelled)
}

/// Request ids go into logs, so only short, plain ones are accepted.
/// 1–64 letters, digits, `-` or `_`: safe in a log line, a URL and a header.
pub fn is_request_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn check_request_id(id: &str) -> Result<(), AppError> {
    if is_request_id(id) {
        Ok(())
    } else {
        Err(AppError::InvalidInput {
            field: "request_id".into(),
            message: "The request id must be 1–64 letters, digits, '-' or '_'.".into(),
        })
    }
}

fn unknown_engine(state: &AppState, engine: &str) -> AppError {
    let known: Vec<String> = state
        .providers
        .catalog()
        .engines
        .into_iter()
        .filter(|e| e.unavailable.is_none())
        .map(|e| e.id)
        .collect();
    let words = language().server_text().no_engine;
    AppError::InvalidInput {
        field: "engine".into(),
        message: words(&shorten(engine, ECHO_CHARS), &known.join(", ")),
    }
}
