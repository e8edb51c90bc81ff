//! How a picture was made, shown beside it in review and final.

use crate::i18n::text;
use crate::model::GeneratedImage;
use crate::price::Price;
use leptos::prelude::*;

#[component]
pub fn AttemptDetails(image: GeneratedImage) -> impl IntoView {
    let retries = image.retries();
    let seconds = duration_text(image.elapsed_ms);
    let t = text();
    view! {
        <dl class="details" data-testid="image-details">
            <dt>{t.provider}</dt>
            <dd data-testid="detail-provider">{image.provider.clone()}</dd>
            <dt>{t.model}</dt>
            <dd>{image.model.clone()}</dd>
            <dt>{t.size}</dt>
            <dd>{image.size.clone()}</dd>
            {image.quality.clone().map(|quality| view! { <dt>{t.quality}</dt><dd>{quality}</dd> })}
            <dt>{t.cost}</dt>
            <dd data-testid="detail-cost">{image.cost.as_ref().map(Price::display).unwrap_or_else(|| t.price_unknown.into())}</dd>
            <dt>{t.time_taken}</dt>
            <dd data-testid="detail-time">{seconds}</dd>
            <dt>{t.retries}</dt>
            <dd data-testid="detail-retries">{retries.to_string()}</dd>
            {image.revised_prompt.clone().map(|revised| view! {
                <dt>{t.revised_prompt}</dt>
                <dd class="revised" data-testid="detail-revised-prompt">{revised}</dd>
            })}
            {image.fallback.clone().map(|note| view! {
                <dt>{t.fallback}</dt>
                <dd data-testid="detail-fallback">{note}</dd>
            })}
            {image.sent_prompt.clone().map(|sent| view! {
                <dt>{t.prompt_sent}</dt>
                <dd class="revised" data-testid="detail-sent-prompt">{sent}</dd>
            })}
            {image.reply.clone().map(|reply| view! {
                <dt>{(t.said_by)(&image.provider)}</dt>
                <dd class="revised" data-testid="detail-reply">{reply}</dd>
            })}
        </dl>
    }
}

/// "840 ms" under a second (the offline engine), "41.2 s" above.
fn duration_text(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        // Integer arithmetic: float formatting would add kilobytes to the browser bundle.
        let tenths = (ms + 50) / 100;
        format!("{}.{} s", tenths / 10, tenths % 10)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_read_naturally() {
        assert_eq!(super::duration_text(15), "15 ms");
        assert_eq!(super::duration_text(41_234), "41.2 s");
    }
}
