//! `user_feedback`: the attempt on show, how it was made, Approve / Regenerate / Refine, every
//! attempt of the session as a strip, and a side-by-side comparison.

use super::attempt_details::AttemptDetails;
use super::studio::{send_with_fresh, StudioContext};
use crate::fsm::{Attempt, Event, Stage};
use crate::model::GeneratedImage;
use crate::price::Spent;
use leptos::ev::KeyboardEvent;
use leptos::html::Button;
use leptos::prelude::*;

#[derive(Clone, PartialEq)]
struct Shown {
    index: usize,
    total: usize,
    attempt: Attempt,
}

#[component]
pub fn ReviewView(context: StudioContext) -> impl IntoView {
    let StudioContext { stage, send, .. } = context;
    // Memos compare by value (image data is an `Arc`, compared by pointer first), so typing in
    // the refine box does not re-render the pictures.
    let shown = Memo::new(move |_| match &*stage.read() {
        Stage::UserFeedback { session, shown, .. } => {
            session.attempts.get(*shown).map(|attempt| Shown {
                index: *shown,
                total: session.attempts.len(),
                attempt: attempt.clone(),
            })
        }
        _ => None,
    });
    let compared = Memo::new(move |_| match &*stage.read() {
        Stage::UserFeedback {
            session,
            compare: Some(index),
            ..
        } => session
            .attempts
            .get(*index)
            .map(|a| (*index, a.image.clone())),
        _ => None,
    });
    let attempts = Memo::new(move |_| {
        stage
            .read()
            .session()
            .map(|s| s.attempts.clone())
            .unwrap_or_default()
    });
    let feedback = Memo::new(move |_| match &*stage.read() {
        Stage::UserFeedback { feedback, .. } => feedback.clone(),
        _ => String::new(),
    });
    let refine = move || {
        if !feedback.read().trim().is_empty() {
            send_with_fresh(send, Event::Refine);
        }
    };
    let approve = NodeRef::<Button>::new();
    Effect::new(move |_| {
        if let Some(button) = approve.get() {
            let _ = button.focus();
        }
    });

    view! {
        <section class="review" aria-label="Review">
            <div class="viewer" class:comparing=move || compared.read().is_some()>
                {move || compared.get().map(|(index, image)| view! {
                    <figure class="picture picture-compare">
                        <Picture image testid="compare-image" alt=format!("Attempt {} (for comparison)", index + 1)/>
                        <figcaption>{format!("Attempt {}", index + 1)}</figcaption>
                    </figure>
                })}
                {move || shown.get().map(|Shown { index, total, attempt }| view! {
                    <figure class="picture">
                        <Picture image=attempt.image.clone() testid="result-image" alt=format!("Attempt {}: {}", index + 1, attempt.request.prompt)/>
                        <figcaption>
                            {format!("Attempt {} of {total}", index + 1)}
                            {attempt.request.refinements.last().map(|f| format!(" · refined: “{f}”"))}
                            {attempt.image.engine.eq("offline").then_some(" · offline render")}
                        </figcaption>
                    </figure>
                })}
            </div>
            <div class="panel">
                {move || shown.get().map(|s| view! { <AttemptDetails image=s.attempt.image/> })}
                <p class="hint spent" data-testid="session-spent">
                    {move || format!("Spent this session: {}", Spent::of(attempts.read().iter().map(|a| a.image.cost.as_ref())).display())}
                </p>
                <div class="actions">
                    <button type="button" class="primary" node_ref=approve data-testid="approve-button" on:click=move |_| send.run(Event::Approve)>
                        {move || shown.get().map(|s| format!("Approve attempt {}", s.index + 1))}
                    </button>
                    <button type="button" data-testid="regenerate-button" on:click=move |_| send_with_fresh(send, Event::Regenerate)>
                        "Regenerate"
                    </button>
                </div>
                <form class="refine" on:submit=move |ev| { ev.prevent_default(); refine(); }>
                    <label class="field-label" for="refine">"Refine this attempt"</label>
                    <textarea
                        id="refine"
                        data-testid="refine-input"
                        rows="2"
                        placeholder="warmer light, no text"
                        prop:value=move || feedback.get()
                        on:input=move |ev| send.run(Event::EditFeedback(event_target_value(&ev)))
                        on:keydown=move |ev: KeyboardEvent| {
                            if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
                                ev.prevent_default();
                                refine();
                            }
                        }
                    ></textarea>
                    <button type="submit" data-testid="refine-button" disabled=move || feedback.read().trim().is_empty()>
                        "Refine"
                    </button>
                </form>
                <label class="option compare-option">
                    <span>"Compare with"</span>
                    <select data-testid="compare-select" on:change=move |ev| {
                        send.run(Event::Compare(event_target_value(&ev).parse::<usize>().ok()))
                    }>
                        <option value="" selected=move || compared.read().is_none()>"—"</option>
                        {move || {
                            let current = shown.read().as_ref().map(|s| s.index);
                            let chosen = compared.read().as_ref().map(|(i, _)| *i);
                            (0..attempts.read().len()).filter(|i| Some(*i) != current).map(|i| view! {
                                <option value=i.to_string() selected=Some(i) == chosen>{format!("Attempt {}", i + 1)}</option>
                            }).collect_view()
                        }}
                    </select>
                </label>
            </div>
            <AttemptStrip attempts=attempts.into() shown=Signal::derive(move || shown.read().as_ref().map(|s| s.index)) send/>
        </section>
    }
}

#[component]
fn AttemptStrip(
    attempts: Signal<Vec<Attempt>>,
    shown: Signal<Option<usize>>,
    send: Callback<Event>,
) -> impl IntoView {
    view! {
        <nav class="strip" aria-label="Attempts">
            <ol>
                {move || attempts.get().into_iter().enumerate().map(|(index, attempt)| {
                    let label = format!("Open attempt {}", index + 1);
                    view! {
                        <li>
                            <button
                                type="button"
                                class="attempt"
                                data-testid="attempt-item"
                                aria-label=label
                                aria-current=move || (shown.get() == Some(index)).then_some("true")
                                on:click=move |_| send.run(Event::Show(index))
                            >
                                <Picture image=attempt.image testid="attempt-thumb" alt=String::new()/>
                                <span class="attempt-number">{(index + 1).to_string()}</span>
                                {(!attempt.request.refinements.is_empty()).then(|| view! { <span class="attempt-tag">"refined"</span> })}
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ol>
        </nav>
    }
}

/// An image, or a plain note when the browser could not keep its bytes across a reload.
#[component]
pub fn Picture(image: GeneratedImage, testid: &'static str, alt: String) -> impl IntoView {
    if image.b64.is_empty() {
        view! { <div class="picture-missing" data-testid=testid>"Image not kept after reload (browser storage was full)"</div> }.into_any()
    } else {
        view! { <img src=image.data_url() alt=alt data-testid=testid decoding="async"/> }.into_any()
    }
}
