//! `initial_input`: the prompt, the engine and its options, and Generate.

use super::studio::{send_with_fresh, StudioContext};
use crate::fsm::{Draft, Event, Stage};
use crate::model::validate_text;
use leptos::ev::KeyboardEvent;
use leptos::html::Textarea;
use leptos::prelude::*;

#[component]
pub fn PromptForm(context: StudioContext) -> impl IntoView {
    let StudioContext {
        stage,
        catalog,
        send,
        hydrated,
    } = context;
    let draft = Memo::new(move |_| match &*stage.read() {
        Stage::InitialInput { draft, .. } => draft.clone(),
        _ => Draft::default(),
    });
    let engine = Memo::new(move |_| {
        catalog
            .get()
            .and_then(|c| c.engine_or_default(&draft.read().engine).cloned())
    });
    // Too long is said as you type, not after a round trip.
    let length_error = Memo::new(move |_| {
        let engine = engine.get()?;
        let prompt = draft.read().prompt.clone();
        let too_long = prompt.chars().count() > engine.max_prompt_chars;
        too_long
            .then(|| {
                validate_text("prompt", &prompt, engine.max_prompt_chars, &engine.provider).err()
            })
            .flatten()
    });
    let can_send = move || {
        hydrated.get()
            && engine.read().is_some()
            && !draft.read().prompt.trim().is_empty()
            && length_error.read().is_none()
    };
    let submit = move || {
        if can_send() {
            send_with_fresh(send, Event::Generate);
        }
    };
    let on_keydown = move |ev: KeyboardEvent| {
        if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
            ev.prevent_default();
            submit();
        }
    };
    let set_options = move |change: fn(&mut Draft, String), value: String| {
        let mut next = draft.get_untracked();
        change(&mut next, value);
        send.run(Event::EditOptions {
            engine: next.engine,
            size: next.size,
            quality: next.quality,
        });
    };
    let choose_engine = move |id: String| {
        if let Some(chosen) = catalog.get_untracked().and_then(|c| c.engine(&id).cloned()) {
            send.run(Event::EditOptions {
                engine: chosen.id,
                size: chosen.default_size,
                quality: chosen.default_quality,
            });
        }
    };

    let textarea = NodeRef::<Textarea>::new();
    Effect::new(move |_| {
        if let Some(element) = textarea.get() {
            let _ = element.focus();
        }
    });

    view! {
        <form class="prompt-form" on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <label class="field-label" for="prompt">"Describe the picture"</label>
            <textarea
                id="prompt"
                node_ref=textarea
                data-testid="prompt-input"
                rows="5"
                placeholder="A lighthouse on a cliff at dawn, warm light, watercolour"
                aria-describedby="prompt-meta"
                prop:value=move || draft.read().prompt.clone()
                on:input=move |ev| send.run(Event::EditPrompt(event_target_value(&ev)))
                on:keydown=on_keydown
            ></textarea>
            <p class="prompt-meta" id="prompt-meta">
                <span class:over-limit=move || length_error.read().is_some() data-testid="prompt-count">
                    {move || {
                        let limit = engine.read().as_ref().map(|e| e.max_prompt_chars).unwrap_or_default();
                        format!("{} / {limit} characters", draft.read().prompt.chars().count())
                    }}
                </span>
                <span class="hint">"Ctrl+Enter (⌘+Enter) to generate"</span>
            </p>
            {move || length_error.get().map(|error| view! {
                <p class="notice notice-error" role="alert" data-testid="error-message">{error.to_string()}</p>
            })}
            <div class="options">
                {move || catalog.get().filter(|c| c.engines.len() > 1).map(|c| view! {
                    <label class="option">
                        <span>"Engine"</span>
                        <select data-testid="engine-select" on:change=move |ev| choose_engine(event_target_value(&ev))>
                            {c.engines.into_iter().map(|e| {
                                let selected = e.id == draft.read_untracked().engine;
                                view! { <option value=e.id.clone() selected=selected>{e.label}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                })}
                {move || engine.get().map(|e| option_select("Size", "size-select", e.sizes.clone(), draft.get().size, move |v| set_options(|d, v| d.size = v, v)))}
                {move || engine.get().filter(|e| !e.qualities.is_empty()).map(|e| option_select(
                    "Quality",
                    "quality-select",
                    e.qualities.clone(),
                    draft.get().quality.unwrap_or_default(),
                    move |v| set_options(|d, v| d.quality = Some(v), v),
                ))}
            </div>
            {move || engine.get().filter(|e| e.offline).map(|_| offline_hint())}
            <button type="submit" class="primary" data-testid="generate-button" disabled=move || !can_send()>
                "Generate"
            </button>
        </form>
    }
}

fn option_select(
    label: &'static str,
    testid: &'static str,
    choices: Vec<String>,
    current: String,
    on_change: impl Fn(String) + 'static,
) -> impl IntoView {
    view! {
        <label class="option">
            <span>{label}</span>
            <select data-testid=testid on:change=move |ev| on_change(event_target_value(&ev))>
                {choices.into_iter().map(|choice| {
                    let selected = choice == current;
                    view! { <option value=choice.clone() selected=selected>{choice.clone()}</option> }
                }).collect_view()}
            </select>
        </label>
    }
}

fn offline_hint() -> impl IntoView {
    view! {
        <p class="hint offline-hint">
            "The offline engine draws an abstract picture from your prompt's colours and a seed, with no network. "
            "Set OPENAI_API_KEY on the server to use OpenAI."
        </p>
    }
}
