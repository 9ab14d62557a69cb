//! The per-document field budget (`max_fields`), counted as Elasticsearch's
//! default dynamic mapping would count the document's fields: an object is
//! one field, a string two (`text` plus its `.keyword` multi-field), a number
//! or boolean one, an array whatever its elements are, and `null` or an
//! empty array nothing. Array elements share a path, so a path is counted
//! once however many elements carry it.
//!
//! Fields are admitted breadth first (every top-level field, then the second
//! level, and so on), alphabetically within an object; from the first field
//! that does not fit, every later one is removed. Breadth first keeps the
//! fields people search on (`text`, `user.screen_name`) ahead of deep detail
//! (`entities.media.sizes.large.w`). Alphabetical order makes the choice the
//! same for every document and every run: the parsed document does not keep
//! the input's key order (objects of more than 32 keys are hash maps).
//! `always_keep` paths, their subtrees and the objects above them are kept
//! and paid for first.

use std::collections::VecDeque;

use sluice_sdk::prelude::*;

use crate::patterns::Patterns;

/// Removes fields past `max_fields`; returns whether anything was removed.
pub fn apply(max_fields: usize, always_keep: &Patterns, doc: &mut Value<'_>) -> bool {
    let Some(root) = doc.as_object() else {
        return false;
    };
    // Most documents are far inside the budget: a count that needs no path
    // tree proves it for them.
    let mut left = max_fields;
    if root
        .values()
        .all(|value| fits_by_overcount(value, &mut left))
    {
        return false;
    }
    let mut tree = PathTree::default();
    let mut path = String::new();
    tree.add_object(ROOT, root, &mut path, always_keep);
    if tree.total_cost() <= max_fields {
        return false;
    }
    tree.choose(max_fields);
    match doc.as_object_mut() {
        Some(root) => tree.prune_object(ROOT, root),
        None => false,
    }
}

const ROOT: usize = 0;

/// Takes `value`'s cost off `left`, counting every value as if it had a path
/// of its own, and tells whether it fitted. A path costs at most what the
/// values on it would cost apart (one object, string or scalar among them
/// decides its cost), so this overcounts: what fits here fits the budget.
fn fits_by_overcount(value: &Value<'_>, left: &mut usize) -> bool {
    let cost = match value {
        Value::Object(obj) => {
            return take(left, 1) && obj.values().all(|v| fits_by_overcount(v, left));
        }
        Value::Array(items) => return items.iter().all(|v| fits_by_overcount(v, left)),
        Value::String(_) => 2,
        Value::Static(s) if s.is_null() => 0,
        Value::Static(_) => 1,
    };
    take(left, cost)
}

/// Takes `cost` off `left` if it fits; tells whether it did.
pub(crate) fn take(left: &mut usize, cost: usize) -> bool {
    match left.checked_sub(cost) {
        Some(rest) => {
            *left = rest;
            true
        }
        None => false,
    }
}

/// Every distinct path of the document, each with what its values cost.
struct PathTree {
    nodes: Vec<PathNode>,
}

#[derive(Default)]
struct PathNode {
    name: String,
    parent: usize,
    /// Sorted by name once the tree is built.
    children: Vec<usize>,
    has_object: bool,
    has_string: bool,
    has_scalar: bool,
    /// Matches `always_keep`, or lies under a path that does.
    protected: bool,
    /// Kept: protected, above a protected path, or admitted in the budget.
    keep: bool,
}

impl Default for PathTree {
    fn default() -> Self {
        PathTree {
            nodes: vec![PathNode::default()],
        }
    }
}

impl PathNode {
    fn cost(&self) -> usize {
        if self.has_object {
            1
        } else if self.has_string {
            2
        } else {
            usize::from(self.has_scalar)
        }
    }
}

impl PathTree {
    fn add_object(&mut self, node: usize, obj: &Object<'_>, path: &mut String, keep: &Patterns) {
        self.nodes[node].has_object = true;
        for (key, value) in obj {
            let mark = path.len();
            if mark > 0 {
                path.push('.');
            }
            path.push_str(key);
            let child = self.child(node, key, path, keep);
            self.add_value(child, value, path, keep);
            path.truncate(mark);
        }
    }

