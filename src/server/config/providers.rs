//! `[[providers]]`: the engines of the picker, as data. Each entry names the protocol its client
//! speaks (`kind`), where the service is, which environment variable holds its key, and its
//! models with what each can do. A second OpenAI-compatible server, or a new model of a known
//! kind, is a few lines here, not code.
//!
//! Environment: `key_env` and `base_url_env` name the variables read for the key (never written in
//! a file) and the base URL; `PROOFSHEET_PROVIDER__<ID>__<KEY>=<value>` sets any key of an entry,
//! or adds an entry with that id (`<ID>` upper-cased with `_` for `-`; `<value>` is read as a TOML
//! value when it is one, e.g. `[{id = "m", sizes = ["512x512"]}]`, and as text otherwise).

use crate::i18n::Lang;
use crate::model::{EngineInfo, ModelInfo};
use crate::server::providers::http::{FetchLimits, ResultFetcher};
use serde::Deserialize;
use std::collections::HashMap;

pub const PROVIDER_ENV_PREFIX: &str = "PROOFSHEET_PROVIDER__";
const DEFAULT_MAX_PROMPT_CHARS: usize = 32_000;

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSettings {
    pub id: String,
    pub kind: String,
    pub label: String,
    #[serde(default)]
    pub base_url: String,
    #[serde(default)]
    pub base_url_env: String,
    #[serde(default)]
    pub key_env: String,
    /// `openai-responses`: the model that calls the image tool.
    #[serde(default)]
    pub mainline_model: String,
    /// Hosts this engine leaves its pictures on (a subdomain of one also passes); the host of
    /// `base_url` is always allowed. Nothing is fetched from anywhere else.
    #[serde(default)]
    pub result_hosts: Vec<String>,
    /// The engine that makes the picture when this one fails for a reason that is not the
    /// person's (an outage, a timeout, a rate limit that outlasted the retries); empty: none.
    #[serde(default)]
    pub fallback: String,
    /// `ideogram`: `AUTO`, `ON` or `OFF`; sent when set. Off keeps the picture to the words
    /// people wrote (seed 003 turns it off); Ideogram's own default is `AUTO`.
    #[serde(default)]
    pub magic_prompt: String,
    /// `openai-images`: the request fields for the size and the quality (`size` and `quality`
    /// unless set; a jimeng-style proxy takes `ratio` and `resolution`).
    #[serde(default)]
    pub size_param: String,
    #[serde(default)]
    pub quality_param: String,
    /// `openai-images`: sent as `response_format` when set (`b64_json` for dall-e and proxies).
    #[serde(default)]
    pub response_format: String,
    /// `doubao`: ask Ark for its visible "AI生成" mark (off unless set; Ark's own default is on).
    #[serde(default)]
    pub watermark: bool,
    #[serde(default = "default_max_prompt_chars")]
    pub max_prompt_chars: usize,
    /// What each model offers, exactly as the picker receives it (see `model::ModelInfo`);
    /// `default_size` and `default_quality` may be left out and default to the first listed.
    pub models: Vec<ModelInfo>,
    /// Read from `key_env` at start; `None` when that variable is unset or empty.
    #[serde(skip)]
    pub api_key: Option<String>,
}

fn default_max_prompt_chars() -> usize {
    DEFAULT_MAX_PROMPT_CHARS
}

/// Hand-written so the key can never reach a log through `{:?}`.
impl std::fmt::Debug for ProviderSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderSettings")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("base_url", &self.base_url)
            .field("key_env", &self.key_env)
            .field("api_key", &self.api_key.as_ref().map(|_| "[set]"))
            .field("models", &self.models)
            .finish_non_exhaustive()
    }
}

impl ProviderSettings {
    /// What the picker shows of this engine; `unavailable` says why it cannot be used.
    pub fn engine_info(&self, offline: bool, unavailable: Option<String>) -> EngineInfo {
        EngineInfo {
            id: self.id.clone(),
            label: self.label.clone(),
            provider: self.label.clone(),
            offline,
            unavailable,
            max_prompt_chars: self.max_prompt_chars,
            models: self.models.clone(),
        }
    }

    /// The words an engine without its key shows in the picker.
    pub fn missing_key(&self, lang: Lang) -> String {
        (lang.server_text().missing_key)(&self.key_env, &self.label)
    }

    fn env_name(&self) -> String {
        env_name(&self.id)
    }

    /// The fetcher for this engine's result URLs: its result hosts and its base URL's host.
    pub fn result_fetcher(&self, limits: FetchLimits) -> Result<ResultFetcher, String> {
        let base_host = reqwest::Url::parse(&self.base_url)
            .ok()
            .and_then(|url| url.host_str().map(String::from));
        let hosts = self.result_hosts.iter().cloned().chain(base_host).collect();
        ResultFetcher::new(hosts, limits)
    }
}

