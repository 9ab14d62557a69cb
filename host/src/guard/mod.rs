//! The guard: what the host guarantees about documents before a sink sees
//! them, measured the way Elasticsearch measures mappings.
//!
//! [`MappingShape`] is the arithmetic: the union of field paths a dynamic
//! mapping would hold for a set of documents, with Elasticsearch's rules
//! (dotted keys expand into objects, objects count as fields, a dynamic
//! string costs two fields because of its `.keyword` multi-field, strings
//! that look like dates cost one). [`Guard`] applies the pipeline's limits
//! with it, per document and per index (`limits`), and rewrites documents
//! that do not fit when the policy says so (`trim`).

mod date_detection;
mod limits;
mod mapping;
mod stage;
mod trim;

pub use mapping::{FieldKind, MappingShape};
pub use stage::{Guard, GuardStats};
