//! What a picture costs. Each model may declare a price per image (one price, or one per
//! quality), in its currency, with the date the price list was read; the form shows the estimate,
//! the session adds up what was spent, and provenance records it. An unknown price is said to be
//! unknown, never guessed.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A model's price list. Amounts are in millionths of the currency unit, so sums are exact.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prices {
    /// ISO 4217 code: "USD", "CNY".
    pub currency: String,
    /// When the public price list was read, e.g. "2026-11".
    pub as_of: String,
    #[serde(default)]
    pub per_image_micros: Option<u64>,
    /// By quality, where the price depends on it (e.g. gpt-image-1's low / medium / high).
    #[serde(default)]
    pub by_quality_micros: BTreeMap<String, u64>,
    /// What each streamed rough preview adds (OpenAI bills 100 more output tokens for each).
    #[serde(default)]
    pub per_preview_micros: u64,
}

/// The price of one picture.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Price {
    pub micros: u64,
    pub currency: String,
}

impl Prices {
    /// One picture at `quality`, with `previews` rough previews streamed while it was drawn.
    pub fn of(&self, quality: Option<&str>, previews: u8) -> Option<Price> {
        let micros = quality
            .and_then(|q| self.by_quality_micros.get(q).copied())
            .or(self.per_image_micros)?;
        Some(Price {
            micros: micros + u64::from(previews) * self.per_preview_micros,
            currency: self.currency.clone(),
        })
    }
}

impl Price {
    /// "$0.042", "¥0.20", "€0.05"; other currencies by code ("0.04 GBP").
    pub fn display(&self) -> String {
        display(self.micros, &self.currency)
    }
}

fn display(micros: u64, currency: &str) -> String {
    // Three decimals where a price has tenths of a cent (cheap models); two otherwise. Integer
    // arithmetic only: float formatting would add tens of kilobytes to the browser bundle.
    let digits: u32 = if micros.is_multiple_of(10_000) { 2 } else { 3 };
    let step = 10u64.pow(6 - digits);
    let scaled = (micros + step / 2) / step;
    let (units, fraction) = (scaled / 10u64.pow(digits), scaled % 10u64.pow(digits));
    let width = digits as usize;
    let amount = format!("{units}.{fraction:0width$}");
    match currency {
        "USD" => format!("${amount}"),
        "CNY" => format!("¥{amount}"),
        "EUR" => format!("€{amount}"),
        other => format!("{amount} {other}"),
    }
}

/// What a session spent, per currency, and how many pictures had no known price.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Spent {
    pub by_currency: BTreeMap<String, u64>,
    pub unpriced: usize,
}

impl Spent {
    pub fn of<'a>(costs: impl IntoIterator<Item = Option<&'a Price>>) -> Spent {
        let mut spent = Spent::default();
        for cost in costs {
            match cost {
                Some(price) => {
                    *spent.by_currency.entry(price.currency.clone()).or_default() += price.micros
                }
                None => spent.unpriced += 1,
            }
        }
        spent
    }

    /// "$0.21 + ¥0.40", followed by `unpriced(n)` (" and 1 picture of unknown price", in the
    /// page's language) when some had no price.
    pub fn display(&self, unpriced: fn(usize) -> String) -> String {
        let mut text = self
            .by_currency
            .iter()
            .map(|(currency, micros)| display(*micros, currency))
            .collect::<Vec<_>>()
            .join(" + ");
        if text.is_empty() {
            text = display(0, "USD");
        }
        match self.unpriced {
            0 => text,
            n => text + &unpriced(n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gpt_image_1() -> Prices {
        Prices {
            currency: "USD".into(),
            as_of: "2026-11".into(),
            per_image_micros: Some(42_000),
            by_quality_micros: BTreeMap::from([("low".into(), 11_000), ("high".into(), 167_000)]),
            per_preview_micros: 0,
        }
    }

    #[test]
    fn a_quality_price_wins_over_the_per_image_price() {
        let prices = gpt_image_1();
        assert_eq!(prices.of(Some("high"), 0).unwrap().display(), "$0.167");
        assert_eq!(prices.of(Some("auto"), 0).unwrap().display(), "$0.042");
        assert_eq!(prices.of(None, 0).unwrap().micros, 42_000);
        let previewed = Prices {
            per_preview_micros: 4_000,
            ..prices.clone()
        };
        assert_eq!(
            previewed.of(Some("high"), 2).unwrap().micros,
            175_000,
            "each preview adds its price"
        );
        assert_eq!(
            Prices::default().of(Some("high"), 0),
            None,
            "unknown stays unknown"
        );
    }

    #[test]
    fn prices_read_in_their_own_currency() {
        let yuan = Price {
            micros: 200_000,
            currency: "CNY".into(),
        };
        assert_eq!(yuan.display(), "¥0.20");
        let pounds = Price {
            micros: 40_000,
            currency: "GBP".into(),
        };
        assert_eq!(pounds.display(), "0.04 GBP");
    }

    #[test]
    fn a_session_adds_up_per_currency_and_counts_the_unpriced() {
        let usd = Price {
            micros: 42_000,
            currency: "USD".into(),
        };
        let cny = Price {
            micros: 200_000,
            currency: "CNY".into(),
        };
        let spent = Spent::of([Some(&usd), Some(&usd), None, Some(&cny)]);
        let unpriced = |n: usize| format!(" and {n} unpriced");
        assert_eq!(spent.display(unpriced), "¥0.20 + $0.084 and 1 unpriced");
        assert_eq!(Spent::of([]).display(unpriced), "$0.00");
    }
}
