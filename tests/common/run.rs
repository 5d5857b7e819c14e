//! Running the real `shakedown` binary: write suite files into a temporary folder, run it on
//! them, and look at what a user and a pipeline would see: the exit code, the terminal text,
//! the JUnit and the JSON.
//!
//! Every run that writes a JUnit report is checked in-process against the JUnit rules (README,
//! "JUnit XML") on the way out: counts, names, outcomes, bodies, and the JSON report telling
//! the same story. Every output is searched for the secrets the test declared. So a test only
//! asserts what it is about. The external consumers (`xmllint` with `tests/junit.xsd`,
//! Python's `junitparser`) are slow, so they read one report of each shape, in the
//! `junit_consumers` tests ([`Done::check_with_consumers`]).

use super::junit::{Xml, check_json_against_junit, check_junit_rules, check_with_consumers};
use crate::fixture::{Fixture, FixtureConfig};
use serde_json::Value;
use std::collections::HashSet;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// The fixture app on plain HTTP, with a quick rollout so setup retries do not dawdle.
pub fn app() -> Fixture {
    Fixture::start(FixtureConfig {
        https: false,
        rollout_after: Duration::from_millis(300),
        ..FixtureConfig::default()
    })
}

/// The fixture app on HTTP and HTTPS (self-signed certificate, valid for `CERT_DAYS`).
pub fn tls_app() -> Fixture {
    Fixture::start(FixtureConfig { rollout_after: Duration::from_millis(300), ..FixtureConfig::default() })
}

