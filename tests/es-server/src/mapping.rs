//! An index's mapping and the dynamic-mapping rules that grow it, document by document.
//!
//! This follows Elasticsearch 8's `DocumentParser` / `DocumentParserContext.addDynamicMapper`:
//! a document is walked in source order; every field not yet mapped creates a dynamic
//! mapper, and each new mapper is checked against the depth limit (objects) and the total
//! fields limit *as it is added* (`remaining < new fields so far`), so the `N` in
//! `... while adding new fields [N]` is the running count at the failing field, multi-fields
//! included. The mapping changes only when the whole document parsed (atomic per document).
//! The field-name-length limit is checked afterwards on the new mappers, as ES checks it
//! when merging the mapping update, so it is reported as a bare `illegal_argument_exception`.

use std::collections::{BTreeMap, HashMap};

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value as JsonValue;

use crate::error::EsError;
use crate::json::{self, Member, Node, Value};
use crate::settings::Limits;

/// `dynamic` of an object: what happens to fields the mapping does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dynamic {
    True,
    False,
    Strict,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Mapper {
    Object(ObjectMapper),
    Field(FieldMapper),
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObjectMapper {
    pub nested: bool,
    pub dynamic: Option<Dynamic>,
    pub properties: BTreeMap<String, Mapper>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldMapper {
    pub ty: String,
    /// Parameters other than `type` and `fields`, in the order they were given.
    pub params: Vec<(String, JsonValue)>,
    pub fields: BTreeMap<String, FieldMapper>,
}

/// `format` of a dynamically detected date in the second default dynamic date format.
pub const SLASH_DATE_FORMAT: &str = "yyyy/MM/dd HH:mm:ss Z||yyyy/MM/dd Z";
const DEFAULT_DATE_FORMAT: &str = "strict_date_optional_time||epoch_millis";

impl FieldMapper {
    fn simple(ty: &str) -> Self {
        Self {
            ty: ty.to_owned(),
            params: Vec::new(),
            fields: BTreeMap::new(),
        }
    }

    /// Dynamic string: `text` with a `keyword` multi-field that ignores values over 256 chars.
    fn dynamic_text() -> Self {
        let mut keyword = Self::simple("keyword");
        keyword.params.push(("ignore_above".to_owned(), 256.into()));
        let mut text = Self::simple("text");
        text.fields.insert("keyword".to_owned(), keyword);
        text
    }

    pub fn param(&self, name: &str) -> Option<&JsonValue> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    fn total_fields(&self) -> i64 {
        1 + self
            .fields
            .values()
            .map(FieldMapper::total_fields)
            .sum::<i64>()
    }
}

impl Mapper {
    /// Fields this mapper adds to `index.mapping.total_fields.limit`'s count.
    fn total_fields(&self) -> i64 {
        match self {
            Mapper::Object(o) => 1 + o.total_fields(),
            Mapper::Field(f) => f.total_fields(),
        }
    }
}

impl ObjectMapper {
    /// Fields under this object (the object itself not counted: the root is never counted).
    pub fn total_fields(&self) -> i64 {
        self.properties.values().map(Mapper::total_fields).sum()
    }

    fn nested_count(&self) -> i64 {
        self.properties
            .values()
            .map(|m| match m {
                Mapper::Object(o) => i64::from(o.nested) + o.nested_count(),
                Mapper::Field(_) => 0,
            })
            .sum()
    }

    fn lookup(&self, path: &str) -> Option<&Mapper> {
        let mut parts = path.split('.');
        let mut node = self.properties.get(parts.next()?)?;
        for part in parts {
            match node {
                Mapper::Object(o) => node = o.properties.get(part)?,
                Mapper::Field(_) => return None,
            }
        }
        Some(node)
    }

    /// The field mapper for a searchable path, including multi-fields (`text.keyword`).
    pub fn field(&self, path: &str) -> Option<&FieldMapper> {
        if let Some(Mapper::Field(f)) = self.lookup(path) {
            return Some(f);
        }
        let (parent, sub) = path.rsplit_once('.')?;
        match self.lookup(parent) {
            Some(Mapper::Field(f)) => f.fields.get(sub),
            _ => None,
        }
    }

    fn insert(&mut self, path: &str, mapper: Mapper) {
        let (parent, leaf) = match path.rsplit_once('.') {
            Some((parent, leaf)) => (Some(parent), leaf),
            None => (None, path),
        };
        let target = match parent {
            None => self,
            Some(parent) => match self.lookup_mut(parent) {
                Some(Mapper::Object(o)) => o,
                _ => unreachable!("dynamic parents are added before their children"),
            },
        };
        target.properties.insert(leaf.to_owned(), mapper);
    }

    fn lookup_mut(&mut self, path: &str) -> Option<&mut Mapper> {
        let mut parts = path.split('.');
        let mut node = self.properties.get_mut(parts.next()?)?;
        for part in parts {
            match node {
                Mapper::Object(o) => node = o.properties.get_mut(part)?,
                Mapper::Field(_) => return None,
            }
        }
        Some(node)
    }

    /// Checks explicit mappings against the limits, as `MappingLookup.checkLimits` does when
    /// an index is created.
    pub fn check_limits(&self, limits: &Limits) -> Result<(), EsError> {
        let total = self.total_fields();
        if total > limits.total_fields {
            return Err(illegal(format!(
                "Limit of total fields [{}] has been exceeded",
                limits.total_fields
            )));
        }
        let mut objects = Vec::new();
        let mut leaves = Vec::new();
        collect_names("", self, &mut objects, &mut leaves);
        for path in &objects {
            check_depth(limits.depth, path)?;
        }
        for name in objects.iter().chain(&leaves) {
            let leaf = name.rsplit('.').next().unwrap_or(name);
            check_name_length(limits.field_name_length, leaf)?;
        }
        if self.nested_count() > limits.nested_fields {
            return Err(illegal(format!(
                "Limit of nested fields [{}] has been exceeded",
                limits.nested_fields
            )));
        }
        Ok(())
    }

    /// Reads the `mappings` object of `PUT /{index}` or a template.
    /// A mapping nested under the type name `_doc` is unwrapped, as ES 8's
    /// `MappingParser.extractMapping` does.
    pub fn from_json(mappings: &JsonValue) -> Result<Self, EsError> {
        let Some(mut map) = mappings.as_object() else {
            return Err(mapper_parsing(
                "Failed to parse mapping: mappings must be an object",
            ));
        };
        if let Some((name, inner)) = map.iter().next()
            && name == "_doc"
        {
            map = inner.as_object().ok_or_else(|| {
                mapper_parsing("Failed to parse mapping: [_doc] must be an object")
            })?;
        }
        let mut root = ObjectMapper {
            dynamic: parse_dynamic(map.get("dynamic"))?,
            ..ObjectMapper::default()
        };
        if let Some(props) = map.get("properties") {
            root.properties = parse_properties(props)?;
        }
        Ok(root)
    }

    /// Adds `other`'s properties (a template's) under this mapping's, keeping this one's on conflict.
    pub fn merged_over(&self, base: &ObjectMapper) -> ObjectMapper {
        let mut merged = base.clone();
        for (name, mapper) in &self.properties {
            match (merged.properties.get_mut(name), mapper) {
                (Some(Mapper::Object(existing)), Mapper::Object(incoming)) => {
                    *existing = incoming.merged_over(existing);
                }
                _ => {
                    merged.properties.insert(name.clone(), mapper.clone());
                }
            }
        }
        merged.nested = self.nested;
        merged.dynamic = self.dynamic.or(base.dynamic);
        merged
    }
}

fn collect_names(
    prefix: &str,
    object: &ObjectMapper,
    objects: &mut Vec<String>,
    leaves: &mut Vec<String>,
) {
    for (name, mapper) in &object.properties {
        let path = join(prefix, name);
        match mapper {
            Mapper::Object(o) => {
                objects.push(path.clone());
                collect_names(&path, o, objects, leaves);
            }
            Mapper::Field(_) => leaves.push(path),
        }
    }
}

fn parse_dynamic(value: Option<&JsonValue>) -> Result<Option<Dynamic>, EsError> {
    Ok(match value {
        None | Some(JsonValue::Null) => None,
        Some(JsonValue::Bool(true)) => Some(Dynamic::True),
        Some(JsonValue::Bool(false)) => Some(Dynamic::False),
        Some(JsonValue::String(s)) if s == "true" => Some(Dynamic::True),
        Some(JsonValue::String(s)) if s == "false" => Some(Dynamic::False),
        Some(JsonValue::String(s)) if s == "strict" => Some(Dynamic::Strict),
        Some(other) => {
            return Err(mapper_parsing(format!(
                "Failed to parse mapping: Could not convert [dynamic] to boolean or [strict]: [{other}]"
            )));
        }
    })
}

fn parse_properties(props: &JsonValue) -> Result<BTreeMap<String, Mapper>, EsError> {
    let Some(props) = props.as_object() else {
        return Err(mapper_parsing(
            "Failed to parse mapping: properties must be an object",
        ));
    };
    let mut out = BTreeMap::new();
    for (name, def) in props {
        validate_field_name(name)?;
        let Some(def) = def.as_object() else {
            return Err(mapper_parsing(format!(
                "Failed to parse mapping: Expected map for property [fields] on field [{name}] but got a {def}"
            )));
        };
        let ty = def.get("type").and_then(JsonValue::as_str);
        let mapper = match ty {
            None | Some("object") | Some("nested") => Mapper::Object(ObjectMapper {
                nested: ty == Some("nested"),
                dynamic: parse_dynamic(def.get("dynamic"))?,
                properties: match def.get("properties") {
                    Some(p) => parse_properties(p)?,
                    None => BTreeMap::new(),
                },
            }),
            Some(ty) => Mapper::Field(parse_field(ty, def)?),
        };
        out.insert(name.clone(), mapper);
    }
    Ok(out)
}

/// `ObjectMapper.TypeParser.validateFieldName` (indices created by 8.6 and later), wrapped as
/// `MappingParser` wraps what a mapping's parsers throw.
fn validate_field_name(name: &str) -> Result<(), EsError> {
    let why = if name.is_empty() {
        "field name cannot be an empty string"
    } else if name.trim().is_empty() {
        "field name cannot contain only whitespaces"
    } else {
        return Ok(());
    };
    Err(mapper_parsing(format!("Failed to parse mapping: {why}")).caused_by(illegal(why)))
}

fn parse_field(ty: &str, def: &serde_json::Map<String, JsonValue>) -> Result<FieldMapper, EsError> {
    let mut field = FieldMapper::simple(ty);
    for (key, value) in def {
        match key.as_str() {
            "type" => {}
            "fields" => {
                let Some(subs) = value.as_object() else {
                    return Err(mapper_parsing(
                        "Failed to parse mapping: fields must be an object",
                    ));
                };
                for (sub, sub_def) in subs {
                    let sub_def = sub_def.as_object().ok_or_else(|| {
                        mapper_parsing(format!(
                            "Failed to parse mapping: multi-field [{sub}] must be an object"
                        ))
                    })?;
                    let sub_ty =
                        sub_def
                            .get("type")
                            .and_then(JsonValue::as_str)
                            .ok_or_else(|| {
                                mapper_parsing(format!(
                                    "Failed to parse mapping: No type specified for field [{sub}]"
                                ))
                            })?;
                    field
                        .fields
                        .insert(sub.clone(), parse_field(sub_ty, sub_def)?);
                }
            }
            _ => field.params.push((key.clone(), value.clone())),
        }
    }
    Ok(field)
}

fn mapper_parsing(reason: impl Into<String>) -> EsError {
    EsError::new("mapper_parsing_exception", reason)
}

fn illegal(reason: impl Into<String>) -> EsError {
    EsError::new("illegal_argument_exception", reason)
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

fn check_depth(limit: i64, object_path: &str) -> Result<(), EsError> {
    let depth = object_path.matches('.').count() as i64 + 2;
    if depth > limit {
        return Err(illegal(format!(
            "Limit of mapping depth [{limit}] has been exceeded due to object field [{object_path}]"
        )));
    }
    Ok(())
}

fn check_name_length(limit: i64, leaf: &str) -> Result<(), EsError> {
    if leaf.chars().count() as i64 > limit {
        return Err(illegal(format!(
            "Field name [{leaf}] is longer than the limit of [{limit}] characters"
        )));
    }
    Ok(())
}

impl Serialize for ObjectMapper {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if self.nested {
            map.serialize_entry("type", "nested")?;
        } else if self.properties.is_empty() {
            map.serialize_entry("type", "object")?;
        }
        match self.dynamic {
            Some(Dynamic::True) => map.serialize_entry("dynamic", "true")?,
            Some(Dynamic::False) => map.serialize_entry("dynamic", "false")?,
            Some(Dynamic::Strict) => map.serialize_entry("dynamic", "strict")?,
            None => {}
        }
        if !self.properties.is_empty() {
            map.serialize_entry("properties", &self.properties)?;
        }
        map.end()
    }
}

/// The root serializes as `{"properties": ...}` even when empty, as `GET _mapping` shows it.
pub struct RootMapping<'a>(pub &'a ObjectMapper);

impl Serialize for RootMapping<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        match self.0.dynamic {
            Some(Dynamic::True) => map.serialize_entry("dynamic", "true")?,
            Some(Dynamic::False) => map.serialize_entry("dynamic", "false")?,
            Some(Dynamic::Strict) => map.serialize_entry("dynamic", "strict")?,
            None => {}
        }
        if !self.0.properties.is_empty() {
            map.serialize_entry("properties", &self.0.properties)?;
        }
        map.end()
    }
}

