//! The JUnit report as quick-junit renders it, for the test that the writer in `junit_xml`
//! gives the same bytes (test builds only).

use super::*;
use quick_junit::{FlakyOrRerun, NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestRerun, TestSuite};

/// Renders the whole run as JUnit XML.
pub(super) fn render(run: &Gathered, name: &str, redactor: &Redactor) -> Result<String, ReportError> {
    let mut report = Report::new(name);
    if let Some(summary) = &run.summary {
        report.set_time(summary.duration);
        let started: chrono::DateTime<chrono::Utc> = summary.started.into();
        report.set_timestamp(started.fixed_offset());
    }
    for suite in &run.suites {
        report.add_test_suite(suite_xml(suite, redactor));
    }
    report.to_string().map_err(|e| ReportError::Serialise { what: "JUnit", message: e.to_string() })
}

fn suite_xml(s: &SuiteResult, r: &Redactor) -> TestSuite {
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
    let file = plain(&info.file.display().to_string());
    for case in &s.cases {
        ts.add_test_case(case_xml(case, &classname, &file, r));
    }
    ts
}

fn case_xml(c: &CaseResult, classname: &str, file: &str, r: &Redactor) -> TestCase {
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
    tc.set_classname(classname.to_string());
    tc.set_time(c.duration);
    tc.extra.insert("file".into(), file.into());
    if let Some(line) = c.line {
        tc.extra.insert("line".into(), line.to_string().into());
    }
    let mut out = String::new();
    for a in &c.attachments {
        out.push_str(&format!("[[ATTACHMENT|{}]]\n", a.display()));
    }
    for s in &c.retried_steps {
        out.push_str(&format!("retried: {s}\n"));
    }
    out.push_str(&head_and_tail(&c.log, MAX_LOG));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::SuiteInfo;
    use crate::result::{CaseKind, Finding, ProblemType, ResponseExcerpt, RunSummary, StepRef, StepRetried};
    use std::sync::Arc;
    use std::time::{Duration, SystemTime};

    /// Texts a report must survive: escapes, controls, C1 characters, XML's own characters,
    /// characters XML cannot hold, long lines, and a secret.
    const NASTY: &[&str] = &[
        "plain words",
        "\u{1b}[31mred\u{1b}[0m and \u{1b}]8;;http://x\u{7}link\u{1b}]8;;\u{7}",
        "c1 \u{9b}31m csi, \u{85} nel, \u{80}..\u{9f}, del \u{7f}, bell \u{7}, nul \u{0}",
        "<tag attr=\"v\" other='w'> & ]]> &amp;",
        "not xml \u{fffe} \u{ffff} \u{b} \u{c} \u{1f}",
        "Größe › ✓ ✗ → ← 🙂 \t tab \r\n crlf",
        "secret hunter2-smoke in text",
        "",
    ];

    fn problem(i: usize, kind_error: bool) -> Problem {
        let text = NASTY[i % NASTY.len()];
        let mut p = if kind_error {
            Problem::error(ProblemType::Connection, format!("cannot connect: {text}"))
        } else {
            Problem::findings(vec![Finding {
                line: 7,
                col: 9,
                subject: format!("json $.a {text}"),
                expected: format!("\"{text}\""),
                actual: text.to_string(),
            }])
        };
        p.step = Some(StepRef {
            label: format!("step 1 ({text})"),
            file: "s.yaml".into(),
            line: 7,
            col: 9,
            browser: i.is_multiple_of(2),
        });
        p.request = Some(format!("GET http://127.0.0.1/x?q={text}"));
        p.page = i.is_multiple_of(3).then(|| format!("http://127.0.0.1/{text}"));
        p.response = Some(ResponseExcerpt {
            status: 500,
            reason: "Oops".into(),
            bytes: 12,
            body: text.repeat(3),
            cut: !i.is_multiple_of(2),
        });
        p.notes = vec![format!("note {text}")];
        p
    }

    fn case(i: usize, status: Status) -> CaseResult {
        let text = NASTY[i % NASTY.len()];
        let mut c =
            CaseResult::new(format!("case {i} {text}"), CaseKind::Check, (!i.is_multiple_of(4)).then_some(i as u32));
        c.duration = Duration::from_micros(1_234_567 * i as u64);
        c.log = format!("→ GET /x {text}\n  ✓ status\n{}", if i == 3 { "m".repeat(70_000) } else { String::new() });
        if !i.is_multiple_of(3) {
            c.attachments = vec![format!("art/{text}/failure.png").into()];
            c.retried_steps = vec![StepRetried {
                step: format!("step 2 {text}"),
                line: 3,
                attempts: 2,
                waited: Duration::from_millis(1500),
            }];
        }
        c.status = status;
        match status {
            Status::Passed => {}
            Status::Flaky => c.earlier_attempts = (0..i % 3).map(|k| problem(i + k, k.is_multiple_of(2))).collect(),
            Status::Skipped => c.problem = i.is_multiple_of(2).then(|| problem(i, true)),
            Status::Failed | Status::Errored => {
                c.problem = (i % 5 != 4).then(|| problem(i, status == Status::Errored));
                c.earlier_attempts = (0..i % 3).map(|k| problem(i + k, !k.is_multiple_of(2))).collect();
            }
        }
        c
    }

    fn run(summary: bool) -> Gathered {
        let statuses = [Status::Passed, Status::Flaky, Status::Skipped, Status::Failed, Status::Errored];
        let suites = (0..4)
            .map(|s| SuiteResult {
                info: Arc::new(SuiteInfo {
                    index: s,
                    name: format!("suite {s} {}", NASTY[s]),
                    file: format!("suites/{}.yaml", NASTY[s + 1]).into(),
                    environment: format!("env.{}", NASTY[s + 2]),
                    base_url: s.is_multiple_of(2).then(|| format!("http://{}", NASTY[s + 3])),
                    commit: s.is_multiple_of(3).then(|| "c0ffee1".to_string()),
                    started: SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_123),
                }),
                duration: Duration::from_millis(2_500 * s as u64),
                cases: (0..(if s == 3 { 0 } else { 12 })).map(|i| case(i + s, statuses[(i + s) % 5])).collect(),
                setup_retried: (s == 1)
                    .then(|| StepRetried {
                        step: "step 1 \u{1b}[1mx".into(),
                        line: 2,
                        attempts: 3,
                        waited: Duration::from_secs(4),
                    })
                    .into_iter()
                    .collect(),
            })
            .collect();
        let summary = summary.then(|| RunSummary {
            started: SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_123),
            duration: Duration::from_millis(12_345),
            suites: 4,
            totals: Default::default(),
            interrupted: None,
        });
        Gathered { suites, summary }
    }

    #[test]
    fn the_writer_gives_the_bytes_quick_junit_gives() {
        let r = Redactor::new();
        r.add("hunter2-smoke");
        for summary in [true, false] {
            let g = run(summary);
            for name in ["shakedown", "shakedown (shard 2/3)", "x \u{1b}[1m<&>\u{9b}"] {
                let ours = super::super::render(&g, name, &r).expect("ours");
                let theirs = render(&g, name, &r).expect("quick-junit's");
                if ours != theirs {
                    let at = ours.bytes().zip(theirs.bytes()).position(|(a, b)| a != b).unwrap_or(0);
                    let lo = at.saturating_sub(200);
                    let near =
                        |t: &str| String::from_utf8_lossy(&t.as_bytes()[lo..(at + 200).min(t.len())]).into_owned();
                    panic!("differ at byte {at}:\nours:   {:?}\ntheirs: {:?}", near(&ours), near(&theirs));
                }
            }
        }
        let empty = Gathered::default();
        assert_eq!(super::super::render(&empty, "shakedown", &r).ok(), render(&empty, "shakedown", &r).ok());
    }
}
