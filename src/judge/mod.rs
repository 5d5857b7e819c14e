//! Judging: assertions and captures against what a step observed. One module for HTTP and
//! browser alike: an HTTP exchange (`http`) or a page (`page`) supplies the values, the same
//! predicates (`predicate`) judge them with the same strictness rules, and every result is
//! recorded the same way (`Verdict`). Values read as text (headers, bodies, HTML, page text)
//! compare by their text; values that are JSON (JSONPath results, `eval` results) compare by
//! type and value.

mod capture;
mod exchange;
mod http;
mod page;
mod predicate;
mod show;

pub use capture::capture_http;
pub use exchange::Exchange;
pub use http::{judge_http, needs_html, reads_body};
pub use page::{judge_eval, judge_page, url_allowed};
pub use predicate::{Mismatch, describe, eval};
pub use show::{normalize_ws, show, truncate};

use crate::result::Finding;
use crate::suite::Pos;

/// What judging a step's assertions found.
#[derive(Debug, Default)]
pub struct Verdict {
    /// The assertions that did not hold, in file order.
    pub findings: Vec<Finding>,
    /// One line per assertion, for the step log (each ends in a newline).
    pub log: String,
}

impl Verdict {
    /// Records one assertion's result. Its subject is in two parts (`json ` and the query, say;
    /// `tail` may be empty), joined only when the assertion fails: a passing one, the common
    /// case, pushes them as they are.
    pub fn add(&mut self, pos: Pos, head: &str, tail: &str, result: Result<(), Mismatch>) {
        use std::fmt::Write as _;
        match result {
            Ok(()) => {
                // Every passing assertion of every check: pieces pushed, no formatting.
                self.log.push_str("  ✓ ");
                self.log.push_str(head);
                self.log.push_str(tail);
                self.log.push('\n');
            }
            Err(m) => {
                let _ = writeln!(self.log, "  ✗ {head}{tail}: expected {}, got {}", m.expected, m.actual);
                self.findings.push(Finding {
                    line: pos.line,
                    col: pos.col,
                    subject: format!("{head}{tail}"),
                    expected: m.expected,
                    actual: m.actual,
                });
            }
        }
    }
}