    fn add_value(&mut self, node: usize, value: &Value<'_>, path: &mut String, keep: &Patterns) {
        match value {
            Value::Object(obj) => self.add_object(node, obj, path, keep),
            Value::Array(items) => {
                for item in items.iter() {
                    self.add_value(node, item, path, keep);
                }
            }
            Value::String(_) => self.nodes[node].has_string = true,
            Value::Static(s) if s.is_null() => {}
            Value::Static(_) => self.nodes[node].has_scalar = true,
        }
    }

    /// The node for `path`, a child of `parent` named `key`.
    fn child(&mut self, parent: usize, key: &str, path: &str, keep: &Patterns) -> usize {
        if let Some(&existing) = self.nodes[parent]
            .children
            .iter()
            .find(|&&c| self.nodes[c].name == key)
        {
            return existing;
        }
        let id = self.nodes.len();
        let protected = self.nodes[parent].protected || keep.matches(path);
        self.nodes.push(PathNode {
            name: key.to_owned(),
            parent,
            protected,
            ..PathNode::default()
        });
        self.nodes[parent].children.push(id);
        id
    }

    fn total_cost(&self) -> usize {
        self.nodes[1..].iter().map(PathNode::cost).sum()
    }

    /// Marks the nodes to keep: protected ones and their ancestors first,
    /// then the rest breadth first while they fit.
    fn choose(&mut self, max_fields: usize) {
        for id in 1..self.nodes.len() {
            if self.nodes[id].protected {
                let mut up = id;
                while up != ROOT && !self.nodes[up].keep {
                    self.nodes[up].keep = true;
                    up = self.nodes[up].parent;
                }
            }
        }
        let reserved: usize = self.nodes[1..]
            .iter()
            .filter(|n| n.keep)
            .map(PathNode::cost)
            .sum();
        let mut budget = max_fields.saturating_sub(reserved);
        let mut full = false;

        let mut children = std::mem::take(&mut self.nodes[ROOT].children);
        self.sort_by_name(&mut children);
        self.nodes[ROOT].children = children;
        let mut queue: VecDeque<usize> = self.nodes[ROOT].children.iter().copied().collect();
        while let Some(id) = queue.pop_front() {
            let cost = self.nodes[id].cost();
            if !self.nodes[id].keep {
                if full || cost > budget {
                    full = true;
                    continue;
                }
                budget -= cost;
                self.nodes[id].keep = true;
            }
            let mut children = std::mem::take(&mut self.nodes[id].children);
            self.sort_by_name(&mut children);
            queue.extend(children.iter().copied());
            self.nodes[id].children = children;
        }
    }

    fn sort_by_name(&self, ids: &mut [usize]) {
        ids.sort_unstable_by(|&a, &b| self.nodes[a].name.cmp(&self.nodes[b].name));
    }

    /// Removes the fields of `obj` (at `node`) that were not chosen; returns
    /// whether any were.
    fn prune_object(&self, node: usize, obj: &mut Object<'_>) -> bool {
        let before = obj.len();
        let mut changed = false;
        obj.retain(|key, value| match self.find(node, key) {
            Some(child) if self.nodes[child].keep => {
                changed |= self.prune_value(child, value);
                true
            }
            _ => false,
        });
        changed || obj.len() != before
    }

    fn prune_value(&self, node: usize, value: &mut Value<'_>) -> bool {
        match value {
            Value::Object(obj) => self.prune_object(node, obj),
            Value::Array(items) => items.iter_mut().fold(false, |changed, item| {
                self.prune_value(node, item) | changed
            }),
            _ => false,
        }
    }

    /// The child of `node` named `key`; children are sorted by now, but only
    /// those of kept nodes, which are the only ones looked up.
    fn find(&self, node: usize, key: &str) -> Option<usize> {
        let children = &self.nodes[node].children;
        children
            .binary_search_by(|&c| self.nodes[c].name.as_str().cmp(key))
            .ok()
            .map(|i| children[i])
    }
}
