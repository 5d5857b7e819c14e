//! shakedown's integration tests: one binary (fewer links), one module per feature.
//!
//! Each test writes suite files the way users do, starts the fixture app (a fake freshly
//! deployed web app, `tests/fixture/mod.rs`) on 127.0.0.1 inside the test process, runs the
//! real `shakedown` binary, and asserts on the exit code, the terminal text, the JUnit and the
//! JSON. The harness (`tests/common`, shared with the browser tests) also checks every JUnit
//! report it sees against the JUnit rules, and every output for leaked secrets; the external
//! consumers (`xmllint` with `tests/junit.xsd`, `junitparser`) read one report of each shape in
//! `tests/junit_consumers`.

#[path = "../fixture/mod.rs"]
mod fixture;

#[path = "../common/mod.rs"]
mod support;

mod assertions;
mod bundled;
mod captures;
mod cli;
mod false_greens;
mod fixture_selftest;
mod gate;
mod github;
mod http;
mod interrupt;
mod json_report;
mod junit;
mod lifecycle;
mod load_time_text;
mod retries;
mod secrets;
mod shard;
mod terminal;
mod tls;
mod validate;
