//! Which offsets may be committed: the bookkeeping behind at-least-once.
//!
//! Three positions per owned partition, each the offset *after* a record
//! (what Kafka expects a commit to hold):
//! - handed out: the last record given to the pipeline;
//! - settled: what the pipeline's last `commit()` call declared written,
//!   flushed or dead-lettered (everything handed out up to that call);
//! - committed: what the broker has acknowledged.
//!
//! Only settled positions are ever committed. A partition taken away by a
//! rebalance gets its settled position committed and is forgotten: records
//! of it still in the pipeline are redelivered to the new owner (duplicates,
//! which the sink's deterministic `_id` overwrites), never skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// A topic and partition.
pub type Partition = (Arc<str>, i32);

#[derive(Debug, Default)]
pub struct Offsets {
    handed_out: BTreeMap<Partition, i64>,
    settled: BTreeMap<Partition, i64>,
    committed: BTreeMap<Partition, i64>,
    /// Partitions read to their end since their last record (stop_at_end).
    at_end: BTreeSet<i32>,
}

impl Offsets {
    /// The record at `offset` of `topic`/`partition` goes to the pipeline.
    pub fn hand_out(&mut self, topic: &Arc<str>, partition: i32, offset: i64) {
        self.at_end.remove(&partition);
        self.handed_out
            .insert((topic.clone(), partition), offset + 1);
    }

    /// Everything handed out so far has left the pipeline.
    pub fn settle(&mut self) {
        self.settled.clone_from(&self.handed_out);
    }

    /// Settled positions the broker has not acknowledged yet.
    pub fn uncommitted(&self) -> Vec<(Partition, i64)> {
        self.settled
            .iter()
            .filter(|(partition, next)| self.committed.get(*partition) != Some(*next))
            .map(|(partition, next)| (partition.clone(), *next))
            .collect()
    }

    /// The broker acknowledged these positions.
    pub fn committed(&mut self, positions: &[(Partition, i64)]) {
        for (partition, next) in positions {
            self.committed.insert(partition.clone(), *next);
        }
    }

    /// `partitions` are taken away: returns the settled positions among them
    /// that still need committing, and forgets them.
    pub fn revoke(&mut self, partitions: &[Partition]) -> Vec<(Partition, i64)> {
        let mut to_commit = Vec::new();
        for partition in partitions {
            self.handed_out.remove(partition);
            self.at_end.remove(&partition.1);
            let settled = self.settled.remove(partition);
            let committed = self.committed.remove(partition);
            if let Some(next) = settled
                && committed != Some(next)
            {
                to_commit.push((partition.clone(), next));
            }
        }
        to_commit
    }

    /// Newly assigned partitions have not been read to their end yet.
    pub fn assign(&mut self, partitions: &[Partition]) {
        for (_, partition) in partitions {
            self.at_end.remove(partition);
        }
    }

    pub fn reached_end(&mut self, partition: i32) {
        self.at_end.insert(partition);
    }

    /// Every one of `assigned` has been read to its end.
    pub fn all_at_end(&self, assigned: &[Partition]) -> bool {
        !assigned.is_empty() && assigned.iter().all(|(_, p)| self.at_end.contains(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(partition: i32) -> Partition {
        ("tweets".into(), partition)
    }

    #[test]
    fn only_settled_records_are_committed_on_revocation() {
        let mut offsets = Offsets::default();
        offsets.hand_out(&tp(0).0, 0, 0);
        offsets.hand_out(&tp(0).0, 0, 1);
        offsets.settle();
        // Handed out after the last commit(): maybe not written yet.
        offsets.hand_out(&tp(0).0, 0, 2);
        offsets.hand_out(&tp(0).0, 1, 7);
        assert_eq!(offsets.revoke(&[tp(0), tp(1)]), vec![(tp(0), 2)]);
        // Forgotten: a later commit() cannot commit past another owner.
        offsets.settle();
        assert_eq!(offsets.uncommitted(), vec![]);
    }

    #[test]
    fn acknowledged_positions_are_not_committed_again() {
        let mut offsets = Offsets::default();
        offsets.hand_out(&tp(0).0, 0, 41);
        offsets.hand_out(&tp(0).0, 2, 9);
        offsets.settle();
        let pending = offsets.uncommitted();
        assert_eq!(pending, vec![(tp(0), 42), (tp(2), 10)]);
        offsets.committed(&pending);
        assert_eq!(offsets.uncommitted(), vec![]);
        assert_eq!(offsets.revoke(&[tp(0)]), vec![]);
        offsets.hand_out(&tp(0).0, 2, 10);
        offsets.settle();
        assert_eq!(offsets.uncommitted(), vec![(tp(2), 11)]);
    }

    #[test]
    fn the_end_needs_every_assigned_partition_read_to_its_end() {
        let mut offsets = Offsets::default();
        assert!(!offsets.all_at_end(&[]));
        offsets.reached_end(0);
        assert!(!offsets.all_at_end(&[tp(0), tp(1)]));
        offsets.reached_end(1);
        assert!(offsets.all_at_end(&[tp(0), tp(1)]));
        offsets.hand_out(&tp(0).0, 1, 5);
        assert!(!offsets.all_at_end(&[tp(0), tp(1)]));
    }
}
