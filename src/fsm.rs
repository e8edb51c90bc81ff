//! The studio's stage machine: `initial_input → generating → user_feedback → final → initial_input`.
//!
//! Pure data and one `update` function, no Leptos: the page feeds it events and carries out the
//! commands it returns. Each stage holds exactly the data it needs, so impossible states (a final
//! stage without an approved image, a result for a request nobody is waiting for) cannot be written.

use crate::error::AppError;
use crate::model::{
    carry_options, EngineInfo, GenerateRequest, GeneratedImage, Palette, ParentImage,
    ReferenceImage, Styling,
};
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
    /// Reference images uploaded for this prompt, in the order the model will see them.
    #[serde(default)]
    pub references: Vec<ReferenceImage>,
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
    /// Something the studio itself says, shown in the page's language.
    Note(Note),
    /// A problem the studio itself finds, shown as an error in the page's language.
    Problem(Note),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Note {
    /// Generate was pressed with no prompt.
    EmptyPrompt,
    Cancelled,
    ReloadedDuringGeneration,
    /// Every request of a generation ended without a picture or a failure (not expected).
    NothingMade,
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
        /// What is still being made: one request, or one per engine when trying several at
        /// once ("Try on"). Their pictures join the session as they come.
        running: Vec<GenerateRequest>,
        /// How many attempts the session had when this generation started: those after it are
        /// this generation's.
        before: usize,
        /// The first failure among the requests, kept until the others are done.
        failure: Option<AppError>,
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
    /// The draft's reference images, after one was added or removed.
    EditReferences(Vec<ReferenceImage>),
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
    /// The same prompt on several engines at once: the draft as each engine takes it (see
    /// `model::draft_for`), the first being the draft's own engine.
    TryOn(Vec<(Draft, Fresh)>),
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
                session,
                before,
                origin,
                ..
            } => stop(
                session,
                before,
                origin,
                Notice::Note(Note::ReloadedDuringGeneration),
            ),
            other => other,
        }
    }
}

