//! `user_feedback`: the attempt on show, how it was made, Approve / Regenerate / Refine, every
//! attempt of the session as a strip, and a side-by-side comparison.

use super::attempt_details::AttemptDetails;
use super::picture::Picture;
use super::shortcut::on_ctrl_enter;
use super::studio::send_with_fresh;
use super::used_references::UsedReferences;
use crate::fsm::{Attempt, Event};
use crate::i18n::text;
use crate::price::Spent;
use leptos::html::Button;
use leptos::prelude::*;
use std::sync::Arc;

/// `attempts` are fixed while the review lasts; `shown`, `compare` and `feedback` follow the
/// person's choices. Only what reads a signal re-renders: typing in the refine box touches the
/// refine box alone, never a picture.
#[component]
pub fn ReviewView(
    attempts: Arc<[Attempt]>,
    /// Index of the attempt on show.
    shown: Memo<usize>,
    /// Index of the attempt shown beside it, when comparing.
    compare: Memo<Option<usize>>,
    feedback: Memo<String>,
    send: Callback<Event>,
) -> AnyView {
    let total = attempts.len();
    let t = text();
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
    let shown_picture = {
        let attempts = attempts.clone();
        move || {
            let index = shown.get();
            attempts.get(index).map(|attempt| {
                let alt = (t.attempt_alt)(index + 1, &attempt.request.prompt);
                view! {
                    <figure class="picture">
                        <Picture id=attempt.request.request_id.clone() testid="result-image" alt/>
                        <figcaption>
                            {(t.attempt_of)(index + 1, total, &attempt.image.provider)}
                            {attempt.request.refinements.last().map(|f| (t.refined)(f))}
                        </figcaption>
                    </figure>
                }
            })
        }
    };
    let details = {
        let attempts = attempts.clone();
        move || {
            let attempt = attempts.get(shown.get())?;
            let ids = attempt.request.references.clone();
            Some(
                view! {
                    <AttemptDetails image=attempt.image.clone()/>
                    <UsedReferences ids/>
                }
                .into_any(),
            )
        }
    };
    // The attempts cannot change while this view lasts, so neither can the sum.
    let spent =
        (t.spent)(&Spent::of(attempts.iter().map(|a| a.image.cost.as_ref())).display(t.unpriced));
    let compared = {
        let attempts = attempts.clone();
        move || {
            let index = compare.get()?;
            let attempt = attempts.get(index)?;
            let alt = (t.compare_alt)(index + 1);
            Some(view! {
                <figure class="picture picture-compare">
                    <Picture id=attempt.request.request_id.clone() testid="compare-image" alt/>
                    <figcaption>{(t.attempt_by)(index + 1, &attempt.image.provider)}</figcaption>
                </figure>
            })
        }
    };
    view! {
        <section class="review" aria-label="Review">
            <div class="viewer" class:comparing=move || compare.read().is_some()>
                {compared}
                {shown_picture}
            </div>
            <div class="panel">
                {details}
                <p class="hint spent" data-testid="session-spent">{spent}</p>
                <div class="actions">
                    <button type="button" class="primary" node_ref=approve data-testid="approve-button" on:click=move |_| send.run(Event::Approve)>
                        {move || (t.approve)(shown.get() + 1)}
                    </button>
                    <button type="button" data-testid="regenerate-button" on:click=move |_| send_with_fresh(send, Event::Regenerate)>
                        {t.regenerate}
                    </button>
                </div>
                <form class="refine" on:submit=move |ev| { ev.prevent_default(); refine(); }>
                    <label class="field-label" for="refine">{t.refine_label}</label>
                    <textarea
                        id="refine"
                        data-testid="refine-input"
                        rows="2"
                        placeholder=t.refine_placeholder
                        prop:value=move || feedback.get()
                        on:input=move |ev| send.run(Event::EditFeedback(event_target_value(&ev)))
                        on:keydown=on_ctrl_enter(refine)
                    ></textarea>
                    <button type="submit" data-testid="refine-button" disabled=move || feedback.read().trim().is_empty()>
                        {t.refine}
                    </button>
                </form>
                <label class="option compare-option">
                    <span>{t.compare_with}</span>
                    <select data-testid="compare-select" on:change=move |ev| {
                        send.run(Event::Compare(event_target_value(&ev).parse::<usize>().ok()))
                    }>
                        <option value="" selected=move || compare.read().is_none()>"—"</option>
                        {move || {
                            let current = shown.get();
                            let chosen = compare.get();
                            (0..total).filter(|i| *i != current).map(|i| view! {
                                <option value=i.to_string() selected=Some(i) == chosen>{(t.attempt_n)(i + 1)}</option>
                            }).collect_view()
                        }}
                    </select>
                </label>
            </div>
            <AttemptStrip attempts shown send/>
        </section>
    }
    .into_any()
}

/// Every attempt as a thumbnail button; the list never changes while the review lasts, only
/// which one is current.
#[component]
fn AttemptStrip(
    attempts: Arc<[Attempt]>,
    shown: Memo<usize>,
    send: Callback<Event>,
) -> impl IntoView {
    let t = text();
    view! {
        <nav class="strip" aria-label="Attempts">
            <ol>
                {attempts.iter().enumerate().map(|(index, attempt)| {
                    let label = (t.open_attempt)(index + 1, &attempt.image.provider);
                    view! {
                        <li>
                            <button
                                type="button"
                                class="attempt"
                                data-testid="attempt-item"
                                aria-label=label
                                aria-current=move || (shown.get() == index).then_some("true")
                                on:click=move |_| send.run(Event::Show(index))
                            >
                                <Picture id=attempt.request.request_id.clone() testid="attempt-thumb" alt=String::new()/>
                                <span class="attempt-number">{(index + 1).to_string()}</span>
                                {(!attempt.request.refinements.is_empty()).then(|| view! { <span class="attempt-tag">{t.refined_tag}</span> })}
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ol>
        </nav>
    }
}
