//! The negative prompt, style and palette of a draft, each shown only when the chosen model
//! takes it (a custom palette is offered for every model: one without a palette field gets the
//! colours written into its prompt).

use crate::fsm::Event;
use crate::i18n::text;
use crate::model::{palette_from_text, ModelInfo, Palette, Styling};
use leptos::prelude::*;

/// The palette select's value for "my own colours".
const CUSTOM: &str = "custom";

#[component]
pub fn StylingFields(
    model: Memo<Option<ModelInfo>>,
    styling: Memo<Styling>,
    send: Callback<Event>,
) -> AnyView {
    let change = move |edit: Box<dyn FnOnce(&mut Styling)>| {
        let mut next = styling.get_untracked();
        edit(&mut next);
        send.run(Event::EditStyling(next));
    };
    // What people type stays theirs (spaces, half-typed colours); the draft holds the palette it
    // reads as. A palette set from elsewhere (a template, a reload) replaces the text.
    let colours_text = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Palette::Custom(swatches)) = styling.read().palette.clone() {
            let typed = palette_from_text(&colours_text.get_untracked())
                .ok()
                .flatten();
            if typed != Some(Palette::Custom(swatches.clone())) {
                let hexes: Vec<String> = swatches.into_iter().map(|s| s.hex).collect();
                colours_text.set(hexes.join(", "));
            }
        }
    });
    let colours_error = RwSignal::new(None::<String>);
    let palette_choice = Memo::new(move |_| match &styling.read().palette {
        None => String::new(),
        Some(Palette::Preset(name)) => name.clone(),
        Some(Palette::Custom(_)) => CUSTOM.to_string(),
    });
    // "My colours" stays chosen while the colours are still being typed (no palette yet).
    let picked_custom = RwSignal::new(false);
    let show_colours = move || picked_custom.get() || palette_choice.get() == CUSTOM;
    let read_colours = move |text: String| {
        colours_text.set(text.clone());
        match palette_from_text(&text) {
            Ok(palette) => {
                colours_error.set(None);
                change(Box::new(move |s| s.palette = palette));
            }
            Err(error) => colours_error.set(Some(error.to_string())),
        }
    };
    let choose_palette = move |value: String| {
        picked_custom.set(value == CUSTOM);
        match value.as_str() {
            "" => change(Box::new(|s| s.palette = None)),
            CUSTOM => read_colours(colours_text.get_untracked()),
            preset => {
                let preset = preset.to_string();
                change(Box::new(move |s| s.palette = Some(Palette::Preset(preset))));
            }
        }
    };

    let t = text();
    view! {
        {move || model.get().filter(|m| m.negative_prompt).map(|_| view! {
            <label class="option option-wide">
                <span>{t.negative_prompt}</span>
                <textarea
                    rows="2"
                    data-testid="negative-prompt-input"
                    placeholder="text, watermark, blur"
                    prop:value=move || styling.read().negative_prompt.clone().unwrap_or_default()
                    on:input=move |ev| {
                        let text = event_target_value(&ev);
                        change(Box::new(move |s| s.negative_prompt = Some(text).filter(|t| !t.trim().is_empty())));
                    }
                ></textarea>
            </label>
        })}
        {move || model.get().filter(|m| !m.styles.is_empty()).map(|m| {
            let label = m.style_label.clone().unwrap_or_else(|| t.style.into());
            let current = styling.read().style.clone().unwrap_or_default();
            view! {
                <label class="option">
                    <span>{label}</span>
                    <select data-testid="style-select" on:change=move |ev| {
                        let value = event_target_value(&ev);
                        change(Box::new(move |s| s.style = Some(value).filter(|v| !v.is_empty())));
                    }>
                        <option value="" selected=current.is_empty()>{t.default_choice}</option>
                        {m.styles.into_iter().map(|style| {
                            let selected = style == current;
                            view! { <option value=style.clone() selected=selected>{style.clone()}</option> }
                        }).collect_view()}
                    </select>
                </label>
            }
        })}
        {move || model.get().map(|m| {
            let current = palette_choice.get();
            let native = m.custom_palette || !m.palette_presets.is_empty();
            view! {
                <label class="option">
                    <span>{t.palette}</span>
                    <select data-testid="palette-select" on:change=move |ev| choose_palette(event_target_value(&ev))>
                        <option value="" selected=current.is_empty()>{t.no_palette}</option>
                        {m.palette_presets.into_iter().map(|name| {
                            let selected = name == current;
                            view! { <option value=name.clone() selected=selected>{name.clone()}</option> }
                        }).collect_view()}
                        <option value=CUSTOM selected=current == CUSTOM || picked_custom.get()>
                            {if native { t.my_colours } else { t.my_colours_in_words }}
                        </option>
                    </select>
                </label>
            }
        })}
        {move || show_colours().then(|| view! {
            <label class="option option-wide">
                <span>{t.colours_field}</span>
                <input
                    type="text"
                    data-testid="palette-colours"
                    placeholder="#000030, #1C0C47, #9900FF"
                    prop:value=move || colours_text.get()
                    on:input=move |ev| read_colours(event_target_value(&ev))
                />
                <span class="swatches" aria-hidden="true">
                    {move || match &styling.read().palette {
                        // An SVG fill, not a style attribute: the page's policy allows no inline styles.
                        Some(Palette::Custom(swatches)) => swatches.iter().map(|s| view! {
                            <svg class="swatch" viewBox="0 0 1 1"><rect width="1" height="1" fill=s.hex.clone()></rect></svg>
                        }).collect_view().into_any(),
                        _ => ().into_any(),
                    }}
                </span>
                {move || colours_error.get().map(|e| view! {
                    <span class="field-error" role="alert" data-testid="palette-error">{e}</span>
                })}
            </label>
        })}
    }
    .into_any()
}
