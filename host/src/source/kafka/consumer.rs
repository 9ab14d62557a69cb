//! The consumer group side: what happens when the group hands partitions
//! out or takes them away.

use std::sync::{Arc, Mutex, MutexGuard};

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaResult;
use rdkafka::{ClientContext, Offset, TopicPartitionList};

use super::offsets::{Offsets, Partition};

pub type GroupConsumer = BaseConsumer<GroupContext>;

/// Shares the offset bookkeeping with librdkafka's rebalance callback, which
/// runs inside `poll` on the pipeline's thread (so the lock is never
/// contended; it only satisfies `Sync`).
#[derive(Default)]
pub struct GroupContext {
    offsets: Mutex<Offsets>,
}

impl GroupContext {
    pub fn offsets(&self) -> MutexGuard<'_, Offsets> {
        // A panic while holding it ends the process anyway.
        self.offsets.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl ClientContext for GroupContext {}

impl ConsumerContext for GroupContext {
    fn pre_rebalance(&self, consumer: &GroupConsumer, rebalance: &Rebalance<'_>) {
        let Rebalance::Revoke(list) = rebalance else {
            return;
        };
        let revoked = partitions_of(list);
        let to_commit = self.offsets().revoke(&revoked);
        tracing::info!(partitions = ?names(&revoked), "partitions revoked");
        if to_commit.is_empty() {
            return;
        }
        // The new owner starts from the committed offset: committing the
        // settled position now spares it records we already wrote. Records
        // handed out since the last settle are dropped before our sink
        // (`Offsets::revoked_in_flight`) and left for it to redeliver.
        match commit(consumer, &to_commit) {
            Ok(()) => tracing::info!(offsets = ?to_commit, "committed on revocation"),
            Err(error) => tracing::warn!(%error, offsets = ?to_commit,
                "commit on revocation failed: the new owner will redeliver from the previous commit"),
        }
    }

    fn post_rebalance(&self, consumer: &GroupConsumer, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(list) => {
                let assigned = partitions_of(list);
                tracing::info!(partitions = ?names(&assigned), "partitions assigned");
                self.offsets().assign(&assigned);
            }
            Rebalance::Error(error) => {
                tracing::warn!(%error, "rebalance failed");
                return;
            }
            Rebalance::Revoke(_) => {}
        }
        // With the cooperative assignor each event lists only what changed.
        match consumer.assignment() {
            Ok(now) => tracing::info!(partitions = ?names(&partitions_of(&now)), "assignment now"),
            Err(error) => tracing::warn!(%error, "reading the assignment"),
        }
    }
}

/// Commits `positions` and waits for the broker's answer.
pub fn commit(consumer: &GroupConsumer, positions: &[(Partition, i64)]) -> KafkaResult<()> {
    let mut list = TopicPartitionList::with_capacity(positions.len());
    for ((topic, partition), next) in positions {
        list.add_partition_offset(topic, *partition, Offset::Offset(*next))?;
    }
    consumer.commit(&list, CommitMode::Sync)
}

pub fn partitions_of(list: &TopicPartitionList) -> Vec<Partition> {
    list.elements()
        .iter()
        .map(|element| (Arc::from(element.topic()), element.partition()))
        .collect()
}

fn names(partitions: &[Partition]) -> Vec<String> {
    partitions
        .iter()
        .map(|(topic, partition)| format!("{topic}/{partition}"))
        .collect()
}
