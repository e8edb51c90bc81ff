//! A minimal baseline JPEG encoder: every 8x8 block is one flat colour.
//!
//! Why hand-written: no JPEG encoder is in the workspace's dependency tree,
//! and a flat block needs only its DC coefficient, so the whole encoder is
//! a DC difference and an end-of-block code per block. The picture's rows
//! are one colour each, so a block's colour (that of its middle row) shows
//! the gradient in 8-pixel bands. 4:4:4 YCbCr, no subsampling.

use super::Picture;

/// Quantiser for every coefficient. A flat block's DC coefficient is
/// 8 × (value − 128), so a quantiser of 8 stores the level exactly.
const QUANT: u8 = 8;

/// Annex K's luminance DC table as (code length, code) per magnitude
/// category 0..=11; `DC_COUNTS` is the same table in DHT form.
const DC_CODES: [(u8, u16); 12] = [
    (2, 0b00),
    (3, 0b010),
    (3, 0b011),
    (3, 0b100),
    (3, 0b101),
    (3, 0b110),
    (4, 0b1110),
    (5, 0b11110),
    (6, 0b111110),
    (7, 0b1111110),
    (8, 0b11111110),
    (9, 0b111111110),
];
const DC_COUNTS: [u8; 16] = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];

/// The AC table holds one symbol, end-of-block (0x00), coded as a single `0`.
const AC_COUNTS: [u8; 16] = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const EOB: (u8, u16) = (1, 0);

pub(super) fn encode(picture: &Picture) -> Vec<u8> {
    let (width, height) = (picture.width, picture.height);
    let mut out = vec![0xFF, 0xD8];
    segment(
        &mut out,
        0xE0,
        &[b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0],
    );
    let mut dqt = vec![0];
    dqt.extend([QUANT; 64]);
    segment(&mut out, 0xDB, &dqt);
    let mut sof = vec![8];
    sof.extend((height as u16).to_be_bytes());
    sof.extend((width as u16).to_be_bytes());
    sof.push(3);
    for component in 1..=3 {
        sof.extend([component, 0x11, 0]);
    }
    segment(&mut out, 0xC0, &sof);
    let mut dht = vec![0x00];
    dht.extend(DC_COUNTS);
    dht.extend(0..12u8);
    dht.push(0x10);
    dht.extend(AC_COUNTS);
    dht.push(0x00);
    segment(&mut out, 0xC4, &dht);
    segment(&mut out, 0xDA, &[3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 63, 0]);

    let mut bits = BitWriter::default();
    let mut predictions = [0i32; 3];
    for block_row in 0..height.div_ceil(8) {
        let levels = ycbcr(picture.row(block_row * 8 + 4)).map(|v| i32::from(v) - 128);
        for _ in 0..width.div_ceil(8) {
            for (component, level) in levels.into_iter().enumerate() {
                write_dc(&mut bits, level - predictions[component]);
                predictions[component] = level;
                bits.write(EOB.1, EOB.0);
            }
        }
    }
    out.extend(bits.finish());
    out.extend([0xFF, 0xD9]);
    out
}

/// A marker segment: `FF marker`, big-endian length including itself, body.
fn segment(out: &mut Vec<u8>, marker: u8, body: &[u8]) {
    out.extend([0xFF, marker]);
    out.extend(((body.len() + 2) as u16).to_be_bytes());
    out.extend(body);
}

/// JFIF's full-range BT.601 conversion.
fn ycbcr([r, g, b]: [u8; 3]) -> [u8; 3] {
    let (r, g, b) = (f32::from(r), f32::from(g), f32::from(b));
    let y = 0.299 * r + 0.587 * g + 0.114 * b;
    let cb = -0.168_736 * r - 0.331_264 * g + 0.5 * b + 128.0;
    let cr = 0.5 * r - 0.418_688 * g - 0.081_312 * b + 128.0;
    [y, cb, cr].map(|v| v.round().clamp(0.0, 255.0) as u8)
}

/// A DC difference: its category's code, then the category's low bits of
/// the value (one's complement for negatives, as the standard says).
fn write_dc(bits: &mut BitWriter, diff: i32) {
    let category = 32 - diff.unsigned_abs().leading_zeros();
    let (length, code) = DC_CODES[category as usize];
    bits.write(code, length);
    if category > 0 {
        let value = if diff < 0 { diff - 1 } else { diff };
        bits.write((value as u16) & ((1 << category) - 1), category as u8);
    }
}

/// MSB-first bit packing with JPEG's byte stuffing (a 0x00 after each 0xFF).
#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    acc: u32,
    count: u8,
}

impl BitWriter {
    fn write(&mut self, value: u16, length: u8) {
        self.acc = (self.acc << length) | u32::from(value);
        self.count += length;
        while self.count >= 8 {
            self.count -= 8;
            let byte = (self.acc >> self.count) as u8;
            self.bytes.push(byte);
            if byte == 0xFF {
                self.bytes.push(0);
            }
        }
        self.acc &= (1 << self.count) - 1;
    }

    /// Pads the last byte with 1 bits, as the standard asks.
    fn finish(mut self) -> Vec<u8> {
        if self.count > 0 {
            let pad = 8 - self.count;
            self.write((1 << pad) - 1, pad);
        }
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::{encode, ycbcr, BitWriter};
    use crate::images::Picture;

    #[test]
    fn bits_are_packed_msb_first_with_stuffing_and_one_padding() {
        let mut bits = BitWriter::default();
        bits.write(0b1111_1111, 8);
        bits.write(0b101, 3);
        assert_eq!(bits.finish(), [0xFF, 0x00, 0b1011_1111]);
    }

    #[test]
    fn grey_stays_grey() {
        assert_eq!(ycbcr([128, 128, 128]), [128, 128, 128]);
        assert_eq!(ycbcr([255, 255, 255]), [255, 128, 128]);
    }

    #[test]
    fn decodes_to_the_picture_size_and_colours() {
        let picture = Picture::new("jpeg", 61, 29);
        let bytes = encode(&picture);
        let mut decoder = jpeg_decoder::Decoder::new(&bytes[..]);
        let pixels = decoder.decode().expect("valid JPEG");
        let info = decoder.info().expect("header");
        assert_eq!((info.width, info.height), (61, 29));
        assert_eq!(info.pixel_format, jpeg_decoder::PixelFormat::RGB24);
        assert_eq!(pixels.len(), 61 * 29 * 3);
        // The first band is the colour of row 4, give or take rounding.
        let expected = picture.row(4);
        for (got, want) in pixels[..3].iter().zip(expected) {
            assert!(
                got.abs_diff(want) <= 3,
                "{:?} vs {expected:?}",
                &pixels[..3]
            );
        }
    }
}
