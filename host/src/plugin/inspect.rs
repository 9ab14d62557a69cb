//! What a plugin file is before it runs: the interface version it was built
//! against, what it exports and imports (from the component's own type
//! information), and what it costs to compile, instantiate and keep in memory.

use std::path::Path;
use std::time::{Duration, Instant};

use wasmtime::component::types::{ComponentItem, Type};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Engine, ResourceLimiter, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use super::bindings::Filter;
use super::instance::PluginInstance;
use super::runtime::{LoadedPlugin, PluginRuntime, interface_version};
use crate::config::PluginLimits;

#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    #[error("cannot read {path}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{0} is not a WebAssembly file (no `\\0asm` header)")]
    NotWasm(String),
    #[error(
        "{0} is a core WebAssembly module, not a component: a filter must be a component of \
         the sluice:filter world (guest-sdk/README.md); wrap a module with `wasm-tools component new`"
    )]
    CoreModule(String),
    #[error("{path} does not compile as a component: {reason}")]
    Compile { path: String, reason: String },
    #[error("cannot configure the WebAssembly engine: {0}")]
    Engine(String),
}

#[derive(Debug)]
pub struct Inspection {
    pub size_bytes: usize,
    /// `sluice:filter@1.0.0`, from the versioned interface it imports.
    pub interface: Option<String>,
    pub exports: Vec<Item>,
    pub imports: Vec<Item>,
    /// Compiling with a fresh engine and no cache: a first start.
    pub cold_compile: Duration,
    /// Loading through the host's runtime once its disk cache holds the
    /// plugin: every later start.
    pub cached_compile: Option<Duration>,
    /// Why the host refuses the plugin, if it does.
    pub refused: Option<String>,
    pub instance: Option<InstanceCost>,
}

/// One import or export, as WIT-like text.
#[derive(Debug)]
pub struct Item {
    pub name: String,
    pub kind: String,
}

#[derive(Debug)]
pub struct InstanceCost {
    /// Instantiation and `init`, through the host's own instance code.
    pub instantiate: Duration,
    /// Linear memory of every core instance inside the component, after
    /// `init`.
    pub memory_bytes: u64,
}

/// Inspects the component at `path`; `config_json` is handed to `init` when
/// measuring an instance.
pub fn inspect(path: &Path, config_json: &str) -> Result<Inspection, InspectError> {
    let shown = path.display().to_string();
    let name = path
        .file_stem()
        .map_or_else(|| shown.clone(), |stem| stem.to_string_lossy().into_owned());
    let bytes = std::fs::read(path).map_err(|source| InspectError::Read {
        path: shown.clone(),
        source,
    })?;
    // The preamble is `\0asm`, a 16-bit version, then a layer: 0 for a core
    // module, 1 for a component.
    if bytes.get(..4) != Some(b"\0asm") {
        return Err(InspectError::NotWasm(shown));
    }
    if bytes.get(6..8) == Some(&[0, 0]) {
        return Err(InspectError::CoreModule(shown));
    }

    let cold_engine =
        Engine::new(&cold_config()).map_err(|e| InspectError::Engine(format!("{e:#}")))?;
    let started = Instant::now();
    let component = Component::new(&cold_engine, &bytes).map_err(|e| InspectError::Compile {
        path: shown.clone(),
        reason: format!("{e:#}"),
    })?;
    let cold_compile = started.elapsed();

    let ty = component.component_type();
    let imports: Vec<Item> = ty
        .imports(&cold_engine)
        .map(|(name, item)| Item {
            name: name.to_owned(),
            kind: describe_item(&cold_engine, &item.ty),
        })
        .collect();
    let exports = ty
        .exports(&cold_engine)
        .map(|(name, item)| Item {
            name: name.to_owned(),
            kind: describe_item(&cold_engine, &item.ty),
        })
        .collect();
    let interface = imports
        .iter()
        .find_map(|item| interface_version(&item.name));

    let runtime = PluginRuntime::new().map_err(|e| InspectError::Engine(e.to_string()))?;
    let load = || {
        runtime.load_bytes(
            &name,
            &bytes,
            config_json.to_owned(),
            PluginLimits::default(),
        )
    };
    let mut inspection = Inspection {
        size_bytes: bytes.len(),
        interface,
        exports,
        imports,
        cold_compile,
        cached_compile: None,
        refused: None,
        instance: None,
    };
    // The first load fills the cache when it is empty; the second is what
    // every later start of the host costs.
    if let Err(error) = load() {
        inspection.refused = Some(error.to_string());
        return Ok(inspection);
    }
    let plugin = match load() {
        Ok(plugin) => plugin,
        Err(error) => {
            inspection.refused = Some(error.to_string());
            return Ok(inspection);
        }
    };
    inspection.cached_compile = Some(plugin.compile_time);
    match measure_instance(&plugin) {
        Ok(cost) => inspection.instance = Some(cost),
        Err(reason) => inspection.refused = Some(reason),
    }
    Ok(inspection)
}

/// The host's engine settings that change generated code, without the cache.
fn cold_config() -> wasmtime::Config {
    let mut config = wasmtime::Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    config
}

