//! `final`: the approved picture, a download that carries its provenance, and Start Over.

use super::attempt_details::AttemptDetails;
use super::picture::Picture;
use super::pictures::{PictureState, Pictures};
use super::used_references::UsedReferences;
use crate::fsm::{Attempt, Event};
use crate::i18n::text;
use leptos::html::A;
use leptos::prelude::*;

/// `number` is the approved attempt's (1 for the first).
#[component]
pub fn FinalView(attempt: Attempt, number: usize, send: Callback<Event>) -> impl IntoView {
    let download = NodeRef::<A>::new();
    Effect::new(move |_| {
        if let Some(link) = download.get() {
            let _ = link.focus();
        }
    });
    // The download is the same object URL the picture shows: no second copy of the bytes.
    let picture = expect_context::<Pictures>().watch(attempt.request.request_id.clone());
    let href = move || match picture.get() {
        Some(PictureState::Ready(url)) => Some(url),
        _ => None,
    };
    let prompt = attempt.request.prompt;
    let t = text();
    let references = attempt.request.references;

    view! {
        <section class="final" aria-labelledby="final-title">
            <h2 id="final-title">{t.approved}</h2>
            <figure class="picture picture-final">
                <Picture id=attempt.request.request_id testid="final-image" alt=(t.approved_alt)(number, &prompt)/>
                <figcaption>{prompt.clone()}</figcaption>
            </figure>
            <AttemptDetails image=attempt.image/>
            <UsedReferences ids=references/>
            <div class="actions">
                <a class="button primary" node_ref=download data-testid="download-link" href=href download=file_name(&prompt, number)>
                    {t.download}
                </a>
                <button type="button" data-testid="start-over-button" on:click=move |_| send.run(Event::StartOver)>
                    {t.start_over}
                </button>
            </div>
        </section>
    }
}

/// "proofsheet-a-lighthouse-at-dawn-2.png": readable, safe on every file system.
fn file_name(prompt: &str, number: usize) -> String {
    let words: Vec<String> = prompt
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(6)
        .map(str::to_lowercase)
        .collect();
    let slug: String = words.join("-").chars().take(48).collect();
    format!(
        "proofsheet-{}{number}.png",
        if slug.is_empty() {
            String::new()
        } else {
            format!("{slug}-")
        }
    )
}

#[cfg(test)]
mod tests {
    use super::file_name;

    #[test]
    fn file_names_are_slugs_of_the_prompt() {
        assert_eq!(
            file_name("A lighthouse, at DAWN!", 2),
            "proofsheet-a-lighthouse-at-dawn-2.png"
        );
        assert_eq!(file_name("  ", 1), "proofsheet-1.png");
    }
}
