//! Whether a document leaves the plugin unchanged, decided from the SDK's
//! read-only view of the record, so that the editable document is built and
//! walked only for the documents that need a cut. Decided for rules without
//! `allow` and `deny` patterns, and conservatively: `false` only means the
//! document takes the full walk (`paths`, then `budget`).

use sluice_sdk::prelude::*;

use crate::budget::take;
use crate::settings::Rules;

/// True when no rule would change the document: with no patterns, only an
/// object past `max_depth`, a string past `max_string_length` or a field
/// count past `max_fields` can.
pub fn unchanged(rules: &Rules, view: View<'_, '_>) -> bool {
    if !rules.allow.is_empty() || !rules.deny.is_empty() {
        return false;
    }
    let Some(root) = view.as_object() else {
        return false;
    };
    let mut left = rules.max_fields.unwrap_or(usize::MAX);
    root.values().all(|value| fits(rules, value, 1, &mut left))
}

/// Whether the field `value`, `depth` levels deep, is within the depth and
/// string limits, taking its cost off `left` as `budget` overcounts it (every
/// value as if it had a path of its own): what fits that count fits the
/// budget.
fn fits(rules: &Rules, value: View<'_, '_>, depth: usize, left: &mut usize) -> bool {
    if let Some(obj) = value.as_object() {
        // Its fields sit one level deeper than it.
        return rules.max_depth.is_none_or(|max| depth < max)
            && take(left, 1)
            && obj.values().all(|v| fits(rules, v, depth + 1, left));
    }
    if let Some(items) = value.as_array() {
        return items.iter().all(|v| fits(rules, v, depth, left));
    }
    if let Some(s) = value.into_string() {
        // No more bytes than the limit means no more characters either;
        // a longer string may still fit, and the full walk decides.
        return rules.max_string_length.is_none_or(|max| s.len() <= max) && take(left, 2);
    }
    value.is_null() || take(left, 1)
}
