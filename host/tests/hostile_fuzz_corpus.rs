//! Replays the fuzz targets' seed corpus (`host/fuzz/corpus/<target>/`) and
//! every input the fuzzer kept or found crashing since (`host/fuzz/run.sh`
//! copies crashes into the corpus once they are fixed), so CI exercises the
//! targets without a fuzzer: deep nesting, huge numbers, invalid UTF-8,
//! duplicate keys, giant strings, dotted keys that collide with objects.

#[path = "../fuzz/src/lib.rs"]
mod targets;

use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut inputs = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        // A panic names the input that caused it.
        eprintln!("{target}: {}", path.display());
        run(&data);
        inputs += 1;
    }
    assert!(
        inputs >= 10,
        "{target}: only {inputs} seeds in {}",
        dir.display()
    );
}

#[test]
fn decode_corpus() {
    replay("decode", targets::decode);
}

#[test]
fn guard_corpus() {
    replay("guard", targets::guard);
}

#[test]
fn bulk_corpus() {
    replay("bulk", targets::bulk);
}

#[test]
fn config_corpus() {
    replay("config", targets::config);
}
