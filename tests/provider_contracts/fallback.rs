use crate::*;
use mock_providers::{IdeogramStep, Step};
use proofsheet::server::generate::generate;

#[tokio::test]
async fn ideogram_outage_falls_back_to_replicate_and_says_so() {
    let mock = start_mock().await;
    let state = state_for(&mock, &[]);
    mock.script(vec![
        Step::from(IdeogramStep::ServerError { status: 503 });
        10
    ]);
    let image = generate(&state, request("fb-1", "ideogram", "16:9"))
        .await
        .expect("the fallback makes the picture");

    assert!(
        api_calls(&mock, Provider::Ideogram).len() > 1,
        "Ideogram was retried first"
    );
    let replicate = api_calls(&mock, Provider::Replicate);
    assert!(!replicate.is_empty(), "Replicate was asked");
    assert_eq!(
        replicate[0].body.json().expect("JSON")["input"]["aspect_ratio"],
        "16:9"
    );
    picture_bytes(&image);
    assert_eq!(image.engine, "replicate");
    let note = image
        .fallback
        .expect("the picture says it came from the fallback");
    assert!(note.contains("Ideogram"), "{note}");
}
