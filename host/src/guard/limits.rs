//! The limits a document is checked against, and the reasons it can break
//! them. Index-wide limits are checked against the union of the index's
//! fields, as Elasticsearch checks its mapping.

use std::fmt;

use super::mapping::{FieldKind, MappingShape};
use crate::config::GuardConfig;

#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    pub total_fields: usize,
    pub depth: usize,
    pub field_name_length: Option<usize>,
    pub document_fields: Option<usize>,
}

impl From<&GuardConfig> for Limits {
    fn from(config: &GuardConfig) -> Self {
        Limits {
            total_fields: config.total_fields_limit,
            depth: config.depth_limit,
            field_name_length: config.field_name_length_limit,
            document_fields: config.document_fields_limit,
        }
    }
}

/// The first limit a document breaks; its text is the dead letter's reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Violation {
    Depth {
        path: String,
        depth: usize,
        limit: usize,
    },
    FieldNameLength {
        name: String,
        limit: usize,
    },
    DocumentFields {
        fields: usize,
        limit: usize,
    },
    IndexFields {
        index: String,
        used: usize,
        adding: usize,
        limit: usize,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::Depth { path, depth, limit } => write!(
                f,
                "mapping depth limit exceeded: object field [{path}] is at depth {depth}, the limit is {limit}"
            ),
            Violation::FieldNameLength { name, limit } => write!(
                f,
                "field name too long: [{name}] has {} characters, the limit is {limit}",
                name.chars().count()
            ),
            Violation::DocumentFields { fields, limit } => write!(
                f,
                "document field limit exceeded: the document maps to {fields} fields, the limit is {limit}"
            ),
            Violation::IndexFields {
                index,
                used,
                adding,
                limit,
            } => write!(
                f,
                "index field budget exceeded: index [{index}] holds {used} of {limit} mapping fields and this document adds {adding}"
            ),
        }
    }
}

/// Depth of an object field at `path`: the root is 1, a top-level object 2.
pub(super) fn object_depth(path: &str) -> usize {
    path.bytes().filter(|b| *b == b'.').count() + 2
}

/// The last segment of a path: the name Elasticsearch checks the length of.
pub(super) fn leaf(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

impl Limits {
    /// The first limit a document breaks when added to `index` (named
    /// `index_name`). `added` holds the fields the document adds to the
    /// index (see [`MappingShape::add_unknown`]): fields the index already
    /// holds passed the depth and name checks when they were added.
    /// `document`, the document's full shape, is needed for the
    /// per-document field limit only.
    pub fn check(
        &self,
        index_name: &str,
        index: &MappingShape,
        added: &MappingShape,
        document: Option<&MappingShape>,
    ) -> Option<Violation> {
        if added.max_depth() > self.depth {
            let path = added
                .paths()
                .filter(|(path, kind)| {
                    *kind == FieldKind::Object && object_depth(path) > self.depth
                })
                .map(|(path, _)| path)
                .min_by_key(|path| (object_depth(path), *path))
                .expect("a depth over the limit comes from an object");
            return Some(Violation::Depth {
                path: path.to_owned(),
                depth: object_depth(path),
                limit: self.depth,
            });
        }
        if let Some(limit) = self.field_name_length
            && let Some(name) = added
                .paths()
                .map(|(path, _)| leaf(path))
                .filter(|name| name.chars().count() > limit)
                .min()
        {
            return Some(Violation::FieldNameLength {
                name: name.to_owned(),
                limit,
            });
        }
        if let Some(limit) = self.document_fields {
            let fields = document
                .expect("the document's shape is measured when its field count is limited")
                .total_fields();
            if fields > limit {
                return Some(Violation::DocumentFields { fields, limit });
            }
        }
        let adding = added.total_fields();
        (index.total_fields() + adding > self.total_fields).then(|| Violation::IndexFields {
            index: index_name.to_owned(),
            used: index.total_fields(),
            adding,
            limit: self.total_fields,
        })
    }
}
