//! Why a testcase did not pass, as data. Reporters format it (`report::details`); nothing here
//! is pre-formatted text beyond the one-line message.

use std::time::Duration;

/// Failure (wrong answer) or error (no answer to judge).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProblemKind {
    Failure,
    Error,
}

/// What sort of problem: the JUnit `type` attribute and the JSON `type` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProblemType {
    /// An assertion did not hold.
    Assertion,
    /// A capture found nothing to capture.
    Capture,
    /// A template named a capture that no earlier step set.
    MissingCapture,
    /// The request could not be built (bad URL, unreadable file).
    Request,
    /// The HTTP client could not be set up (TLS files).
    Config,
    Connection,
    Dns,
    Tls,
    Timeout,
    /// The response body broke off.
    Body,
    /// Too many redirects.
    Redirect,
    /// A browser element was missing, hidden or not interactable.
    Element,
    /// A script on the page failed.
    Script,
    /// The browser console had errors.
    Console,
    /// Requests of the page failed (`no_failed_requests`).
    Network,
    /// The browser failed in a way that is not the page's fault.
    Browser,
    /// The browser crashed or went away.
    BrowserCrash,
    /// The WebDriver server is missing, broken or gone.
    Driver,
    /// The step asks for something this browser cannot do.
    Unsupported,
    /// The run stopped (signal or `--timeout`) before the check finished.
    Interrupted,
    /// The suite file could not be loaded.
    Load,
    /// The check did not run (a reason, not a problem of the target).
    Skipped,
    /// The deploy gate (`--gate`) never saw the new version live within its wait.
    Gate,
    /// shakedown itself failed while running the check (a bug, never the target's fault).
    Internal,
}

impl ProblemType {
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemType::Assertion => "assertion",
            ProblemType::Capture => "capture",
            ProblemType::MissingCapture => "missing-capture",
            ProblemType::Request => "request",
            ProblemType::Config => "config",
            ProblemType::Connection => "connection",
            ProblemType::Dns => "dns",
            ProblemType::Tls => "tls",
            ProblemType::Timeout => "timeout",
            ProblemType::Body => "body",
            ProblemType::Redirect => "redirect",
            ProblemType::Element => "element",
            ProblemType::Script => "script",
            ProblemType::Console => "console",
            ProblemType::Network => "network",
            ProblemType::Browser => "browser",
            ProblemType::BrowserCrash => "browser-crash",
            ProblemType::Driver => "driver",
            ProblemType::Unsupported => "unsupported",
            ProblemType::Interrupted => "interrupted",
            ProblemType::Load => "load",
            ProblemType::Skipped => "skipped",
            ProblemType::Gate => "gate",
            ProblemType::Internal => "internal",
        }
    }

    /// Whether the browser session is still worth asking about its page.
    pub fn browser_alive(self) -> bool {
        !matches!(self, ProblemType::BrowserCrash | ProblemType::Driver)
    }
}

impl std::fmt::Display for ProblemType {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for ProblemType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// An assertion that did not hold: where it was asked for, what it looked at, what it wanted
/// and what it found. Values are whole (reporters mask secrets first, then shorten).
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub line: u32,
    pub col: u32,
    /// What was looked at: `status`, `header location`, `json $.commit`, `text of .role`.
    pub subject: String,
    pub expected: String,
    pub actual: String,
}

/// The step a problem happened in.
#[derive(Clone, Debug, PartialEq)]
pub struct StepRef {
    /// `step 2` or `step 2 (log in)`.
    pub label: String,
    pub file: String,
    pub line: u32,
    pub col: u32,
    pub browser: bool,
}

/// The response a failed step got, for the reader.
#[derive(Clone, Debug, PartialEq)]
pub struct ResponseExcerpt {
    pub status: u16,
    pub reason: String,
    pub bytes: u64,
    /// The start of the body as text (at most 64 KiB; reporters mask, then cut).
    pub body: String,
    /// Whether `body` is only the start of what came.
    pub cut: bool,
}

/// One reason a testcase did not pass.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub kind: ProblemKind,
    pub type_: ProblemType,
    /// One line: what went wrong.
    pub message: String,
    /// Where in the suite file the problem was asked for.
    pub line: Option<u32>,
    pub step: Option<StepRef>,
    /// The request line (`GET https://…`), when the step sent one.
    pub request: Option<String>,
    /// The assertions that did not hold, in file order.
    pub findings: Vec<Finding>,
    /// How long a browser assertion waited before it was judged.
    pub waited: Option<Duration>,
    /// The page the browser was on.
    pub page: Option<String>,
    pub response: Option<ResponseExcerpt>,
    /// Further lines for the reader (every console error, the capture that failed…).
    pub notes: Vec<String>,
    /// A step `retry` that never passed: how many attempts, over how long.
    pub retried: Option<(u32, Duration)>,
    /// What was going on, said before the headline (`teardown failed`).
    pub during: Option<&'static str>,
}

impl Problem {
    fn new(kind: ProblemKind, type_: ProblemType, message: impl Into<String>) -> Problem {
        Problem {
            kind,
            type_,
            message: message.into(),
            line: None,
            step: None,
            request: None,
            findings: Vec::new(),
            waited: None,
            page: None,
            response: None,
            notes: Vec::new(),
            retried: None,
            during: None,
        }
    }

    pub fn error(type_: ProblemType, message: impl Into<String>) -> Problem {
        Problem::new(ProblemKind::Error, type_, message)
    }

    pub fn failure(type_: ProblemType, message: impl Into<String>) -> Problem {
        Problem::new(ProblemKind::Failure, type_, message)
    }

    /// The failure of a step whose assertions did not hold; the message names the first.
    pub fn findings(findings: Vec<Finding>) -> Problem {
        let message = match findings.as_slice() {
            [] => "no assertion failed".to_string(),
            [f] => format!("{}: expected {}, got {}", f.subject, f.expected, f.actual),
            [f, rest @ ..] => {
                format!("{}: expected {}, got {} (and {} more)", f.subject, f.expected, f.actual, rest.len())
            }
        };
        let mut p = Problem::failure(ProblemType::Assertion, message);
        p.line = findings.first().map(|f| f.line);
        p.findings = findings;
        p
    }

    pub fn at(mut self, line: u32) -> Problem {
        self.line = Some(line);
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Problem {
        self.notes.push(note.into());
        self
    }

    /// The same problem as an error (a failed setup or teardown cannot be judged).
    pub fn as_error(mut self) -> Problem {
        self.kind = ProblemKind::Error;
        self
    }
}
