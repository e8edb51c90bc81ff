//! Composition: decides *what* is drawn (layout, shapes, where, in which colours) from the
//! palette and a seeded PRNG, in pixel coordinates. Drawing itself lives in `render`.

use crate::color::Rgb;
use crate::rng::SplitMix64;

/// Everything the rasteriser needs to draw one image.
pub(crate) struct Scene {
    pub background: Gradient,
    /// Painted in order, back to front.
    pub layers: Vec<Layer>,
    /// How much the corners darken, `0..1`.
    pub vignette: f32,
}

/// A linear gradient across the whole canvas.
pub(crate) struct Gradient {
    /// Positions in `0..=1`, ascending, with their colours.
    pub stops: Vec<(f32, Rgb)>,
    /// Direction in radians; 0 runs left to right, π/2 top to bottom.
    pub angle: f32,
}

pub(crate) enum Layer {
    Glow(Glow),
    Disc(Disc),
    Ring(Ring),
    Ridge(Ridge),
}

/// A soft radial light that fades to nothing at `radius`.
pub(crate) struct Glow {
    pub cx: f32,
    pub cy: f32,
    pub radius: f32,
    pub color: Rgb,
    pub strength: f32,
}

/// A filled ellipse (`squash` < 1 flattens it) with an anti-aliased or blurred edge.
pub(crate) struct Disc {
    pub cx: f32,
    pub cy: f32,
    pub radius: f32,
    pub squash: f32,
    /// Width of the edge falloff in pixels; ~1 is crisp, a large fraction of `radius` is soft.
    pub softness: f32,
    pub color: Rgb,
    pub opacity: f32,
    /// Horizontal cuts through the lower part, like a retro poster sun.
    pub stripes: Option<Stripes>,
}

impl Disc {
    /// A round, opaque disc with an anti-aliased edge: suns, planets, eclipses.
    fn crisp(cx: f32, cy: f32, radius: f32, color: Rgb) -> Self {
        Disc {
            cx,
            cy,
            radius,
            squash: 1.0,
            softness: 1.5,
            color,
            opacity: 1.0,
            stripes: None,
        }
    }
}

/// Transparent horizontal bands below `top`, growing from `gap_at_top` to `gap_at_bottom`
/// (fractions of `period`) towards the bottom of the disc.
pub(crate) struct Stripes {
    pub top: f32,
    pub period: f32,
    pub gap_at_top: f32,
    pub gap_at_bottom: f32,
}

pub(crate) struct Ring {
    pub cx: f32,
    pub cy: f32,
    pub radius: f32,
    pub thickness: f32,
    pub color: Rgb,
    pub opacity: f32,
}

/// Everything below a wavy line: hills, dunes, waves. It casts a soft shadow upwards onto the
/// layers behind it, which gives stacked ridges a paper-cut depth.
pub(crate) struct Ridge {
    pub baseline: f32,
    pub waves: Vec<Wave>,
    /// Colour at the crest, fading to `color_deep` over `depth` pixels below it.
    pub color_crest: Rgb,
    pub color_deep: Rgb,
    pub depth: f32,
    pub shadow_strength: f32,
    pub shadow_width: f32,
}

/// One sine component of a ridge line, in pixels.
pub(crate) struct Wave {
    pub amplitude: f32,
    pub wavelength: f32,
    pub phase: f32,
}

/// Picks a layout and fills it in. All randomness comes from `rng`.
pub(crate) fn compose(colors: &[Rgb], rng: &mut SplitMix64, width: u32, height: u32) -> Scene {
    let canvas = Canvas {
        width: width as f32,
        height: height as f32,
    };
    let tones = Tones::new(colors);
    match rng.below(3) {
        0 => landscape(&tones, rng, canvas),
        1 => paper_cut(&tones, rng, canvas),
        _ => orbs(&tones, rng, canvas),
    }
}

#[derive(Clone, Copy)]
struct Canvas {
    width: f32,
    height: f32,
}

impl Canvas {
    fn short_side(self) -> f32 {
        self.width.min(self.height)
    }
}

/// The palette seen as a ramp from dark to light, plus its most colourful member.
struct Tones {
    ramp: Vec<Rgb>,
    accent: Rgb,
}

impl Tones {
    fn new(colors: &[Rgb]) -> Self {
        let mut ramp = colors.to_vec();
        ramp.sort_by(|a, b| a.lightness().total_cmp(&b.lightness()));
        let accent = colors
            .iter()
            .copied()
            .max_by(|a, b| a.to_oklch().c.total_cmp(&b.to_oklch().c))
            .unwrap_or(Rgb {
                r: 0.9,
                g: 0.6,
                b: 0.3,
            });
        if ramp.is_empty() {
            ramp.push(accent);
        }
        Self { ramp, accent }
    }

