//! The deploy gate (`--gate URL`): before any check runs, poll the URL until the new version
//! answers (2xx, and every `--gate-json PATH=VALUE` holds). It is a testcase of its own,
//! `[gate]` in the suite `deploy gate`; when it never passes within `--gate-wait`, no check
//! runs and the exit code is 4, so a pipeline can tell "the new version never went live" from
//! "it went live and a check failed".
//!
//! It lives at the command line rather than in a suite file: a run has one gate however many
//! suites (and shards) it has, and it must be decided before any suite starts.

use crate::cli::GateArgs;
use crate::event::SuiteInfo;
use crate::redact::Redactor;
use crate::result::{CaseKind, CaseResult, Problem, ProblemType};
use crate::run::Cancel;
use serde_json_path::JsonPath;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// The name of the gate's suite in every report.
pub const SUITE: &str = "deploy gate";
/// The name of the gate's testcase.
pub const CASE: &str = "[gate]";

/// The longest a single poll may take.
const MAX_REQUEST: Duration = Duration::from_secs(10);

/// What the command line asked the gate to wait for.
#[derive(Debug)]
pub struct Gate {
    url: reqwest::Url,
    json: Vec<(String, JsonPath, String)>,
    wait: Duration,
    every: Duration,
}

impl Gate {
    /// The gate of the command line, if any; `Err` says what is wrong with it (exit 2).
    pub fn from_args(args: &GateArgs) -> Result<Option<Gate>, String> {
        let Some(url) = &args.gate else { return Ok(None) };
        let url = match reqwest::Url::parse(url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => u,
            _ => return Err(format!("--gate `{url}` is not an absolute http(s) URL")),
        };
        let mut json = Vec::new();
        for j in &args.gate_json {
            let Some((path, value)) = j.split_once('=') else {
                return Err(format!("--gate-json `{j}` is not PATH=VALUE (e.g. '$.commit=abc123')"));
            };
            let parsed = JsonPath::parse(path.trim())
                .map_err(|e| format!("--gate-json `{j}`: `{path}` is not a JSONPath: {e}"))?;
            json.push((path.trim().to_string(), parsed, value.to_string()));
        }
        if args.gate_every.is_zero() {
            return Err("--gate-every must be more than 0s".into());
        }
        Ok(Some(Gate { url, json, wait: args.gate_wait, every: args.gate_every }))
    }

    /// The URL, masked, for the reader.
    pub fn url(&self, r: &Redactor) -> String {
        r.redact(self.url.as_str())
    }

    /// Polls until the new version is live, the wait is over, or the run is interrupted; the
    /// outcome is the `[gate]` testcase.
    pub async fn wait(&self, cancel: &Cancel, r: &Redactor) -> CaseResult {
        let t0 = Instant::now();
        let deadline = t0 + self.wait;
        let mut log = String::new();
        let mut attempts = 0u32;
        let client =
            match reqwest::Client::builder().user_agent(concat!("shakedown/", env!("CARGO_PKG_VERSION"))).build() {
                Ok(c) => c,
                Err(e) => return self.failed(Problem::error(ProblemType::Config, e.to_string()), t0, log),
            };
        let last = loop {
            attempts += 1;
            let timeout =
                MAX_REQUEST.min(deadline.saturating_duration_since(Instant::now())).max(Duration::from_millis(100));
            let outcome = tokio::select! {
                o = self.poll(&client, timeout) => o,
                _ = cancel.checks.cancelled() => {
                    let p = Problem::error(ProblemType::Interrupted, "the run stopped while waiting for the new version");
                    return self.failed(p, t0, log);
                }
            };
            let _ = writeln!(
                log,
                "attempt {attempts} ({}): {}",
                crate::duration::human(t0.elapsed()),
                match &outcome {
                    Ok(()) => "live".to_string(),
                    Err(why) => r.redact(why),
                }
            );
            match outcome {
                Ok(()) => {
                    let mut case = CaseResult::new(CASE, CaseKind::Gate, None);
                    case.duration = t0.elapsed();
                    case.log = log;
                    return case;
                }
                Err(why) if Instant::now() + self.every >= deadline => break why,
                Err(_) => {}
            }
            tokio::select! {
                _ = tokio::time::sleep(self.every) => {}
                _ = cancel.checks.cancelled() => {
                    let p = Problem::error(ProblemType::Interrupted, "the run stopped while waiting for the new version");
                    return self.failed(p, t0, log);
                }
            }
        };
        let mut p = Problem::error(
            ProblemType::Gate,
            format!("the new version never went live within {}: {last}", crate::duration::human(self.wait)),
        );
        p.request = Some(format!("GET {}", self.url));
        p.retried = Some((attempts, t0.elapsed()));
        self.failed(p, t0, log)
    }

    fn failed(&self, p: Problem, t0: Instant, log: String) -> CaseResult {
        let mut case = CaseResult::new(CASE, CaseKind::Gate, None).with_problem(p);
        case.duration = t0.elapsed();
        case.log = log;
        case
    }

    /// One poll: `Err` says why the new version is not (yet) live.
    async fn poll(&self, client: &reqwest::Client, timeout: Duration) -> Result<(), String> {
        let resp = client.get(self.url.clone()).timeout(timeout).send().await.map_err(|e| {
            if e.is_timeout() {
                format!("no answer within {}", crate::duration::human(timeout))
            } else if e.is_connect() {
                "cannot connect".to_string()
            } else {
                format!("the request failed: {}", error_chain(&e))
            }
        })?;
        let status = resp.status();
        if !status.is_success() {
            return Err(format!("answered {status}"));
        }
        if self.json.is_empty() {
            return Ok(());
        }
        let body = resp.bytes().await.map_err(|e| format!("the body broke off: {}", error_chain(&e)))?;
        let doc: serde_json::Value =
            serde_json::from_slice(&body).map_err(|_| format!("answered {status}, but the body is not JSON"))?;
        for (text, path, want) in &self.json {
            match path.query(&doc).first() {
                Some(serde_json::Value::String(s)) if s == want => {}
                Some(v) if !v.is_string() && serde_json::from_str::<serde_json::Value>(want).is_ok_and(|w| w == *v) => {
                }
                Some(v) => return Err(format!("{text} is {v}, expected {want:?}")),
                None => return Err(format!("{text} is missing, expected {want:?}")),
            }
        }
        Ok(())
    }

    /// The gate's suite, for the reports. Each shard's gate is a suite of its own name, so
    /// that the shards' reports merged hold no testcase twice.
    pub fn suite_info(&self, environment: &str, shard: Option<(u32, u32)>, r: &Redactor) -> Arc<SuiteInfo> {
        let name = match shard {
            Some((k, n)) => format!("{SUITE} (shard {k}/{n})"),
            None => SUITE.into(),
        };
        Arc::new(SuiteInfo {
            // After every suite of the run (they are numbered from 0).
            index: usize::MAX,
            name,
            file: self.url(r).into(),
            environment: environment.into(),
            base_url: Some(self.url(r)),
            commit: None,
            started: SystemTime::now(),
        })
    }
}

/// An error and its causes, on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let _ = write!(out, ": {s}");
        source = s.source();
    }
    out
}
