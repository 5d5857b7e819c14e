//! The JUnit XML report: one flat `<testsuite>` per suite file, one `<testcase>` per check,
//! failures apart from errors, flaky runs and reruns, attachments (the rules are in the
//! README). Written with `quick-junit` (which escapes text and strips ANSI and control
//! characters) behind a small layer that also drops U+FFFE/U+FFFF and bounds sizes.

use super::ReportError;
use super::Reporter;
use super::details;
use super::gather::{Gathered, SuiteResult};
use crate::event::Event;
use crate::redact::Redactor;
use crate::result::{CaseResult, Problem, ProblemKind, Status};
use quick_junit::{
    FlakyOrRerun, NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestRerun, TestSuite, XmlString,
};
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
        // Written straight to the file: the XML of 10,000 checks is never one string in memory,
        // and each testcase is made as it is written (see `write`).
        let written = super::write::write_report_with(&self.path, |w| {
            write(&self.gathered, &self.name, &self.redactor, w).map_err(|e| {
                // The cause (a full disk, say), not quick-junit's "error serializing".
                let why = std::error::Error::source(&e).map_or_else(|| e.to_string(), |s| s.to_string());
                std::io::Error::other(why)
            })
        });
        written.map_err(|source| ReportError::Write { what: "JUnit", path: self.path.clone(), source })
    }
}

/// Writes the whole run as JUnit XML, making each testcase only as it is written (quick-junit patched, `vendor/quick-junit`): the testcases of 10,000 checks,
/// all made before the first is written, were 6 MB of fresh memory at the end of a run.
fn write(
    run: &Gathered,
    name: &str,
    redactor: &Redactor,
    w: impl std::io::Write,
) -> Result<(), quick_junit::SerializeError> {
    let mut report = report_head(run, name);
    let mut shared = Vec::with_capacity(run.suites.len());
    for suite in &run.suites {
        let (mut ts, same) = suite_head(suite, redactor);
        // The counts quick-junit's `add_test_case` would make of the testcases to come.
        ts.tests = suite.cases.len();
        ts.failures = suite.count(Status::Failed);
        ts.errors = suite.count(Status::Errored);
        ts.skipped = suite.count(Status::Skipped);
        report.add_test_suite(ts);
        shared.push(same);
    }
    report.serialize_streaming(
        |i| {
            let same = &shared[i];
            run.suites[i].cases.iter().map(move |c| case_xml(c, same, redactor))
        },
        w,
    )
}

/// The report without its suites.
fn report_head(run: &Gathered, name: &str) -> Report {
    let mut report = Report::new(name);
    if let Some(summary) = &run.summary {
        report.set_time(summary.duration);
        let started: chrono::DateTime<chrono::Utc> = summary.started.into();
        report.set_timestamp(started.fixed_offset());
    }
    report
}

/// A suite without its testcases, and what its testcases share.
fn suite_head(s: &SuiteResult, r: &Redactor) -> (TestSuite, Shared) {
    let info = &s.info;
    let mut ts = TestSuite::new(plain(&info.name));
    ts.set_time(s.duration);
    ts.extra.insert("timestamp".into(), crate::result::iso_time(info.started).into());
    ts.extra.insert("hostname".into(), hostname().into());
    ts.extra.insert("file".into(), plain(&info.file.display().to_string()).into());
    ts.add_property(Property::new("environment", clean(&info.environment, r)));
    if let Some(url) = &info.base_url {
        ts.add_property(Property::new("base_url", clean(url, r)));
    }
    if let Some(c) = &info.commit {
        ts.add_property(Property::new("commit", clean(c, r)));
    }
    // Masked like every other text: an environment name can come from a secret.
    let classname = clean(&format!("{}.{}", info.environment.replace('.', "_"), info.name.replace('.', "_")), r);
    if !s.setup_retried.is_empty() {
        let lines: String = s.setup_retried.iter().map(|x| format!("setup retried: {x}\n")).collect();
        ts.set_system_out(clean(&lines, r));
    }
    // What every case of the suite carries, made once: quick-junit scans each string it is given
    // for ANSI escapes, and a copy of a made one is not scanned again.
    let same = Shared {
        classname: XmlString::new(classname),
        file_key: XmlString::new("file"),
        file: XmlString::new(plain(&info.file.display().to_string())),
        line_key: XmlString::new("line"),
    };
    (ts, same)
}

/// The attributes the cases of one suite share.
struct Shared {
    classname: XmlString,
    file_key: XmlString,
    file: XmlString,
    line_key: XmlString,
}

