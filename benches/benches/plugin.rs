//! The plugin stage: the same 1024 real tweets through the identity plugin
//! and through the demo chain (flatten-retweets + prune-fields), as WASM
//! components and as the same Rust compiled natively (`plugin::native`),
//! both through sluice's plugin chain, in batches of 1 to 1024 records. The WASM/native ratio prices
//! the sandbox; the curve over batch sizes is what the pipeline's default
//! batch size is chosen from.

use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sluice::config::PluginConfig;
use sluice::plugin::{Chain, PluginRuntime, native};
use sluice::record::Document;
use sluice_benches::{demo_config, identity_plugin, tweet_sample};

const RECORDS: usize = 1024;
const BATCH_SIZES: [usize; 5] = [1, 16, 64, 256, 1024];

fn wasm_chain(runtime: &PluginRuntime, plugins: &[PluginConfig]) -> Chain {
    let loaded: Vec<_> = plugins
        .iter()
        .map(|p| {
            runtime
                .load(p)
                .expect("the plugins are built: `make plugins`")
        })
        .collect();
    Chain::new(&loaded).expect("the plugins instantiate")
}

fn plugin_stage(c: &mut Criterion) {
    let tweets = tweet_sample(RECORDS).expect("the bundled tweets");
    let runtime = PluginRuntime::new().expect("the WebAssembly engine");
    let demo = demo_config().expect("the demo pipeline").plugins;
    let mut wasm_identity = wasm_chain(&runtime, &[identity_plugin()]);
    let mut wasm_demo = wasm_chain(&runtime, &demo);
    let mut native_identity = native::chain(&[identity_plugin()]).expect("the native identity");
    let mut native_demo = native::chain(&demo).expect("the native chain");

    let mut group = c.benchmark_group("plugin");
    group
        .throughput(Throughput::Elements(RECORDS as u64))
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for size in BATCH_SIZES {
        group.bench_with_input(
            BenchmarkId::new("identity wasm", size),
            &size,
            |b, &size| {
                b.iter_batched(
                    || tweets.clone(),
                    |tweets| run(&mut wasm_identity, tweets, size),
                    BatchSize::LargeInput,
                )
            },
        );
        group.bench_with_input(
            BenchmarkId::new("identity native", size),
            &size,
            |b, &size| {
                b.iter_batched(
                    || tweets.clone(),
                    |tweets| run(&mut native_identity, tweets, size),
                    BatchSize::LargeInput,
                )
            },
        );
        group.bench_with_input(
            BenchmarkId::new("flatten+prune wasm", size),
            &size,
            |b, &size| {
                b.iter_batched(
                    || tweets.clone(),
                    |tweets| run(&mut wasm_demo, tweets, size),
                    BatchSize::LargeInput,
                )
            },
        );
        group.bench_with_input(
            BenchmarkId::new("flatten+prune native", size),
            &size,
            |b, &size| {
                b.iter_batched(
                    || tweets.clone(),
                    |tweets| run(&mut native_demo, tweets, size),
                    BatchSize::LargeInput,
                )
            },
        );
    }
    group.finish();
}

/// All tweets through the chain in batches of `size`; returns the number
/// of documents out, so nothing is optimised away.
fn run(chain: &mut Chain, mut tweets: Vec<Document>, size: usize) -> usize {
    let mut out = 0;
    while !tweets.is_empty() {
        let rest = tweets.split_off(size.min(tweets.len()));
        out += chain.run(tweets).expect("no plugin fault").documents.len();
        tweets = rest;
    }
    out
}

criterion_group!(benches, plugin_stage);
criterion_main!(benches);
