//! The `[admin]` and `[hot_swap]` tables: how a running pipeline is reached
//! and how it takes new plugin versions. What a swap does is
//! `plugin::registry`'s; this module only says what the user may write.

use std::net::SocketAddr;

use serde::Deserialize;

use super::ConfigError;

/// The admin HTTP server (off unless `listen` is given).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminConfig {
    /// `host:port`, e.g. `127.0.0.1:9600`.
    #[serde(default)]
    pub listen: Option<SocketAddr>,
}

/// How plugin versions change while the pipeline runs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HotSwapConfig {
    /// Watch each plugin's `path` and promote a changed file.
    #[serde(default)]
    pub watch: bool,
    /// Quiet time after the last change to a watched file before it is
    /// read, so a file still being written is never loaded.
    #[serde(default = "HotSwapConfig::default_debounce_ms")]
    pub debounce_ms: u64,
    /// Restores the previous version by itself when a new one faults too often.
    #[serde(default)]
    pub auto_rollback: Option<AutoRollbackConfig>,
}

/// A new version is on probation for its first `window_records` records:
/// once more than `max_fault_rate` of that window has faulted (trap,
/// timeout, memory cap), the previous version is restored.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoRollbackConfig {
    pub max_fault_rate: f64,
    #[serde(default = "AutoRollbackConfig::default_window_records")]
    pub window_records: u64,
}

impl HotSwapConfig {
    fn default_debounce_ms() -> u64 {
        250
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.debounce_ms == 0 {
            return Err(ConfigError::invalid(
                "hot_swap.debounce_ms",
                "must be at least 1",
            ));
        }
        if let Some(rollback) = &self.auto_rollback {
            if !(rollback.max_fault_rate > 0.0 && rollback.max_fault_rate < 1.0) {
                return Err(ConfigError::invalid(
                    "hot_swap.auto_rollback.max_fault_rate",
                    "must be above 0 and below 1 (a share of the window's records)",
                ));
            }
            if rollback.window_records == 0 {
                return Err(ConfigError::invalid(
                    "hot_swap.auto_rollback.window_records",
                    "must be at least 1",
                ));
            }
        }
        Ok(())
    }
}

impl Default for HotSwapConfig {
    fn default() -> Self {
        HotSwapConfig {
            watch: false,
            debounce_ms: Self::default_debounce_ms(),
            auto_rollback: None,
        }
    }
}

impl AutoRollbackConfig {
    fn default_window_records() -> u64 {
        1_000
    }
}
