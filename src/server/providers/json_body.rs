//! JSON request bodies that carry reference pictures, sent without ever holding their base64.
//!
//! Four 5 MB references are ~27 MB of base64 in one request; eight such requests at once were
//! most of the server's peak memory. So `json_sent_once` serializes the body with a short
//! placeholder where each `InlinePicture` goes, and sends it as a stream: the JSON around the
//! pictures as it is, each picture base64-encoded 64 KiB at a time as the connection takes it.
//! The length is known beforehand (base64 has an exact size), so the body is not chunked, and
//! what reaches the provider is byte for byte what serializing the body whole would give.

use crate::server::hex::random_hex;
use crate::server::references::Reference;
use axum::body::Bytes;
use base64::Engine as _;
use futures::stream::{self, StreamExt};
use std::cell::RefCell;

/// Raw bytes encoded per piece of the stream: 48 KiB, 64 KiB of base64 (a multiple of 3, so
/// pieces join without padding in between).
const PICTURE_PIECE: usize = 3 * 16 * 1024;

/// A reference image inside a JSON body: plain base64 (Gemini, AUTOMATIC1111) or a `data:` URL
/// (OpenAI, Ark, Replicate). Sent by `json_sent_once`, it is streamed in place; serialized any
/// other way (in a `json!` tree, where it becomes one string like any other), it is encoded
/// straight into the output.
#[derive(Clone, Copy)]
pub struct InlinePicture<'a> {
    reference: &'a Reference,
    data_url: bool,
}

impl<'a> InlinePicture<'a> {
    pub fn base64(reference: &'a Reference) -> Self {
        InlinePicture {
            reference,
            data_url: false,
        }
    }

    pub fn data_url(reference: &'a Reference) -> Self {
        InlinePicture {
            reference,
            data_url: true,
        }
    }

    /// What goes before the base64 in the JSON string.
    fn prefix(&self) -> String {
        if self.data_url {
            format!("data:{};base64,", self.reference.mime)
        } else {
            String::new()
        }
    }
}

impl serde::Serialize for InlinePicture<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if let Some(placeholder) =
            PLACEHOLDERS.with_borrow_mut(|p| p.as_mut().map(|p| p.hold(self)))
        {
            return serializer.serialize_str(&placeholder);
        }
        let encoded = base64::display::Base64Display::new(
            &self.reference.bytes,
            &base64::engine::general_purpose::STANDARD,
        );
        serializer.collect_str(&format_args!("{}{encoded}", self.prefix()))
    }
}

thread_local! {
    /// Set while `json_sent_once` serializes a body (on this thread, synchronously).
    static PLACEHOLDERS: RefCell<Option<Placeholders>> = const { RefCell::new(None) };
}

/// Placeholders on while it lives: off again however serializing ends, a panic included, so no
/// later serialization on this thread writes placeholders.
struct SerializingWithPlaceholders;

impl SerializingWithPlaceholders {
    fn start(nonce: String) -> Self {
        PLACEHOLDERS.set(Some(Placeholders {
            nonce,
            pictures: Vec::new(),
        }));
        SerializingWithPlaceholders
    }
}

impl Drop for SerializingWithPlaceholders {
    fn drop(&mut self) {
        PLACEHOLDERS.set(None);
    }
}

/// The pictures met while a body was serialized, in order, and how their placeholders read.
struct Placeholders {
    /// Random, so no prompt can contain a placeholder by chance.
    nonce: String,
    pictures: Vec<Picture>,
}

/// A picture to stream in place of its placeholder.
struct Picture {
    prefix: String,
    bytes: Bytes,
}

impl Placeholders {
    fn hold(&mut self, picture: &InlinePicture) -> String {
        self.pictures.push(Picture {
            prefix: picture.prefix(),
            // Shared, not copied.
            bytes: picture.reference.bytes.clone(),
        });
        self.placeholder(self.pictures.len() - 1)
    }

    fn placeholder(&self, index: usize) -> String {
        format!("proofsheet-picture-{}-{index}", self.nonce)
    }
}

/// `body` as the request's JSON, streamed with its pictures encoded as it goes (see the module),
/// and let go once sent. Why not `RequestBuilder::json`: reqwest keeps a bytes body for the whole
/// call (to send it again after a redirect), and that is the tens of megabytes this avoids.
pub fn json_sent_once(
    request: reqwest::RequestBuilder,
    body: &impl serde::Serialize,
) -> reqwest::RequestBuilder {
    let Some((pieces, length)) = pieces_of(body) else {
        // Our bodies always serialize; if one did not, `json` reports it as the request's error.
        return request.json(body);
    };
    request
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(reqwest::header::CONTENT_LENGTH, length)
        .body(reqwest::Body::wrap_stream(pieces))
}

