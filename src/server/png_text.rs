//! Provenance in a PNG text chunk.
//!
//! Downloaded images carry how they were made (prompt, seed, engine, …) in an iTXt chunk, so a
//! file keeps its story when it leaves the studio. Embedding splices one chunk into the byte
//! stream just before `IEND`: the image data is copied untouched, never decoded or re-encoded,
//! which keeps it a single memcpy-like pass even for multi-megabyte images.
//!
//! Chunk layout (PNG spec §5.3): 4-byte big-endian data length, 4-byte type, data, and a
//! CRC-32 over type and data.

use std::fmt;

const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];
/// Length, type and CRC fields around each chunk's data.
const CHUNK_OVERHEAD: usize = 12;
/// PNG caps a chunk's data length at 2^31 - 1 bytes.
const MAX_CHUNK_DATA: usize = 0x7fff_ffff;

/// Why a text chunk could not be embedded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PngTextError {
    /// The input does not start with the PNG signature.
    NotPng,
    /// The input ends inside the signature or a chunk, or before `IEND`.
    Truncated,
    /// A chunk is malformed (bad type, length or CRC); the detail says which.
    BadChunk(String),
}

impl fmt::Display for PngTextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotPng => f.write_str("not a PNG file (bad signature)"),
            Self::Truncated => f.write_str("PNG file is truncated"),
            Self::BadChunk(detail) => write!(f, "malformed PNG chunk: {detail}"),
        }
    }
}

impl std::error::Error for PngTextError {}

/// Returns a copy of `png` with an iTXt chunk (uncompressed, UTF-8, no language tag) holding
/// `text` under `keyword`, inserted just before `IEND`.
///
/// `keyword` must be 1–79 printable ASCII characters: keywords are constants of this program,
/// so a bad one is a bug caught by tests, not an input to report. The signature and every
/// chunk's framing are checked on the way to `IEND`, and the first chunk must be `IHDR`. The
/// image data's CRCs are not recomputed: that would double the cost, and a decoder checks them
/// anyway. Existing text chunks are kept, and bytes after `IEND`, if any, are preserved.
pub fn embed_itxt(png: &[u8], keyword: &str, text: &str) -> Result<Vec<u8>, PngTextError> {
    debug_assert!(
        (1..=79).contains(&keyword.len()) && keyword.bytes().all(|b| (b' '..=b'~').contains(&b)),
        "PNG keyword {keyword:?} is not 1-79 printable ASCII characters"
    );
    let iend_offset = find_iend(png)?;
    // keyword, NUL, compression flag 0, method 0, empty language tag, NUL, empty translated
    // keyword, NUL, UTF-8 text.
    let mut data = Vec::with_capacity(keyword.len() + 5 + text.len());
    data.extend_from_slice(keyword.as_bytes());
    data.extend_from_slice(&[0, 0, 0, 0, 0]);
    data.extend_from_slice(text.as_bytes());
    let length = u32::try_from(data.len())
        .ok()
        .filter(|&length| length as usize <= MAX_CHUNK_DATA)
        .ok_or_else(|| {
            PngTextError::BadChunk(format!(
                "iTXt data of {} bytes exceeds the PNG chunk limit",
                data.len()
            ))
        })?;

    let mut out = Vec::with_capacity(png.len() + data.len() + CHUNK_OVERHEAD);
    out.extend_from_slice(&png[..iend_offset]);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(b"iTXt");
    out.extend_from_slice(&data);
    out.extend_from_slice(&chunk_crc(b"iTXt", &data).to_be_bytes());
    out.extend_from_slice(&png[iend_offset..]);
    Ok(out)
}

/// Byte offset of the `IEND` chunk, after checking the chunk framing up to it: each length fits
/// in the file and the PNG limit, each type is four ASCII letters, the first chunk is `IHDR`.
fn find_iend(png: &[u8]) -> Result<usize, PngTextError> {
    if !png.starts_with(&SIGNATURE) {
        // A prefix of the signature is a PNG cut short; anything else is not a PNG.
        return Err(if SIGNATURE.starts_with(png) {
            PngTextError::Truncated
        } else {
            PngTextError::NotPng
        });
    }
    let mut offset = SIGNATURE.len();
    loop {
        let header = png.get(offset..offset + 8).ok_or(PngTextError::Truncated)?;
        let (length, kind) = header.split_at(4);
        let length = u32::from_be_bytes([length[0], length[1], length[2], length[3]]) as usize;
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(PngTextError::BadChunk(format!(
                "invalid chunk type {kind:02x?} at offset {offset}"
            )));
        }
        if offset == SIGNATURE.len() && kind != b"IHDR" {
            return Err(PngTextError::BadChunk(format!(
                "first chunk is {} instead of IHDR",
                String::from_utf8_lossy(kind)
            )));
        }
        if length > MAX_CHUNK_DATA {
            return Err(PngTextError::BadChunk(format!(
                "chunk length {length} at offset {offset} exceeds the PNG limit"
            )));
        }
        let end = offset + length + CHUNK_OVERHEAD;
        let chunk = png.get(offset..end).ok_or(PngTextError::Truncated)?;
        if kind == b"IEND" {
            // IEND is tiny, so checking its CRC costs nothing and catches a damaged tail.
            let (data, crc) = chunk[8..].split_at(length);
            if chunk_crc(b"IEND", data).to_be_bytes() != crc {
                return Err(PngTextError::BadChunk(format!(
                    "IEND at offset {offset}: CRC mismatch"
                )));
            }
            return Ok(offset);
        }
        offset = end;
    }
}

