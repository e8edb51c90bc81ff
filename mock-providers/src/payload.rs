//! Request bodies, parsed once by the recorder: handlers read the parsed
//! form, the ledger keeps a view without file bytes.

use std::convert::Infallible;

use axum::http::{header, HeaderMap};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A parsed request body.
#[derive(Debug)]
pub(crate) enum Payload {
    Empty,
    Json(Value),
    Multipart(Vec<Part>),
    /// Neither JSON nor well-formed multipart; kept for the ledger.
    Other(Bytes),
}

/// One multipart field.
#[derive(Debug)]
pub(crate) struct Part {
    pub name: String,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub data: Bytes,
}

impl Part {
    /// The value of a plain (non-file) field.
    pub(crate) fn text(&self) -> Option<&str> {
        if self.file_name.is_some() {
            return None;
        }
        std::str::from_utf8(&self.data).ok()
    }
}

/// What the ledger shows of a body. JSON form: `{"kind":"json","value":…}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RecordedBody {
    Empty,
    Json {
        value: Value,
    },
    Multipart {
        parts: Vec<RecordedPart>,
    },
    /// Anything else, decoded lossily as UTF-8.
    Text {
        text: String,
    },
}

/// A multipart field as the ledger shows it: file bytes are summarised by
/// their size, text fields keep their value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordedPart {
    pub name: String,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub size: usize,
    /// The value of a non-file field that is valid UTF-8.
    pub text: Option<String>,
}

impl RecordedBody {
    /// The JSON body, if the request had one.
    pub fn json(&self) -> Option<&Value> {
        match self {
            RecordedBody::Json { value } => Some(value),
            _ => None,
        }
    }

    /// The multipart fields, if the request had them.
    pub fn parts(&self) -> &[RecordedPart] {
        match self {
            RecordedBody::Multipart { parts } => parts,
            _ => &[],
        }
    }

    /// The text value of the first multipart field called `name`.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.parts()
            .iter()
            .find(|part| part.name == name)
            .and_then(|part| part.text.as_deref())
    }
}

impl Payload {
    /// Multipart if the content type says so; otherwise JSON if the bytes
    /// parse, whatever the content type (clients forget the header, and the
    /// real servers mostly parse anyway).
    pub(crate) async fn parse(headers: &HeaderMap, bytes: Bytes) -> Payload {
        if bytes.is_empty() {
            return Payload::Empty;
        }
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("");
        if let Ok(boundary) = multer::parse_boundary(content_type) {
            return match parse_multipart(bytes.clone(), boundary).await {
                Some(parts) => Payload::Multipart(parts),
                None => Payload::Other(bytes),
            };
        }
        match serde_json::from_slice(&bytes) {
            Ok(value) => Payload::Json(value),
            Err(_) => Payload::Other(bytes),
        }
    }

    pub(crate) fn recorded(&self) -> RecordedBody {
        match self {
            Payload::Empty => RecordedBody::Empty,
            Payload::Json(value) => RecordedBody::Json {
                value: value.clone(),
            },
            Payload::Multipart(parts) => RecordedBody::Multipart {
                parts: parts
                    .iter()
                    .map(|part| RecordedPart {
                        name: part.name.clone(),
                        file_name: part.file_name.clone(),
                        content_type: part.content_type.clone(),
                        size: part.data.len(),
                        text: part.text().map(str::to_owned),
                    })
                    .collect(),
            },
            Payload::Other(bytes) => RecordedBody::Text {
                text: String::from_utf8_lossy(bytes).into_owned(),
            },
        }
    }
}

/// `None` if the body is not well-formed multipart.
async fn parse_multipart(bytes: Bytes, boundary: String) -> Option<Vec<Part>> {
    let stream = futures_util::stream::once(async move { Ok::<Bytes, Infallible>(bytes) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut parts = Vec::new();
    while let Some(field) = multipart.next_field().await.ok()? {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let content_type = field.content_type().map(ToString::to_string);
        let data = field.bytes().await.ok()?;
        parts.push(Part {
            name,
            file_name,
            content_type,
            data,
        });
    }
    Some(parts)
}

#[cfg(test)]
mod tests {
    use axum::http::{header, HeaderMap, HeaderValue};
    use bytes::Bytes;
    use serde_json::json;

    use super::{Payload, RecordedBody, RecordedPart};

    fn headers(content_type: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers
    }

    #[tokio::test]
    async fn multipart_parts_are_recorded_without_file_bytes() {
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\na cat\r\n\
                    --XyZ\r\nContent-Disposition: form-data; name=\"image[]\"; filename=\"a.png\"\r\n\
                    Content-Type: image/png\r\n\r\n\x01\x02\x03\r\n--XyZ--\r\n";
        let payload = Payload::parse(
            &headers("multipart/form-data; boundary=XyZ"),
            Bytes::from(body),
        )
        .await;
        let recorded = payload.recorded();
        assert_eq!(recorded.field("prompt"), Some("a cat"));
        assert_eq!(
            recorded.parts()[1],
            RecordedPart {
                name: "image[]".into(),
                file_name: Some("a.png".into()),
                content_type: Some("image/png".into()),
                size: 3,
                text: None,
            }
        );
    }

    #[tokio::test]
    async fn json_is_parsed_whatever_the_content_type_and_junk_is_kept_as_text() {
        let json_body = Payload::parse(&HeaderMap::new(), Bytes::from("{\"a\":1}")).await;
        assert_eq!(json_body.recorded().json(), Some(&json!({"a": 1})));
        let junk = Payload::parse(&headers("application/json"), Bytes::from("{oops")).await;
        assert_eq!(
            junk.recorded(),
            RecordedBody::Text {
                text: "{oops".into()
            }
        );
        let broken = Payload::parse(
            &headers("multipart/form-data; boundary=XyZ"),
            Bytes::from("not multipart"),
        )
        .await;
        assert!(matches!(broken, Payload::Other(_)));
        let empty = Payload::parse(&HeaderMap::new(), Bytes::new()).await;
        assert_eq!(empty.recorded(), RecordedBody::Empty);
    }
}