impl Serialize for Mapper {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Mapper::Object(o) => o.serialize(serializer),
            Mapper::Field(f) => f.serialize(serializer),
        }
    }
}

impl Serialize for FieldMapper {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("type", &self.ty)?;
        for (k, v) in &self.params {
            map.serialize_entry(k, v)?;
        }
        if !self.fields.is_empty() {
            map.serialize_entry("fields", &self.fields)?;
        }
        map.end()
    }
}

/// What indexing one document did to the mapping.
#[derive(Debug)]
pub struct ParsedDocument {
    /// Dynamic mappers to add, parents before children.
    new_mappers: Vec<(String, Mapper)>,
}

impl ParsedDocument {
    /// Applies the dynamic mapping update, checking what ES checks when merging it.
    pub fn commit(self, root: &mut ObjectMapper, limits: &Limits) -> Result<(), EsError> {
        // `MappingLookup.checkFieldNameLengthLimit` looks at object mappers, then field mappers.
        let objects = self
            .new_mappers
            .iter()
            .filter(|(_, m)| matches!(m, Mapper::Object(_)));
        let fields = self
            .new_mappers
            .iter()
            .filter(|(_, m)| matches!(m, Mapper::Field(_)));
        for (path, _) in objects.chain(fields) {
            check_name_length(limits.field_name_length, leaf_of(path))?;
        }
        for (path, mapper) in self.new_mappers {
            root.insert(&path, mapper);
        }
        Ok(())
    }
}

