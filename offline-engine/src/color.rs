//! Colour types and conversions.
//!
//! Palette work (hue rotation, lightening, gradient stops) happens in OKLab/OKLCH because it
//! is perceptually uniform: a gradient between teal and coral stays vivid instead of passing
//! through mud, and "lighten by 0.1" looks like the same step for yellow and for blue.
//! Per-pixel compositing stays in plain sRGB for speed.

/// A gamma-encoded sRGB colour with channels in `0..=1`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Rgb {
    pub r: f32,
    pub g: f32,
    pub b: f32,
}

/// A colour in OKLab (`l` in `0..=1`, `a`/`b` roughly in `-0.4..=0.4`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Oklab {
    pub l: f32,
    pub a: f32,
    pub b: f32,
}

/// OKLab in polar form; `h` is in degrees.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Oklch {
    pub l: f32,
    pub c: f32,
    pub h: f32,
}

impl Rgb {
    pub(crate) fn from_bytes([r, g, b]: [u8; 3]) -> Self {
        let unit = |v: u8| f32::from(v) / 255.0;
        Self {
            r: unit(r),
            g: unit(g),
            b: unit(b),
        }
    }

    pub(crate) fn to_bytes(self) -> [u8; 3] {
        let byte = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
        [byte(self.r), byte(self.g), byte(self.b)]
    }

    /// Channels scaled to `0..=255`, the working range of the rasteriser.
    pub(crate) fn to_pixel(self) -> [f32; 3] {
        [self.r * 255.0, self.g * 255.0, self.b * 255.0]
    }

    pub(crate) fn to_oklab(self) -> Oklab {
        let (r, g, b) = (
            srgb_to_linear(self.r),
            srgb_to_linear(self.g),
            srgb_to_linear(self.b),
        );
        let l = (0.412_221_46 * r + 0.536_332_55 * g + 0.051_445_995 * b).cbrt();
        let m = (0.211_903_5 * r + 0.680_699_5 * g + 0.107_396_96 * b).cbrt();
        let s = (0.088_302_46 * r + 0.281_718_85 * g + 0.629_978_7 * b).cbrt();
        Oklab {
            l: 0.210_454_26 * l + 0.793_617_8 * m - 0.004_072_047 * s,
            a: 1.977_998_5 * l - 2.428_592_2 * m + 0.450_593_7 * s,
            b: 0.025_904_037 * l + 0.782_771_77 * m - 0.808_675_77 * s,
        }
    }

    pub(crate) fn to_oklch(self) -> Oklch {
        self.to_oklab().to_oklch()
    }

    /// Perceptual lightness (OKLab L), used to rank palette colours from dark to light.
    pub(crate) fn lightness(self) -> f32 {
        self.to_oklab().l
    }

    /// Perceptual blend: `t = 0` is `self`, `t = 1` is `other`.
    pub(crate) fn mix(self, other: Rgb, t: f32) -> Rgb {
        self.to_oklab().lerp(other.to_oklab(), t).to_rgb()
    }

    /// Moves OKLab lightness by `delta` (negative darkens), keeping hue and chroma.
    pub(crate) fn shift_lightness(self, delta: f32) -> Rgb {
        let mut lch = self.to_oklch();
        lch.l = (lch.l + delta).clamp(0.0, 1.0);
        lch.to_rgb()
    }
}

impl Oklab {
    pub(crate) fn lerp(self, other: Oklab, t: f32) -> Oklab {
        Oklab {
            l: self.l + (other.l - self.l) * t,
            a: self.a + (other.a - self.a) * t,
            b: self.b + (other.b - self.b) * t,
        }
    }

    pub(crate) fn to_oklch(self) -> Oklch {
        Oklch {
            l: self.l,
            c: self.a.hypot(self.b),
            h: self.b.atan2(self.a).to_degrees().rem_euclid(360.0),
        }
    }

    /// Converts to sRGB, clamping channels. Use [`Oklch::to_rgb`] when the colour may be far
    /// out of gamut and its hue must survive.
    pub(crate) fn to_rgb(self) -> Rgb {
        let [r, g, b] = self.to_linear_rgb();
        Rgb {
            r: linear_to_srgb(r.clamp(0.0, 1.0)),
            g: linear_to_srgb(g.clamp(0.0, 1.0)),
            b: linear_to_srgb(b.clamp(0.0, 1.0)),
        }
    }

    fn to_linear_rgb(self) -> [f32; 3] {
        let l = (self.l + 0.396_337_78 * self.a + 0.215_803_76 * self.b).powi(3);
        let m = (self.l - 0.105_561_35 * self.a - 0.063_854_17 * self.b).powi(3);
        let s = (self.l - 0.089_484_18 * self.a - 1.291_485_5 * self.b).powi(3);
        [
            4.076_741_7 * l - 3.307_711_6 * m + 0.230_969_94 * s,
            -1.268_438 * l + 2.609_757_4 * m - 0.341_319_38 * s,
            -0.004_196_086_3 * l - 0.703_418_6 * m + 1.707_614_7 * s,
        ]
    }

    fn is_in_gamut(self) -> bool {
        const SLACK: f32 = 1e-4;
        self.to_linear_rgb()
            .iter()
            .all(|v| (-SLACK..=1.0 + SLACK).contains(v))
    }
}

impl Oklch {
    pub(crate) fn to_oklab(self) -> Oklab {
        let radians = self.h.to_radians();
        Oklab {
            l: self.l,
            a: self.c * radians.cos(),
            b: self.c * radians.sin(),
        }
    }

    /// Converts to sRGB, lowering chroma until the colour fits so that hue and lightness are
    /// kept (plain clamping would turn a too-saturated blue into purple).
    pub(crate) fn to_rgb(self) -> Rgb {
        let lab = self.to_oklab();
        if lab.is_in_gamut() {
            return lab.to_rgb();
        }
        let (mut fits, mut fails) = (0.0_f32, self.c);
        for _ in 0..14 {
            let middle = (fits + fails) / 2.0;
            let candidate = Oklch { c: middle, ..self };
            if candidate.to_oklab().is_in_gamut() {
                fits = middle;
            } else {
                fails = middle;
            }
        }
        Oklch { c: fits, ..self }.to_oklab().to_rgb()
    }
}

fn srgb_to_linear(v: f32) -> f32 {
    if v <= 0.040_45 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

fn linear_to_srgb(v: f32) -> f32 {
    if v <= 0.003_130_8 {
        v * 12.92
    } else {
        1.055 * v.powf(1.0 / 2.4) - 0.055
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oklab_round_trip_preserves_bytes() {
        for bytes in [
            [0, 0, 0],
            [255, 255, 255],
            [200, 30, 40],
            [0, 128, 128],
            [17, 200, 90],
        ] {
            assert_eq!(Rgb::from_bytes(bytes).to_oklab().to_rgb().to_bytes(), bytes);
        }
    }

    #[test]
    fn out_of_gamut_chroma_is_reduced_not_clamped() {
        let blue = Oklch {
            l: 0.5,
            c: 0.6,
            h: 264.0,
        }
        .to_rgb();
        let hue = blue.to_oklch().h;
        assert!((hue - 264.0).abs() < 3.0, "hue drifted to {hue}");
    }
}
