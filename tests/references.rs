//! Reference images through the real server on a free port: uploads stored once under their
//! SHA-256, refusals in the API's shape (not an image, too large, a decompression bomb, another
//! site's page), EXIF orientation and downscaling, serving stored files back, and generations
//! that name references.

mod common;

use common::server::{client, start, Running};
use common::{decode_b64, itxt_entries};
use futures_util::stream;
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageEncoder as _, ImageFormat, Rgb, RgbImage};
use proofsheet::error::AppError;
use proofsheet::model::{GeneratedImage, ReferenceImage};
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, ORIGIN};
use reqwest::StatusCode;
use sha2::{Digest as _, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::TempDir;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const UPLOAD: &str = "/api/references";

/// A server with a data directory of its own, which the test can look into.
struct Studio {
    server: Running,
    data: TempDir,
}

impl Studio {
    async fn start(env: &[(&str, &str)]) -> Studio {
        let data = tempfile::tempdir().expect("a data directory");
        let dir = data.path().to_string_lossy().into_owned();
        let mut env = env.to_vec();
        env.push(("PROOFSHEET_DATA_DIR", &dir));
        Studio {
            server: start(&env).await,
            data,
        }
    }

    fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    async fn upload(&self, mime: &str, bytes: Vec<u8>) -> reqwest::Response {
        client()
            .post(self.url(UPLOAD))
            .header(CONTENT_TYPE, mime)
            .body(bytes)
            .send()
            .await
            .expect("the server answers")
    }

    async fn stored(&self, mime: &str, bytes: Vec<u8>) -> ReferenceImage {
        let response = self.upload(mime, bytes).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not a ReferenceImage ({e}): {text}"))
    }

    async fn fetch(&self, id: &str) -> reqwest::Response {
        client()
            .get(self.url(&format!("{UPLOAD}/{id}")))
            .send()
            .await
            .expect("the server answers")
    }

    fn files(&self, dir: &str) -> Vec<PathBuf> {
        files_in(&self.data.path().join(dir))
    }
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    files
}

/// The refusal the server answered, with its status.
async fn refusal(response: reqwest::Response) -> (StatusCode, AppError) {
    let status = response.status();
    let text = response.text().await.unwrap();
    let error = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{status} is not an AppError ({e}): {text}"));
    (status, error)
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn gradient(width: u32, height: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    }))
}

fn encoded(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, format).unwrap();
    bytes.into_inner()
}

/// A JPEG whose EXIF says "rotate 90° clockwise to show" (orientation 6): stored 40×20 with its
/// left half red and its right half blue, it shows 20×40 with red on top.
fn sideways_jpeg() -> Vec<u8> {
    let pixels = RgbImage::from_fn(40, 20, |x, _| {
        if x < 20 {
            Rgb([220, 20, 20])
        } else {
            Rgb([20, 20, 220])
        }
    });
    // A big-endian TIFF header and one IFD entry: tag 0x0112 (Orientation), SHORT, 1, value 6.
    let exif = [
        b"MM\x00\x2a\x00\x00\x00\x08".as_slice(),
        b"\x00\x01",
        b"\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00",
        b"\x00\x00\x00\x00",
    ]
    .concat();
    let mut bytes = Vec::new();
    let mut encoder = JpegEncoder::new_with_quality(&mut bytes, 95);
    encoder.set_exif_metadata(exif).unwrap();
    DynamicImage::ImageRgb8(pixels)
        .write_with_encoder(encoder)
        .unwrap();
    bytes
}

/// The signature, an IHDR chunk declaring `width` × `height` 8-bit RGB, and IEND: a few dozen
/// bytes that would decode to width × height × 3 bytes.
fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let crc = crc32fast::hash(&[kind.as_slice(), data].concat());
        [
            &(data.len() as u32).to_be_bytes()[..],
            kind,
            data,
            &crc.to_be_bytes(),
        ]
        .concat()
    }
    let ihdr = [
        &width.to_be_bytes()[..],
        &height.to_be_bytes(),
        &[8, 2, 0, 0, 0],
    ]
    .concat();
    [
        &common::PNG_SIGNATURE[..],
        &chunk(b"IHDR", &ihdr),
        &chunk(b"IEND", &[]),
    ]
    .concat()
}

#[tokio::test]
async fn a_png_and_a_jpeg_are_stored_once_under_the_sha256_of_their_bytes() {
    let studio = Studio::start(&[]).await;
    for (mime, upload) in [
        ("image/png", encoded(&gradient(64, 48), ImageFormat::Png)),
        ("image/jpeg", encoded(&gradient(64, 48), ImageFormat::Jpeg)),
    ] {
        let first = studio.stored(mime, upload.clone()).await;
        // Small, upright and without metadata: kept exactly as it came.
        assert_eq!(
            first,
            ReferenceImage {
                id: sha256(&upload),
                mime: mime.into(),
                width: 64,
                height: 48,
                bytes: upload.len() as u64,
                original_bytes: upload.len() as u64,
            }
        );
        let again = studio.stored(mime, upload.clone()).await;
        assert_eq!(again, first, "the same image, the same id");

        let served = studio.fetch(&first.id).await;
        assert_eq!(served.status(), StatusCode::OK);
        assert_eq!(served.headers()[CONTENT_TYPE], mime);
        assert_eq!(
            served.headers()[CACHE_CONTROL],
            "private, max-age=31536000, immutable"
        );
        assert_eq!(served.bytes().await.unwrap(), upload);
    }
    let stored = studio.files("references");
    assert_eq!(stored.len(), 2, "one file per image: {stored:?}");
    for file in stored {
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        assert_eq!(sha256(&std::fs::read(&file).unwrap()), name);
    }
    assert!(studio.files("tmp").is_empty(), "no scratch file is left");
}

