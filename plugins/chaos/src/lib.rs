//! A plugin that misbehaves on the records you name, and passes the rest.
//! The host's tests use it to prove that a trap, an endless loop or a memory
//! hog costs exactly one dead-lettered record and nothing else.
//!
//! Config (each a list of `id_str` values):
//! `trap_on` (a panic), `loop_on`, `eat_memory_on`, `recurse_on` (without
//! end), `storm_on` (an allocation storm: slow, but within every limit, and the
//! record passes),
//! `open_file_on` and `connect_on` (the record is rejected with what the
//! sandbox answered), `stamp_clock_on` (adds `chaos_clock`, the wall clock
//! in seconds), `reject_on`, `drop_on`, `split_on` (the record becomes itself
//! plus a copy with `"copy": true`), `not_utf8_on` and `not_object_on`
//! (the record is replaced by bytes that are not UTF-8, or by a JSON array);
//! `loop_on_every = true`; and `trap_in_init = true` makes `init` itself trap.

use serde::Deserialize;
use sluice_sdk::prelude::*;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Settings {
    trap_on: Vec<String>,
    loop_on: Vec<String>,
    eat_memory_on: Vec<String>,
    reject_on: Vec<String>,
    drop_on: Vec<String>,
    split_on: Vec<String>,
    recurse_on: Vec<String>,
    storm_on: Vec<String>,
    open_file_on: Vec<String>,
    connect_on: Vec<String>,
    stamp_clock_on: Vec<String>,
    not_utf8_on: Vec<String>,
    not_object_on: Vec<String>,
    loop_on_every: bool,
    trap_in_init: bool,
}

pub struct Chaos {
    settings: Settings,
}

impl Filter for Chaos {
    fn init(config: Config) -> Result<Self, String> {
        let settings: Settings = config.parse()?;
        if settings.trap_in_init {
            panic!("chaos: trap in init");
        }
        Ok(Chaos { settings })
    }

    /// Output the SDK would never serialize: raw bytes that break the
    /// contract.
    fn filter_raw(&self, record: &[u8]) -> Option<Outcome> {
        let holds = |list: &[String]| {
            list.iter().any(|id| {
                let needle = format!("\"id_str\":\"{id}\"");
                record
                    .windows(needle.len())
                    .any(|window| window == needle.as_bytes())
            })
        };
        let s = &self.settings;
        if holds(&s.not_utf8_on) {
            return Some(Outcome::Replace(b"{\"text\":\"\xff\xfe\"}".to_vec()));
        }
        if holds(&s.not_object_on) {
            return Some(Outcome::Replace(b"[1,2,3]".to_vec()));
        }
        None
    }

    fn filter<'doc>(&self, doc: &mut Value<'doc>) -> Verdict<'doc> {
        let id = doc.get_str("id_str").unwrap_or_default().to_owned();
        let named = |list: &[String]| list.contains(&id);
        let s = &self.settings;
        if named(&s.trap_on) {
            panic!("chaos: trap on {id}");
        }
        if s.loop_on_every || named(&s.loop_on) {
            #[allow(clippy::empty_loop)]
            loop {}
        }
        if named(&s.recurse_on) {
            return Verdict::Reject(format!("chaos: depth {}", recurse(id.len() as u64)));
        }
        if named(&s.storm_on) {
            std::hint::black_box(allocation_storm());
            return Verdict::Unchanged;
        }
        if named(&s.open_file_on) {
            return match std::fs::read("/etc/passwd") {
                Ok(bytes) => {
                    Verdict::Reject(format!("chaos: read {} bytes of a file", bytes.len()))
                }
                Err(error) => Verdict::Reject(format!("chaos: open refused: {error}")),
            };
        }
        if named(&s.connect_on) {
            return match std::net::TcpStream::connect(("127.0.0.1", 9200)) {
                Ok(_) => Verdict::Reject("chaos: connected".into()),
                Err(error) => Verdict::Reject(format!("chaos: connect refused: {error}")),
            };
        }
        if named(&s.stamp_clock_on) {
            let clock = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(-1, |since| since.as_secs() as i64);
            if let Some(object) = doc.as_object_mut() {
                object.insert("chaos_clock".into(), Value::from(clock));
            }
            return Verdict::Changed;
        }
        if named(&s.eat_memory_on) {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(vec![1; 16 << 20]);
                std::hint::black_box(&hoard);
            }
        }
        if named(&s.reject_on) {
            return Verdict::Reject(format!("chaos: rejected {id}"));
        }
        if named(&s.drop_on) {
            return Verdict::Drop;
        }
        if named(&s.split_on) {
            let mut copy = doc.clone();
            if let Some(object) = copy.as_object_mut() {
                object.insert("copy".into(), Value::from(true));
            }
            return Verdict::Split(vec![doc.clone(), copy]);
        }
        Verdict::Unchanged
    }
}

/// Recurses without end (the argument and the addition keep the compiler
/// from turning it into a loop).
#[allow(unconditional_recursion)] // the point: a stack overflow
fn recurse(depth: u64) -> u64 {
    let below = recurse(std::hint::black_box(depth + 1));
    std::hint::black_box(below + 1)
}

/// Allocates and frees 256 MiB in small pieces, never holding more than
/// 4 MiB: a lot of work for the allocator, all of it legal.
fn allocation_storm() -> usize {
    let mut total = 0;
    let mut held: Vec<Vec<u8>> = Vec::with_capacity(1024);
    for round in 0..64 {
        for piece in 0..1024 {
            held.push(vec![(round + piece) as u8; 4096]);
        }
        total += held.iter().map(Vec::len).sum::<usize>();
        std::hint::black_box(&held);
        held.clear();
    }
    total
}

sluice_sdk::export_filter!(Chaos);