    /// A colour at `t` along the dark-to-light ramp, blended perceptually between members.
    fn at(&self, t: f32) -> Rgb {
        let last = self.ramp.len() - 1;
        let position = t.clamp(0.0, 1.0) * last as f32;
        let index = (position.floor() as usize).min(last.saturating_sub(1));
        let next = (index + 1).min(last);
        self.ramp[index].mix(self.ramp[next], position - index as f32)
    }

    fn darkest(&self) -> Rgb {
        self.at(0.0)
    }

    fn lightest(&self) -> Rgb {
        self.at(1.0)
    }

    /// The air near the horizon, a touch lighter than the lightest colour: the sky fades into
    /// it, far hills and the sea blend towards it.
    fn haze(&self) -> Rgb {
        self.lightest().shift_lightness(0.03)
    }

    /// The ramp member nearest to `t`, unblended: large areas keep the exact colours of the
    /// prompt ("teal" stays teal instead of becoming a teal-purple average).
    fn member(&self, t: f32) -> Rgb {
        let last = self.ramp.len() - 1;
        self.ramp[((t.clamp(0.0, 1.0) * last as f32).round() as usize).min(last)]
    }

    /// The accent pushed light enough to read as a light source against the sky.
    fn luminous_accent(&self) -> Rgb {
        let lightness = self.accent.lightness();
        self.accent.shift_lightness((0.8 - lightness).max(0.0))
    }

    /// The palette member that stands out most against `other` (largest OKLab distance).
    fn contrasting(&self, other: Rgb) -> Rgb {
        let target = other.to_oklab();
        let distance = |color: &Rgb| {
            let lab = color.to_oklab();
            (lab.l - target.l).powi(2) + (lab.a - target.a).powi(2) + (lab.b - target.b).powi(2)
        };
        self.ramp
            .iter()
            .copied()
            .max_by(|a, b| distance(a).total_cmp(&distance(b)))
            .unwrap_or(self.accent)
    }

    /// A sun or moon: the lightest colour warmed by a touch of the accent and pushed close to
    /// white, so it reads as the light source whatever the palette.
    fn sun(&self) -> Rgb {
        let color = self.lightest().mix(self.accent, 0.2);
        color.shift_lightness((0.92 - color.lightness()).max(0.0))
    }
}

/// Sky, a sun with its glow and a few clouds above either rolling hills fading into haze or a
/// calm sea holding the sun's reflection.
fn landscape(tones: &Tones, rng: &mut SplitMix64, canvas: Canvas) -> Scene {
    let Canvas { width, height } = canvas;
    let short = canvas.short_side();
    let horizon = height * rng.range(0.5, 0.66);
    let haze = tones.haze();
    let sky_top = tones.at(rng.range(0.3, 0.7));
    let background = Gradient {
        stops: vec![
            (0.0, sky_top),
            (horizon / height * 0.6, sky_top.mix(haze, 0.55)),
            (horizon / height, haze),
            (1.0, haze),
        ],
        angle: std::f32::consts::FRAC_PI_2,
    };

    let sun = Sun {
        x: width * rng.range(0.2, 0.8),
        radius: short * rng.range(0.08, 0.17),
        color: tones.sun(),
    };
    let sun_y = horizon - sun.radius * rng.range(0.0, 2.2);
    let mut layers = vec![
        Layer::Glow(Glow {
            cx: sun.x,
            cy: sun_y,
            radius: sun.radius * rng.range(3.5, 6.0),
            color: sun.color.mix(haze, 0.3),
            strength: rng.range(0.35, 0.6),
        }),
        Layer::Disc(Disc {
            stripes: rng.chance(0.35).then_some(Stripes {
                top: sun_y,
                period: sun.radius * 0.22,
                gap_at_top: 0.08,
                gap_at_bottom: 0.55,
            }),
            ..Disc::crisp(sun.x, sun_y, sun.radius, sun.color)
        }),
    ];
    for _ in 0..rng.below(4) {
        layers.push(cloud(tones, rng, canvas, horizon));
    }
    if rng.chance(0.4) {
        add_sea(&mut layers, tones, rng, canvas, horizon, &sun);
    } else {
        add_hills(&mut layers, tones, rng, canvas, horizon);
    }
    Scene {
        background,
        layers,
        vignette: rng.range(0.06, 0.14),
    }
}

