//! What a reload may change: a pipeline file is re-read whole, and only its
//! `plugins` may differ from what the pipeline runs (paths, order,
//! settings, limits, fixtures; plugins added or removed). Anything else
//! (source, sink, dead letters, guard, ...) is refused with the first key
//! that changed, because it cannot be applied without a restart.

use std::path::Path;

use crate::config::PipelineConfig;

/// The only top-level key a reload applies.
const LIVE_KEY: &str = "plugins";

pub fn read_table(path: &Path) -> anyhow::Result<toml::Table> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// The file's table and its validated config, or why it cannot be applied.
pub fn read_changes(
    path: &Path,
    applied: Option<&toml::Table>,
) -> Result<(toml::Table, PipelineConfig), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let table: toml::Table =
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    if let Some(key) = applied.and_then(|old| first_difference("", old, &table, true)) {
        return Err(format!(
            "`{key}` changed in {}: only the plugins can change while running (restart to \
             apply the rest); nothing was changed",
            path.display()
        ));
    }
    let base = path.parent().unwrap_or(Path::new("."));
    let config = PipelineConfig::from_toml(&text, base)
        .map_err(|e| format!("{}: {e}; nothing was changed", path.display()))?;
    Ok((table, config))
}

/// The dotted key of the first value that differs between the tables
/// (the `plugins` key skipped at the top).
fn first_difference(
    prefix: &str,
    old: &toml::Table,
    new: &toml::Table,
    top: bool,
) -> Option<String> {
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        if top && key == LIVE_KEY {
            continue;
        }
        let dotted = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match (old.get(key), new.get(key)) {
            (Some(toml::Value::Table(a)), Some(toml::Value::Table(b))) => {
                if let Some(inner) = first_difference(&dotted, a, b, false) {
                    return Some(inner);
                }
            }
            (a, b) if a != b => return Some(dotted),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::first_difference;

    fn table(text: &str) -> toml::Table {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn names_the_first_changed_key_and_ignores_plugins() {
        let old = table("[sink]\ntype = \"ndjson\"\npath = \"a\"\n[[plugins]]\nname = \"x\"\n");
        let new = table("[sink]\ntype = \"ndjson\"\npath = \"b\"\n[[plugins]]\nname = \"y\"\n");
        assert_eq!(
            first_difference("", &old, &new, true).as_deref(),
            Some("sink.path")
        );
        let only_plugins = table("[sink]\ntype = \"ndjson\"\npath = \"a\"\n");
        assert_eq!(first_difference("", &old, &only_plugins, true), None);
        let added = table("[sink]\ntype = \"ndjson\"\npath = \"a\"\n[guard]\ndepth_limit = 5\n");
        assert_eq!(
            first_difference("", &old, &added, true).as_deref(),
            Some("guard")
        );
    }
}
