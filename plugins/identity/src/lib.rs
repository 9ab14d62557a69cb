//! The identity filter: every record passes unchanged. The pipeline benchmark
//! runs it to price the plugin stage (boundary crossing plus the guest's parse).

use sluice_sdk::prelude::*;

pub struct Identity;

impl Filter for Identity {
    fn init(_config: Config) -> Result<Self, String> {
        Ok(Identity)
    }

    fn filter<'doc>(&self, _doc: &mut Value<'doc>) -> Verdict<'doc> {
        Verdict::Unchanged
    }
}

sluice_sdk::export_filter!(Identity);
