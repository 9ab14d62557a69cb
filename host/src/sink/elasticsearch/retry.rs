//! Which answers are retried, and when.
//!
//! Retried: HTTP 429 (indexing pressure), 502, 503 and 504 (a proxy or a
//! cluster without a master), connection errors and timeouts, for the whole
//! request; and items answered 429 (or 502-504) inside a 200 response, which
//! alone are sent again. Every other item error (mapping conflicts, parse
//! errors, limit errors: the 400 class, and 409) is permanent: retrying
//! cannot change Elasticsearch's answer, so the document is dead-lettered.
//!
//! Backoff doubles from `initial_backoff_ms` up to `max_backoff_ms`, with
//! "equal jitter" (half the step fixed, half random) so that requests that
//! failed together do not come back together. The budget is time, not
//! attempts: a cluster that restarts in 40 s is ridden out the same whether
//! requests fail fast (connection refused) or slowly (timeouts).

use std::time::{Duration, Instant};

use rand::Rng;

use super::config::RetryConfig;

/// What to do with a request or an item, by its HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Done,
    Retry,
    Permanent,
}

pub fn classify(status: u16) -> Class {
    match status {
        200..=299 => Class::Done,
        429 | 502 | 503 | 504 => Class::Retry,
        _ => Class::Permanent,
    }
}

/// The retry schedule of one `_bulk` request, from its first attempt.
#[derive(Debug)]
pub struct Backoff {
    config: RetryConfig,
    started: Instant,
    attempts: u32,
}

impl Backoff {
    pub fn start(config: RetryConfig) -> Self {
        Backoff {
            config,
            started: Instant::now(),
            attempts: 0,
        }
    }

    /// Attempts that failed so far.
    pub fn failures(&self) -> u32 {
        self.attempts
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// The wait before the next attempt, or `None` when it would end past
    /// the budget.
    pub fn next_delay(&mut self) -> Option<Duration> {
        let step = self.step(self.attempts);
        self.attempts += 1;
        let half = step / 2;
        let delay = half + rand::rng().random_range(Duration::ZERO..=step - half);
        (self.started.elapsed() + delay <= Duration::from_millis(self.config.max_elapsed_ms))
            .then_some(delay)
    }

    /// The un-jittered step after `failures` failures.
    fn step(&self, failures: u32) -> Duration {
        let initial = self.config.initial_backoff_ms;
        let millis = initial
            .saturating_mul(1u64.checked_shl(failures.min(63)).unwrap_or(u64::MAX))
            .min(self.config.max_backoff_ms);
        Duration::from_millis(millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pressure_and_unavailability_are_retried_client_errors_are_not() {
        assert_eq!(classify(201), Class::Done);
        assert_eq!(classify(200), Class::Done);
        for status in [429, 502, 503, 504] {
            assert_eq!(classify(status), Class::Retry, "{status}");
        }
        for status in [400, 401, 404, 409, 413, 500] {
            assert_eq!(classify(status), Class::Permanent, "{status}");
        }
    }

    #[test]
    fn delays_double_within_jitter_up_to_the_cap() {
        let mut backoff = Backoff::start(RetryConfig {
            initial_backoff_ms: 100,
            max_backoff_ms: 1_000,
            max_elapsed_ms: 3_600_000,
        });
        for step in [100, 200, 400, 800, 1000, 1000] {
            let delay = backoff.next_delay().unwrap();
            let step = Duration::from_millis(step);
            assert!(delay >= step / 2 && delay <= step, "{delay:?} for {step:?}");
        }
        assert_eq!(backoff.failures(), 6);
    }

    #[test]
    fn the_budget_ends_the_retries() {
        let mut backoff = Backoff::start(RetryConfig {
            initial_backoff_ms: 100,
            max_backoff_ms: 100,
            max_elapsed_ms: 40,
        });
        // The shortest possible delay (50 ms) is already past the budget.
        assert_eq!(backoff.next_delay(), None);
    }
}