/// A port on 127.0.0.1 where nothing listens (bound, then released).
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().expect("local address").port()
}

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A unique word per call, for fixture keys (`/flaky/{key}`) that must not be shared by tests.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!("{prefix}-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

/// Strips the common indentation of a raw string literal and its first newline, so suites can
/// be written indented in the test source.
pub fn dedent(text: &str) -> String {
    let text = text.strip_prefix('\n').unwrap_or(text);
    let indent =
        text.lines().filter(|l| !l.trim().is_empty()).map(|l| l.len() - l.trim_start().len()).min().unwrap_or(0);
    let mut out: String = text.lines().map(|l| l.get(indent..).unwrap_or("").trim_end()).collect::<Vec<_>>().join("\n");
    out.push('\n');
    out
}

/// One suite file: its name on disk and its text.
#[derive(Clone, Debug)]
pub struct Suite {
    pub file: String,
    pub text: String,
}

impl Suite {
    /// `name` becomes `name.yaml` in the run's folder.
    pub fn new(name: &str) -> Suite {
        let file =
            if name.ends_with(".yaml") || name.ends_with(".yml") { name.to_string() } else { format!("{name}.yaml") };
        Suite { file, text: String::new() }
    }

    /// The suite's YAML, indented as it reads best in the test.
    pub fn yaml(mut self, text: &str) -> Suite {
        self.text = dedent(text);
        self
    }

    /// Raw bytes, exactly as given (for hostile files).
    pub fn raw(mut self, text: &str) -> Suite {
        self.text = text.to_string();
        self
    }

    /// The 1-based line of the first line containing `needle`.
    pub fn line_of(&self, needle: &str) -> u32 {
        position(&self.text, needle, "").0
    }

    /// The 1-based line and column of `token` on the first line containing `needle`.
    pub fn pos_of(&self, needle: &str, token: &str) -> (u32, u32) {
        position(&self.text, needle, token)
    }

    /// `file:line:col` of `token` on the line containing `needle`.
    pub fn at(&self, needle: &str, token: &str) -> String {
        let (l, c) = self.pos_of(needle, token);
        format!("{}:{l}:{c}", self.file)
    }
}

/// Line and column (1-based, in characters) of `token` on the first line containing `needle`.
pub fn position(text: &str, needle: &str, token: &str) -> (u32, u32) {
    for (i, line) in text.lines().enumerate() {
        if let Some(at) = line.find(needle) {
            let from = if token.is_empty() {
                at
            } else {
                line[at..]
                    .find(token)
                    .map(|t| at + t)
                    .unwrap_or_else(|| panic!("`{token}` is not on the line `{line}`"))
            };
            return (i as u32 + 1, line[..from].chars().count() as u32 + 1);
        }
    }
    panic!("no line contains `{needle}` in:\n{text}");
}

/// The binary with these arguments and nothing else, for `--help` and the like.
pub fn shakedown(args: &[&str]) -> std::process::Output {
    Command::new(assert_cmd::cargo::cargo_bin!("shakedown"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run shakedown")
}

/// Everything that decides one invocation of the binary.
pub struct Run {
    subcommand: &'static str,
    dir: TempDir,
    cwd: Option<PathBuf>,
    paths: Vec<OsString>,
    args: Vec<OsString>,
    env: Vec<(String, String)>,
    forbidden: Vec<String>,
    reports: bool,
}

impl Default for Run {
    fn default() -> Self {
        Run::new()
    }
}

impl Run {
    /// `shakedown run`, writing JUnit and JSON reports into the run's folder.
    pub fn new() -> Run {
        Run::command("run")
    }

    /// `shakedown validate`.
    pub fn validate() -> Run {
        Run::command("validate")
    }

    /// `shakedown list`.
    pub fn list() -> Run {
        Run::command("list")
    }

    /// `shakedown schema`.
    pub fn schema() -> Run {
        Run::command("schema")
    }

    fn command(subcommand: &'static str) -> Run {
        Run {
            subcommand,
            dir: tempfile::Builder::new().prefix("shakedown-it-").tempdir().expect("a temporary folder"),
            cwd: None,
            paths: Vec::new(),
            args: Vec::new(),
            env: Vec::new(),
            forbidden: Vec::new(),
            reports: subcommand == "run",
        }
    }

    /// The run's folder: suites and files are written here, and it is the working directory
    /// unless [`Run::cwd`] says otherwise.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Writes the suite into the run's folder and names it on the command line.
    pub fn suite(self, s: &Suite) -> Run {
        let file = s.file.clone();
        self.file(&file, s.text.as_bytes()).path(&file)
    }

    /// Writes a file (a fixture to upload, a CA bundle, an env file) into the run's folder.
    pub fn file(self, name: &str, contents: impl AsRef<[u8]>) -> Run {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folders");
        }
        std::fs::write(&path, contents).expect("write a file into the run's folder");
        self
    }

    /// A path argument, as is (relative to the working directory).
    pub fn path(mut self, p: impl Into<OsString>) -> Run {
        self.paths.push(p.into());
        self
    }

    /// `BASE_URL` for suites that say `base_url: ${{ env.BASE_URL }}`.
    pub fn target(self, fx: &Fixture) -> Run {
        self.env("BASE_URL", &fx.http_url)
    }

    pub fn env(mut self, name: &str, value: &str) -> Run {
        self.env.push((name.to_string(), value.to_string()));
        self
    }

    /// An environment variable whose value must never appear in any output.
    pub fn secret(self, name: &str, value: &str) -> Run {
        self.env(name, value).forbid(value)
    }

    /// A value that must never appear in any output.
    pub fn forbid(mut self, value: &str) -> Run {
        self.forbidden.push(value.to_string());
        self
    }

    pub fn arg(mut self, a: impl Into<OsString>) -> Run {
        self.args.push(a.into());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<OsString>>(mut self, args: I) -> Run {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Runs in this working directory instead of the run's folder.
    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> Run {
        self.cwd = Some(dir.into());
        self
    }

    /// No `--junit`/`--json` (to test how they are given, or that none is written).
    pub fn no_reports(mut self) -> Run {
        self.reports = false;
        self
    }

    fn junit_path(&self) -> PathBuf {
        self.dir.path().join("out/report.xml")
    }

    fn json_path(&self) -> PathBuf {
        self.dir.path().join("out/report.json")
    }

    fn artifacts_path(&self) -> PathBuf {
        self.dir.path().join("out/artifacts")
    }

    fn build(&self) -> Command {
        let bin = assert_cmd::cargo::cargo_bin!("shakedown");
        let mut cmd = Command::new(bin);
        cmd.arg(self.subcommand);
        if self.reports {
            cmd.arg("--junit").arg(self.junit_path());
            cmd.arg("--json").arg(self.json_path());
            // Relative to the working directory, as attachments in the report should be.
            match &self.cwd {
                None => cmd.arg("--artifacts").arg("out/artifacts"),
                Some(_) => cmd.arg("--artifacts").arg(self.artifacts_path()),
            };
        }
        cmd.args(&self.args);
        cmd.args(&self.paths);
        cmd.current_dir(self.cwd.clone().unwrap_or_else(|| self.dir.path().to_path_buf()));
        // The test's own environment must not change what the binary does.
        for (k, _) in std::env::vars_os() {
            if let Some(k) = k.to_str()
                && (k.starts_with("SHAKEDOWN_")
                    || matches!(
                        k,
                        "BASE_URL"
                            | "GIT_SHA"
                            | "GITHUB_SHA"
                            | "SMOKE_PASSWORD"
                            | "NO_COLOR"
                            | "RUST_BACKTRACE"
                            | "GITHUB_ACTIONS"
                            | "GITHUB_STEP_SUMMARY"
                            | "GITHUB_WORKSPACE"
                            | "ALL_PROXY"
                            | "all_proxy"
                            | "HTTPS_PROXY"
                            | "https_proxy"
                            | "HTTP_PROXY"
                            | "http_proxy"
                            | "NO_PROXY"
                            | "no_proxy"
                    ))
            {
                cmd.env_remove(k);
            }
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs to the end (at most a minute) and checks the reports.
    pub fn run(self) -> Done {
        let mut cmd = self.build();
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let child = cmd.spawn().expect("start shakedown");
        let running = Running { child, run: self, stdout_lines: None, stdout_seen: String::new() };
        running.finish(Duration::from_secs(60))
    }

    /// Starts the binary and returns at once, to interrupt it.
    pub fn spawn(self) -> Running {
        let mut cmd = self.build();
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start shakedown");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running { child, run: self, stdout_lines: Some(rx), stdout_seen: String::new() }
    }
}

/// A binary still running.
pub struct Running {
    child: Child,
    run: Run,
    stdout_lines: Option<mpsc::Receiver<String>>,
    stdout_seen: String,
}

impl Running {
    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits (at most `within`) until a line of stdout contains `text`.
    pub fn wait_for_line(&mut self, text: &str, within: Duration) {
        let rx = self.stdout_lines.as_ref().expect("spawned with Run::spawn");
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    self.stdout_seen.push_str(&line);
                    self.stdout_seen.push('\n');
                    if line.contains(text) {
                        return;
                    }
                }
                Err(_) => {
                    let _ = self.child.kill();
                    panic!("no line with `{text}` within {within:?}; stdout so far:\n{}", self.stdout_seen);
                }
            }
        }
    }

    /// Sends a signal (`INT`, `TERM`) with `kill`.
    pub fn signal(&self, name: &str) {
        // The shell's own `kill`: there is always a /bin/sh, not always a /bin/kill.
        let status =
            Command::new("sh").arg("-c").arg(format!("kill -s {name} {}", self.child.id())).status().expect("run kill");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Waits for the exit (killing it after `within`), then checks the reports.
    pub fn finish(mut self, within: Duration) -> Done {
        let started = Instant::now();
        let mut stderr_pipe = self.child.stderr.take().expect("piped stderr");
        let stderr_reader = std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = stderr_pipe.read_to_end(&mut s);
            s
        });
        let stdout_reader = self.child.stdout.take().map(|mut out| {
            std::thread::spawn(move || {
                let mut s = Vec::new();
                let _ = out.read_to_end(&mut s);
                s
            })
        });
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait for shakedown") {
                break status;
            }
            if started.elapsed() > within {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("shakedown did not finish within {within:?}; stdout so far:\n{}", self.stdout_seen);
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let elapsed = started.elapsed();
        let mut stdout = std::mem::take(&mut self.stdout_seen);
        if let Some(rx) = self.stdout_lines.take() {
            // The reader thread ends when the pipe closes.
            while let Ok(line) = rx.recv_timeout(Duration::from_secs(5)) {
                stdout.push_str(&line);
                stdout.push('\n');
            }
        }
        if let Some(t) = stdout_reader {
            stdout.push_str(&String::from_utf8_lossy(&t.join().unwrap_or_default()));
        }
        let stderr = String::from_utf8_lossy(&stderr_reader.join().unwrap_or_default()).into_owned();
        let code =
            status.code().unwrap_or_else(|| panic!("shakedown was killed by a signal ({status:?}); stderr:\n{stderr}"));
        Done::new(self.run, code, stdout, stderr, elapsed)
    }
}

/// A finished run.
pub struct Done {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// How long the process ran (for generous bounds on interruption only).
    pub elapsed: Duration,
    /// The JUnit report, raw and parsed, when one was written.
    pub junit_text: Option<String>,
    pub junit: Option<Xml>,
    pub json: Option<Value>,
    run: Run,
}

impl Done {
    fn new(run: Run, code: i32, stdout: String, stderr: String, elapsed: Duration) -> Done {
        // A panic is a bug, unless the test injected it (SHAKEDOWN_TEST_PANIC_IN).
        let injected = run.env.iter().any(|(k, _)| k == "SHAKEDOWN_TEST_PANIC_IN");
        assert!(
            injected || (!stderr.contains("panicked") && !stdout.contains("panicked")),
            "shakedown panicked (exit {code}):\n{stderr}"
        );
        let junit_text = std::fs::read_to_string(run.junit_path()).ok();
        let junit = junit_text
            .as_deref()
            .map(|t| Xml::parse(t).unwrap_or_else(|e| panic!("the JUnit report is not XML: {e}\n{t}")));
        let json = std::fs::read_to_string(run.json_path())
            .ok()
            .map(|t| serde_json::from_str(&t).unwrap_or_else(|e| panic!("the JSON report is not JSON: {e}\n{t}")));
        let done = Done { code, stdout, stderr, elapsed, junit_text, junit, json, run };
        done.check_no_secrets();
        if let Some(text) = &done.junit_text {
            check_junit_rules(done.junit.as_ref().expect("parsed"), text);
            if let Some(json) = &done.json {
                check_json_against_junit(json, done.junit.as_ref().expect("parsed"));
            }
        }
        done
    }

    /// The run's folder.
    pub fn dir(&self) -> &Path {
        self.run.dir.path()
    }

    /// Where the JUnit report was written.
    pub fn junit_path(&self) -> PathBuf {
        self.run.junit_path()
    }

    /// Reads the JUnit report with the consumers pipelines use: `xmllint` against
    /// `tests/junit.xsd`, and `junitparser`, whose totals must be the ones the run printed.
    /// Slow (two processes), so it runs in the tests of `junit_consumers`, one per report shape.
    #[track_caller]
    pub fn check_with_consumers(&self) -> &Done {
        let text = self.junit_text.as_deref().unwrap_or_else(|| panic!("no JUnit report\n{}", self.output()));
        check_with_consumers(&self.run.junit_path(), text, summary_totals(&self.stdout), &self.output());
        self
    }

    /// The JUnit report as written, or "" when none was.
    pub fn junit_str(&self) -> &str {
        self.junit_text.as_deref().unwrap_or("")
    }

    /// stdout, stderr and the JUnit, for messages.
    pub fn show(&self) -> String {
        format!("{}\n--- junit ---\n{}", self.output(), self.junit_text.as_deref().unwrap_or(""))
    }

    /// The raw XML of the `<testcase>` with this name, from its opening tag to its end, to
    /// assert on the text as it is written (escaped).
    #[track_caller]
    pub fn case_xml(&self, name: &str) -> String {
        let junit = self.junit_text.as_deref().unwrap_or("");
        let start = junit
            .find(&format!("<testcase name=\"{name}\""))
            .unwrap_or_else(|| panic!("no testcase {name:?}\n{}", self.show()));
        let rest = &junit[start..];
        let end = rest
            .find("</testcase>")
            .map(|e| e + "</testcase>".len())
            .or_else(|| rest.find("/>").map(|e| e + 2))
            .unwrap_or(rest.len());
        rest[..end].to_string()
    }

    /// stdout and stderr, for messages.
    pub fn output(&self) -> String {
        format!("exit code {}\n--- stdout ---\n{}\n--- stderr ---\n{}", self.code, self.stdout, self.stderr)
    }

    #[track_caller]
    pub fn assert_exit(&self, code: i32) -> &Done {
        assert_eq!(self.code, code, "unexpected exit code\n{}", self.output());
        self
    }

    #[track_caller]
    pub fn assert_stdout_has(&self, text: &str) -> &Done {
        assert!(self.stdout.contains(text), "stdout lacks `{text}`\n{}", self.output());
        self
    }

    #[track_caller]
    pub fn assert_stderr_has(&self, text: &str) -> &Done {
        assert!(self.stderr.contains(text), "stderr lacks `{text}`\n{}", self.output());
        self
    }

    /// The parsed JUnit report; panics when none was written.
    #[track_caller]
    pub fn junit(&self) -> &Xml {
        self.junit.as_ref().unwrap_or_else(|| panic!("no JUnit report was written\n{}", self.output()))
    }

    #[track_caller]
    pub fn json(&self) -> &Value {
        self.json.as_ref().unwrap_or_else(|| panic!("no JSON report was written\n{}", self.output()))
    }

    /// The `<testcase>` with this name (there must be exactly one).
    #[track_caller]
    pub fn case(&self, name: &str) -> Case<'_> {
        let cases: Vec<&Xml> =
            self.junit().descendants("testcase").into_iter().filter(|c| c.attr("name") == Some(name)).collect();
        match cases.as_slice() {
            [one] => Case { xml: one, done: self },
            [] => panic!(
                "no testcase `{name}`; there are: {:?}\n{}",
                self.junit().descendants("testcase").iter().map(|c| c.attr("name").unwrap_or("?")).collect::<Vec<_>>(),
                self.junit_text.as_deref().unwrap_or("")
            ),
            _ => panic!("{} testcases named `{name}`", cases.len()),
        }
    }

    /// The names of all testcases, in report order.
    pub fn case_names(&self) -> Vec<String> {
        self.junit().descendants("testcase").iter().map(|c| c.attr("name").unwrap_or("").to_string()).collect()
    }

    /// The JSON report's entry for a case.
    #[track_caller]
    pub fn json_case(&self, name: &str) -> &Value {
        self.json()["suites"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|s| s["cases"].as_array().into_iter().flatten())
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no case `{name}` in the JSON report"))
    }

    /// The totals of the terminal's summary line.
    #[track_caller]
    pub fn summary(&self) -> Totals {
        summary_totals(&self.stdout).unwrap_or_else(|| panic!("no summary line on stdout\n{}", self.output()))
    }

    /// The terminal line of a case as it finished (`PASS  suite › name (12ms)`).
    #[track_caller]
    pub fn terminal_line(&self, name: &str) -> &str {
        self.stdout
            .lines()
            .find(|l| l.contains(&format!("› {name} (")))
            .unwrap_or_else(|| panic!("no terminal line for `{name}`\n{}", self.output()))
    }

    /// Every output of the run, named: stdout, stderr, the JUnit, the JSON, each artifact.
    pub fn outputs(&self) -> Vec<(String, String)> {
        self.everything()
    }

    fn everything(&self) -> Vec<(String, String)> {
        let mut all = vec![("stdout".to_string(), self.stdout.clone()), ("stderr".to_string(), self.stderr.clone())];
        if let Some(j) = &self.junit_text {
            all.push(("JUnit".into(), j.clone()));
        }
        if let Ok(j) = std::fs::read_to_string(self.run.json_path()) {
            all.push(("JSON".into(), j));
        }
        for f in walk(&self.run.artifacts_path()) {
            all.push((
                f.display().to_string(),
                String::from_utf8_lossy(&std::fs::read(&f).unwrap_or_default()).into_owned(),
            ));
        }
        all
    }

    /// Panics if any output holds one of the forbidden values in any form the README promises
    /// to mask: as is, percent-encoded (upper- and lower-case hex, `+` for spaces), inside a
    /// JSON string (also with non-ASCII as `\uXXXX`), HTML-escaped (each way of writing `'`),
    /// or cut short at its end (a body cut at `max_body`).
    fn check_no_secrets(&self) {
        for secret in &self.run.forbidden {
            for form in secret_forms(secret) {
                for (what, text) in self.everything() {
                    assert!(!text.contains(&form), "the secret `{secret}` appears in {what} (as `{form}`):\n{text}");
                }
            }
        }
    }

    /// Panics if a session token of the fixture app (32 hex digits) appears in any output.
    #[track_caller]
    pub fn assert_no_session_tokens(&self) {
        let token = regex::Regex::new(r"\b[0-9a-f]{32}\b").expect("regex");
        for (what, text) in self.everything() {
            if let Some(m) = token.find(&text) {
                panic!("a session token `{}` appears in {what}:\n{text}", m.as_str());
            }
        }
    }
}

/// One `<testcase>` of a finished run.
pub struct Case<'a> {
    pub xml: &'a Xml,
    done: &'a Done,
}

