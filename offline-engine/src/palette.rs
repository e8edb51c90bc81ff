//! Turns a prompt into 4–5 colours.
//!
//! Colour words ("teal", "golden") are taken literally; modifiers right before them ("dark
//! red", "pale blue") adjust them; mood and scene words ("sunset", "icy", "pastel") add anchor
//! colours, restrict the hues of generated colours and shift the tone of the whole palette.
//! Whatever is still missing is generated as a harmony (analogous, complementary, …) around
//! the prompt's main hue, with lightness chosen to fill the gaps so that the renderer always
//! has a dark, a middle and a light tone to work with.

use crate::color::{Oklch, Rgb};
use crate::rng::{fnv1a64, SplitMix64};

pub(crate) const MAX_COLORS: usize = 5;
/// Below this OKLCH chroma a colour reads as grey, so its hue says nothing about the prompt.
const ACHROMATIC_CHROMA: f32 = 0.04;
/// Mood tone applies only half as strongly to colours the prompt named, so that "a red barn at
/// night" still has a recognisably red barn.
const NAMED_TONE_STRENGTH: f32 = 0.5;

/// Colour words: (word, canonical name, sRGB). Values are slightly softened from the pure web
/// colours, which look garish as large flat areas.
const COLOR_WORDS: &[(&str, &str, [u8; 3])] = &[
    ("red", "red", [205, 38, 38]),
    ("reddish", "red", [205, 38, 38]),
    ("crimson", "crimson", [190, 20, 60]),
    ("scarlet", "scarlet", [235, 45, 30]),
    ("ruby", "ruby", [180, 15, 70]),
    ("maroon", "maroon", [110, 20, 30]),
    ("burgundy", "burgundy", [120, 20, 45]),
    ("coral", "coral", [255, 120, 90]),
    ("salmon", "salmon", [245, 135, 115]),
    ("peach", "peach", [255, 195, 155]),
    ("orange", "orange", [245, 130, 30]),
    ("amber", "amber", [255, 180, 20]),
    ("gold", "gold", [232, 182, 40]),
    ("golden", "gold", [232, 182, 40]),
    ("yellow", "yellow", [250, 215, 50]),
    ("yellowish", "yellow", [250, 215, 50]),
    ("mustard", "mustard", [210, 165, 30]),
    ("lemon", "lemon", [250, 235, 90]),
    ("lime", "lime", [160, 210, 50]),
    ("olive", "olive", [120, 125, 45]),
    ("green", "green", [50, 150, 70]),
    ("greenish", "green", [50, 150, 70]),
    ("emerald", "emerald", [20, 150, 100]),
    ("jade", "jade", [40, 165, 120]),
    ("mint", "mint", [160, 230, 195]),
    ("sage", "sage", [150, 170, 130]),
    ("teal", "teal", [0, 128, 128]),
    ("cyan", "cyan", [30, 200, 220]),
    ("aqua", "aqua", [70, 210, 210]),
    ("turquoise", "turquoise", [60, 205, 195]),
    ("blue", "blue", [40, 90, 210]),
    ("bluish", "blue", [40, 90, 210]),
    ("azure", "azure", [30, 130, 240]),
    ("cerulean", "cerulean", [40, 125, 180]),
    ("cobalt", "cobalt", [20, 70, 170]),
    ("sapphire", "sapphire", [20, 60, 160]),
    ("navy", "navy", [20, 35, 95]),
    ("indigo", "indigo", [70, 30, 130]),
    ("violet", "violet", [140, 80, 210]),
    ("purple", "purple", [120, 50, 160]),
    ("purplish", "purple", [120, 50, 160]),
    ("lavender", "lavender", [185, 165, 230]),
    ("lilac", "lilac", [200, 160, 210]),
    ("plum", "plum", [130, 60, 110]),
    ("mauve", "mauve", [190, 140, 170]),
    ("magenta", "magenta", [215, 40, 150]),
    ("fuchsia", "fuchsia", [230, 50, 170]),
    ("pink", "pink", [245, 150, 185]),
    ("pinkish", "pink", [245, 150, 185]),
    ("rose", "rose", [225, 90, 125]),
    ("blush", "blush", [235, 170, 175]),
    ("brown", "brown", [125, 80, 45]),
    ("brownish", "brown", [125, 80, 45]),
    ("chocolate", "chocolate", [90, 55, 35]),
    ("rust", "rust", [180, 70, 30]),
    ("copper", "copper", [185, 110, 60]),
    ("bronze", "bronze", [175, 125, 60]),
    ("terracotta", "terracotta", [205, 105, 75]),
    ("ochre", "ochre", [200, 130, 40]),
    ("sepia", "sepia", [115, 80, 50]),
    ("tan", "tan", [205, 175, 135]),
    ("khaki", "khaki", [195, 180, 130]),
    ("beige", "beige", [225, 210, 180]),
    ("sand", "sand", [220, 195, 150]),
    ("cream", "cream", [250, 240, 210]),
    ("ivory", "ivory", [250, 248, 235]),
    ("white", "white", [245, 245, 242]),
    ("silver", "silver", [190, 195, 205]),
    ("grey", "grey", [130, 132, 138]),
    ("gray", "grey", [130, 132, 138]),
    ("greyish", "grey", [130, 132, 138]),
    ("grayish", "grey", [130, 132, 138]),
    ("charcoal", "charcoal", [50, 55, 62]),
    ("slate", "slate", [90, 105, 120]),
    ("black", "black", [18, 18, 22]),
];

