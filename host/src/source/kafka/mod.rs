//! A Kafka consumer group as a source, with at-least-once delivery.
//!
//! Records come from librdkafka's consumer queue in batches: the first poll
//! of a batch waits up to `poll_timeout_ms`, the rest only take what is
//! already fetched. Order within a partition is kept because one thread
//! hands records out in queue order and the pipeline keeps batch order.
//!
//! Memory stays bounded without buffering of our own: the pipeline asks for
//! the next batch only after the previous one went through the sink, so a
//! slow sink leaves records in librdkafka's prefetch queue, and librdkafka
//! stops fetching (in effect pausing every partition) once that queue holds
//! `queued.max.messages.kbytes` (16 MiB here unless set). A sink that blocks
//! longer than `max.poll.interval.ms` gets the member removed from the group;
//! its partitions then move to other members, which redeliver from the last
//! commit.
//!
//! Offsets: see [`offsets`]. Commits happen when the pipeline calls
//! [`Source::commit`] (periodically and at the end, after flushing every
//! output), on partition revocation (only what the last `commit` settled),
//! and when the consumer closes.

mod config;
mod consumer;
mod offsets;

pub use config::{KafkaConfig, StartPosition};

use std::sync::Arc;
use std::time::Duration;

use rdkafka::Message;
use rdkafka::consumer::Consumer;
use rdkafka::error::KafkaError;

use self::consumer::{GroupConsumer, GroupContext};
use super::{Batch, Source, SourceError};
use crate::record::{Origin, RawRecord};

pub struct KafkaSource {
    consumer: GroupConsumer,
    /// The subscribed topic names, shared by every record's origin.
    topics: Vec<Arc<str>>,
    poll_timeout: Duration,
    stop_at_end: bool,
}

impl KafkaSource {
    /// Creates the consumer and subscribes; partitions arrive with the first
    /// polls, once the group has balanced.
    pub fn connect(config: &KafkaConfig) -> Result<Self, SourceError> {
        let consumer: GroupConsumer = config
            .client_config()
            .create_with_context(GroupContext::default())
            .map_err(|source| SourceError::Kafka {
                doing: "creating the consumer".into(),
                source,
            })?;
        let names: Vec<&str> = config.topics.iter().map(String::as_str).collect();
        consumer
            .subscribe(&names)
            .map_err(|source| SourceError::Kafka {
                doing: format!("subscribing to {}", names.join(", ")),
                source,
            })?;
        Ok(KafkaSource {
            consumer,
            topics: config
                .topics
                .iter()
                .map(|t| Arc::from(t.as_str()))
                .collect(),
            poll_timeout: Duration::from_millis(config.poll_timeout_ms),
            stop_at_end: config.stop_at_end,
        })
    }

    fn topic(&self, name: &str) -> Arc<str> {
        self.topics
            .iter()
            .find(|topic| &***topic == name)
            .cloned()
            .unwrap_or_else(|| name.into())
    }

    fn read_to_end(&self) -> Result<bool, SourceError> {
        let assigned = self
            .consumer
            .assignment()
            .map_err(|source| SourceError::Kafka {
                doing: "reading the assignment".into(),
                source,
            })?;
        let assigned = consumer::partitions_of(&assigned);
        Ok(self.consumer.context().offsets().all_at_end(&assigned))
    }
}

impl Source for KafkaSource {
    fn next_batch(&mut self, max: usize) -> Result<Batch, SourceError> {
        let mut records = Vec::with_capacity(max.min(4096));
        let mut timeout = self.poll_timeout;
        while records.len() < max {
            let message = match self.consumer.poll(timeout) {
                None => break,
                Some(Ok(message)) => message,
                Some(Err(KafkaError::PartitionEOF(partition))) => {
                    self.consumer.context().offsets().reached_end(partition);
                    timeout = Duration::ZERO;
                    continue;
                }
                Some(Err(KafkaError::MessageConsumptionFatal(code))) => {
                    return Err(SourceError::Kafka {
                        doing: "consuming".into(),
                        source: KafkaError::MessageConsumptionFatal(code),
                    });
                }
                Some(Err(error)) => {
                    // Broker restarts, leader moves, timeouts: librdkafka
                    // reconnects and refetches by itself.
                    tracing::warn!(%error, "kafka consumer error (retrying)");
                    break;
                }
            };
            let topic = self.topic(message.topic());
            let (partition, offset) = (message.partition(), message.offset());
            self.consumer
                .context()
                .offsets()
                .hand_out(&topic, partition, offset);
            records.push(RawRecord {
                origin: Origin {
                    source: topic,
                    partition: Some(partition),
                    offset: u64::try_from(offset).unwrap_or_default(),
                    original: None,
                },
                bytes: message.payload().unwrap_or_default().to_vec(),
            });
            timeout = Duration::ZERO;
        }
        if !records.is_empty() {
            Ok(Batch::Records(records))
        } else if self.stop_at_end && self.read_to_end()? {
            Ok(Batch::End)
        } else {
            Ok(Batch::Idle)
        }
    }

    fn commit(&mut self) -> Result<(), SourceError> {
        let pending = {
            let mut offsets = self.consumer.context().offsets();
            offsets.settle();
            offsets.uncommitted()
        };
        if pending.is_empty() {
            return Ok(());
        }
        match consumer::commit(&self.consumer, &pending) {
            Ok(()) => self.consumer.context().offsets().committed(&pending),
            // Kept pending: the next commit, a revocation or closing the
            // consumer tries again; until then a crash only costs duplicates.
            Err(error) => tracing::warn!(%error, "offset commit failed (retried later)"),
        }
        Ok(())
    }
}
