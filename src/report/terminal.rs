//! The terminal display: one line per testcase as it finishes, a spinner on a TTY (plain
//! lines in CI and pipes), colour only on a TTY, and at the end every failure with its place,
//! expected and actual, then a summary line.

use super::ReportOptions;
use super::Reporter;
use super::details;
use crate::event::{Event, SuiteInfo};
use crate::redact::Redactor;
use crate::result::{CaseKind, CaseResult, Interruption, ProblemKind, RunSummary, Status};
use anstyle::{AnsiColor, Style};
use std::borrow::Cow;
use std::sync::Arc;

/// The live display on stdout. Every piece of text that came from the run is masked on its
/// own; the tool's own words are printed as they are.
pub struct Terminal {
    color: bool,
    fail_on_flaky: bool,
    verbose: bool,
    redactor: Redactor,
    progress: Option<indicatif::ProgressBar>,
    /// Everything that did not pass, for the end.
    problems: Vec<(Arc<SuiteInfo>, CaseResult)>,
}

const GREEN: Style = AnsiColor::Green.on_default().bold();
const RED: Style = AnsiColor::Red.on_default().bold();
const YELLOW: Style = AnsiColor::Yellow.on_default().bold();
const DIM: Style = Style::new().dimmed();
const BOLD: Style = Style::new().bold();

impl Terminal {
    pub fn new(opts: &ReportOptions, redactor: Redactor) -> Terminal {
        let progress = opts.progress.then(|| {
            let pb = indicatif::ProgressBar::new(0);
            pb.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {pos}/{len} checks {elapsed} {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            pb.enable_steady_tick(std::time::Duration::from_millis(120));
            pb
        });
        Terminal {
            color: opts.color,
            fail_on_flaky: opts.fail_on_flaky,
            verbose: opts.verbose,
            redactor,
            progress,
            problems: Vec::new(),
        }
    }

    /// Masks what came from the run.
    fn m(&self, text: &str) -> String {
        self.redactor.redact(text)
    }

    fn paint<'a>(&self, style: Style, text: &'a str) -> Cow<'a, str> {
        if self.color { Cow::Owned(format!("{style}{text}{style:#}")) } else { Cow::Borrowed(text) }
    }

    fn line(&self, text: &str) {
        // Control characters can only come from the target (messages quote what it sent);
        // ESC stays for our own colours (the target's escape codes are stripped by `printable`).
        let kept = |c: &char| !c.is_control() || matches!(c, '\n' | '\t' | '\u{1b}');
        let text: Cow<str> = if text.chars().all(|c| kept(&c)) {
            Cow::Borrowed(text)
        } else {
            Cow::Owned(text.chars().filter(kept).collect())
        };
        match &self.progress {
            Some(pb) => pb.println(text),
            None => super::out::hold(&text),
        }
    }

    fn status_style(s: Status) -> Style {
        match s {
            Status::Passed => GREEN,
            Status::Flaky | Status::Skipped => YELLOW,
            Status::Failed | Status::Errored => RED,
        }
    }

    fn case_line(&self, suite: &str, c: &CaseResult) -> String {
        // One line per check of every run: written in place, the colours around their words.
        let (label, time) = (c.status.label(), crate::duration::human(c.duration));
        let (suite, name) = (printable(suite), printable(&c.name));
        let mut line = if self.color {
            let style = Self::status_style(c.status);
            format!("{style}{label:>5}{style:#}  {suite} › {name} {DIM}({time}){DIM:#}")
        } else {
            format!("{label:>5}  {suite} › {name} ({time})")
        };
        if c.status == Status::Flaky {
            line.push_str(&format!(" passed after {} failed attempt(s)", c.earlier_attempts.len()));
        }
        for r in &c.retried_steps {
            line.push_str(&format!("\n       {}", self.paint(YELLOW, &format!("↻ {}", self.m(&r.to_string())))));
        }
        if let Some(p) = &c.problem
            && c.status != Status::Passed
        {
            let head = details::headline(p, &self.redactor);
            line.push_str(&format!("\n       {}", self.paint(DIM, &crate::judge::truncate(&printable(&head), 200))));
        }
        line
    }

    fn summary(&self, run: &RunSummary) {
        if !self.problems.is_empty() {
            self.line("");
            self.line(&self.paint(BOLD, "Problems:"));
        }
        for (suite, c) in &self.problems {
            self.problem(suite, c);
        }
        let t = run.totals;
        let mut parts = vec![format!("{} passed", t.passed)];
        parts.push(format!("{} failed", t.failed));
        parts.push(format!("{} errors", t.errors));
        parts.push(format!("{} skipped", t.skipped));
        if t.flaky > 0 {
            parts.push(format!("{} flaky", t.flaky));
        }
        let verdict = if t.failed + t.errors > 0 || (self.fail_on_flaky && t.flaky > 0) {
            self.paint(RED, "FAILED")
        } else if t.tests == 0 {
            self.paint(YELLOW, "NOTHING RAN")
        } else {
            self.paint(GREEN, "OK")
        };
        let plural = |n: usize, word: &str| if n == 1 { format!("{n} {word}") } else { format!("{n} {word}s") };
        let mut line = format!(
            "\n{verdict}: {} in {}: {} ({})",
            plural(t.tests, "check"),
            plural(run.suites, "suite"),
            parts.join(", "),
            crate::duration::human(run.duration)
        );
        if let Some(why) = run.interrupted {
            line.push_str(match why {
                Interruption::Signal => " — interrupted by a signal",
                Interruption::Deadline => " — stopped at the --timeout deadline",
            });
        }
        self.line(&line);
    }

    /// One block of the problems list: where, what, the details, the log, the attachments.
    fn problem(&self, suite: &SuiteInfo, c: &CaseResult) {
        let name = format!("{} › {}", printable(&suite.name), printable(&c.name));
        let Some(p) = &c.problem else {
            // A flaky pass: show the attempts that failed.
            let head = format!("\n{} {name}  {}", self.paint(YELLOW, "FLAKY"), self.location(&suite.file, c.line));
            self.line(&head);
            for (i, e) in c.earlier_attempts.iter().enumerate() {
                self.line(&format!("  attempt {}: {}", i + 1, printable(&details::headline(e, &self.redactor))));
            }
            return;
        };
        let kind = match (c.status, p.kind) {
            (Status::Skipped, _) => self.paint(YELLOW, "SKIP"),
            (_, ProblemKind::Failure) => self.paint(RED, "FAIL"),
            (_, ProblemKind::Error) => Cow::Owned(self.paint(RED, &format!("ERROR ({})", p.type_)).into_owned()),
        };
        self.line(&format!("\n{kind} {name}  {}", self.location(&suite.file, p.line.or(c.line))));
        self.line(&format!("  {}", printable(&details::headline(p, &self.redactor))));
        let d = details::details(p, &self.redactor);
        if !d.is_empty() && c.status != Status::Skipped {
            let shown = if self.verbose { d } else { super::junit::head_and_tail(&d, 4000) };
            for l in shown.lines() {
                self.line(&format!("  {} {}", self.paint(DIM, "│"), printable(l)));
            }
        }
        for a in &c.attachments {
            self.line(&format!("  attachment: {}", self.m(&a.display().to_string())));
        }
    }

    fn location(&self, file: &std::path::Path, line: Option<u32>) -> String {
        let text = match line {
            Some(l) => format!("{}:{l}", file.display()),
            None => file.display().to_string(),
        };
        self.paint(DIM, &text).into_owned()
    }
}

