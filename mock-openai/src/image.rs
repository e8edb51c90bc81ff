//! The pictures the mock "generates": a top-to-bottom two-colour gradient whose
//! colours come from a hash of the revised prompt, so different prompts give
//! visibly different images and the same prompt always gives the same bytes.

use png::{AdaptiveFilterType, BitDepth, ColorType, Compression, Encoder, FilterType};

/// Private (lower-case 2nd letter), ancillary (lower-case 1st letter) chunk
/// that decoders must skip: it pads files to benchmark-sized payloads.
const PADDING_CHUNK: png::chunk::ChunkType = png::chunk::ChunkType(*b"prVt");

/// Encodes a `width`×`height` RGB PNG for `prompt`, plus `padding` filler
/// bytes in a `prVt` chunk before IEND when `padding > 0`.
pub(crate) fn render_png(
    prompt: &str,
    width: u32,
    height: u32,
    padding: usize,
) -> Result<Vec<u8>, png::EncodingError> {
    let hash = fnv1a(prompt.as_bytes());
    let pixels = gradient(hash, width as usize, height as usize);

    let mut out = Vec::with_capacity(pixels.len() / 64 + padding + 1024);
    let mut encoder = Encoder::new(&mut out, width, height);
    encoder.set_color(ColorType::Rgb);
    encoder.set_depth(BitDepth::Eight);
    // Why Fast + Sub: see `gradient`; the fast path keeps large sizes cheap.
    encoder.set_compression(Compression::Fast);
    encoder.set_filter(FilterType::Sub);
    encoder.set_adaptive_filter(AdaptiveFilterType::NonAdaptive);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&pixels)?;
    if padding > 0 {
        writer.write_chunk(PADDING_CHUNK, &filler(hash, padding))?;
    }
    writer.finish()?;
    Ok(out)
}

/// Row-major RGB pixels of a top-to-bottom gradient.
///
/// Why vertical: every row is one colour, so after the Sub filter a row is
/// all zeros but its first pixel, which even the fast deflate path squeezes
/// to ~30 KB in ~3 ms for 1024x1536 (a diagonal gradient took ~5x the time
/// and 15x the bytes).
fn gradient(hash: u64, width: usize, height: usize) -> Vec<u8> {
    let bytes = hash.to_le_bytes();
    let top = [bytes[0], bytes[1], bytes[2]];
    // Offset the bottom colour by half the range so the gradient is always
    // visible, with a little hash-driven variety on top.
    let bottom = [0, 1, 2].map(|i| top[i].wrapping_add(128) ^ (bytes[3 + i] & 0x3f));
    let span = height.saturating_sub(1).max(1) as i64;

    let mut pixels = Vec::with_capacity(width * height * 3);
    let mut row = vec![0; width * 3];
    for y in 0..height {
        let colour = [0, 1, 2].map(|channel| {
            let (a, b) = (i64::from(top[channel]), i64::from(bottom[channel]));
            (a + (b - a) * y as i64 / span).clamp(0, 255) as u8
        });
        if row.get(..3) != Some(&colour[..]) {
            for pixel in row.chunks_exact_mut(3) {
                pixel.copy_from_slice(&colour);
            }
        }
        pixels.extend_from_slice(&row);
    }
    pixels
}

/// Incompressible filler: real images do not shrink under gzip, and a padded
/// benchmark payload should not either (zeros would compress to nothing).
fn filler(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed | 1;
    let mut bytes = Vec::with_capacity(len + 8);
    while bytes.len() < len {
        // xorshift64
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(len);
    bytes
}

/// FNV-1a: stable across Rust releases, unlike std's `DefaultHasher`, so a
/// prompt maps to the same picture forever.
fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::render_png;

    /// Decodes through IEND checking every chunk's CRC (by default the png
    /// crate forgives bad CRCs on ancillary chunks such as ours).
    fn try_decode(bytes: &[u8]) -> Result<(png::OutputInfo, Vec<u8>), png::DecodingError> {
        let mut options = png::DecodeOptions::default();
        options.set_skip_ancillary_crc_failures(false);
        let mut reader = png::Decoder::new_with_options(bytes, options).read_info()?;
        let mut pixels = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut pixels)?;
        reader.finish()?;
        Ok((info, pixels))
    }

    fn decode(bytes: &[u8]) -> (png::OutputInfo, Vec<u8>) {
        try_decode(bytes).expect("valid PNG")
    }

    #[test]
    fn renders_a_decodable_png_of_the_requested_size() {
        let bytes = render_png("a cat", 1024, 1536, 0).expect("encodes");
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let (info, _) = decode(&bytes);
        assert_eq!((info.width, info.height), (1024, 1536));
    }

    #[test]
    fn different_prompts_give_different_pictures_and_same_prompt_same_bytes() {
        let a = render_png("a cat", 64, 48, 0).expect("encodes");
        let b = render_png("a dog", 64, 48, 0).expect("encodes");
        assert_ne!(decode(&a).1, decode(&b).1);
        assert_eq!(a, render_png("a cat", 64, 48, 0).expect("encodes"));
    }

    #[test]
    fn padding_adds_a_valid_private_chunk_of_the_asked_size() {
        let plain = render_png("pad", 1024, 1024, 0).expect("encodes");
        let padded = render_png("pad", 1024, 1024, 1_500_000).expect("encodes");
        // 12 bytes of chunk framing: length, type, CRC.
        assert_eq!(padded.len(), plain.len() + 1_500_000 + 12);
        // The decoder checks every CRC, including the padding chunk's.
        let (info, _) = decode(&padded);
        assert_eq!((info.width, info.height), (1024, 1024));
        assert!(padded.windows(4).any(|w| w == b"prVt"));
        assert_eq!(&padded[padded.len() - 8..padded.len() - 4], b"IEND");
        // Proof the CRC really covers the padding: flip one filler byte.
        let mut corrupt = padded.clone();
        let inside_padding = corrupt.len() - 12 - 1000;
        corrupt[inside_padding] ^= 0xff;
        assert!(try_decode(&corrupt).is_err());
    }
}
