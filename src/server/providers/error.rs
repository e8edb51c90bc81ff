use crate::error::{AppError, ProviderFailure};
use crate::i18n::server::{language, FailureWords};
use crate::server::flow::{AttemptTimedOut, Attempts, Retryable};
use std::time::Duration;

/// A failed provider call, classified once by the client that saw it (providers.md §0.1), so
/// retrying and the words people read stay consistent across providers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderError {
    pub failure: ProviderFailure,
    /// "OpenAI"; filled in by the client.
    pub provider: String,
    /// The environment variable holding this provider's key, for auth messages.
    pub key_env: String,
    pub status: Option<u16>,
    pub code: Option<String>,
    /// The provider's own explanation, already stripped of anything secret.
    pub detail: String,
    pub retryable: bool,
    pub retry_after: Option<Duration>,
}

impl ProviderError {
    pub fn new(failure: ProviderFailure, detail: impl Into<String>) -> Self {
        ProviderError {
            failure,
            provider: String::new(),
            key_env: String::new(),
            status: None,
            code: None,
            detail: detail.into(),
            retryable: matches!(
                failure,
                ProviderFailure::RateLimited
                    | ProviderFailure::Timeout
                    | ProviderFailure::Unavailable
                    | ProviderFailure::Network
            ),
            retry_after: None,
        }
    }

    /// An HTTP error answer. An auth failure's text is dropped: providers echo the key in it
    /// (OpenAI's 401 does), so none of it is passed on, whatever redaction would catch.
    pub fn from_status(failure: ProviderFailure, status: u16, detail: impl Into<String>) -> Self {
        let detail = match failure {
            ProviderFailure::Auth => String::new(),
            _ => detail.into(),
        };
        ProviderError {
            status: Some(status),
            ..ProviderError::new(failure, detail)
        }
    }

    /// Says what went wrong, with what was tried, in words a person can act on, in the language
    /// of the request.
    pub fn to_app_error(&self, attempts: &Attempts) -> AppError {
        let words = FailureWords {
            failure: self.failure,
            provider: &self.provider,
            status: self.status,
            detail: &self.detail,
            key_env: &self.key_env,
            calls: attempts.calls,
            seconds: attempts.elapsed.as_secs_f64().round() as u64,
        };
        AppError::Provider {
            failure: self.failure,
            message: (language().server_text().provider_failure)(&words),
            provider_calls: attempts.calls,
        }
    }
}

impl std::fmt::Display for ProviderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {:?}", self.provider, self.failure)?;
        if let Some(status) = self.status {
            write!(f, " status {status}")?;
        }
        if let Some(code) = &self.code {
            write!(f, " code {code}")?;
        }
        write!(f, ": {}", self.detail)
    }
}

impl std::error::Error for ProviderError {}

impl Retryable for ProviderError {
    fn is_retryable(&self) -> bool {
        self.retryable
    }
    fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
}

impl From<AttemptTimedOut> for ProviderError {
    fn from(timeout: AttemptTimedOut) -> Self {
        ProviderError::new(
            ProviderFailure::Timeout,
            format!("no answer after {} s", timeout.after.as_secs()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn openai(failure: ProviderFailure) -> ProviderError {
        ProviderError {
            provider: "OpenAI".into(),
            key_env: "OPENAI_API_KEY".into(),
            status: Some(401),
            ..ProviderError::new(failure, "")
        }
    }

    #[test]
    fn auth_message_names_the_key_variable() {
        let err = openai(ProviderFailure::Auth).to_app_error(&Attempts {
            calls: 1,
            ..Default::default()
        });
        assert_eq!(
            err.to_string(),
            "OpenAI rejected the API key (401): check OPENAI_API_KEY"
        );
    }

    #[test]
    fn rate_limit_message_counts_retries_and_time() {
        let attempts = Attempts {
            calls: 4,
            waited: Duration::from_secs(40),
            elapsed: Duration::from_millis(41_300),
        };
        let err = openai(ProviderFailure::RateLimited).to_app_error(&attempts);
        assert_eq!(
            err.to_string(),
            "OpenAI is rate limiting; retried 3 times over 41 s"
        );
    }

    #[test]
    fn only_transient_failures_are_retryable_by_default() {
        assert!(ProviderError::new(ProviderFailure::RateLimited, "").is_retryable());
        for failure in [
            ProviderFailure::Auth,
            ProviderFailure::ContentRejected,
            ProviderFailure::QuotaExhausted,
            ProviderFailure::BadRequest,
        ] {
            assert!(
                !ProviderError::new(failure, "").is_retryable(),
                "{failure:?}"
            );
        }
    }
}
