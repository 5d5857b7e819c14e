//! The JUnit XML report: one flat `<testsuite>` per suite file, one `<testcase>` per check,
//! failures apart from errors, flaky runs and reruns, attachments (the rules are in the
//! README). Every text is stripped of ANSI escapes and of what XML cannot hold (`plain`), masked
//! (`clean`) and bounded here; `junit_xml` writes the elements.

use super::ReportError;
use super::Reporter;
use super::details;
use super::gather::{Gathered, SuiteResult};
use super::junit_xml::Xml;
use crate::event::Event;
use crate::redact::Redactor;
use crate::result::{CaseResult, Problem, ProblemKind, Status};
use std::io::Write;
use std::path::PathBuf;

const MAX_MESSAGE: usize = 1000;
const MAX_LOG: usize = 64 * 1024;
const MAX_DETAILS: usize = 16 * 1024;

/// Gathers the run and writes the JUnit file at its end.
pub struct JunitReporter {
    path: PathBuf,
    /// The `<testsuites>` name: `shakedown`, or `shakedown (shard 2/3)`.
    name: String,
    redactor: Redactor,
    gathered: Gathered,
}

impl JunitReporter {
    pub fn new(path: PathBuf, name: String, redactor: Redactor) -> JunitReporter {
        JunitReporter { path, name, redactor, gathered: Gathered::default() }
    }
}

impl Reporter for JunitReporter {
    fn on_event(&mut self, event: &Event) {
        self.gathered.on_event(event);
    }

    fn finish(&mut self) -> Result<(), ReportError> {
        let xml = render(&self.gathered, &self.name, &self.redactor)?;
        super::write::write_report(&self.path, xml.as_bytes()).map_err(|source| ReportError::Write {
            what: "JUnit",
            path: self.path.clone(),
            source,
        })
    }
}

/// Renders the whole run as JUnit XML.
pub fn render(run: &Gathered, name: &str, redactor: &Redactor) -> Result<String, ReportError> {
    let serialise = |message: String| ReportError::Serialise { what: "JUnit", message };
    let bytes = write_run(run, name, redactor, Vec::new()).map_err(|e| serialise(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| serialise(e.to_string()))
}

/// How many cases of these are tests, skipped, failures and errors (a flaky pass is a pass).
fn counts<'a>(cases: impl Iterator<Item = &'a CaseResult>) -> [String; 4] {
    let mut n = [0usize; 4];
    for c in cases {
        n[0] += 1;
        match c.status {
            Status::Skipped => n[1] += 1,
            Status::Failed => n[2] += 1,
            Status::Errored => n[3] += 1,
            Status::Passed | Status::Flaky => {}
        }
    }
    n.map(|k| k.to_string())
}

