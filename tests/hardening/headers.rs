//! Security headers on pages and on everything else, and static files that browsers can cache:
//! `immutable` for hashed bundle files, `no-cache` with validators for the rest, 304 and 206.

use crate::server::{client, start, start_with};
use leptos::config::LeptosOptions;
use reqwest::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
    RANGE,
};
use reqwest::StatusCode;

fn header(response: &reqwest::Response, name: impl reqwest::header::AsHeaderName) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn the_page_carries_a_policy_with_the_nonce_of_its_scripts() {
    let server = start(&[]).await;
    let page = client().get(server.url("/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let policy = header(&page, CONTENT_SECURITY_POLICY);
    assert_eq!(header(&page, CACHE_CONTROL), "no-cache");
    assert_eq!(header(&page, "x-content-type-options"), "nosniff");
    assert_eq!(header(&page, "referrer-policy"), "same-origin");
    let html = page.text().await.unwrap();
    let nonce = html
        .split("nonce=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page's scripts carry a nonce");
    assert!(
        policy.contains(&format!("script-src 'self' 'nonce-{nonce}'")),
        "{policy}"
    );
    for directive in [
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
    ] {
        assert!(policy.contains(directive), "{directive} missing: {policy}");
    }
    let again = client().get(server.url("/")).send().await.unwrap();
    assert!(
        !header(&again, CONTENT_SECURITY_POLICY).contains(nonce),
        "a fresh nonce per page"
    );
}

#[tokio::test]
async fn api_answers_may_not_run_or_be_framed() {
    let server = start(&[]).await;
    let answer = client()
        .get(server.url("/api/list_engines"))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&answer, "x-content-type-options"), "nosniff");
    assert_eq!(header(&answer, "x-frame-options"), "DENY");
    assert_eq!(
        header(&answer, CONTENT_SECURITY_POLICY),
        "default-src 'none'; frame-ancestors 'none'"
    );
}

/// A site root with one hashed bundle file and one public file.
fn site_root() -> std::path::PathBuf {
    let root = std::env::temp_dir().join(format!("proofsheet-site-{}", std::process::id()));
    std::fs::create_dir_all(root.join("pkg")).unwrap();
    std::fs::write(
        root.join("pkg/proofsheet.abc123.css"),
        "body { color: black }",
    )
    .unwrap();
    std::fs::write(
        root.join("favicon.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    )
    .unwrap();
    root
}

async fn static_server() -> crate::server::Running {
    let root = site_root();
    let options = LeptosOptions::builder()
        .output_name("proofsheet")
        .site_root(root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .hash_files(true)
        .build();
    start_with(options, &[]).await
}

#[tokio::test]
async fn hashed_bundle_files_are_immutable_and_revalidate_to_304() {
    let server = static_server().await;
    let url = server.url("/pkg/proofsheet.abc123.css");
    let first = client().get(&url).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(
        header(&first, CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    let etag = header(&first, ETAG);
    let modified = header(&first, LAST_MODIFIED);
    assert!(etag.starts_with("W/\""), "{etag}");

    let by_etag = client()
        .get(&url)
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(by_etag.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&by_etag, ETAG), etag);
    let by_date = client()
        .get(&url)
        .header(IF_MODIFIED_SINCE, &modified)
        .send()
        .await
        .unwrap();
    assert_eq!(by_date.status(), StatusCode::NOT_MODIFIED);
    let changed = client()
        .get(&url)
        .header(IF_NONE_MATCH, "W/\"other\"")
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
}

#[tokio::test]
async fn ranges_are_served_and_other_files_revalidate() {
    let server = static_server().await;
    let part = client()
        .get(server.url("/pkg/proofsheet.abc123.css"))
        .header(RANGE, "bytes=0-3")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.text().await.unwrap(), "body");

    let icon = client()
        .get(server.url("/favicon.svg"))
        .send()
        .await
        .unwrap();
    assert_eq!(icon.status(), StatusCode::OK);
    assert_eq!(header(&icon, CACHE_CONTROL), "no-cache");
    assert!(!header(&icon, ETAG).is_empty());
}

/// On a server without hashed file names: Leptos reads the hash list beside the running binary
/// once per process, and a test binary has none.
#[tokio::test]
async fn an_unknown_address_gets_the_studio_with_404_under_the_page_policy() {
    let server = start(&[]).await;
    let missing = client()
        .get(server.url("/no/such/page"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(!header(&missing, CONTENT_SECURITY_POLICY).is_empty());
    assert!(
        missing
            .text()
            .await
            .unwrap()
            .contains("data-testid=\"studio\""),
        "the studio answers 404s"
    );
}

#[tokio::test]
async fn pages_are_compressed_for_browsers_that_ask_and_api_answers_are_not() {
    let server = start(&[]).await;
    let fetch = |path: &'static str| {
        client()
            .get(server.url(path))
            .header(reqwest::header::ACCEPT_ENCODING, "br, gzip")
            .send()
    };
    let page = fetch("/").await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(header(&page, reqwest::header::CONTENT_ENCODING), "br");
    let compressed = page.bytes().await.unwrap().len();
    let plain = client().get(server.url("/")).send().await.unwrap();
    assert_eq!(header(&plain, reqwest::header::CONTENT_ENCODING), "");
    let plain = plain.bytes().await.unwrap().len();
    assert!(
        compressed * 2 < plain,
        "{compressed} B compressed against {plain} B"
    );

    let answer = fetch("/api/list_engines").await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(header(&answer, reqwest::header::CONTENT_ENCODING), "");
}
