//! Reporters, each on the event stream: the live terminal display, and the JUnit and JSON
//! files written once the run is over. `details` is the one formatter of problems they share;
//! `gather` collects events into suites for the file reports.

pub mod details;
pub mod gather;
pub mod github;
pub mod json;
pub mod junit;
pub mod out;
pub mod terminal;
pub mod write;

use crate::event::Event;
use crate::redact::Redactor;
use std::path::PathBuf;

/// Something that wants to see events as they happen.
pub trait Reporter: Send {
    fn on_event(&mut self, event: &Event);

    /// Called once after the run: write what was gathered (a report file, say).
    fn finish(&mut self) -> Result<(), ReportError> {
        Ok(())
    }
}

/// A report could not be made or written. shakedown itself failed (exit 3).
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write the {what} report {}: {source}", path.display())]
    Write { what: &'static str, path: PathBuf, source: std::io::Error },
    #[error("cannot serialise the {what} report: {message}")]
    Serialise { what: &'static str, message: String },
}

impl ReportError {
    pub fn exit_code(&self) -> i32 {
        crate::exit::RUNNER_ERROR
    }
}

/// What the user asked to be told, and where.
#[derive(Clone, Debug, Default)]
pub struct ReportOptions {
    /// The live display on stdout.
    pub terminal: bool,
    pub junit: Option<PathBuf>,
    pub json: Option<PathBuf>,
    /// Colour on the terminal.
    pub color: bool,
    /// A live spinner (a TTY, not CI).
    pub progress: bool,
    pub verbose: bool,
    pub fail_on_flaky: bool,
    /// GitHub Actions annotations and step summary (`--github`, or `GITHUB_ACTIONS=true`).
    pub github: Option<github::GithubOptions>,
    /// `--shard K/N`, named in the reports so that each shard's report says which it is.
    pub shard: Option<(u32, u32)>,
}

impl ReportOptions {
    /// The run's name in reports: `shakedown`, or `shakedown (shard 2/3)`.
    pub fn run_name(&self) -> String {
        match self.shard {
            Some((k, n)) => format!("shakedown (shard {k}/{n})"),
            None => "shakedown".into(),
        }
    }
}

/// Every reporter of a run, fed the same events.
pub struct Reporters {
    all: Vec<Box<dyn Reporter>>,
}

impl Reporters {
    /// The terminal, and a file reporter for each report asked for.
    pub fn new(opts: &ReportOptions, redactor: &Redactor) -> Reporters {
        let mut all: Vec<Box<dyn Reporter>> = Vec::new();
        // First: it stops the runner's workflow commands before anything else is printed.
        if let Some(gh) = &opts.github {
            all.push(Box::new(github::GithubReporter::new(opts, gh.clone(), redactor.clone())));
        }
        if opts.terminal {
            all.push(Box::new(terminal::Terminal::new(opts, redactor.clone())));
        }
        if let Some(path) = &opts.junit {
            all.push(Box::new(junit::JunitReporter::new(path.clone(), opts.run_name(), redactor.clone())));
        }
        if let Some(path) = &opts.json {
            all.push(Box::new(json::JsonReporter::new(path.clone(), redactor.clone())));
        }
        Reporters { all }
    }

    pub fn on_event(&mut self, event: &Event) {
        for r in &mut self.all {
            r.on_event(event);
        }
    }

    /// Writes every report; all are attempted even when one fails, and the first error is
    /// returned.
    pub fn finish(&mut self) -> Result<(), ReportError> {
        out::flush();
        let mut first = Ok(());
        for r in &mut self.all {
            if let Err(e) = r.finish()
                && first.is_ok()
            {
                first = Err(e);
            }
        }
        first
    }
}