/// Seconds with three decimals.
fn seconds(d: std::time::Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

fn write_run<W: Write>(run: &Gathered, name: &str, r: &Redactor, out: W) -> std::io::Result<W> {
    let mut x = Xml::new(out)?;
    let name = plain(name);
    let [tests, skipped, failures, errors] = counts(run.suites.iter().flat_map(|s| &s.cases));
    let when = run.summary.as_ref().map(|summary| {
        let started: chrono::DateTime<chrono::Utc> = summary.started.into();
        (started.fixed_offset().format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string(), seconds(summary.duration))
    });
    let mut attrs = vec![
        ("name", name.as_str()),
        ("tests", &tests),
        ("skipped", &skipped),
        ("failures", &failures),
        ("errors", &errors),
    ];
    if let Some((timestamp, time)) = &when {
        attrs.extend([("timestamp", timestamp.as_str()), ("time", time.as_str())]);
    }
    x.start("testsuites", &attrs)?;
    for suite in &run.suites {
        write_suite(&mut x, suite, r)?;
    }
    x.end("testsuites")?;
    x.finish()
}

fn write_suite<W: Write>(x: &mut Xml<W>, s: &SuiteResult, r: &Redactor) -> std::io::Result<()> {
    let info = &s.info;
    let [tests, skipped, failures, errors] = counts(s.cases.iter());
    let (name, time) = (plain(&info.name), seconds(s.duration));
    let (started, host) = (plain(&crate::result::iso_time(info.started)), plain(&hostname()));
    let file = plain(&info.file.display().to_string());
    x.start(
        "testsuite",
        &[
            ("name", &name),
            ("tests", &tests),
            ("skipped", &skipped),
            ("errors", &errors),
            ("failures", &failures),
            ("time", &time),
            ("timestamp", &started),
            ("hostname", &host),
            ("file", &file),
        ],
    )?;
    x.start("properties", &[])?;
    let mut properties = vec![("environment", clean(&info.environment, r))];
    properties.extend(info.base_url.as_ref().map(|u| ("base_url", clean(u, r))));
    properties.extend(info.commit.as_ref().map(|c| ("commit", clean(c, r))));
    for (n, v) in &properties {
        x.empty("property", &[("name", n), ("value", v)])?;
    }
    x.end("properties")?;
    // Masked like every other text: an environment name can come from a secret.
    let classname = clean(&format!("{}.{}", info.environment.replace('.', "_"), info.name.replace('.', "_")), r);
    for case in &s.cases {
        write_case(x, case, &classname, &file, r)?;
    }
    if !s.setup_retried.is_empty() {
        let lines: String = s.setup_retried.iter().map(|x| format!("setup retried: {x}\n")).collect();
        x.element("system-out", &clean(&lines, r))?;
    }
    x.end("testsuite")
}

fn write_case<W: Write>(
    x: &mut Xml<W>,
    c: &CaseResult,
    classname: &str,
    file: &str,
    r: &Redactor,
) -> std::io::Result<()> {
    let (name, time, line) = (plain(&c.name), seconds(c.duration), c.line.map(|l| l.to_string()));
    let mut attrs = vec![("name", name.as_str()), ("classname", classname), ("time", &time), ("file", file)];
    attrs.extend(line.as_deref().map(|l| ("line", l)));
    let mut out = String::new();
    for a in &c.attachments {
        out.push_str(&format!("[[ATTACHMENT|{}]]\n", a.display()));
    }
    for s in &c.retried_steps {
        out.push_str(&format!("retried: {s}\n"));
    }
    out.push_str(&head_and_tail(&c.log, MAX_LOG));
    let out = (!out.trim().is_empty()).then(|| clean(&out, r));
    let has_status = match c.status {
        Status::Passed => false,
        Status::Flaky => !c.earlier_attempts.is_empty(),
        Status::Skipped | Status::Failed | Status::Errored => true,
    };
    if out.is_none() && !has_status {
        return x.empty("testcase", &attrs);
    }
    x.start("testcase", &attrs)?;
    match c.status {
        Status::Passed => {}
        Status::Flaky => {
            for p in &c.earlier_attempts {
                write_rerun(x, p, true, r)?;
            }
        }
        Status::Skipped => match &c.problem {
            Some(p) => x.empty("skipped", &[("message", &message(&details::headline(p, r), r))])?,
            None => x.empty("skipped", &[])?,
        },
        Status::Failed | Status::Errored => {
            let tag = if c.status == Status::Failed { "failure" } else { "error" };
            match &c.problem {
                Some(p) => {
                    let msg = message(&details::headline(p, r), r);
                    x.start(tag, &[("message", &msg), ("type", p.type_.as_str())])?;
                    x.text(&body(&msg, p, r))?;
                    x.end(tag)?;
                }
                None => x.empty(tag, &[])?,
            }
            for p in &c.earlier_attempts {
                write_rerun(x, p, false, r)?;
            }
        }
    }
    if let Some(out) = out {
        x.element("system-out", &out)?;
    }
    x.end("testcase")
}

/// An earlier attempt: `flakyFailure`/`flakyError` of a flaky pass, `rerunFailure`/`rerunError`
/// of a check that failed every attempt.
fn write_rerun<W: Write>(x: &mut Xml<W>, p: &Problem, flaky: bool, r: &Redactor) -> std::io::Result<()> {
    let tag = match (flaky, p.kind) {
        (true, ProblemKind::Failure) => "flakyFailure",
        (true, ProblemKind::Error) => "flakyError",
        (false, ProblemKind::Failure) => "rerunFailure",
        (false, ProblemKind::Error) => "rerunError",
    };
    let msg = message(&details::headline(p, r), r);
    x.start(tag, &[("message", &msg), ("type", p.type_.as_str())])?;
    x.element("stackTrace", &body(&msg, p, r))?;
    x.end(tag)
}

/// The message as the first line of the body, then the details.
fn body(message: &str, p: &Problem, r: &Redactor) -> String {
    let d = clean(&head_and_tail(&details::details(p, r), MAX_DETAILS), r);
    if d.is_empty() { message.to_string() } else { format!("{message}\n\n{d}") }
}

/// One line, at most 1,000 characters, redacted and clean.
fn message(m: &str, r: &Redactor) -> String {
    let one_line =
        clean(m, r).split(['\n', '\r']).map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= MAX_MESSAGE {
        one_line
    } else {
        let cut: String = one_line.chars().take(MAX_MESSAGE - 1).collect();
        format!("{cut}…")
    }
}

/// Redacts, strips ANSI escapes, and removes what XML 1.0 cannot hold (quick-junit keeps
/// U+FFFE and U+FFFF).
pub fn clean(s: &str, r: &Redactor) -> String {
    plain(&r.redact(s))
}

/// Strips ANSI escapes, every control character but `\n` (tabs and carriage returns too, as
/// quick-junit did), and what XML 1.0 cannot hold, without masking: for the names the author
/// wrote (suite, check, file), which the loader refuses to let carry a secret, so masking could
/// only rewrite them.
pub fn plain(s: &str) -> String {
    // Every ANSI escape starts with a control character, and everything else this removes is
    // one, or U+FFFE or U+FFFF: text without them (nearly all) is kept as it is.
    if !s.chars().any(|c| (c.is_control() && c != '\n') || matches!(c, '\u{fffe}' | '\u{ffff}')) {
        return s.to_string();
    }
    let stripped = strip_ansi(s);
    stripped.chars().filter(|&c| c == '\n' || !(c.is_control() || matches!(c, '\u{fffe}' | '\u{ffff}'))).collect()
}

/// Removes ANSI escape sequences.
pub fn strip_ansi(s: &str) -> String {
    anstream::adapter::strip_str(s).to_string()
}

/// Keeps the head and tail of a long text, with a marker where the middle was cut.
pub fn head_and_tail(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let half = max / 2;
    let mut head_end = half;
    while !s.is_char_boundary(head_end) {
        head_end -= 1;
    }
    let mut tail_start = s.len() - half;
    while !s.is_char_boundary(tail_start) {
        tail_start += 1;
    }
    format!("{}\n[… {} bytes cut …]\n{}", &s[..head_end], tail_start - head_end, &s[tail_start..])
}

fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok().map(|h| h.trim().to_string()))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

