//! Provenance in PNG text chunks.
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
const MAX_KEYWORD_CHARS: usize = 79;

/// Why a PNG could not be read or a text chunk not embedded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PngTextError {
    /// The input does not start with the PNG signature.
    NotPng,
    /// The input ends inside the signature or a chunk, or before `IEND`.
    Truncated,
    /// A chunk is malformed (bad type, bad CRC, unparsable text, …); the detail says which.
    BadChunk(String),
    /// The keyword is not 1–79 Latin-1 characters without NUL; the detail says why.
    InvalidKeyword(&'static str),
}

impl fmt::Display for PngTextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotPng => f.write_str("not a PNG file (bad signature)"),
            Self::Truncated => f.write_str("PNG file is truncated"),
            Self::BadChunk(detail) => write!(f, "malformed PNG chunk: {detail}"),
            Self::InvalidKeyword(reason) => write!(f, "invalid PNG text keyword: {reason}"),
        }
    }
}

impl std::error::Error for PngTextError {}

/// Returns a copy of `png` with an iTXt chunk (uncompressed, UTF-8, no language tag) holding
/// `text` under `keyword`, inserted just before `IEND`.
///
/// The signature is checked and every chunk's framing (length, type, CRC field) is walked to
/// find `IEND`; the first chunk must be `IHDR`. The image data's CRCs are not recomputed: that
/// would double the cost, and a decoder checks them anyway. Existing text chunks are kept, so
/// embedding twice yields two entries. Bytes after `IEND`, if any, are preserved.
pub fn embed_itxt(png: &[u8], keyword: &str, text: &str) -> Result<Vec<u8>, PngTextError> {
    let keyword = latin1_keyword(keyword)?;
    let iend_offset = find_iend(png)?;
    let data = itxt_data(&keyword, text)?;

    let mut out = Vec::with_capacity(png.len() + data.len() + CHUNK_OVERHEAD);
    out.extend_from_slice(&png[..iend_offset]);
    write_chunk(&mut out, *b"iTXt", &data);
    out.extend_from_slice(&png[iend_offset..]);
    Ok(out)
}

/// All tEXt and uncompressed iTXt entries as `(keyword, text)`, in file order.
///
/// Compressed iTXt and zTXt entries are skipped (reading them needs an inflater, and this
/// module only ever writes uncompressed text). The CRC of each text chunk is verified.
pub fn read_text_chunks(png: &[u8]) -> Result<Vec<(String, String)>, PngTextError> {
    let mut entries = Vec::new();
    for chunk in Chunks::new(png)? {
        let chunk = chunk?;
        let entry = match &chunk.kind {
            b"tEXt" => Some(parse_text(chunk.verified()?)?),
            b"iTXt" => parse_itxt(chunk.verified()?)?,
            _ => None,
        };
        entries.extend(entry);
    }
    Ok(entries)
}

/// Encodes a keyword as Latin-1, the only encoding PNG allows for it.
fn latin1_keyword(keyword: &str) -> Result<Vec<u8>, PngTextError> {
    let bytes = keyword
        .chars()
        .map(|c| match u8::try_from(c) {
            Ok(0) => Err(PngTextError::InvalidKeyword("contains NUL")),
            Ok(byte) => Ok(byte),
            Err(_) => Err(PngTextError::InvalidKeyword("not Latin-1")),
        })
        .collect::<Result<Vec<u8>, _>>()?;
    match bytes.len() {
        0 => Err(PngTextError::InvalidKeyword("empty")),
        1..=MAX_KEYWORD_CHARS => Ok(bytes),
        _ => Err(PngTextError::InvalidKeyword("longer than 79 characters")),
    }
}

/// Byte offset of the `IEND` chunk, after checking the chunk structure up to it.
fn find_iend(png: &[u8]) -> Result<usize, PngTextError> {
    let mut chunks = Chunks::new(png)?;
    let first = chunks.next().ok_or(PngTextError::Truncated)??;
    if &first.kind != b"IHDR" {
        return Err(PngTextError::BadChunk(format!(
            "first chunk is {} instead of IHDR",
            first.kind_name()
        )));
    }
    for chunk in chunks {
        let chunk = chunk?;
        if &chunk.kind == b"IEND" {
            // IEND is tiny, so checking it costs nothing and catches a damaged tail.
            return chunk.verified().map(|iend| iend.offset);
        }
    }
    Err(PngTextError::Truncated)
}

