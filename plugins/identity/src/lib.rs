//! The identity filter: every record passes unchanged. The pipeline benchmark
//! runs it to price the plugin stage itself: the boundary crossing, with the
//! records copied in and the outcomes out. It decides without parsing, as any
//! filter can that does not need the document.

use sluice_sdk::prelude::*;

pub struct Identity;

impl Filter for Identity {
    fn init(_config: Config) -> Result<Self, String> {
        Ok(Identity)
    }

    fn filter<'doc>(&self, _doc: &mut Value<'doc>) -> Verdict<'doc> {
        Verdict::Unchanged
    }

    fn filter_raw(&self, _record: &[u8]) -> Option<Outcome> {
        Some(Outcome::Pass)
    }
}

sluice_sdk::export_filter!(Identity);

#[cfg(test)]
mod tests {
    use sluice_sdk::{Config, Filter, Outcome, process_batch};

    use super::Identity;

    #[test]
    fn every_bundled_tweet_passes_unchanged() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/rtweet-fixtures.ndjson"
        );
        let text = std::fs::read_to_string(path).expect("the bundled tweets");
        let records: Vec<Vec<u8>> = text.lines().map(|l| l.as_bytes().to_vec()).collect();
        let identity = Identity::init(Config::from_json("{}")).expect("identity needs no config");
        let outcomes = process_batch(&identity, records);
        assert_eq!(outcomes.len(), 1783);
        assert!(outcomes.iter().all(|o| *o == Outcome::Pass));
    }
}