#[cfg(test)]
#[path = "junit_reference.rs"]
mod reference;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_strips_ansi_controls_and_secrets() {
        let r = Redactor::new();
        r.add("hunter2-smoke");
        let s = clean("\u{1b}[31mred\u{1b}[0m \u{1}x\u{fffe} pw=hunter2-smoke ]]> <&>", &r);
        assert_eq!(s, "red x pw=*** ]]> <&>");
    }

    #[test]
    fn text_without_control_characters_is_kept_as_stripping_would_keep_it() {
        let slow = |s: &str| -> String {
            strip_ansi(s)
                .chars()
                .filter(|&c| c == '\n' || !(c.is_control() || matches!(c, '\u{fffe}' | '\u{ffff}')))
                .collect()
        };
        let samples = [
            "→ GET http://127.0.0.1:8080/data.json\n← 200 OK (3ms, 102 bytes)\n  ✓ status\n  ✗ json $.a\n",
            "tabs\tand\r\nwindows lines",
            "Größe › Grüße « » ‹ › “quoted” — ‚a‘ € ¢ £ ¥ 中文 日本語 한국어 🙂 👍🏽",
            "brackets [31m and ^[ and \\x1b and \\u001b written out",
            "\u{a0}no-break space, \u{2028}line separator, \u{feff}bom, \u{fffd}replacement",
            "",
        ];
        for s in samples {
            assert_eq!(plain(s), slow(s), "{s:?}");
        }
        for s in ["\u{1b}[1mbold\u{1b}[0m", "c1 \u{9b}31mcsi", "del\u{7f}", "bell\u{7}", "x\u{fffe}y"] {
            assert_eq!(plain(s), slow(s), "{s:?}");
        }
    }

    #[test]
    fn messages_are_one_bounded_line() {
        let r = Redactor::new();
        assert_eq!(message("a\nb\r\n c", &r), "a b c");
        assert_eq!(message(&"x".repeat(5000), &r).chars().count(), MAX_MESSAGE);
    }

    #[test]
    fn long_logs_keep_head_and_tail() {
        let s = format!("HEAD{}TAIL", "m".repeat(100_000));
        let t = head_and_tail(&s, 1000);
        assert!(t.starts_with("HEAD") && t.ends_with("TAIL") && t.len() < 1100, "{}", t.len());
    }
}