#[tokio::test]
async fn a_text_file_named_png_is_refused_as_not_an_image() {
    let studio = Studio::start(&[]).await;
    let (status, error) = refusal(
        studio
            .upload("image/png", b"Meeting notes, not a picture.\n".to_vec())
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(
        error
            .to_string()
            .starts_with("This file is not a PNG, JPEG or WebP image"),
        "{error}"
    );

    let (status, error) = refusal(
        studio
            .upload("text/plain", encoded(&gradient(4, 4), ImageFormat::Png))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(error
        .to_string()
        .contains("image/png, image/jpeg or image/webp"));
    assert!(studio.files("references").is_empty());
    assert!(studio.files("tmp").is_empty());
}

#[tokio::test]
async fn a_refusal_is_worded_in_the_language_the_request_asks_for() {
    let studio = Studio::start(&[]).await;
    let upload = |language: &'static str| {
        client()
            .post(studio.url(UPLOAD))
            .header(CONTENT_TYPE, "image/png")
            .header("accept-language", language)
            .body(b"Meeting notes, not a picture.\n".to_vec())
            .send()
    };
    let (_, chinese) = refusal(upload("zh-CN,zh;q=0.9,en;q=0.8").await.unwrap()).await;
    assert_eq!(
        chinese.to_string(),
        "此文件不是 PNG、JPEG 或 WebP 图片；请上传这三种格式之一（HEIC、GIF 等格式需先转换）。"
    );
    let (_, english) = refusal(upload("en-GB").await.unwrap()).await;
    assert!(
        english.to_string().starts_with("This file is not a PNG"),
        "{english}"
    );
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_the_limit_declared_or_chunked() {
    let studio = Studio::start(&[]).await;
    // Declared: refused from the headers, before a byte of the body is sent.
    let mut stream = tokio::net::TcpStream::connect(studio.server.addr)
        .await
        .unwrap();
    stream
        .write_all(
            b"POST /api/references HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/jpeg\r\n\
              Content-Length: 30000000\r\nConnection: close\r\n\r\n",
        )
        .await
        .unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_string(&mut answer))
        .await
        .expect("the server answers without waiting for the body")
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains("This image is 30 MB; a reference image may be at most 20 MB."),
        "{answer}"
    );

    // Chunked, 30 MB in 1 MB pieces with no length: refused once 20 MB have streamed in.
    let chunks = stream::iter((0..30).map(|_| Ok::<_, std::io::Error>(vec![0xff; 1 << 20])));
    let chunked = client()
        .post(studio.url(UPLOAD))
        .header(CONTENT_TYPE, "image/jpeg")
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await;
    // The server may answer and close before the client has sent everything; then the client
    // sees the connection end instead of the answer.
    if let Ok(response) = chunked {
        let (status, error) = refusal(response).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(error.to_string().contains("larger than 20 MB"), "{error}");
    }
    // Either way the partial upload is removed (the handler may still be finishing).
    for _ in 0..500 {
        if studio.files("tmp").is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(studio.files("tmp").is_empty(), "the partial upload is gone");
    assert!(studio.files("references").is_empty());
}

#[tokio::test]
async fn a_decompression_bomb_is_refused_from_its_header_naming_its_size() {
    let studio = Studio::start(&[]).await;
    let bomb = png_declaring(100_000, 100_000);
    assert!(bomb.len() < 100, "the whole file is {} bytes", bomb.len());
    let (status, error) = refusal(studio.upload("image/png", bomb).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error.to_string(),
        "This image is 100000 × 100000 pixels (10000 megapixels); a reference image may have at \
         most 50 megapixels. Scale it down and upload it again."
    );
}

#[tokio::test]
async fn an_exif_rotated_jpeg_is_stored_upright_without_its_exif() {
    let studio = Studio::start(&[]).await;
    let upload = sideways_jpeg();
    let stored = studio.stored("image/jpeg", upload.clone()).await;
    assert_eq!(
        (stored.mime.as_str(), stored.width, stored.height),
        ("image/jpeg", 20, 40)
    );
    assert_ne!(stored.id, sha256(&upload), "re-encoded");
    assert_eq!(stored.original_bytes, upload.len() as u64);

    let bytes = studio.fetch(&stored.id).await.bytes().await.unwrap();
    assert_eq!(sha256(&bytes), stored.id);
    assert_eq!(bytes.len() as u64, stored.bytes);
    let upright = image::load_from_memory(&bytes).unwrap().to_rgb8();
    assert_eq!(upright.dimensions(), (20, 40));
    let (top, bottom) = (upright.get_pixel(10, 5), upright.get_pixel(10, 35));
    assert!(top[0] > 150 && top[2] < 100, "red on top: {top:?}");
    assert!(bottom[2] > 150 && bottom[0] < 100, "blue below: {bottom:?}");
    assert!(
        !bytes.windows(6).any(|w| w == b"Exif\0\0"),
        "the EXIF segment is gone"
    );

    let again = studio.stored("image/jpeg", upload).await;
    assert_eq!(again.id, stored.id, "re-encoding is deterministic");
    assert_eq!(studio.files("references").len(), 1);
}

#[tokio::test]
async fn a_wide_image_is_scaled_to_2048_by_512() {
    let studio = Studio::start(&[]).await;
    let stored = studio
        .stored(
            "image/png",
            encoded(&gradient(4000, 1000), ImageFormat::Png),
        )
        .await;
    assert_eq!(
        (stored.mime.as_str(), stored.width, stored.height),
        ("image/png", 2048, 512)
    );
    let bytes = studio.fetch(&stored.id).await.bytes().await.unwrap();
    let scaled = image::load_from_memory_with_format(&bytes, ImageFormat::Png).unwrap();
    assert_eq!((scaled.width(), scaled.height()), (2048, 512));
}

#[tokio::test]
async fn unknown_ids_are_404_and_malformed_ones_400() {
    let studio = Studio::start(&[]).await;
    let (status, error) = refusal(studio.fetch(&"0".repeat(64)).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        error.to_string().contains("upload the image again"),
        "{error}"
    );
    for malformed in ["abc", "..%2F..%2Fetc%2Fpasswd", &"A".repeat(64)] {
        let (status, error) = refusal(studio.fetch(malformed).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{malformed}");
        assert!(
            matches!(&error, AppError::InvalidInput { field, .. } if field == "id"),
            "{malformed}: {error:?}"
        );
    }
}

#[tokio::test]
async fn another_sites_page_cannot_upload() {
    let studio = Studio::start(&[]).await;
    let upload = encoded(&gradient(8, 8), ImageFormat::Png);
    let foreign = client()
        .post(studio.url(UPLOAD))
        .header(CONTENT_TYPE, "image/png")
        .header(ORIGIN, "https://evil.example")
        .body(upload.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(refusal(foreign).await.0, StatusCode::FORBIDDEN);
    assert!(studio.files("references").is_empty());

    let own_page = client()
        .post(studio.url(UPLOAD))
        .header(CONTENT_TYPE, "image/png")
        .header(ORIGIN, format!("http://{}", studio.server.addr))
        .body(upload)
        .send()
        .await
        .unwrap();
    assert_eq!(own_page.status(), StatusCode::OK);
}

fn generate_body(references: &[&str]) -> serde_json::Value {
    serde_json::json!({"request": {
        "request_id": "refs-1", "engine": "offline", "prompt": "a red kite", "size": "512x512",
        "quality": null, "seed": 1, "refinements": [], "parent": null, "references": references
    }})
}

#[tokio::test]
async fn a_generation_naming_a_missing_reference_is_400_and_a_stored_one_is_in_its_provenance() {
    let studio = Studio::start(&[]).await;
    let missing = "9".repeat(64);
    let response = client()
        .post(studio.url("/api/generate_image"))
        .json(&generate_body(&[&missing]))
        .send()
        .await
        .unwrap();
    let (status, error) = refusal(response).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    match error {
        AppError::InvalidInput { field, message } => {
            assert_eq!(field, "references");
            assert_eq!(
                message,
                format!("The reference image {missing} is not on this server; upload it again.")
            );
        }
        other => panic!("{other:?}"),
    }

    let reference = studio
        .stored("image/png", encoded(&gradient(16, 16), ImageFormat::Png))
        .await;
    let response = client()
        .post(studio.url("/api/generate_image"))
        .json(&generate_body(&[&reference.id]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let image: GeneratedImage = response.json().await.unwrap();
    let (_, record) = itxt_entries(&decode_b64(&image.b64))
        .into_iter()
        .find(|(keyword, _)| keyword == "proofsheet:provenance")
        .expect("a provenance record");
    let record: serde_json::Value = serde_json::from_str(&record).unwrap();
    assert_eq!(
        record["references"],
        serde_json::json!([{"sha256": reference.id, "bytes": reference.bytes}])
    );
}

#[tokio::test]
async fn more_references_than_the_model_takes_are_refused_naming_how_many_to_remove() {
    let studio = Studio::start(&[]).await;
    let five: Vec<String> = (1..=5).map(|i| i.to_string().repeat(64)).collect();
    let five: Vec<&str> = five.iter().map(String::as_str).collect();
    let response = client()
        .post(studio.url("/api/generate_image"))
        .json(&generate_body(&five))
        .send()
        .await
        .unwrap();
    let (status, error) = refusal(response).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        error.to_string(),
        "Offline engine · proofsheet-offline-1 takes at most 4 reference images; remove 1 of the 5."
    );
}
