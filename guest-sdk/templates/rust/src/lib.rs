//! {{name}}: a Sluice filter. Keeps tweets whose `lang` is one of its
//! `langs` setting (English by default) and drops the rest.

use serde::Deserialize;
use sluice_sdk::prelude::*;

/// The plugin's table in the pipeline file: `config = { langs = ["en"] }`.
/// A misspelt key is refused with its name.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default = "english")]
    langs: Vec<String>,
}

fn english() -> Vec<String> {
    vec!["en".to_owned()]
}

/// Reads the record through a view of its parse: no tree is built.
#[sluice_sdk::filter]
fn {{crate}}(tweet: &View, settings: &Settings) -> Verdict {
    match tweet.get_str("lang") {
        Some(lang) if settings.langs.iter().any(|keep| keep == lang) => Verdict::Unchanged,
        _ => Verdict::Drop,
    }
}