fn case_xml(c: &CaseResult, same: &Shared, r: &Redactor) -> TestCase {
    let status = match c.status {
        Status::Passed => TestCaseStatus::success(),
        Status::Flaky => {
            let mut st = TestCaseStatus::success();
            st.add_reruns(c.earlier_attempts.iter().map(|p| rerun(p, r)));
            st
        }
        Status::Skipped => {
            let mut st = TestCaseStatus::skipped();
            if let Some(p) = &c.problem {
                st.set_message(message(&details::headline(p, r), r));
            }
            st
        }
        Status::Failed | Status::Errored => {
            let kind = if c.status == Status::Failed { NonSuccessKind::Failure } else { NonSuccessKind::Error };
            let mut st = TestCaseStatus::non_success(kind);
            if let Some(p) = &c.problem {
                let msg = message(&details::headline(p, r), r);
                st.set_message(msg.clone());
                st.set_type(p.type_.as_str());
                st.set_description(body(&msg, p, r));
            }
            st.add_reruns(c.earlier_attempts.iter().map(|p| rerun(p, r)));
            st.set_rerun_kind(FlakyOrRerun::Rerun);
            st
        }
    };
    let mut tc = TestCase::new(plain(&c.name), status);
    tc.set_classname(same.classname.clone());
    tc.set_time(c.duration);
    tc.extra.insert(same.file_key.clone(), same.file.clone());
    if let Some(line) = c.line {
        tc.extra.insert(same.line_key.clone(), line.to_string().into());
    }
    // Most cases have only a short log: it is masked and cleaned without copies first.
    let out = if c.attachments.is_empty() && c.retried_steps.is_empty() && c.log.len() <= MAX_LOG {
        std::borrow::Cow::Borrowed(c.log.as_str())
    } else {
        let mut out = String::new();
        for a in &c.attachments {
            out.push_str(&format!("[[ATTACHMENT|{}]]\n", a.display()));
        }
        for s in &c.retried_steps {
            out.push_str(&format!("retried: {s}\n"));
        }
        out.push_str(&head_and_tail(&c.log, MAX_LOG));
        std::borrow::Cow::Owned(out)
    };
    if !out.trim().is_empty() {
        tc.set_system_out(clean(&out, r));
    }
    tc
}

fn rerun(p: &Problem, r: &Redactor) -> TestRerun {
    let kind = match p.kind {
        ProblemKind::Failure => NonSuccessKind::Failure,
        ProblemKind::Error => NonSuccessKind::Error,
    };
    let mut rr = TestRerun::new(kind);
    let msg = message(&details::headline(p, r), r);
    rr.set_message(msg.clone());
    rr.set_type(p.type_.as_str());
    rr.set_stack_trace(body(&msg, p, r));
    rr
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
    plain_owned(r.redact(s))
}

/// Strips ANSI escapes and what XML 1.0 cannot hold, without masking: for the names the author
/// wrote (suite, check, file), which the loader refuses to let carry a secret, so masking could
/// only rewrite them.
pub fn plain(s: &str) -> String {
    plain_owned(s.to_string())
}

/// [`plain`], keeping the string it is given when there is nothing to take out.
fn plain_owned(s: String) -> String {
    // Every ANSI escape starts with a control character, and so does everything else this
    // removes but U+FFFE and U+FFFF: text without them (nearly all) is kept as it is.
    if !has_removable(&s) {
        return s;
    }
    let stripped = strip_ansi(&s);
    stripped
        .chars()
        .filter(|&c| !matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}'))
        .collect()
}

