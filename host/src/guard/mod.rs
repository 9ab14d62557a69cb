//! The guard: what the host guarantees about documents before a sink sees
//! them, measured the way Elasticsearch measures mappings.
//!
//! [`MappingShape`] is the arithmetic: the union of field paths a dynamic
//! mapping would hold for a set of documents, with Elasticsearch's rules
//! (dotted keys expand into objects, objects count as fields, a dynamic
//! string costs two fields because of its `.keyword` multi-field).

mod check;
mod date_detection;
mod mapping;

pub use check::check_document;
pub use mapping::{FieldKind, MappingShape};
