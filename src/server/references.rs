//! Reference images: uploaded once (`upload`), made fit for providers (`normalize`), kept on disk
//! under their SHA-256 (`store`), and named by that id in a `GenerateRequest`.
//!
//! For provider clients: `references_of(store, request)` gives the bytes and type of each
//! reference a request names, in its order, ready to send.

pub mod normalize;
pub mod store;
pub mod upload;

pub use store::{Reference, ReferenceStore};

use crate::error::ProviderFailure;
use crate::model::GenerateRequest;
use crate::server::providers::ProviderError;

/// The reference images `request` names, read from `store`. The server checked that they exist
/// before the generation started, so a missing one was removed since; the person can upload it
/// again.
pub async fn references_of(
    store: &ReferenceStore,
    request: &GenerateRequest,
) -> Result<Vec<Reference>, ProviderError> {
    let mut references = Vec::with_capacity(request.references.len());
    for id in &request.references {
        let reference = store.get(id).await.map_err(|error| {
            tracing::error!(id = %id, %error, "a reference image could not be read");
            ProviderError::new(
                ProviderFailure::BadRequest,
                format!("reference image {id} could not be read on this server; upload it again"),
            )
        })?;
        references.push(reference.ok_or_else(|| {
            ProviderError::new(
                ProviderFailure::BadRequest,
                format!("reference image {id} is no longer on this server; upload it again"),
            )
        })?);
    }
    Ok(references)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::references::store::StoredFormat;

    fn request(references: Vec<String>) -> GenerateRequest {
        GenerateRequest {
            request_id: "r".into(),
            engine: "openai".into(),
            model: String::new(),
            prompt: "a cat".into(),
            size: "auto".into(),
            quality: None,
            seed: 1,
            styling: Default::default(),
            refinements: vec![],
            parent: None,
            references,
        }
    }

    #[tokio::test]
    async fn references_come_in_the_order_the_request_names_them() {
        let dir = tempfile::tempdir().unwrap();
        let store = ReferenceStore::open(dir.path()).unwrap();
        let png = store.put(b"png".to_vec(), StoredFormat::Png).await.unwrap();
        let jpeg = store
            .put(b"jpeg".to_vec(), StoredFormat::Jpeg)
            .await
            .unwrap();
        let read = references_of(&store, &request(vec![jpeg.clone(), png.clone()]))
            .await
            .unwrap();
        let summary: Vec<(&str, &str, &[u8])> = read
            .iter()
            .map(|r| (r.id.as_str(), r.mime, &r.bytes[..]))
            .collect();
        assert_eq!(
            summary,
            [
                (jpeg.as_str(), "image/jpeg", &b"jpeg"[..]),
                (png.as_str(), "image/png", &b"png"[..])
            ]
        );

        let gone = "0".repeat(64);
        let error = references_of(&store, &request(vec![gone.clone()]))
            .await
            .unwrap_err();
        assert_eq!(error.failure, ProviderFailure::BadRequest);
        assert!(error.detail.contains(&gone), "{}", error.detail);
    }
}
