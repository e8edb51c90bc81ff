//! The one way the studio shows a picture: its shared object URL from `Pictures`.

use super::pictures::{PictureState, Pictures};
use crate::i18n::text;
use leptos::prelude::*;

/// The picture made by request `id`; a plain note when it was not kept across a reload, and an
/// empty frame while it is being read back.
#[component]
pub fn Picture(id: String, alt: String, testid: &'static str) -> impl IntoView {
    let state = expect_context::<Pictures>().watch(id);
    let t = text();
    move || match state.get() {
        Some(PictureState::Ready(url)) => view! {
            <img src=url alt=alt.clone() data-testid=testid decoding="async"/>
        }
        .into_any(),
        Some(PictureState::Missing) => view! {
            <div class="picture-missing" data-testid=testid>
                {t.picture_not_kept}
            </div>
        }
        .into_any(),
        None => view! {
            <div class="picture-missing picture-loading" data-testid=testid aria-busy="true"></div>
        }
        .into_any(),
    }
}
