//! scalelint: finds what breaks when a Rust service runs as several instances.
//!
//! The pipeline: `workspace` (discovery) → `engine` (parse in parallel, `facts`, `rules`,
//! suppressions) → `render` (human, short, json).

pub mod baseline;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod engine;
pub mod facts;
pub mod fix;
pub mod project;
pub mod render;
pub mod rules;
pub mod source;
pub mod suppress;
pub mod values;
pub mod workspace;
