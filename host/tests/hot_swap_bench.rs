//! The hot-swap figures of BENCHMARKS.md (ignored by default: it measures,
//! it asserts nothing about speed). Run it alone, in release:
//!
//! ```sh
//! cargo test --release -p sluice --test hot_swap_bench -- --ignored --nocapture
//! ```
//!
//! - the longest pause in output around a swap: the largest gap between
//!   two reads of sluice's standard output from just before a `PUT` to
//!   half a second after its answer, over 20 swaps, beside the same
//!   window with no swap;
//! - throughput with one swap per second against none, in the same run;
//! - the time from `PUT` to promotion (the answer comes after it), for a
//!   module compiled cold and for one from the compile cache.

mod common;
mod hot_swap_support;

use std::io::Read;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use hot_swap_support::*;

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The longest gap between output reads inside `[from, to]`, in ms.
fn longest_gap(reads: &[Instant], from: Instant, to: Instant) -> f64 {
    let inside: Vec<&Instant> = reads.iter().filter(|t| **t >= from && **t <= to).collect();
    let mut longest = inside
        .first()
        .map_or(0.0, |first| (**first - from).as_secs_f64());
    for pair in inside.windows(2) {
        longest = f64::max(longest, (*pair[1] - *pair[0]).as_secs_f64());
    }
    if let Some(last) = inside.last() {
        longest = longest.max((to - **last).as_secs_f64());
    }
    longest * 1e3
}

#[test]
#[ignore = "a benchmark: run with --ignored --nocapture"]
fn hot_swap_figures() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let wasm = common::plugin("add-fields");
    let text = std::fs::read_to_string(pipeline_file(
        dir,
        STDIN,
        &add_fields_table(&wasm, "{ plugin_version = 1 }", ""),
        "",
    ))
    .unwrap()
    .replace(
        "type = \"ndjson\"\npath = \"out.ndjson\"",
        "type = \"stdout\"",
    );
    let config = dir.join("bench.toml");
    std::fs::write(&config, text).unwrap();
    let mut sluice = Sluice::start_with(dir, &config, true, Stdio::piped());

    // Every read of the output, timed.
    let reads = Arc::new(Mutex::new(Vec::<Instant>::new()));
    let mut stdout = sluice.child.stdout.take().unwrap();
    let reader = {
        let reads = reads.clone();
        thread::spawn(move || {
            let mut buffer = vec![0; 1 << 16];
            while stdout.read(&mut buffer).unwrap_or(0) > 0 {
                reads.lock().unwrap().push(Instant::now());
            }
        })
    };
    let stream = Arc::new(Stream::new());
    let stop = Arc::new(AtomicBool::new(false));
    let fed = Arc::new(AtomicU64::new(0));
    let mut stdin = sluice.stdin.take().unwrap();
    let writer = {
        let (stream, stop, fed) = (stream.clone(), stop.clone(), fed.clone());
        thread::spawn(move || {
            let mut seq = 0;
            while !stop.load(Ordering::Relaxed) {
                feed(&mut stdin, &stream, seq, seq + 64, 64, Duration::ZERO);
                seq += 64;
                fed.store(seq, Ordering::Relaxed);
            }
        })
    };
    thread::sleep(Duration::from_secs(2));

    let swap = |n: u64| {
        let body = format!(r#"{{"fields":{{"plugin_version":{n}}}}}"#);
        let (status, answer) = sluice.request("PUT", "/plugins/add-fields/config", body.as_bytes());
        assert_eq!(status, 200, "{answer}");
    };
    let mut version = 1;

    // Pauses: 20 swaps, each window beside a quiet one of the same length.
    let (mut around_swap, mut quiet) = (Vec::new(), Vec::new());
    for _ in 0..20 {
        let from = Instant::now();
        version += 1;
        swap(version);
        let to = Instant::now() + Duration::from_millis(500);
        thread::sleep(Duration::from_millis(600));
        around_swap.push(longest_gap(&reads.lock().unwrap(), from, to));
        let window = to - from;
        let from = Instant::now();
        thread::sleep(window + Duration::from_millis(100));
        quiet.push(longest_gap(&reads.lock().unwrap(), from, from + window));
    }

    // Throughput: 5 s without swaps, 5 s with one a second, twice, interleaved.
    let (mut calm_rate, mut swapping_rate) = (Vec::new(), Vec::new());
    for _ in 0..2 {
        let start = fed.load(Ordering::Relaxed);
        thread::sleep(Duration::from_secs(5));
        calm_rate.push((fed.load(Ordering::Relaxed) - start) as f64 / 5.0);
        let start = fed.load(Ordering::Relaxed);
        let began = Instant::now();
        for second in 1..=5 {
            version += 1;
            swap(version);
            let next = began + Duration::from_secs(second);
            thread::sleep(next.saturating_duration_since(Instant::now()));
        }
        swapping_rate
            .push((fed.load(Ordering::Relaxed) - start) as f64 / began.elapsed().as_secs_f64());
    }

    // PUT to promotion: new builds compile cold; the same bytes again come
    // from the compile cache.
    let (mut cold, mut cached) = (Vec::new(), Vec::new());
    for build in 0..5 {
        let bytes = add_fields_build(&format!("bench-{build}-{}", std::process::id()));
        for times in [&mut cold, &mut cached] {
            version += 1;
            let path = format!(
                "/plugins/add-fields?config={}",
                percent_encoded(&format!(r#"{{"fields":{{"plugin_version":{version}}}}}"#))
            );
            let started = Instant::now();
            let (status, answer) = sluice.request("PUT", &path, &bytes);
            times.push(started.elapsed().as_secs_f64() * 1e3);
            assert_eq!(status, 200, "{answer}");
        }
    }

    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    let (status, summary) = sluice.finish();
    reader.join().unwrap();
    assert!(status.success());
    let max = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
    println!(
        "hot swap figures ({} swaps, {} records)",
        version - 1,
        summary["records_in"]
    );
    println!(
        "longest output pause around a swap: median {:.1} ms, max {:.1} ms (same windows without a swap: median {:.1} ms, max {:.1} ms)",
        median(&mut around_swap.clone()),
        max(&around_swap),
        median(&mut quiet.clone()),
        max(&quiet)
    );
    println!(
        "throughput: {:.0} records/s without swaps, {:.0} with one swap per second (ratio {:.3})",
        calm_rate.iter().sum::<f64>() / 2.0,
        swapping_rate.iter().sum::<f64>() / 2.0,
        swapping_rate.iter().sum::<f64>() / calm_rate.iter().sum::<f64>()
    );
    println!(
        "PUT to promotion: cold compile median {:.1} ms (max {:.1}), from the compile cache median {:.1} ms (max {:.1})",
        median(&mut cold.clone()),
        max(&cold),
        median(&mut cached.clone()),
        max(&cached)
    );
}
