//! The studio page: the only stateful component. It holds the stage, feeds events to
//! `fsm::update`, carries out the commands that come back, and saves the session so a reload
//! brings it back.

use super::final_view::FinalView;
use super::fresh::fresh;
use super::generating::GeneratingView;
use super::notice::NoticeBanner;
use super::prompt_form::PromptForm;
use super::review::ReviewView;
use super::storage;
use crate::api::{cancel_generation, generate_image, list_engines, list_templates, signed_in_user};
use crate::fsm::{self, Command, Draft, Event, Notice, Stage, StageKind};
use crate::model::{EngineCatalog, GenerateRequest, Template};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// What the stage views are given.
#[derive(Clone, Copy)]
pub struct StudioContext {
    pub stage: RwSignal<Stage>,
    pub catalog: Signal<Option<EngineCatalog>>,
    /// The prompts people can fill in; empty until loaded, or when the server has none.
    pub templates: Signal<Vec<Template>>,
    pub send: Callback<Event>,
    /// False until the browser has taken over the page: buttons wait for it.
    pub hydrated: Signal<bool>,
}

#[component]
pub fn StudioPage() -> impl IntoView {
    let stage = RwSignal::new(Stage::new(Draft::default()));
    let hydrated = RwSignal::new(false);
    let storage_note = RwSignal::new(None::<String>);
    let engines = Resource::new(|| (), |_| list_engines());
    let catalog = Signal::derive(move || engines.get().and_then(Result::ok));
    let user = Resource::new(|| (), |_| signed_in_user());
    let template_list = Resource::new(|| (), |_| list_templates());
    let templates =
        Signal::derive(move || template_list.get().and_then(Result::ok).unwrap_or_default());

    let generate = Action::new_local(|request: &GenerateRequest| {
        let request = request.clone();
        async move { (request.request_id.clone(), generate_image(request).await) }
    });
    let in_flight = StoredValue::new(None::<ActionAbortHandle>);

    let send = Callback::new(move |event: Event| {
        let (next, command) = stage.with_untracked(|current| fsm::update(current, event));
        stage.set(next);
        match command {
            Some(Command::Generate(request)) => {
                in_flight.set_value(Some(generate.dispatch(*request)))
            }
            Some(Command::Abort { request_id }) => {
                // Dropping the fetch closes the connection; the explicit cancel also reaches a
                // server that has not noticed yet (e.g. behind a proxy that keeps it open).
                if let Some(handle) = in_flight.try_update_value(Option::take).flatten() {
                    handle.abort();
                }
                spawn_local(async move {
                    let _ = cancel_generation(request_id).await;
                });
            }
            None => {}
        }
    });

    Effect::new(move |_| {
        if let Some((request_id, result)) = generate.value().get() {
            send.run(Event::Finished { request_id, result });
        }
    });

    // Runs once in the browser after hydration: bring the saved session back, then allow saving.
    Effect::new(move |_| {
        if let Some(saved) = storage::load() {
            stage.set(saved.stage.after_reload());
            storage_note.set(
                saved
                    .missing_images
                    .then(|| storage::MISSING_IMAGES_NOTE.to_string()),
            );
        }
        hydrated.set(true);
    });
    Effect::new(move |_| {
        if hydrated.get() {
            let report = stage.with(storage::save);
            if let Some(note) = report.note() {
                storage_note.set(Some(note));
            }
        }
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
    let context = StudioContext {
        stage,
        catalog,
        templates,
        send,
        hydrated: hydrated.into(),
    };
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

    view! {
        <main
            class="studio"
            data-testid="studio"
            data-stage=move || kind.get().as_str()
            data-hydrated=move || hydrated.get().to_string()
        >
            // Everything that reads the engine list sits inside the Suspense, so the server
            // renders it with the list and hydration finds the same markup.
            <Suspense fallback=|| view! { <p class="loading">"Loading engines…"</p> }>
                <header class="topbar">
                    <h1 class="brand">"Proofsheet"</h1>
                    <p class="engine">
                        <span class="engine-caption">"Engine "</span>
                        <span class="engine-name" data-testid="engine-name">{engine_label}</span>
                    </p>
                    {move || user.get().and_then(Result::ok).flatten().map(|name| view! {
                        // A plain form: signing out works before (and without) the bundle.
                        <form class="signout" method="post" action="/logout">
                            <span class="signout-name" data-testid="signed-in-as">{name}</span>
                            <button type="submit" class="secondary" data-testid="sign-out">"Sign out"</button>
                        </form>
                    })}
                </header>
                <p class="sr-only" role="status" aria-live="polite" data-testid="announcer">
                    {move || announcement(&stage.read())}
                </p>
                <NoticeBanner notice on_dismiss=Callback::new(move |()| send.run(Event::DismissNotice))/>
                {move || storage_note.get().map(|note| view! {
                    <p class="notice notice-info" role="status" data-testid="storage-note">{note}</p>
                })}
                {move || engines.get().map(|loaded| match loaded {
                    Err(error) => view! {
                        <p class="notice notice-error" role="alert" data-testid="error-message">
                            {format!("Could not load the engine list: {error}")}
                        </p>
                    }.into_any(),
                    Ok(_) => stage_view(kind.get(), context),
                })}
            </Suspense>
        </main>
    }
}

fn stage_view(kind: StageKind, context: StudioContext) -> AnyView {
    match kind {
        StageKind::InitialInput => view! { <PromptForm context/> }.into_any(),
        StageKind::Generating => view! { <GeneratingView context/> }.into_any(),
        StageKind::UserFeedback => view! { <ReviewView context/> }.into_any(),
        StageKind::Final => view! { <FinalView context/> }.into_any(),
    }
}

/// What a screen reader hears when the stage changes.
fn announcement(stage: &Stage) -> String {
    match stage {
        Stage::InitialInput {
            notice: Some(Notice::Error(_)),
            ..
        } => "Generation failed.".into(),
        Stage::InitialInput { .. } => "Ready for a prompt.".into(),
        Stage::Generating { session, .. } => {
            format!("Generating attempt {}…", session.attempts.len() + 1)
        }
        Stage::UserFeedback { shown, session, .. } => {
            format!(
                "Attempt {} of {} ready for review.",
                shown + 1,
                session.attempts.len()
            )
        }
        Stage::Final { approved, .. } => format!("Attempt {} approved.", approved + 1),
    }
}

/// Shared by the views that start a generation.
pub fn send_with_fresh(send: Callback<Event>, make: fn(fsm::Fresh) -> Event) {
    send.run(make(fresh()));
}
