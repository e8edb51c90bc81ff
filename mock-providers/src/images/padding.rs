//! Filler that makes a mock picture as heavy as a real one, for benchmarks: the gradient encodes
//! to a few kilobytes, a real provider's 1024x1024 PNG is ~1.5 MB, and what a client does with a
//! picture (download, base64, JSON) costs by the byte. The filler goes where every decoder skips
//! it: a private PNG chunk, or JPEG comment segments.

use super::ImageFormat;

const PNG_IEND_LEN: usize = 12;
const PADDING_CHUNK: &[u8; 4] = b"prVt";
/// A JPEG segment's body is at most this long (its length field is 16 bits and counts itself).
const JPEG_MAX_SEGMENT_BODY: usize = 65_533;

/// `file` with `bytes` of filler (about that many: whole chunks or segments). WebP pictures are
/// left as they are: the mock's lossless WebP is the simple format, which has no room for extra
/// chunks that every decoder accepts.
pub(super) fn pad(mut file: Vec<u8>, format: ImageFormat, bytes: usize) -> Vec<u8> {
    if bytes == 0 {
        return file;
    }
    let filler = filler(bytes);
    match format {
        ImageFormat::Png => {
            let mut chunk = Vec::with_capacity(bytes + 12);
            chunk.extend((filler.len() as u32).to_be_bytes());
            chunk.extend(PADDING_CHUNK);
            chunk.extend(&filler);
            let crc = crc32fast::hash(&chunk[4..]);
            chunk.extend(crc.to_be_bytes());
            let iend = file.len() - PNG_IEND_LEN;
            file.splice(iend..iend, chunk);
        }
        ImageFormat::Jpeg => {
            let mut segments = Vec::with_capacity(bytes + bytes / JPEG_MAX_SEGMENT_BODY * 4 + 4);
            for body in filler.chunks(JPEG_MAX_SEGMENT_BODY) {
                segments.extend([0xFF, 0xFE]);
                segments.extend(((body.len() + 2) as u16).to_be_bytes());
                segments.extend(body);
            }
            // Right after SOI, before the frame.
            file.splice(2..2, segments);
        }
        ImageFormat::Webp => {}
    }
    file
}

/// Bytes that do not compress, like real image data (xorshift64).
fn filler(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut bytes = Vec::with_capacity(len + 8);
    while bytes.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(len);
    bytes
}

#[cfg(test)]
mod tests {
    use super::super::{ImageFormat, Picture};

    #[test]
    fn padded_png_and_jpeg_are_as_heavy_as_asked_and_still_decode() {
        let picture = Picture::new("a cat", 64, 48).padded(200_000);
        let png = picture.encode(ImageFormat::Png);
        assert!(png.len() > 200_000, "{}", png.len());
        let decoder = png::Decoder::new(std::io::Cursor::new(&png));
        let mut reader = decoder.read_info().expect("a PNG with its filler chunk");
        let mut pixels = vec![0; reader.output_buffer_size()];
        reader.next_frame(&mut pixels).expect("its pixels");

        let jpeg = picture.encode(ImageFormat::Jpeg);
        assert!(jpeg.len() > 200_000, "{}", jpeg.len());
        assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "still starts with SOI");
        assert_eq!(&jpeg[2..4], &[0xFF, 0xFE], "then the comments");
    }
}
