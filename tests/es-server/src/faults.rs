//! Injected faults and the counters tests assert on.
//!
//! Every decision draws from one seeded generator in request (and item) order, so the same
//! seed and the same request sequence fail the same requests and items. Setting faults
//! re-seeds the generator.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What to break. Rates are shares in `[0, 1]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    pub seed: u64,
    /// Share of whole `_bulk` requests answered 429 `es_rejected_execution_exception`.
    pub bulk_reject_rate: f64,
    /// Share of bulk items answered 429 inside an HTTP 200 `errors: true` response.
    pub item_reject_rate: f64,
    /// Share of requests answered with `unavailable_status` (502, 503 or 504).
    pub unavailable_rate: f64,
    pub unavailable_status: u16,
    /// Added before every response.
    pub delay_ms: u64,
    /// Share of requests whose connection is closed without a response. The request is
    /// dropped *before* it is applied, so a dropped write never happened.
    pub drop_rate: f64,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            seed: 0,
            bulk_reject_rate: 0.0,
            item_reject_rate: 0.0,
            unavailable_rate: 0.0,
            unavailable_status: 503,
            delay_ms: 0,
            drop_rate: 0.0,
        }
    }
}

impl Faults {
    pub fn validate(&self) -> Result<(), String> {
        for (name, rate) in [
            ("bulk_reject_rate", self.bulk_reject_rate),
            ("item_reject_rate", self.item_reject_rate),
            ("unavailable_rate", self.unavailable_rate),
            ("drop_rate", self.drop_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("{name} must be within [0, 1], got {rate}"));
            }
        }
        if ![502, 503, 504].contains(&self.unavailable_status) {
            return Err(format!(
                "unavailable_status must be 502, 503 or 504, got {}",
                self.unavailable_status
            ));
        }
        Ok(())
    }
}

/// SplitMix64: tiny, seedable, good enough to pick faults.
#[derive(Debug, Clone)]
pub struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// True with probability `rate`; draws nothing when the rate is 0 or 1.
    pub fn roll(&mut self, rate: f64) -> bool {
        if rate <= 0.0 {
            return false;
        }
        if rate >= 1.0 {
            return true;
        }
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        ((z >> 11) as f64 / (1u64 << 53) as f64) < rate
    }
}

/// Counters readable at `GET /_test/stats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Every request received, control endpoints excluded.
    pub requests: u64,
    pub bulk_requests: u64,
    /// Bulk items answered, by item status (`"201"`, `"200"`, `"400"`, `"409"`, `"429"`, ...).
    pub bulk_items: BTreeMap<u16, u64>,
    pub payload_too_large: u64,
    pub faults: FaultStats,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FaultStats {
    pub bulk_rejected: u64,
    pub items_rejected: u64,
    pub unavailable: u64,
    pub dropped: u64,
    pub delayed: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_rolls_the_same_faults() {
        let rolls = |seed| {
            let mut dice = Dice::new(seed);
            (0..64).map(|_| dice.roll(0.3)).collect::<Vec<_>>()
        };
        assert_eq!(rolls(7), rolls(7));
        assert_ne!(rolls(7), rolls(8));
        let hits = rolls(7).iter().filter(|&&b| b).count();
        assert!((8..=32).contains(&hits), "{hits} of 64 at rate 0.3");
    }

    #[test]
    fn rates_outside_zero_one_are_refused() {
        let faults = Faults {
            drop_rate: 1.5,
            ..Faults::default()
        };
        assert_eq!(
            faults.validate().unwrap_err(),
            "drop_rate must be within [0, 1], got 1.5"
        );
    }
}