fn leaf_of(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// Metadata fields that a document's top level may not carry.
const METADATA_FIELDS: &[&str] = &[
    "_id",
    "_index",
    "_source",
    "_routing",
    "_version",
    "_seq_no",
    "_primary_term",
    "_ignored",
    "_ignored_source",
    "_field_names",
    "_doc_count",
    "_tier",
    "_nested_path",
    "_data_stream_timestamp",
    "_feature",
];

/// Walks `src` against `root` and returns the mapping update it needs, or the item error
/// Elasticsearch would answer for it.
pub fn parse_document(
    src: &[u8],
    id: &str,
    root: &ObjectMapper,
    limits: &Limits,
) -> Result<ParsedDocument, EsError> {
    let node = json::parse(src).map_err(|e| {
        let (line, col) = json::location(src, e.offset);
        EsError::new(
            "document_parsing_exception",
            format!("[{line}:{col}] failed to parse"),
        )
        .caused_by(EsError::new(
            "x_content_parse_exception",
            format!("[{line}:{col}] {}", e.message),
        ))
    })?;
    let Value::Object(members) = &node.value else {
        let (line, col) = json::location(src, node.start);
        return Err(EsError::new(
            "document_parsing_exception",
            format!("[{line}:{col}] failed to parse"),
        )
        .caused_by(EsError::new(
            "not_x_content_exception",
            "Compressor detection can only be called on some xcontent bytes or compressed xcontent bytes",
        )));
    };
    let mut parser = DocParser {
        src,
        id,
        root,
        limits,
        remaining: limits.total_fields - root.total_fields(),
        new_mappers: Vec::new(),
        new_index: HashMap::new(),
        new_size: 0,
        nested_docs: 0,
    };
    for member in members {
        if METADATA_FIELDS.contains(&member.name.as_str()) {
            return Err(parser.doc_error(
                member.name_start,
                format!(
                    "Field [{}] is a metadata field and cannot be added inside a document. Use the index API request parameters.",
                    member.name
                ),
            ));
        }
    }
    parser.members("", members, root.dynamic.unwrap_or(Dynamic::True))?;
    Ok(ParsedDocument {
        new_mappers: parser.new_mappers,
    })
}

/// A mapper as the parser sees it: from the index's mapping or added by this document.
enum Resolved<'m> {
    Object {
        nested: bool,
        dynamic: Option<Dynamic>,
    },
    Field(&'m FieldMapper),
}

struct DocParser<'a> {
    src: &'a [u8],
    id: &'a str,
    root: &'a ObjectMapper,
    limits: &'a Limits,
    /// `limit - fields already mapped`; may be negative if the limit was lowered.
    remaining: i64,
    new_mappers: Vec<(String, Mapper)>,
    new_index: HashMap<String, usize>,
    new_size: i64,
    nested_docs: i64,
}

