//! The HTML shell and the page.
//!
//! One page, so no router and no leptos_meta: the head is written here once, and leaving those
//! crates out keeps them out of the browser bundle (first-load size is a goal, see bench/).
//! Unknown paths are answered by `leptos_axum::file_and_error_handler`, which serves static
//! files and otherwise this page with status 404.

use crate::ui::studio::StudioPage;
use leptos::prelude::*;

/// The document around the page; only the server renders it.
#[cfg(feature = "ssr")]
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let stylesheet = crate::server::site::stylesheet_href(&options);
    let lang = crate::i18n::page_language();
    view! {
        <!DOCTYPE html>
        <html lang=lang.code()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="description" content="Proofsheet: generate, review, refine and approve AI images"/>
                <title>"Proofsheet"</title>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                <link rel="stylesheet" href=stylesheet/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_context(crate::i18n::page_language());
    view! { <StudioPage/> }
}
