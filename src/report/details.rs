//! The one formatter of problems: a problem's headline and its details, as every reporter
//! shows them. Secrets are masked first, then long values are cut, so no cut leaves part of a
//! secret that would no longer match.

use crate::redact::Redactor;
use crate::result::{Finding, Problem};
use std::fmt::Write as _;

/// How much of an expected or actual value a message shows.
const MAX_VALUE: usize = 300;
/// How much of a response body the details show.
const MAX_EXCERPT: usize = 2048;

/// One line: what went wrong, masked.
pub fn headline(p: &Problem, r: &Redactor) -> String {
    let mut line = match p.findings.as_slice() {
        [] => r.redact(&p.message),
        [f, rest @ ..] => {
            let more = if rest.is_empty() { String::new() } else { format!(" (and {} more)", rest.len()) };
            format!("{}: expected {}, got {}{more}", r.redact(&f.subject), value(&f.expected, r), value(&f.actual, r))
        }
    };
    if let Some(during) = p.during {
        line = format!("{during}: {line}");
    }
    if let Some((attempts, over)) = p.retried {
        let _ = write!(line, " (still, after {attempts} attempts over {})", crate::duration::human(over));
    }
    line
}

/// Everything after the headline: the step, the request, each finding with its place, the
/// page, the response excerpt, further notes. Empty when there is nothing more to say.
pub fn details(p: &Problem, r: &Redactor) -> String {
    let mut out = String::new();
    if let Some(s) = &p.step {
        let kind = if s.browser { " (browser)" } else { "" };
        let _ = writeln!(out, "{}{kind} at {}:{}:{}", s.label, s.file, s.line, s.col);
    }
    if let Some(req) = &p.request {
        let _ = writeln!(out, "{}", r.redact(req));
    }
    for f in &p.findings {
        finding(&mut out, f, p, r);
    }
    if let Some(page) = &p.page {
        let _ = writeln!(out, "  page:     {}", r.redact(page));
    }
    if let Some(resp) = &p.response {
        let masked = if resp.cut { r.redact_cut(&resp.body) } else { r.redact(&resp.body) };
        let body = crate::judge::truncate(&masked, MAX_EXCERPT);
        let _ = write!(out, "\nresponse: {} {} ({} bytes)\n{body}\n", resp.status, resp.reason, resp.bytes);
    }
    if !p.notes.is_empty() {
        out.push('\n');
        for n in &p.notes {
            let _ = writeln!(out, "{}", r.redact(n));
        }
    }
    out.trim_matches('\n').to_string()
}

fn finding(out: &mut String, f: &Finding, p: &Problem, r: &Redactor) {
    let file = p.step.as_ref().map(|s| s.file.as_str()).unwrap_or("");
    let waited = match p.waited {
        Some(w) => format!(" (still, after waiting {})", crate::duration::human(w)),
        None => String::new(),
    };
    let _ = write!(
        out,
        "\n{file}:{}:{}  {}\n  expected: {}\n  actual:   {}{waited}\n",
        f.line,
        f.col,
        r.redact(&f.subject),
        value(&f.expected, r),
        value(&f.actual, r)
    );
}

fn value(v: &str, r: &Redactor) -> String {
    crate::judge::truncate(&r.redact(v), MAX_VALUE)
}

/// The headline, then the details: what a JUnit body or a terminal block shows.
pub fn full(p: &Problem, r: &Redactor) -> String {
    let head = headline(p, r);
    let d = details(p, r);
    if d.is_empty() { head } else { format!("{head}\n\n{d}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::{ProblemType, StepRef};

    fn step() -> StepRef {
        StepRef { label: "step 1".into(), file: "s.yaml".into(), line: 4, col: 7, browser: false }
    }

    #[test]
    fn findings_name_place_expected_and_actual_with_secrets_masked_before_cutting() {
        let r = Redactor::new();
        r.add("hunter2hunter2");
        let long = format!("{}hunter2hunter2", "x".repeat(295));
        let mut p = Problem::findings(vec![
            Finding { line: 5, col: 9, subject: "status".into(), expected: "200".into(), actual: "500".into() },
            Finding { line: 6, col: 9, subject: "body".into(), expected: "ok".into(), actual: long },
        ]);
        p.step = Some(step());
        p.request = Some("GET http://127.0.0.1/".into());
        let head = headline(&p, &r);
        assert_eq!(head, "status: expected 200, got 500 (and 1 more)");
        let d = details(&p, &r);
        assert!(d.starts_with("step 1 at s.yaml:4:7\nGET http://127.0.0.1/\n"), "{d}");
        assert!(d.contains("s.yaml:5:9  status\n  expected: 200\n  actual:   500"), "{d}");
        assert!(d.contains("s.yaml:6:9  body"), "{d}");
        assert!(!d.contains("hunter2") && !d.contains("hunter"), "a cut left part of a secret: {d}");
    }

    #[test]
    fn a_retried_step_says_how_often_and_how_long() {
        let r = Redactor::new();
        let mut p = Problem::error(ProblemType::Connection, "cannot connect");
        p.retried = Some((3, std::time::Duration::from_secs(2)));
        assert_eq!(headline(&p, &r), "cannot connect (still, after 3 attempts over 2.00s)");
        assert_eq!(full(&p, &r), headline(&p, &r));
    }
}
