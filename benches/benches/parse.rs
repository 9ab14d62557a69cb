//! Parse throughput of each decoder on real tweets, timed with the same code
//! as `sluice bench parse` (each simd-json parse pays for its copy of the
//! bytes, as the pipeline's decode stage does).

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sluice::bench::parse::Decoder;
use sluice_benches::{data, records};

fn parse(c: &mut Criterion) {
    let inputs = [
        ("twitter.json statuses", vec![data("twitter.json")]),
        (
            "all ndjson lines",
            [
                "python-twitter-testdata",
                "rtweet-fixtures",
                "sfm-twitter-harvester-warcs",
                "tweepy-cassettes",
            ]
            .iter()
            .map(|name| data(&format!("{name}.ndjson")))
            .collect(),
        ),
    ];
    for (name, paths) in inputs {
        let documents: Vec<Vec<u8>> = records(&paths)
            .expect("the bundled tweets")
            .into_iter()
            .map(|r| r.bytes)
            .collect();
        let bytes: usize = documents.iter().map(Vec::len).sum();
        let mut group = c.benchmark_group(format!("parse/{name}"));
        group
            .throughput(Throughput::Bytes(bytes as u64))
            .sample_size(20)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2));
        for decoder in Decoder::ALL {
            group.bench_function(decoder.name(), |b| {
                b.iter(|| {
                    for document in &documents {
                        decoder.parse(document).expect("the bundled tweets parse");
                    }
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, parse);
criterion_main!(benches);