impl<'a> Case<'a> {
    pub fn attr(&self, name: &str) -> Option<&'a str> {
        self.xml.attr(name)
    }

    /// `testcase@line`, as a number.
    #[track_caller]
    pub fn line(&self) -> u32 {
        self.attr("line")
            .and_then(|l| l.parse().ok())
            .unwrap_or_else(|| panic!("testcase without a numeric line: {:?}", self.xml.attrs))
    }

    /// The outcome element (`failure`, `error`, `skipped`), if any.
    pub fn outcome(&self) -> Option<&'a Xml> {
        self.xml.children.iter().find(|c| matches!(c.name.as_str(), "failure" | "error" | "skipped"))
    }

    /// Asserts the outcome element and its `type`, and returns it.
    #[track_caller]
    pub fn expect(&self, element: &str, type_: &str) -> &'a Xml {
        let o = self.outcome().unwrap_or_else(|| {
            panic!(
                "`{}` passed; expected a <{element} type=\"{type_}\">\n{}",
                self.xml.attr("name").unwrap_or(""),
                self.done.output()
            )
        });
        assert_eq!(
            o.name,
            element,
            "`{}`: wrong outcome\n{}",
            self.xml.attr("name").unwrap_or(""),
            self.done.junit_text.as_deref().unwrap_or("")
        );
        assert_eq!(
            o.attr("type"),
            Some(type_),
            "`{}`: wrong type\n{}",
            self.xml.attr("name").unwrap_or(""),
            self.done.junit_text.as_deref().unwrap_or("")
        );
        o
    }

    #[track_caller]
    pub fn assert_passed(&self) {
        assert!(
            self.outcome().is_none(),
            "`{}` did not pass\n{}",
            self.xml.attr("name").unwrap_or(""),
            self.done.output()
        );
    }

    /// Children with this element name (`flakyFailure`, `rerunFailure`, `system-out`).
    pub fn all(&self, name: &str) -> Vec<&'a Xml> {
        self.xml.children.iter().filter(|c| c.name == name).collect()
    }

    pub fn system_out(&self) -> String {
        self.all("system-out").first().map(|x| x.text.clone()).unwrap_or_default()
    }
}

