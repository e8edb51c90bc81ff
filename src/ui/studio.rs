//! The studio page: the only stateful component. It holds the stage, feeds events to
//! `fsm::update`, carries out the commands that come back, and gives each stage's view only that
//! stage's data, read-only. What only the browser does (making the requests, keeping the session
//! and its pictures) is in `browser`.

#[cfg(feature = "hydrate")]
mod browser;

use super::final_view::FinalView;
use super::fresh::fresh;
use super::generating::GeneratingView;
use super::language_switch::LanguageSwitch;
use super::notice::{error_words, NoticeBanner};
use super::pictures::Pictures;
use super::prompt_form::PromptForm;
use super::review::ReviewView;
use crate::api::{list_engines, list_templates, signed_in_user};
use crate::fsm::{self, Command, Draft, Event, Notice, Stage};
use crate::i18n::{text, Text};
use crate::model::{EngineCatalog, Template};
use leptos::prelude::*;

#[component]
pub fn StudioPage() -> impl IntoView {
    let stage = RwSignal::new(Stage::new(Draft::default()));
    let hydrated = RwSignal::new(false);
    let storage_note = RwSignal::new(None::<String>);
    let pictures = Pictures::new();
    provide_context(pictures);
    let engines = Resource::new(|| (), |_| list_engines());
    let catalog = Signal::derive(move || engines.get().and_then(Result::ok));
    let user = Resource::new(|| (), |_| signed_in_user());
    let template_list = Resource::new(|| (), |_| list_templates());
    let templates =
        Signal::derive(move || template_list.get().and_then(Result::ok).unwrap_or_default());

    // Commands wait here for the browser to carry them out (`browser`): only it makes requests,
    // and it needs `send` to report back.
    let commands = RwSignal::new(Vec::<Command>::new());
    let send = Callback::new(move |event: Event| {
        let (next, command) = stage.with_untracked(|current| fsm::update(current, event));
        // The command first: its effect then runs before the views re-render, so a request
        // leaves a few milliseconds sooner (the busy state still shows in the same frame).
        if !command.is_empty() {
            commands.update(|queue| queue.extend(command));
        }
        stage.set(next);
    });

    #[cfg(feature = "hydrate")]
    browser::run(browser::Studio {
        stage,
        send,
        commands,
        pictures,
        note: storage_note,
        hydrated,
    });

    // A fresh draft takes the server's default engine and that engine's defaults.
    Effect::new(move |_| {
        let Some(catalog) = catalog.get() else { return };
        let needs_engine =
            stage.with(|s| matches!(s, Stage::InitialInput { draft, .. } if catalog.engine(&draft.engine).is_none()));
        if let (true, Some(engine)) = (needs_engine, catalog.engine(&catalog.default_engine)) {
            let model = &engine.models[0];
            send.run(Event::EditOptions {
                engine: engine.id.clone(),
                model: model.id.clone(),
                size: model.default_size.clone(),
                quality: model.default_quality.clone(),
                dropped: None,
            });
        }
    });

    let kind = Memo::new(move |_| stage.with(Stage::kind));
    let notice = Signal::derive(move || stage.with(|s| s.notice().cloned()));
    let engine_label = move || {
        let (engine_id, model_id) = stage.with(|s| {
            let draft = match s {
                Stage::InitialInput { draft, .. } => Some(draft),
                other => other.session().map(|s| &s.draft),
            };
            draft
                .map(|d| (d.engine.clone(), d.model.clone()))
                .unwrap_or_default()
        });
        catalog
            .get()
            .and_then(|c| {
                c.engine_or_default(&engine_id)
                    .map(|e| e.label_with(e.model_or_default(&model_id)))
            })
            .unwrap_or_default()
    };
    let t = text();
    let shared = Shared {
        catalog,
        templates,
        send,
        hydrated: hydrated.into(),
    };

    view! {
        <main
            class="studio"
            data-testid="studio"
            data-stage=move || kind.get().as_str()
            data-hydrated=move || hydrated.get().to_string()
        >
            // Everything that reads the engine list sits inside the Suspense, so the server
            // renders it with the list and hydration finds the same markup.
            <Suspense fallback=move || view! { <p class="loading">{t.loading_engines}</p> }>
                <header class="topbar">
                    <h1 class="brand">"Proofsheet"</h1>
                    <p class="engine">
                        <span class="engine-caption">{t.engine_caption}</span>
                        <span class="engine-name" data-testid="engine-name">{engine_label}</span>
                    </p>
                    <LanguageSwitch/>
                    {move || user.get().and_then(Result::ok).flatten().map(|name| view! {
                        // A plain form: signing out works before (and without) the bundle.
                        <form class="signout" method="post" action="/logout">
                            <span class="signout-name" data-testid="signed-in-as">{name}</span>
                            <button type="submit" class="secondary" data-testid="sign-out">{t.sign_out}</button>
                        </form>
                    })}
                </header>
                <p class="sr-only" role="status" aria-live="polite" data-testid="announcer">
                    {move || announcement(t, &stage.read())}
                </p>
                <NoticeBanner notice on_dismiss=Callback::new(move |()| send.run(Event::DismissNotice))/>
                {move || storage_note.get().map(|note| view! {
                    <p class="notice notice-info" role="status" data-testid="storage-note">{note}</p>
                })}
                {move || engines.get().map(|loaded| match loaded {
                    Err(error) => view! {
                        <p class="notice notice-error" role="alert" data-testid="error-message">
                            {(t.engine_list_failed)(&error_words(&error, t))}
                        </p>
                    }.into_any(),
                    Ok(_) => {
                        // A new view when the stage changes kind; within a kind, views follow.
                        kind.track();
                        stage_view(stage, shared)
                    }
                })}
            </Suspense>
        </main>
    }
}

