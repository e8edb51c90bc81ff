//! Seed 003 switches from Ideogram to FLUX when Ideogram fails; here any engine may name a
//! `fallback` engine. When the primary fails for a reason that is not the person's (an outage,
//! a timeout, a rate limit that outlasted the retries), the same request runs on the fallback,
//! adjusted to what its default model offers, and the picture says so. A refusal (a bad key, a
//! blocked prompt, a wrong option) is never handed on: the person has to act on it.

use crate::error::ProviderFailure;
use crate::model::{carry_options, EngineInfo, GenerateRequest, Palette, Styling};
use crate::server::providers::ProviderError;

/// The request for the fallback engine, and the sentence the picture carries.
#[derive(Debug, PartialEq)]
pub struct Plan {
    pub request: GenerateRequest,
    pub note: String,
}

/// Failures that are the provider's, not the person's.
fn is_outage(failure: ProviderFailure) -> bool {
    matches!(
        failure,
        ProviderFailure::Unavailable
            | ProviderFailure::Timeout
            | ProviderFailure::Network
            | ProviderFailure::RateLimited
    )
}

pub fn plan(
    primary: &EngineInfo,
    fallback: Option<&EngineInfo>,
    request: &GenerateRequest,
    error: &ProviderError,
) -> Option<Plan> {
    let fallback = fallback.filter(|f| f.id != primary.id && f.unavailable.is_none())?;
    if !is_outage(error.failure) {
        return None;
    }
    let model = &fallback.models[0];
    // A picture made without the person's reference images would be another picture, not the
    // same request elsewhere: then the primary's failure stands.
    if request.references.len() > model.max_references as usize {
        return None;
    }
    let carried = carry_options(model, &request.size, request.quality.as_deref());
    let styling = &request.styling;
    let styling = Styling {
        negative_prompt: styling
            .negative_prompt
            .clone()
            .filter(|_| model.negative_prompt),
        style: styling.style.clone().filter(|s| model.styles.contains(s)),
        // A preset means nothing to another engine; custom colours travel as words if need be.
        palette: styling.palette.clone().filter(|p| match p {
            Palette::Preset(name) => model.palette_presets.contains(name),
            Palette::Custom(_) => true,
        }),
    };
    let why = match error.status {
        Some(status) => format!("{:?}, {status}", error.failure),
        None => format!("{:?}", error.failure),
    };
    Some(Plan {
        request: GenerateRequest {
            engine: fallback.id.clone(),
            model: model.id.clone(),
            size: carried.size,
            quality: carried.quality,
            styling,
            // The primary's continuation means nothing to the fallback; the feedback goes as words.
            parent: None,
            ..request.clone()
        },
        note: format!(
            "{} could not make it ({why}); made with {} instead.",
            primary.label, fallback.label
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_support::engine;

    fn request() -> GenerateRequest {
        GenerateRequest {
            request_id: "f1".into(),
            engine: "ideogram".into(),
            model: String::new(),
            prompt: "an agent thumbnail".into(),
            size: "16:9".into(),
            quality: Some("TURBO".into()),
            seed: 3,
            styling: Styling {
                negative_prompt: Some("text".into()),
                style: Some("DESIGN".into()),
                palette: Some(Palette::Preset("EMBER".into())),
            },
            refinements: vec![],
            parent: None,
            references: vec![],
        }
    }

    fn outage() -> ProviderError {
        ProviderError {
            status: Some(503),
            ..ProviderError::new(ProviderFailure::Unavailable, "down")
        }
    }

    #[test]
    fn an_outage_moves_the_request_to_the_fallback_within_what_it_offers() {
        let ideogram = engine(
            "ideogram",
            "Ideogram",
            "v3",
            &["1:1", "16:9"],
            &["DEFAULT", "TURBO"],
        );
        let flux = engine("replicate", "Replicate", "flux", &["1:1", "16:9"], &[]);
        let plan = plan(&ideogram, Some(&flux), &request(), &outage()).unwrap();
        assert_eq!(plan.request.engine, "replicate");
        assert_eq!(plan.request.size, "16:9", "the ratio is kept where offered");
        assert_eq!(plan.request.quality, None, "FLUX has no rendering speed");
        assert_eq!(
            plan.request.styling,
            Styling::default(),
            "options FLUX lacks are dropped"
        );
        assert_eq!(
            plan.note,
            "Ideogram could not make it (Unavailable, 503); made with Replicate instead."
        );
    }

    #[test]
    fn the_persons_own_problems_are_never_handed_on() {
        let ideogram = engine("ideogram", "Ideogram", "v3", &["16:9"], &[]);
        let flux = engine("replicate", "Replicate", "flux", &["16:9"], &[]);
        for failure in [
            ProviderFailure::Auth,
            ProviderFailure::ContentRejected,
            ProviderFailure::BadRequest,
            ProviderFailure::QuotaExhausted,
        ] {
            let error = ProviderError::new(failure, "");
            assert_eq!(
                plan(&ideogram, Some(&flux), &request(), &error),
                None,
                "{failure:?}"
            );
        }
    }

    #[test]
    fn an_unusable_or_missing_fallback_is_no_plan() {
        let ideogram = engine("ideogram", "Ideogram", "v3", &["16:9"], &[]);
        let mut flux = engine("replicate", "Replicate", "flux", &["16:9"], &[]);
        flux.unavailable = Some("Set REPLICATE_API_TOKEN".into());
        assert_eq!(plan(&ideogram, Some(&flux), &request(), &outage()), None);
        assert_eq!(plan(&ideogram, None, &request(), &outage()), None);
    }

    #[test]
    fn references_go_only_to_a_fallback_that_takes_them_all() {
        let mut ideogram = engine("ideogram", "Ideogram", "v3", &["16:9"], &[]);
        ideogram.models[0].max_references = 2;
        let mut flux = engine("replicate", "Replicate", "flux", &["16:9"], &[]);
        let with_two = GenerateRequest {
            references: vec!["ab".repeat(32), "cd".repeat(32)],
            ..request()
        };
        assert_eq!(plan(&ideogram, Some(&flux), &with_two, &outage()), None);
        flux.models[0].max_references = 2;
        let plan = plan(&ideogram, Some(&flux), &with_two, &outage()).unwrap();
        assert_eq!(plan.request.references, with_two.references);
    }
}