/// Words that adjust the colour word right after them: (word, lightness shift, chroma scale).
const MODIFIERS: &[(&str, f32, f32)] = &[
    ("light", 0.14, 0.8),
    ("pale", 0.2, 0.6),
    ("dark", -0.17, 1.0),
    ("deep", -0.12, 1.1),
    ("bright", 0.05, 1.25),
];

/// A range of OKLCH hues, in degrees.
#[derive(Clone, Copy)]
struct HueArc {
    center: f32,
    half_width: f32,
}

const WARM_HUES: HueArc = HueArc {
    center: 50.0,
    half_width: 45.0,
};
const COOL_HUES: HueArc = HueArc {
    center: 230.0,
    half_width: 45.0,
};

/// A shift applied to every palette colour: lightness is pulled towards a target, chroma scaled.
#[derive(Clone, Copy)]
struct Tone {
    lightness_target: f32,
    lightness_pull: f32,
    chroma_scale: f32,
}

const NEUTRAL_TONE: Tone = Tone {
    lightness_target: 0.0,
    lightness_pull: 0.0,
    chroma_scale: 1.0,
};

struct Mood {
    words: &'static [&'static str],
    /// Colours the mood brings in by itself (a sunset is coral and amber even if unsaid).
    anchors: &'static [[u8; 3]],
    /// Where generated hues must stay ("icy" must not grow an orange).
    hues: Option<HueArc>,
    tone: Tone,
}

