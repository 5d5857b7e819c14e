//! Reading a JUnit report: a small XML tree, the JUnit rules (README, "JUnit XML") that the
//! XML itself can show, and the external consumers pipelines use.

use super::run::{Totals, repo};
use serde_json::Value;
use std::collections::HashSet;
use std::path::Path;
use std::process::Command;

/// The JUnit rules (README, "JUnit XML") that the XML itself can show.
pub fn check_junit_rules(root: &Xml, text: &str) {
    let fail = |why: String| -> ! { panic!("the JUnit report breaks the JUnit rules: {why}\n{text}") };
    if text.contains('\u{1b}') {
        fail("it contains an ESC character".into());
    }
    if text.contains("<![CDATA[") {
        fail("it uses CDATA".into());
    }
    if root.name != "testsuites" {
        fail(format!("the root is <{}>", root.name));
    }
    for a in ["name", "tests", "failures", "errors", "skipped", "time", "timestamp"] {
        if root.attr(a).is_none() {
            fail(format!("<testsuites> has no `{a}`"));
        }
    }
    let seconds = regex::Regex::new(r"^\d+\.\d{3}$").expect("regex");
    for x in std::iter::once(root).chain(root.descendants("testsuite")).chain(root.descendants("testcase")) {
        let t = x.attr("time").unwrap_or_else(|| fail(format!("a <{}> has no time", x.name)));
        if !seconds.is_match(t) {
            fail(format!("time `{t}` is not seconds with three decimals"));
        }
    }
    let num = |x: &Xml, a: &str| -> u64 {
        x.attr(a)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| fail(format!("<{}> `{a}` is not a count: {:?}", x.name, x.attr(a))))
    };
    let mut sums = [0u64; 4];
    let mut seen = HashSet::new();
    for suite in root.children.iter().filter(|c| c.name == "testsuite") {
        for a in ["name", "tests", "failures", "errors", "skipped", "time", "timestamp", "hostname", "file"] {
            if suite.attr(a).is_none() {
                fail(format!("a <testsuite> has no `{a}`"));
            }
        }
        if !suite.attr("timestamp").unwrap_or("").ends_with('Z') {
            fail("a suite timestamp is not UTC (`…Z`)".into());
        }
        if suite.children.iter().any(|c| c.name == "testsuite") {
            fail("suites are nested".into());
        }
        let cases: Vec<&Xml> = suite.children.iter().filter(|c| c.name == "testcase").collect();
        if cases.is_empty() {
            fail(format!("suite `{}` has no testcase", suite.attr("name").unwrap_or("")));
        }
        let count = |el: &str| cases.iter().filter(|c| c.children.iter().any(|o| o.name == el)).count() as u64;
        let counted = [cases.len() as u64, count("failure"), count("error"), count("skipped")];
        let stated = [num(suite, "tests"), num(suite, "failures"), num(suite, "errors"), num(suite, "skipped")];
        if counted != stated {
            fail(format!(
                "suite `{}` states tests/failures/errors/skipped {stated:?} but holds {counted:?}",
                suite.attr("name").unwrap_or("")
            ));
        }
        for (s, c) in sums.iter_mut().zip(stated) {
            *s += c;
        }
        for case in cases {
            let name = case.attr("name").unwrap_or_else(|| fail("a testcase has no name".into()));
            let classname = case.attr("classname").unwrap_or_else(|| fail(format!("`{name}` has no classname")));
            if classname.matches('.').count() != 1 {
                fail(format!("classname `{classname}` does not have exactly one dot"));
            }
            if !seen.insert((classname.to_string(), name.to_string())) {
                fail(format!("two testcases are `{classname}` `{name}`"));
            }
            for a in ["time", "file"] {
                if case.attr(a).is_none() {
                    fail(format!("`{name}` has no `{a}`"));
                }
            }
            if !name.starts_with('[') && case.attr("line").is_none() {
                fail(format!("the check `{name}` has no `line`"));
            }
            let outcomes: Vec<&Xml> =
                case.children.iter().filter(|c| matches!(c.name.as_str(), "failure" | "error" | "skipped")).collect();
            if outcomes.len() > 1 {
                fail(format!("`{name}` has {} outcome elements", outcomes.len()));
            }
            let reruns = case
                .children
                .iter()
                .filter(|c| matches!(c.name.as_str(), "flakyFailure" | "flakyError" | "rerunFailure" | "rerunError"));
            for o in outcomes.iter().copied().filter(|o| o.name != "skipped").chain(reruns) {
                let message =
                    o.attr("message").unwrap_or_else(|| fail(format!("`{name}`: <{}> has no message", o.name)));
                if o.attr("type").is_none_or(str::is_empty) {
                    fail(format!("`{name}`: <{}> has no type", o.name));
                }
                if message.contains('\n') || message.chars().count() > 1000 || message.is_empty() {
                    fail(format!("`{name}`: the message is not one line of at most 1,000 characters"));
                }
                let body = if o.name.starts_with("flaky") || o.name.starts_with("rerun") {
                    o.children
                        .iter()
                        .find(|c| c.name == "stackTrace")
                        .map(|s| s.text.as_str())
                        .unwrap_or_else(|| fail(format!("`{name}`: <{}> has no stackTrace", o.name)))
                } else {
                    o.text.as_str()
                };
                if body.lines().next() != Some(message) {
                    fail(format!("`{name}`: the body of <{}> does not open with its message", o.name));
                }
                if body.lines().nth(1) == Some(message) {
                    fail(format!("`{name}`: the body repeats the message"));
                }
            }
        }
    }
    let root_stated = [num(root, "tests"), num(root, "failures"), num(root, "errors"), num(root, "skipped")];
    if root_stated != sums {
        fail(format!("<testsuites> states {root_stated:?}, its suites add up to {sums:?}"));
    }
}

