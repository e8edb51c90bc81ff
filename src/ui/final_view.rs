//! `final`: the approved picture, a download that carries its provenance, and Start Over.

use super::attempt_details::AttemptDetails;
use super::review::Picture;
use super::studio::StudioContext;
use crate::fsm::{Event, Stage};
use leptos::html::A;
use leptos::prelude::*;

#[component]
pub fn FinalView(context: StudioContext) -> impl IntoView {
    let StudioContext { stage, send, .. } = context;
    let approved = Memo::new(move |_| match &*stage.read() {
        Stage::Final { session, approved } => session
            .attempts
            .get(*approved)
            .map(|a| (*approved, a.clone())),
        _ => None,
    });
    let download = NodeRef::<A>::new();
    Effect::new(move |_| {
        if let Some(link) = download.get() {
            let _ = link.focus();
        }
    });

    view! {
        <section class="final" aria-labelledby="final-title">
            <h2 id="final-title">"Approved"</h2>
            {move || approved.get().map(|(index, attempt)| view! {
                <figure class="picture picture-final">
                    <Picture image=attempt.image.clone() testid="final-image" alt=format!("Approved attempt {}: {}", index + 1, attempt.request.prompt)/>
                    <figcaption>{attempt.request.prompt.clone()}</figcaption>
                </figure>
                <AttemptDetails image=attempt.image.clone()/>
                <div class="actions">
                    <a
                        class="button primary"
                        node_ref=download
                        data-testid="download-link"
                        href=attempt.image.data_url()
                        download=file_name(&attempt.request.prompt, index + 1)
                    >
                        "Download PNG"
                    </a>
                    <button type="button" data-testid="start-over-button" on:click=move |_| send.run(Event::StartOver)>
                        "Start over"
                    </button>
                </div>
            })}
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