const MOODS: &[Mood] = &[
    Mood {
        words: &["sunset", "sunrise", "dusk", "dawn"],
        anchors: &[[250, 110, 80], [255, 180, 90], [95, 50, 115]],
        hues: Some(WARM_HUES),
        tone: NEUTRAL_TONE,
    },
    Mood {
        words: &["warm", "cozy", "cosy", "summer"],
        anchors: &[[235, 140, 70]],
        hues: Some(WARM_HUES),
        tone: NEUTRAL_TONE,
    },
    Mood {
        words: &["autumn", "autumnal", "fall"],
        anchors: &[[180, 75, 30], [215, 155, 45], [100, 60, 35]],
        hues: Some(WARM_HUES),
        tone: NEUTRAL_TONE,
    },
    Mood {
        words: &[
            "fire", "fiery", "flame", "flames", "lava", "ember", "embers",
        ],
        anchors: &[[240, 80, 20], [255, 175, 40], [90, 20, 15]],
        hues: Some(WARM_HUES),
        tone: NEUTRAL_TONE,
    },
    Mood {
        words: &["desert", "dune", "dunes", "savanna", "canyon"],
        anchors: &[[225, 185, 125], [190, 105, 60]],
        hues: Some(WARM_HUES),
        tone: NEUTRAL_TONE,
    },
    Mood {
        words: &["cold", "cool", "chilly"],
        anchors: &[[90, 140, 190]],
        hues: Some(COOL_HUES),
        tone: Tone {
            chroma_scale: 0.9,
            ..NEUTRAL_TONE
        },
    },
    Mood {
        words: &[
            "icy", "ice", "winter", "wintry", "snow", "snowy", "frost", "frosty", "frozen",
            "glacier", "arctic",
        ],
        anchors: &[[215, 232, 245], [95, 125, 165]],
        hues: Some(COOL_HUES),
        tone: Tone {
            chroma_scale: 0.85,
            ..NEUTRAL_TONE
        },
    },
    Mood {
        words: &["night", "midnight", "nocturnal", "moonlight", "moonlit"],
        anchors: &[[18, 24, 58], [60, 55, 125]],
        hues: Some(HueArc {
            center: 265.0,
            half_width: 40.0,
        }),
        tone: Tone {
            lightness_target: 0.25,
            lightness_pull: 0.2,
            chroma_scale: 1.0,
        },
    },
    Mood {
        words: &["sea", "ocean", "marine", "underwater", "lagoon", "waves"],
        anchors: &[[10, 95, 130], [80, 185, 195]],
        hues: Some(COOL_HUES),
        tone: NEUTRAL_TONE,
    },
    Mood {
        words: &[
            "forest", "jungle", "woods", "woodland", "leaves", "moss", "meadow",
        ],
        anchors: &[[35, 90, 55], [125, 165, 80]],
        hues: Some(HueArc {
            center: 140.0,
            half_width: 30.0,
        }),
        tone: NEUTRAL_TONE,
    },
    Mood {
        words: &["spring", "blossom", "blossoms", "bloom", "floral", "garden"],
        anchors: &[[250, 190, 205], [170, 215, 140]],
        hues: None,
        tone: NEUTRAL_TONE,
    },
    Mood {
        words: &[
            "space", "cosmic", "cosmos", "galaxy", "nebula", "stars", "starry",
        ],
        anchors: &[[15, 12, 40], [95, 45, 150], [220, 90, 180]],
        hues: Some(HueArc {
            center: 300.0,
            half_width: 40.0,
        }),
        tone: NEUTRAL_TONE,
    },
    Mood {
        words: &["cyberpunk", "synthwave", "vaporwave"],
        anchors: &[[255, 45, 170], [40, 220, 255], [30, 10, 60]],
        hues: None,
        tone: Tone {
            chroma_scale: 1.4,
            ..NEUTRAL_TONE
        },
    },
    Mood {
        words: &["neon", "electric", "glowing", "fluorescent"],
        anchors: &[],
        hues: None,
        tone: Tone {
            lightness_target: 0.68,
            lightness_pull: 0.25,
            chroma_scale: 1.7,
        },
    },
    Mood {
        words: &["pastel", "pastels", "soft", "dreamy", "gentle", "airy"],
        anchors: &[],
        hues: None,
        tone: Tone {
            lightness_target: 0.86,
            lightness_pull: 0.55,
            chroma_scale: 0.8,
        },
    },
    Mood {
        words: &[
            "dark", "moody", "gloomy", "noir", "shadowy", "somber", "sombre", "stormy",
        ],
        anchors: &[],
        hues: None,
        tone: Tone {
            lightness_target: 0.2,
            lightness_pull: 0.3,
            chroma_scale: 0.85,
        },
    },
    Mood {
        words: &[
            "muted",
            "dusty",
            "vintage",
            "faded",
            "retro",
            "washed",
            "desaturated",
        ],
        anchors: &[],
        hues: None,
        tone: Tone {
            lightness_target: 0.6,
            lightness_pull: 0.1,
            chroma_scale: 0.55,
        },
    },
    Mood {
        words: &[
            "bright",
            "vivid",
            "vibrant",
            "sunny",
            "bold",
            "colorful",
            "colourful",
        ],
        anchors: &[],
        hues: None,
        tone: Tone {
            lightness_target: 0.7,
            lightness_pull: 0.1,
            chroma_scale: 1.3,
        },
    },
    Mood {
        words: &["misty", "foggy", "fog", "mist", "hazy", "haze", "cloudy"],
        anchors: &[],
        hues: None,
        tone: Tone {
            lightness_target: 0.78,
            lightness_pull: 0.35,
            chroma_scale: 0.6,
        },
    },
];

/// Hue offsets (degrees from the main hue) of the generated colours, one scheme per harmony.
const ANALOGOUS: [f32; 4] = [-30.0, 30.0, -55.0, 55.0];
const HARMONIES: [[f32; 4]; 4] = [
    ANALOGOUS,
    [180.0, -25.0, 155.0, 25.0], // complementary
    [150.0, 210.0, -30.0, 30.0], // split complementary
    [120.0, 240.0, -30.0, 30.0], // triadic
];