impl<'a> DocParser<'a> {
    fn doc_error(&self, offset: usize, message: impl Into<String>) -> EsError {
        let (line, col) = json::location(self.src, offset);
        EsError::new(
            "document_parsing_exception",
            format!("[{line}:{col}] {}", message.into()),
        )
    }

    /// `DocumentParser.wrapInDocumentParsingException`: `failed to parse: <inner>` around it.
    fn wrapped(&self, offset: usize, inner: EsError) -> EsError {
        self.doc_error(offset, format!("failed to parse: {}", inner.reason))
            .caused_by(inner)
    }

    fn resolve(&self, path: &str) -> Option<Resolved<'_>> {
        let mapper = match self.root.lookup(path) {
            Some(m) => m,
            None => &self.new_mappers[*self.new_index.get(path)?].1,
        };
        Some(match mapper {
            Mapper::Object(o) => Resolved::Object {
                nested: o.nested,
                dynamic: o.dynamic,
            },
            Mapper::Field(f) => Resolved::Field(f),
        })
    }

    fn add_dynamic(&mut self, path: &str, mapper: Mapper, offset: usize) -> Result<(), EsError> {
        if matches!(mapper, Mapper::Object(_)) {
            check_depth(self.limits.depth, path).map_err(|e| self.wrapped(offset, e))?;
        }
        let additional = self.new_size + mapper.total_fields();
        if self.remaining < additional {
            let inner = illegal(format!(
                "Limit of total fields [{}] has been exceeded while adding new fields [{additional}]",
                self.limits.total_fields
            ));
            return Err(self.wrapped(offset, inner));
        }
        self.new_size = additional;
        self.new_index
            .insert(path.to_owned(), self.new_mappers.len());
        self.new_mappers.push((path.to_owned(), mapper));
        Ok(())
    }

    fn strict_error(&self, offset: usize, name: &str, parent: &str) -> EsError {
        let within = if parent.is_empty() { "_doc" } else { parent };
        let (line, col) = json::location(self.src, offset);
        EsError::new(
            "strict_dynamic_mapping_exception",
            format!(
                "[{line}:{col}] mapping set to strict, dynamic introduction of [{name}] within [{within}] is not allowed"
            ),
        )
    }

    fn members(
        &mut self,
        prefix: &str,
        members: &[Member],
        dynamic: Dynamic,
    ) -> Result<(), EsError> {
        for member in members {
            let name = member.name.as_str();
            if name.is_empty() {
                // Thrown by `DotExpandingXContentParser`, so wrapped by the document parser.
                return Err(self.wrapped(
                    member.name_start,
                    illegal("field name cannot be an empty string"),
                ));
            }
            if name.trim().is_empty() {
                return Err(self.doc_error(
                    member.name_start,
                    format!("field name cannot contain only whitespace: ['{name}']"),
                ));
            }
            if !name.contains('.') {
                self.value(prefix, name, &member.value, dynamic)?;
                continue;
            }
            // `{"a.b": v}` is `{"a": {"b": v}}` (DotExpandingXContentParser).
            let parts: Vec<&str> = name.split('.').collect();
            if parts.iter().any(|p| p.is_empty()) {
                return Err(self.doc_error(
                    member.name_start,
                    format!("object field starting or ending with a [.] makes object resolution ambiguous: [{name}]"),
                ));
            }
            let mut parent = prefix.to_owned();
            let mut parent_dynamic = dynamic;
            for part in &parts[..parts.len() - 1] {
                match self.enter_object(&parent, part, member.value.start, parent_dynamic)? {
                    Some(d) => parent_dynamic = d,
                    None => return Ok(()),
                }
                parent = join(&parent, part);
            }
            self.value(
                &parent,
                parts[parts.len() - 1],
                &member.value,
                parent_dynamic,
            )?;
        }
        Ok(())
    }

    /// Makes sure `prefix.name` is an object mapper; `None` when `dynamic: false` drops it.
    fn enter_object(
        &mut self,
        prefix: &str,
        name: &str,
        offset: usize,
        dynamic: Dynamic,
    ) -> Result<Option<Dynamic>, EsError> {
        let path = join(prefix, name);
        match self.resolve(&path) {
            Some(Resolved::Object { dynamic: own, .. }) => Ok(Some(own.unwrap_or(dynamic))),
            Some(Resolved::Field(f)) => Err(self.doc_error(
                offset,
                format!(
                    "Could not dynamically add mapping for field [{path}]. Existing mapping for [{path}] must be of type object but found [{}].",
                    f.ty
                ),
            )),
            None => match dynamic {
                Dynamic::Strict => Err(self.strict_error(offset, name, prefix)),
                Dynamic::False => Ok(None),
                Dynamic::True => {
                    self.add_dynamic(&path, Mapper::Object(ObjectMapper::default()), offset)?;
                    Ok(Some(dynamic))
                }
            },
        }
    }

    fn value(
        &mut self,
        prefix: &str,
        name: &str,
        node: &Node,
        dynamic: Dynamic,
    ) -> Result<(), EsError> {
        match &node.value {
            Value::Null => Ok(()),
            Value::Array(items) => {
                for item in items {
                    self.value(prefix, name, item, dynamic)?;
                }
                Ok(())
            }
            Value::Object(members) => self.object_value(prefix, name, node, members, dynamic),
            _ => self.scalar_value(prefix, name, node, dynamic),
        }
    }

    fn object_value(
        &mut self,
        prefix: &str,
        name: &str,
        node: &Node,
        members: &[Member],
        dynamic: Dynamic,
    ) -> Result<(), EsError> {
        let path = join(prefix, name);
        let inner_dynamic = match self.resolve(&path) {
            Some(Resolved::Field(f)) => {
                let ty = f.ty.clone();
                return Err(self.object_into_field(&path, &ty, node));
            }
            Some(Resolved::Object {
                nested,
                dynamic: own,
            }) => {
                if nested {
                    self.nested_docs += 1;
                    if self.nested_docs > self.limits.nested_objects {
                        let inner = illegal(format!(
                            "The number of nested documents has exceeded the allowed limit of [{}]. This limit can be set by changing the [index.mapping.nested_objects.limit] index level setting.",
                            self.limits.nested_objects
                        ));
                        return Err(self.wrapped(node.start, inner));
                    }
                }
                own.unwrap_or(dynamic)
            }
            None => match dynamic {
                Dynamic::Strict => return Err(self.strict_error(node.start, name, prefix)),
                Dynamic::False => return Ok(()),
                Dynamic::True => {
                    self.add_dynamic(&path, Mapper::Object(ObjectMapper::default()), node.start)?;
                    dynamic
                }
            },
        };
        self.members(&path, members, inner_dynamic)
    }

    fn scalar_value(
        &mut self,
        prefix: &str,
        name: &str,
        node: &Node,
        dynamic: Dynamic,
    ) -> Result<(), EsError> {
        let path = join(prefix, name);
        match self.resolve(&path) {
            Some(Resolved::Object { .. }) => Err(self.doc_error(
                node.start,
                format!("object mapping for [{path}] tried to parse field [{name}] as object, but found a concrete value"),
            )),
            Some(Resolved::Field(f)) => {
                let field = f.clone();
                self.check_scalar(&path, &field, node)
            }
            None => match dynamic {
                Dynamic::Strict => Err(self.strict_error(node.start, name, prefix)),
                Dynamic::False => Ok(()),
                Dynamic::True => {
                    let mapper = match &node.value {
                        Value::Bool(_) => FieldMapper::simple("boolean"),
                        Value::Int => FieldMapper::simple("long"),
                        Value::Float => FieldMapper::simple("float"),
                        Value::Str(s) => match detect_date(s) {
                            Some(DateFormat::StrictOptionalTime) => FieldMapper::simple("date"),
                            Some(DateFormat::Slash) => {
                                let mut date = FieldMapper::simple("date");
                                date.params.push(("format".to_owned(), SLASH_DATE_FORMAT.into()));
                                date
                            }
                            None => FieldMapper::dynamic_text(),
                        },
                        Value::Null | Value::Array(_) | Value::Object(_) => {
                            unreachable!("only scalars reach scalar_value")
                        }
                    };
                    self.add_dynamic(&path, Mapper::Field(mapper), node.start)
                }
            },
        }
    }

    fn preview_error(
        &self,
        path: &str,
        ty: &str,
        node: &Node,
        preview_at: usize,
        cause: EsError,
    ) -> EsError {
        self.doc_error(
            preview_at,
            format!(
                "failed to parse field [{path}] of type [{ty}] in document with id '{}'. Preview of field's value: '{}'",
                self.id,
                preview(self.src, node)
            ),
        )
        .caused_by(cause)
    }

    /// A concrete field that receives an object (`FieldMapper.rethrowAsDocumentParsingException`
    /// after reading the object for the preview, so the location is its closing brace).
    fn object_into_field(&self, path: &str, ty: &str, node: &Node) -> EsError {
        let (line, col) = json::location(self.src, node.start);
        let cause = match ty {
            "long" | "integer" | "short" | "byte" | "unsigned_long" | "float" | "double"
            | "half_float" | "scaled_float" => EsError::new(
                "x_content_parse_exception",
                format!(
                    "[{line}:{col}] Current token (START_OBJECT) not numeric, can not use numeric value accessors"
                ),
            ),
            "boolean" => EsError::new(
                "x_content_parse_exception",
                format!("[{line}:{col}] Current token (START_OBJECT) not of boolean type"),
            ),
            _ => EsError::new(
                "illegal_state_exception",
                format!("Can't get text on a START_OBJECT at {line}:{col}"),
            ),
        };
        self.preview_error(path, ty, node, node.end, cause)
    }

    fn check_scalar(&self, path: &str, field: &FieldMapper, node: &Node) -> Result<(), EsError> {
        let (line, col) = json::location(self.src, node.start);
        let raw = scalar_text(self.src, node);
        let token = match &node.value {
            Value::Bool(true) => "VALUE_TRUE",
            Value::Bool(false) => "VALUE_FALSE",
            Value::Int => "VALUE_NUMBER_INT",
            Value::Float => "VALUE_NUMBER_FLOAT",
            _ => "VALUE_STRING",
        };
        let cause = match field.ty.as_str() {
            "long" | "integer" | "short" | "byte" | "unsigned_long" => match &node.value {
                Value::Int | Value::Float => None,
                Value::Str(s) => {
                    let t = s.trim();
                    (t.parse::<i64>().is_err() && t.parse::<f64>().map_or(true, |f| !f.is_finite()))
                        .then(|| {
                            EsError::new(
                                "illegal_argument_exception",
                                format!("For input string: \"{s}\""),
                            )
                        })
                }
                _ => Some(EsError::new(
                    "x_content_parse_exception",
                    format!(
                        "[{line}:{col}] Current token ({token}) not numeric, can not use numeric value accessors"
                    ),
                )),
            },
            "float" | "double" | "half_float" | "scaled_float" => match &node.value {
                Value::Int | Value::Float => None,
                Value::Str(s) => s.trim().parse::<f64>().is_err().then(|| {
                    EsError::new(
                        "number_format_exception",
                        format!("For input string: \"{s}\""),
                    )
                }),
                _ => Some(EsError::new(
                    "x_content_parse_exception",
                    format!(
                        "[{line}:{col}] Current token ({token}) not numeric, can not use numeric value accessors"
                    ),
                )),
            },
            "boolean" => match &node.value {
                Value::Bool(_) => None,
                Value::Str(s) if s.is_empty() || s == "true" || s == "false" => None,
                Value::Str(s) => Some(EsError::new(
                    "illegal_argument_exception",
                    format!("Failed to parse value [{s}] as only [true] or [false] are allowed."),
                )),
                _ => Some(EsError::new(
                    "x_content_parse_exception",
                    format!("[{line}:{col}] Current token ({token}) not of boolean type"),
                )),
            },
            "date" => {
                let format = field
                    .param("format")
                    .and_then(JsonValue::as_str)
                    .unwrap_or(DEFAULT_DATE_FORMAT);
                (!date_matches(format, &raw)).then(|| {
                    EsError::new(
                        "illegal_argument_exception",
                        format!("failed to parse date field [{raw}] with format [{format}]"),
                    )
                })
            }
            _ => None,
        };
        match cause {
            None => Ok(()),
            Some(cause) => Err(self.preview_error(path, &field.ty, node, node.start, cause)),
        }
    }
}

