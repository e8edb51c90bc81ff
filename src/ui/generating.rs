//! `generating`: what is being made (on which engines, when several are tried at once), for how
//! long so far, and a way to stop it.

use crate::fsm::Event;
use crate::i18n::text;
use crate::model::Progress;
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
) -> AnyView {
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
    let several = engines.len() > 1;
    // What each running request is doing, as the server last said.
    let progress = RwSignal::new(Vec::<(String, Progress)>::new());
    #[cfg(feature = "hydrate")]
    follow_progress(engines.iter().map(|(id, _)| id.as_str()), progress);
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
            {several.then(|| view! {
                <ul class="trying-on" data-testid="trying-on">
                    {engines.into_iter().map(|(id, label)| {
                        let done = {
                            let id = id.clone();
                            Memo::new(move |_| !running.read().contains(&id))
                        };
                        let now = {
                            let id = id.clone();
                            Memo::new(move |_| progress.read().iter().find(|(i, _)| *i == id).map(|(_, p)| *p))
                        };
                        view! {
                            <li data-testid="trying-on-engine" class:done=done>
                                {label}
                                <span class="hint">{move || match (done.get(), now.get()) {
                                    (true, _) => t.answered.to_string(),
                                    (false, Some(now)) => format!(" · {}", (t.progress)(now)),
                                    (false, None) => t.working.to_string(),
                                }}</span>
                                <Preview src=Memo::new(move |_| if done.get() { None } else { preview_src(&id, now.get()) }) />
                            </li>
                        }
                    }).collect_view()}
                </ul>
            })}
            {move || (!several).then(|| progress.read().first().map(|(_, now)| view! {
                <p class="progress" data-testid="generation-progress">{(t.progress)(*now)}</p>
            }))}
            {(!several).then(|| view! {
                <Preview src=Memo::new(move |_| progress.read().first().and_then(|(id, now)| preview_src(id, Some(*now)))) />
            })}
            <p class="elapsed" data-testid="elapsed">{move || (t.elapsed)(elapsed.get())}</p>
            <button type="button" node_ref=cancel data-testid="cancel-button" on:click=move |_| send.run(Event::Cancel)>
                {t.cancel}
            </button>
        </section>
    }
    .into_any()
}

/// Where the newest rough preview of request `id` is, when its engine has streamed one. `?n=`
/// names each new one, so the browser fetches it once and the `<img>` changes only then.
fn preview_src(id: &str, now: Option<Progress>) -> Option<String> {
    match now {
        Some(Progress::Preview { number }) => {
            Some(format!("/api/generation_preview/{id}?n={number}"))
        }
        _ => None,
    }
}

/// One `<img>` kept while previews come, so each new one replaces the last without a blank.
#[component]
fn Preview(src: Memo<Option<String>>) -> impl IntoView {
    view! {
        <Show when=move || src.with(Option::is_some)>
            <img class="preview" data-testid="generation-preview" src=move || src.get() alt=text().preview_alt />
        </Show>
    }
}

/// Hears from the server what each request is doing, as it changes
/// (`GET /api/generation_events`), until the view goes.
#[cfg(feature = "hydrate")]
fn follow_progress<'a>(
    ids: impl Iterator<Item = &'a str>,
    progress: RwSignal<Vec<(String, Progress)>>,
) {
    use crate::model::ProgressEvent;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    use web_sys::{EventSource, MessageEvent};

    let url = format!(
        "/api/generation_events?ids={}",
        ids.collect::<Vec<_>>().join(",")
    );
    // Without the stream the view still works: it only shows no progress.
    let Ok(events) = EventSource::new(&url) else {
        return;
    };
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |message: MessageEvent| {
        let Some(data) = message.data().as_string() else {
            return;
        };
        if let Ok(ProgressEvent { id, progress: now }) = serde_json::from_str(&data) {
            // `try_`: the view may be going.
            progress.try_update(|all| {
                all.retain(|(known, _)| *known != id);
                all.push((id, now));
            });
        }
    });
    events.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The closure lives as long as the stream; both go with the view.
    let open = send_wrapper::SendWrapper::new((events, on_message));
    on_cleanup(move || {
        let (events, _) = &*open;
        events.close();
        events.set_onmessage(None);
    });
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
