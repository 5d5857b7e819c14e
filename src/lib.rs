//! shakedown: post-deploy smoke tests. One path from a suite file to a report:
//! `load` (YAML with positions, templates, the compiler: all errors at once) → `suite` (the
//! compiled model) → `run` (schedule, suite lifecycle, checks with retries, HTTP steps) and
//! `browser` (WebDriver steps) → `judge` (assertions and captures, HTTP and browser alike) →
//! `event`s → `report`ers (terminal, JUnit, JSON). `app` turns a command line into that path.

// A `Problem` is large (it carries what a reader needs), but it is made only on the failure
// path, so returning it by value costs nothing that matters.
#![allow(clippy::result_large_err)]
// Input, the network, the browser and the file system are never `unwrap`ped: what can fail is
// an error with a message. Tests may.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

/// Set once a run is known to be large (when the suites are loaded, `load_all` in `app/discover.rs`): from then on the
/// binary's allocator serves new blocks from mimalloc on transparent huge pages (`main.rs`).
pub static LARGE_RUN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub mod app;
pub mod browser;
pub mod cli;
pub mod duration;
pub mod event;
pub mod exit;
pub mod judge;
pub mod load;
pub mod monitor;
pub mod poll;
pub mod redact;
pub mod report;
pub mod result;
pub mod run;
pub mod suite;
