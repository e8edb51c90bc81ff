//! What an uploaded image becomes before it is stored. First its header alone: one of the three
//! formats, by its magic bytes (never by its name or declared type), and no more pixels than the
//! budget, so a decompression bomb (a small file declaring a gigantic picture) is refused before
//! anything is decoded. Then a decode with the decoder's allocations bounded, the EXIF orientation
//! applied, the longest side scaled down to the limit, and a new encoding, only when one of those
//! changed something or the file carries metadata.
//!
//! Why keep a file as it arrived when nothing needs changing: every JPEG re-encode loses detail a
//! model might use, and costs more time than the decode. A file with EXIF, XMP or IPTC metadata is
//! always re-encoded, since those can hold where a photo was taken, and references go to
//! third-party providers.

use super::store::StoredFormat;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{
    DynamicImage, ImageDecoder, ImageEncoder, ImageError, ImageFormat, ImageReader, ImageResult,
    Limits,
};
use std::io::{BufRead, Cursor, Seek};

/// A re-encoded JPEG reference: one generation at 92 is visually lossless, at about half the
/// bytes of 100 (providers cap reference sizes, e.g. Ark at 10 MB).
const JPEG_QUALITY: u8 = 92;
/// The most bytes a decoded pixel takes (16-bit RGBA). With `max_pixels`, this bounds what the
/// decoder may allocate, whatever the file's header claimed.
const MAX_BYTES_PER_PIXEL: u64 = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageLimits {
    /// More pixels than this are refused from the header.
    pub max_pixels: u64,
    /// A stored reference's longest side; larger images are scaled down to it.
    pub max_side: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UploadFormat {
    Png,
    Jpeg,
    Webp,
}

impl UploadFormat {
    /// WebP is stored as PNG: lossless, so nothing is lost on the way, and every provider takes
    /// PNG while not all take WebP (providers.md: Ark's older models, A1111 setups). The image
    /// crate only writes lossless WebP, which would make a lossy upload several times larger.
    pub fn stored(self) -> StoredFormat {
        match self {
            UploadFormat::Png | UploadFormat::Webp => StoredFormat::Png,
            UploadFormat::Jpeg => StoredFormat::Jpeg,
        }
    }

    fn decoder_format(self) -> ImageFormat {
        match self {
            UploadFormat::Png => ImageFormat::Png,
            UploadFormat::Jpeg => ImageFormat::Jpeg,
            UploadFormat::Webp => ImageFormat::WebP,
        }
    }
}

/// What an image's header says, read without decoding it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub format: UploadFormat,
    pub width: u32,
    pub height: u32,
}

/// Why an image cannot become a reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unusable {
    /// Not a PNG, JPEG or WebP file, whatever its name or declared type.
    NotAnImage,
    /// The header declares more pixels than the budget.
    TooManyPixels {
        width: u64,
        height: u64,
        max_pixels: u64,
    },
    /// The decoder would need more memory than the budget allows (a header that understated).
    OverMemoryBudget,
    /// The file is cut short or corrupt.
    Damaged,
    /// Our side failed to encode a picture it had decoded (a bug, not the person's doing).
    Encoding(String),
}

/// The image as it will be stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Normalized {
    /// The new file, or `None` when the upload is kept exactly as it arrived.
    pub encoded: Option<Vec<u8>>,
    pub format: StoredFormat,
    pub width: u32,
    pub height: u32,
}

/// The format and dimensions from the first bytes of the file (imagesize reads only as far as
/// the dimensions), refused when they declare more than `limits.max_pixels`.
pub fn read_header(mut file: impl BufRead + Seek, limits: ImageLimits) -> Result<Header, Unusable> {
    let kind = imagesize::reader_type(&mut file).map_err(|_| Unusable::NotAnImage)?;
    let format = match kind {
        imagesize::ImageType::Png => UploadFormat::Png,
        imagesize::ImageType::Jpeg => UploadFormat::Jpeg,
        imagesize::ImageType::Webp => UploadFormat::Webp,
        // Only these three are enabled in imagesize, unless another crate turns more on.
        _ => return Err(Unusable::NotAnImage),
    };
    // Goes on from where the type check stopped, as imagesize's own reader_size does (its WebP
    // reader relies on that).
    let size = kind.reader_size(&mut file).map_err(|_| Unusable::Damaged)?;
    let (width, height) = (size.width as u64, size.height as u64);
    if width == 0 || height == 0 {
        return Err(Unusable::Damaged);
    }
    if width.saturating_mul(height) > limits.max_pixels {
        return Err(Unusable::TooManyPixels {
            width,
            height,
            max_pixels: limits.max_pixels,
        });
    }
    // Within the pixel budget, each side fits in a u32.
    Ok(Header {
        format,
        width: width as u32,
        height: height as u32,
    })
}

