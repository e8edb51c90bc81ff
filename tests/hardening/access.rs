//! Optional sign-in: with a team token or a users file, nothing but the login page and static
//! files is reachable without a session cookie or a bearer token.

use crate::server::{client, start};
use proofsheet::error::AppError;
use proofsheet::server::access::users::hash_password;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;

const TOKEN: &str = "team-token-for-the-tests-0042";

#[tokio::test]
async fn without_a_sign_in_pages_redirect_and_the_api_answers_401() {
    let server = start(&[("PROOFSHEET_ACCESS_TOKEN", TOKEN)]).await;
    let page = client()
        .get(server.url("/?draft=1"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(page.headers()[LOCATION], "/login?next=%2F%3Fdraft%3D1");

    let api = client()
        .get(server.url("/api/list_engines"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
    assert!(api.headers().contains_key("www-authenticate"));
    let error: AppError = api.json().await.unwrap();
    assert!(error.to_string().starts_with("Sign in first"), "{error}");

    let login = client().get(server.url("/login")).send().await.unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    assert!(login
        .text()
        .await
        .unwrap()
        .contains("data-testid=\"login-secret\""));
}

#[tokio::test]
async fn the_team_token_works_as_a_bearer_and_through_the_login_form() {
    let server = start(&[("PROOFSHEET_ACCESS_TOKEN", TOKEN)]).await;
    let scripted = client()
        .get(server.url("/api/list_engines"))
        .header(AUTHORIZATION, format!("Bearer {TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(scripted.status(), StatusCode::OK);

    let wrong = client()
        .post(server.url("/login"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("secret=guess&next=%2F")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong
        .text()
        .await
        .unwrap()
        .contains("That access token is not right."));

    let signed_in = client()
        .post(server.url("/login"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!("secret={TOKEN}&next=%2F"))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(signed_in.headers()[LOCATION], "/");
    let cookie = signed_in.headers()[SET_COOKIE]
        .to_str()
        .unwrap()
        .to_string();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
    let session = cookie.split(';').next().unwrap();
    let page = client()
        .get(server.url("/"))
        .header(COOKIE, session)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
}

#[tokio::test]
async fn users_sign_in_with_their_password_and_scripts_get_a_bearer_token() {
    let file = std::env::temp_dir().join(format!("proofsheet-users-{}.toml", std::process::id()));
    let hash = hash_password("correct horse battery").unwrap();
    std::fs::write(
        &file,
        format!("[[users]]\nname = \"ana\"\npassword_hash = \"{hash}\"\n"),
    )
    .unwrap();
    let path = file.to_string_lossy().into_owned();
    let server = start(&[("PROOFSHEET_ACCESS_USERS_FILE", &path)]).await;

    let refused = client()
        .post(server.url("/login"))
        .json(&serde_json::json!({"name": "ana", "secret": "wrong"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);

    let granted = client()
        .post(server.url("/login"))
        .json(&serde_json::json!({"name": "ana", "secret": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(granted.status(), StatusCode::OK);
    let body: serde_json::Value = granted.json().await.unwrap();
    let token = body["token"].as_str().expect("a token for scripts");
    let api = client()
        .get(server.url("/api/list_engines"))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_login_from_another_sites_page_is_refused() {
    let server = start(&[("PROOFSHEET_ACCESS_TOKEN", TOKEN)]).await;
    let forged = client()
        .post(server.url("/login"))
        .header("origin", "https://evil.example")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!("secret={TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
}
