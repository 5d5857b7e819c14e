//! shakedown: post-deploy smoke tests. The path from a suite file to a report:
//! `yaml` (positions) → `compile` (the `suite` model, all errors at once) → `runner`
//! (schedule, `http` steps, `judge` assertions) → `event`s → `report`ers.

pub mod app;
pub mod browser;
pub mod browser_model;
pub mod cli;
pub mod compile;
pub mod diagnostic;
pub mod duration;
pub mod event;
pub mod exit;
pub mod http;
pub mod judge;
pub mod outcome;
pub mod redact;
pub mod report;
pub mod runner;
pub mod schema;
pub mod suite;
pub mod template;
pub mod yaml;
