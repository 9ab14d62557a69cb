//! The `[source]` table of a Kafka pipeline and the librdkafka settings it
//! becomes.

use std::collections::BTreeMap;

use rdkafka::ClientConfig;
use serde::Deserialize;

use crate::config::ConfigError;
use crate::librdkafka;

/// `type = "kafka"`: a consumer group reading one or more topics.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaConfig {
    /// `host:port` of one or more brokers to bootstrap from.
    pub brokers: Vec<String>,
    /// Every topic feeds this one pipeline.
    pub topics: Vec<String>,
    pub group_id: String,
    /// Where a partition without a committed offset starts.
    #[serde(default)]
    pub start: StartPosition,
    /// End the run once every assigned partition has been read to its end
    /// (batch replays and tests); otherwise the run waits for new records
    /// until it is stopped.
    #[serde(default)]
    pub stop_at_end: bool,
    /// How long one poll waits for a record before the pipeline gets an idle
    /// turn (to commit, or to notice a stop request).
    #[serde(default = "KafkaConfig::default_poll_timeout_ms")]
    pub poll_timeout_ms: u64,
    /// Passed to librdkafka as they are (`session.timeout.ms`,
    /// `queued.max.messages.kbytes`, `security.protocol`, ...).
    #[serde(default)]
    pub settings: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartPosition {
    #[default]
    Earliest,
    Latest,
}

/// Settings the source sets itself: delivery depends on them, so a
/// pass-through value would silently break at-least-once.
const OWNED_SETTINGS: &[(&str, &str)] = &[
    ("bootstrap.servers", "use `source.brokers`"),
    ("group.id", "use `source.group_id`"),
    ("auto.offset.reset", "use `source.start`"),
    (
        "enable.auto.commit",
        "offsets are committed only after the sink flushed the records",
    ),
    (
        "enable.auto.offset.store",
        "offsets are committed only after the sink flushed the records",
    ),
    (
        "enable.partition.eof",
        "`source.stop_at_end` finds the end from the watermarks",
    ),
];

/// Defaults that keep memory bounded: librdkafka prefetches into one queue
/// for the whole consumer and stops fetching when the queue holds this much
/// (its own default is 64 MiB and 100,000 messages). A full queue is the
/// normal state of a consumer slower than its brokers, and librdkafka then
/// waits `fetch.queue.backoff.ms` (1 s by default) before fetching again:
/// with that default the pipeline spent 5 of 7 s waiting for records
/// (benches/kafka), so it is 10 ms here.
///
/// The cooperative-sticky assignor instead of librdkafka's eager
/// `range,roundrobin`: a rebalance revokes only the partitions that move,
/// so members joining or leaving do not stop the others' partitions.
const DEFAULT_SETTINGS: &[(&str, &str)] = &[
    ("queued.max.messages.kbytes", "16384"),
    ("queued.min.messages", "20000"),
    ("fetch.queue.backoff.ms", "10"),
    ("partition.assignment.strategy", "cooperative-sticky"),
];

impl KafkaConfig {
    fn default_poll_timeout_ms() -> u64 {
        100
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.brokers.iter().all(|b| b.trim().is_empty()) {
            return Err(ConfigError::invalid("source.brokers", "lists no broker"));
        }
        if self.topics.is_empty() || self.topics.iter().any(|t| t.trim().is_empty()) {
            return Err(ConfigError::invalid(
                "source.topics",
                "must list one or more topic names",
            ));
        }
        if self.group_id.trim().is_empty() {
            return Err(ConfigError::invalid("source.group_id", "is empty"));
        }
        if self.poll_timeout_ms == 0 {
            return Err(ConfigError::invalid(
                "source.poll_timeout_ms",
                "must be at least 1",
            ));
        }
        librdkafka::validate("source.settings", &self.settings, OWNED_SETTINGS)
    }

    /// The consumer's librdkafka configuration.
    pub fn client_config(&self) -> ClientConfig {
        let mut client = librdkafka::client_config(DEFAULT_SETTINGS, &self.settings);
        client
            .set("bootstrap.servers", self.brokers.join(","))
            .set("group.id", &self.group_id)
            .set(
                "auto.offset.reset",
                match self.start {
                    StartPosition::Earliest => "earliest",
                    StartPosition::Latest => "latest",
                },
            )
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("enable.partition.eof", "false");
        client
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> KafkaConfig {
        toml::from_str(text).unwrap()
    }

    const BASE: &str = r#"
        brokers = ["127.0.0.1:9092"]
        topics = ["tweets"]
        group_id = "sluice"
    "#;

    #[test]
    fn pass_through_settings_reach_librdkafka_as_text() {
        let config = parse(&format!(
            "{BASE}\n[settings]\n\"session.timeout.ms\" = 6000\n\"check.crcs\" = true\n"
        ));
        config.validate().unwrap();
        let client = config.client_config();
        assert_eq!(client.get("session.timeout.ms"), Some("6000"));
        assert_eq!(client.get("check.crcs"), Some("true"));
        assert_eq!(client.get("enable.auto.commit"), Some("false"));
        assert_eq!(client.get("auto.offset.reset"), Some("earliest"));
        assert_eq!(
            client.get("partition.assignment.strategy"),
            Some("cooperative-sticky")
        );
    }

    #[test]
    fn settings_that_would_break_delivery_are_refused_by_key() {
        let config = parse(&format!(
            "{BASE}\n[settings]\n\"enable.auto.commit\" = true\n"
        ));
        let error = config.validate().unwrap_err().to_string();
        assert!(
            error.contains("source.settings.enable.auto.commit"),
            "{error}"
        );
    }
}