/// Applies one event. Events that make no sense in the current stage (a double click, a late
/// answer for a cancelled request) leave the stage as it is.
pub fn update(stage: &Stage, event: Event) -> (Stage, Vec<Command>) {
    let mut next = stage.clone();
    if edit_in_place(&mut next, &event) {
        return (next, Vec::new());
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
        (Stage::InitialInput { draft, .. }, Event::EditReferences(references)) => {
            draft.references.clone_from(references)
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

/// Events that move to another stage, possibly with commands to carry out.
fn transition(stage: Stage, event: Event) -> (Stage, Vec<Command>) {
    match (stage, event) {
        (Stage::InitialInput { draft, .. }, Event::Generate(fresh)) => {
            let request = first_request(&draft, fresh);
            start_from_input(draft, vec![request])
        }
        (Stage::InitialInput { draft, notice }, Event::TryOn(variants)) => {
            if variants.is_empty() {
                return (Stage::InitialInput { draft, notice }, Vec::new());
            }
            let requests = variants
                .iter()
                .map(|(variant, fresh)| first_request(variant, fresh.clone()))
                .collect();
            start_from_input(draft, requests)
        }
        (review @ Stage::UserFeedback { .. }, Event::Regenerate(fresh)) => {
            from_review(review, fresh, false)
        }
        (review @ Stage::UserFeedback { .. }, Event::Refine(fresh)) => {
            from_review(review, fresh, true)
        }
        (
            Stage::Generating {
                mut session,
                mut running,
                before,
                mut failure,
                origin,
            },
            Event::Finished { request_id, result },
        ) => {
            // A late answer (for a request since cancelled) changes nothing.
            if let Some(index) = running.iter().position(|r| r.request_id == request_id) {
                let request = running.remove(index);
                match result {
                    Ok(image) => session.attempts.push(Attempt { request, image }),
                    Err(error) => {
                        failure.get_or_insert(error);
                    }
                }
                if running.is_empty() {
                    return (finish(session, before, origin, failure), Vec::new());
                }
            }
            let stage = Stage::Generating {
                session,
                running,
                before,
                failure,
                origin,
            };
            (stage, Vec::new())
        }
        (
            Stage::Generating {
                session,
                running,
                before,
                origin,
                ..
            },
            Event::Cancel,
        ) => {
            let back = stop(session, before, origin, Notice::Note(Note::Cancelled));
            let aborts = running
                .into_iter()
                .map(|request| Command::Abort {
                    request_id: request.request_id,
                })
                .collect();
            (back, aborts)
        }
        (Stage::UserFeedback { session, shown, .. }, Event::Approve) => (
            Stage::Final {
                session,
                approved: shown,
            },
            Vec::new(),
        ),
        (Stage::Final { session, .. }, Event::StartOver) => {
            // Keep the engine and size the person chose; the prompt and references start empty.
            let draft = Draft {
                prompt: String::new(),
                references: Vec::new(),
                ..session.draft
            };
            (Stage::new(draft), Vec::new())
        }
        (unchanged, _) => (unchanged, Vec::new()),
    }
}

/// A first generation from the draft: refused, with a word, when there is no prompt.
fn start_from_input(draft: Draft, requests: Vec<GenerateRequest>) -> (Stage, Vec<Command>) {
    if draft.prompt.trim().is_empty() {
        let notice = Notice::Problem(Note::EmptyPrompt);
        return (
            Stage::InitialInput {
                draft,
                notice: Some(notice),
            },
            Vec::new(),
        );
    }
    let session = Session {
        draft,
        attempts: Vec::new(),
    };
    start(session, requests, Origin::Input)
}

/// Regenerate (a new take on the session's prompt) or Refine (the shown attempt plus the feedback).
fn from_review(review: Stage, fresh: Fresh, refine: bool) -> (Stage, Vec<Command>) {
    let Stage::UserFeedback {
        session,
        shown,
        compare,
        feedback,
        ..
    } = &review
    else {
        return (review, Vec::new());
    };
    if refine && feedback.trim().is_empty() {
        return (review, Vec::new());
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
    start(session.clone(), vec![request], origin)
}

fn start(
    session: Session,
    requests: Vec<GenerateRequest>,
    origin: Origin,
) -> (Stage, Vec<Command>) {
    let commands = requests
        .iter()
        .map(|request| Command::Generate(Box::new(request.clone())))
        .collect();
    let stage = Stage::Generating {
        before: session.attempts.len(),
        session,
        running: requests,
        failure: None,
        origin,
    };
    (stage, commands)
}

/// The draft as `engine` takes it, to try the same prompt there: its default model, the size and
/// quality carried over where that model offers them, and only the styling and reference images
/// it takes (the rest is left out of that engine's request rather than refused).
pub fn draft_for(draft: &Draft, engine: &EngineInfo) -> Draft {
    let model = &engine.models[0];
    let carried = carry_options(model, &draft.size, draft.quality.as_deref());
    let mut styling = draft.styling.clone();
    if !model.negative_prompt {
        styling.negative_prompt = None;
    }
    if styling
        .style
        .as_ref()
        .is_some_and(|s| !model.styles.contains(s))
    {
        styling.style = None;
    }
    if let Some(Palette::Preset(name)) = &styling.palette {
        if !model.palette_presets.contains(name) {
            styling.palette = None;
        }
    }
    let mut references = draft.references.clone();
    references.truncate(model.max_references as usize);
    Draft {
        engine: engine.id.clone(),
        model: model.id.clone(),
        size: carried.size,
        quality: carried.quality,
        styling,
        references,
        prompt: draft.prompt.clone(),
    }
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
        references: draft.references.iter().map(|r| r.id.clone()).collect(),
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

/// Every request of a generation has answered: review what it made (the first new picture on
/// show, beside the second when several engines were tried), with the first failure said; or,
/// when it made nothing, back where it started with that failure.
fn finish(session: Session, before: usize, origin: Origin, failure: Option<AppError>) -> Stage {
    let made = session.attempts.len() - before;
    if made == 0 {
        let notice = failure.map_or(Notice::Note(Note::NothingMade), Notice::Error);
        return return_to(session, origin, notice);
    }
    let was_refinement = session.attempts[before].request.parent.is_some();
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
    let compare = if made > 1 { Some(before + 1) } else { compare };
    Stage::UserFeedback {
        session,
        shown: before,
        compare,
        feedback,
        notice: failure.map(Notice::Error),
    }
}

/// Ends a generation early (Cancel, a reload): what it made so far stays, for review.
fn stop(session: Session, before: usize, origin: Origin, notice: Notice) -> Stage {
    if session.attempts.len() > before {
        with_notice(finish(session, before, origin, None), notice)
    } else {
        return_to(session, origin, notice)
    }
}

/// `stage` with `notice` shown, where the stage shows notices.
fn with_notice(mut stage: Stage, notice: Notice) -> Stage {
    if let Stage::InitialInput { notice: shown, .. } | Stage::UserFeedback { notice: shown, .. } =
        &mut stage
    {
        *shown = Some(notice);
    }
    stage
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
