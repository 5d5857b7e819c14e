//! The JSON report: the same content as the JUnit, in a stable shape documented in the README
//! (`schema_version` changes when a field is removed or changes meaning). It is built from
//! typed values, and each string the run produced is masked on its own, so masking never
//! rewrites the report's own keys and words or breaks its syntax.

use super::ReportError;
use super::Reporter;
use super::details;
use super::gather::{Gathered, SuiteResult};
use crate::event::Event;
use crate::redact::Redactor;
use crate::result::{CaseResult, Problem, StepRetried, iso_time};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;

pub const SCHEMA_VERSION: u32 = 1;

/// Gathers the run and writes the JSON file at its end.
pub struct JsonReporter {
    path: PathBuf,
    redactor: Redactor,
    gathered: Gathered,
}

impl JsonReporter {
    pub fn new(path: PathBuf, redactor: Redactor) -> JsonReporter {
        JsonReporter { path, redactor, gathered: Gathered::default() }
    }
}

impl Reporter for JsonReporter {
    fn on_event(&mut self, event: &Event) {
        self.gathered.on_event(event);
    }

    fn finish(&mut self) -> Result<(), ReportError> {
        let text = render(&self.gathered, &self.redactor)?;
        super::write::write_report(&self.path, text.as_bytes()).map_err(|source| ReportError::Write {
            what: "JSON",
            path: self.path.clone(),
            source,
        })
    }
}

pub fn render(run: &Gathered, r: &Redactor) -> Result<String, ReportError> {
    let summary = run.summary;
    let value = json!({
        "schema_version": SCHEMA_VERSION,
        "tool": concat!("shakedown ", env!("CARGO_PKG_VERSION")),
        "started": summary.map(|s| iso_time(s.started)),
        "duration": secs(summary.map(|s| s.duration).unwrap_or_default()),
        "interrupted": summary.and_then(|s| s.interrupted),
        "totals": summary.map(|s| s.totals).unwrap_or_default(),
        "suites": run.suites.iter().map(|s| suite(s, r)).collect::<Vec<_>>(),
    });
    serde_json::to_string_pretty(&value).map_err(|e| ReportError::Serialise { what: "JSON", message: e.to_string() })
}

fn suite(s: &SuiteResult, r: &Redactor) -> Value {
    let i = &s.info;
    json!({
        "name": &i.name,
        "file": i.file.display().to_string(),
        "environment": r.redact(&i.environment),
        "base_url": i.base_url.as_deref().map(|u| r.redact(u)),
        "commit": i.commit.as_deref().map(|c| r.redact(c)),
        "started": iso_time(i.started),
        "duration": secs(s.duration),
        "cases": s.cases.iter().map(|c| case(c, r)).collect::<Vec<_>>(),
        "setup_retried_steps": s.setup_retried.iter().map(|s| retried(s, r)).collect::<Vec<_>>(),
    })
}

fn case(c: &CaseResult, r: &Redactor) -> Value {
    json!({
        "name": &c.name,
        "kind": c.kind,
        "line": c.line,
        "status": c.status,
        "problem": c.problem.as_ref().map(|p| problem(p, r)),
        "earlier_attempts": c.earlier_attempts.iter().map(|p| problem(p, r)).collect::<Vec<_>>(),
        "duration": secs(c.duration),
        "log": r.redact(&c.log),
        "attachments": c.attachments.iter().map(|a| r.redact(&a.display().to_string())).collect::<Vec<_>>(),
        "tags": &c.tags,
        "retried_steps": c.retried_steps.iter().map(|s| retried(s, r)).collect::<Vec<_>>(),
    })
}

fn retried(s: &StepRetried, r: &Redactor) -> Value {
    json!({ "step": r.redact(&s.step), "line": s.line, "attempts": s.attempts, "waited": secs(s.waited) })
}

fn problem(p: &Problem, r: &Redactor) -> Value {
    json!({
        "kind": p.kind,
        "type": p.type_,
        "message": details::headline(p, r),
        "details": details::details(p, r),
        "line": p.line,
        "findings": p.findings.iter().map(|f| json!({
            "line": f.line,
            "column": f.col,
            "subject": r.redact(&f.subject),
            "expected": r.redact(&f.expected),
            "actual": r.redact(&f.actual),
        })).collect::<Vec<_>>(),
    })
}

/// Seconds with three decimals.
fn secs(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}
