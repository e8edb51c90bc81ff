//! The login page, `POST /login` (a form for people, JSON for scripts) and `/logout`. Plain HTML
//! without a script: it works before the bundle loads, and its policy allows no script at all.

use super::SESSION_COOKIE;
use crate::i18n::Lang;
use crate::server::http::api_gate::{is_json, same_origin};
use crate::server::http::body::read_body;
use crate::server::http::error_response::refusal;
use crate::server::site::stylesheet_href;
use crate::server::state::AppState;
use axum::extract::{Query, Request, State};
use axum::http::header::{
    HeaderValue, CACHE_CONTROL, CONTENT_SECURITY_POLICY, LOCATION, SET_COOKIE,
};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use std::time::Duration;

/// A login form or JSON body is a few hundred bytes.
const MAX_LOGIN_BYTES: usize = 16 * 1024;
const LOGIN_PAGE_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    #[serde(default)]
    next: String,
}

#[derive(Deserialize)]
struct Credentials {
    #[serde(default)]
    name: String,
    secret: String,
    #[serde(default)]
    next: String,
}

pub async fn login_form(
    State(state): State<AppState>,
    Query(query): Query<LoginQuery>,
    headers: HeaderMap,
) -> Response {
    let Some(access) = &state.access else {
        return see_other("/", None);
    };
    let form = LoginPage {
        stylesheet: stylesheet_href(&state.leptos_options),
        lang: Lang::of_headers(&headers),
        users: access.has_users(),
        token: access.has_token(),
        name: "",
        next: local_path(&query.next),
        error: None,
    };
    page(StatusCode::OK, &form)
}

pub async fn login_submit(State(state): State<AppState>, request: Request) -> Response {
    let Some(access) = state.access.clone() else {
        return see_other("/", None);
    };
    let (parts, body) = request.into_parts();
    if same_origin(&parts.headers, &state.settings.site.allowed_origins).is_err() {
        return refusal(
            StatusCode::FORBIDDEN,
            "Sign in from Proofsheet's own login page.",
        );
    }
    let timeout = Duration::from_secs(state.settings.connections.body_timeout_secs);
    let bytes = match read_body(body, MAX_LOGIN_BYTES, timeout).await {
        Ok(bytes) => bytes,
        Err(error) => return error.into_response(),
    };
    let json = is_json(&parts.headers);
    let credentials: Option<Credentials> = if json {
        serde_json::from_slice(&bytes).ok()
    } else {
        serde_urlencoded::from_bytes(&bytes).ok()
    };
    let Some(credentials) = credentials else {
        return refusal(
            StatusCode::BAD_REQUEST,
            "Send \"secret\" (and \"name\" for a user) as a form or as JSON.",
        );
    };
    let token = access.sign_in(&credentials.name, &credentials.secret).await;
    let lifetime = access.session_lifetime();
    match (token, json) {
        (Some(token), true) => {
            let body = serde_json::json!({"token": token, "expires_in_secs": lifetime.as_secs()});
            axum::Json(body).into_response()
        }
        (Some(token), false) => {
            tracing::info!(user = %short_name(&credentials.name), "signed in");
            let cookie = session_cookie(&token, lifetime, is_https(&parts.headers));
            see_other(local_path(&credentials.next), Some(cookie))
        }
        (None, json) => {
            tracing::warn!(user = %short_name(&credentials.name), "sign-in refused");
            // Scripts get the API's English; people, their language.
            let lang = if json {
                Lang::En
            } else {
                Lang::of_headers(&parts.headers)
            };
            let text = lang.text();
            let message = if credentials.name.trim().is_empty() {
                text.login_wrong_token
            } else {
                text.login_wrong_password
            };
            if json {
                return refusal(StatusCode::UNAUTHORIZED, message);
            }
            let form = LoginPage {
                stylesheet: stylesheet_href(&state.leptos_options),
                lang,
                users: access.has_users(),
                token: access.has_token(),
                name: &credentials.name,
                next: local_path(&credentials.next),
                error: Some(message),
            };
            page(StatusCode::UNAUTHORIZED, &form)
        }
    }
}