/// Lightness levels a generated colour may take; each one fills the emptiest level so the
/// palette always spans dark to light, which the compositions rely on for depth.
const LIGHTNESS_LEVELS: [f32; 5] = [0.27, 0.43, 0.6, 0.76, 0.91];

/// The 4–5 sRGB colours the engine paints `prompt` with: its colour words first, then mood
/// colours, then generated harmonies. The prompt decides the colour family; `seed` only nudges
/// the generated colours (their hue by a few degrees, and whether there are 4 or 5), so the
/// same prompt looks related across seeds.
///
/// Why 8-bit: pictures have always been painted from the palette rounded to bytes, and painting
/// from the unrounded colours would change every one of them.
pub(crate) fn palette_for(prompt: &str, seed: u64) -> Vec<[u8; 3]> {
    let words = words_of(prompt);
    let found = find_colors_and_moods(&words);
    let prompt_hash = fnv1a64(prompt.as_bytes());
    let mut rng = SplitMix64::new(prompt_hash ^ seed.rotate_left(29) ^ 0x7061_6c65_7474_6521);
    let tone = |color: Rgb, strength: f32| {
        found
            .moods
            .iter()
            .fold(color, |c, mood| apply_tone(c, mood.tone, strength))
    };

    let mut colors: Vec<Rgb> = found
        .named
        .iter()
        .map(|&(_, color)| tone(color, NAMED_TONE_STRENGTH))
        .collect();
    let anchors = found.moods.iter().flat_map(|mood| mood.anchors);
    for &anchor in anchors.take(MAX_COLORS.saturating_sub(colors.len())) {
        colors.push(tone(Rgb::from_bytes(anchor), 1.0));
    }

    let wanted = colors.len().max(4 + rng.below(2)).min(MAX_COLORS);
    let harmony = Harmony::for_prompt(&found, prompt_hash);
    for index in 0..wanted.saturating_sub(colors.len()) {
        let generated = harmony.generate(&colors, index, &mut rng);
        colors.push(tone(generated, 1.0));
    }

    colors.into_iter().map(Rgb::to_bytes).collect()
}

/// Lower-cased words; anything that is not a letter or digit separates words, so "blue-green",
/// "red," and "(gold)" all match.
fn words_of(prompt: &str) -> Vec<String> {
    prompt
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect()
}

struct Found {
    /// At most [`MAX_COLORS`] named colours by canonical name ("golden" is "gold", "gray" is
    /// "grey", so each counts once), in prompt order, modifiers already applied.
    named: Vec<(&'static str, Rgb)>,
    moods: Vec<&'static Mood>,
}

fn find_colors_and_moods(words: &[String]) -> Found {
    let mut found = Found {
        named: Vec::new(),
        moods: Vec::new(),
    };
    for (index, word) in words.iter().enumerate() {
        if let Some((name, rgb)) = color_word(word) {
            let already_named = found.named.iter().any(|&(seen, _)| seen == name);
            if !already_named && found.named.len() < MAX_COLORS {
                let previous = index.checked_sub(1).map(|i| words[i].as_str());
                found
                    .named
                    .push((name, modified(Rgb::from_bytes(rgb), previous)));
            }
            continue;
        }
        // "dark" in "dark red" belongs to the colour; only a free-standing "dark" is a mood.
        let modifies_next = modifier(word).is_some()
            && words
                .get(index + 1)
                .is_some_and(|next| color_word(next).is_some());
        if modifies_next {
            continue;
        }
        if let Some(mood) = mood_word(word) {
            if !found.moods.iter().any(|seen| std::ptr::eq(*seen, mood)) {
                found.moods.push(mood);
            }
        }
    }
    found
}

fn color_word(word: &str) -> Option<(&'static str, [u8; 3])> {
    COLOR_WORDS
        .iter()
        .find(|(candidate, _, _)| *candidate == word)
        .map(|&(_, name, rgb)| (name, rgb))
}

fn modifier(word: &str) -> Option<(f32, f32)> {
    MODIFIERS
        .iter()
        .find(|(candidate, _, _)| *candidate == word)
        .map(|&(_, lightness, chroma)| (lightness, chroma))
}

fn mood_word(word: &str) -> Option<&'static Mood> {
    MOODS.iter().find(|mood| mood.words.contains(&word))
}

