//! Rasterisation: draws a [`Scene`] row by row into an RGB8 buffer.
//!
//! Each row is composed in an `f32` working buffer (channels `0..=255`) that is reused for the
//! whole image, so nothing is allocated per pixel. Shapes only touch the span of columns they
//! can cover, and the final quantisation adds ordered (Bayer) dithering so that wide, gentle
//! gradients do not band into visible steps.

use crate::color::Rgb;
use crate::scene::{Disc, Glow, Gradient, Layer, Ridge, Ring, Scene, Stripes};

type Pixel = [f32; 3];

/// Entries in the background gradient lookup table; enough that neighbouring entries differ by
/// well under one 8-bit level even across 1536 pixels.
const GRADIENT_LUT_SIZE: usize = 1024;

/// The classic 8×8 Bayer matrix: thresholds 0..64 spread so that every 2×2, 4×4 and 8×8 block
/// is evenly covered, which makes the dither pattern invisible at normal viewing size.
const BAYER_8X8: [[u8; 8]; 8] = [
    [0, 32, 8, 40, 2, 34, 10, 42],
    [48, 16, 56, 24, 50, 18, 58, 26],
    [12, 44, 4, 36, 14, 46, 6, 38],
    [60, 28, 52, 20, 62, 30, 54, 22],
    [3, 35, 11, 43, 1, 33, 9, 41],
    [51, 19, 59, 27, 49, 17, 57, 25],
    [15, 47, 7, 39, 13, 45, 5, 37],
    [63, 31, 55, 23, 61, 29, 53, 21],
];

/// Draws `scene` and returns tightly packed RGB8 rows, top to bottom.
pub(crate) fn rasterize(scene: &Scene, width: u32, height: u32) -> Vec<u8> {
    let (width, height) = (width as usize, height as usize);
    let background = BackgroundLut::new(&scene.background, width, height);
    let painters: Vec<Painter> = scene
        .layers
        .iter()
        .map(|layer| Painter::new(layer, width))
        .collect();
    let vignette = Vignette::new(scene.vignette, width, height);

    let mut pixels = vec![0_u8; width * height * 3];
    let mut row = vec![[0.0_f32; 3]; width];
    for (y, out) in pixels.chunks_exact_mut(width * 3).enumerate() {
        let center_y = y as f32 + 0.5;
        // Occlusion culling: below a ridge's lowest point nothing behind it shows, so start
        // at the last layer that covers the whole row (a large saving for stacked ridges).
        let visible = match painters.iter().rposition(|p| p.covers_row(center_y)) {
            Some(first) => &painters[first..],
            None => {
                background.fill_row(center_y, &mut row);
                &painters[..]
            }
        };
        for painter in visible {
            painter.paint_row(center_y, &mut row);
        }
        quantize_row(&row, y, &vignette, out);
    }
    pixels
}

/// Lerps `dst` towards `src` by `alpha`.
#[inline(always)]
fn blend(dst: &mut Pixel, src: Pixel, alpha: f32) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d += (s - *d) * alpha;
    }
}

