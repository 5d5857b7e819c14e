//! The stream of events a run produces. Every reporter (terminal, JUnit, JSON, and whatever
//! comes next) consumes it; the runner knows no reporter, and no reporter knows another.
//! Events carry data, not formatted text: secrets are masked by each reporter as text leaves
//! the process.

use crate::result::{CaseResult, Interruption, RunSummary, StepRetried};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

/// What a reporter needs to know about a suite besides its cases.
#[derive(Clone, Debug)]
pub struct SuiteInfo {
    /// The suite's place in the run: reports list suites in this order.
    pub index: usize,
    pub name: String,
    pub file: PathBuf,
    pub environment: String,
    pub base_url: Option<String>,
    pub commit: Option<String>,
    pub started: SystemTime,
}

#[derive(Debug)]
pub enum Event {
    RunStarted {
        suites: usize,
        checks: usize,
    },
    SuiteStarted {
        suite: Arc<SuiteInfo>,
    },
    /// A testcase (check, or a `[setup]`/`[teardown]`/`[load]` stand-in) is decided.
    CaseFinished {
        suite: Arc<SuiteInfo>,
        case: Arc<CaseResult>,
    },
    SuiteFinished {
        suite: Arc<SuiteInfo>,
        duration: std::time::Duration,
        /// Setup steps that passed only after retrying (a setup that passes has no testcase).
        setup_retried: Vec<StepRetried>,
    },
    /// Something the user should know that is not a result (e.g. TLS verification is off).
    Warning(String),
    /// The run is stopping early; teardowns still run.
    Interrupting(Interruption),
    RunFinished(RunSummary),
}
