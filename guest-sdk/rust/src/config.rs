//! The plugin's own settings, handed over by the host as a JSON object.

use serde::de::DeserializeOwned;

/// The plugin's table from the pipeline config (`{}` when there is none).
#[derive(Debug, Clone)]
pub struct Config {
    json: String,
}

impl Config {
    pub fn from_json(json: impl Into<String>) -> Self {
        Config { json: json.into() }
    }

    /// The raw JSON text of the table.
    pub fn as_json(&self) -> &str {
        &self.json
    }

    /// Deserializes the table into the plugin's settings type. Use
    /// `#[serde(deny_unknown_fields)]` on it so a misspelt key is refused
    /// with its name instead of being ignored.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, String> {
        let mut bytes = self.json.clone().into_bytes();
        simd_json::serde::from_slice(&mut bytes).map_err(|e| format!("invalid plugin config: {e}"))
    }
}