/// Decodes `upload` (whose header `read_header` accepted) and makes it a reference: upright, no
/// larger than `limits.max_side`, without metadata. CPU-bound: run it on a blocking thread.
pub fn normalize(
    upload: &[u8],
    header: Header,
    limits: ImageLimits,
) -> Result<Normalized, Unusable> {
    let mut reader = ImageReader::new(Cursor::new(upload));
    reader.set_format(header.format.decoder_format());
    let mut bounded = Limits::default();
    bounded.max_alloc = Some(limits.max_pixels.saturating_mul(MAX_BYTES_PER_PIXEL));
    reader.limits(bounded);
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    let orientation = decoder.orientation().map_err(unreadable)?;
    let has_metadata = decoder.exif_metadata().map_err(unreadable)?.is_some()
        || decoder.xmp_metadata().map_err(unreadable)?.is_some()
        || decoder.iptc_metadata().map_err(unreadable)?.is_some();
    let icc_profile = decoder.icc_profile().map_err(unreadable)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(unreadable)?;

    let format = header.format.stored();
    let fits = image.width().max(image.height()) <= limits.max_side;
    let upright = orientation == Orientation::NoTransforms;
    if header.format != UploadFormat::Webp && upright && fits && !has_metadata {
        return Ok(Normalized {
            encoded: None,
            format,
            width: image.width(),
            height: image.height(),
        });
    }
    image.apply_orientation(orientation);
    if !fits {
        // Keeps the shape: the longest side becomes max_side. Catmull-Rom (bicubic), as most
        // image tools scale down: sharper than a triangle filter, cheaper than Lanczos.
        image = image.resize(limits.max_side, limits.max_side, FilterType::CatmullRom);
    }
    let encoded = encode(&image, format, icc_profile)
        .map_err(|error| Unusable::Encoding(error.to_string()))?;
    Ok(Normalized {
        encoded: Some(encoded),
        format,
        width: image.width(),
        height: image.height(),
    })
}

fn unreadable(error: ImageError) -> Unusable {
    match error {
        ImageError::Limits(_) => Unusable::OverMemoryBudget,
        other => {
            tracing::debug!(error = %other, "an uploaded image could not be decoded");
            Unusable::Damaged
        }
    }
}

fn encode(
    image: &DynamicImage,
    format: StoredFormat,
    icc_profile: Option<Vec<u8>>,
) -> ImageResult<Vec<u8>> {
    let mut bytes = Vec::new();
    match format {
        StoredFormat::Png => write(
            image,
            PngEncoder::new_with_quality(&mut bytes, CompressionType::Default, PngFilter::Adaptive),
            icc_profile,
        )?,
        StoredFormat::Jpeg => write(
            image,
            JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY),
            icc_profile,
        )?,
    }
    Ok(bytes)
}

