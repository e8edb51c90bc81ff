//! The studio's stage machine: `initial_input → generating → user_feedback → final → initial_input`.
//!
//! Pure data and one `update` function, no Leptos: the page feeds it events and carries out the
//! commands it returns. Each stage holds exactly the data it needs, so impossible states (a final
//! stage without an approved image, a result for a request nobody is waiting for) cannot be written.

use crate::error::AppError;
use crate::model::{GenerateRequest, GeneratedImage, ParentImage, Styling};
use serde::{Deserialize, Serialize};

/// What the person is composing before the first picture.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub prompt: String,
    pub engine: String,
    /// Empty for the engine's default model (and in sessions saved before models were chosen).
    #[serde(default)]
    pub model: String,
    pub size: String,
    pub quality: Option<String>,
    #[serde(default)]
    pub styling: Styling,
}

/// One picture of the session and the request that made it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub request: GenerateRequest,
    pub image: GeneratedImage,
}

/// Everything generated from one prompt. Attempts are only ever appended: regenerating or
/// refining never destroys an earlier picture.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub draft: Draft,
    pub attempts: Vec<Attempt>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Notice {
    Error(AppError),
    Info(String),
}

/// Where a generation returns to when it fails or is cancelled.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Origin {
    Input,
    Review {
        shown: usize,
        compare: Option<usize>,
        feedback: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    InitialInput {
        draft: Draft,
        notice: Option<Notice>,
    },
    Generating {
        session: Session,
        /// Boxed: a request dwarfs the other stages' data.
        request: Box<GenerateRequest>,
        origin: Origin,
    },
    UserFeedback {
        session: Session,
        /// Index of the attempt on show.
        shown: usize,
        /// Index of the attempt shown beside it, when comparing.
        compare: Option<usize>,
        /// The refine box, kept here so a failed refine loses nothing.
        feedback: String,
        notice: Option<Notice>,
    },
    Final {
        session: Session,
        approved: usize,
    },
}

/// The stable names used in `data-stage` and by the tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StageKind {
    InitialInput,
    Generating,
    UserFeedback,
    Final,
}

impl StageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StageKind::InitialInput => "initial_input",
            StageKind::Generating => "generating",
            StageKind::UserFeedback => "user_feedback",
            StageKind::Final => "final",
        }
    }
}

/// Randomness the machine needs but must not make itself (to stay pure and testable).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fresh {
    pub request_id: String,
    pub seed: u64,
}

// Events live for one `update` call, one at a time: boxing the large result would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    EditPrompt(String),
    /// A new negative prompt, style or palette for the draft.
    EditStyling(Styling),
    /// Another engine, model, size or quality; `dropped` says which choices the new model does
    /// not offer and what replaced them.
    EditOptions {
        engine: String,
        model: String,
        size: String,
        quality: Option<String>,
        dropped: Option<String>,
    },
    EditFeedback(String),
    Generate(Fresh),
    Regenerate(Fresh),
    Refine(Fresh),
    Finished {
        request_id: String,
        result: Result<GeneratedImage, AppError>,
    },
    Cancel,
    Show(usize),
    Compare(Option<usize>),
    Approve,
    StartOver,
    DismissNotice,
}

// Commands wait in the studio's queue for a moment, one or two at a time: boxing would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Boxed: a request is many times larger than an abort, and commands are passed by value.
    Generate(Box<GenerateRequest>),
    Abort {
        request_id: String,
    },
}

impl Stage {
    pub fn new(draft: Draft) -> Self {
        Stage::InitialInput {
            draft,
            notice: None,
        }
    }

    pub fn kind(&self) -> StageKind {
        match self {
            Stage::InitialInput { .. } => StageKind::InitialInput,
            Stage::Generating { .. } => StageKind::Generating,
            Stage::UserFeedback { .. } => StageKind::UserFeedback,
            Stage::Final { .. } => StageKind::Final,
        }
    }

    pub fn session(&self) -> Option<&Session> {
        match self {
            Stage::InitialInput { .. } => None,
            Stage::Generating { session, .. }
            | Stage::UserFeedback { session, .. }
            | Stage::Final { session, .. } => Some(session),
        }
    }