fn env_name(id: &str) -> String {
    id.to_uppercase().replace('-', "_")
}

/// Applies one `PROOFSHEET_PROVIDER__<ID>__<KEY>` variable (`rest` is what follows the prefix) to
/// the `providers` array of the settings file, adding the entry when no entry has that id.
pub fn override_entry(table: &mut toml::Table, rest: &str, raw: &str) -> Result<(), String> {
    let (id, key) = rest.split_once("__").ok_or_else(|| {
        format!("{PROVIDER_ENV_PREFIX}{rest} does not name a setting ({PROVIDER_ENV_PREFIX}<ID>__<KEY>)")
    })?;
    let providers = table
        .entry("providers")
        .or_insert_with(|| toml::Value::Array(Vec::new()))
        .as_array_mut()
        .ok_or("providers must be a list of [[providers]] entries")?;
    let position = providers.iter().position(|entry| {
        entry
            .get("id")
            .and_then(toml::Value::as_str)
            .is_some_and(|existing| env_name(existing) == id)
    });
    let entry = match position {
        Some(index) => &mut providers[index],
        None => {
            let mut fresh = toml::Table::new();
            fresh.insert("id".into(), id.to_lowercase().replace('_', "-").into());
            providers.push(toml::Value::Table(fresh));
            providers.last_mut().expect("just pushed")
        }
    };
    let entry = entry
        .as_table_mut()
        .ok_or("each [[providers]] entry must be a table")?;
    entry.insert(key.to_lowercase(), toml_value(raw));
    Ok(())
}

/// A TOML value when the text is one (numbers, booleans, lists, inline tables), else the text.
fn toml_value(raw: &str) -> toml::Value {
    format!("value = {raw}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut parsed| parsed.remove("value"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()))
}

/// Reads each entry's key and base URL from the variables it names.
pub fn read_environment(providers: &mut [ProviderSettings], env: &HashMap<String, String>) {
    let present = |name: &str| {
        (!name.is_empty())
            .then(|| env.get(name))
            .flatten()
            .filter(|value| !value.trim().is_empty())
            .cloned()
    };
    for provider in providers {
        provider.api_key = present(&provider.key_env);
        if let Some(base_url) = present(&provider.base_url_env) {
            provider.base_url = base_url;
        }
    }
}

/// Each model's default size and quality, where the file leaves them out: the first listed.
pub fn fill_model_defaults(providers: &mut [ProviderSettings]) {
    for model in providers.iter_mut().flat_map(|p| p.models.iter_mut()) {
        if model.default_size.is_empty() {
            model.default_size = model.sizes.first().cloned().unwrap_or_default();
        }
        if model.default_quality.is_none() {
            model.default_quality = model.qualities.first().cloned();
        }
    }
}

pub fn validate(providers: &[ProviderSettings]) -> Result<(), String> {
    if providers.is_empty() {
        return Err("[[providers]] lists no engine".into());
    }
    let mut seen = HashMap::new();
    for provider in providers {
        let id = &provider.id;
        let plain = !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !plain {
            return Err(format!(
                "provider id {id:?} must be lower-case letters, digits and '-'"
            ));
        }
        if seen.insert(provider.env_name(), id).is_some() {
            return Err(format!("provider id {id:?} is listed twice"));
        }
        let fallback = &provider.fallback;
        let known = providers.iter().any(|other| other.id == *fallback);
        if !fallback.is_empty() && (fallback == id || !known) {
            return Err(format!(
                "providers.{id}.fallback {fallback:?} must name another [[providers]] entry"
            ));
        }
        let base_url = &provider.base_url;
        if !base_url.is_empty()
            && !base_url.starts_with("http://")
            && !base_url.starts_with("https://")
        {
            return Err(format!(
                "providers.{id}.base_url must start with http:// or https://, not {base_url:?}"
            ));
        }
        if provider.models.is_empty() {
            return Err(format!("providers.{id} lists no model"));
        }
        for model in &provider.models {
            validate_model(id, model)?;
        }
    }
    Ok(())
}

fn validate_model(provider: &str, model: &ModelInfo) -> Result<(), String> {
    let name = format!("providers.{provider}.models.{}", model.id);
    if model.sizes.is_empty() {
        return Err(format!("{name} lists no size"));
    }
    if !model.sizes.contains(&model.default_size) {
        let size = &model.default_size;
        return Err(format!(
            "{name}.default_size {size:?} is not one of its sizes"
        ));
    }
    if let Some(quality) = &model.default_quality {
        if !model.qualities.contains(quality) {
            return Err(format!(
                "{name}.default_quality {quality:?} is not one of its qualities"
            ));
        }
    }
    // OpenAI's limit (providers.md §1.3, §2.2); more would be refused by every server we know.
    if model.partial_images > 3 {
        return Err(format!(
            "{name}.partial_images is {}; it may be 0 to 3",
            model.partial_images
        ));
    }
    Ok(())
}