/// iTXt data: keyword, NUL, compression flag 0, method 0, empty language tag, NUL, empty
/// translated keyword, NUL, UTF-8 text.
fn itxt_data(keyword: &[u8], text: &str) -> Result<Vec<u8>, PngTextError> {
    let mut data = Vec::with_capacity(keyword.len() + 5 + text.len());
    data.extend_from_slice(keyword);
    data.extend_from_slice(&[0, 0, 0, 0, 0]);
    data.extend_from_slice(text.as_bytes());
    if data.len() > MAX_CHUNK_DATA {
        return Err(PngTextError::BadChunk(format!(
            "iTXt data of {} bytes exceeds the PNG chunk limit",
            data.len()
        )));
    }
    Ok(data)
}

fn write_chunk(out: &mut Vec<u8>, kind: [u8; 4], data: &[u8]) {
    // Callers keep `data` within MAX_CHUNK_DATA, which fits in a u32.
    let length = u32::try_from(data.len()).expect("chunk data is at most 2^31 - 1 bytes");
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(&kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&chunk_crc(&kind, data).to_be_bytes());
}

/// `(keyword, text)` of a tEXt chunk: Latin-1 keyword, NUL, Latin-1 text.
fn parse_text(chunk: Chunk<'_>) -> Result<(String, String), PngTextError> {
    let (keyword, text) =
        split_at_nul(chunk.data).ok_or_else(|| chunk.error("tEXt has no NUL after its keyword"))?;
    Ok((decode_keyword(&chunk, keyword)?, latin1_to_string(text)))
}

/// `(keyword, text)` of an iTXt chunk, or `None` when its text is compressed.
fn parse_itxt(chunk: Chunk<'_>) -> Result<Option<(String, String)>, PngTextError> {
    let (keyword, rest) =
        split_at_nul(chunk.data).ok_or_else(|| chunk.error("iTXt has no NUL after its keyword"))?;
    let keyword = decode_keyword(&chunk, keyword)?;
    let [compression_flag, _compression_method, rest @ ..] = rest else {
        return Err(chunk.error("iTXt ends before its compression fields"));
    };
    let (_language_tag, rest) =
        split_at_nul(rest).ok_or_else(|| chunk.error("iTXt has no NUL after its language tag"))?;
    let (_translated_keyword, text) = split_at_nul(rest)
        .ok_or_else(|| chunk.error("iTXt has no NUL after its translated keyword"))?;
    match compression_flag {
        0 => {
            let text = std::str::from_utf8(text)
                .map_err(|_| chunk.error("iTXt text is not valid UTF-8"))?;
            Ok(Some((keyword, text.to_owned())))
        }
        1 => Ok(None),
        _ => Err(chunk.error("iTXt compression flag is neither 0 nor 1")),
    }
}

fn decode_keyword(chunk: &Chunk<'_>, keyword: &[u8]) -> Result<String, PngTextError> {
    if keyword.is_empty() || keyword.len() > MAX_KEYWORD_CHARS {
        return Err(chunk.error("keyword is not 1-79 bytes long"));
    }
    Ok(latin1_to_string(keyword))
}

fn split_at_nul(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let nul = bytes.iter().position(|&b| b == 0)?;
    Some((&bytes[..nul], &bytes[nul + 1..]))
}

/// Latin-1 maps each byte to the Unicode code point of the same value.
fn latin1_to_string(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// One chunk, borrowed from the file.
struct Chunk<'a> {
    /// Offset of the chunk's length field in the file.
    offset: usize,
    kind: [u8; 4],
    data: &'a [u8],
    stored_crc: u32,
}

impl Chunk<'_> {
    fn kind_name(&self) -> String {
        String::from_utf8_lossy(&self.kind).into_owned()
    }

    fn error(&self, problem: &str) -> PngTextError {
        PngTextError::BadChunk(format!(
            "{} at offset {}: {problem}",
            self.kind_name(),
            self.offset
        ))
    }

    /// The chunk itself if its stored CRC matches its type and data.
    fn verified(self) -> Result<Self, PngTextError> {
        if chunk_crc(&self.kind, self.data) == self.stored_crc {
            Ok(self)
        } else {
            Err(self.error("CRC mismatch"))
        }
    }
}

