//! What a run found: results per check and per suite, as the reporters see them.

mod problem;

pub use problem::{Finding, Problem, ProblemKind, ProblemType, ResponseExcerpt, StepRef};

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// How a testcase ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Passed,
    /// Passed, but only after a failed attempt.
    Flaky,
    /// The target answered, but not as expected.
    Failed,
    /// The check could not be judged: unreachable, timed out, crashed, interrupted.
    Errored,
    Skipped,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Passed => "PASS",
            Status::Flaky => "FLAKY",
            Status::Failed => "FAIL",
            Status::Errored => "ERROR",
            Status::Skipped => "SKIP",
        }
    }
}

/// What a testcase is: a check, or a stand-in for a phase that went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CaseKind {
    Check,
    Setup,
    Teardown,
    Load,
    /// The deploy gate (`--gate`): waiting for the new version before any check.
    Gate,
}

/// One testcase of the report.
#[derive(Clone, Debug)]
pub struct CaseResult {
    pub name: String,
    pub kind: CaseKind,
    pub line: Option<u32>,
    pub status: Status,
    /// Why it did not pass, or why it was skipped. Boxed: a problem is 320 bytes, and the
    /// results of every check (nearly all without one) are kept for the reports.
    pub problem: Option<Box<Problem>>,
    /// Failed attempts before the last one (flaky passes and reruns).
    pub earlier_attempts: Vec<Problem>,
    pub duration: Duration,
    /// The step log, already redacted.
    pub log: String,
    /// Screenshots, page HTML, response bodies; the most useful first.
    pub attachments: Vec<PathBuf>,
    pub tags: Vec<String>,
    /// Steps whose `retry` needed more than one attempt to pass.
    pub retried_steps: Vec<StepRetried>,
    /// The TLS certificates the check's HTTPS responses came with: the host and the end of
    /// the certificate's validity (Unix seconds), for `shakedown monitor`'s expiry metric.
    pub certificates: Vec<(String, i64)>,
}

/// A step that passed only after polling: it is green, but a reader should see it waited.
#[derive(Clone, Debug, PartialEq)]
pub struct StepRetried {
    /// `step 2` or `step 2 (the new version is live)`.
    pub step: String,
    pub line: u32,
    pub attempts: u32,
    pub waited: Duration,
}

impl std::fmt::Display for StepRetried {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{} passed on attempt {} after {}", self.step, self.attempts, crate::duration::human(self.waited))
    }
}

impl CaseResult {
    pub fn new(name: impl Into<String>, kind: CaseKind, line: Option<u32>) -> CaseResult {
        CaseResult {
            name: name.into(),
            kind,
            line,
            status: Status::Passed,
            problem: None,
            earlier_attempts: Vec::new(),
            duration: Duration::ZERO,
            log: String::new(),
            attachments: Vec::new(),
            tags: Vec::new(),
            retried_steps: Vec::new(),
            certificates: Vec::new(),
        }
    }

    pub fn skipped(name: impl Into<String>, line: Option<u32>, reason: impl Into<String>) -> CaseResult {
        let mut c = CaseResult::new(name, CaseKind::Check, line);
        c.status = Status::Skipped;
        c.problem = Some(Box::new(Problem { line, ..Problem::error(ProblemType::Skipped, reason) }));
        c
    }

    pub fn with_problem(mut self, p: Problem) -> CaseResult {
        self.status = match p.kind {
            ProblemKind::Failure => Status::Failed,
            ProblemKind::Error => Status::Errored,
        };
        self.problem = Some(Box::new(p));
        self
    }
}

/// Why a run stopped early.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Interruption {
    /// SIGINT or SIGTERM.
    Signal,
    /// `--timeout` passed.
    Deadline,
}

/// How a run went, once it is over.
#[derive(Clone, Copy, Debug)]
pub struct RunSummary {
    pub started: SystemTime,
    pub duration: Duration,
    pub suites: usize,
    pub totals: Totals,
    pub interrupted: Option<Interruption>,
}

/// Totals over a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Totals {
    pub tests: usize,
    pub passed: usize,
    pub flaky: usize,
    pub failed: usize,
    pub errors: usize,
    pub skipped: usize,
}

impl Totals {
    /// Counts one more testcase.
    pub fn add(&mut self, status: Status) {
        self.tests += 1;
        match status {
            Status::Passed => self.passed += 1,
            Status::Flaky => self.flaky += 1,
            Status::Failed => self.failed += 1,
            Status::Errored => self.errors += 1,
            Status::Skipped => self.skipped += 1,
        }
    }
}

/// `2026-11-21T09:49:01.123Z`
pub fn iso_time(t: SystemTime) -> String {
    let dt: chrono::DateTime<chrono::Utc> = t.into();
    dt.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}
