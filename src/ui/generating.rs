//! `generating`: what is being made, for how long so far, and a way to stop it.

use super::studio::StudioContext;
use crate::fsm::{Event, Stage};
use leptos::html::Button;
use leptos::prelude::*;
use std::time::Duration;

#[component]
pub fn GeneratingView(context: StudioContext) -> impl IntoView {
    let StudioContext { stage, send, .. } = context;
    let request = Memo::new(move |_| match &*stage.read() {
        Stage::Generating {
            request, session, ..
        } => Some((request.clone(), session.attempts.len() + 1)),
        _ => None,
    });
    let elapsed = RwSignal::new(0u64);
    let started = now_ms();
    // A ticking clock tells people the request is alive; it stops with the view.
    if let Ok(handle) = set_interval_with_handle(
        move || elapsed.set(((now_ms() - started) / 1000.0) as u64),
        Duration::from_millis(250),
    ) {
        on_cleanup(move || handle.clear());
    }
    let cancel = NodeRef::<Button>::new();
    Effect::new(move |_| {
        if let Some(button) = cancel.get() {
            let _ = button.focus();
        }
    });

    view! {
        <section class="generating" aria-busy="true" aria-labelledby="generating-title">
            <div class="spinner" aria-hidden="true"></div>
            <h2 id="generating-title">
                {move || request.get().map(|(_, number)| format!("Generating attempt {number}…"))}
            </h2>
            {move || request.get().map(|(request, _)| view! {
                <blockquote class="prompt-echo" data-testid="generating-prompt">{request.prompt.clone()}</blockquote>
                {request.refinements.last().map(|feedback| view! {
                    <p class="refine-echo">"Refining: " <q>{feedback.clone()}</q></p>
                })}
            })}
            <p class="elapsed" data-testid="elapsed">{move || format!("{} s elapsed", elapsed.get())}</p>
            <button type="button" node_ref=cancel data-testid="cancel-button" on:click=move |_| send.run(Event::Cancel)>
                "Cancel"
            </button>
        </section>
    }
}

#[cfg(feature = "hydrate")]
fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// The server renders only `initial_input`, so this is never reached there.
#[cfg(not(feature = "hydrate"))]
fn now_ms() -> f64 {
    0.0
}
