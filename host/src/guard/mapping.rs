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

use std::collections::HashMap;

use foldhash::quality::RandomState;

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

/// Paths a [`MappingShape::forgetful`] shape holds before it starts over.
const FORGETFUL_MAX_PATHS: usize = 50_000;

/// The union of the fields of every document added, keyed by dotted path.
/// The first kind seen for a path wins, as in a real mapping.
#[derive(Debug, Clone, Default)]
pub struct MappingShape {
    // Looked up once per field of every document. Field names are chosen by
    // whoever produces the records, so the hash is keyed (a random seed per
    // shape): with an unkeyed one (FxHash) a producer can send keys that all
    // collide and make every lookup walk the whole table (BENCHMARKS.md,
    // "Hash flooding").
    fields: HashMap<String, FieldKind, RandomState>,
    total_fields: usize,
    max_depth: usize,
    /// For [`MappingShape::forgetful`]: the most paths kept.
    max_paths: Option<usize>,
}

impl MappingShape {
    pub fn new() -> Self {
        Self::default()
    }

    /// A shape that forgets every path once [`MappingShape::merge`] would
    /// take it past a fixed number of paths: for a set of paths already
    /// reported, where forgetting costs a path reported twice, not a wrong
    /// count, and input with map-like keys (ids as field names) must not
    /// grow it forever.
    pub fn forgetful() -> Self {
        MappingShape {
            max_paths: Some(FORGETFUL_MAX_PATHS),
            ..Self::default()
        }
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

    /// Adds every field of `other` this shape does not hold yet (a
    /// [`forgetful`](MappingShape::forgetful) shape first forgets what it
    /// holds if both together are too many).
    pub fn merge(&mut self, other: &MappingShape) {
        if let Some(max) = self.max_paths
            && self.fields.len() + other.fields.len() > max
        {
            self.fields.clear();
            self.total_fields = 0;
            self.max_depth = 0;
        }
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

    /// `n` distinct 32-byte field names that rustc-hash 2's FxHash maps to
    /// one value: its string hash is `mix(SEED2 ^ w2, mix(SEED1 ^ w0, P ^ w1)
    /// ^ w3)` over the key's four 8-byte words, so choosing `w3` to cancel
    /// the inner mix leaves nothing that depends on the key. Only keys whose
    /// `w3` is printable ASCII without dots or JSON escapes are kept.
    fn keys_colliding_under_fxhash(n: usize) -> Vec<String> {
        const SEED1: u64 = 0x243f6a8885a308d3;
        const P: u64 = 0xa4093822299f31d0;
        let mix = |x: u64, y: u64| {
            let full = (x as u128).wrapping_mul(y as u128);
            (full as u64) ^ ((full >> 64) as u64)
        };
        let w1 = u64::from_le_bytes(*b"-crafted");
        let tail = u64::from_le_bytes(*b"-to-meet");
        let plain = |b: u8| (0x20..0x7f).contains(&b) && !matches!(b, b'"' | b'\\' | b'.');
        let mut keys = Vec::with_capacity(n);
        let mut counter = 0u64;
        while keys.len() < n {
            let w0 = format!("{counter:08}");
            counter += 1;
            let w0_bytes: [u8; 8] = w0.as_bytes().try_into().unwrap();
            let w3 = mix(SEED1 ^ u64::from_le_bytes(w0_bytes), P ^ w1) ^ tail;
            let w3 = w3.to_le_bytes();
            if w3.iter().all(|b| plain(*b)) {
                let mut key = w0.into_bytes();
                key.extend_from_slice(b"-crafted-to-meet");
                key.extend_from_slice(&w3);
                keys.push(String::from_utf8(key).unwrap());
            }
        }
        keys
    }

    #[test]
    fn field_names_crafted_to_collide_under_fxhash_spread_in_the_shape() {
        use std::collections::HashSet;
        use std::hash::BuildHasher;
        let keys = keys_colliding_under_fxhash(200);
        let fx: HashSet<u64> = keys
            .iter()
            .map(|k| rustc_hash::FxBuildHasher.hash_one(k))
            .collect();
        assert_eq!(fx.len(), 1, "the crafted keys collide under FxHash");
        let shape = MappingShape::new();
        let keyed: HashSet<u64> = keys
            .iter()
            .map(|k| shape.fields.hasher().hash_one(k))
            .collect();
        assert_eq!(keyed.len(), keys.len());
    }

    /// The measurement behind BENCHMARKS.md's "Hash flooding": one document
    /// of 20,000 crafted keys through the shape with FxHash and with the
    /// shape's keyed hash.
    #[test]
    #[ignore = "measurement: cargo test --release -p sluice --lib hash_flooding -- --ignored --nocapture"]
    fn hash_flooding_costs_nothing_with_the_keyed_hash() {
        let keys = keys_colliding_under_fxhash(20_000);
        let document: serde_json::Map<String, serde_json::Value> =
            keys.iter().map(|k| (k.clone(), 1.into())).collect();
        let bytes = serde_json::to_vec(&document).unwrap();
        let mut parser = Parser::default();
        let tape = parser.parse(&bytes).unwrap();
        let time = |f: &mut dyn FnMut()| {
            let started = std::time::Instant::now();
            f();
            started.elapsed().as_secs_f64()
        };
        let keyed = time(&mut || {
            let mut shape = MappingShape::new();
            shape.add(Json::root(&tape));
            assert_eq!(shape.distinct_paths(), keys.len());
        });
        let fx = time(&mut || {
            let mut fields = rustc_hash::FxHashMap::default();
            for (key, _) in Json::root(&tape).entries() {
                fields.entry(key.to_owned()).or_insert(FieldKind::Long);
            }
            assert_eq!(fields.len(), keys.len());
        });
        println!("20000 crafted keys: keyed foldhash {keyed:.4} s, FxHash {fx:.4} s");
        assert!(keyed * 10.0 < fx, "keyed {keyed} s, fx {fx} s");
    }

    #[test]
    fn a_forgetful_shape_stays_bounded_over_map_like_keys() {
        // Ids as field names: every record brings a new path.
        let mut reported = MappingShape::forgetful();
        reported.max_paths = Some(100);
        for n in 0..1_000 {
            let json = format!(r#"{{"by_id":{{"u{n}":1}}}}"#);
            reported.merge(&shape_of(&json));
            assert!(
                reported.distinct_paths() <= 100,
                "{}",
                reported.distinct_paths()
            );
        }
        assert!(
            reported.kind_of("by_id.u999").is_some(),
            "the latest paths are kept"
        );
        let mut unbounded = MappingShape::new();
        for n in 0..1_000 {
            unbounded.merge(&shape_of(&format!(r#"{{"u{n}":1}}"#)));
        }
        assert_eq!(unbounded.distinct_paths(), 1_000);
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
