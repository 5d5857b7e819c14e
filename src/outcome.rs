//! What a run found: results per check and per suite, as the reporters see them.

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

/// Failure (wrong answer) or error (no answer to judge).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProblemKind {
    Failure,
    Error,
}

/// One reason a check did not pass.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Problem {
    pub kind: ProblemKind,
    /// A short machine-readable type: `assertion`, `connection`, `timeout`, `tls`, `interrupted`…
    #[serde(rename = "type")]
    pub type_: String,
    /// One line.
    pub message: String,
    /// The step, the request line, expected against actual, a response excerpt.
    pub details: String,
    /// Where in the suite file the problem was asked for.
    pub line: Option<u32>,
}

impl Problem {
    pub fn error(type_: &str, message: impl Into<String>) -> Problem {
        Problem {
            kind: ProblemKind::Error,
            type_: type_.into(),
            message: message.into(),
            details: String::new(),
            line: None,
        }
    }

    pub fn failure(type_: &str, message: impl Into<String>) -> Problem {
        Problem {
            kind: ProblemKind::Failure,
            type_: type_.into(),
            message: message.into(),
            details: String::new(),
            line: None,
        }
    }

    pub fn at(mut self, line: u32) -> Problem {
        self.line = Some(line);
        self
    }

    pub fn details(mut self, details: impl Into<String>) -> Problem {
        self.details = details.into();
        self
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
}

/// One testcase of the report.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CaseResult {
    pub name: String,
    pub kind: CaseKind,
    pub line: Option<u32>,
    pub status: Status,
    /// Why it did not pass, or why it was skipped.
    pub problem: Option<Problem>,
    /// Failed attempts before the last one (flaky passes and reruns).
    pub earlier_attempts: Vec<Problem>,
    #[serde(serialize_with = "ser_secs")]
    pub duration: Duration,
    /// The step log, already redacted.
    pub log: String,
    /// Screenshots, page HTML, response bodies; the most useful first.
    pub attachments: Vec<PathBuf>,
    pub tags: Vec<String>,
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
        }
    }

    pub fn skipped(name: impl Into<String>, line: Option<u32>, reason: impl Into<String>) -> CaseResult {
        let mut c = CaseResult::new(name, CaseKind::Check, line);
        c.status = Status::Skipped;
        c.problem = Some(Problem {
            kind: ProblemKind::Error,
            type_: "skipped".into(),
            message: reason.into(),
            details: String::new(),
            line,
        });
        c
    }

    pub fn with_problem(mut self, p: Problem) -> CaseResult {
        self.status = match p.kind {
            ProblemKind::Failure => Status::Failed,
            ProblemKind::Error => Status::Errored,
        };
        self.problem = Some(p);
        self
    }
}

/// One suite file's results.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SuiteResult {
    pub name: String,
    pub file: PathBuf,
    pub environment: String,
    pub base_url: Option<String>,
    pub commit: Option<String>,
    #[serde(serialize_with = "ser_time")]
    pub started: SystemTime,
    #[serde(serialize_with = "ser_secs")]
    pub duration: Duration,
    pub cases: Vec<CaseResult>,
}

impl SuiteResult {
    pub fn count(&self, status: Status) -> usize {
        self.cases.iter().filter(|c| c.status == status).count()
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

/// Everything a run found.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RunResult {
    #[serde(serialize_with = "ser_time")]
    pub started: SystemTime,
    #[serde(serialize_with = "ser_secs")]
    pub duration: Duration,
    pub suites: Vec<SuiteResult>,
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

impl RunResult {
    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for case in self.suites.iter().flat_map(|s| &s.cases) {
            t.tests += 1;
            match case.status {
                Status::Passed => t.passed += 1,
                Status::Flaky => t.flaky += 1,
                Status::Failed => t.failed += 1,
                Status::Errored => t.errors += 1,
                Status::Skipped => t.skipped += 1,
            }
        }
        t
    }
}

fn ser_secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0).round() / 1000.0)
}

fn ser_time<S: serde::Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&iso_time(*t))
}

/// `2026-11-21T09:49:01.123Z`
pub fn iso_time(t: SystemTime) -> String {
    let dt: chrono::DateTime<chrono::Utc> = t.into();
    dt.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}
