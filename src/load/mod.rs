//! Loading suite files: YAML with positions (`yaml`), the
//! compiler that turns a tree into the `suite` model with every problem at once (`compile`),
//! and the diagnostics it reports (`diagnostic`).

pub mod compile;
pub mod diagnostic;
pub mod fuzz;
pub mod yaml;

pub use compile::{LoadContext, compile_source, display_path, load_file};
