//! The JSON Schema of the suite format, for editors (e.g. the YAML extension of VS Code:
//! `# yaml-language-server: $schema=shakedown.schema.json`).

pub const SCHEMA: &str = include_str!("../schema.json");
