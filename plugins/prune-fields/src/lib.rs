//! prune-fields: removes fields so that documents stay inside Elasticsearch's
//! mapping limits (field count, depth) and carry only what the user wants.
//!
//! [`paths`] applies the path patterns, the depth limit and the string length
//! limit in one walk; [`budget`] then enforces the field count, which needs
//! the whole remaining document. [`quick`] passes the documents that need
//! neither, from the record's view. [`settings`] is what the user writes;
//! [`patterns`] is the `*` path syntax.

mod budget;
mod paths;
mod patterns;
mod quick;
mod settings;

use sluice_sdk::prelude::*;

use settings::Rules;
pub use settings::Settings;

pub struct PruneFields {
    rules: Rules,
}

impl Filter for PruneFields {
    fn init(config: Config) -> Result<Self, String> {
        let settings = Settings::parse(&config)?;
        let rules = Rules::try_from(settings).map_err(|e| format!("invalid plugin config: {e}"))?;
        Ok(PruneFields { rules })
    }

    fn filter_view<'doc>(&self, view: View<'_, 'doc>) -> Option<Verdict<'doc>> {
        quick::unchanged(&self.rules, view).then_some(Verdict::Unchanged)
    }

    fn filter<'doc>(&self, doc: &mut Value<'doc>) -> Verdict<'doc> {
        let mut changed = paths::apply(&self.rules, doc);
        if let Some(max_fields) = self.rules.max_fields {
            changed |= budget::apply(max_fields, &self.rules.always_keep, doc);
        }
        if changed {
            Verdict::Changed
        } else {
            Verdict::Unchanged
        }
    }
}

sluice_sdk::export_filter!(PruneFields);