pub async fn logout(headers: HeaderMap) -> Response {
    let expired = format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        if is_https(&headers) { "; Secure" } else { "" }
    );
    see_other("/login", HeaderValue::from_str(&expired).ok())
}

fn session_cookie(token: &str, lifetime: Duration, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        lifetime.as_secs()
    );
    HeaderValue::from_str(&cookie).expect("session tokens are URL-safe base64 and digits")
}

/// Behind a TLS proxy the cookie must be `Secure`; the proxy says so in `X-Forwarded-Proto`.
fn is_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|proto| proto.eq_ignore_ascii_case("https"))
}

/// Where to go after signing in: a path on this site only, never another site (`//evil`).
fn local_path(next: &str) -> &str {
    let local = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\');
    if local {
        next
    } else {
        "/"
    }
}

fn short_name(name: &str) -> String {
    crate::model::shorten(&name.replace(|c: char| c.is_control(), " "), 40)
}

fn see_other(location: &str, cookie: Option<HeaderValue>) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(location) {
        headers.insert(LOCATION, location);
    }
    if let Some(cookie) = cookie {
        headers.insert(SET_COOKIE, cookie);
    }
    response
}

struct LoginPage<'a> {
    stylesheet: &'a str,
    lang: Lang,
    users: bool,
    token: bool,
    name: &'a str,
    next: &'a str,
    error: Option<&'a str>,
}

fn page(status: StatusCode, form: &LoginPage) -> Response {
    let mut response = (status, Html(render(form))).into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(LOGIN_PAGE_POLICY),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn render(form: &LoginPage) -> String {
    let error = form
        .error
        .map(|e| {
            format!(
                r#"<p class="notice notice-error" role="alert" data-testid="login-error">{}</p>"#,
                escape(e)
            )
        })
        .unwrap_or_default();
    let text = form.lang.text();
    let name_field = if form.users {
        format!(
            r#"<label class="field">{}<input name="name" autocomplete="username" value="{}" data-testid="login-name"></label>"#,
            text.login_name,
            escape(form.name)
        )
    } else {
        String::new()
    };
    let secret_label = match (form.users, form.token) {
        (true, false) => text.login_password,
        (false, _) => text.login_token,
        (true, true) => text.login_password_or_token,
    };
    format!(
        r#"<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title><link rel="icon" type="image/svg+xml" href="/favicon.svg"><link rel="stylesheet" href="{stylesheet}"></head><body><main class="login" data-testid="login"><h1 class="brand">Proofsheet</h1><form class="login-form" method="post" action="/login">{error}<input type="hidden" name="next" value="{next}">{name_field}<label class="field">{secret_label}<input type="password" name="secret" autocomplete="current-password" required data-testid="login-secret"></label><button type="submit" class="primary" data-testid="login-submit">{submit}</button></form></main></body></html>"#,
        stylesheet = escape(form.stylesheet),
        next = escape(form.next),
        lang = form.lang.code(),
        title = text.login_title,
        submit = text.login_submit,
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_signing_in() {
        assert_eq!(local_path("/?x=1"), "/?x=1");
        for outside in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "",
        ] {
            assert_eq!(local_path(outside), "/", "{outside}");
        }
    }

    #[test]
    fn the_form_speaks_the_request_language() {
        let form = |lang| {
            render(&LoginPage {
                stylesheet: "/pkg/p.css",
                lang,
                users: true,
                token: true,
                name: "",
                next: "/",
                error: None,
            })
        };
        let chinese = form(Lang::ZhCn);
        assert!(chinese.contains(r#"<html lang="zh-CN">"#));
        assert!(chinese.contains(">登录</button>") && chinese.contains("用户名"));
        assert!(form(Lang::En).contains(">Sign in</button>"));
    }

    #[test]
    fn the_form_escapes_what_it_repeats() {
        let html = render(&LoginPage {
            stylesheet: "/pkg/p.css",
            lang: Lang::En,
            users: true,
            token: false,
            name: "\"><script>alert(1)</script>",
            next: "/\"onmouseover=\"x",
            error: Some("no"),
        });
        assert!(!html.contains("<script>"));
        assert!(html.contains("&quot;&gt;&lt;script&gt;"));
        assert!(!html.contains("\"onmouseover"));
    }
}
