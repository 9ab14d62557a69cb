//! The identity filter: every record passes unchanged. The pipeline benchmark
//! runs it to price the plugin stage itself: the boundary crossing, with the
//! records copied in and the outcomes out. It decides from the bytes, without
//! parsing, as any filter can that does not need the document.

use sluice_sdk::prelude::*;

#[sluice_sdk::filter]
fn identity(_record: &[u8]) -> Verdict {
    Verdict::Unchanged
}

#[cfg(test)]
mod tests {
    use sluice_sdk::prelude::*;

    use super::Identity;

    #[test]
    fn every_bundled_tweet_passes_unchanged() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/rtweet-fixtures.ndjson"
        );
        let text = std::fs::read_to_string(path).expect("the bundled tweets");
        let records: Vec<Vec<u8>> = text.lines().map(|l| l.as_bytes().to_vec()).collect();
        let mut identity =
            Identity::init(Config::from_json("{}")).expect("identity needs no config");
        let outcomes = identity.process(records);
        assert_eq!(outcomes.len(), 1783);
        assert!(outcomes.iter().all(|o| *o == Outcome::Pass));
    }
}
