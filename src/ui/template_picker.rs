//! Start from a template: pick one, fill its `{slot}`s, and the prompt, size, style and palette
//! are set from it, each where the chosen model offers it (what it does not offer is said, as
//! when switching models).

use crate::fsm::Event;
use crate::i18n::text;
use crate::model::{carry_options, ModelInfo, Styling, Template};
use leptos::prelude::*;

#[component]
pub fn TemplatePicker(
    templates: Signal<Vec<Template>>,
    engine_id: Memo<String>,
    model: Memo<Option<ModelInfo>>,
    quality: Memo<Option<String>>,
    send: Callback<Event>,
) -> AnyView {
    let t = text();
    let chosen = RwSignal::new(None::<Template>);
    // The values typed into the chosen template's slots, by slot name.
    let values = RwSignal::new(Vec::<(String, String)>::new());
    let choose = move |id: String| {
        let template = templates.get_untracked().into_iter().find(|t| t.id == id);
        values.set(
            template
                .as_ref()
                .map(|t| t.slots().into_iter().map(|s| (s, String::new())).collect())
                .unwrap_or_default(),
        );
        chosen.set(template);
    };
    let apply = move || {
        let (Some(template), Some(model)) = (chosen.get_untracked(), model.get_untracked()) else {
            return;
        };
        send.run(Event::EditPrompt(template.fill(&values.get_untracked())));
        let size = template
            .size
            .clone()
            .unwrap_or_else(|| model.default_size.clone());
        let carried = carry_options(&model, &size, quality.get_untracked().as_deref());
        let dropped = carried.dropped(&model.id, t);
        send.run(Event::EditOptions {
            engine: engine_id.get_untracked(),
            model: model.id.clone(),
            size: carried.size,
            quality: carried.quality,
            dropped,
        });
        send.run(Event::EditStyling(Styling {
            negative_prompt: None,
            style: template.style.clone().filter(|s| model.styles.contains(s)),
            palette: template.palette.clone(),
        }));
    };

    view! {
        {move || (!templates.read().is_empty()).then(|| view! {
            <details class="template-picker" data-testid="template-picker">
                <summary>{t.start_from_template}</summary>
                <label class="option">
                    <span>{t.template}</span>
                    <select data-testid="template-select" on:change=move |ev| choose(event_target_value(&ev))>
                        <option value="">{t.choose}</option>
                        {templates.get().into_iter().map(|template| view! { <option value=template.id.clone()>{template.name.clone()}</option> }).collect_view()}
                    </select>
                </label>
                // The slot fields are drawn once per template; typing only writes `values`, so a
                // field is never redrawn (and never loses focus) while someone types in it.
                {move || chosen.get().map(|template| view! {
                    <div class="template-slots">
                        {template.slots().into_iter().enumerate().map(|(index, slot)| view! {
                            <label class="option">
                                <span>{slot.clone()}</span>
                                <input
                                    type="text"
                                    data-testid=format!("template-slot-{slot}")
                                    on:input=move |ev| {
                                        let text = event_target_value(&ev);
                                        values.update_untracked(|v| v[index].1 = text);
                                    }
                                />
                            </label>
                        }).collect_view()}
                        <button type="button" data-testid="template-apply" on:click=move |_| apply()>{t.use_template}</button>
                    </div>
                })}
            </details>
        })}
    }
    .into_any()
}
