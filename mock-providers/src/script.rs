//! Scripted replies, shared by every provider: a [`Step`] is one reply for
//! one provider plus a delay; each provider answers from its own queue and
//! falls back to success when the queue is empty.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::providers::{
    A1111Step, ArkStep, GeminiStep, IdeogramStep, JimengStep, OpenAiStep, ReplicateStep,
};
use crate::Provider;

/// One scripted reply. JSON form, as posted to `/__mock/script`:
/// `{"provider":"openai","respond":"rate_limited","retry_after_ms":1500,"delay_ms":200}`.
///
/// Build one from a provider's step: `Step::from(OpenAiStep::InsufficientQuota)`,
/// optionally `.delayed(ms)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Sleep before answering (slow providers, cancel tests, progress
    /// polling). Counted from when the request passed validation.
    #[serde(default)]
    pub delay_ms: u64,
    #[serde(flatten)]
    pub reply: Reply,
}

/// The provider-specific part of a [`Step`], tagged by `provider`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "provider")]
pub enum Reply {
    #[serde(rename = "openai")]
    OpenAi(OpenAiStep),
    #[serde(rename = "jimeng")]
    Jimeng(JimengStep),
    #[serde(rename = "gemini")]
    Gemini(GeminiStep),
    #[serde(rename = "replicate")]
    Replicate(ReplicateStep),
    #[serde(rename = "ideogram")]
    Ideogram(IdeogramStep),
    #[serde(rename = "ark")]
    Ark(ArkStep),
    #[serde(rename = "a1111")]
    A1111(A1111Step),
}

impl Step {
    /// The same reply, answered after `delay_ms` milliseconds.
    pub fn delayed(mut self, delay_ms: u64) -> Step {
        self.delay_ms = delay_ms;
        self
    }

    pub fn provider(&self) -> Provider {
        self.reply.provider()
    }

    pub(crate) fn delay(&self) -> Duration {
        Duration::from_millis(self.delay_ms)
    }

    /// Rejects steps that could not be answered as written (a 404 "server
    /// error", a positive jimeng error code…), so a typo in a test script
    /// fails when scripted rather than mid-test.
    pub(crate) fn check(&self) -> Result<(), String> {
        self.reply
            .check()
            .map_err(|error| format!("{} step: {error}", self.provider()))
    }
}

/// A provider's own step type.
pub(crate) trait Scripted: Default + Sized {
    const PROVIDER: Provider;
    /// The step if `reply` is this provider's.
    fn from_reply(reply: Reply) -> Option<Self>;
}

/// Ties each provider's step type to its [`Reply`] variant: the variant
/// carries the provider's name, so the list below is the single place
/// where a provider joins the script.
macro_rules! provider_steps {
    ($($variant:ident($step:ty)),* $(,)?) => {
        impl Reply {
            pub fn provider(&self) -> Provider {
                match self {
                    $(Reply::$variant(_) => Provider::$variant,)*
                }
            }

            fn check(&self) -> Result<(), String> {
                match self {
                    $(Reply::$variant(step) => step.check(),)*
                }
            }
        }

        $(
            impl From<$step> for Step {
                fn from(step: $step) -> Step {
                    Step { delay_ms: 0, reply: Reply::$variant(step) }
                }
            }

            impl Scripted for $step {
                const PROVIDER: Provider = Provider::$variant;

                fn from_reply(reply: Reply) -> Option<Self> {
                    match reply {
                        Reply::$variant(step) => Some(step),
                        _ => None,
                    }
                }
            }
        )*
    };
}

provider_steps! {
    OpenAi(OpenAiStep),
    Jimeng(JimengStep),
    Gemini(GeminiStep),
    Replicate(ReplicateStep),
    Ideogram(IdeogramStep),
    Ark(ArkStep),
    A1111(A1111Step),
}

#[cfg(test)]
mod tests {
    use super::{Reply, Step};
    use crate::providers::{JimengStep, OpenAiStep};
    use crate::Provider;

    #[test]
    fn steps_round_trip_through_their_json_form() {
        let steps: Vec<Step> = serde_json::from_str(
            r#"[{"provider":"openai","respond":"images"},
                {"provider":"jimeng","respond":"failure","code":-2009,"delay_ms":250},
                {"provider":"openai","respond":"rate_limited","retry_after_ms":1500}]"#,
        )
        .expect("steps parse");
        assert_eq!(steps[0], Step::from(OpenAiStep::Images));
        let no_credits = JimengStep::Failure {
            code: -2009,
            message: None,
        };
        assert_eq!(steps[1], Step::from(no_credits).delayed(250));
        assert_eq!(steps[1].provider(), Provider::Jimeng);
        assert_eq!(
            steps[2].reply,
            Reply::OpenAi(OpenAiStep::RateLimited {
                retry_after_ms: Some(1500)
            })
        );
        for step in &steps {
            let json = serde_json::to_value(step).expect("serialises");
            assert_eq!(&serde_json::from_value::<Step>(json).expect("parses"), step);
        }
    }

    #[test]
    fn unknown_providers_and_replies_are_refused() {
        for bad in [
            r#"{"provider":"dalle","respond":"images"}"#,
            r#"{"provider":"openai","respond":"teapot"}"#,
            r#"{"respond":"images"}"#,
        ] {
            assert!(serde_json::from_str::<Step>(bad).is_err(), "{bad}");
        }
    }
}
