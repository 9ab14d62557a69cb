//! The plugin stage: the same 1024 real tweets through the identity plugin
//! and through the demo chain (flatten-retweets + prune-fields), as WASM
//! components through sluice's plugin chain and as the same Rust compiled
//! natively, in batches of 1 to 1024 records. The WASM/native ratio prices
//! the sandbox; the curve over batch sizes is what the pipeline's default
//! batch size is chosen from.

use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use identity::Identity;
use sluice::config::PluginConfig;
use sluice::plugin::{Chain, PluginRuntime};
use sluice::record::Document;
use sluice_benches::{NativeChain, apply, demo_config, identity_plugin, tweet_sample};
use sluice_sdk::{Config, Filter, process_batch};

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
    let bytes: Vec<Vec<u8>> = tweets.iter().map(|d| d.bytes.clone()).collect();
    let runtime = PluginRuntime::new().expect("the WebAssembly engine");
    let demo = demo_config().expect("the demo pipeline").plugins;
    let mut wasm_identity = wasm_chain(&runtime, &[identity_plugin()]);
    let mut wasm_demo = wasm_chain(&runtime, &demo);
    let native_identity = Identity::init(Config::from_json("{}")).expect("identity init");
    let native_demo = NativeChain::from_demo().expect("the native chain");

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
                    |tweets| run_wasm(&mut wasm_identity, tweets, size),
                    BatchSize::LargeInput,
                )
            },
        );
        group.bench_with_input(
            BenchmarkId::new("identity native", size),
            &size,
            |b, &size| {
                b.iter_batched(
                    || bytes.clone(),
                    |bytes| {
                        run_native(bytes, size, |batch| {
                            apply(batch, |b| process_batch(&native_identity, b))
                        })
                    },
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
                    |tweets| run_wasm(&mut wasm_demo, tweets, size),
                    BatchSize::LargeInput,
                )
            },
        );
        group.bench_with_input(
            BenchmarkId::new("flatten+prune native", size),
            &size,
            |b, &size| {
                b.iter_batched(
                    || bytes.clone(),
                    |bytes| run_native(bytes, size, |batch| native_demo.run(batch)),
                    BatchSize::LargeInput,
                )
            },
        );
    }
    group.finish();
}

/// All tweets through the chain in batches of `size`; returns the number
/// of documents out, so nothing is optimised away.
fn run_wasm(chain: &mut Chain, mut tweets: Vec<Document>, size: usize) -> usize {
    let mut out = 0;
    while !tweets.is_empty() {
        let rest = tweets.split_off(size.min(tweets.len()));
        out += chain.run(tweets).expect("no plugin fault").documents.len();
        tweets = rest;
    }
    out
}

fn run_native(
    mut bytes: Vec<Vec<u8>>,
    size: usize,
    mut chain: impl FnMut(Vec<Vec<u8>>) -> Vec<Vec<u8>>,
) -> usize {
    let mut out = 0;
    while !bytes.is_empty() {
        let rest = bytes.split_off(size.min(bytes.len()));
        out += chain(bytes).len();
        bytes = rest;
    }
    out
}

criterion_group!(benches, plugin_stage);
criterion_main!(benches);
