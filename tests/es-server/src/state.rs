//! The cluster's in-memory state: indices, index templates, faults and counters. It
//! survives `stop`/`restart` of the listener; only the process's end forgets it.

use std::collections::BTreeMap;

use crate::error::EsError;
use crate::faults::{Dice, Faults, Stats};
use crate::index::Index;
use crate::mapping::ObjectMapper;
use crate::settings::Settings;
use crate::template::Template;

/// `ignore_unavailable` and `allow_no_indices`: what a missing index, or an expression that
/// names none, does to a request that reads indices.
#[derive(Debug, Clone, Copy)]
pub struct IndicesOptions {
    pub ignore_unavailable: bool,
    pub allow_no_indices: bool,
}

impl Default for IndicesOptions {
    fn default() -> Self {
        Self {
            ignore_unavailable: false,
            allow_no_indices: true,
        }
    }
}

#[derive(Debug)]
pub struct State {
    pub indices: BTreeMap<String, Index>,
    pub templates: BTreeMap<String, Template>,
    pub faults: Faults,
    pub dice: Dice,
    pub stats: Stats,
    /// Settings every new index starts from (the server's `--total-fields-limit`).
    pub default_settings: Settings,
    ids_generated: u64,
    indices_created: u64,
}

/// `*` wildcards, as index patterns use them.
pub fn glob(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

/// `MetadataCreateIndexService.validateIndexOrAliasName`, the common cases.
pub fn validate_index_name(name: &str) -> Result<(), EsError> {
    let invalid = |why: &str| {
        Err(EsError::new(
            "invalid_index_name_exception",
            format!("Invalid index name [{name}], {why}"),
        )
        .with_meta("index_uuid", "_na_")
        .with_meta("index", name))
    };
    if name.is_empty() {
        return invalid("must not be empty");
    }
    if name.chars().any(|c| {
        matches!(
            c,
            '\\' | '/' | '*' | '?' | '"' | '<' | '>' | '|' | ' ' | ',' | '#' | ':'
        )
    }) {
        return invalid(
            "must not contain the following characters [' ','\"','*',',','/','<','>','?','\\\\','|']",
        );
    }
    if name.starts_with(['_', '-', '+']) {
        return invalid("must not start with '_', '-', or '+'");
    }
    if name == "." || name == ".." {
        return invalid("must not be '.' or '..'");
    }
    if name.to_lowercase() != name {
        return invalid("must be lowercase");
    }
    if name.len() > 255 {
        return invalid(&format!("index name is too long, ({} > 255)", name.len()));
    }
    Ok(())
}

impl State {
    pub fn new(faults: Faults, default_settings: Settings) -> Self {
        Self {
            indices: BTreeMap::new(),
            templates: BTreeMap::new(),
            dice: Dice::new(faults.seed),
            faults,
            stats: Stats::default(),
            default_settings,
            ids_generated: 0,
            indices_created: 0,
        }
    }

    pub fn set_faults(&mut self, faults: Faults) {
        self.dice = Dice::new(faults.seed);
        self.faults = faults;
    }

    /// A 20-character URL-safe id, like ES's auto-generated ids (deterministic here).
    pub fn generate_id(&mut self) -> String {
        self.ids_generated += 1;
        encode_id(0x5EED_0000_0000_0000 ^ self.ids_generated, 20)
    }

    /// Creates `name`, applying the highest-priority matching index template under the
    /// request's own settings and mappings.
    pub fn create_index(
        &mut self,
        name: &str,
        settings: Option<Settings>,
        mappings: Option<ObjectMapper>,
    ) -> Result<&mut Index, EsError> {
        validate_index_name(name)?;
        if let Some(existing) = self.indices.get(name) {
            return Err(EsError::new(
                "resource_already_exists_exception",
                format!("index [{name}/{}] already exists", existing.uuid),
            )
            .with_meta("index_uuid", existing.uuid.clone())
            .with_meta("index", name));
        }
        let template = self
            .templates
            .values()
            .filter(|t| t.matches(name))
            .max_by_key(|t| t.priority_or_zero());
        let mut merged_settings = self.default_settings.clone();
        let mut merged_mappings = ObjectMapper::default();
        if let Some(t) = template {
            if let Some(settings) = &t.settings {
                merged_settings = settings.merged_over(&merged_settings);
            }
            if let Some(mappings) = &t.mappings {
                merged_mappings = mappings.clone();
            }
        }
        if let Some(s) = settings {
            merged_settings = s.merged_over(&merged_settings);
        }
        if let Some(m) = mappings {
            merged_mappings = m.merged_over(&merged_mappings);
        }
        self.indices_created += 1;
        let uuid = encode_id(0xC0FF_EE00_0000_0000 ^ self.indices_created, 22);
        merged_settings.set("index.uuid", uuid.clone());
        merged_settings.set("index.provided_name", name);
        for (key, default) in [
            ("index.number_of_shards", "1"),
            ("index.number_of_replicas", "1"),
        ] {
            if !merged_settings.contains(key) {
                merged_settings.set(key, default);
            }
        }
        merged_settings.set("index.version.created", "8512000");
        let index = Index::new(name, uuid, merged_settings, merged_mappings)?;
        Ok(self.indices.entry(name.to_owned()).or_insert(index))
    }

    /// The indices an expression (`a`, `a,b`, `tw*`, `_all`) names, with the default
    /// [`IndicesOptions`]: 404 for a missing concrete name, wildcards may match nothing.
    pub fn resolve(&self, expression: &str) -> Result<Vec<String>, EsError> {
        self.resolve_with(expression, IndicesOptions::default())
    }

    pub fn resolve_with(
        &self,
        expression: &str,
        options: IndicesOptions,
    ) -> Result<Vec<String>, EsError> {
        let mut names = Vec::new();
        for part in expression.split(',').filter(|p| !p.is_empty()) {
            if part == "_all" || part.contains('*') {
                let pattern = if part == "_all" { "*" } else { part };
                names.extend(self.indices.keys().filter(|n| glob(pattern, n)).cloned());
            } else if self.indices.contains_key(part) {
                names.push(part.to_owned());
            } else if !options.ignore_unavailable {
                return Err(EsError::index_not_found(part, "index_or_alias"));
            }
        }
        names.sort();
        names.dedup();
        if names.is_empty() && !options.allow_no_indices {
            return Err(EsError::index_not_found(expression, "index_or_alias"));
        }
        Ok(names)
    }
}

fn encode_id(mut n: u64, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(len);
    // Mix so that consecutive counters do not share prefixes.
    n = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for i in 0..len {
        if i % 10 == 0 {
            n = n.rotate_left(17).wrapping_mul(0xBF58_476D_1CE4_E5B9) ^ (i as u64);
        }
        out.push(ALPHABET[(n & 63) as usize] as char);
        n >>= 6;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_index_patterns() {
        assert!(glob("twitter-*", "twitter-2024.01.01"));
        assert!(glob("*", "a"));
        assert!(glob("a*c*e", "abcde"));
        assert!(!glob("twitter-*", "twitter"));
        assert!(!glob("logs", "logs-1"));
    }

    #[test]
    fn generated_ids_are_distinct_and_twenty_chars() {
        let mut state = State::new(Faults::default(), Settings::default());
        let ids: std::collections::HashSet<String> =
            (0..1000).map(|_| state.generate_id()).collect();
        assert_eq!(ids.len(), 1000);
        assert!(ids.iter().all(|id| id.len() == 20));
    }

    #[test]
    fn index_names_are_validated() {
        assert_eq!(
            validate_index_name("Tweets").unwrap_err().reason,
            "Invalid index name [Tweets], must be lowercase"
        );
        assert!(validate_index_name("tweets-2024").is_ok());
    }
}