/// Whether `s` holds a control character other than tab and line ends (U+0000 to U+001F, U+007F
/// to U+009F), U+FFFE or U+FFFF. Read as bytes, as it is asked of every text of the report: in
/// UTF-8, U+0080 to U+009F are 0xC2 0x80..=0x9F, and U+FFFE and U+FFFF are 0xEF 0xBF 0xBE/0xBF.
fn has_removable(s: &str) -> bool {
    let b = s.as_bytes();
    // A pass without branches first (it is vectorised): in nearly all text no byte could start
    // such a character, and the exact test below never runs.
    let suspect =
        |c: u8| ((c < 0x20) & (c != b'\t') & (c != b'\n') & (c != b'\r')) | (c == 0x7f) | (c == 0xc2) | (c == 0xef);
    if !b.iter().fold(false, |found, &c| found | suspect(c)) {
        return false;
    }
    b.iter().enumerate().any(|(i, &c)| match c {
        b'\t' | b'\n' | b'\r' => false,
        0..0x20 | 0x7f => true,
        0xc2 => b.get(i + 1).is_some_and(|&n| n <= 0x9f),
        0xef => b.get(i + 1) == Some(&0xbf) && b.get(i + 2).is_some_and(|&n| n >= 0xbe),
        _ => false,
    })
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

/// The machine's name, looked up once per run (every suite carries it).
fn hostname() -> String {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| {
        std::env::var("HOSTNAME")
            .ok()
            .filter(|h| !h.is_empty())
            .or_else(|| std::fs::read_to_string("/etc/hostname").ok().map(|h| h.trim().to_string()))
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".into())
    })
    .clone()
}

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
                .filter(|&c| {
                    !matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
                })
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
    fn removable_characters_are_found_in_the_bytes() {
        let by_char = |s: &str| {
            s.chars()
                .any(|c| (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{fffe}' | '\u{ffff}'))
        };
        let chars = (0..0x800u32).chain(0xfe00..=0xffff).chain([0x1f642, 0x10ffff]).filter_map(char::from_u32);
        let mut found = 0;
        for c in chars {
            for s in [c.to_string(), format!("a{c}"), format!("{c}→"), format!("é{c}\u{fffd}")] {
                assert_eq!(has_removable(&s), by_char(&s), "{s:?}");
                found += usize::from(has_removable(&s));
            }
        }
        assert_eq!(found, 4 * (32 - 3 + 33 + 2));
    }

    /// The whole report made first, as quick-junit serializes it unpatched: the reference
    /// for what `write` streams.
    fn render(run: &Gathered, name: &str, redactor: &Redactor) -> String {
        let mut report = report_head(run, name);
        for suite in &run.suites {
            let (mut ts, same) = suite_head(suite, redactor);
            for case in &suite.cases {
                ts.add_test_case(case_xml(case, &same, redactor));
            }
            report.add_test_suite(ts);
        }
        report.to_string().unwrap()
    }

    /// The report as written (each testcase made as it is written, quick-junit patched) is
    /// byte for byte the report quick-junit gives when every testcase is made first.
    #[test]
    fn the_streamed_report_is_the_report() {
        use crate::result::{CaseKind, ProblemType, StepRetried};
        use std::sync::Arc;
        use std::time::{Duration, SystemTime};
        let r = Redactor::new();
        r.add("hunter2-smoke");
        let info = |index: usize, name: &str| {
            Arc::new(crate::event::SuiteInfo {
                index,
                name: name.into(),
                file: format!("suites/{name}.yaml").into(),
                environment: "staging".into(),
                base_url: Some("https://example.test/?k=hunter2-smoke".into()),
                commit: Some("abc123".into()),
                started: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            })
        };
        let retried = StepRetried { step: "step 1".into(), line: 4, attempts: 3, waited: Duration::from_millis(900) };
        let mut passed = CaseResult::new("passes", CaseKind::Check, Some(3));
        passed.log = "→ GET /\n← 200 OK\n  ✓ status\n".into();
        let mut flaky = CaseResult::new("flaky \u{1b}[31mred", CaseKind::Check, Some(9));
        flaky.status = Status::Flaky;
        flaky.earlier_attempts = vec![Problem::failure(ProblemType::Assertion, "expected 200, got 500")];
        flaky.retried_steps = vec![retried.clone()];
        let failed = CaseResult::new("fails", CaseKind::Check, Some(12))
            .with_problem(Problem::failure(ProblemType::Assertion, "body: expected hunter2-smoke"));
        let mut errored = CaseResult::new("errs", CaseKind::Check, None)
            .with_problem(Problem::error(ProblemType::Connection, "connection refused"));
        errored.attachments = vec!["art/errs/body.html".into()];
        errored.earlier_attempts = vec![Problem::error(ProblemType::Timeout, "timed out")];
        let skipped = CaseResult::skipped("skipped", Some(20), "not run: setup failed");
        let setup = CaseResult::new("[setup]", CaseKind::Setup, None)
            .with_problem(Problem::error(ProblemType::Config, "bad \u{0}setup"));
        let case = |c: CaseResult| Arc::new(c);
        let suite = |index, name, cases: Vec<Arc<CaseResult>>, setup_retried| SuiteResult {
            info: info(index, name),
            duration: Duration::from_millis(1234),
            cases,
            setup_retried,
        };
        let run = Gathered {
            suites: vec![
                suite(0, "mixed", [passed, flaky, failed, errored, skipped].map(case).to_vec(), vec![retried]),
                suite(1, "empty", Vec::new(), Vec::new()),
                suite(2, "setup", vec![case(setup)], Vec::new()),
            ],
            summary: None,
        };
        let mut streamed = Vec::new();
        write(&run, "shakedown", &r, &mut streamed).unwrap();
        let streamed = String::from_utf8(streamed).unwrap();
        assert_eq!(streamed, render(&run, "shakedown", &r));
        for word in
            ["tests=\"5\"", "failures=\"1\"", "errors=\"2\"", "skipped=\"1\"", "<flakyFailure", "<rerunError", "***"]
        {
            assert!(streamed.contains(word), "{word}: {streamed}");
        }
        assert!(!streamed.contains("hunter2-smoke"), "{streamed}");
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

    /// The patched strip-ansi-escapes (vendor/, which quick-junit strips every string with)
    /// returns text without control characters as it is: it must give what the escape parser
    /// gives, on such text and on text just beside it.
    #[test]
    fn the_patched_strip_gives_what_the_escape_parser_gives() {
        use std::io::Write;
        let parser = |b: &[u8]| -> Vec<u8> {
            let mut w = strip_ansi_escapes::Writer::new(Vec::new());
            w.write_all(b).unwrap();
            w.into_inner().unwrap()
        };
        let pieces: [&[u8]; 16] = [
            b"plain",
            b"\n",
            b"\t",
            b"\r",
            b"\x1b[31m",
            b"\x1b",
            b"\x7f",
            b"\x00",
            "\u{85}".as_bytes(),
            "\u{9b}".as_bytes(),
            "\u{a0}".as_bytes(),
            "\u{c2}\u{9f}".as_bytes(),
            "→ ✓ 中文 🙂".as_bytes(),
            b"\xc2",
            b"\xff",
            b"]]> <&>",
        ];
        let mut fast = 0;
        // Every sequence of up to three pieces.
        let mut cases: Vec<Vec<u8>> = vec![Vec::new()];
        for a in pieces {
            cases.push(a.to_vec());
            for b in pieces {
                cases.push([a, b].concat());
                for c in pieces {
                    cases.push([a, b, c].concat());
                }
            }
        }
        for case in &cases {
            let got = strip_ansi_escapes::strip(case);
            assert_eq!(got, parser(case), "{:?}", String::from_utf8_lossy(case));
            fast += usize::from(got == *case);
        }
        // Text that holds no control character is common here, so the fast path is exercised.
        assert!(fast > 100, "{fast} of {} cases came back unchanged", cases.len());
        assert_eq!(strip_ansi_escapes::strip("a\x1b[1mb\tc\u{85}d\n"), b"abcd\n");
    }
    /// The patched quick-junit (vendor/) keeps text with nothing to remove as it is, without
    /// stripping and filtering it: it must give what the published code gives, on such text and
    /// on text just beside it.
    #[test]
    fn the_patched_xml_string_gives_what_quick_junit_gives() {
        let published = |s: &str| -> String {
            strip_ansi_escapes::strip_str(s)
                .replace(|c| matches!(c, '\x00'..='\x08' | '\x0b' | '\x0c' | '\x0e'..='\x1f'), "")
        };
        let pieces = [
            "plain",
            "\n",
            "\t",
            "\r",
            "\x1b[31m",
            "\x1b",
            "\x7f",
            "\x00",
            "\x08",
            "\x0b",
            "\x1f",
            "\u{80}",
            "\u{85}",
            "\u{9b}",
            "\u{9f}",
            "\u{a0}",
            "\u{fffe}",
            "→ ✓ 中文 🙂",
            "]]> <&>",
        ];
        let mut cases = vec![String::new()];
        for a in pieces {
            cases.push(a.to_string());
            for b in pieces {
                cases.push(format!("{a}{b}"));
                for c in pieces {
                    cases.push(format!("{a}{b}{c}"));
                }
            }
        }
        let mut kept = 0;
        for case in &cases {
            let got = XmlString::new(case);
            assert_eq!(got.as_str(), published(case), "{case:?}");
            kept += usize::from(got.as_str() == case);
        }
        // Both paths are taken: text kept as it is, and text with something removed.
        assert!(kept > 300 && kept < cases.len() - 1000, "{kept} of {} cases came back unchanged", cases.len());
    }
}
