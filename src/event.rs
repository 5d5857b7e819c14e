//! The stream of events a run produces. The terminal display consumes it live; the file
//! reports are written from the final `RunResult`. The runner knows no reporter.

use crate::outcome::{CaseResult, RunResult};

#[derive(Debug)]
pub enum Event {
    RunStarted {
        suites: usize,
        checks: usize,
    },
    SuiteStarted {
        suite: String,
    },
    /// A testcase (check, or a `[setup]`/`[teardown]`/`[load]` stand-in) is decided.
    CaseFinished {
        suite: String,
        case: Box<CaseResult>,
    },
    /// Something the user should know that is not a result (e.g. TLS verification is off).
    Warning(String),
    /// The run is stopping early; teardowns still run.
    Interrupting(crate::outcome::Interruption),
    RunFinished(Box<RunResult>),
}

/// Something that wants to see events as they happen.
pub trait Reporter: Send {
    fn on_event(&mut self, event: &Event);
}
