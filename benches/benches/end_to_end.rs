//! End to end: every bundled tweet from file through the demo chain
//! (flatten-retweets + prune-fields, in WASM) into a `_bulk` body, with the
//! real pipeline. Building the pipeline (compiling the plugins) is setup,
//! outside the timing, as it is outside a long-running consumer's steady
//! state.

use std::time::Duration;

use criterion::{BatchSize, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use sluice::config::SinkConfig;
use sluice::pipeline::Pipeline;
use sluice::plugin::PluginRuntime;
use sluice_benches::{demo_config, records, repository};

fn end_to_end(c: &mut Criterion) {
    let out = std::env::temp_dir().join(format!("sluice-bench-{}", std::process::id()));
    let mut config = demo_config().expect("the demo pipeline");
    if let SinkConfig::BulkFile { path, .. } = &mut config.sink {
        *path = out.join("bulk.ndjson");
    }
    config.dead_letter.path = out.join("dead-letter.ndjson");
    config
        .validate()
        .expect("the plugins are built: `make plugins`");
    let count = records(&[repository().join("data")])
        .expect("the bundled tweets")
        .len();
    let runtime = PluginRuntime::new().expect("the WebAssembly engine");

    let mut group = c.benchmark_group("end_to_end");
    group
        .throughput(Throughput::Elements(count as u64))
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4));
    group.bench_function("data -> default chain -> bulk body", |b| {
        b.iter_batched(
            || Pipeline::build(&config, &runtime).expect("the pipeline builds"),
            |pipeline| {
                let summary = pipeline.run().expect("the pipeline runs");
                assert!(summary.is_balanced());
                summary.written
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&out);
}

criterion_group!(benches, end_to_end);
criterion_main!(benches);