fn modified(color: Rgb, previous_word: Option<&str>) -> Rgb {
    match previous_word.and_then(modifier) {
        Some((lightness_shift, chroma_scale)) => {
            let mut lch = color.to_oklch();
            lch.l = (lch.l + lightness_shift).clamp(0.05, 0.97);
            lch.c *= chroma_scale;
            lch.to_rgb()
        }
        None => color,
    }
}

fn apply_tone(color: Rgb, tone: Tone, strength: f32) -> Rgb {
    let mut lch = color.to_oklch();
    lch.l += (tone.lightness_target - lch.l) * tone.lightness_pull * strength;
    lch.c *= tone.chroma_scale.powf(strength);
    lch.to_rgb()
}

/// How the missing colours are generated.
struct Harmony {
    main_hue: f32,
    offsets: [f32; 4],
    allowed_hues: Option<HueArc>,
    chroma: f32,
}

impl Harmony {
    fn for_prompt(found: &Found, prompt_hash: u64) -> Self {
        let allowed_hues = found.moods.iter().find_map(|mood| mood.hues);
        // The prompt's own colours lead, then the colours its moods bring in.
        let anchors = found
            .moods
            .iter()
            .flat_map(|mood| mood.anchors)
            .map(|&c| Rgb::from_bytes(c));
        let leading_hue = found
            .named
            .iter()
            .map(|&(_, color)| color)
            .chain(anchors)
            .map(Rgb::to_oklch)
            .find(|lch| lch.c > ACHROMATIC_CHROMA)
            .map(|lch| lch.h);
        let hash_unit = |shift: u32| ((prompt_hash >> shift) & 0xffff) as f32 / 65_536.0;
        let main_hue = leading_hue.unwrap_or_else(|| match allowed_hues {
            Some(arc) => arc.center + (hash_unit(0) * 2.0 - 1.0) * arc.half_width,
            None => hash_unit(0) * 360.0,
        });
        // Inside a mood's hue range only close neighbours fit; elsewhere any harmony works.
        let offsets = match allowed_hues {
            Some(_) => ANALOGOUS,
            None => HARMONIES[((prompt_hash >> 16) % HARMONIES.len() as u64) as usize],
        };
        Self {
            main_hue,
            offsets,
            allowed_hues,
            chroma: 0.08 + 0.06 * hash_unit(32),
        }
    }

    fn generate(&self, existing: &[Rgb], index: usize, rng: &mut SplitMix64) -> Rgb {
        let lightness = emptiest_lightness_level(existing);
        let offset = self.offsets[index % self.offsets.len()];
        let hue = shade_toward_cool(self.main_hue + offset + rng.range(-8.0, 8.0), lightness);
        let hue = match self.allowed_hues {
            Some(arc) => clamp_hue(hue, arc),
            None => hue,
        };
        // A harmony reads best with one dominant hue: colours across the wheel from it are
        // kept quiet so they accent instead of competing (red plus full cyan is garish).
        let across_the_wheel = (offset.abs() > 90.0) as u8 as f32;
        let chroma = self.chroma * chroma_envelope(lightness) * (1.0 - 0.45 * across_the_wheel);
        Oklch {
            l: lightness,
            c: chroma,
            h: hue.rem_euclid(360.0),
        }
        .to_rgb()
    }
}

/// Painters' hue shifting: shadows lean towards blue-violet. Without it a dark version of a
/// yellow or orange hue comes out as mud-brown or olive.
fn shade_toward_cool(hue: f32, lightness: f32) -> f32 {
    const SHADOW_HUE: f32 = 275.0;
    let pull = ((0.5 - lightness) * 1.6).clamp(0.0, 0.5);
    let offset = (SHADOW_HUE - hue + 180.0).rem_euclid(360.0) - 180.0;
    hue + offset * pull
}

fn emptiest_lightness_level(existing: &[Rgb]) -> f32 {
    let lightnesses: Vec<f32> = existing.iter().map(|c| c.lightness()).collect();
    let distance_to_nearest = |level: f32| {
        lightnesses
            .iter()
            .map(|l| (l - level).abs())
            .fold(f32::INFINITY, f32::min)
    };
    LIGHTNESS_LEVELS
        .into_iter()
        .max_by(|a, b| distance_to_nearest(*a).total_cmp(&distance_to_nearest(*b)))
        .unwrap_or(LIGHTNESS_LEVELS[0])
}

