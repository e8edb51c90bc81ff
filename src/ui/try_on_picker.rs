//! "Also try on": up to two more engines that get the same prompt at the same time as the chosen
//! one, each as it takes it (`fsm::draft_for`); their pictures arrive side by side for review.

use crate::i18n::text;
use crate::model::{EngineCatalog, EngineInfo};
use leptos::prelude::*;

/// How many engines a try-on may add to the chosen one (three pictures side by side at most).
pub const MAX_OTHERS: usize = 2;

/// The engines a try-on may add and those ticked.
#[derive(Clone, Copy)]
pub struct TryOn {
    /// Usable engines besides the chosen one.
    others: Memo<Vec<EngineInfo>>,
    /// The ids ticked (one may name an engine that has since become the chosen one).
    ticked: RwSignal<Vec<String>>,
    /// The ticked engines that can be added now.
    pub chosen_engines: Memo<Vec<EngineInfo>>,
}

impl TryOn {
    pub fn new(catalog: Signal<Option<EngineCatalog>>, chosen_engine: Memo<String>) -> TryOn {
        let others = Memo::new(move |_| {
            let current = chosen_engine.get();
            catalog.get().map_or_else(Vec::new, |c| {
                c.engines
                    .into_iter()
                    .filter(|e| e.unavailable.is_none() && e.id != current)
                    .collect::<Vec<_>>()
            })
        });
        let ticked = RwSignal::new(Vec::<String>::new());
        let chosen_engines = Memo::new(move |_| {
            let ids = ticked.read();
            others
                .get()
                .into_iter()
                .filter(|e| ids.contains(&e.id))
                .collect::<Vec<_>>()
        });
        TryOn {
            others,
            ticked,
            chosen_engines,
        }
    }
}

#[component]
pub fn TryOnPicker(try_on: TryOn) -> AnyView {
    let TryOn {
        others,
        ticked: chosen,
        ..
    } = try_on;
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
