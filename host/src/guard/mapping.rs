//! Counting fields as an Elasticsearch dynamic mapping does.
//!
//! Rules (Elasticsearch 8, default dynamic mapping):
//! - a key `"a.b"` is expanded into an object `a` holding `b`;
//! - every object is a field; the root is not;
//! - a string maps to `text` plus a `keyword` multi-field (two fields),
//!   unless date detection maps it to `date` (one field);
//! - numbers and booleans are one field; arrays take their elements' type;
//!   `null` and empty arrays add nothing;
//! - depth is checked on objects: an object at path `a.b` has depth 3
//!   (`dots + 2`), and a mapping's depth is its deepest object's, at least 1.

use rustc_hash::FxHashMap;

use crate::json::{Json, ValueType};

use super::date_detection::is_detected_date;

/// The mapping type a field gets the first time it is seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Object,
    Long,
    Float,
    Boolean,
    Date,
    /// `text` with a `.keyword` multi-field.
    Text,
    /// A single field of a type only an explicit mapping gives (`keyword`,
    /// `ip`, `geo_point`, a `text` without multi-field...), or a multi-field
    /// other than the dynamic `.keyword`: read from an existing mapping.
    Other,
}

impl FieldKind {
    /// How many entries this field adds to `index.mapping.total_fields`.
    pub fn mapping_fields(self) -> usize {
        match self {
            FieldKind::Text => 2,
            _ => 1,
        }
    }

    /// The kind a dynamic mapping gives a scalar, for documents held as
    /// `serde_json` values (the guard's rewriting path).
    pub fn of_json(value: &serde_json::Value) -> Option<FieldKind> {
        use serde_json::Value;
        match value {
            Value::Bool(_) => Some(FieldKind::Boolean),
            Value::Number(n) if n.is_i64() || n.is_u64() => Some(FieldKind::Long),
            Value::Number(_) => Some(FieldKind::Float),
            Value::String(s) => Some(if is_detected_date(s) {
                FieldKind::Date
            } else {
                FieldKind::Text
            }),
            _ => None,
        }
    }

    fn of_scalar(value_type: ValueType, text: Option<&str>) -> Option<FieldKind> {
        match value_type {
            ValueType::Bool => Some(FieldKind::Boolean),
            ValueType::I64 | ValueType::U64 | ValueType::I128 | ValueType::U128 => {
                Some(FieldKind::Long)
            }
            ValueType::F64 => Some(FieldKind::Float),
            ValueType::String => Some(if text.is_some_and(is_detected_date) {
                FieldKind::Date
            } else {
                FieldKind::Text
            }),
            _ => None,
        }
    }
}

/// The union of the fields of every document added, keyed by dotted path.
/// The first kind seen for a path wins, as in a real mapping.
#[derive(Debug, Clone, Default)]
pub struct MappingShape {
    // Looked up once per field of every document: FxHash, not SipHash, since
    // the keys are field names, not attacker-chosen table keys.
    fields: FxHashMap<String, FieldKind>,
    total_fields: usize,
    max_depth: usize,
}

