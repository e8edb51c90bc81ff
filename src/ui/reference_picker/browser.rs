//! The picker's browser half: files from a drop, a paste or the file picker are checked here
//! (room left, size) and sent one request each, their progress and outcome kept in `uploads`.

use super::{PickerContext, Upload};
use crate::fsm::Event;
use crate::ui::upload::upload;
use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::sync::atomic::{AtomicU64, Ordering};
use wasm_bindgen::JsCast;
use web_sys::{File, FileList, HtmlInputElement, Url};

/// Keys for uploads, unique for the page's life.
static NEXT_KEY: AtomicU64 = AtomicU64::new(1);

/// Files dropped anywhere on the page, or pasted, become references. Why the whole page: a file
/// dropped just beside a small target would otherwise make the browser open it in place of the
/// studio, losing the draft.
pub fn listen(context: PickerContext, dragging: RwSignal<bool>) {
    let handles = [
        window_event_listener(ev::dragover, move |event| {
            if carries_files(&event) {
                event.prevent_default();
                dragging.set(true);
            }
        }),
        window_event_listener(ev::dragleave, move |event| {
            // Leaving the window: no element takes the drag next.
            if event.related_target().is_none() {
                dragging.set(false);
            }
        }),
        window_event_listener(ev::drop, move |event| {
            dragging.set(false);
            let files = event.data_transfer().and_then(|d| d.files());
            if let Some(files) = files.filter(|f| f.length() > 0) {
                event.prevent_default();
                add(context, listed(&files));
            }
        }),
        window_event_listener(ev::paste, move |event| {
            // Text pastes stay the textarea's; only files are ours.
            let files = event.clipboard_data().and_then(|d| d.files());
            if let Some(files) = files.filter(|f| f.length() > 0) {
                event.prevent_default();
                add(context, listed(&files));
            }
        }),
    ];
    on_cleanup(move || handles.into_iter().for_each(|handle| handle.remove()));
}

/// The files chosen in the picker; the input is emptied so the same file can be chosen again.
pub fn add_chosen(context: PickerContext, event: &ev::Event) {
    let Some(input) = event
        .target()
        .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
    else {
        return;
    };
    if let Some(files) = input.files() {
        add(context, listed(&files));
    }
    input.set_value("");
}

fn carries_files(event: &web_sys::DragEvent) -> bool {
    event
        .data_transfer()
        .is_some_and(|d| d.types().includes(&"Files".into(), 0))
}

fn listed(files: &FileList) -> Vec<File> {
    (0..files.length()).filter_map(|i| files.get(i)).collect()
}

/// Checks each file against the room left and the size limit, then sends it.
fn add(context: PickerContext, files: Vec<File>) {
    let PickerContext {
        references,
        uploads,
        max_upload_bytes,
        ..
    } = context;
    let max = context.max() as usize;
    let label = context.label();
    let t = crate::i18n::text();
    for file in files {
        let key = NEXT_KEY.fetch_add(1, Ordering::Relaxed);
        let name = file.name();
        let taken = references.read_untracked().len()
            + uploads
                .read_untracked()
                .iter()
                .filter(|u| u.in_flight())
                .count();
        let limit = max_upload_bytes.get_untracked();
        let size = file.size() as u64;
        let refusal = if taken >= max {
            Some(match max {
                0 => (t.takes_no_references)(&label),
                _ => (t.takes_at_most)(&label, max),
            })
        } else if limit > 0 && size > limit {
            Some((t.reference_too_large)(limit, Some(size)))
        } else {
            None
        };
        let preview = refusal
            .is_none()
            .then(|| Url::create_object_url_with_blob(&file).ok())
            .flatten();
        uploads.update(|all| {
            all.push(Upload {
                key,
                name,
                preview,
                progress: 0,
                error: refusal.clone(),
            })
        });
        if refusal.is_none() {
            spawn_local(send_file(context, key, file));
        }
    }
}

async fn send_file(context: PickerContext, key: u64, file: File) {
    let PickerContext {
        references,
        uploads,
        send,
        ..
    } = context;
    // `try_`: the form (and these signals) may be gone by the time the answer comes.
    let progress = move |sent: u32| {
        uploads.try_update(|all| {
            if let Some(upload) = all.iter_mut().find(|u| u.key == key) {
                upload.progress = sent;
            }
        });
    };
    let outcome = upload(&file, progress).await;
    let preview = uploads
        .try_update(|all| {
            let upload = all.iter_mut().find(|u| u.key == key)?;
            if let Err(error) = &outcome {
                upload.error = Some(error.clone());
            }
            upload.preview.take()
        })
        .flatten();
    if let Some(url) = preview {
        let _ = Url::revoke_object_url(&url);
    }
    if let Ok(reference) = outcome {
        uploads.try_update(|all| all.retain(|u| u.key != key));
        let Some(mut next) = references.try_get_untracked() else {
            return;
        };
        // The same picture twice is one reference (its id is its content's hash).
        if !next.iter().any(|r| r.id == reference.id) {
            next.push(reference);
            send.run(Event::EditReferences(next));
        }
    }
}
