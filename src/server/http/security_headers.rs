//! Headers that tell browsers what this site's responses may do.
//!
//! Pages get a Content-Security-Policy built around the nonce Leptos puts on its inline scripts
//! (the hydration loader and the streamed `<Suspense>` chunks): no other inline script, no plugin,
//! no framing, and connections only to this origin. Every response also gets `nosniff`, a
//! referrer for this site only, and no framing by other sites. (`same-origin`, not `no-referrer`:
//! under `no-referrer` Chromium sends `Origin: null` with form posts, and the login form's
//! origin check would refuse the site's own page.)

use axum::extract::Request;
use axum::http::header::{
    HeaderName, HeaderValue, CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::middleware::Next;
use axum::response::Response;
use leptos::prelude::use_context;

/// On a picture only signed-in pages may see: other sites' pages cannot embed it, even with the
/// visitor's cookie.
pub const SAME_ORIGIN_ONLY: (HeaderName, &str) = (
    HeaderName::from_static("cross-origin-resource-policy"),
    "same-origin",
);
/// For responses that are not pages (JSON, images, scripts): nothing may run or be framed.
const NON_PAGE_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// The policy of a page whose inline scripts carry `nonce`. `'wasm-unsafe-eval'` lets the page
/// compile its own WebAssembly; `blob:` and `data:` images are the pictures the studio shows.
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Called while a page renders (in the Leptos context): the policy with this response's nonce,
/// and `no-cache`, so a new deployment's page (naming new hashed files) is always fetched.
pub fn provide_page_headers() {
    let Some(options) = use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    if let Some(nonce) = leptos::nonce::use_nonce() {
        if let Ok(policy) = HeaderValue::from_str(&page_policy(&nonce)) {
            options.insert_header(CONTENT_SECURITY_POLICY, policy);
        }
    }
    options.insert_header(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
}

pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    // For browsers that predate CSP's frame-ancestors.
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    headers
        .entry(CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(NON_PAGE_POLICY));
    response
}
