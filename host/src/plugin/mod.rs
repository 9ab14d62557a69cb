//! Filter plugins: WebAssembly components of the `sluice:filter` world
//! (`guest-sdk/wit/filter.wit`).
//!
//! - [`runtime`] owns the wasmtime engine and every limit it enforces;
//! - [`instance`] is one sandboxed instance of one plugin;
//! - [`chain`] runs a batch through the configured plugins in order and
//!   isolates a record that makes a plugin trap, time out or run out of memory;
//! - [`breaker`] stops sending records to a plugin that keeps faulting;
//! - [`fixtures`] runs a plugin on fixture cases and diffs what comes out;
//! - [`registry`] holds the versions of a running pipeline's plugins and
//!   publishes the chain its workers run ([`version`]); [`candidate`]
//!   validates a new version before promotion, [`shadow`] runs one beside
//!   the live version, and [`watch`] promotes changed plugin files;
//! - [`inspect`] says what a plugin file is and what it costs;
//! - [`native`] links the shipped Rust filters into the host, for measuring
//!   what WebAssembly costs.

mod bindings;
mod breaker;
pub mod candidate;
pub mod chain;
pub mod fixtures;
pub mod inspect;
pub mod instance;
pub mod native;
pub mod registry;
pub mod runtime;
pub mod shadow;
pub mod version;
pub mod watch;

pub use chain::{Chain, ChainOutput};
pub use instance::{PluginFault, PluginInstance};
pub use runtime::{LoadedPlugin, PluginError, PluginRuntime};

/// What a plugin decided for one record (the WIT `outcome` variant).
pub type Outcome = bindings::sluice::filter::types::Outcome;
