//! The harness every test binary shares: run the real `shakedown` binary on suite files
//! against the fixture app, and read what it wrote (`run`), check JUnit reports (`junit`),
//! decide what a machine without a browser or `xmllint` skips (`prereq`), and make terminal
//! text stable for snapshots (`snapshot`).
//!
//! A test binary includes it with `#[path = "../common/mod.rs"] mod support;` next to
//! `#[path = "../fixture/mod.rs"] mod fixture;`.

// Each test binary uses a part of the harness.
#![allow(dead_code, unused_imports)]

mod junit;
mod prereq;
mod run;
mod snapshot;

pub use junit::*;
pub use prereq::*;
pub use run::*;
pub use snapshot::*;
