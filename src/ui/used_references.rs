//! The reference images an attempt was made from, beside its picture (as seed 004's result view
//! shows them), each linking to its full size.

use super::reference_picker::reference_url;
use crate::i18n::text;
use leptos::prelude::*;

#[component]
pub fn UsedReferences(ids: Vec<String>) -> impl IntoView {
    let t = text();
    (!ids.is_empty()).then(|| {
        view! {
            <figure class="used-references" data-testid="used-references">
                <figcaption class="field-label">{t.made_from}</figcaption>
                <ul>
                    {ids.into_iter().enumerate().map(|(index, id)| {
                        let url = reference_url(&id);
                        let link = url.clone();
                        let alt = (t.reference_n)(index + 1);
                        view! {
                            <li>
                                <a href=link target="_blank" rel="noopener">
                                    <img src=url alt=alt data-testid="used-reference"/>
                                </a>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </figure>
        }
    })
}