/// The body as a stream of pieces, and its length.
fn pieces_of(body: &impl serde::Serialize) -> Option<(Pieces, u64)> {
    let nonce = random_hex(8).ok()?;
    let (serialized, placeholders) = {
        let _unset = SerializingWithPlaceholders::start(nonce);
        (serde_json::to_vec(body).ok()?, PLACEHOLDERS.take()?)
    };

    // The JSON between the placeholders, and each picture after its stretch.
    let mut stretches = Vec::with_capacity(placeholders.pictures.len() + 1);
    let mut rest = &serialized[..];
    for index in 0..placeholders.pictures.len() {
        let placeholder = placeholders.placeholder(index);
        let at = rest
            .windows(placeholder.len())
            .position(|w| w == placeholder.as_bytes())?;
        stretches.push(Bytes::copy_from_slice(&rest[..at]));
        rest = &rest[at + placeholder.len()..];
    }
    let last = Bytes::copy_from_slice(rest);
    let length = stretches.iter().map(Bytes::len).sum::<usize>()
        + last.len()
        + placeholders
            .pictures
            .iter()
            .map(|p| p.prefix.len() + p.bytes.len().div_ceil(3) * 4)
            .sum::<usize>();
    let pictures = stretches
        .into_iter()
        .zip(placeholders.pictures)
        .flat_map(|(stretch, picture)| {
            let prefix = Bytes::from(picture.prefix);
            [stretch, prefix]
                .into_iter()
                .map(Piece::Ready)
                .chain([Piece::Encode(picture.bytes)])
        })
        .chain([Piece::Ready(last)]);
    let pieces = stream::iter(pictures).flat_map(Piece::into_stream).boxed();
    Some((pieces, length as u64))
}

type Pieces = stream::BoxStream<'static, Result<Bytes, std::io::Error>>;

enum Piece {
    Ready(Bytes),
    /// A picture's bytes, to be encoded a piece at a time.
    Encode(Bytes),
}

impl Piece {
    fn into_stream(self) -> Pieces {
        match self {
            Piece::Ready(bytes) => stream::iter([Ok(bytes)]).boxed(),
            Piece::Encode(bytes) => {
                let starts = (0..bytes.len()).step_by(PICTURE_PIECE);
                stream::iter(starts.map(move |start| {
                    let end = (start + PICTURE_PIECE).min(bytes.len());
                    let encoded =
                        base64::engine::general_purpose::STANDARD.encode(&bytes[start..end]);
                    Ok(Bytes::from(encoded))
                }))
                .boxed()
            }
        }
    }
}

/// A JSON body: `fields` (an object), with `name` set to `value` when there is one (in place of
/// any such field), serialized straight into the body (a field holding `InlinePicture`s).
pub struct BodyWith<T> {
    pub fields: serde_json::Value,
    pub name: &'static str,
    pub value: Option<T>,
}

impl<T: serde::Serialize> serde::Serialize for BodyWith<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut map = serializer.serialize_map(None)?;
        let replaced = self.value.as_ref().map(|_| self.name);
        for (key, value) in self.fields.as_object().into_iter().flatten() {
            if Some(key.as_str()) != replaced {
                map.serialize_entry(key, value)?;
            }
        }
        if let Some(value) = &self.value {
            map.serialize_entry(self.name, value)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(bytes: &[u8], mime: &'static str) -> Reference {
        Reference {
            id: "r".into(),
            mime,
            bytes: Bytes::copy_from_slice(bytes),
        }
    }

    #[tokio::test]
    async fn the_streamed_body_is_byte_for_byte_the_whole_body_and_its_declared_length() {
        // Sizes around the piece size and its remainders, so padding only ends each picture.
        let big: Vec<u8> = (0..PICTURE_PIECE * 2 + 1)
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let first = reference(&big, "image/png");
        let second = reference(b"\x89PNG\r\n", "image/jpeg");
        let body = BodyWith {
            fields: serde_json::json!({"model": "m", "prompt": "a \"quoted\" cat"}),
            name: "images",
            value: Some([
                InlinePicture::data_url(&first),
                InlinePicture::base64(&second),
            ]),
        };
        let whole = serde_json::to_vec(&body).unwrap();
        let (pieces, length) = pieces_of(&body).expect("a streamed body");
        let streamed: Vec<u8> = pieces.map(|piece| piece.unwrap().to_vec()).concat().await;
        assert_eq!(length as usize, streamed.len());
        assert_eq!(
            String::from_utf8(streamed).unwrap(),
            String::from_utf8(whole).unwrap()
        );
        // And serialization elsewhere is untouched by the placeholders.
        let value = serde_json::to_value(InlinePicture::base64(&second)).unwrap();
        assert_eq!(value, "iVBORw0K");
    }
}
