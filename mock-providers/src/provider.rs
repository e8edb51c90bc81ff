//! The providers this mock imitates, and where each one lives on the server.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One imitated provider. Its JSON/CLI name is [`Provider::name`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Provider {
    /// OpenAI Images API (providers.md §2).
    #[serde(rename = "openai")]
    OpenAi,
    /// jimeng-free-api style OpenAI-compatible proxy (§7).
    #[serde(rename = "jimeng")]
    Jimeng,
    /// Gemini `generateContent` with image output (§3).
    #[serde(rename = "gemini")]
    Gemini,
    /// Replicate predictions for FLUX (§4).
    #[serde(rename = "replicate")]
    Replicate,
    /// Ideogram 3.0 generate (§5).
    #[serde(rename = "ideogram")]
    Ideogram,
    /// Volcengine Ark, Doubao Seedream / SeedEdit (§6).
    #[serde(rename = "ark")]
    Ark,
    /// AUTOMATIC1111 / Forge `sdapi` (§8.1).
    #[serde(rename = "a1111")]
    A1111,
}

impl Provider {
    pub const ALL: [Provider; 7] = [
        Provider::OpenAi,
        Provider::Jimeng,
        Provider::Gemini,
        Provider::Replicate,
        Provider::Ideogram,
        Provider::Ark,
        Provider::A1111,
    ];

    /// Lower-case name used in JSON scripts, CLI flags and path prefixes.
    pub fn name(self) -> &'static str {
        match self {
            Provider::OpenAi => "openai",
            Provider::Jimeng => "jimeng",
            Provider::Gemini => "gemini",
            Provider::Replicate => "replicate",
            Provider::Ideogram => "ideogram",
            Provider::Ark => "ark",
            Provider::A1111 => "a1111",
        }
    }

    /// Path prefix under which the provider's real paths are served.
    pub(crate) fn prefix(self) -> String {
        format!("/{}", self.name())
    }

    /// What follows the server's origin in [`crate::MockServer::base_url`]
    /// (for a binary started elsewhere: `http://ADDR` + this).
    ///
    /// Why not always the bare prefix: each value mirrors the provider's
    /// usual base URL, as the app's `*_BASE_URL` settings spell it, so it
    /// drops in unchanged: OpenAI, jimeng and Replicate end in `/v1`, Ark in
    /// `/api/v3`; Gemini, Ideogram and AUTOMATIC1111 are bare origins.
    pub fn base_path(self) -> String {
        let suffix = match self {
            Provider::OpenAi | Provider::Jimeng | Provider::Replicate => "/v1",
            Provider::Ark => "/api/v3",
            Provider::Gemini | Provider::Ideogram | Provider::A1111 => "",
        };
        format!("{}{suffix}", self.prefix())
    }

    /// Path prefix of the image files this provider hands out as URLs
    /// (their real hosts differ from the API host, so they get their own).
    pub(crate) fn delivery_prefix(self) -> String {
        format!("/{}-delivery", self.name())
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Provider {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Provider::ALL
            .into_iter()
            .find(|provider| provider.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Provider::ALL.iter().map(|p| p.name()).collect();
                format!("unknown provider {name:?} (one of {})", names.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::Provider;

    #[test]
    fn names_round_trip_through_json_and_from_str() {
        for provider in Provider::ALL {
            let json = serde_json::to_string(&provider).expect("serialises");
            assert_eq!(json, format!("\"{}\"", provider.name()));
            assert_eq!(provider.name().parse::<Provider>(), Ok(provider));
        }
        assert!("dalle".parse::<Provider>().is_err());
    }

    #[test]
    fn base_paths_follow_each_sdk() {
        assert_eq!(Provider::OpenAi.base_path(), "/openai/v1");
        assert_eq!(Provider::Ark.base_path(), "/ark/api/v3");
        assert_eq!(Provider::Gemini.base_path(), "/gemini");
        assert_eq!(Provider::Replicate.base_path(), "/replicate/v1");
        assert_eq!(Provider::Replicate.delivery_prefix(), "/replicate-delivery");
    }
}