    pub fn notice(&self) -> Option<&Notice> {
        match self {
            Stage::InitialInput { notice, .. } | Stage::UserFeedback { notice, .. } => {
                notice.as_ref()
            }
            _ => None,
        }
    }

    /// A reloaded page cannot receive the answer to a request the old page made, so a saved
    /// `Generating` stage goes back to where it came from, with a word about why.
    pub fn after_reload(self) -> Stage {
        match self {
            Stage::Generating {
                session, origin, ..
            } => return_to(
                session,
                origin,
                Notice::Info(
                    "The page was reloaded during a generation, so that generation was abandoned."
                        .into(),
                ),
            ),
            other => other,
        }
    }
}

/// Applies one event. Events that make no sense in the current stage (a double click, a late
/// answer for a cancelled request) leave the stage as it is.
pub fn update(stage: &Stage, event: Event) -> (Stage, Option<Command>) {
    let mut next = stage.clone();
    if edit_in_place(&mut next, &event) {
        return (next, None);
    }
    transition(next, event)
}

/// Events that only change a field of the current stage (typing, choosing what to show).
/// Returns false, changing nothing, when the event is not such an edit in this stage.
fn edit_in_place(stage: &mut Stage, event: &Event) -> bool {
    match (stage, event) {
        (Stage::InitialInput { draft, .. }, Event::EditStyling(styling)) => {
            draft.styling.clone_from(styling)
        }
        (Stage::InitialInput { draft, .. }, Event::EditPrompt(prompt)) => {
            draft.prompt.clone_from(prompt)
        }
        (
            Stage::InitialInput { draft, notice },
            Event::EditOptions {
                engine,
                model,
                size,
                quality,
                dropped,
            },
        ) => {
            draft.engine.clone_from(engine);
            draft.model.clone_from(model);
            draft.size.clone_from(size);
            draft.quality.clone_from(quality);
            if let Some(dropped) = dropped {
                *notice = Some(Notice::Info(dropped.clone()));
            }
        }
        (Stage::UserFeedback { feedback, .. }, Event::EditFeedback(text)) => {
            feedback.clone_from(text)
        }
        (
            Stage::UserFeedback {
                session,
                shown,
                compare,
                ..
            },
            Event::Show(index),
        ) if *index < session.attempts.len() => {
            *shown = *index;
            // Comparing an attempt with itself shows nothing new.
            if *compare == Some(*index) {
                *compare = None;
            }
        }
        (
            Stage::UserFeedback {
                session,
                shown,
                compare,
                ..
            },
            Event::Compare(choice),
        ) if choice.is_none_or(|c| c < session.attempts.len() && c != *shown) => {
            *compare = *choice;
        }
        (
            Stage::InitialInput { notice, .. } | Stage::UserFeedback { notice, .. },
            Event::DismissNotice,
        ) => {
            *notice = None;
        }
        _ => return false,
    }
    true
}

/// Events that move to another stage, possibly with a command to carry out.
fn transition(stage: Stage, event: Event) -> (Stage, Option<Command>) {
    match (stage, event) {
        (Stage::InitialInput { draft, .. }, Event::Generate(fresh)) => {
            if draft.prompt.trim().is_empty() {
                let notice = Notice::Error(AppError::InvalidInput {
                    field: "prompt".into(),
                    message: "The prompt is empty: describe the picture you want.".into(),
                });
                return (
                    Stage::InitialInput {
                        draft,
                        notice: Some(notice),
                    },
                    None,
                );
            }
            let request = first_request(&draft, fresh);
            start(
                Session {
                    draft,
                    attempts: Vec::new(),
                },
                request,
                Origin::Input,
            )
        }
        (review @ Stage::UserFeedback { .. }, Event::Regenerate(fresh)) => {
            from_review(review, fresh, false)
        }
        (review @ Stage::UserFeedback { .. }, Event::Refine(fresh)) => {
            from_review(review, fresh, true)
        }
        (
            Stage::Generating {
                session,
                request,
                origin,
            },
            Event::Finished { request_id, result },
        ) => {
            if request_id != request.request_id {
                return (
                    Stage::Generating {
                        session,
                        request,
                        origin,
                    },
                    None,
                );
            }
            (finish(session, *request, origin, result), None)
        }
        (
            Stage::Generating {
                session,
                request,
                origin,
            },
            Event::Cancel,
        ) => {
            let back = return_to(
                session,
                origin,
                Notice::Info("Generation cancelled.".into()),
            );
            (
                back,
                Some(Command::Abort {
                    request_id: request.request_id,
                }),
            )
        }
        (Stage::UserFeedback { session, shown, .. }, Event::Approve) => (
            Stage::Final {
                session,
                approved: shown,
            },
            None,
        ),
        (Stage::Final { session, .. }, Event::StartOver) => {
            // Keep the engine and size the person chose; the prompt starts empty.
            let draft = Draft {
                prompt: String::new(),
                ..session.draft
            };
            (Stage::new(draft), None)
        }
        (unchanged, _) => (unchanged, None),
    }
}

