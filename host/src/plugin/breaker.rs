//! A plugin's circuit breaker: the fault rate over the last records the
//! plugin saw, and whether the plugin sees the next batch.
//!
//! Closed, it counts. When at least `fault_rate` of a `window` of records
//! faulted, it trips open: the chain then bypasses the plugin or
//! dead-letters its records (or, for `stop`, fails the run). After
//! `probe_after_ms` one record is let through: if the plugin decides it,
//! the breaker closes with a clean window; if it faults, the breaker stays
//! open for another interval.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::instance::PluginFault;
use crate::config::{BreakerConfig, TripAction};

pub(crate) struct Breaker {
    config: BreakerConfig,
    /// Faults needed in the window to trip.
    threshold: usize,
    /// Whether each of the last records (up to `window`) faulted.
    recent: VecDeque<bool>,
    faults: usize,
    open_since: Option<Instant>,
    last_fault: String,
}

/// Whether the next batch goes to the plugin.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Gate {
    Closed,
    /// Open long enough: one record goes to the plugin to test it.
    Probe,
    Open,
}

impl Breaker {
    pub fn new(config: BreakerConfig) -> Self {
        let threshold = (config.fault_rate * config.window as f64).ceil() as usize;
        Breaker {
            config,
            threshold: threshold.clamp(1, config.window),
            recent: VecDeque::with_capacity(config.window),
            faults: 0,
            open_since: None,
            last_fault: String::new(),
        }
    }

    pub fn gate(&self, now: Instant) -> Gate {
        let probe_after = Duration::from_millis(self.config.probe_after_ms);
        match self.open_since {
            None => Gate::Closed,
            Some(since)
                if self.config.on_trip != TripAction::Stop
                    && now.duration_since(since) >= probe_after =>
            {
                Gate::Probe
            }
            Some(_) => Gate::Open,
        }
    }

    /// Books one record the plugin saw (`fault` if it faulted on it);
    /// `true` when this record trips the breaker.
    pub fn record(&mut self, fault: Option<&PluginFault>, now: Instant) -> bool {
        if self.recent.len() == self.config.window && self.recent.pop_front() == Some(true) {
            self.faults -= 1;
        }
        self.recent.push_back(fault.is_some());
        let Some(fault) = fault else {
            return false;
        };
        self.faults += 1;
        self.last_fault = fault.to_string();
        if self.open_since.is_none() && self.faults >= self.threshold {
            self.open_since = Some(now);
            return true;
        }
        false
    }

    /// The probe passed: counting starts over.
    pub fn close(&mut self) {
        self.open_since = None;
        self.recent.clear();
        self.faults = 0;
    }

    /// The probe faulted: another interval open.
    pub fn reopen(&mut self, now: Instant) {
        self.open_since = Some(now);
    }

    pub fn is_open(&self) -> bool {
        self.open_since.is_some()
    }

    pub fn action(&self) -> TripAction {
        self.config.on_trip
    }

    pub fn faults(&self) -> usize {
        self.faults
    }

    /// Records the current fault count is over.
    pub fn window(&self) -> usize {
        self.recent.len()
    }

    pub fn last_fault(&self) -> &str {
        &self.last_fault
    }

    /// Why the breaker is open, for logs and dead letters.
    pub fn why(&self) -> String {
        format!(
            "{} of its last {} records faulted (last: {})",
            self.faults,
            self.recent.len(),
            self.last_fault
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker(on_trip: TripAction, probe_after_ms: u64) -> Breaker {
        Breaker::new(BreakerConfig {
            on_trip,
            window: 10,
            fault_rate: 0.5,
            probe_after_ms,
        })
    }

    #[test]
    fn trips_at_the_fault_rate_over_the_window_only() {
        let mut breaker = breaker(TripAction::DeadLetter, 1_000);
        let now = Instant::now();
        let fault = PluginFault::StackOverflow;
        // Faults spread thinner than half a window never trip it.
        for _ in 0..30 {
            assert!(!breaker.record(Some(&fault), now));
            for _ in 0..2 {
                assert!(!breaker.record(None, now));
            }
        }
        assert_eq!(breaker.gate(now), Gate::Closed);
        let tripped: Vec<bool> = (0..5).map(|_| breaker.record(Some(&fault), now)).collect();
        // The window before held 3 faults (every third record): the third new
        // one makes 5 of 10.
        assert_eq!(tripped, [false, false, true, false, false]);
        assert_eq!(breaker.gate(now), Gate::Open);
        assert!(
            breaker
                .why()
                .starts_with("6 of its last 10 records faulted")
        );
    }

    #[test]
    fn probes_after_the_interval_except_for_stop() {
        let start = Instant::now();
        let later = start + Duration::from_millis(1_000);
        let fault = PluginFault::StackOverflow;
        let mut bypass = breaker(TripAction::Bypass, 1_000);
        let mut stop = breaker(TripAction::Stop, 1_000);
        for _ in 0..5 {
            bypass.record(Some(&fault), start);
            stop.record(Some(&fault), start);
        }
        assert_eq!(bypass.gate(later), Gate::Probe);
        assert_eq!(stop.gate(later), Gate::Open);
        bypass.reopen(later);
        assert_eq!(bypass.gate(later), Gate::Open);
        bypass.close();
        assert_eq!((bypass.gate(later), bypass.faults()), (Gate::Closed, 0));
    }
}