/// The JSON report tells the same story as the JUnit: the same totals and the same cases.
pub fn check_json_against_junit(json: &Value, junit: &Xml) {
    assert_eq!(json["schema_version"], 1, "JSON schema_version");
    let t = &json["totals"];
    let n = |a: &str| junit.attr(a).and_then(|v| v.parse::<u64>().ok()).unwrap_or(u64::MAX);
    assert_eq!(t["tests"].as_u64(), Some(n("tests")), "JSON totals.tests vs JUnit");
    assert_eq!(t["failed"].as_u64(), Some(n("failures")), "JSON totals.failed vs JUnit");
    assert_eq!(t["errors"].as_u64(), Some(n("errors")), "JSON totals.errors vs JUnit");
    assert_eq!(t["skipped"].as_u64(), Some(n("skipped")), "JSON totals.skipped vs JUnit");
    let json_cases: Vec<(String, String)> = json["suites"]
        .as_array()
        .expect("JSON suites")
        .iter()
        .flat_map(|s| s["cases"].as_array().expect("JSON cases").iter())
        .map(|c| {
            let status = match c["status"].as_str().unwrap_or("") {
                "failed" => "failure",
                "errored" => "error",
                "skipped" => "skipped",
                "passed" | "flaky" => "passed",
                other => panic!("unknown JSON status {other}"),
            };
            (c["name"].as_str().unwrap_or("").to_string(), status.to_string())
        })
        .collect();
    let junit_cases: Vec<(String, String)> = junit
        .descendants("testcase")
        .iter()
        .map(|c| {
            let status = c
                .children
                .iter()
                .find(|o| matches!(o.name.as_str(), "failure" | "error" | "skipped"))
                .map_or("passed", |o| o.name.as_str());
            (c.attr("name").unwrap_or("").to_string(), status.to_string())
        })
        .collect();
    assert_eq!(json_cases, junit_cases, "the JSON and the JUnit report different cases or outcomes");
}

/// A small XML tree, enough to read a JUnit report.
#[derive(Clone, Debug, Default)]
pub struct Xml {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Xml>,
    /// The element's own text (unescaped), without its children's.
    pub text: String,
}