/// Regenerate (a new take on the session's prompt) or Refine (the shown attempt plus the feedback).
fn from_review(review: Stage, fresh: Fresh, refine: bool) -> (Stage, Option<Command>) {
    let Stage::UserFeedback {
        session,
        shown,
        compare,
        feedback,
        ..
    } = &review
    else {
        return (review, None);
    };
    if refine && feedback.trim().is_empty() {
        return (review, None);
    }
    let request = if refine {
        refinement(&session.attempts[*shown], feedback, fresh)
    } else {
        first_request(&session.draft, fresh)
    };
    let origin = Origin::Review {
        shown: *shown,
        compare: *compare,
        feedback: feedback.clone(),
    };
    start(session.clone(), request, origin)
}

fn start(session: Session, request: GenerateRequest, origin: Origin) -> (Stage, Option<Command>) {
    let request = Box::new(request);
    let command = Command::Generate(request.clone());
    (
        Stage::Generating {
            session,
            request,
            origin,
        },
        Some(command),
    )
}

fn first_request(draft: &Draft, fresh: Fresh) -> GenerateRequest {
    GenerateRequest {
        request_id: fresh.request_id,
        engine: draft.engine.clone(),
        model: draft.model.clone(),
        prompt: draft.prompt.clone(),
        size: draft.size.clone(),
        quality: draft.quality.clone(),
        styling: draft.styling.clone(),
        seed: fresh.seed,
        refinements: Vec::new(),
        parent: None,
        references: Vec::new(),
    }
}

/// A refinement keeps the base attempt's prompt and engine and adds the new feedback to its chain.
fn refinement(base: &Attempt, feedback: &str, fresh: Fresh) -> GenerateRequest {
    let mut refinements = base.request.refinements.clone();
    refinements.push(feedback.trim().to_string());
    GenerateRequest {
        request_id: fresh.request_id,
        seed: fresh.seed,
        refinements,
        parent: Some(ParentImage {
            continuation: base.image.continuation.clone(),
            seed: base.image.seed,
        }),
        ..base.request.clone()
    }
}

fn finish(
    mut session: Session,
    request: GenerateRequest,
    origin: Origin,
    result: Result<GeneratedImage, AppError>,
) -> Stage {
    match result {
        Ok(image) => {
            let was_refinement = request.parent.is_some();
            let (compare, feedback) = match origin {
                Origin::Input => (None, String::new()),
                Origin::Review {
                    compare, feedback, ..
                } => (
                    compare,
                    if was_refinement {
                        String::new()
                    } else {
                        feedback
                    },
                ),
            };
            session.attempts.push(Attempt { request, image });
            let shown = session.attempts.len() - 1;
            Stage::UserFeedback {
                session,
                shown,
                compare,
                feedback,
                notice: None,
            }
        }
        Err(error) => return_to(session, origin, Notice::Error(error)),
    }
}

fn return_to(session: Session, origin: Origin, notice: Notice) -> Stage {
    match origin {
        Origin::Input => Stage::InitialInput {
            draft: session.draft,
            notice: Some(notice),
        },
        Origin::Review {
            shown,
            compare,
            feedback,
        } => Stage::UserFeedback {
            session,
            shown,
            compare,
            feedback,
            notice: Some(notice),
        },
    }
}

#[cfg(test)]
mod tests;
