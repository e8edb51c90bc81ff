//! The language switch in the top bar: the other language, by its own name. Choosing it keeps
//! the choice in a cookie and reloads the page, which the server then renders in that language
//! (the session comes back from browser storage, as after any reload).

use crate::i18n::{page_language, Lang};
use leptos::prelude::*;

#[component]
pub fn LanguageSwitch() -> impl IntoView {
    let other = page_language().other();
    view! {
        <button type="button" class="secondary language-switch" data-testid="language-switch"
            lang=other.code() on:click=move |_| switch_to(other)>
            {other.text().name}
        </button>
    }
}

#[cfg(feature = "hydrate")]
fn switch_to(lang: Lang) {
    let Some(window) = web_sys::window() else {
        return;
    };
    if let Some(document) = window.document() {
        // A year, for the whole site; Lax, so it also comes with links from elsewhere.
        let cookie = format!(
            "{}={}; path=/; max-age=31536000; samesite=lax",
            crate::i18n::COOKIE,
            lang.code()
        );
        let _ = js_sys::Reflect::set(&document, &"cookie".into(), &cookie.into());
    }
    let _ = window.location().reload();
}

/// The server renders the button but never runs its handler.
#[cfg(not(feature = "hydrate"))]
fn switch_to(_: Lang) {}