/// Carries the colour profile over, so a wide-gamut picture (a Mac's Display P3 screenshot)
/// keeps its colours instead of being read as sRGB.
fn write(
    image: &DynamicImage,
    mut encoder: impl ImageEncoder,
    icc_profile: Option<Vec<u8>>,
) -> ImageResult<()> {
    if let Some(profile) = icc_profile {
        if let Err(error) = encoder.set_icc_profile(profile) {
            tracing::debug!(%error, "the colour profile was not kept");
        }
    }
    image.write_with_encoder(encoder)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::codecs::webp::WebPEncoder;
    use image::{Rgb, RgbImage, Rgba, RgbaImage};

    const LIMITS: ImageLimits = ImageLimits {
        max_pixels: 50_000_000,
        max_side: 2048,
    };

    fn png(image: &DynamicImage) -> Vec<u8> {
        let mut bytes = Vec::new();
        image
            .write_with_encoder(PngEncoder::new(&mut bytes))
            .unwrap();
        bytes
    }

    fn accept(upload: &[u8]) -> Normalized {
        let header = read_header(Cursor::new(upload), LIMITS).unwrap();
        normalize(upload, header, LIMITS).unwrap()
    }

    #[test]
    fn only_png_jpeg_and_webp_headers_pass() {
        for not_an_image in [
            &b""[..],
            b"hello, I am text in a .png",
            b"GIF89a\x01\x00\x01\x00",
        ] {
            assert_eq!(
                read_header(Cursor::new(not_an_image), LIMITS),
                Err(Unusable::NotAnImage)
            );
        }
        let small = png(&DynamicImage::ImageRgb8(RgbImage::new(3, 2)));
        assert_eq!(
            read_header(Cursor::new(&small), LIMITS),
            Ok(Header {
                format: UploadFormat::Png,
                width: 3,
                height: 2
            })
        );
        assert_eq!(
            read_header(Cursor::new(&small[..14]), LIMITS),
            Err(Unusable::Damaged),
            "cut off inside the header"
        );
    }

    #[test]
    fn a_small_clean_png_is_kept_as_it_came() {
        let upload = png(&DynamicImage::ImageRgb8(RgbImage::new(30, 20)));
        let kept = accept(&upload);
        assert_eq!(
            (kept.encoded, kept.format, kept.width, kept.height),
            (None, StoredFormat::Png, 30, 20)
        );
    }

    #[test]
    fn a_large_image_is_scaled_to_the_longest_side_keeping_its_shape() {
        let upload = png(&DynamicImage::ImageRgb8(RgbImage::new(4000, 1000)));
        let scaled = accept(&upload);
        assert_eq!((scaled.width, scaled.height), (2048, 512));
        let stored = image::load_from_memory(&scaled.encoded.unwrap()).unwrap();
        assert_eq!((stored.width(), stored.height()), (2048, 512));
    }

    #[test]
    fn webp_is_stored_as_png_with_its_pixels_and_alpha() {
        let source = RgbaImage::from_pixel(8, 4, Rgba([200, 10, 30, 128]));
        let mut upload = Vec::new();
        DynamicImage::ImageRgba8(source.clone())
            .write_with_encoder(WebPEncoder::new_lossless(&mut upload))
            .unwrap();
        let stored = accept(&upload);
        assert_eq!(stored.format, StoredFormat::Png);
        let decoded =
            image::load_from_memory_with_format(&stored.encoded.unwrap(), ImageFormat::Png)
                .unwrap();
        assert_eq!(decoded.to_rgba8(), source);
    }

    #[test]
    fn a_jpeg_with_metadata_is_re_encoded_without_it() {
        let mut upload = Vec::new();
        let mut encoder = JpegEncoder::new_with_quality(&mut upload, 90);
        // A TIFF header with an empty IFD: EXIF with nothing in it, still metadata.
        encoder
            .set_exif_metadata(b"MM\x00\x2a\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00".to_vec())
            .unwrap();
        DynamicImage::ImageRgb8(RgbImage::from_pixel(16, 16, Rgb([90, 120, 200])))
            .write_with_encoder(encoder)
            .unwrap();
        let stored = accept(&upload);
        let encoded = stored.encoded.expect("re-encoded");
        let mut decoder = ImageReader::new(Cursor::new(&encoded))
            .with_guessed_format()
            .unwrap()
            .into_decoder()
            .unwrap();
        assert_eq!(decoder.exif_metadata().unwrap(), None);
    }

    #[test]
    fn a_file_cut_short_is_damaged() {
        let upload = png(&DynamicImage::ImageRgb8(RgbImage::from_fn(
            64,
            64,
            |x, y| Rgb([x as u8 * 4, y as u8 * 4, 7]),
        )));
        let cut = &upload[..upload.len() - 40];
        let header = read_header(Cursor::new(cut), LIMITS).unwrap();
        assert_eq!(normalize(cut, header, LIMITS), Err(Unusable::Damaged));
    }

    #[test]
    fn the_decoder_cannot_allocate_beyond_the_budget() {
        let upload = png(&DynamicImage::ImageRgb8(RgbImage::new(100, 100)));
        let header = read_header(Cursor::new(&upload), LIMITS).unwrap();
        let tiny = ImageLimits {
            max_pixels: 10,
            max_side: 2048,
        };
        assert_eq!(
            normalize(&upload, header, tiny),
            Err(Unusable::OverMemoryBudget)
        );
    }
}