struct Sun {
    x: f32,
    radius: f32,
    color: Rgb,
}

/// Rolling hills from the horizon down, far ones paler (aerial perspective) and casting
/// fainter shadows than near ones.
fn add_hills(
    layers: &mut Vec<Layer>,
    tones: &Tones,
    rng: &mut SplitMix64,
    canvas: Canvas,
    horizon: f32,
) {
    let Canvas { height, .. } = canvas;
    let short = canvas.short_side();
    let haze = tones.haze();
    let count = 3 + rng.below(3);
    for index in 0..count {
        let nearness = index as f32 / (count - 1) as f32;
        let color = tones
            .member(0.6 * (1.0 - nearness))
            .mix(haze, 0.45 * (1.0 - nearness));
        let baseline =
            horizon + (height - horizon) * (0.08 + 0.62 * nearness * nearness) - short * 0.02;
        let amplitude = short * rng.range(0.015, 0.05) * (1.0 + nearness);
        layers.push(Layer::Ridge(Ridge {
            baseline,
            waves: rolling_waves(rng, canvas, amplitude),
            color_crest: color.shift_lightness(0.03),
            color_deep: color.shift_lightness(-0.05),
            depth: height * 0.35,
            shadow_strength: 0.1 + 0.15 * nearness,
            shadow_width: short * 0.03,
        }));
    }
}

/// A flat sea from the horizon down, the sun mirrored in it as a column of flattened
/// streaks, and sometimes a dark shore in front.
fn add_sea(
    layers: &mut Vec<Layer>,
    tones: &Tones,
    rng: &mut SplitMix64,
    canvas: Canvas,
    horizon: f32,
    sun: &Sun,
) {
    let Canvas { height, .. } = canvas;
    let short = canvas.short_side();
    let haze = tones.haze();
    let water = tones.member(rng.range(0.0, 0.35));
    layers.push(Layer::Ridge(Ridge {
        baseline: horizon,
        waves: Vec::new(),
        color_crest: water.mix(haze, 0.35),
        color_deep: water.shift_lightness(-0.08),
        depth: height - horizon,
        shadow_strength: 0.0,
        shadow_width: 1.0,
    }));
    let streaks = 5 + rng.below(5);
    for index in 0..streaks {
        let depth = (index as f32 + 0.5) / streaks as f32;
        let radius = sun.radius * (1.1 - 0.6 * depth) * rng.range(0.7, 1.1);
        layers.push(Layer::Disc(Disc {
            cx: sun.x + short * rng.range(-0.01, 0.01),
            cy: horizon + (height - horizon) * 0.55 * depth * depth + short * 0.01,
            radius,
            squash: rng.range(0.03, 0.06),
            softness: 2.0,
            color: sun.color,
            opacity: 0.75 * (1.0 - depth),
            stripes: None,
        }));
    }
    if rng.chance(0.5) {
        let shore = tones.darkest();
        let amplitude = short * rng.range(0.03, 0.07);
        layers.push(Layer::Ridge(Ridge {
            baseline: height * rng.range(0.88, 0.96),
            waves: rolling_waves(rng, canvas, amplitude),
            color_crest: shore.shift_lightness(0.03),
            color_deep: shore.shift_lightness(-0.03),
            depth: height * 0.1,
            shadow_strength: 0.25,
            shadow_width: short * 0.03,
        }));
    }
}

/// A flattened, blurred ellipse floating in the sky.
fn cloud(tones: &Tones, rng: &mut SplitMix64, canvas: Canvas, horizon: f32) -> Layer {
    let radius = canvas.short_side() * rng.range(0.12, 0.3);
    Layer::Disc(Disc {
        cx: canvas.width * rng.range(-0.1, 1.1),
        cy: rng.range(canvas.height * 0.08, horizon - radius * 0.3),
        radius,
        squash: rng.range(0.18, 0.35),
        softness: radius * 0.5,
        color: tones.lightest().shift_lightness(0.06),
        opacity: rng.range(0.25, 0.5),
        stripes: None,
    })
}

/// Two or three sines of decreasing wavelength: broad swells with smaller undulations.
fn rolling_waves(rng: &mut SplitMix64, canvas: Canvas, amplitude: f32) -> Vec<Wave> {
    let octaves = 2 + rng.below(2);
    (0..octaves)
        .map(|octave| {
            let falloff = 0.45_f32.powi(octave as i32);
            Wave {
                amplitude: amplitude * falloff * rng.range(0.7, 1.3),
                wavelength: canvas.width * rng.range(0.6, 1.4) * falloff,
                phase: rng.range(0.0, std::f32::consts::TAU),
            }
        })
        .collect()
}