/// Text that came from the target, made safe to print: escape sequences and control characters
/// are removed (a carriage return or a backspace in a response could rewrite what is shown, and
/// NUL bytes break CI log viewers).
fn printable(s: &str) -> Cow<'_, str> {
    // Every escape sequence starts with a control character: text without one is kept as it is.
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(crate::report::junit::strip_ansi(s).chars().filter(|c| *c == '\t' || !c.is_control()).collect())
}

impl Drop for Terminal {
    fn drop(&mut self) {
        super::out::flush();
    }
}

impl Reporter for Terminal {
    fn on_event(&mut self, event: &Event) {
        match event {
            Event::RunStarted { checks, .. } => {
                if let Some(pb) = &self.progress {
                    pb.set_length(*checks as u64);
                }
            }
            Event::SuiteStarted { suite } => {
                if let Some(pb) = &self.progress {
                    pb.set_message(printable(&suite.name).into_owned());
                }
            }
            Event::CaseFinished { suite, case } => {
                if let Some(pb) = &self.progress {
                    pb.inc(1);
                }
                self.line(&self.case_line(&suite.name, case));
                if self.verbose && !case.log.is_empty() {
                    // `-v`: every check's step log, passing ones too, right under its line.
                    for l in self.m(&case.log).lines() {
                        self.line(&format!("       {}", printable(l)));
                    }
                }
                // Checks skipped because their setup failed are said once, by the setup.
                let interesting = case.status != Status::Passed
                    && !(case.status == Status::Skipped
                        && case.kind == CaseKind::Check
                        && self.problems.iter().any(|(s, c)| s.index == suite.index && c.kind == CaseKind::Setup));
                if interesting {
                    self.problems.push((suite.clone(), (**case).clone()));
                }
            }
            Event::SuiteFinished { suite, setup_retried, .. } => {
                for r in setup_retried {
                    let text = format!("↻ {} › setup: {}", printable(&suite.name), printable(&r.to_string()));
                    self.line(&format!("       {}", self.paint(YELLOW, &text)));
                }
            }
            Event::Warning(w) => self.line(&format!("{} {}", self.paint(YELLOW, "warning:"), self.m(w))),
            Event::Interrupting(why) => {
                let text = match why {
                    Interruption::Signal => {
                        "interrupted: stopping checks, running teardowns, writing reports (press Ctrl-C again to skip teardowns)"
                    }
                    Interruption::Deadline => {
                        "the --timeout deadline passed: stopping checks, running teardowns, writing reports"
                    }
                };
                self.line(&self.paint(YELLOW, text));
                super::out::flush();
            }
            Event::RunFinished(run) => {
                if let Some(pb) = self.progress.take() {
                    pb.finish_and_clear();
                }
                self.summary(run);
                super::out::flush();
            }
        }
    }
}
