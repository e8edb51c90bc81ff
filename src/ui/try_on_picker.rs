//! "Also try on": up to two more engines that get the same prompt at the same time as the chosen
//! one, each as it takes it (`fsm::draft_for`); their pictures arrive side by side for review.

use crate::i18n::text;
use crate::model::EngineInfo;
use leptos::prelude::*;

/// How many engines a try-on may add to the chosen one (three pictures side by side at most).
pub const MAX_OTHERS: usize = 2;

/// `others`: the engines that can be added (usable, not the chosen one); `chosen`: the ids ticked.
#[component]
pub fn TryOnPicker(others: Memo<Vec<EngineInfo>>, chosen: RwSignal<Vec<String>>) -> AnyView {
    let t = text();
    let toggle = move |id: String| {
        chosen.update(|ids| match ids.iter().position(|c| *c == id) {
            Some(index) => {
                ids.remove(index);
            }
            None => ids.push(id),
        })
    };
    view! {
        <fieldset class="try-on" data-testid="try-on" hidden=move || others.read().is_empty()>
            <legend class="field-label">{t.also_try_on}</legend>
            {move || others.get().into_iter().map(|engine| {
                let id = engine.id.clone();
                let ticked = {
                    let id = id.clone();
                    move || chosen.read().contains(&id)
                };
                let full = {
                    let ticked = ticked.clone();
                    move || !ticked() && chosen.read().len() >= MAX_OTHERS
                };
                view! {
                    <label class="try-on-engine">
                        <input type="checkbox" data-testid=format!("try-on-{id}")
                            prop:checked=ticked disabled=full
                            on:change=move |_| toggle(id.clone())/>
                        {engine.label}
                    </label>
                }
            }).collect_view()}
            <p class="hint">{t.try_on_hint}</p>
        </fieldset>
    }
    .into_any()
}
