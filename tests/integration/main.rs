//! shakedown's integration tests: one binary (fewer links), one module per feature.
//!
//! Each test writes suite files the way users do, starts the fixture app (a fake freshly
//! deployed web app, `tests/fixture/mod.rs`) on 127.0.0.1 inside the test process, runs the
//! real `shakedown` binary, and asserts on the exit code, the terminal text, the JUnit and the
//! JSON. `support.rs` also checks every JUnit report it sees against the JUnit rules, the
//! project's schema (`tests/junit.xsd`) (`xmllint`) and `junitparser`, and every output for leaked secrets.

#[path = "../fixture/mod.rs"]
mod fixture;

mod support;

mod assertions;
mod bundled;
mod captures;
mod cli;
mod fixture_selftest;
mod http;
mod interrupt;
mod json_report;
mod junit;
mod lifecycle;
mod retries;
mod secrets;
mod tls;
mod validate;
