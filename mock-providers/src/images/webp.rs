//! A minimal lossless WebP (VP8L) encoder for one-colour-per-row pictures.
//!
//! Why hand-written: no WebP encoder is in the workspace's dependency tree,
//! and these pictures need very little of VP8L: no transforms, no colour
//! cache, one prefix-code group. Each row is its first pixel as a literal
//! followed by a backward reference copying the pixel to its left, so a
//! 4K picture costs a few bytes per row.

use super::Picture;

/// Longest copy one backward reference can express.
const MAX_COPY: u32 = 4096;
/// Distance code 2 is the spec's "pixel to the left" (xi=1, yi=0).
const LEFT_PIXEL_DISTANCE_CODE: u32 = 2;
/// Order in which the code-length code's lengths are stored (spec 3.7.2.1.2).
const CODE_LENGTH_ORDER: [usize; 19] = [
    17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
];

pub(super) fn encode(picture: &Picture) -> Vec<u8> {
    let (width, height) = (picture.width, picture.height);
    let copies = copy_lengths(width);

    let mut bits = BitWriter::default();
    bits.write(0x2f, 8);
    bits.write(width - 1, 14);
    bits.write(height - 1, 14);
    bits.write(0, 1); // alpha is not used
    bits.write(0, 3); // version
    bits.write(0, 1); // no transform
    bits.write(0, 1); // no colour cache
    bits.write(0, 1); // no meta prefix codes: one group for the whole image

    // Green alphabet: 256 literals, then the 24 length prefix symbols.
    let mut length_symbols: Vec<u32> = copies.iter().map(|&len| prefix(len).0).collect();
    length_symbols.sort_unstable();
    length_symbols.dedup();
    let mut green = vec![0u8; 280];
    if length_symbols.is_empty() {
        green[..256].fill(8);
    } else {
        // Literals take one half of the code space, lengths the other.
        green[..256].fill(9);
        for (symbol, length) in length_symbols
            .iter()
            .zip(complete_lengths(length_symbols.len()))
        {
            green[256 + *symbol as usize] = length + 1;
        }
    }
    let green = Code::from_lengths(&green);
    let byte_code = Code::from_lengths(&[8; 256]);
    green.write_definition(&mut bits);
    byte_code.write_definition(&mut bits); // red
    byte_code.write_definition(&mut bits); // blue
    write_single_symbol_code(&mut bits, 255); // alpha: always opaque
    write_single_symbol_code(&mut bits, prefix(LEFT_PIXEL_DISTANCE_CODE).0);

    for y in 0..height {
        let [r, g, b] = picture.row(y);
        green.write_symbol(&mut bits, u32::from(g));
        byte_code.write_symbol(&mut bits, u32::from(r));
        byte_code.write_symbol(&mut bits, u32::from(b));
        for &length in &copies {
            let (symbol, extra_count, extra) = prefix(length);
            green.write_symbol(&mut bits, 256 + symbol);
            bits.write(extra, extra_count);
            // The distance code has a single symbol and no extra bits, so
            // the distance costs nothing.
        }
    }

    let data = bits.finish();
    let padded = data.len() + data.len() % 2;
    let mut out = Vec::with_capacity(20 + padded);
    out.extend(b"RIFF");
    out.extend(((4 + 8 + padded) as u32).to_le_bytes());
    out.extend(b"WEBPVP8L");
    out.extend((data.len() as u32).to_le_bytes());
    out.extend(&data);
    if data.len() % 2 == 1 {
        out.push(0);
    }
    out
}

/// The backward-reference lengths that copy a row's first pixel across it.
fn copy_lengths(width: u32) -> Vec<u32> {
    let mut remaining = width - 1;
    let mut lengths = Vec::new();
    while remaining > 0 {
        let length = remaining.min(MAX_COPY);
        lengths.push(length);
        remaining -= length;
    }
    lengths
}

/// VP8L's prefix coding of a length or distance value (≥ 1):
/// (prefix symbol, extra bit count, extra bits).
fn prefix(value: u32) -> (u32, u32, u32) {
    let v = value - 1;
    if v < 4 {
        return (v, 0, 0);
    }
    let highest = 31 - v.leading_zeros();
    let second = (v >> (highest - 1)) & 1;
    let extra_count = highest - 1;
    (
        2 * highest + second,
        extra_count,
        v & ((1 << extra_count) - 1),
    )
}

/// Code lengths of a complete prefix code over `count` symbols, as even as
/// possible (libwebp rejects incomplete codes). One symbol gets length 0.
fn complete_lengths(count: usize) -> Vec<u8> {
    if count <= 1 {
        return vec![0; count];
    }
    let depth = usize::BITS - (count - 1).leading_zeros();
    let short = (1usize << depth) - count;
    (0..count)
        .map(|index| if index < short { depth - 1 } else { depth } as u8)
        .collect()
}

/// A canonical prefix code: lengths as stored, codes as written.
struct Code {
    lengths: Vec<u8>,
    /// Each code bit-reversed, because the stream is read LSB first but
    /// codes are matched from their most significant bit (as in deflate).
    reversed: Vec<u32>,
}

