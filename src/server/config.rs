//! Settings: `Leptos.toml` (or the copy built into the binary when the file is absent), then
//! environment overrides. Read once at start; a bad value stops the server with a clear message
//! instead of failing a request later.

mod providers;

pub use providers::ProviderSettings;

use crate::model::{validate_swatches, Palette, Template};
use providers::PROVIDER_ENV_PREFIX;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::server::admission::EngineLimit;
use crate::server::flow::RetryPolicy;
use crate::server::http::serve::ConnectionLimits;
use crate::server::providers::http::FetchLimits;
use crate::server::references::normalize::ImageLimits;

const BUILT_IN: &str = include_str!("../../Leptos.toml");
const ENV_PREFIX: &str = "PROOFSHEET_";
/// The issue names the data directory's variable so; PROOFSHEET_STORAGE_DATA_DIR works too, and
/// this one wins when both are set.
const DATA_DIR_VAR: &str = "PROOFSHEET_DATA_DIR";
const MIN_TOKEN_CHARS: usize = 16;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub site: SiteSettings,
    pub connections: ConnectionSettings,
    pub access: AccessSettings,
    pub retry: RetrySettings,
    pub generation: GenerationSettings,
    pub limits: Limits,
    pub storage: StorageSettings,
    pub providers: Vec<ProviderSettings>,
    /// Prompts people fill in (`[[templates]]`); none when the file lists none.
    #[serde(default)]
    pub templates: Vec<Template>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteSettings {
    pub addr: String,
    pub allowed_origins: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionSettings {
    pub header_timeout_secs: u64,
    pub body_timeout_secs: u64,
    pub max_connections: usize,
    pub shutdown_grace_secs: u64,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessSettings {
    /// Empty: no users file.
    pub users_file: String,
    pub session_hours: u64,
    /// `PROOFSHEET_ACCESS_TOKEN`, only ever from the environment.
    #[serde(skip)]
    pub token: Option<String>,
    /// `PROOFSHEET_SESSION_SECRET`, only ever from the environment.
    #[serde(skip)]
    pub session_secret: Option<String>,
}

/// Hand-written so the token and the secret can never reach a log through `{:?}`.
impl std::fmt::Debug for AccessSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessSettings")
            .field("users_file", &self.users_file)
            .field("session_hours", &self.session_hours)
            .field("token", &self.token.as_ref().map(|_| "[set]"))
            .field(
                "session_secret",
                &self.session_secret.as_ref().map(|_| "[set]"),
            )
            .finish()
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerationSettings {
    pub max_running: usize,
    pub offline_max_running: usize,
    pub max_queued: usize,
    pub max_queue_wait_secs: u64,
    pub retry_after_secs: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetrySettings {
    pub max_attempts: u32,
    pub base_delay_ms: u64,
    pub max_delay_ms: u64,
    pub jitter: bool,
    pub max_retry_after_ms: u64,
    pub attempt_timeout_secs: u64,
    pub deadline_secs: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// A picture a provider leaves at a URL is fetched only up to this size…
    pub max_result_bytes: usize,
    /// …and within this time.
    pub result_timeout_secs: u64,
    pub max_request_bytes: usize,
    /// A reference image upload is refused beyond this size…
    pub max_upload_bytes: usize,
    /// …or when its header declares more pixels than this (before anything is decoded)…
    pub max_reference_pixels: u64,
    /// …and is scaled down to this longest side when stored.
    pub max_reference_side: u32,
}

impl Limits {
    pub fn result_fetch(&self) -> FetchLimits {
        FetchLimits {
            max_bytes: self.max_result_bytes,
            timeout: Duration::from_secs(self.result_timeout_secs),
        }
    }

    pub fn reference_images(&self) -> ImageLimits {
        ImageLimits {
            max_pixels: self.max_reference_pixels,
            max_side: self.max_reference_side,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageSettings {
    /// Uploaded reference images live under `references/` here.
    pub data_dir: PathBuf,
}

impl ConnectionSettings {
    pub fn limits(&self) -> ConnectionLimits {
        ConnectionLimits {
            header_timeout: Duration::from_secs(self.header_timeout_secs),
            max_connections: self.max_connections,
            shutdown_grace: Duration::from_secs(self.shutdown_grace_secs),
        }
    }
}

impl GenerationSettings {
    /// The bound for one engine: the offline engine uses this server's processors, the others
    /// wait on the network.
    pub fn limit_for(&self, offline: bool) -> EngineLimit {
        EngineLimit {
            max_running: if offline {
                self.offline_max_running
            } else {
                self.max_running
            },
            max_queued: self.max_queued,
        }
    }
}

impl RetrySettings {
    pub fn policy(&self) -> RetryPolicy {
        RetryPolicy {
            max_attempts: self.max_attempts,
            base_delay: Duration::from_millis(self.base_delay_ms),
            max_delay: Duration::from_millis(self.max_delay_ms),
            jitter: self.jitter,
            max_retry_after: Duration::from_millis(self.max_retry_after_ms),
            attempt_timeout: Duration::from_secs(self.attempt_timeout_secs),
            deadline: Duration::from_secs(self.deadline_secs),
        }
    }
}

impl Settings {
    /// The file named by `PROOFSHEET_CONFIG`, else `./Leptos.toml`, else the built-in copy; then
    /// the process environment.
    pub fn load() -> Result<Settings, String> {
        let path = std::env::var("PROOFSHEET_CONFIG").unwrap_or_else(|_| "Leptos.toml".into());
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(_) if std::env::var_os("PROOFSHEET_CONFIG").is_none() => BUILT_IN.to_string(),
            Err(e) => return Err(format!("cannot read settings file {path}: {e}")),
        };
        Settings::from_parts(&text, std::env::vars())
    }

    pub fn from_parts(
        toml_text: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, String> {
        let mut table: toml::Table = toml_text
            .parse()
            .map_err(|e| format!("Leptos.toml is not valid TOML: {e}"))?;
        let env: HashMap<String, String> = env.into_iter().collect();
        for (name, value) in &env {
            match name.as_str() {
                // Secrets, read below; never part of the file's table.
                "PROOFSHEET_ACCESS_TOKEN" | "PROOFSHEET_SESSION_SECRET" | "PROOFSHEET_CONFIG" => {}
                "LEPTOS_SITE_ADDR" => set(&mut table, "site", "addr", value)?,
                // Applied after the loop, so it wins over PROOFSHEET_STORAGE_DATA_DIR whatever
                // order the environment lists them in.
                DATA_DIR_VAR => {}
                _ => {
                    if let Some(rest) = name.strip_prefix(PROVIDER_ENV_PREFIX) {
                        providers::override_entry(&mut table, rest, value)?;
                    } else if let Some(rest) = name.strip_prefix(ENV_PREFIX) {
                        let (section, key) = rest.split_once('_').ok_or_else(|| {
                            format!("{name} does not name a setting (PROOFSHEET_<SECTION>_<KEY>)")
                        })?;
                        set(
                            &mut table,
                            &section.to_lowercase(),
                            &key.to_lowercase(),
                            value,
                        )?;
                    }
                }
            }
        }
        if let Some(dir) = env.get(DATA_DIR_VAR) {
            set(&mut table, "storage", "data_dir", dir)?;
        }
        let mut settings: Settings = toml::Value::Table(table)
            .try_into()
            .map_err(|e| format!("invalid setting: {e}"))?;
        let present = |name: &str| env.get(name).filter(|v| !v.trim().is_empty()).cloned();
        settings.access.token = present("PROOFSHEET_ACCESS_TOKEN");
        settings.access.session_secret = present("PROOFSHEET_SESSION_SECRET");
        providers::read_environment(&mut settings.providers, &env);
        providers::fill_model_defaults(&mut settings.providers);
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), String> {
        if self.retry.max_attempts == 0 {
            return Err("retry.max_attempts must be at least 1 (it counts the first try)".into());
        }
        if self.retry.attempt_timeout_secs == 0 || self.retry.deadline_secs == 0 {
            return Err("retry timeouts must be positive".into());
        }
        let connections = &self.connections;
        if connections.header_timeout_secs == 0
            || connections.body_timeout_secs == 0
            || connections.max_connections == 0
        {
            return Err("connections.* must all be positive".into());
        }
        if self.generation.max_running == 0 || self.generation.offline_max_running == 0 {
            return Err("generation.max_running and offline_max_running must be at least 1".into());
        }
        let limits = &self.limits;
        if limits.max_upload_bytes == 0
            || limits.max_reference_pixels == 0
            || limits.max_reference_side == 0
        {
            return Err(
                "limits.max_upload_bytes, max_reference_pixels and max_reference_side must be positive"
                    .into(),
            );
        }
        if self.storage.data_dir.as_os_str().is_empty() {
            return Err(format!(
                "storage.data_dir is empty; set {DATA_DIR_VAR} to a writable directory"
            ));
        }
        if let Some(token) = &self.access.token {
            // A short shared token can be guessed; say so at start rather than be guessed later.
            if token.trim().chars().count() < MIN_TOKEN_CHARS {
                return Err(format!(
                    "PROOFSHEET_ACCESS_TOKEN must be at least {MIN_TOKEN_CHARS} characters"
                ));
            }
        }
        for template in &self.templates {
            if let Some(Palette::Custom(swatches)) = &template.palette {
                validate_swatches(swatches)
                    .map_err(|e| format!("templates.{}.palette: {e}", template.id))?;
            }
        }
        providers::validate(&self.providers)
    }
}

/// Overrides one existing key, keeping the type the file gave it.
fn set(table: &mut toml::Table, section: &str, key: &str, raw: &str) -> Result<(), String> {
    let name = format!("{section}.{key}");
    let slot = table
        .get_mut(section)
        .and_then(|s| s.as_table_mut())
        .and_then(|s| s.get_mut(key))
        .ok_or_else(|| format!("unknown setting {name}"))?;
    *slot = match slot {
        toml::Value::Integer(_) => toml::Value::Integer(
            raw.trim()
                .parse()
                .map_err(|_| format!("{name} must be a whole number, not {raw:?}"))?,
        ),
        toml::Value::Boolean(_) => toml::Value::Boolean(
            raw.trim()
                .parse()
                .map_err(|_| format!("{name} must be true or false, not {raw:?}"))?,
        ),
        toml::Value::Array(_) => toml::Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| toml::Value::String(item.to_string()))
                .collect(),
        ),
        _ => toml::Value::String(raw.to_string()),
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn provider<'s>(settings: &'s Settings, id: &str) -> &'s ProviderSettings {
        settings
            .providers
            .iter()
            .find(|p| p.id == id)
            .unwrap_or_else(|| panic!("no provider {id}"))
    }

    #[test]
    fn built_in_defaults_load() {
        let s = Settings::from_parts(BUILT_IN, env(&[])).unwrap();
        let openai = provider(&s, "openai");
        assert_eq!(openai.base_url, "https://api.openai.com/v1");
        assert!(openai.api_key.is_none());
        assert_eq!(provider(&s, "offline").kind, "offline");
        assert_eq!(s.retry.attempt_timeout_secs, 180);
    }

    #[test]
    fn providers_take_keys_and_base_urls_from_the_variables_they_name() {
        let s = Settings::from_parts(
            BUILT_IN,
            env(&[
                ("OPENAI_API_KEY", "test-key"),
                ("OPENAI_BASE_URL", "http://127.0.0.1:9/v1"),
            ]),
        )
        .unwrap();
        let openai = provider(&s, "openai");
        assert_eq!(openai.api_key.as_deref(), Some("test-key"));
        assert_eq!(openai.base_url, "http://127.0.0.1:9/v1");
    }

    #[test]
    fn any_provider_setting_can_be_set_or_added_from_the_environment() {
        let s = Settings::from_parts(
            BUILT_IN,
            env(&[
                ("PROOFSHEET_PROVIDER__OPENAI__MAINLINE_MODEL", "gpt-5-mini"),
                ("PROOFSHEET_PROVIDER__OPENAI__MAX_PROMPT_CHARS", "4000"),
                ("PROOFSHEET_PROVIDER__LOCAL_SD__KIND", "offline"),
                ("PROOFSHEET_PROVIDER__LOCAL_SD__LABEL", "Local drafts"),
                (
                    "PROOFSHEET_PROVIDER__LOCAL_SD__MODELS",
                    r#"[{id = "draft", sizes = ["512x512"]}]"#,
                ),
            ]),
        )
        .unwrap();
        let openai = provider(&s, "openai");
        assert_eq!(
            (openai.mainline_model.as_str(), openai.max_prompt_chars),
            ("gpt-5-mini", 4000)
        );
        let added = provider(&s, "local-sd");
        assert_eq!(
            (added.label.as_str(), added.models[0].id.as_str()),
            ("Local drafts", "draft")
        );
    }

    #[test]
    fn seed_003s_agent_thumbnail_template_ships() {
        let s = Settings::from_parts(BUILT_IN, env(&[])).unwrap();
        let template = s
            .templates
            .iter()
            .find(|t| t.id == "agent-thumbnail")
            .expect("the agent thumbnail template");
        assert_eq!(template.slots(), ["name", "description"]);
        assert_eq!(template.size.as_deref(), Some("16:9"));
        let Some(Palette::Custom(swatches)) = &template.palette else {
            panic!("{:?}", template.palette)
        };
        let colours: Vec<&str> = swatches.iter().map(|s| s.hex.as_str()).collect();
        assert_eq!(
            colours,
            ["#000030", "#1C0C47", "#9900FF", "#4285F4", "#FFFFFF"]
        );
    }

    #[test]
    fn the_commented_jimeng_example_is_a_valid_entry() {
        let start = BUILT_IN
            .find("# [[providers]]\n# id = \"jimeng\"")
            .expect("the example");
        let example: String = BUILT_IN[start..]
            .lines()
            .take_while(|line| line.starts_with('#'))
            .map(|line| line.trim_start_matches('#').trim_start())
            .collect::<Vec<_>>()
            .join("\n");
        let with_example = format!("{BUILT_IN}\n{example}\n");
        let s =
            Settings::from_parts(&with_example, env(&[("JIMENG_SESSION", "session-1")])).unwrap();
        let jimeng = provider(&s, "jimeng");
        assert_eq!(
            (
                jimeng.kind.as_str(),
                jimeng.size_param.as_str(),
                jimeng.api_key.as_deref()
            ),
            ("openai-images", "ratio", Some("session-1"))
        );
    }

    #[test]
    fn bad_provider_entries_stop_the_server_with_their_name() {
        let err = Settings::from_parts(
            BUILT_IN,
            env(&[("PROOFSHEET_PROVIDER__OPENAI__BASE_URL", "ftp://x")]),
        )
        .unwrap_err();
        assert!(
            err.contains("providers.openai.base_url must start with http"),
            "{err}"
        );
        let err = Settings::from_parts(
            BUILT_IN,
            env(&[("PROOFSHEET_PROVIDER__OPENAI__MODELS", "[]")]),
        )
        .unwrap_err();
        assert!(err.contains("providers.openai lists no model"), "{err}");
    }

    #[test]
    fn environment_overrides_the_file() {
        let s = Settings::from_parts(
            BUILT_IN,
            env(&[
                ("PROOFSHEET_RETRY_MAX_ATTEMPTS", "5"),
                ("PROOFSHEET_RETRY_JITTER", "false"),
                ("LEPTOS_SITE_ADDR", "127.0.0.1:3999"),
                ("UNRELATED", "x"),
            ]),
        )
        .unwrap();
        assert_eq!((s.retry.max_attempts, s.retry.jitter), (5, false));
        assert_eq!(s.site.addr, "127.0.0.1:3999");
    }

    #[test]
    fn the_data_directory_comes_from_proofsheet_data_dir_first() {
        let s = Settings::from_parts(BUILT_IN, env(&[])).unwrap();
        assert_eq!(s.storage.data_dir, PathBuf::from("data"));
        let s = Settings::from_parts(
            BUILT_IN,
            env(&[("PROOFSHEET_STORAGE_DATA_DIR", "/srv/by-section")]),
        )
        .unwrap();
        assert_eq!(s.storage.data_dir, PathBuf::from("/srv/by-section"));
        let s = Settings::from_parts(
            BUILT_IN,
            env(&[
                ("PROOFSHEET_STORAGE_DATA_DIR", "/srv/by-section"),
                ("PROOFSHEET_DATA_DIR", "/srv/proofsheet"),
            ]),
        )
        .unwrap();
        assert_eq!(s.storage.data_dir, PathBuf::from("/srv/proofsheet"));
        let err = Settings::from_parts(BUILT_IN, env(&[("PROOFSHEET_DATA_DIR", "")])).unwrap_err();
        assert!(err.contains("set PROOFSHEET_DATA_DIR"), "{err}");
    }

    #[test]
    fn upload_limits_default_to_20_mb_50_megapixels_and_2048_pixels() {
        let s = Settings::from_parts(BUILT_IN, env(&[])).unwrap();
        assert_eq!(s.limits.max_upload_bytes, 20_000_000);
        let images = s.limits.reference_images();
        assert_eq!((images.max_pixels, images.max_side), (50_000_000, 2048));
    }

    #[test]
    fn bad_overrides_are_named() {
        let err = Settings::from_parts(BUILT_IN, env(&[("PROOFSHEET_RETRY_MAX_ATTEMPTS", "many")]))
            .unwrap_err();
        assert!(
            err.contains("retry.max_attempts must be a whole number"),
            "{err}"
        );
        let err =
            Settings::from_parts(BUILT_IN, env(&[("PROOFSHEET_RETRY_TYPO", "1")])).unwrap_err();
        assert!(err.contains("unknown setting retry.typo"), "{err}");
        let err = Settings::from_parts(BUILT_IN, env(&[("PROOFSHEET_RETRY_MAX_ATTEMPTS", "0")]))
            .unwrap_err();
        assert!(err.contains("at least 1"), "{err}");
    }

    #[test]
    fn debug_output_never_shows_the_key() {
        let s = Settings::from_parts(
            BUILT_IN,
            env(&[
                ("OPENAI_API_KEY", "sk-very-secret"),
                ("PROOFSHEET_ACCESS_TOKEN", "team-token-very-secret"),
                ("PROOFSHEET_SESSION_SECRET", "session-very-secret"),
            ]),
        )
        .unwrap();
        assert!(!format!("{s:?}").contains("very-secret"));
        assert!(s.access.token.is_some() && s.access.session_secret.is_some());
    }

    #[test]
    fn lists_are_overridden_with_commas() {
        let s = Settings::from_parts(
            BUILT_IN,
            env(&[(
                "PROOFSHEET_SITE_ALLOWED_ORIGINS",
                "https://a.example, https://b.example",
            )]),
        )
        .unwrap();
        assert_eq!(
            s.site.allowed_origins,
            ["https://a.example", "https://b.example"]
        );
    }

    #[test]
    fn a_short_access_token_stops_the_server() {
        let err = Settings::from_parts(BUILT_IN, env(&[("PROOFSHEET_ACCESS_TOKEN", "1234")]))
            .unwrap_err();
        assert!(err.contains("at least 16 characters"), "{err}");
    }
}
