//! The pictures the mock "generates", in the formats the providers return.
//!
//! A picture is a top-to-bottom two-colour gradient whose colours hash the
//! prompt: different prompts look different, the same prompt always gives
//! the same bytes, and every row is one colour, which the three encoders use
//! to stay fast and small even at 4K (see each encoder).

mod jpeg;
mod padding;
mod png;
mod webp;

use base64::prelude::{Engine, BASE64_STANDARD};
use serde::{Deserialize, Serialize};

/// A file format a provider can answer with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageFormat {
    #[default]
    Png,
    Jpeg,
    Webp,
}

impl ImageFormat {
    pub fn mime(self) -> &'static str {
        match self {
            ImageFormat::Png => "image/png",
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Webp => "image/webp",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ImageFormat::Png => "png",
            ImageFormat::Jpeg => "jpeg",
            ImageFormat::Webp => "webp",
        }
    }
}

/// What to draw; cheap to keep, so issued URLs store this, not the bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Picture {
    pub width: u32,
    pub height: u32,
    top: [u8; 3],
    bottom: [u8; 3],
    /// Filler bytes added to the file (see `padding`); 0 unless configured.
    padding: usize,
}

impl Picture {
    /// # Panics
    /// On a zero side: callers validate sizes first.
    pub(crate) fn new(prompt: &str, width: u32, height: u32) -> Picture {
        assert!(width > 0 && height > 0, "pictures have positive sides");
        let bytes = fnv1a(prompt.as_bytes()).to_le_bytes();
        let top = [bytes[0], bytes[1], bytes[2]];
        // Half the range away from the top colour, so the gradient always
        // shows, plus a little hash-driven variety.
        let bottom = [0, 1, 2].map(|i| top[i].wrapping_add(128) ^ (bytes[3 + i] & 0x3f));
        Picture {
            width,
            height,
            top,
            bottom,
            padding: 0,
        }
    }

    /// The `index`-th picture of a request for several: each looks different.
    pub(crate) fn nth(prompt: &str, index: u32, width: u32, height: u32) -> Picture {
        if index == 0 {
            Picture::new(prompt, width, height)
        } else {
            Picture::new(&format!("{prompt} #{index}"), width, height)
        }
    }

    /// The same picture with `bytes` of filler in its file, as heavy as a real one.
    pub(crate) fn padded(self, bytes: usize) -> Picture {
        Picture {
            padding: bytes,
            ..self
        }
    }

    /// The colour of row `y` (rows past the bottom repeat the last one).
    fn row(&self, y: u32) -> [u8; 3] {
        let y = i64::from(y.min(self.height - 1));
        let span = i64::from(self.height.saturating_sub(1).max(1));
        [0, 1, 2].map(|channel| {
            let (a, b) = (
                i64::from(self.top[channel]),
                i64::from(self.bottom[channel]),
            );
            (a + (b - a) * y / span).clamp(0, 255) as u8
        })
    }

    pub(crate) fn encode(&self, format: ImageFormat) -> Vec<u8> {
        let file = match format {
            ImageFormat::Png => png::encode(self),
            ImageFormat::Jpeg => jpeg::encode(self),
            ImageFormat::Webp => webp::encode(self),
        };
        padding::pad(file, format, self.padding)
    }

    /// Encodes on the blocking pool: a 4K picture takes long enough to stall
    /// the async workers serving other requests.
    pub(crate) async fn encode_async(self, format: ImageFormat) -> Vec<u8> {
        match tokio::task::spawn_blocking(move || self.encode(format)).await {
            Ok(bytes) => bytes,
            // Only a panic inside an encoder lands here; surface it as one.
            Err(error) => std::panic::resume_unwind(error.into_panic()),
        }
    }

    pub(crate) async fn base64(self, format: ImageFormat) -> String {
        BASE64_STANDARD.encode(self.encode_async(format).await)
    }
}

/// FNV-1a: stable across Rust releases, unlike std's `DefaultHasher`.
fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::{ImageFormat, Picture};

    #[test]
    fn rows_run_from_top_to_bottom_colour() {
        let picture = Picture::new("a cat", 4, 100);
        assert_eq!(picture.row(0), picture.top);
        assert_eq!(picture.row(99), picture.bottom);
        assert_eq!(picture.row(500), picture.bottom);
        assert_ne!(picture.top, picture.bottom);
        assert_ne!(picture, Picture::new("a dog", 4, 100));
    }

    #[test]
    fn every_format_starts_with_its_signature() {
        let picture = Picture::new("sig", 33, 17);
        assert!(picture
            .encode(ImageFormat::Png)
            .starts_with(b"\x89PNG\r\n\x1a\n"));
        assert!(picture
            .encode(ImageFormat::Jpeg)
            .starts_with(&[0xff, 0xd8, 0xff]));
        let webp = picture.encode(ImageFormat::Webp);
        assert_eq!((&webp[..4], &webp[8..16]), (&b"RIFF"[..], &b"WEBPVP8L"[..]));
    }
}
