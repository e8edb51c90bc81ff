//! The one error that crosses the network. Every variant carries words a person can act on;
//! internal causes stay in the server log under a reference id.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// Why a provider call failed, as far as the person is concerned. The browser uses it to choose
/// what to offer next (e.g. no point in "try again" after an auth failure).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProviderFailure {
    NotConfigured,
    Auth,
    Forbidden,
    ContentRejected,
    RateLimited,
    QuotaExhausted,
    BadRequest,
    NotFound,
    Timeout,
    Unavailable,
    Network,
    BadResponse,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("{message}")]
    InvalidInput { field: String, message: String },
    /// `message` is written on the server, where the provider name, retry count and wait are known.
    #[error("{message}")]
    Provider {
        failure: ProviderFailure,
        message: String,
        provider_calls: u32,
    },
    #[error("The generation was cancelled.")]
    Cancelled,
    /// The HTTP request was refused before it reached the studio: another site's page, not JSON,
    /// too large or too slow, no such endpoint, not signed in. `status` is the HTTP status.
    #[error("{message}")]
    Refused { status: u16, message: String },
    /// The engine already runs and queues as many generations as it is allowed; try again after
    /// `retry_after_secs` (also sent as `Retry-After`).
    #[error("{message}")]
    Busy {
        message: String,
        retry_after_secs: u64,
    },
    #[error(
        "Something went wrong on the server (reference {reference}); the details are in its log."
    )]
    Internal { reference: String },
    #[error("{}", transport_message(.0))]
    Transport(ServerFnErrorErr),
}

impl AppError {
    /// The HTTP status the JSON API answers with, so callers other than the studio can branch on
    /// it: the caller's mistake (4xx), the provider's refusal or failure (422, 429, 502, 504), ours (500).
    pub fn http_status(&self) -> u16 {
        match self {
            AppError::InvalidInput { .. } => 400,
            AppError::Cancelled => 409,
            AppError::Refused { status, .. } => *status,
            AppError::Busy { .. } => 429,
            AppError::Provider { failure, .. } => match failure {
                ProviderFailure::ContentRejected => 422,
                ProviderFailure::RateLimited => 429,
                ProviderFailure::NotConfigured => 503,
                ProviderFailure::Timeout => 504,
                _ => 502,
            },
            AppError::Internal { .. } | AppError::Transport(_) => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value)
    }
}

/// Framework errors are mostly about the connection; say that rather than print internals.
fn transport_message(err: &ServerFnErrorErr) -> String {
    match err {
        ServerFnErrorErr::Request(detail) => format!(
            "Could not reach the Proofsheet server ({detail}). Check that it is running, then try again."
        ),
        ServerFnErrorErr::Deserialization(_) | ServerFnErrorErr::Response(_) => {
            "The server's answer could not be read. Try again; if it persists, the request may be too large.".into()
        }
        other => format!("The request failed: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_errors_read_as_connection_problems() {
        let err = AppError::Transport(ServerFnErrorErr::Request("Failed to fetch".into()));
        assert!(err
            .to_string()
            .starts_with("Could not reach the Proofsheet server"));
    }

    #[test]
    fn statuses_tell_whose_problem_it_is() {
        let provider = |failure| AppError::Provider {
            failure,
            message: String::new(),
            provider_calls: 1,
        };
        let invalid = AppError::InvalidInput {
            field: "prompt".into(),
            message: String::new(),
        };
        assert_eq!(invalid.http_status(), 400);
        assert_eq!(provider(ProviderFailure::Auth).http_status(), 502);
        assert_eq!(
            provider(ProviderFailure::ContentRejected).http_status(),
            422
        );
        assert_eq!(provider(ProviderFailure::RateLimited).http_status(), 429);
        assert_eq!(provider(ProviderFailure::Timeout).http_status(), 504);
        assert_eq!(
            AppError::Internal {
                reference: "E1".into()
            }
            .http_status(),
            500
        );
    }

    #[test]
    fn errors_survive_a_json_round_trip() {
        let err = AppError::Provider {
            failure: ProviderFailure::RateLimited,
            message: "OpenAI is rate limiting; retried 2 times over 3 s".into(),
            provider_calls: 3,
        };
        let json = serde_json::to_string(&err).unwrap();
        assert_eq!(serde_json::from_str::<AppError>(&json).unwrap(), err);
    }
}
