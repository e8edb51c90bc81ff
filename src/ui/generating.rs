//! `generating`: what is being made (on which engines, when several are tried at once), for how
//! long so far, and a way to stop it.

use crate::fsm::Event;
use crate::i18n::text;
use leptos::html::Button;
use leptos::prelude::*;
use std::time::Duration;

/// `number` is the first attempt being made (1 for the first). `engines` are (request id, engine
/// label) of every request of this generation; `running`, the ids of those still running.
#[component]
pub fn GeneratingView(
    prompt: String,
    refining: Option<String>,
    engines: Vec<(String, String)>,
    running: Signal<Vec<String>>,
    number: usize,
    send: Callback<Event>,
) -> impl IntoView {
    let elapsed = RwSignal::new(0u64);
    let started = now_ms();
    // A ticking clock tells people the request is alive; it stops with the view. Checked four
    // times a second, so it turns soon after each second, but the page redraws once a second.
    if let Ok(handle) = set_interval_with_handle(
        move || {
            let seconds = ((now_ms() - started) / 1000.0) as u64;
            if seconds != elapsed.get_untracked() {
                elapsed.set(seconds);
            }
        },
        Duration::from_millis(250),
    ) {
        on_cleanup(move || handle.clear());
    }
    let t = text();
    let title = match engines.len() {
        0 | 1 => (t.generating_attempt)(number),
        n => (t.trying_on)(n),
    };
    let cancel = NodeRef::<Button>::new();
    Effect::new(move |_| {
        if let Some(button) = cancel.get() {
            let _ = button.focus();
        }
    });

    view! {
        <section class="generating" aria-busy="true" aria-labelledby="generating-title">
            <div class=move || format!("spinner turn-{}", elapsed.get() % 4) aria-hidden="true"></div>
            <h2 id="generating-title">{title}</h2>
            <blockquote class="prompt-echo" data-testid="generating-prompt">{prompt}</blockquote>
            {refining.map(|feedback| view! {
                <p class="refine-echo">{t.refining} <q>{feedback}</q></p>
            })}
            {(engines.len() > 1).then(|| view! {
                <ul class="trying-on" data-testid="trying-on">
                    {engines.into_iter().map(|(id, label)| {
                        let done = Memo::new(move |_| !running.read().contains(&id));
                        view! {
                            <li data-testid="trying-on-engine" class:done=done>
                                {label}
                                <span class="hint">{move || if done.get() { t.answered } else { t.working }}</span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            })}
            <p class="elapsed" data-testid="elapsed">{move || (t.elapsed)(elapsed.get())}</p>
            <button type="button" node_ref=cancel data-testid="cancel-button" on:click=move |_| send.run(Event::Cancel)>
                {t.cancel}
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