impl MappingShape {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the fields of one document (a JSON object; anything else adds
    /// nothing).
    pub fn add(&mut self, document: Json) {
        self.add_beyond(document, None);
    }

    /// Adds the fields of one document that `known` does not hold: what the
    /// document would add to `known`. Known paths cost a lookup, no
    /// allocation, which keeps the guard cheap once an index's fields are
    /// known.
    pub fn add_unknown(&mut self, document: Json, known: &MappingShape) {
        self.add_beyond(document, Some(known));
    }

    fn add_beyond(&mut self, document: Json, known: Option<&MappingShape>) {
        let mut path = String::with_capacity(64);
        for (key, value) in document.entries() {
            self.add_field(&mut path, key, value, known);
        }
        self.max_depth = self.max_depth.max(1);
    }

    /// Distinct field paths, objects included.
    pub fn distinct_paths(&self) -> usize {
        self.fields.len()
    }

    /// What `index.mapping.total_fields.limit` is checked against.
    pub fn total_fields(&self) -> usize {
        self.total_fields
    }

    /// What `index.mapping.depth.limit` is checked against (0 when empty).
    pub fn max_depth(&self) -> usize {
        self.max_depth
    }

    pub fn kind_of(&self, path: &str) -> Option<FieldKind> {
        self.fields.get(path).copied()
    }

    pub fn paths(&self) -> impl Iterator<Item = (&str, FieldKind)> {
        self.fields.iter().map(|(p, k)| (p.as_str(), *k))
    }

    /// The shape an index already has, from its `mappings` object as
    /// `GET <index>/_mapping` returns it (`{"properties": {...}}`), so the
    /// guard starts from the fields indexed before this process started.
    pub fn from_mapping(mappings: &serde_json::Value) -> Self {
        let mut shape = MappingShape::new();
        if let Some(properties) = mappings.get("properties").and_then(|p| p.as_object()) {
            let mut path = String::new();
            shape.add_properties(&mut path, properties);
        }
        shape.max_depth = shape.max_depth.max(1);
        shape
    }

    /// Adds every field of `other` this shape does not hold yet.
    pub fn merge(&mut self, other: &MappingShape) {
        for (path, kind) in other.paths() {
            self.record(path, kind);
        }
        self.max_depth = self.max_depth.max(other.max_depth);
    }

    fn add_properties(
        &mut self,
        path: &mut String,
        properties: &serde_json::Map<String, serde_json::Value>,
    ) {
        for (name, field) in properties {
            let restore = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(name);
            let ty = field.get("type").and_then(|t| t.as_str());
            let children = field.get("properties").and_then(|p| p.as_object());
            let multi = field.get("fields").and_then(|f| f.as_object());
            let dynamic_text = ty == Some("text")
                && multi.is_some_and(|m| {
                    m.len() == 1
                        && m.get("keyword")
                            .and_then(|k| k.get("type"))
                            .and_then(|t| t.as_str())
                            == Some("keyword")
                });
            // A mapping lists objects without a `type` (or with `object` /
            // `nested`); every other field names its type.
            let kind = match ty {
                None | Some("object" | "nested") => FieldKind::Object,
                _ if dynamic_text => FieldKind::Text,
                Some("long") => FieldKind::Long,
                Some("float") => FieldKind::Float,
                Some("boolean") => FieldKind::Boolean,
                Some("date") => FieldKind::Date,
                _ => FieldKind::Other,
            };
            self.record(path, kind);
            if let Some(children) = children {
                self.add_properties(path, children);
            }
            if !dynamic_text {
                for sub in multi.into_iter().flat_map(|m| m.keys()) {
                    self.record(&format!("{path}.{sub}"), FieldKind::Other);
                }
            }
            path.truncate(restore);
        }
    }

    fn add_field(
        &mut self,
        path: &mut String,
        key: &str,
        value: Json,
        known: Option<&MappingShape>,
    ) {
        let restore = path.len();
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
        // A dotted key is a chain of objects ending in its last segment.
        // Most keys have no dot; a plain scan of these short keys is cheaper
        // than splitting them (or than memchr's setup).
        if key.bytes().any(|b| b == b'.') {
            let start = restore + usize::from(restore > 0);
            for (at, _) in path[start..].match_indices('.') {
                self.record_unknown(&path[..start + at], FieldKind::Object, known);
            }
        }
        self.add_value(path, value, known);
        path.truncate(restore);
    }

    fn add_value(&mut self, path: &mut String, value: Json, known: Option<&MappingShape>) {
        match value.value_type() {
            ValueType::Object => {
                self.record_unknown(path, FieldKind::Object, known);
                for (key, child) in value.entries() {
                    self.add_field(path, key, child, known);
                }
            }
            ValueType::Array => {
                for element in value.elements() {
                    self.add_value(path, element, known);
                }
            }
            // Classifying a string (date detection) costs more than the
            // lookup, so a path already held is not classified again.
            value_type if !self.holds(path, known) => {
                if let Some(kind) = FieldKind::of_scalar(value_type, value.text()) {
                    self.record(path, kind);
                }
            }
            _ => {}
        }
    }

    fn holds(&self, path: &str, known: Option<&MappingShape>) -> bool {
        known.is_some_and(|k| k.fields.contains_key(path)) || self.fields.contains_key(path)
    }

    fn record_unknown(&mut self, path: &str, kind: FieldKind, known: Option<&MappingShape>) {
        if !known.is_some_and(|k| k.fields.contains_key(path)) {
            self.record(path, kind);
        }
    }

    fn record(&mut self, path: &str, kind: FieldKind) {
        if self.fields.contains_key(path) {
            return;
        }
        if kind == FieldKind::Object {
            let depth = path.bytes().filter(|b| *b == b'.').count() + 2;
            self.max_depth = self.max_depth.max(depth);
        }
        self.total_fields += kind.mapping_fields();
        self.fields.insert(path.to_owned(), kind);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Parser;

    fn shape_of(json: &str) -> MappingShape {
        let mut parser = Parser::default();
        let mut shape = MappingShape::new();
        shape.add(Json::root(&parser.parse(json.as_bytes()).unwrap()));
        shape
    }

    #[test]
    fn strings_cost_two_fields_and_objects_one() {
        let shape = shape_of(r#"{"text":"hi","user":{"id":1,"name":"a"}}"#);
        // text(2) + user(1) + user.id(1) + user.name(2)
        assert_eq!(shape.total_fields(), 6);
        assert_eq!(shape.distinct_paths(), 4);
        assert_eq!(shape.kind_of("user"), Some(FieldKind::Object));
        assert_eq!(shape.max_depth(), 2);
    }

    #[test]
    fn dotted_keys_expand_into_objects() {
        let dotted = shape_of(r#"{"retweeted.user.name":"x"}"#);
        let nested = shape_of(r#"{"retweeted":{"user":{"name":"x"}}}"#);
        assert_eq!(dotted.total_fields(), nested.total_fields());
        assert_eq!(dotted.total_fields(), 4);
        assert_eq!(dotted.kind_of("retweeted.user"), Some(FieldKind::Object));
        assert_eq!(dotted.max_depth(), 3);
    }

    #[test]
    fn arrays_take_their_elements_type_and_nulls_add_nothing() {
        let shape =
            shape_of(r#"{"tags":["a","b"],"ids":[1,2],"none":null,"empty":[],"m":[{"u":1}]}"#);
        assert_eq!(shape.kind_of("tags"), Some(FieldKind::Text));
        assert_eq!(shape.kind_of("ids"), Some(FieldKind::Long));
        assert_eq!(shape.kind_of("none"), None);
        assert_eq!(shape.kind_of("empty"), None);
        assert_eq!(shape.kind_of("m.u"), Some(FieldKind::Long));
        assert_eq!(shape.total_fields(), 2 + 1 + 1 + 1);
    }

    #[test]
    fn detected_dates_cost_one_field() {
        let shape =
            shape_of(r#"{"at":"2016-08-30T12:01:02Z","twitter":"Wed Aug 27 13:08:45 +0000 2008"}"#);
        assert_eq!(shape.kind_of("at"), Some(FieldKind::Date));
        assert_eq!(shape.kind_of("twitter"), Some(FieldKind::Text));
        assert_eq!(shape.total_fields(), 3);
    }

    #[test]
    fn the_union_counts_each_path_once() {
        let mut parser = Parser::default();
        let mut shape = MappingShape::new();
        shape.add(Json::root(&parser.parse(br#"{"x":1,"y":"s"}"#).unwrap()));
        shape.add(Json::root(&parser.parse(br#"{"x":2,"z":true}"#).unwrap()));
        assert_eq!(shape.total_fields(), 1 + 2 + 1);
    }
}
