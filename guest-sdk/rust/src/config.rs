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
    /// with its name instead of being ignored; a value of the wrong type is
    /// refused with its key too (`invalid plugin config at `max_depth`: ...`).
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, String> {
        let mut bytes = self.json.clone().into_bytes();
        let mut deserializer = simd_json::Deserializer::from_slice(&mut bytes)
            .map_err(|e| format!("invalid plugin config: {}", describe(&e)))?;
        serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
            let path = e.path().to_string();
            let inner = describe(e.inner());
            if path == "." {
                format!("invalid plugin config: {inner}")
            } else {
                format!("invalid plugin config at `{path}`: {inner}")
            }
        })
    }
}

/// The message without simd-json's wrapping (`Serde("...") at character 0`).
fn describe(error: &simd_json::Error) -> String {
    match error.error() {
        simd_json::ErrorType::Serde(message) => message.clone(),
        _ => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::Config;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Settings {
        #[serde(default)]
        max_depth: u32,
    }

    #[test]
    fn errors_name_the_key() {
        let unknown = Config::from_json(r#"{"max_depht": 3}"#).parse::<Settings>();
        assert_eq!(
            unknown.unwrap_err(),
            "invalid plugin config at `max_depht`: unknown field `max_depht`, expected `max_depth`"
        );
        let wrong_type = Config::from_json(r#"{"max_depth": "deep"}"#).parse::<Settings>();
        let message = wrong_type.unwrap_err();
        assert!(
            message.starts_with("invalid plugin config at `max_depth`:"),
            "{message}"
        );
    }
}
