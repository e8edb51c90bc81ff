use crate::error::AppError;
use crate::fsm::Notice;
use crate::i18n::{text, Text};
use leptos::prelude::*;
use leptos::server_fn::error::ServerFnErrorErr;

/// Errors are alerts (read out at once); information is a polite status. Both can be dismissed;
/// the button sits outside the announced text so it is not read as part of the message.
#[component]
pub fn NoticeBanner(notice: Signal<Option<Notice>>, on_dismiss: Callback<()>) -> impl IntoView {
    let t = text();
    move || {
        notice.get().map(|notice| {
            let (class, role, testid, text) = match notice {
                Notice::Error(error) => ("notice notice-error", "alert", "error-message", error_words(&error, t)),
                Notice::Problem(note) => ("notice notice-error", "alert", "error-message", (t.note)(note).into()),
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

/// An error in the page's language. The server words its own errors in the request's language;
/// what the browser saw of the connection is worded here.
pub fn error_words(error: &AppError, t: &Text) -> String {
    match error {
        AppError::Transport(ServerFnErrorErr::Request(detail)) => (t.server_unreachable)(detail),
        AppError::Transport(
            ServerFnErrorErr::Deserialization(_) | ServerFnErrorErr::Response(_),
        ) => t.answer_unreadable.into(),
        other => other.to_string(),
    }
}
