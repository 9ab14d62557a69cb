//! Hot swap with a Kafka source: 21 swaps through the three triggers while
//! a producer keeps writing; afterwards the group has committed every end
//! offset and every record was written exactly once.

mod common;
mod hot_swap_support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

use hot_swap_support::*;
use serde_json::Value;
use sluice_kafka_testkit::{Broker, Storage};

const TOPIC: &str = "tweets";
const GROUP: &str = "sluice-hot-swap";
const PARTITIONS: u64 = 3;

#[test]
fn twenty_one_swaps_on_a_kafka_stream_commit_everything_and_write_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let broker = Arc::new(Broker::start(Storage::Sqlite(dir.join("broker.db"))));
    broker.create_topic(TOPIC, PARTITIONS as i32);
    let source = format!(
        r#"[source]
type = "kafka"
brokers = ["{}"]
topics = ["{TOPIC}"]
group_id = "{GROUP}"

[source.settings]
"session.timeout.ms" = 6000
"heartbeat.interval.ms" = 500
"#,
        broker.bootstrap_servers()
    );
    let live_wasm = dir.join("add-fields.wasm");
    std::fs::write(&live_wasm, add_fields_a()).unwrap();
    let write_pipeline = |n: u64| watched_pipeline(dir, &source, &live_wasm, n);
    let config = write_pipeline(1);
    let sluice = Sluice::start(dir, &config, false);

    // Record `seq` goes to partition `seq % 3`: each chunk starts at
    // partition 0 and is a multiple of 3 long.
    let stream = Arc::new(Stream::new());
    let stop = Arc::new(AtomicBool::new(false));
    let produced = Arc::new(AtomicU64::new(0));
    let producer = {
        let (broker, stream, stop, produced) = (
            broker.clone(),
            stream.clone(),
            stop.clone(),
            produced.clone(),
        );
        thread::spawn(move || {
            let mut seq = 0;
            while !stop.load(Ordering::Relaxed) {
                let chunk: Vec<Vec<u8>> = (seq..seq + 300)
                    .map(|s| {
                        let mut record = stream.record(s);
                        record.pop();
                        record
                    })
                    .collect();
                broker.produce(TOPIC, &chunk);
                seq += 300;
                produced.store(seq, Ordering::Relaxed);
            }
        })
    };
    sluice.wait_live("add-fields", 1);
    let mut rig = SwapRig::new(live_wasm.clone());
    for swap in 1..=21 {
        rig.swap(&sluice, swap, &write_pipeline);
    }
    stop.store(true, Ordering::Relaxed);
    producer.join().unwrap();
    let total = produced.load(Ordering::Relaxed);
    let out = dir.join("out.ndjson");
    wait_for(
        "every produced record written",
        Duration::from_secs(120),
        || lines(&out).len() as u64 >= total,
    );
    sluice.signal("TERM");
    let (status, summary) = sluice.finish();
    assert!(status.success(), "{status}");

    let mut by_partition: BTreeMap<u64, Vec<(u64, u64)>> = BTreeMap::new();
    for line in lines(&out) {
        assert_eq!(
            line.matches("\"plugin_version\":").count(),
            1,
            "{line:.200}"
        );
        let doc: Value = serde_json::from_str(&line).unwrap();
        let seq = doc["seq"].as_u64().unwrap();
        let version = doc["plugin_version"].as_u64().unwrap();
        by_partition
            .entry(seq % PARTITIONS)
            .or_default()
            .push((seq, version));
    }
    let written: u64 = by_partition.values().map(|v| v.len() as u64).sum();
    assert_eq!(written, total, "each record written once");
    for (partition, records) in &by_partition {
        let expected: Vec<u64> = (0..total)
            .filter(|s| s % PARTITIONS == *partition)
            .collect();
        let seqs: Vec<u64> = records.iter().map(|(s, _)| *s).collect();
        assert_eq!(
            seqs, expected,
            "partition {partition}: every record once, in order"
        );
        assert!(
            records.windows(2).all(|w| w[0].1 <= w[1].1),
            "partition {partition}: versions went backwards"
        );
    }
    let seen: std::collections::BTreeSet<u64> =
        by_partition.values().flatten().map(|(_, v)| *v).collect();
    let used: std::collections::BTreeSet<u64> = rig.settings_used.iter().copied().collect();
    assert_eq!(seen, used);

    assert_eq!(summary["records_in"].as_u64(), Some(total), "{summary}");
    assert_eq!(summary["written"].as_u64(), Some(total));
    assert_eq!(
        broker.committed_offsets(GROUP, TOPIC),
        broker.end_offsets(TOPIC),
        "committed offsets equal end offsets"
    );
}
