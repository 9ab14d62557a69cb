//! One index: settings, mapping, documents, and the refreshed view that search reads.
//!
//! Writes go to the live document map (what `GET /{index}/_doc/{id}` reads, as ES's real-time
//! get does); `_search` and `_count` read the view taken at the last refresh, so a document
//! is searchable only after `_refresh`, a `refresh` parameter on the write, or the periodic
//! refresh (`index.refresh_interval`, 1s by default).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::value::RawValue;

use crate::error::EsError;
use crate::mapping::{ObjectMapper, parse_document};
use crate::settings::{Copies, Limits, Settings};

#[derive(Debug, Clone)]
pub struct Doc {
    pub source: Arc<RawValue>,
    pub version: u64,
    pub seq_no: u64,
}

#[derive(Debug)]
pub struct Index {
    pub name: String,
    pub uuid: String,
    pub settings: Settings,
    pub limits: Limits,
    pub copies: Copies,
    pub mapping: ObjectMapper,
    pub docs: HashMap<String, Doc>,
    next_seq_no: u64,
    /// Documents visible to search, in indexing order, as of the last refresh.
    pub searchable: Arc<BTreeMap<u64, (String, Doc)>>,
    pub dirty: bool,
}

/// What a successful write did, for the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteResult {
    Created,
    Updated,
    Deleted,
    NotFound,
}

impl WriteResult {
    pub fn as_str(self) -> &'static str {
        match self {
            WriteResult::Created => "created",
            WriteResult::Updated => "updated",
            WriteResult::Deleted => "deleted",
            WriteResult::NotFound => "not_found",
        }
    }

    pub fn status(self) -> u16 {
        match self {
            WriteResult::Created => 201,
            WriteResult::Updated | WriteResult::Deleted => 200,
            WriteResult::NotFound => 404,
        }
    }
}

#[derive(Debug, Clone)]
pub struct WriteOutcome {
    pub result: WriteResult,
    pub version: u64,
    pub seq_no: u64,
}

impl Index {
    pub fn new(
        name: &str,
        uuid: String,
        settings: Settings,
        mapping: ObjectMapper,
    ) -> Result<Self, EsError> {
        let limits = settings.limits()?;
        let copies = settings.copies()?;
        mapping.check_limits(&limits)?;
        Ok(Self {
            name: name.to_owned(),
            uuid,
            settings,
            limits,
            copies,
            mapping,
            docs: HashMap::new(),
            next_seq_no: 0,
            searchable: Arc::new(BTreeMap::new()),
            dirty: false,
        })
    }

    fn version_conflict(&self, id: &str, current: u64) -> EsError {
        EsError::new(
            "version_conflict_engine_exception",
            format!(
                "[{id}]: version conflict, document already exists (current version [{current}])"
            ),
        )
        .with_meta("index_uuid", self.uuid.clone())
        .with_meta("shard", "0")
        .with_meta("index", self.name.clone())
    }

    /// Indexes one document; `create_only` is the `create` action / `op_type=create`.
    pub fn write(
        &mut self,
        id: &str,
        source: &[u8],
        create_only: bool,
    ) -> Result<WriteOutcome, EsError> {
        if let Some(existing) = self.docs.get(id)
            && create_only
        {
            return Err(self.version_conflict(id, existing.version));
        }
        let parsed = parse_document(source, id, &self.mapping, &self.limits)?;
        let raw: Box<RawValue> = serde_json::from_slice(source).map_err(|e| {
            EsError::new("document_parsing_exception", "failed to parse")
                .caused_by(EsError::new("x_content_parse_exception", e.to_string()))
        })?;
        parsed.commit(&mut self.mapping, &self.limits)?;
        let seq_no = self.next_seq_no;
        self.next_seq_no += 1;
        let (result, version) = match self.docs.get(id) {
            Some(old) => (WriteResult::Updated, old.version + 1),
            None => (WriteResult::Created, 1),
        };
        self.docs.insert(
            id.to_owned(),
            Doc {
                source: Arc::from(raw),
                version,
                seq_no,
            },
        );
        self.dirty = true;
        Ok(WriteOutcome {
            result,
            version,
            seq_no,
        })
    }

    pub fn delete(&mut self, id: &str) -> WriteOutcome {
        let seq_no = self.next_seq_no;
        self.next_seq_no += 1;
        match self.docs.remove(id) {
            Some(old) => {
                self.dirty = true;
                WriteOutcome {
                    result: WriteResult::Deleted,
                    version: old.version + 1,
                    seq_no,
                }
            }
            None => WriteOutcome {
                result: WriteResult::NotFound,
                version: 1,
                seq_no,
            },
        }
    }

    /// A document as of the last refresh: what `GET` with `realtime=false` reads.
    pub fn refreshed(&self, id: &str) -> Option<&Doc> {
        self.searchable
            .values()
            .find(|(doc_id, _)| doc_id == id)
            .map(|(_, doc)| doc)
    }

    /// Makes every write so far visible to search.
    pub fn refresh(&mut self) {
        if !self.dirty {
            return;
        }
        let view = self
            .docs
            .iter()
            .map(|(id, doc)| (doc.seq_no, (id.clone(), doc.clone())))
            .collect();
        self.searchable = Arc::new(view);
        self.dirty = false;
    }
}
