//! The shipped Rust filters linked into the host as native code, for
//! `sluice bench pipeline --plugins native`: the same filter logic as the
//! WASM components, run by the same chain, so what WebAssembly costs is a
//! ratio measured in one run. A pipeline file cannot name these: a native
//! filter has no deadline, no memory cap and no fault isolation.

use std::sync::Arc;

use sluice_sdk::{Config, Plugin, TraitPlugin};

use super::chain::{Chain, Guest};
use super::{Outcome, PluginError, PluginFault};
use crate::config::PluginConfig;

/// The filters that have a native build.
pub const NATIVE_FILTERS: [&str; 3] = ["identity", "flatten-retweets", "prune-fields"];

/// The chain `plugins` describe, with each filter compiled into the host.
pub fn chain(plugins: &[PluginConfig]) -> Result<Chain, PluginError> {
    let guests = plugins
        .iter()
        .map(|plugin| {
            let config = serde_json::to_string(&plugin.config)
                .expect("a TOML table always converts to a JSON object");
            let guest = match plugin.name.as_str() {
                "identity" => Native::<identity::Identity>::start(&plugin.name, config),
                "flatten-retweets" => {
                    Native::<TraitPlugin<flatten_retweets::FlattenRetweets>>::start(
                        &plugin.name,
                        config,
                    )
                }
                "prune-fields" => {
                    Native::<TraitPlugin<prune_fields::PruneFields>>::start(&plugin.name, config)
                }
                other => Err(PluginError::Invalid {
                    name: other.to_owned(),
                    reason: format!("no native build (there is one of {NATIVE_FILTERS:?})"),
                }),
            }?;
            Ok((Arc::from(plugin.name.as_str()), guest))
        })
        .collect::<Result<_, PluginError>>()?;
    Ok(Chain::of(guests))
}

struct Native<F> {
    filter: F,
    name: String,
    config: String,
}

impl<F: Plugin + Send> Native<F> {
    fn start(name: &str, config: String) -> Result<Box<dyn Guest>, PluginError> {
        let filter = F::init(Config::from_json(config.clone())).map_err(|reason| {
            PluginError::InitRefused {
                name: name.to_owned(),
                reason,
            }
        })?;
        Ok(Box::new(Native {
            filter,
            name: name.to_owned(),
            config,
        }))
    }
}

impl<F: Plugin + Send> Guest for Native<F> {
    fn process(&mut self, batch: &[Vec<u8>]) -> Result<Vec<Outcome>, PluginFault> {
        // A WASM guest gets its own copy of every record in its memory; so
        // does the native filter, to compare like with like.
        let outcomes = self.filter.process(batch.to_vec());
        Ok(outcomes.into_iter().map(outcome).collect())
    }

    fn restart(&mut self) -> Result<(), PluginError> {
        let Native { name, config, .. } = self;
        self.filter = F::init(Config::from_json(config.clone())).map_err(|reason| {
            PluginError::InitRefused {
                name: name.clone(),
                reason,
            }
        })?;
        Ok(())
    }
}

fn outcome(native: sluice_sdk::Outcome) -> Outcome {
    match native {
        sluice_sdk::Outcome::Pass => Outcome::Pass,
        sluice_sdk::Outcome::Replace(bytes) => Outcome::Replace(bytes),
        sluice_sdk::Outcome::Drop => Outcome::Drop,
        sluice_sdk::Outcome::Split(parts) => Outcome::Split(parts),
        sluice_sdk::Outcome::Reject(reason) => Outcome::Reject(reason),
    }
}