/// Walks the chunks after the signature, stopping after `IEND`. Each item is checked for
/// framing only: that the length fits in the file and the type is four ASCII letters.
struct Chunks<'a> {
    png: &'a [u8],
    position: usize,
    done: bool,
}

impl<'a> Chunks<'a> {
    fn new(png: &'a [u8]) -> Result<Self, PngTextError> {
        if png.len() < SIGNATURE.len() {
            // A prefix of the signature is a PNG cut short; anything else is not a PNG.
            return Err(if SIGNATURE.starts_with(png) {
                PngTextError::Truncated
            } else {
                PngTextError::NotPng
            });
        }
        if png[..SIGNATURE.len()] != SIGNATURE {
            return Err(PngTextError::NotPng);
        }
        Ok(Self {
            png,
            position: SIGNATURE.len(),
            done: false,
        })
    }

    fn read_chunk(&mut self) -> Result<Chunk<'a>, PngTextError> {
        let offset = self.position;
        let rest = &self.png[offset..];
        let (Some(length), Some(kind)) = (read_u32(rest, 0), rest.get(4..8)) else {
            return Err(PngTextError::Truncated);
        };
        let kind: [u8; 4] = [kind[0], kind[1], kind[2], kind[3]];
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(PngTextError::BadChunk(format!(
                "invalid chunk type {kind:02x?} at offset {offset}"
            )));
        }
        let length = length as usize;
        if length > MAX_CHUNK_DATA {
            return Err(PngTextError::BadChunk(format!(
                "chunk length {length} at offset {offset} exceeds the PNG limit"
            )));
        }
        let data_end = 8 + length;
        let (Some(data), Some(stored_crc)) = (rest.get(8..data_end), read_u32(rest, data_end))
        else {
            return Err(PngTextError::Truncated);
        };
        self.position += length + CHUNK_OVERHEAD;
        Ok(Chunk {
            offset,
            kind,
            data,
            stored_crc,
        })
    }
}

impl<'a> Iterator for Chunks<'a> {
    type Item = Result<Chunk<'a>, PngTextError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let chunk = self.read_chunk();
        // Stop after IEND or the first error: nothing after either is meaningful.
        self.done = chunk.as_ref().map_or(true, |c| &c.kind == b"IEND");
        Some(chunk)
    }
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let field = bytes.get(at..at + 4)?;
    Some(u32::from_be_bytes([field[0], field[1], field[2], field[3]]))
}

/// CRC-32 (ISO-HDLC, the PNG/zlib polynomial) lookup table, built at compile time.
const CRC_TABLE: [u32; 256] = crc_table();

const fn crc_table() -> [u32; 256] {
    const POLYNOMIAL: u32 = 0xedb8_8320; // 0x04c11db7 bit-reversed
    let mut table = [0_u32; 256];
    let mut index = 0;
    while index < 256 {
        let mut crc = index as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                POLYNOMIAL ^ (crc >> 1)
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[index] = crc;
        index += 1;
    }
    table
}

fn crc_update(crc: u32, bytes: &[u8]) -> u32 {
    bytes.iter().fold(crc, |crc, &byte| {
        CRC_TABLE[((crc ^ u32::from(byte)) & 0xff) as usize] ^ (crc >> 8)
    })
}