/// Many stacked wavy layers with cast shadows, light at the top to dark at the bottom, and
/// sometimes a sun peeking out behind them.
fn paper_cut(tones: &Tones, rng: &mut SplitMix64, canvas: Canvas) -> Scene {
    let Canvas { width, height } = canvas;
    let short = canvas.short_side();
    let top_color = tones.lightest();
    let background = Gradient {
        stops: vec![
            (0.0, top_color.mix(tones.at(0.7), 0.5)),
            (1.0, top_color.shift_lightness(0.04)),
        ],
        angle: std::f32::consts::FRAC_PI_2,
    };

    let mut layers = Vec::new();
    let first_crest = height * rng.range(0.22, 0.42);
    if rng.chance(0.7) {
        let radius = short * rng.range(0.1, 0.2);
        let (cx, cy) = (
            width * rng.range(0.2, 0.8),
            first_crest - radius * rng.range(0.2, 1.0),
        );
        layers.push(Layer::Glow(Glow {
            cx,
            cy,
            radius: radius * 4.0,
            color: tones.luminous_accent(),
            strength: 0.3,
        }));
        layers.push(Layer::Disc(Disc::crisp(
            cx,
            cy,
            radius,
            tones.luminous_accent(),
        )));
    }

    let count = 5 + rng.below(4);
    let spacing = (height * 0.95 - first_crest) / count as f32;
    let wavelength_scale = rng.range(0.5, 1.0);
    for index in 0..count {
        let t = index as f32 / (count - 1) as f32;
        let color = tones.at(0.85 - 0.85 * t);
        layers.push(Layer::Ridge(Ridge {
            baseline: first_crest + spacing * (index as f32 + rng.range(-0.2, 0.2)),
            waves: vec![
                Wave {
                    amplitude: spacing * rng.range(0.35, 0.7),
                    wavelength: width * wavelength_scale * rng.range(0.6, 1.2),
                    phase: rng.range(0.0, std::f32::consts::TAU),
                },
                Wave {
                    amplitude: spacing * rng.range(0.1, 0.25),
                    wavelength: width * rng.range(0.15, 0.3),
                    phase: rng.range(0.0, std::f32::consts::TAU),
                },
            ],
            color_crest: color.shift_lightness(0.04),
            color_deep: color.shift_lightness(-0.04),
            depth: spacing * 2.0,
            shadow_strength: 0.35,
            shadow_width: short * 0.03,
        }));
    }
    Scene {
        background,
        layers,
        vignette: rng.range(0.05, 0.12),
    }
}

/// Circles on a diagonal gradient: an overlapping cluster (big blurred ones behind, crisp ones
/// in front, like depth of field) or an eclipse with concentric rings, optionally over a
/// planet-like curve and a scatter of small dots. A Bauhaus-meets-bokeh abstract.
fn orbs(tones: &Tones, rng: &mut SplitMix64, canvas: Canvas) -> Scene {
    let short = canvas.short_side();
    // Why two variants: bright orbs on a dark ground and dark orbs on a light ground both
    // read well, and alternating them makes seeds visibly distinct.
    let dark_ground = rng.chance(0.4);
    let (ground, figures) = if dark_ground {
        ((0.0, 0.4), (0.5, 1.0))
    } else {
        ((0.65, 1.0), (0.0, 0.6))
    };
    let background = Gradient {
        stops: vec![
            (0.0, tones.at(ground.0)),
            (0.5, tones.at((ground.0 + ground.1) / 2.0)),
            (1.0, tones.at(ground.1)),
        ],
        angle: rng.range(0.0, std::f32::consts::TAU),
    };
    let figure_color = |rng: &mut SplitMix64| {
        if rng.chance(0.3) {
            tones.accent
        } else {
            tones.member(rng.range(figures.0, figures.1))
        }
    };

    let mut layers = vec![Layer::Glow(Glow {
        cx: canvas.width * rng.range(0.0, 1.0),
        cy: canvas.height * rng.range(0.0, 1.0),
        radius: short * rng.range(0.5, 0.9),
        color: tones.luminous_accent(),
        strength: rng.range(0.2, 0.4),
    })];
    if rng.chance(0.35) {
        let radius = short * rng.range(1.2, 2.2);
        layers.push(Layer::Disc(Disc::crisp(
            canvas.width * rng.range(0.2, 0.8),
            canvas.height + radius * rng.range(0.55, 0.85),
            radius,
            figure_color(rng),
        )));
    }
    if rng.chance(0.35) {
        let body = figure_color(rng);
        let cover = tones.contrasting(body);
        add_eclipse(&mut layers, rng, canvas, body, cover);
    } else {
        add_cluster(&mut layers, rng, canvas, figure_color);
    }
    if rng.chance(0.45) {
        let dots = tones.at(if dark_ground { 1.0 } else { 0.0 });
        add_dots(&mut layers, rng, canvas, dots);
    }
    Scene {
        background,
        layers,
        vignette: rng.range(0.04, 0.1),
    }
}

