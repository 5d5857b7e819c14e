//! The monitor's reporter: it reads the run engine's event stream like the terminal and JUnit
//! reporters do, and turns each decided check into a change of the [`State`], a log line when a
//! check goes down or up, and an alert change for the alerting task.

use super::state::{Change, Outcome, Run, State, unix};
use crate::event::Event;
use crate::redact::Redactor;
use crate::report::Reporter;
use crate::result::{CaseKind, CaseResult, ProblemType, Status};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use tokio::sync::{Notify, mpsc::UnboundedSender};

/// Feeds the state from the events of every suite run.
pub struct Feed {
    pub state: Arc<Mutex<State>>,
    pub redactor: Redactor,
    /// Alert changes, for the alerting task (never blocks).
    pub changes: UnboundedSender<Change>,
    /// Woken after each suite run, so the state file is written.
    pub dirty: Arc<Notify>,
    /// Warnings already logged: every run of a suite repeats them.
    pub warned: HashSet<String>,
    /// Log state changes and warnings (not under `run --watch`, which draws a table instead).
    pub log: bool,
}

impl Reporter for Feed {
    fn on_event(&mut self, event: &Event) {
        match event {
            Event::CaseFinished { suite, case } => self.case(&suite.name, &suite.environment, case),
            Event::SuiteFinished { .. } => self.dirty.notify_one(),
            Event::Warning(w) if self.warned.insert(w.clone()) => {
                self.say(&format!("warning: {}", self.redactor.redact(w)))
            }
            _ => {}
        }
    }
}

impl Feed {
    fn say(&self, line: &str) {
        if self.log {
            super::log(line);
        }
    }

    fn case(&mut self, suite: &str, environment: &str, case: &CaseResult) {
        let problem = case.problem.as_ref();
        // A check stopped because the monitor is stopping says nothing about the target.
        if problem.is_some_and(|p| p.type_ == ProblemType::Interrupted) {
            return;
        }
        let text = problem.map(|p| {
            let headline = crate::report::details::headline(p, &self.redactor);
            let text = match &p.request {
                Some(req) => format!("{}: {headline}", self.redactor.redact(req)),
                None => headline,
            };
            one_line(&text)
        });
        if case.kind != CaseKind::Check {
            // A failed setup shows on every check it skipped; a failed teardown is only told.
            if case.kind == CaseKind::Teardown
                && let Some(t) = &text
            {
                self.say(&format!("{suite} › [teardown] failed: {t}"));
            }
            return;
        }
        let outcome = match case.status {
            Status::Passed => Outcome::Passed,
            Status::Flaky => Outcome::Flaky,
            Status::Failed => Outcome::Failed,
            Status::Errored | Status::Skipped => Outcome::Errored,
        };
        let Ok(mut state) = self.state.lock() else { return };
        for (host, not_after) in &case.certificates {
            state.certificates.insert(self.redactor.redact(host), *not_after);
        }
        let key = (suite.to_string(), case.name.clone());
        let was_up = state.checks.get(&key).map(|c| c.up);
        let change = state.record(Run {
            suite,
            check: &case.name,
            environment,
            outcome,
            seconds: case.duration.as_secs_f64(),
            problem: text.clone(),
            at: unix(std::time::SystemTime::now()),
        });
        drop(state);
        let name = format!("{suite} › {}", case.name);
        match (was_up, outcome.is_up()) {
            (Some(true) | None, false) => {
                self.say(&format!("{name} is DOWN ({}): {}", outcome.name(), text.unwrap_or_default()))
            }
            (Some(false), true) => self.say(&format!("{name} is UP again")),
            _ => {}
        }
        if let Some(c) = change {
            match &c {
                Change::Firing(a) => {
                    self.say(&format!("{name}: alert firing after {} failed runs", a.consecutive_failures))
                }
                Change::Resolved(_) => self.say(&format!("{name}: alert resolved")),
            }
            let _ = self.changes.send(c);
        }
    }
}

/// A problem as the log, the page and the alerts show it: one line, with no escape sequence or
/// control character the target sent (a response body could otherwise write a fake log line,
/// or colour a terminal).
fn one_line(text: &str) -> String {
    crate::report::junit::strip_ansi(text).chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_problem_is_one_line_without_escapes() {
        let forged = "got 500\n2026-12-07T00:00:00Z shop › login is UP again\u{1b}[31m red\r";
        assert_eq!(super::one_line(forged), "got 500 2026-12-07T00:00:00Z shop › login is UP again red ");
    }
}
