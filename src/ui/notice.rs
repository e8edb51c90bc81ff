use crate::fsm::Notice;
use crate::i18n::text;
use leptos::prelude::*;

/// Errors are alerts (read out at once); information is a polite status. Both can be dismissed;
/// the button sits outside the announced text so it is not read as part of the message.
#[component]
pub fn NoticeBanner(notice: Signal<Option<Notice>>, on_dismiss: Callback<()>) -> impl IntoView {
    let t = text();
    move || {
        notice.get().map(|notice| {
            let (class, role, testid, text) = match notice {
                Notice::Error(error) => ("notice notice-error", "alert", "error-message", error.to_string()),
                Notice::Info(text) => ("notice notice-info", "status", "info-message", text),
                Notice::Note(note) => ("notice notice-info", "status", "info-message", (t.note)(note).into()),
            };
            view! {
                <div class=class>
                    <p role=role data-testid=testid>{text}</p>
                    <button type="button" class="notice-dismiss" aria-label=t.dismiss on:click=move |_| on_dismiss.run(())>
                        "×"
                    </button>
                </div>
            }
        })
    }
}
