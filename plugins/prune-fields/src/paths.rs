//! One walk over the document that applies the path rules (`allow`, `deny`,
//! `always_keep`), the depth limit and the string length limit. The field
//! budget (`max_fields`) needs the whole document first: see `budget`.
//!
//! Paths are dotted and array elements share their array's path, as in an
//! Elasticsearch mapping. Depth is counted as Elasticsearch counts mapping
//! depth: a top-level field is at depth 1 and each object adds one, so an
//! object whose fields would sit deeper than `max_depth` is removed.

use sluice_sdk::prelude::*;
use sluice_sdk::simd_json::cow::Cow;

use crate::settings::Rules;

/// What may survive below a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// Everything, except what `deny` or the depth limit removes.
    Open,
    /// Only what `allow` or `always_keep` matches: no `allow` pattern has
    /// matched this path or any above it yet.
    Seeking,
    /// Only what `always_keep` matches: denied, or too deep.
    Protected,
}

/// Applies `rules` to `doc`; returns whether anything changed.
pub fn apply(rules: &Rules, doc: &mut Value<'_>) -> bool {
    let reach = if rules.allow.is_empty() {
        Reach::Open
    } else {
        Reach::Seeking
    };
    let mut walk = Walk {
        rules,
        path: String::new(),
        changed: false,
    };
    walk.value(doc, 0, reach);
    walk.changed
}

struct Walk<'r> {
    rules: &'r Rules,
    /// The dotted path of the value being visited.
    path: String,
    changed: bool,
}

impl Walk<'_> {
    /// Visits a value at `self.path`, `depth` fields deep. Returns whether it
    /// stays in the document.
    fn value(&mut self, value: &mut Value<'_>, depth: usize, reach: Reach) -> bool {
        match value {
            Value::Object(obj) => self.object(obj, depth, reach),
            Value::Array(items) => {
                let had_items = items.len();
                items.retain_mut(|item| self.value(item, depth, reach));
                if items.len() != had_items {
                    self.changed = true;
                }
                // An array that only lost its elements would be mapped as
                // nothing: drop it with them.
                !items.is_empty() || (reach == Reach::Open && had_items == 0)
            }
            Value::String(s) if reach == Reach::Open => {
                self.truncate(s);
                true
            }
            _ => reach == Reach::Open,
        }
    }

    fn object(&mut self, obj: &mut Object<'_>, depth: usize, reach: Reach) -> bool {
        let too_deep = self.rules.max_depth.is_some_and(|max| depth + 1 > max);
        let reach = if too_deep { Reach::Protected } else { reach };
        // The root has no path to look below; everything else is skipped
        // whole when no pattern can keep anything inside it.
        if depth > 0 && !self.may_keep_below(reach) {
            return false;
        }
        let had_fields = !obj.is_empty();
        obj.retain(|key, child| {
            let mark = self.path.len();
            if mark > 0 {
                self.path.push('.');
            }
            self.path.push_str(key);
            let keep = self.field(child, depth + 1, reach);
            self.path.truncate(mark);
            keep
        });
        !obj.is_empty() || (reach == Reach::Open && !had_fields)
    }

    /// Visits the field at `self.path` inside an object reached as `reach`.
    fn field(&mut self, value: &mut Value<'_>, depth: usize, reach: Reach) -> bool {
        let rules = self.rules;
        let path = self.path.as_str();
        if rules.always_keep.matches(path) {
            return true;
        }
        let reach = match reach {
            Reach::Seeking if !rules.allow.matches(path) => Reach::Seeking,
            Reach::Seeking | Reach::Open if rules.deny.matches(path) => Reach::Protected,
            Reach::Seeking | Reach::Open => Reach::Open,
            Reach::Protected => Reach::Protected,
        };
        let keep = self.value(value, depth, reach);
        if !keep {
            self.changed = true;
        }
        keep
    }

    fn may_keep_below(&self, reach: Reach) -> bool {
        let rules = self.rules;
        match reach {
            Reach::Open => true,
            Reach::Seeking => {
                rules.allow.may_match_below(&self.path)
                    || rules.always_keep.may_match_below(&self.path)
            }
            Reach::Protected => rules.always_keep.may_match_below(&self.path),
        }
    }

    /// Cuts a string to `max_string_length` characters, on a character
    /// boundary.
    fn truncate(&mut self, s: &mut Cow<'_, str>) {
        let Some(max) = self.rules.max_string_length else {
            return;
        };
        // No more bytes than the limit means no more characters either,
        // without walking them.
        if s.len() <= max {
            return;
        }
        let Some((cut, _)) = s.char_indices().nth(max) else {
            return;
        };
        match s {
            Cow::Borrowed(b) => *b = &b[..cut],
            Cow::Owned(o) => o.truncate(cut),
        }
        self.changed = true;
    }
}