impl Xml {
    pub fn parse(text: &str) -> Result<Xml, String> {
        use quick_xml::events::Event;
        let mut reader = quick_xml::Reader::from_str(text);
        let mut stack: Vec<Xml> = vec![Xml::default()];
        let open = |e: &quick_xml::events::BytesStart| -> Result<Xml, String> {
            let mut x = Xml { name: String::from_utf8_lossy(e.name().as_ref()).into_owned(), ..Xml::default() };
            for a in e.attributes() {
                let a = a.map_err(|e| e.to_string())?;
                let v = a.normalized_value(quick_xml::XmlVersion::Explicit1_0).map_err(|e| e.to_string())?;
                x.attrs.push((String::from_utf8_lossy(a.key.as_ref()).into_owned(), v.into_owned()));
            }
            Ok(x)
        };
        loop {
            match reader.read_event().map_err(|e| format!("at byte {}: {e}", reader.buffer_position()))? {
                Event::Start(e) => stack.push(open(&e)?),
                Event::Empty(e) => {
                    let x = open(&e)?;
                    stack.last_mut().ok_or("unbalanced")?.children.push(x);
                }
                Event::End(_) => {
                    let x = stack.pop().ok_or("unbalanced")?;
                    stack.last_mut().ok_or("unbalanced")?.children.push(x);
                }
                Event::Text(t) => {
                    let s = t.decode().map_err(|e| e.to_string())?;
                    let s = quick_xml::escape::unescape(&s).map_err(|e| e.to_string())?;
                    stack.last_mut().ok_or("unbalanced")?.text.push_str(&s);
                }
                Event::GeneralRef(r) => {
                    let name = r.decode().map_err(|e| e.to_string())?;
                    let s = match name.as_ref() {
                        "lt" => "<".to_string(),
                        "gt" => ">".to_string(),
                        "amp" => "&".to_string(),
                        "quot" => "\"".to_string(),
                        "apos" => "'".to_string(),
                        other => match r.resolve_char_ref().map_err(|e| e.to_string())? {
                            Some(c) => c.to_string(),
                            None => return Err(format!("unknown entity &{other};")),
                        },
                    };
                    stack.last_mut().ok_or("unbalanced")?.text.push_str(&s);
                }
                Event::CData(c) => {
                    stack.last_mut().ok_or("unbalanced")?.text.push_str(&String::from_utf8_lossy(&c));
                }
                Event::Eof => break,
                _ => {}
            }
        }
        let mut doc = stack.pop().ok_or("unbalanced")?;
        if !stack.is_empty() {
            return Err("unclosed elements".into());
        }
        doc.children.pop().ok_or_else(|| "no root element".to_string())
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Every element below this one with that name, in document order.
    pub fn descendants(&self, name: &str) -> Vec<&Xml> {
        let mut out = Vec::new();
        for c in &self.children {
            if c.name == name {
                out.push(c);
            }
            out.extend(c.descendants(name));
        }
        out
    }

    /// `<property name=… value=…>` of a suite.
    pub fn property(&self, name: &str) -> Option<&str> {
        self.descendants("property").into_iter().find(|p| p.attr("name") == Some(name)).and_then(|p| p.attr("value"))
    }
}

/// The project's JUnit schema, written for the report shape the README promises.
pub fn schema() -> std::path::PathBuf {
    repo().join("tests/junit.xsd")
}

/// `xmllint --schema tests/junit.xsd` on a file: `Err` with xmllint's complaint when it does not
/// validate. Panics when xmllint cannot be run (the caller's trial needs [`super::Need::Xmllint`]).
pub fn xmllint(path: &Path) -> Result<(), String> {
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(schema())
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("cannot run xmllint: {e}"));
    if out.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&out.stderr).into_owned()) }
}

/// Totals as Python's `junitparser` reads them (what EnricoMi's GitHub action uses): the sums
/// of the suites' `tests`/`failures`/`errors`/`skipped`, and the testcases it finds.
pub fn junitparser_totals(path: &Path) -> Value {
    const SCRIPT: &str = "import json, sys
from junitparser import JUnitXml
x = JUnitXml.fromfile(sys.argv[1])
t = dict(tests=0, failures=0, errors=0, skipped=0, cases=0)
for s in x:
    t['tests'] += s.tests; t['failures'] += s.failures; t['errors'] += s.errors; t['skipped'] += s.skipped
    t['cases'] += len(list(s))
print(json.dumps(t))
";
    let out = Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3: {e}"));
    assert!(out.status.success(), "junitparser cannot read the report:\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("junitparser totals as JSON")
}

/// The report validates against `tests/junit.xsd`, and `junitparser` reads the totals the
/// runner printed (`printed`, from the summary line, else those of `<testsuites>`; `context`
/// goes into failure messages).
pub fn check_with_consumers(path: &Path, text: &str, printed: Option<Totals>, context: &str) {
    if let Err(why) = xmllint(path) {
        panic!("the JUnit report does not validate against {}:\n{why}\n{text}", schema().display());
    }
    let read = junitparser_totals(path);
    assert_eq!(read["tests"], read["cases"], "junitparser: suite `tests` differ from the testcases it reads\n{text}");
    let printed = match printed {
        Some(t) => {
            serde_json::json!({ "tests": t.tests, "failures": t.failed, "errors": t.errors, "skipped": t.skipped })
        }
        // No summary line (a suite that cannot be loaded stops the run before it): then the
        // totals the report itself states at its root.
        None => {
            let root = Xml::parse(text).unwrap_or_else(|e| panic!("the JUnit report is not XML: {e}\n{text}"));
            let n = |a: &str| root.attr(a).and_then(|v| v.parse::<u64>().ok()).unwrap_or(u64::MAX);
            serde_json::json!({ "tests": n("tests"), "failures": n("failures"), "errors": n("errors"), "skipped": n("skipped") })
        }
    };
    let parsed = serde_json::json!({ "tests": read["tests"], "failures": read["failures"], "errors": read["errors"], "skipped": read["skipped"] });
    assert_eq!(parsed, printed, "junitparser reads other totals than the runner printed\n{context}");
}