/// The CRC a chunk stores: over its type and data, not its length.
fn chunk_crc(kind: &[u8; 4], data: &[u8]) -> u32 {
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    crc.finalize()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn plain_png() -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut encoder = png::Encoder::new(&mut bytes, 3, 2);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().expect("header");
        writer.write_image_data(&[90; 18]).expect("pixels");
        writer.finish().expect("finish");
        bytes
    }

    /// Decodes the whole image with the png crate (which checks every CRC) and returns its iTXt
    /// entries as `(keyword, text)`, in file order.
    pub(crate) fn decoded_itxt(bytes: &[u8]) -> Vec<(String, String)> {
        let mut reader = png::Decoder::new(bytes)
            .read_info()
            .expect("header decodes");
        let mut pixels = vec![0; reader.output_buffer_size()];
        reader.next_frame(&mut pixels).expect("image decodes");
        // Chunks after the image data are only parsed once the reader runs to IEND.
        reader.finish().expect("trailing chunks decode");
        reader
            .info()
            .utf8_text
            .iter()
            .map(|chunk| (chunk.keyword.clone(), chunk.get_text().expect("text")))
            .collect()
    }

    fn entry(keyword: &str, text: &str) -> (String, String) {
        (keyword.to_owned(), text.to_owned())
    }

    #[test]
    fn embedded_text_round_trips() {
        let text = "{\"prompt\":\"a warm sunset — über teal sea\",\"seed\":1}";
        let png = embed_itxt(&plain_png(), "proofsheet", text).expect("embed");
        assert_eq!(decoded_itxt(&png), [entry("proofsheet", text)]);
    }

    #[test]
    fn chunk_goes_right_before_iend_and_the_rest_is_untouched() {
        let original = plain_png();
        let png = embed_itxt(&original, "k", "v").expect("embed");
        let iend = original.len() - CHUNK_OVERHEAD;
        assert_eq!(png[..iend], original[..iend]);
        assert_eq!(png[png.len() - CHUNK_OVERHEAD..], original[iend..]);
        assert_eq!(&png[iend + 4..iend + 8], b"iTXt");
    }

    #[test]
    fn embedding_twice_keeps_both_in_order() {
        let once = embed_itxt(&plain_png(), "first", "1").expect("embed");
        let twice = embed_itxt(&once, "second", "2").expect("embed");
        let expected = [entry("first", "1"), entry("second", "2")];
        assert_eq!(decoded_itxt(&twice), expected);
    }

    #[test]
    fn non_png_input_is_rejected() {
        for input in [
            &b"GIF89a, definitely not a PNG"[..],
            b"\x89PNX\r\n\x1a\n",
            b"hi",
        ] {
            assert_eq!(embed_itxt(input, "k", "v"), Err(PngTextError::NotPng));
        }
    }

    #[test]
    fn truncated_input_is_rejected_at_every_cut() {
        let png = plain_png();
        for cut in 0..png.len() {
            let result = embed_itxt(&png[..cut], "k", "v");
            assert_eq!(result, Err(PngTextError::Truncated), "cut at {cut}");
        }
    }

    #[test]
    fn garbage_chunk_type_is_reported() {
        let mut png = plain_png();
        png[SIGNATURE.len() + 4] = b'#';
        assert!(matches!(
            embed_itxt(&png, "k", "v"),
            Err(PngTextError::BadChunk(_))
        ));
    }

    #[test]
    fn a_first_chunk_other_than_ihdr_is_reported() {
        let mut png = plain_png();
        png[SIGNATURE.len() + 4..SIGNATURE.len() + 8].copy_from_slice(b"IDAT");
        assert_eq!(
            embed_itxt(&png, "k", "v"),
            Err(PngTextError::BadChunk(
                "first chunk is IDAT instead of IHDR".into()
            ))
        );
    }

    #[test]
    fn a_damaged_iend_is_reported() {
        let mut png = plain_png();
        *png.last_mut().expect("a PNG ends with IEND's CRC") ^= 0xff;
        assert!(matches!(
            embed_itxt(&png, "k", "v"),
            Err(PngTextError::BadChunk(detail)) if detail.ends_with("CRC mismatch")
        ));
    }

    #[test]
    fn errors_explain_themselves() {
        assert_eq!(PngTextError::Truncated.to_string(), "PNG file is truncated");
    }
}
