//! How a picture was made, shown beside it in review and final.

use crate::model::GeneratedImage;
use leptos::prelude::*;

#[component]
pub fn AttemptDetails(image: GeneratedImage) -> impl IntoView {
    let retries = image.retries();
    let seconds = format!("{:.1} s", image.elapsed_ms as f64 / 1000.0);
    view! {
        <dl class="details" data-testid="image-details">
            <dt>"Provider"</dt>
            <dd data-testid="detail-provider">{image.provider.clone()}</dd>
            <dt>"Model"</dt>
            <dd>{image.model.clone()}</dd>
            <dt>"Size"</dt>
            <dd>{image.size.clone()}</dd>
            {image.quality.clone().map(|quality| view! { <dt>"Quality"</dt><dd>{quality}</dd> })}
            <dt>"Time taken"</dt>
            <dd data-testid="detail-time">{seconds}</dd>
            <dt>"Retries needed"</dt>
            <dd data-testid="detail-retries">{retries.to_string()}</dd>
            {image.revised_prompt.clone().map(|revised| view! {
                <dt>"Revised prompt"</dt>
                <dd class="revised" data-testid="detail-revised-prompt">{revised}</dd>
            })}
        </dl>
    }
}
