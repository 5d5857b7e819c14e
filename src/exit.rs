//! Process exit codes. A pipeline can tell "the deploy is broken" (1) from "the smoke test is
//! broken" (2, 3).

/// Every check passed (flaky passes included, unless `--fail-on-flaky`).
pub const OK: i32 = 0;
/// At least one check failed or errored: the deployment is not healthy.
pub const CHECKS_FAILED: i32 = 1;
/// The suites or the command line are invalid; nothing was judged.
pub const INVALID: i32 = 2;
/// shakedown itself failed (e.g. a report could not be written).
pub const RUNNER_ERROR: i32 = 3;
/// The deploy gate (`--gate`) never saw the new version live within its wait; no check ran.
pub const GATE_FAILED: i32 = 4;
/// The run was interrupted by SIGINT or SIGTERM; reports were still written.
pub const INTERRUPTED: i32 = 130;
