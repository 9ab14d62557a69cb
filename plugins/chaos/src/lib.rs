//! A plugin that misbehaves on the records you name, and passes the rest.
//! The host's tests use it to prove that a trap, an endless loop or a memory
//! hog costs exactly one dead-lettered record and nothing else.
//!
//! Config (each a list of `id_str` values):
//! `trap_on`, `loop_on`, `eat_memory_on`, `reject_on`, `drop_on`, `split_on`
//! (the record becomes itself plus a copy with `"copy": true`); and
//! `trap_in_init = true` makes `init` itself trap.

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

    fn filter<'doc>(&self, doc: &mut Value<'doc>) -> Verdict<'doc> {
        let id = doc.get_str("id_str").unwrap_or_default().to_owned();
        let named = |list: &[String]| list.contains(&id);
        let s = &self.settings;
        if named(&s.trap_on) {
            panic!("chaos: trap on {id}");
        }
        if named(&s.loop_on) {
            #[allow(clippy::empty_loop)]
            loop {}
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

sluice_sdk::export_filter!(Chaos);
