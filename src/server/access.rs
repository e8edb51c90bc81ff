//! Optional access control for a team: who may use this server (and so spend its keys).
//!
//! Off unless configured, since the default listens on loopback only. When on, every page and API
//! call needs a sign-in: a session cookie (HttpOnly, SameSite=Strict) from the login page, or
//! `Authorization: Bearer` with the shared token or a token `POST /login` gave a script. Static
//! files (the bundle, the icon) stay public: they hold no secret and the login page needs them.

mod login;
mod session;
pub mod users;

pub use login::{login_form, login_submit, logout};

use crate::server::config::AccessSettings;
use crate::server::http::error_response::refusal;
use axum::extract::{Request, State};
use axum::http::header::{ACCEPT, AUTHORIZATION, COOKIE, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use session::SessionKeys;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use subtle::ConstantTimeEq as _;
use tokio::sync::Semaphore;
use users::Users;

pub const SESSION_COOKIE: &str = "proofsheet_session";
/// The name a sign-in with the shared token is recorded under.
const TEAM: &str = "team";
/// Password checks run at once: argon2 is slow on purpose, and a flood of logins must not take
/// every processor from the studio.
const CONCURRENT_PASSWORD_CHECKS: usize = 2;

pub struct Access {
    token: Option<String>,
    users: Users,
    sessions: SessionKeys,
    password_checks: Semaphore,
}

impl Access {
    /// `None` when access control is not configured.
    pub fn from_settings(settings: &AccessSettings) -> Result<Option<Arc<Access>>, String> {
        let users = match settings.users_file.trim() {
            "" => Users::default(),
            path => Users::load(path)?,
        };
        if settings.token.is_none() && users.is_empty() {
            return Ok(None);
        }
        let secret = match &settings.session_secret {
            Some(secret) => secret.as_bytes().to_vec(),
            // Without a configured secret, sign-ins last until the server restarts.
            None => {
                let mut secret = vec![0u8; 32];
                getrandom::fill(&mut secret).map_err(|e| format!("no random source: {e}"))?;
                secret
            }
        };
        let lifetime = Duration::from_secs(settings.session_hours.max(1) * 3600);
        Ok(Some(Arc::new(Access {
            token: settings.token.clone(),
            users,
            sessions: SessionKeys::new(secret, lifetime),
            password_checks: Semaphore::new(CONCURRENT_PASSWORD_CHECKS),
        })))
    }

    pub fn has_users(&self) -> bool {
        !self.users.is_empty()
    }

    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// Who the request comes from, when it proves a sign-in.
    pub fn identify(&self, headers: &HeaderMap) -> Option<String> {
        let now = SystemTime::now();
        if let Some(bearer) = bearer(headers) {
            if self.is_team_token(bearer) {
                return Some(TEAM.into());
            }
            return self.sessions.verify(bearer, now);
        }
        cookie(headers, SESSION_COOKIE).and_then(|token| self.sessions.verify(token, now))
    }

    /// A session token for `name` and `secret` (a user's password; with no name, the shared token).
    pub async fn sign_in(self: &Arc<Self>, name: &str, secret: &str) -> Option<String> {
        let name = name.trim();
        let signed_in = if name.is_empty() {
            self.is_team_token(secret).then(|| TEAM.to_string())
        } else {
            let _turn = self.password_checks.acquire().await.ok()?;
            let access = Arc::clone(self);
            let (name, secret) = (name.to_string(), secret.to_string());
            tokio::task::spawn_blocking(move || access.users.verify(&name, &secret).then_some(name))
                .await
                .ok()
                .flatten()
        };
        signed_in.map(|name| self.sessions.issue(&name, SystemTime::now()))
    }

    pub fn session_lifetime(&self) -> Duration {
        self.sessions.lifetime()
    }

    fn is_team_token(&self, candidate: &str) -> bool {
        self.token
            .as_ref()
            .is_some_and(|token| bool::from(token.as_bytes().ct_eq(candidate.as_bytes())))
    }
}

/// Paths anyone may reach: the login page itself and the static files it uses.
fn is_public(path: &str) -> bool {
    matches!(path, "/login" | "/logout" | "/favicon.svg") || path.starts_with("/pkg/")
}

pub async fn require_sign_in(
    State(access): State<Option<Arc<Access>>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(access) = access else {
        return next.run(request).await;
    };
    let path = request.uri().path();
    if is_public(path) || access.identify(request.headers()).is_some() {
        return next.run(request).await;
    }
    let wants_page = request
        .headers()
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_page && !path.starts_with("/api/") {
        let target = request.uri().path_and_query().map_or("/", |p| p.as_str());
        let location = format!("/login?next={}", urlencoding::encode(target));
        let mut response = StatusCode::SEE_OTHER.into_response();
        if let Ok(location) = HeaderValue::from_str(&location) {
            response.headers_mut().insert(LOCATION, location);
        }
        return response;
    }
    refusal(
        StatusCode::UNAUTHORIZED,
        "Sign in first: open the studio's login page, or send Authorization: Bearer with the team's access token.",
    )
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(token: Option<&str>) -> Arc<Access> {
        let settings = AccessSettings {
            users_file: String::new(),
            session_hours: 1,
            token: token.map(String::from),
            session_secret: Some("secret".into()),
        };
        Access::from_settings(&settings).unwrap().unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn nothing_configured_means_no_access_control() {
        let settings = AccessSettings {
            users_file: String::new(),
            session_hours: 1,
            token: None,
            session_secret: None,
        };
        assert!(Access::from_settings(&settings).unwrap().is_none());
    }

    #[tokio::test]
    async fn the_team_token_signs_in_and_works_as_a_bearer() {
        let access = access(Some("a-long-team-token-123"));
        assert_eq!(access.sign_in("", "wrong").await, None);
        let session = access.sign_in("", "a-long-team-token-123").await.unwrap();
        let by_cookie = headers(&[("cookie", &format!("theme=dark; {SESSION_COOKIE}={session}"))]);
        assert_eq!(access.identify(&by_cookie).as_deref(), Some(TEAM));
        let by_token = headers(&[("authorization", "Bearer a-long-team-token-123")]);
        assert_eq!(access.identify(&by_token).as_deref(), Some(TEAM));
        let by_session = headers(&[("authorization", &format!("bearer {session}"))]);
        assert_eq!(access.identify(&by_session).as_deref(), Some(TEAM));
        assert_eq!(
            access.identify(&headers(&[("authorization", "Bearer nope")])),
            None
        );
        assert_eq!(access.identify(&HeaderMap::new()), None);
    }

    #[test]
    fn only_the_login_page_and_static_files_are_public() {
        for path in [
            "/login",
            "/logout",
            "/pkg/proofsheet.abc.wasm",
            "/favicon.svg",
        ] {
            assert!(is_public(path), "{path}");
        }
        for path in ["/", "/api/generate_image", "/api/list_engines", "/anything"] {
            assert!(!is_public(path), "{path}");
        }
    }
}