#[inline(always)]
fn smoothstep(t: f32) -> f32 {
    let t = t.clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// Column range `[center - half, center + half]` clipped to the row.
fn span(center: f32, half: f32, width: usize) -> std::ops::Range<usize> {
    let start = (center - half).floor().max(0.0) as usize;
    let end = ((center + half).ceil().max(0.0) as usize).min(width);
    start.min(end)..end
}

/// The background gradient, pre-sampled so a pixel costs one table lookup.
struct BackgroundLut {
    colors: Vec<Pixel>,
    /// LUT index of the centre of column 0 on the row through the canvas centre.
    index_at_row_start: f32,
    index_step_x: f32,
    index_step_y: f32,
    center_y: f32,
}

impl BackgroundLut {
    fn new(gradient: &Gradient, width: usize, height: usize) -> Self {
        let colors = (0..GRADIENT_LUT_SIZE)
            .map(|i| {
                sample_gradient(gradient, i as f32 / (GRADIENT_LUT_SIZE - 1) as f32).to_pixel()
            })
            .collect();
        let (sin, cos) = gradient.angle.sin_cos();
        let (width, height) = (width as f32, height as f32);
        // The canvas projected on the gradient direction spans exactly 0..=1.
        let extent = (width * cos.abs() + height * sin.abs()).max(1.0);
        let scale = (GRADIENT_LUT_SIZE - 1) as f32 / extent;
        Self {
            colors,
            index_at_row_start: (0.5 - width / 2.0) * cos * scale
                + (GRADIENT_LUT_SIZE - 1) as f32 / 2.0,
            index_step_x: cos * scale,
            index_step_y: sin * scale,
            center_y: height / 2.0,
        }
    }

    fn fill_row(&self, y: f32, row: &mut [Pixel]) {
        let last = (GRADIENT_LUT_SIZE - 1) as f32;
        let mut index = self.index_at_row_start + (y - self.center_y) * self.index_step_y;
        for pixel in row {
            *pixel = self.colors[index.clamp(0.0, last) as usize];
            index += self.index_step_x;
        }
    }
}

fn sample_gradient(gradient: &Gradient, t: f32) -> Rgb {
    let stops = &gradient.stops;
    let Some(&(first_position, first_color)) = stops.first() else {
        return Rgb {
            r: 0.5,
            g: 0.5,
            b: 0.5,
        };
    };
    if t <= first_position {
        return first_color;
    }
    for pair in stops.windows(2) {
        let ((from, from_color), (to, to_color)) = (pair[0], pair[1]);
        if t <= to {
            let local = if to > from {
                (t - from) / (to - from)
            } else {
                1.0
            };
            return from_color.mix(to_color, local);
        }
    }
    stops.last().map_or(first_color, |&(_, color)| color)
}

/// A layer converted to the form the row loop wants (pixel colours, precomputed outlines).
enum Painter<'a> {
    Glow(&'a Glow, Pixel),
    Disc(&'a Disc, Pixel),
    Ring(&'a Ring, Pixel),
    Ridge(RidgeOutline<'a>),
}

impl<'a> Painter<'a> {
    fn new(layer: &'a Layer, width: usize) -> Self {
        match layer {
            Layer::Glow(glow) => Painter::Glow(glow, glow.color.to_pixel()),
            Layer::Disc(disc) => Painter::Disc(disc, disc.color.to_pixel()),
            Layer::Ring(ring) => Painter::Ring(ring, ring.color.to_pixel()),
            Layer::Ridge(ridge) => Painter::Ridge(RidgeOutline::new(ridge, width)),
        }
    }

    /// Whether this layer paints every pixel of row `y` fully opaque.
    fn covers_row(&self, y: f32) -> bool {
        match self {
            Painter::Ridge(outline) => y >= outline.fully_covered_from,
            Painter::Glow(..) | Painter::Disc(..) | Painter::Ring(..) => false,
        }
    }

    fn paint_row(&self, y: f32, row: &mut [Pixel]) {
        match self {
            Painter::Glow(glow, color) => paint_glow_row(glow, *color, y, row),
            Painter::Disc(disc, color) => paint_disc_row(disc, *color, y, row),
            Painter::Ring(ring, color) => paint_ring_row(ring, *color, y, row),
            Painter::Ridge(outline) => outline.paint_row(y, row),
        }
    }
}

fn paint_glow_row(glow: &Glow, color: Pixel, y: f32, row: &mut [Pixel]) {
    let dy = y - glow.cy;
    let radius_sq = glow.radius * glow.radius;
    if dy * dy >= radius_sq {
        return;
    }
    let inv_radius_sq = 1.0 / radius_sq;
    let columns = span(glow.cx, (radius_sq - dy * dy).sqrt(), row.len());
    let start = columns.start;
    for (x, pixel) in (start..).zip(&mut row[columns]) {
        let dx = x as f32 + 0.5 - glow.cx;
        // (1 - d²/r²)² falls off smoothly to exactly zero at the rim, with no square root.
        let falloff = (1.0 - (dx * dx + dy * dy) * inv_radius_sq).max(0.0);
        blend(pixel, color, glow.strength * falloff * falloff);
    }
}

fn paint_disc_row(disc: &Disc, color: Pixel, y: f32, row: &mut [Pixel]) {
    let dy = (y - disc.cy) / disc.squash;
    let reach = disc.radius + disc.softness * 0.5 + 1.0;
    if dy.abs() >= reach {
        return;
    }
    let row_opacity = disc.opacity * disc.stripes.as_ref().map_or(1.0, |s| stripe_mask(s, y));
    if row_opacity <= 0.0 {
        return;
    }
    let inv_softness = 1.0 / disc.softness;
    let columns = span(disc.cx, (reach * reach - dy * dy).sqrt(), row.len());
    let start = columns.start;
    for (x, pixel) in (start..).zip(&mut row[columns]) {
        let dx = x as f32 + 0.5 - disc.cx;
        let distance = (dx * dx + dy * dy).sqrt();
        let coverage = smoothstep((disc.radius - distance) * inv_softness + 0.5);
        blend(pixel, color, coverage * row_opacity);
    }
}

/// How opaque row `y` of a striped disc is: 0 inside a cut, 1 between cuts, anti-aliased.
fn stripe_mask(stripes: &Stripes, y: f32) -> f32 {
    let below_top = y - stripes.top;
    if below_top <= 0.0 {
        return 1.0;
    }
    let progress = (below_top / (stripes.period * 5.0)).min(1.0);
    let gap = stripes.period
        * (stripes.gap_at_top + (stripes.gap_at_bottom - stripes.gap_at_top) * progress);
    let within_period = below_top.rem_euclid(stripes.period);
    let into_band = (within_period - gap).min(stripes.period - within_period);
    (into_band + 0.5).clamp(0.0, 1.0)
}

fn paint_ring_row(ring: &Ring, color: Pixel, y: f32, row: &mut [Pixel]) {
    let dy = y - ring.cy;
    let half_thickness = ring.thickness * 0.5;
    let outer = ring.radius + half_thickness + 1.0;
    if dy.abs() >= outer {
        return;
    }
    let width = row.len();
    let outer_half = (outer * outer - dy * dy).sqrt();
    let inner = ring.radius - half_thickness - 1.0;
    // Skip the hole: only the two arcs of this row can be covered.
    let inner_half = if inner > 0.0 && dy.abs() < inner {
        (inner * inner - dy * dy).sqrt()
    } else {
        0.0
    };
    let left = span(
        ring.cx - (outer_half + inner_half) / 2.0,
        (outer_half - inner_half) / 2.0,
        width,
    );
    let right = span(
        ring.cx + (outer_half + inner_half) / 2.0,
        (outer_half - inner_half) / 2.0,
        width,
    );
    let right = right.start.max(left.end)..right.end.max(left.end);
    for columns in [left, right] {
        let start = columns.start;
        for (x, pixel) in (start..).zip(&mut row[columns]) {
            let dx = x as f32 + 0.5 - ring.cx;
            let off_center_line = ((dx * dx + dy * dy).sqrt() - ring.radius).abs();
            let coverage = (half_thickness - off_center_line + 0.5).clamp(0.0, 1.0);
            blend(pixel, color, coverage * ring.opacity);
        }
    }
}

/// A ridge with its crest line evaluated once per column.
struct RidgeOutline<'a> {
    ridge: &'a Ridge,
    crest: Vec<f32>,
    /// `1 / sqrt(1 + slope²)`: turns a vertical distance to the crest into a perpendicular
    /// one, so steep flanks are anti-aliased as well as flat tops.
    perpendicular_scale: Vec<f32>,
    highest_crest: f32,
    /// First row centre at which every column is at least half a pixel inside the ridge.
    fully_covered_from: f32,
    crest_color: Pixel,
    deep_color: Pixel,
}

impl<'a> RidgeOutline<'a> {
    fn new(ridge: &'a Ridge, width: usize) -> Self {
        let crest_at = |x: f32| {
            ridge.baseline
                + ridge
                    .waves
                    .iter()
                    .map(|w| {
                        w.amplitude * (x * std::f32::consts::TAU / w.wavelength + w.phase).sin()
                    })
                    .sum::<f32>()
        };
        let crest: Vec<f32> = (0..width).map(|x| crest_at(x as f32 + 0.5)).collect();
        let perpendicular_scale: Vec<f32> = (0..width)
            .map(|x| {
                let slope = crest_at(x as f32 + 1.0) - crest_at(x as f32);
                1.0 / (1.0 + slope * slope).sqrt()
            })
            .collect();
        let highest_crest = crest.iter().copied().fold(f32::INFINITY, f32::min);
        let fully_covered_from = crest
            .iter()
            .zip(&perpendicular_scale)
            .map(|(crest, scale)| crest + 0.5 / scale)
            .fold(f32::NEG_INFINITY, f32::max);
        Self {
            ridge,
            crest,
            perpendicular_scale,
            highest_crest,
            fully_covered_from,
            crest_color: ridge.color_crest.to_pixel(),
            deep_color: ridge.color_deep.to_pixel(),
        }
    }

    fn paint_row(&self, y: f32, row: &mut [Pixel]) {
        let ridge = self.ridge;
        if y < self.highest_crest - ridge.shadow_width - 1.0 {
            return;
        }
        let inv_shadow_width = 1.0 / ridge.shadow_width;
        let inv_depth = 1.0 / ridge.depth;
        let columns = row
            .iter_mut()
            .zip(&self.crest)
            .zip(&self.perpendicular_scale);
        for ((pixel, &crest), &scale) in columns {
            let distance = (y - crest) * scale;
            if distance < 0.5 {
                // Shadow cast upwards on whatever lies behind, darkest right at the edge.
                let closeness = (1.0 + distance * inv_shadow_width).max(0.0);
                let darken = 1.0 - ridge.shadow_strength * closeness * closeness;
                pixel.iter_mut().for_each(|channel| *channel *= darken);
            }
            if distance > -0.5 {
                let coverage = (distance + 0.5).min(1.0);
                let depth = ((y - crest) * inv_depth).clamp(0.0, 1.0);
                let mut fill = self.crest_color;
                blend(&mut fill, self.deep_color, depth);
                blend(pixel, fill, coverage);
            }
        }
    }
}

/// Separable corner darkening: a pixel is scaled by `1 - strength * (x'² + y'²) / 2`, with
/// `x'`, `y'` in `-1..=1` across the canvas, so the corners lose `strength` of their light.
struct Vignette {
    strength: f32,
    column_weights: Vec<f32>,
    row_weights: Vec<f32>,
}

impl Vignette {
    fn new(strength: f32, width: usize, height: usize) -> Self {
        let weights = |size: usize| -> Vec<f32> {
            (0..size)
                .map(|i| {
                    let centered = (i as f32 + 0.5) / size as f32 * 2.0 - 1.0;
                    centered * centered * 0.5
                })
                .collect()
        };
        Self {
            strength,
            column_weights: weights(width),
            row_weights: weights(height),
        }
    }
}

/// Applies the vignette and converts row `y` to bytes with ordered dithering.
fn quantize_row(row: &[Pixel], y: usize, vignette: &Vignette, out: &mut [u8]) {
    let thresholds = &BAYER_8X8[y % 8];
    let row_factor = 1.0 - vignette.strength * vignette.row_weights[y];
    let columns = row
        .iter()
        .zip(&vignette.column_weights)
        .zip(out.chunks_exact_mut(3));
    for (x, ((pixel, &column_weight), out)) in columns.enumerate() {
        let factor = row_factor - vignette.strength * column_weight;
        // Adding a threshold in [0, 1) before truncating rounds up exactly often enough that
        // the local average equals the true value: no banding, no visible noise.
        let threshold = (f32::from(thresholds[x % 8]) + 0.5) / 64.0;
        for (channel, value) in out.iter_mut().zip(pixel) {
            *channel = (value * factor + threshold).clamp(0.0, 255.0) as u8;
        }
    }
}