impl Code {
    fn from_lengths(lengths: &[u8]) -> Code {
        let max = usize::from(lengths.iter().copied().max().unwrap_or(0));
        let mut count = vec![0u32; max + 1];
        for &length in lengths.iter().filter(|&&length| length > 0) {
            count[usize::from(length)] += 1;
        }
        let mut next = vec![0u32; max + 2];
        let mut code = 0;
        for bits in 1..=max {
            code = (code + count[bits - 1]) << 1;
            next[bits] = code;
        }
        let reversed = lengths
            .iter()
            .map(|&length| {
                if length == 0 {
                    return 0;
                }
                let code = next[usize::from(length)];
                next[usize::from(length)] += 1;
                code.reverse_bits() >> (32 - u32::from(length))
            })
            .collect();
        Code {
            lengths: lengths.to_vec(),
            reversed,
        }
    }

    fn write_symbol(&self, bits: &mut BitWriter, symbol: u32) {
        let symbol = symbol as usize;
        bits.write(self.reversed[symbol], u32::from(self.lengths[symbol]));
    }

    /// A "normal" code: the code lengths, themselves prefix-coded.
    fn write_definition(&self, bits: &mut BitWriter) {
        let mut used: Vec<u8> = self.lengths.clone();
        used.sort_unstable();
        used.dedup();
        if used.len() == 1 {
            // A one-symbol code-length code is a special case in decoders;
            // a spare second symbol keeps the code plainly complete.
            used.push(if used[0] == 0 { 1 } else { 0 });
        }
        let mut length_code_lengths = [0u8; 19];
        for (symbol, length) in used.iter().zip(complete_lengths(used.len())) {
            length_code_lengths[usize::from(*symbol)] = length;
        }
        let length_code = Code::from_lengths(&length_code_lengths);

        bits.write(0, 1); // normal, not simple
        let stored = CODE_LENGTH_ORDER
            .iter()
            .rposition(|&symbol| length_code_lengths[symbol] > 0)
            .map_or(4, |last| (last + 1).max(4));
        bits.write(stored as u32 - 4, 4);
        for &symbol in &CODE_LENGTH_ORDER[..stored] {
            bits.write(u32::from(length_code_lengths[symbol]), 3);
        }
        bits.write(0, 1); // every symbol's length follows (no max_symbol)
        for &length in &self.lengths {
            length_code.write_symbol(bits, u32::from(length));
        }
    }
}

/// A "simple" code with one symbol, which then costs zero bits per use.
fn write_single_symbol_code(bits: &mut BitWriter, symbol: u32) {
    bits.write(1, 1); // simple
    bits.write(0, 1); // one symbol
    if symbol < 2 {
        bits.write(0, 1);
        bits.write(symbol, 1);
    } else {
        bits.write(1, 1);
        bits.write(symbol, 8);
    }
}

/// LSB-first bit packing, as VP8L reads.
#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    acc: u64,
    count: u32,
}

impl BitWriter {
    fn write(&mut self, value: u32, count: u32) {
        self.acc |= u64::from(value) << self.count;
        self.count += count;
        while self.count >= 8 {
            self.bytes.push(self.acc as u8);
            self.acc >>= 8;
            self.count -= 8;
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.count > 0 {
            self.bytes.push(self.acc as u8);
        }
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::{complete_lengths, copy_lengths, encode, prefix};
    use crate::images::Picture;

    #[test]
    fn prefix_coding_matches_the_spec_examples() {
        assert_eq!(prefix(1), (0, 0, 0));
        assert_eq!(prefix(4), (3, 0, 0));
        assert_eq!(prefix(5), (4, 1, 0));
        assert_eq!(prefix(6), (4, 1, 1));
        assert_eq!(prefix(7), (5, 1, 0));
        assert_eq!(prefix(4096), (23, 10, 1023));
    }

    #[test]
    fn complete_lengths_fill_the_code_space() {
        for count in 2..40 {
            let lengths = complete_lengths(count);
            let space: f64 = lengths.iter().map(|&l| 0.5f64.powi(i32::from(l))).sum();
            assert!((space - 1.0).abs() < 1e-12, "{count}: {lengths:?}");
        }
        assert_eq!(copy_lengths(1), Vec::<u32>::new());
        assert_eq!(copy_lengths(5000), [4096, 903]);
    }

    fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let mut decoder =
            image_webp::WebPDecoder::new(std::io::Cursor::new(bytes)).expect("WebP header");
        let (width, height) = decoder.dimensions();
        assert!(!decoder.has_alpha());
        let mut pixels = vec![0; decoder.output_buffer_size().expect("size")];
        decoder.read_image(&mut pixels).expect("WebP data");
        (width, height, pixels)
    }

    #[test]
    fn decodes_pixel_exact_at_awkward_sizes() {
        for (width, height) in [(1, 1), (2, 3), (61, 29), (4097, 2), (5000, 3)] {
            let picture = Picture::new("webp", width, height);
            let (w, h, pixels) = decode(&encode(&picture));
            assert_eq!((w, h), (width, height));
            for y in 0..height {
                let row = &pixels[(y * width * 3) as usize..((y + 1) * width * 3) as usize];
                let colour = picture.row(y);
                assert!(
                    row.chunks_exact(3).all(|p| p == colour),
                    "row {y} of {width}x{height}"
                );
            }
        }
    }
}