fn measure_instance(plugin: &LoadedPlugin) -> Result<InstanceCost, String> {
    let started = Instant::now();
    PluginInstance::new(plugin).map_err(|e| e.to_string())?;
    let instantiate = started.elapsed();
    Ok(InstanceCost {
        instantiate,
        memory_bytes: linear_memory_after_init(plugin)?,
    })
}

/// The host's store has a fixed cap and no way to ask how much is in use,
/// so this instantiates once more in a store whose limiter counts memory.
fn linear_memory_after_init(plugin: &LoadedPlugin) -> Result<u64, String> {
    let engine = &plugin.engine;
    let mut linker = Linker::<Tally>::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(|e| format!("{e:#}"))?;
    let state = Tally {
        wasi: WasiCtxBuilder::new().build(),
        table: ResourceTable::new(),
        memory_bytes: 0,
    };
    let mut store = Store::new(engine, state);
    store.limiter(|tally| tally);
    // Generous: this measures, the host's own instance above enforced limits.
    store.set_epoch_deadline(u32::MAX.into());
    let component = plugin.pre.instance_pre().component();
    let filter =
        Filter::instantiate(&mut store, component, &linker).map_err(|e| format!("{e:#}"))?;
    filter
        .call_init(&mut store, &plugin.config_json)
        .map_err(|e| format!("{e:#}"))?
        .map_err(|reason| format!("init refused its config: {reason}"))?;
    Ok(store.data().memory_bytes)
}

struct Tally {
    wasi: WasiCtx,
    table: ResourceTable,
    memory_bytes: u64,
}

impl WasiView for Tally {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl ResourceLimiter for Tally {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Called for each memory's initial size too (from 0), so the sum of
        // growths is the total size.
        self.memory_bytes += (desired - current) as u64;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        _desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(true)
    }
}

fn describe_item(engine: &Engine, item: &ComponentItem) -> String {
    match item {
        ComponentItem::ComponentFunc(func) => {
            let params: Vec<String> = func
                .params()
                .map(|(name, ty)| format!("{name}: {}", wit_type(&ty)))
                .collect();
            let results: Vec<String> = func.results().map(|ty| wit_type(&ty)).collect();
            match results.as_slice() {
                [] => format!("func({})", params.join(", ")),
                _ => format!("func({}) -> {}", params.join(", "), results.join(", ")),
            }
        }
        ComponentItem::ComponentInstance(instance) => match instance.exports(engine).len() {
            1 => "instance, 1 export".into(),
            n => format!("instance, {n} exports"),
        },
        ComponentItem::Type(ty) => format!("type {}", wit_type(ty)),
        ComponentItem::Resource(_) => "resource".into(),
        ComponentItem::CoreFunc(_) => "core func".into(),
        ComponentItem::Module(_) => "core module".into(),
        ComponentItem::Component(_) => "component".into(),
    }
}

/// A type in WIT syntax. Named types show their structure: the component
/// binary does not keep WIT's type names.
fn wit_type(ty: &Type) -> String {
    let optional = |ty: Option<Type>| ty.map_or_else(|| "_".to_owned(), |ty| wit_type(&ty));
    match ty {
        Type::Bool => "bool".into(),
        Type::S8 => "s8".into(),
        Type::U8 => "u8".into(),
        Type::S16 => "s16".into(),
        Type::U16 => "u16".into(),
        Type::S32 => "s32".into(),
        Type::U32 => "u32".into(),
        Type::S64 => "s64".into(),
        Type::U64 => "u64".into(),
        Type::Float32 => "f32".into(),
        Type::Float64 => "f64".into(),
        Type::Char => "char".into(),
        Type::String => "string".into(),
        Type::List(list) => format!("list<{}>", wit_type(&list.ty())),
        Type::Option(option) => format!("option<{}>", wit_type(&option.ty())),
        Type::Result(result) => match (result.ok(), result.err()) {
            (None, None) => "result".into(),
            (ok, err) => format!("result<{}, {}>", optional(ok), optional(err)),
        },
        Type::Tuple(tuple) => {
            let types: Vec<String> = tuple.types().map(|ty| wit_type(&ty)).collect();
            format!("tuple<{}>", types.join(", "))
        }
        Type::Record(record) => {
            let fields: Vec<String> = record
                .fields()
                .map(|field| format!("{}: {}", field.name, wit_type(&field.ty)))
                .collect();
            format!("record {{ {} }}", fields.join(", "))
        }
        Type::Variant(variant) => {
            let cases: Vec<String> = variant
                .cases()
                .map(|case| match case.ty {
                    Some(ty) => format!("{}({})", case.name, wit_type(&ty)),
                    None => case.name.to_owned(),
                })
                .collect();
            format!("variant {{ {} }}", cases.join(", "))
        }
        Type::Enum(names) => format!(
            "enum {{ {} }}",
            names.names().collect::<Vec<_>>().join(", ")
        ),
        Type::Flags(names) => format!(
            "flags {{ {} }}",
            names.names().collect::<Vec<_>>().join(", ")
        ),
        Type::Own(_) => "own<resource>".into(),
        Type::Borrow(_) => "borrow<resource>".into(),
        other => format!("{other:?}"),
    }
}
