//! `initial_input`: the prompt, the engine, its model and that model's options, and Generate.
//! The form offers only what the chosen model declares; engines that are not set up on this
//! server are listed, disabled, with what to set.

use super::fresh::fresh;
use super::reference_picker::{PickerContext, ReferencePicker, Upload};
use super::shortcut::on_ctrl_enter;
use super::studio::send_with_fresh;
use super::styling_fields::StylingFields;
use super::template_picker::TemplatePicker;
use super::try_on_picker::{TryOn, TryOnPicker};
use crate::fsm::{draft_for, Draft, Event};
use crate::i18n::text;
use crate::model::{carry_options, validate_text, EngineCatalog, EngineInfo, ModelInfo, Template};
use crate::price::{Price, Spent};
use leptos::html::Textarea;
use leptos::prelude::*;

#[component]
pub fn PromptForm(
    draft: Memo<Draft>,
    catalog: Signal<Option<EngineCatalog>>,
    /// The prompts people can fill in; empty until loaded, or when the server has none.
    templates: Signal<Vec<Template>>,
    send: Callback<Event>,
    /// False until the browser has taken over the page.
    hydrated: Signal<bool>,
) -> impl IntoView {
    let engine = Memo::new(move |_| {
        catalog
            .get()
            .and_then(|c| c.engine_or_default(&draft.read().engine).cloned())
    });
    let model = Memo::new(move |_| {
        engine
            .read()
            .as_ref()
            .map(|e| e.model_or_default(&draft.read().model).clone())
    });
    let styling = Memo::new(move |_| draft.read().styling.clone());
    let engine_id = Memo::new(move |_| {
        engine
            .read()
            .as_ref()
            .map(|e| e.id.clone())
            .unwrap_or_default()
    });
    let quality = Memo::new(move |_| draft.read().quality.clone());
    let references = PickerContext {
        references: Memo::new(move |_| draft.read().references.clone()),
        engine,
        model,
        max_upload_bytes: Signal::derive(move || {
            catalog.read().as_ref().map_or(0, |c| c.max_upload_bytes)
        }),
        uploads: RwSignal::new(Vec::<Upload>::new()),
        send,
    };
    let t = text();
    // Too long is said as you type, not after a round trip.
    let length_error = Memo::new(move |_| {
        let engine = engine.get()?;
        let prompt = draft.read().prompt.clone();
        let too_long = prompt.chars().count() > engine.max_prompt_chars;
        too_long
            .then(|| {
                validate_text(
                    "prompt",
                    &prompt,
                    engine.max_prompt_chars,
                    &engine.provider,
                    t,
                )
                .err()
            })
            .flatten()
    });
    let can_send = move || {
        hydrated.get()
            && engine
                .read()
                .as_ref()
                .is_some_and(|e| e.unavailable.is_none())
            && !draft.read().prompt.trim().is_empty()
            && length_error.read().is_none()
            && !references.sending()
            && references.refusal().is_none()
    };
    let try_on = TryOn::new(catalog, engine_id);
    let tried_on = try_on.chosen_engines;
    // The price of the picture, or of all of them when trying several engines.
    let estimate = move || {
        let price_of = |model: &ModelInfo, quality: Option<&str>| model.price(quality);
        let main = model
            .read()
            .as_ref()
            .and_then(|m| price_of(m, quality.read().as_deref()));
        let others = tried_on.get();
        if others.is_empty() {
            let words = match main {
                Some(price) if price.micros == 0 => t.no_charge.to_string(),
                Some(price) => (t.about)(&price.display()),
                None => t.price_unknown.to_string(),
            };
            return format!(" · {words}");
        }
        let draft = draft.read();
        let theirs = others.iter().map(|engine| {
            let variant = draft_for(&draft, engine);
            price_of(
                engine.model_or_default(&variant.model),
                variant.quality.as_deref(),
            )
        });
        let all: Vec<Option<Price>> = std::iter::once(main).chain(theirs).collect();
        let sum = Spent::of(all.iter().map(Option::as_ref)).display(t.unpriced);
        format!(" · {}", (t.about)(&sum))
    };
    let submit = move || {
        if !can_send() {
            return;
        }
        let others = tried_on.get_untracked();
        if others.is_empty() {
            send_with_fresh(send, Event::Generate);
            return;
        }
        let draft = draft.get_untracked();
        let variants = std::iter::once((draft.clone(), fresh()))
            .chain(others.iter().map(|e| (draft_for(&draft, e), fresh())))
            .collect();
        send.run(Event::TryOn(variants));
    };
    let set_options = move |change: fn(&mut Draft, String), value: String| {
        let mut next = draft.get_untracked();
        change(&mut next, value);
        send.run(Event::EditOptions {
            engine: next.engine,
            model: next.model,
            size: next.size,
            quality: next.quality,
            dropped: None,
        });
    };
    // Another engine or model keeps the size and quality it also offers, and says what changed.
    let switch_to = move |engine: &EngineInfo, model: &ModelInfo| {
        let current = draft.get_untracked();
        let carried = carry_options(model, &current.size, current.quality.as_deref());
        let dropped = carried.dropped(&model.id, t);
        send.run(Event::EditOptions {
            engine: engine.id.clone(),
            model: model.id.clone(),
            size: carried.size,
            quality: carried.quality,
            dropped,
        });
    };
    let choose_engine = move |id: String| {
        if let Some(chosen) = catalog.get_untracked().and_then(|c| c.engine(&id).cloned()) {
            switch_to(&chosen, &chosen.models[0]);
        }
    };
    let choose_model = move |id: String| {
        if let Some(current) = engine.get_untracked() {
            switch_to(&current, current.model_or_default(&id));
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
            <TemplatePicker templates engine_id model quality send/>
            <label class="field-label" for="prompt">{t.describe}</label>
            <textarea
                id="prompt"
                node_ref=textarea
                data-testid="prompt-input"
                rows="5"
                placeholder=t.prompt_placeholder
                aria-describedby="prompt-meta"
                prop:value=move || draft.read().prompt.clone()
                on:input=move |ev| send.run(Event::EditPrompt(event_target_value(&ev)))
                on:keydown=on_ctrl_enter(submit)
            ></textarea>
            <p class="prompt-meta" id="prompt-meta">
                <span class:over-limit=move || length_error.read().is_some() data-testid="prompt-count">
                    {move || {
                        let limit = engine.read().as_ref().map(|e| e.max_prompt_chars).unwrap_or_default();
                        (t.characters)(draft.read().prompt.chars().count(), limit)
                    }}
                </span>
                <span class="hint">{t.shortcut_hint}</span>
            </p>
            {move || length_error.get().map(|error| view! {
                <p class="notice notice-error" role="alert" data-testid="error-message">{error.to_string()}</p>
            })}
            <div class="options">
                {move || catalog.get().filter(|c| c.engines.len() > 1).map(|c| view! {
                    <label class="option">
                        <span>{t.engine}</span>
                        <select data-testid="engine-select" on:change=move |ev| choose_engine(event_target_value(&ev))>
                            {c.engines.into_iter().map(|e| {
                                let selected = e.id == draft.read_untracked().engine;
                                let disabled = e.unavailable.is_some();
                                let text = if disabled { (t.not_set_up)(&e.label) } else { e.label.clone() };
                                view! { <option value=e.id.clone() selected=selected disabled=disabled>{text}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                })}
                {move || engine.get().filter(|e| e.models.len() > 1).map(|e| option_select(
                    t.model,
                    "model-select",
                    e.models.iter().map(|m| m.id.clone()).collect(),
                    model.get().map(|m| m.id).unwrap_or_default(),
                    choose_model,
                ))}
                {move || model.get().map(|m| option_select(t.size, "size-select", m.sizes.clone(), draft.get().size, move |v| set_options(|d, v| d.size = v, v)))}
                {move || model.get().filter(|m| !m.qualities.is_empty()).map(|m| option_select(
                    m.quality_label.clone().unwrap_or_else(|| t.quality.into()),
                    "quality-select",
                    m.qualities.clone(),
                    draft.get().quality.unwrap_or_default(),
                    move |v| set_options(|d, v| d.quality = Some(v), v),
                ))}
                <StylingFields model styling send/>
            </div>
            <ReferencePicker context=references/>
            <TryOnPicker try_on/>
            {move || unavailable_hint(catalog.get().map(|c| c.engines).unwrap_or_default())}
            {move || engine.get().filter(|e| e.offline).map(|_| offline_hint(t.offline_hint))}
            <button type="submit" class="primary" data-testid="generate-button" disabled=move || !can_send()>
                {move || match tried_on.read().len() {
                    0 => t.generate.to_string(),
                    n => (t.generate_on)(n + 1),
                }}
                <span class="estimate" data-testid="cost-estimate">{estimate}</span>
            </button>
        </form>
    }
}

fn option_select(
    label: impl Into<String>,
    testid: &'static str,
    choices: Vec<String>,
    current: String,
    on_change: impl Fn(String) + 'static,
) -> impl IntoView {
    view! {
        <label class="option">
            <span>{label.into()}</span>
            <select data-testid=testid on:change=move |ev| on_change(event_target_value(&ev))>
                {choices.into_iter().map(|choice| {
                    let selected = choice == current;
                    view! { <option value=choice.clone() selected=selected>{choice.clone()}</option> }
                }).collect_view()}
            </select>
        </label>
    }
}

fn offline_hint(words: &'static str) -> impl IntoView {
    view! { <p class="hint offline-hint">{words}</p> }
}

/// What to set on the server for each engine the picker lists as not set up.
fn unavailable_hint(engines: Vec<EngineInfo>) -> Option<impl IntoView> {
    let reasons: Vec<String> = engines.into_iter().filter_map(|e| e.unavailable).collect();
    (!reasons.is_empty()).then(|| {
        view! {
            <ul class="hint unavailable-engines" data-testid="unavailable-engines">
                {reasons.into_iter().map(|reason| view! { <li>{reason}</li> }).collect_view()}
            </ul>
        }
    })
}
