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
//!
//! Rebalances: the cooperative-sticky assignor by default, so a member
//! joining or leaving moves only the partitions that change owner and the
//! others keep flowing. A revoked partition's records still in the pipeline
//! are dropped before the sink ([`Source::revoked`]) and read again by its
//! new owner from the commit made on revocation.
//!
//! The end (`stop_at_end`): when nothing arrives within a poll, every
//! assigned partition's position (after the last record handed out, or its
//! committed offset) is compared with its high watermark, per topic and
//! partition.

mod config;
mod consumer;
mod offsets;

pub use config::{KafkaConfig, StartPosition};

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::Consumer;
use rdkafka::error::KafkaError;
use rdkafka::{Message, Offset, TopicPartitionList};

use self::consumer::{GroupConsumer, GroupContext};
use self::offsets::{Partition, start_position};
use super::{Batch, Source, SourceError, is_revoked};
use crate::record::{Origin, RawRecord};
use crate::report::PartitionLag;

/// How long a request for watermarks or committed offsets may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

pub struct KafkaSource {
    consumer: GroupConsumer,
    /// The subscribed topic names, shared by every record's origin.
    topics: Vec<Arc<str>>,
    poll_timeout: Duration,
    stop_at_end: bool,
    /// `start = "earliest"`: where a partition without a commit starts.
    earliest: bool,
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
            earliest: config.start == StartPosition::Earliest,
        })
    }

    fn topic(&self, name: &str) -> Arc<str> {
        self.topics
            .iter()
            .find(|topic| &***topic == name)
            .cloned()
            .unwrap_or_else(|| name.into())
    }

    fn assigned(&self) -> Result<Vec<Partition>, SourceError> {
        let assigned = self
            .consumer
            .assignment()
            .map_err(|source| SourceError::Kafka {
                doing: "reading the assignment".into(),
                source,
            })?;
        Ok(consumer::partitions_of(&assigned))
    }

    /// The group's committed offsets for `partitions`, from the broker;
    /// partitions without a commit are left out.
    fn committed(&self, partitions: &[Partition]) -> Result<BTreeMap<Partition, i64>, SourceError> {
        if partitions.is_empty() {
            return Ok(BTreeMap::new());
        }
        let mut list = TopicPartitionList::with_capacity(partitions.len());
        for (topic, partition) in partitions {
            list.add_partition(topic, *partition);
        }
        let committed = self
            .consumer
            .committed_offsets(list, REQUEST_TIMEOUT)
            .map_err(|source| SourceError::Kafka {
                doing: "fetching committed offsets".into(),
                source,
            })?;
        Ok(committed
            .elements()
            .iter()
            .filter_map(|element| match element.offset() {
                Offset::Offset(next) => {
                    Some(((Arc::from(element.topic()), element.partition()), next))
                }
                _ => None,
            })
            .collect())
    }

    /// `(low, high)`: the first offset still kept and the partition's end.
    fn watermarks(&self, (topic, partition): &Partition) -> Result<(i64, i64), SourceError> {
        self.consumer
            .fetch_watermarks(topic, *partition, REQUEST_TIMEOUT)
            .map_err(|source| SourceError::Kafka {
                doing: format!("fetching the end of {topic}/{partition}"),
                source,
            })
    }

    /// Every assigned partition has been read to its end: nothing after the
    /// last record handed out, or, where none was, after the position it
    /// starts from.
    fn read_to_end(&self) -> Result<bool, SourceError> {
        let assigned = self.assigned()?;
        if assigned.is_empty() {
            return Ok(false);
        }
        let next: Vec<Option<i64>> = {
            let offsets = self.consumer.context().offsets();
            assigned.iter().map(|p| offsets.next(p)).collect()
        };
        let unread: Vec<Partition> = assigned
            .iter()
            .zip(&next)
            .filter(|(_, next)| next.is_none())
            .map(|(partition, _)| partition.clone())
            .collect();
        let committed = self.committed(&unread)?;
        for (partition, next) in assigned.iter().zip(next) {
            let watermarks = self.watermarks(partition)?;
            let position = next.unwrap_or_else(|| {
                start_position(committed.get(partition).copied(), self.earliest, watermarks)
            });
            if position < watermarks.1 {
                return Ok(false);
            }
        }
        Ok(true)
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
        let revoked = self.revoked();
        if !revoked.is_empty() {
            // Taken away while this batch was being read: the new owner reads
            // them from the commit made on revocation.
            records.retain(|record| !is_revoked(&revoked, &record.origin));
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

    fn revoked(&self) -> Vec<(Arc<str>, i32)> {
        self.consumer.context().offsets().revoked_in_flight()
    }

    fn lag(&mut self) -> Vec<PartitionLag> {
        let lag = || -> Result<Vec<PartitionLag>, SourceError> {
            let assigned = self.assigned()?;
            let committed = self.committed(&assigned)?;
            assigned
                .into_iter()
                .map(|partition| {
                    let watermarks = self.watermarks(&partition)?;
                    let committed = committed.get(&partition).copied();
                    let start = start_position(committed, self.earliest, watermarks);
                    Ok(PartitionLag {
                        topic: partition.0.to_string(),
                        partition: partition.1,
                        committed,
                        end: watermarks.1,
                        lag: (watermarks.1 - start).max(0),
                    })
                })
                .collect()
        };
        lag().unwrap_or_else(|error| {
            tracing::warn!(%error, "consumer lag not measured");
            Vec::new()
        })
    }
}