/// Very dark and very light colours carry less chroma, as real paints do; full chroma there
/// looks neon and cheap.
fn chroma_envelope(lightness: f32) -> f32 {
    let distance = (lightness - 0.62) / 0.5;
    (1.0 - distance * distance).clamp(0.3, 1.0)
}

fn clamp_hue(hue: f32, arc: HueArc) -> f32 {
    let offset = (hue - arc.center + 180.0).rem_euclid(360.0) - 180.0;
    arc.center + offset.clamp(-arc.half_width, arc.half_width)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_reddish([r, g, b]: [u8; 3]) -> bool {
        r > 150 && r > g.saturating_add(60) && r > b.saturating_add(60)
    }

    /// Canonical names of the colour words that made it into the palette.
    fn named(prompt: &str) -> Vec<&'static str> {
        let found = find_colors_and_moods(&words_of(prompt));
        found.named.iter().map(|&(name, _)| name).collect()
    }

    fn is_cool(color: [u8; 3]) -> bool {
        let lch = Rgb::from_bytes(color).to_oklch();
        lch.c < ACHROMATIC_CHROMA || (180.0..=300.0).contains(&lch.h)
    }

    #[test]
    fn a_red_barn_has_red() {
        let palette = palette_for("a red barn", 3);
        assert_eq!(named("a red barn"), ["red"]);
        assert!(palette.iter().any(|&c| is_reddish(c)), "{palette:?}");
    }

    #[test]
    fn icy_blue_is_cool_throughout() {
        assert_eq!(named("Icy blue"), ["blue"]);
        for seed in 0..20 {
            let palette = palette_for("Icy blue", seed);
            assert!(palette.iter().all(|&c| is_cool(c)), "{palette:?}");
        }
    }

    #[test]
    fn warm_words_keep_generated_hues_warm() {
        let palette = palette_for("warm", 9);
        let warm = |c: [u8; 3]| {
            let h = Rgb::from_bytes(c).to_oklch().h;
            !(100.0..=350.0).contains(&h)
        };
        assert!(palette.iter().all(|&c| warm(c)), "{palette:?}");
    }

    #[test]
    fn matching_is_whole_word_and_ignores_case_and_punctuation() {
        assert_eq!(named("Redwood trees, Fred's shed"), Vec::<&str>::new());
        assert_eq!(
            named("(GOLDEN) light; blue-green!"),
            ["gold", "blue", "green"]
        );
        assert_eq!(named("grey and gray"), ["grey"]);
    }

    #[test]
    fn no_color_words_still_give_a_spread_palette() {
        let palette = palette_for("a quiet harbour at noon", 7);
        assert!(named("a quiet harbour at noon").is_empty());
        assert!((4..=5).contains(&palette.len()));
        let lightness: Vec<f32> = palette
            .iter()
            .map(|&c| Rgb::from_bytes(c).lightness())
            .collect();
        let spread = lightness.iter().cloned().fold(f32::MIN, f32::max)
            - lightness.iter().cloned().fold(f32::MAX, f32::min);
        assert!(spread > 0.4, "palette too flat: {palette:?}");
    }

    #[test]
    fn different_prompts_without_colors_differ() {
        assert_ne!(
            palette_for("a quiet harbour", 1),
            palette_for("a city street", 1)
        );
    }

    #[test]
    fn many_colors_are_capped_at_five() {
        let prompt = "red orange yellow green blue indigo violet";
        assert_eq!(palette_for(prompt, 1).len(), MAX_COLORS);
        assert_eq!(named(prompt), ["red", "orange", "yellow", "green", "blue"]);
    }

    #[test]
    fn modifiers_change_the_named_color() {
        let plain = Rgb::from_bytes(palette_for("red", 1)[0]).lightness();
        let dark = Rgb::from_bytes(palette_for("dark red", 1)[0]).lightness();
        let pale = Rgb::from_bytes(palette_for("pale red", 1)[0]).lightness();
        assert!(dark < plain && plain < pale);
    }

    #[test]
    fn pastel_lightens_everything() {
        let palette = palette_for("pastel garden", 4);
        assert!(
            palette
                .iter()
                .all(|&c| Rgb::from_bytes(c).lightness() > 0.55),
            "{palette:?}"
        );
    }
}