/// The CRC a chunk stores: over its type and data, not its length.
fn chunk_crc(kind: &[u8; 4], data: &[u8]) -> u32 {
    !crc_update(crc_update(!0, kind), data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_png(configure: impl FnOnce(&mut png::Encoder<'_, &mut Vec<u8>>)) -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut encoder = png::Encoder::new(&mut bytes, 3, 2);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        configure(&mut encoder);
        let mut writer = encoder.write_header().expect("header");
        writer.write_image_data(&[90; 18]).expect("pixels");
        writer.finish().expect("finish");
        bytes
    }

    fn plain_png() -> Vec<u8> {
        tiny_png(|_| {})
    }

    /// Decodes the whole image with the png crate and returns its iTXt entries.
    fn decoded_itxt(bytes: &[u8]) -> Vec<(String, String)> {
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
    fn crc_of_iend_matches_the_spec() {
        assert_eq!(chunk_crc(b"IEND", &[]), 0xae42_6082);
    }

    #[test]
    fn crc_matches_the_standard_check_value() {
        assert_eq!(!crc_update(!0, b"123456789"), 0xcbf4_3926);
    }

    #[test]
    fn embedded_text_round_trips() {
        let text = "{\"prompt\":\"a warm sunset — über teal sea\",\"seed\":1}";
        let png = embed_itxt(&plain_png(), "proofsheet", text).expect("embed");
        assert_eq!(
            read_text_chunks(&png).expect("read"),
            [entry("proofsheet", text)]
        );
    }

    #[test]
    fn png_crate_decodes_the_result_and_sees_the_entry() {
        let png = embed_itxt(&plain_png(), "Comment", "made offline").expect("embed");
        assert_eq!(decoded_itxt(&png), [entry("Comment", "made offline")]);
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
        assert_eq!(read_text_chunks(&twice).expect("read"), expected);
        assert_eq!(decoded_itxt(&twice), expected);
    }

    #[test]
    fn latin1_keywords_round_trip() {
        let png = embed_itxt(&plain_png(), "Café", "ok").expect("embed");
        assert_eq!(read_text_chunks(&png).expect("read"), [entry("Café", "ok")]);
        assert_eq!(decoded_itxt(&png), [entry("Café", "ok")]);
    }

    #[test]
    fn invalid_keywords_are_rejected() {
        let png = plain_png();
        for keyword in ["", "nul\0inside", "euro€", &"k".repeat(80)] {
            assert!(
                matches!(
                    embed_itxt(&png, keyword, "x"),
                    Err(PngTextError::InvalidKeyword(_))
                ),
                "{keyword:?} was accepted"
            );
        }
        assert!(embed_itxt(&png, &"k".repeat(79), "x").is_ok());
    }

    #[test]
    fn reads_text_and_skips_compressed_itxt() {
        let png = tiny_png(|encoder| {
            encoder
                .add_text_chunk("Title".into(), "Zoë".into())
                .expect("tEXt");
            encoder
                .add_itxt_chunk("Plain".into(), "π".into())
                .expect("iTXt");
        });
        let mut compressed = png::text_metadata::ITXtChunk::new("Packed", "hidden");
        compressed.compressed = true; // the png crate deflates the text when writing
        let mut with_compressed = Vec::new();
        {
            let mut encoder = png::Encoder::new(&mut with_compressed, 1, 1);
            encoder.set_color(png::ColorType::Grayscale);
            let mut writer = encoder.write_header().expect("header");
            writer.write_text_chunk(&compressed).expect("iTXt");
            writer.write_image_data(&[0]).expect("pixels");
        }
        assert_eq!(
            read_text_chunks(&png).expect("read"),
            [entry("Title", "Zoë"), entry("Plain", "π")]
        );
        assert_eq!(read_text_chunks(&with_compressed).expect("read"), []);
    }

    #[test]
    fn non_png_input_is_rejected() {
        for input in [
            &b"GIF89a, definitely not a PNG"[..],
            b"\x89PNX\r\n\x1a\n",
            b"hi",
        ] {
            assert_eq!(embed_itxt(input, "k", "v"), Err(PngTextError::NotPng));
            assert_eq!(read_text_chunks(input), Err(PngTextError::NotPng));
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
    fn corrupted_text_crc_is_reported() {
        let mut png = embed_itxt(&plain_png(), "k", "value").expect("embed");
        let crc_of_itxt = png.len() - CHUNK_OVERHEAD - 1;
        png[crc_of_itxt] ^= 0xff;
        assert!(matches!(
            read_text_chunks(&png),
            Err(PngTextError::BadChunk(_))
        ));
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
    fn errors_explain_themselves() {
        let message = PngTextError::InvalidKeyword("empty").to_string();
        assert_eq!(message, "invalid PNG text keyword: empty");
    }
}
