//! Sluice: a stream processor for tweets whose filters are WebAssembly plugins.
//!
//! A record's way through the host follows the folders of this crate:
//!
//! ```text
//! source  ->  decode  ->  plugin (chain)  ->  guard  ->  sink
//!   |            |             |                |         |
//!   +------------+-------------+----------------+---------+--> dead letter (with a reason)
//! ```
//!
//! [`pipeline`] wires the pieces that [`config`] describes; the pieces only meet
//! at small traits ([`source::Source`], [`sink::Sink`]). Every record that
//! enters leaves exactly one way: written by the sink, dropped by a filter, or
//! dead-lettered. [`report`] counts them and checks that nothing went missing.

pub mod admin;
pub mod bench;
pub mod cli;
pub mod config;
pub mod control;
pub mod decode;
pub mod guard;
pub mod json;
pub mod librdkafka;
pub mod pipeline;
pub mod plugin;
pub mod record;
pub mod report;
pub mod sink;
pub mod source;
