//! PNG through the `png` crate, streamed row by row.

use std::io::Write;

use png::{AdaptiveFilterType, BitDepth, ColorType, Compression, Encoder, FilterType};

use super::Picture;

pub(super) fn encode(picture: &Picture) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = Encoder::new(&mut out, picture.width, picture.height);
    encoder.set_color(ColorType::Rgb);
    encoder.set_depth(BitDepth::Eight);
    // Why Fast + Sub: with one colour per row, Sub leaves a row of zeros
    // after its first pixel, which even the fast deflate path squeezes well.
    encoder.set_compression(Compression::Fast);
    encoder.set_filter(FilterType::Sub);
    encoder.set_adaptive_filter(AdaptiveFilterType::NonAdaptive);
    // Writing into a Vec cannot fail, and the header values are valid by
    // construction (sides are positive), so an error here is a bug.
    let mut writer = encoder.write_header().expect("PNG header");
    let mut stream = writer.stream_writer().expect("PNG stream");
    let mut row = vec![0; picture.width as usize * 3];
    for y in 0..picture.height {
        let colour = picture.row(y);
        if row[..3] != colour {
            for pixel in row.chunks_exact_mut(3) {
                pixel.copy_from_slice(&colour);
            }
        }
        stream.write_all(&row).expect("PNG row");
    }
    stream.finish().expect("PNG data");
    writer.finish().expect("PNG end");
    out
}
