//! Built-in benchmarks, run by `sluice bench`: how fast the decoders parse the
//! user's own data ([`parse`]) and how fast the real pipeline moves it
//! ([`pipeline`]).
//!
//! Both measure repeated runs and report the median with its spread
//! ([`stats`]), as a table and as an SVG bar chart ([`chart`]). They time the
//! work the pipeline does, not a best case: records come from the pipeline's
//! own file source ([`input`]) and every simd-json parse pays for the copy of
//! the bytes that parsing in place needs, as the decode stage does.

pub mod chart;
pub mod input;
pub mod parse;
pub mod pipeline;
pub mod rss;
pub mod stats;