/// The text Jackson reports for a scalar token (`getText()`).
fn scalar_text(src: &[u8], node: &Node) -> String {
    match &node.value {
        Value::Str(s) => s.clone(),
        _ => String::from_utf8_lossy(&src[node.start..=node.end]).into_owned(),
    }
}

/// `Object.toString()` of the value as ES reads it for the preview (`{a=1, b=[x, y]}`).
fn preview(src: &[u8], node: &Node) -> String {
    match &node.value {
        Value::Null => "null".to_owned(),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(|i| preview(src, i)).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Object(members) => {
            let inner: Vec<String> = members
                .iter()
                .map(|m| format!("{}={}", m.name, preview(src, &m.value)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
        _ => scalar_text(src, node),
    }
}

enum DateFormat {
    StrictOptionalTime,
    Slash,
}

/// Date detection with the default `dynamic_date_formats`.
fn detect_date(s: &str) -> Option<DateFormat> {
    if is_strict_date_optional_time(s) {
        Some(DateFormat::StrictOptionalTime)
    } else if is_slash_date(s) {
        Some(DateFormat::Slash)
    } else {
        None
    }
}

fn date_matches(format: &str, value: &str) -> bool {
    format.split("||").any(|f| match f {
        "strict_date_optional_time" | "date_optional_time" | "strict_date_optional_time_nanos" => {
            is_strict_date_optional_time(value)
        }
        "epoch_millis" | "epoch_second" => {
            let v = value.strip_prefix('-').unwrap_or(value);
            !v.is_empty()
                && v.split_once('.')
                    .map_or(v, |(a, _)| a)
                    .bytes()
                    .all(|b| b.is_ascii_digit())
        }
        "yyyy/MM/dd HH:mm:ss Z" | "yyyy/MM/dd Z" => is_slash_date(value),
        // Other Java-time patterns are not interpreted: accept, as a lenient stand-in.
        _ => true,
    })
}

/// A cursor over ASCII date text.
struct Cursor<'s> {
    s: &'s [u8],
    at: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, n: usize) -> Option<u32> {
        let part = self.s.get(self.at..self.at + n)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.at += n;
        Some(part.iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0')))
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.s.get(self.at) == Some(&c) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn done(&self) -> bool {
        self.at == self.s.len()
    }

    /// `Z`, `+HH:mm`, `+HHmm` or `+HH`.
    fn offset(&mut self) -> bool {
        if self.eat(b'Z') {
            return true;
        }
        if !(self.eat(b'+') || self.eat(b'-')) {
            return false;
        }
        let Some(h) = self.digits(2) else {
            return false;
        };
        if h > 18 {
            return false;
        }
        if self.done() {
            return true;
        }
        self.eat(b':');
        self.digits(2).is_some_and(|m| m < 60)
    }
}

fn valid_day(year: u32, month: u32, day: u32) -> bool {
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// `strict_date_optional_time`: `yyyy[-MM[-dd['T'HH[:mm[:ss[.S{1,9}]]][offset]]]]`.
fn is_strict_date_optional_time(s: &str) -> bool {
    let mut c = Cursor {
        s: s.as_bytes(),
        at: 0,
    };
    let Some(year) = c.digits(4) else {
        return false;
    };
    if c.done() {
        return true;
    }
    if !c.eat(b'-') {
        return false;
    }
    let Some(month) = c.digits(2) else {
        return false;
    };
    if !(1..=12).contains(&month) {
        return false;
    }
    if c.done() {
        return true;
    }
    if !c.eat(b'-') {
        return false;
    }
    let Some(day) = c.digits(2) else { return false };
    if !valid_day(year, month, day) {
        return false;
    }
    if c.done() {
        return true;
    }
    if !c.eat(b'T') {
        return false;
    }
    if c.digits(2).is_none_or(|h| h >= 24) {
        return false;
    }
    if c.eat(b':') {
        if c.digits(2).is_none_or(|m| m >= 60) {
            return false;
        }
        if c.eat(b':') {
            if c.digits(2).is_none_or(|sec| sec >= 60) {
                return false;
            }
            if c.eat(b'.') || c.eat(b',') {
                let start = c.at;
                while c.digits(1).is_some() {}
                if !(1..=9).contains(&(c.at - start)) {
                    return false;
                }
            }
        }
    }
    c.done() || (c.offset() && c.done())
}

/// `yyyy/MM/dd HH:mm:ss Z||yyyy/MM/dd Z`, the zone optional as ES accepts `2015/09/02`.
fn is_slash_date(s: &str) -> bool {
    let mut c = Cursor {
        s: s.as_bytes(),
        at: 0,
    };
    let (Some(year), true, Some(month), true, Some(day)) = (
        c.digits(4),
        c.eat(b'/'),
        c.digits(2),
        c.eat(b'/'),
        c.digits(2),
    ) else {
        return false;
    };
    if !valid_day(year, month, day) {
        return false;
    }
    if c.done() {
        return true;
    }
    if !c.eat(b' ') {
        return false;
    }
    let save = c.at;
    let time = c.digits(2).is_some_and(|h| h < 24)
        && c.eat(b':')
        && c.digits(2).is_some_and(|m| m < 60)
        && c.eat(b':')
        && c.digits(2).is_some_and(|sec| sec < 60);
    if !time {
        c.at = save;
        return c.offset() && c.done();
    }
    c.done() || (c.eat(b' ') && c.offset() && c.done())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(root: &mut ObjectMapper, limits: &Limits, doc: &str) -> Result<(), EsError> {
        parse_document(doc.as_bytes(), "1", root, limits)?.commit(root, limits)
    }

    #[test]
    fn dynamic_types_follow_the_default_rules() {
        let mut root = ObjectMapper::default();
        index(
            &mut root,
            &Limits::default(),
            r#"{"n": 1, "f": 1.5, "b": true, "d": "2015-01-01T12:10:30Z", "s": "2015/09/02", "t": "hello", "z": null, "e": [], "o": {}}"#,
        )
        .unwrap();
        let mapping = serde_json::to_value(RootMapping(&root)).unwrap();
        assert_eq!(
            mapping,
            serde_json::json!({"properties": {
                "b": {"type": "boolean"},
                "d": {"type": "date"},
                "f": {"type": "float"},
                "n": {"type": "long"},
                "o": {"type": "object"},
                "s": {"type": "date", "format": "yyyy/MM/dd HH:mm:ss Z||yyyy/MM/dd Z"},
                "t": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}
            }})
        );
        // o (1) + b, d, f, n, s (1 each) + t and t.keyword (2)
        assert_eq!(root.total_fields(), 8);
    }

    #[test]
    fn dates_are_detected_as_documented() {
        for yes in [
            "2015",
            "2015-01",
            "2015-01-01",
            "2015-01-01T12",
            "2015-01-01T12:10:30.123+01:00",
            "2015/01/01 12:10:30 +0000",
        ] {
            assert!(detect_date(yes).is_some(), "{yes}");
        }
        for no in [
            "Wed Oct 10 20:19:24 +0000 2018",
            "201",
            "2015-13-01",
            "2015-02-30",
            "2015-01-01 12:00",
            "1234567890",
        ] {
            assert!(detect_date(no).is_none(), "{no}");
        }
    }

    #[test]
    fn the_field_limit_counts_new_fields_as_they_come() {
        let limits = Limits {
            total_fields: 3,
            ..Limits::default()
        };
        let mut root = ObjectMapper::default();
        index(&mut root, &limits, r#"{"a": 1}"#).unwrap();
        // a (1) already mapped; o (1) fits; o.s (2 more, text + keyword) makes 3 new > 2 remaining.
        let err = index(&mut root, &limits, r#"{"a": 2, "o": {"s": "x"}}"#).unwrap_err();
        assert_eq!(err.kind, "document_parsing_exception");
        assert_eq!(
            err.reason,
            "[1:21] failed to parse: Limit of total fields [3] has been exceeded while adding new fields [3]"
        );
        let cause = err.caused_by.unwrap();
        assert_eq!(cause.kind, "illegal_argument_exception");
        assert_eq!(
            cause.reason,
            "Limit of total fields [3] has been exceeded while adding new fields [3]"
        );
        // Atomic: the rejected document left nothing behind.
        assert_eq!(root.total_fields(), 1);
    }

    #[test]
    fn dotted_names_expand_into_objects() {
        let mut root = ObjectMapper::default();
        index(
            &mut root,
            &Limits::default(),
            r#"{"user.name": "x", "user": {"id": 1}}"#,
        )
        .unwrap();
        let mapping = serde_json::to_value(RootMapping(&root)).unwrap();
        assert_eq!(
            mapping["properties"]["user"]["properties"]["id"]["type"],
            "long"
        );
        assert_eq!(
            mapping["properties"]["user"]["properties"]["name"]["type"],
            "text"
        );
    }
}