/// What every stage's view may use besides its own data.
#[derive(Clone, Copy)]
struct Shared {
    catalog: Signal<Option<EngineCatalog>>,
    templates: Signal<Vec<Template>>,
    send: Callback<Event>,
    /// False until the browser has taken over the page: buttons wait for it.
    hydrated: Signal<bool>,
}

/// The view of the current stage, given that stage's data. What cannot change while the stage
/// lasts (the request being made, the attempts under review, the approved one: the stage
/// machine changes them only by moving to another stage) is handed over as plain values; what
/// can (the draft, the attempt on show, the refine box) as read-only signals.
fn stage_view(stage: RwSignal<Stage>, shared: Shared) -> AnyView {
    let Shared {
        catalog,
        templates,
        send,
        hydrated,
    } = shared;
    match stage.get_untracked() {
        Stage::InitialInput { .. } => {
            let draft = follow(stage, |s| match s {
                Stage::InitialInput { draft, .. } => Some(draft),
                _ => None,
            });
            view! { <PromptForm draft catalog templates send hydrated/> }.into_any()
        }
        Stage::Generating {
            running, session, ..
        } => {
            let number = session.attempts.len() + 1;
            let still = follow(stage, |s| match s {
                Stage::Generating { running, .. } => Some(running),
                _ => None,
            });
            let running_ids = Signal::derive(move || {
                still
                    .read()
                    .iter()
                    .map(|r| r.request_id.clone())
                    .collect::<Vec<_>>()
            });
            let catalog = catalog.get_untracked();
            let engines = running
                .iter()
                .map(|request| {
                    let label = catalog
                        .as_ref()
                        .and_then(|c| c.engine(&request.engine))
                        .map_or_else(|| request.engine.clone(), |e| e.label.clone());
                    (request.request_id.clone(), label)
                })
                .collect();
            let prompt = running
                .first()
                .map(|r| r.prompt.clone())
                .unwrap_or_default();
            let refining = running.first().and_then(|r| r.refinements.last().cloned());
            view! { <GeneratingView prompt refining engines running=running_ids number send/> }
                .into_any()
        }
        Stage::UserFeedback { session, .. } => {
            let shown = follow(stage, |s| match s {
                Stage::UserFeedback { shown, .. } => Some(shown),
                _ => None,
            });
            let compare = follow(stage, |s| match s {
                Stage::UserFeedback { compare, .. } => Some(compare),
                _ => None,
            });
            let feedback = follow(stage, |s| match s {
                Stage::UserFeedback { feedback, .. } => Some(feedback),
                _ => None,
            });
            let attempts = session.attempts.into();
            view! { <ReviewView attempts shown compare feedback send/> }.into_any()
        }
        Stage::Final { session, approved } => match session.attempts.into_iter().nth(approved) {
            Some(attempt) => view! { <FinalView attempt number=approved + 1 send/> }.into_any(),
            None => ().into_any(),
        },
    }
}

/// One field of the current stage, read-only, for the view of that stage. Made while the stage is
/// of that kind; once it moves on, the last value stays until the view is gone.
fn follow<T>(stage: RwSignal<Stage>, pick: fn(&Stage) -> Option<&T>) -> Memo<T>
where
    T: Clone + Default + PartialEq + Send + Sync + 'static,
{
    Memo::new(move |last: Option<&T>| stage.with(|s| pick(s).or(last).cloned().unwrap_or_default()))
}

/// What a screen reader hears when the stage changes.
fn announcement(t: &Text, stage: &Stage) -> String {
    match stage {
        Stage::InitialInput {
            notice: Some(Notice::Error(_)),
            ..
        } => t.said_failed.into(),
        Stage::InitialInput { .. } => t.said_ready.into(),
        Stage::Generating { session, .. } => (t.said_generating)(session.attempts.len() + 1),
        Stage::UserFeedback { shown, session, .. } => {
            (t.said_review)(shown + 1, session.attempts.len())
        }
        Stage::Final { approved, .. } => (t.said_approved)(approved + 1),
    }
}

/// Shared by the views that start a generation.
pub fn send_with_fresh(send: Callback<Event>, make: fn(fsm::Fresh) -> Event) {
    send.run(make(fresh()));
}