/// Totals as the terminal's summary line states them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Totals {
    pub tests: u64,
    pub suites: u64,
    pub passed: u64,
    pub failed: u64,
    pub errors: u64,
    pub skipped: u64,
    pub flaky: u64,
}

pub fn summary_totals(stdout: &str) -> Option<Totals> {
    let re = regex::Regex::new(
        r"(\d+) checks? in (\d+) suites?: (\d+) passed, (\d+) failed, (\d+) errors?, (\d+) skipped(?:, (\d+) flaky)?",
    )
    .expect("regex");
    let c = stdout.lines().rev().find_map(|l| re.captures(l))?;
    let n = |i: usize| c.get(i).map_or(0, |m| m.as_str().parse().unwrap_or(0));
    Some(Totals { tests: n(1), suites: n(2), passed: n(3), failed: n(4), errors: n(5), skipped: n(6), flaky: n(7) })
}

/// The forms of a secret that must never appear. Written apart from the redactor, so a form
/// it forgets shows here.
fn secret_forms(secret: &str) -> Vec<String> {
    let url = url_encode(secret);
    let json = serde_json::to_string(secret).unwrap_or_default().trim_matches('"').to_string();
    let ascii_json: String = json
        .chars()
        .map(|c| {
            if c.is_ascii() {
                c.to_string()
            } else {
                c.encode_utf16(&mut [0; 2]).iter().map(|u| format!("\\u{u:04x}")).collect()
            }
        })
        .collect();
    let html = secret.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    let mut forms = vec![
        secret.to_string(),
        url.clone(),
        lower_hex(&url),
        url.replace("%20", "+"),
        json,
        ascii_json,
        html.replace('\'', "&#39;"),
        html.replace('\'', "&#x27;"),
    ];
    // Cut at its end: all but the last character (long secrets only, or any text would match).
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() >= 10 {
        forms.push(chars[..chars.len() - 1].iter().collect());
    }
    forms.retain(|f| f.len() >= 3);
    forms.sort();
    forms.dedup();
    forms
}

fn lower_hex(s: &str) -> String {
    let mut out = String::new();
    let mut after = 0u8;
    for c in s.chars() {
        out.push(if after > 0 { c.to_ascii_lowercase() } else { c });
        after = if c == '%' { 2 } else { after.saturating_sub(1) };
    }
    out
}

fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}
