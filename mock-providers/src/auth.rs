//! Where each provider expects its key, and whether the right one came.
//! Checked once by the recorder; handlers answer with their own wording.

use axum::http::{header, HeaderMap};
use serde::{Deserialize, Serialize};

use crate::Provider;

/// The outcome of the key check, as the ledger records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyOutcome {
    /// The route takes no key (AUTOMATIC1111, image downloads).
    NotRequired,
    /// No usable key where the provider looks for one.
    Missing,
    /// A key, but not the configured one.
    Wrong,
    Accepted,
}

/// Auth facts of one request. Never holds the key itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthRecord {
    /// Where the key came: `authorization`, `x-goog-api-key`, `?key` or
    /// `api-key`; `None` if nowhere.
    pub via: Option<String>,
    pub outcome: KeyOutcome,
}

/// The check's result plus the presented key, which some error messages
/// quote in part (OpenAI's). Kept out of the ledger.
#[derive(Clone, Debug)]
pub(crate) struct Credentials {
    pub record: AuthRecord,
    pub key: Option<String>,
}

impl Credentials {
    pub(crate) fn not_required() -> Credentials {
        Credentials {
            record: AuthRecord {
                via: None,
                outcome: KeyOutcome::NotRequired,
            },
            key: None,
        }
    }

    pub(crate) fn outcome(&self) -> KeyOutcome {
        self.record.outcome
    }
}

/// Checks a request to one of `provider`'s API routes. `expected` None
/// accepts any non-empty key.
pub(crate) fn check(
    provider: Provider,
    headers: &HeaderMap,
    query: Option<&str>,
    expected: Option<&str>,
) -> Credentials {
    let Some((via, key)) = presented(provider, headers, query) else {
        let outcome = if provider == Provider::A1111 {
            KeyOutcome::NotRequired
        } else {
            KeyOutcome::Missing
        };
        return Credentials {
            record: AuthRecord { via: None, outcome },
            key: None,
        };
    };
    let accepted = match expected {
        None => true,
        // jimeng proxies take several session ids, comma-separated, and use
        // one at random; the mock accepts the list if the right one is in it.
        Some(expected) if provider == Provider::Jimeng => {
            key.split(',').any(|token| token.trim() == expected)
        }
        Some(expected) => key == expected,
    };
    Credentials {
        record: AuthRecord {
            via: Some(via.to_owned()),
            outcome: if accepted {
                KeyOutcome::Accepted
            } else {
                KeyOutcome::Wrong
            },
        },
        key: Some(key),
    }
}

fn presented(
    provider: Provider,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Option<(&'static str, String)> {
    let from_authorization = |schemes: &[&str]| {
        let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
        let (scheme, token) = value.trim().split_once(' ')?;
        let token = token.trim();
        let known = schemes
            .iter()
            .any(|known| scheme.eq_ignore_ascii_case(known));
        (known && !token.is_empty()).then(|| ("authorization", token.to_owned()))
    };
    let from_header = |name: &'static str| {
        let value = headers.get(name)?.to_str().ok()?.trim();
        (!value.is_empty()).then(|| (name, value.to_owned()))
    };
    match provider {
        Provider::OpenAi | Provider::Jimeng | Provider::Ark => from_authorization(&["bearer"]),
        // replicate-python sends `Bearer`; one doc example still shows `Token`.
        Provider::Replicate => from_authorization(&["bearer", "token"]),
        // The header wins over `?key=`, as in Google's own client.
        Provider::Gemini => from_header("x-goog-api-key").or_else(|| {
            query_param(query, "key")
                .filter(|key| !key.is_empty())
                .map(|key| ("?key", key.to_owned()))
        }),
        Provider::Ideogram => from_header("api-key"),
        Provider::A1111 => None,
    }
}

/// The raw value of `name` in a query string (keys need no decoding).
pub(crate) fn query_param<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// The query string with any `key=` value blanked, for the ledger.
pub(crate) fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some(("key", _)) => "key=REDACTED".to_owned(),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Headers that carry credentials: the ledger leaves them out.
pub(crate) fn is_secret_header(name: &str) -> bool {
    matches!(
        name,
        "authorization" | "proxy-authorization" | "cookie" | "x-goog-api-key" | "api-key"
    )
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue};

    use super::{check, redact_query, KeyOutcome};
    use crate::Provider;

    fn with(name: &'static str, value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_static(value));
        headers
    }

    fn outcome(
        provider: Provider,
        headers: &HeaderMap,
        query: Option<&str>,
        expected: Option<&str>,
    ) -> (Option<String>, KeyOutcome) {
        let credentials = check(provider, headers, query, expected);
        (credentials.record.via, credentials.record.outcome)
    }

    #[test]
    fn each_provider_looks_in_its_own_place() {
        let bearer = with("authorization", "Bearer test-key-1");
        let token = with("authorization", "Token test-key-1");
        let goog = with("x-goog-api-key", "test-key-1");
        let api_key = with("api-key", "test-key-1");
        let none = HeaderMap::new();
        let right = Some("test-key-1");
        let via = |name: &str| Some(name.to_owned());

        assert_eq!(
            outcome(Provider::OpenAi, &bearer, None, right),
            (via("authorization"), KeyOutcome::Accepted)
        );
        assert_eq!(
            outcome(Provider::OpenAi, &token, None, right).1,
            KeyOutcome::Missing
        );
        assert_eq!(
            outcome(Provider::Replicate, &token, None, right).1,
            KeyOutcome::Accepted
        );
        assert_eq!(
            outcome(Provider::Gemini, &goog, None, Some("other")),
            (via("x-goog-api-key"), KeyOutcome::Wrong)
        );
        assert_eq!(
            outcome(
                Provider::Gemini,
                &none,
                Some("alt=sse&key=test-key-1"),
                right
            ),
            (via("?key"), KeyOutcome::Accepted)
        );
        assert_eq!(
            outcome(Provider::Ideogram, &api_key, None, None).1,
            KeyOutcome::Accepted
        );
        assert_eq!(
            outcome(Provider::Ideogram, &bearer, None, None).1,
            KeyOutcome::Missing
        );
        assert_eq!(
            outcome(Provider::A1111, &none, None, None).1,
            KeyOutcome::NotRequired
        );
    }

    #[test]
    fn jimeng_accepts_a_list_holding_the_right_session() {
        let list = with("authorization", "Bearer s-one, s-two");
        assert_eq!(
            outcome(Provider::Jimeng, &list, None, Some("s-two")).1,
            KeyOutcome::Accepted
        );
        assert_eq!(
            outcome(Provider::Jimeng, &list, None, Some("s-three")).1,
            KeyOutcome::Wrong
        );
    }

    #[test]
    fn query_keys_are_redacted() {
        assert_eq!(redact_query("key=abc&alt=sse"), "key=REDACTED&alt=sse");
        assert_eq!(redact_query("monkey=1"), "monkey=1");
    }
}