fn add_cluster(
    layers: &mut Vec<Layer>,
    rng: &mut SplitMix64,
    canvas: Canvas,
    mut figure_color: impl FnMut(&mut SplitMix64) -> Rgb,
) {
    let short = canvas.short_side();
    let mut radii: Vec<f32> = (0..3 + rng.below(4))
        .map(|_| short * rng.range(0.06, 0.38))
        .collect();
    // Largest first, so small circles sit on top of big ones instead of vanishing behind.
    radii.sort_by(|a, b| b.total_cmp(a));
    let blurred = rng.below(radii.len() / 2 + 1);
    // Crisp discs gather around a rule-of-thirds point so they overlap like a deliberate
    // arrangement; blurred ones drift anywhere, like out-of-focus lights.
    let focus = (
        canvas.width * (if rng.chance(0.5) { 1.0 } else { 2.0 } / 3.0 + rng.range(-0.08, 0.08)),
        canvas.height * (if rng.chance(0.5) { 1.0 } else { 2.0 } / 3.0 + rng.range(-0.08, 0.08)),
    );
    for (index, radius) in radii.into_iter().enumerate() {
        let is_blurred = index < blurred;
        let (cx, cy) = if is_blurred {
            (
                canvas.width * rng.range(0.08, 0.92),
                canvas.height * rng.range(0.08, 0.92),
            )
        } else {
            let angle = rng.range(0.0, std::f32::consts::TAU);
            let reach = short * rng.range(0.0, 0.28);
            (focus.0 + reach * angle.cos(), focus.1 + reach * angle.sin())
        };
        layers.push(Layer::Disc(Disc {
            cx,
            cy,
            radius,
            squash: 1.0,
            softness: if is_blurred {
                radius * rng.range(0.4, 0.8)
            } else {
                1.2
            },
            color: figure_color(rng),
            opacity: if is_blurred {
                rng.range(0.5, 0.75)
            } else {
                rng.range(0.8, 0.97)
            },
            stripes: None,
        }));
    }
}

/// One large disc with a smaller one overlapping it and rings around both.
fn add_eclipse(
    layers: &mut Vec<Layer>,
    rng: &mut SplitMix64,
    canvas: Canvas,
    body: Rgb,
    cover: Rgb,
) {
    let short = canvas.short_side();
    let (cx, cy) = (
        canvas.width * rng.range(0.3, 0.7),
        canvas.height * rng.range(0.3, 0.6),
    );
    let radius = short * rng.range(0.16, 0.26);
    for ring in 1..=2 + rng.below(3) {
        layers.push(Layer::Ring(Ring {
            cx,
            cy,
            radius: radius * (1.0 + 0.28 * ring as f32),
            thickness: short * 0.006,
            color: body,
            opacity: 0.7 / ring as f32 + 0.1,
        }));
    }
    layers.push(Layer::Disc(Disc::crisp(cx, cy, radius, body)));
    let angle = rng.range(0.0, std::f32::consts::TAU);
    let shift = radius * rng.range(0.45, 0.8);
    layers.push(Layer::Disc(Disc {
        opacity: 0.92,
        ..Disc::crisp(
            cx + shift * angle.cos(),
            cy + shift * angle.sin(),
            radius * rng.range(0.5, 0.8),
            cover,
        )
    }));
}

/// A scatter of small crisp dots: stars on a dark ground, confetti on a light one.
fn add_dots(layers: &mut Vec<Layer>, rng: &mut SplitMix64, canvas: Canvas, color: Rgb) {
    let short = canvas.short_side();
    for _ in 0..8 + rng.below(16) {
        layers.push(Layer::Disc(Disc {
            cx: canvas.width * rng.range(0.03, 0.97),
            cy: canvas.height * rng.range(0.03, 0.97),
            radius: short * rng.range(0.003, 0.012),
            squash: 1.0,
            softness: 1.0,
            color,
            opacity: rng.range(0.5, 0.9),
            stripes: None,
        }));
    }
}
