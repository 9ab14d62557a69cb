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
//! rebalance gets its settled position committed and is forgotten. Its
//! records handed out since then are still in the pipeline: they are
//! dropped before the sink ([`Offsets::revoked_in_flight`]) because the new owner reads
//! them again from the committed position, so they are written once, by it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// A topic and partition.
pub type Partition = (Arc<str>, i32);

#[derive(Debug, Default)]
pub struct Offsets {
    handed_out: BTreeMap<Partition, i64>,
    settled: BTreeMap<Partition, i64>,
    committed: BTreeMap<Partition, i64>,
    /// Revoked partitions whose records handed out since the last settle
    /// may still be in the pipeline.
    revoked_in_flight: BTreeSet<Partition>,
}

impl Offsets {
    /// The record at `offset` of `topic`/`partition` goes to the pipeline.
    pub fn hand_out(&mut self, topic: &Arc<str>, partition: i32, offset: i64) {
        self.handed_out
            .insert((topic.clone(), partition), offset + 1);
    }

    /// The offset after the last record of `partition` handed out since it
    /// was assigned, if any.
    pub fn next(&self, partition: &Partition) -> Option<i64> {
        self.handed_out.get(partition).copied()
    }

    /// Everything handed out so far has left the pipeline (so no record of a
    /// revoked partition is in flight any more).
    pub fn settle(&mut self) {
        self.settled.clone_from(&self.handed_out);
        self.revoked_in_flight.clear();
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
            let handed_out = self.handed_out.remove(partition);
            let settled = self.settled.remove(partition);
            let committed = self.committed.remove(partition);
            if handed_out.is_some() && handed_out != settled {
                self.revoked_in_flight.insert(partition.clone());
            }
            if let Some(next) = settled
                && committed != Some(next)
            {
                to_commit.push((partition.clone(), next));
            }
        }
        to_commit
    }

    /// `partitions` are assigned. One that comes back while records of its
    /// previous assignment are still in flight keeps them: they cannot be
    /// told from the records it is about to hand out again, and dropping
    /// those would commit past records never written. They are written
    /// twice instead (the sink's `_id` overwrites the copy).
    pub fn assign(&mut self, partitions: &[Partition]) {
        for partition in partitions {
            self.revoked_in_flight.remove(partition);
        }
    }

    /// Partitions a rebalance took away whose records handed out earlier
    /// may still be in the pipeline: those records must not be written.
    pub fn revoked_in_flight(&self) -> Vec<Partition> {
        self.revoked_in_flight.iter().cloned().collect()
    }
}

/// Where reading `partition` stands when it has handed out nothing since it
/// was assigned: its committed offset, or without one the offset
/// `auto.offset.reset` starts from (`low` for earliest, `high` for latest).
pub fn start_position(committed: Option<i64>, earliest: bool, (low, high): (i64, i64)) -> i64 {
    match committed {
        Some(next) => next,
        None if earliest => low,
        None => high,
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
    fn records_in_flight_for_a_revoked_partition_are_no_longer_owned() {
        let mut offsets = Offsets::default();
        offsets.hand_out(&tp(0).0, 0, 0);
        offsets.hand_out(&tp(0).0, 1, 0);
        offsets.hand_out(&tp(0).0, 2, 0);
        offsets.settle();
        // Partition 0 has a record in flight, 1 has none, 2 keeps its.
        offsets.hand_out(&tp(0).0, 0, 1);
        offsets.hand_out(&tp(0).0, 2, 1);
        offsets.revoke(&[tp(0), tp(1)]);
        assert_eq!(offsets.revoked_in_flight(), vec![tp(0)]);
        // Once the pipeline is empty nothing of the old assignment is left.
        offsets.settle();
        assert_eq!(offsets.revoked_in_flight(), vec![]);
    }

    #[test]
    fn a_partition_that_comes_back_keeps_its_records_in_flight() {
        let mut offsets = Offsets::default();
        offsets.hand_out(&tp(0).0, 0, 5);
        offsets.revoke(&[tp(0)]);
        assert_eq!(offsets.revoked_in_flight(), vec![tp(0)]);
        offsets.assign(&[tp(0)]);
        assert_eq!(offsets.revoked_in_flight(), vec![]);
        assert_eq!(offsets.next(&tp(0)), None);
    }

    #[test]
    fn an_unread_partition_starts_at_its_commit_or_at_the_reset_position() {
        assert_eq!(start_position(Some(7), true, (2, 10)), 7);
        assert_eq!(start_position(None, true, (2, 10)), 2);
        assert_eq!(start_position(None, false, (2, 10)), 10);
    }
}
