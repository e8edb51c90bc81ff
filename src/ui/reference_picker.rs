//! The draft's reference images: thumbnails with Remove, files being sent with their progress,
//! files refused with why, and three ways to add more (drop anywhere on the page, paste, or the
//! file picker). What only the browser does (reading files, sending them) is in `browser`.

#[cfg(feature = "hydrate")]
mod browser;

use crate::fsm::Event;
use crate::i18n::text;
use crate::model::{validate_references, EngineInfo, ModelInfo, ReferenceImage};
use leptos::prelude::*;

/// A file on its way to the server, or refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upload {
    pub key: u64,
    pub name: String,
    /// The file's own object URL, shown while it is sent.
    pub preview: Option<String>,
    /// Per cent sent.
    pub progress: u32,
    /// Why the file was not added; shown until dismissed.
    pub error: Option<String>,
}

impl Upload {
    pub fn in_flight(&self) -> bool {
        self.error.is_none()
    }
}

/// Where a stored reference is served from (the page shows the stored, upright version).
pub fn reference_url(id: &str) -> String {
    format!("/api/references/{id}")
}

/// What the picker needs to know about the chosen engine and model.
#[derive(Clone, Copy)]
pub struct PickerContext {
    pub references: Memo<Vec<ReferenceImage>>,
    pub engine: Memo<Option<EngineInfo>>,
    pub model: Memo<Option<ModelInfo>>,
    /// The server's upload limit in bytes (0 when unknown).
    pub max_upload_bytes: Signal<u64>,
    pub uploads: RwSignal<Vec<Upload>>,
    pub send: Callback<Event>,
}

impl PickerContext {
    fn max(&self) -> u32 {
        self.model
            .read()
            .as_ref()
            .map_or(0, |model| model.max_references)
    }

    /// Why the draft's references cannot be sent to this model (too many), if they cannot.
    pub fn refusal(&self) -> Option<String> {
        let model = self.model.read();
        let ids: Vec<String> = self
            .references
            .read()
            .iter()
            .map(|r| r.id.clone())
            .collect();
        validate_references(&ids, model.as_ref()?, &self.label(), text())
            .err()
            .map(|e| e.to_string())
    }

    /// Whether a file is still on its way.
    pub fn sending(&self) -> bool {
        self.uploads.read().iter().any(Upload::in_flight)
    }

    fn label(&self) -> String {
        match (&*self.engine.read(), &*self.model.read()) {
            (Some(engine), Some(model)) => engine.label_with(model),
            _ => String::new(),
        }
    }
}

#[component]
pub fn ReferencePicker(context: PickerContext) -> AnyView {
    let PickerContext {
        references,
        uploads,
        send,
        ..
    } = context;
    let dragging = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    browser::listen(context, dragging);

    let too_many = Memo::new(move |_| context.refusal());
    let shown = move || context.max() > 0 || !references.read().is_empty();
    let remove = move |id: String| {
        let mut next = references.get_untracked();
        next.retain(|r| r.id != id);
        send.run(Event::EditReferences(next));
    };
    let dismiss = move |key: u64| uploads.update(|all| all.retain(|u| u.key != key));
    let t = text();
    let count = move || (t.reference_count)(references.read().len(), context.max());
    let hint = move || {
        let limit = Some(context.max_upload_bytes.get()).filter(|bytes| *bytes > 0);
        (t.reference_hint)(limit.map(crate::model::megabytes).as_deref())
    };

    view! {
        <section
            class="references"
            class:dragging=move || dragging.get()
            data-testid="references"
            hidden=move || !shown()
        >
            <p class="references-head">
                <span class="field-label">{t.references}</span>
                <span class="hint" data-testid="reference-count">{count}</span>
            </p>
            <ul class="reference-list">
                <For
                    each=move || references.get().into_iter().enumerate()
                    key=|(_, r)| r.id.clone()
                    children=move |(index, reference)| {
                        let id = reference.id.clone();
                        let alt = (t.reference_alt)(index + 1, reference.width, reference.height);
                        view! {
                            <li class="reference" data-testid="reference" data-reference-id=reference.id.clone()>
                                <img src=reference_url(&reference.id) alt=alt width=reference.width height=reference.height/>
                                <button type="button" class="secondary remove" data-testid="remove-reference"
                                    on:click=move |_| remove(id.clone())>{t.remove}</button>
                            </li>
                        }
                    }
                />
                <For
                    each=move || uploads.get()
                    key=|u| (u.key, u.error.is_some())
                    children=move |upload| {
                        let key = upload.key;
                        let label = (t.sending)(&upload.name);
                        match upload.error {
                            None => view! {
                                <li class="reference uploading" data-testid="reference-upload">
                                    {upload.preview.map(|src| view! { <img src=src alt=label.clone()/> })}
                                    <progress max="100" aria-label=label
                                        prop:value=move || uploads.read().iter().find(|u| u.key == key).map_or(0, |u| u.progress)
                                    ></progress>
                                </li>
                            }.into_any(),
                            Some(error) => view! {
                                <li class="reference refused" data-testid="upload-error" role="alert">
                                    <p><strong>{upload.name}</strong>": "{error}</p>
                                    <button type="button" class="secondary" data-testid="dismiss-upload-error"
                                        on:click=move |_| dismiss(key)>{t.dismiss}</button>
                                </li>
                            }.into_any(),
                        }
                    }
                />
            </ul>
            {move || too_many.get().map(|message| view! {
                <p class="notice notice-error" role="alert" data-testid="references-error">{message}</p>
            })}
            <label class="drop-zone" data-testid="drop-zone">
                <input type="file" multiple accept="image/png,image/jpeg,image/webp" class="sr-only"
                    data-testid="reference-input"
                    on:change=move |ev| {
                        #[cfg(feature = "hydrate")]
                        browser::add_chosen(context, &ev);
                        #[cfg(not(feature = "hydrate"))]
                        let _ = ev;
                    }
                />
                <span class="link">{t.add_references}</span>
            </label>
            <p class="hint">{hint}</p>
        </section>
    }
    .into_any()
}
