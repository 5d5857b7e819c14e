//! What the monitor knows about each check: up or down and since when, counters, the response
//! time histogram, the last results, the last problem, and whether its alert fires. It is
//! changed only by [`State::record`], from the results on the event stream, and is what the
//! metrics, the status page, the alerts and the state file are made from.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::time::SystemTime;

/// Upper bounds (seconds) of the response-time histogram's buckets.
pub const BUCKETS: [f64; 12] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0];

/// How one run of a check ended, as the monitor counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Passed,
    /// Passed after a failed attempt: up, but counted apart.
    Flaky,
    /// The target answered wrongly.
    Failed,
    /// The check could not be judged (unreachable, timed out, its setup failed).
    Errored,
}

impl Outcome {
    /// Every outcome, in the order of [`CheckState::runs`].
    pub const ALL: [Outcome; 4] = [Outcome::Passed, Outcome::Flaky, Outcome::Failed, Outcome::Errored];

    /// A pass, flaky or not, is up.
    pub fn is_up(self) -> bool {
        matches!(self, Outcome::Passed | Outcome::Flaky)
    }

    /// The word in metrics (`result="failed"`), JSON and the page.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Flaky => "flaky",
            Outcome::Failed => "failed",
            Outcome::Errored => "errored",
        }
    }
}

/// One result of the strip on the status page.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Sample {
    /// Unix time, seconds.
    pub at: f64,
    pub outcome: Outcome,
    pub seconds: f64,
}

/// A check is known by its suite and its name.
pub type CheckKey = (String, String);

/// Everything the monitor keeps about one check.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CheckState {
    pub suite: String,
    pub check: String,
    pub environment: String,
    pub up: bool,
    /// When `up` last changed (or the first run), unix seconds.
    pub since: f64,
    pub last_run: f64,
    pub last_success: Option<f64>,
    /// How long the last run took, seconds.
    pub last_seconds: f64,
    pub consecutive_failures: u64,
    /// Runs per outcome, in [`Outcome::ALL`] order.
    pub runs: [u64; 4],
    /// Cumulative counts per bucket of [`BUCKETS`], then the sum of seconds.
    pub buckets: [u64; 12],
    pub seconds_sum: f64,
    /// The last results, oldest first.
    pub history: VecDeque<Sample>,
    /// The last problem, already masked, and when it was seen.
    pub last_problem: Option<(f64, String)>,
    /// Whether its alert fires, and since when.
    pub firing_since: Option<f64>,
}

/// A change the alerting must hear about.
#[derive(Clone, Debug)]
pub enum Change {
    /// The check reached the failure threshold.
    Firing(AlertInfo),
    /// A firing check passed again.
    Resolved(AlertInfo),
}

/// What an alert says: the check's labels, since when, and the (masked) problem.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertInfo {
    pub suite: String,
    pub check: String,
    pub environment: String,
    pub starts_at: f64,
    /// Set when resolved.
    pub ends_at: Option<f64>,
    pub consecutive_failures: u64,
    pub problem: String,
}

/// A suite file that could not be loaded (masked message).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LoadError {
    pub file: String,
    pub message: String,
}

/// The whole state.
#[derive(Clone, Debug, Default)]
pub struct State {
    pub checks: BTreeMap<CheckKey, CheckState>,
    pub load_errors: Vec<LoadError>,
    /// The expiry (Unix seconds) of the TLS certificate each host last showed a check.
    pub certificates: BTreeMap<String, i64>,
    /// Results kept per check.
    pub history_len: usize,
    /// Consecutive failures before an alert fires.
    pub threshold: u64,
    /// Checks the last reload removed: a run that was already going when they were removed
    /// must not bring them back (nothing would ever run them again, so an alert could never
    /// resolve).
    removed: std::collections::HashSet<CheckKey>,
}

/// Unix time in seconds.
pub fn unix(t: SystemTime) -> f64 {
    t.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

impl CheckState {
    fn new(suite: &str, check: &str, environment: &str, now: f64) -> CheckState {
        CheckState {
            suite: suite.into(),
            check: check.into(),
            environment: environment.into(),
            up: false,
            since: now,
            last_run: now,
            last_success: None,
            last_seconds: 0.0,
            consecutive_failures: 0,
            runs: [0; 4],
            buckets: [0; 12],
            seconds_sum: 0.0,
            history: VecDeque::new(),
            last_problem: None,
            firing_since: None,
        }
    }

    /// How many runs ended so.
    pub fn runs_of(&self, o: Outcome) -> u64 {
        self.runs[Outcome::ALL.iter().position(|x| *x == o).unwrap_or(0)]
    }

    /// How many runs were counted in all.
    pub fn run_count(&self) -> u64 {
        self.runs.iter().sum()
    }

    fn alert(&self, ends_at: Option<f64>) -> AlertInfo {
        AlertInfo {
            suite: self.suite.clone(),
            check: self.check.clone(),
            environment: self.environment.clone(),
            starts_at: self.firing_since.unwrap_or(self.since),
            ends_at,
            consecutive_failures: self.consecutive_failures,
            problem: self.last_problem.as_ref().map(|(_, p)| p.clone()).unwrap_or_default(),
        }
    }
}

/// One decided run of a check, as [`State::record`] takes it.
pub struct Run<'a> {
    pub suite: &'a str,
    pub check: &'a str,
    pub environment: &'a str,
    pub outcome: Outcome,
    pub seconds: f64,
    /// Masked.
    pub problem: Option<String>,
    pub at: f64,
}

impl State {
    /// An empty state keeping `history_len` results a check, firing after `threshold` failures.
    pub fn new(history_len: usize, threshold: u64) -> State {
        State { history_len: history_len.max(1), threshold: threshold.max(1), ..State::default() }
    }

    /// Counts one run; returns the alert change it causes, if any.
    pub fn record(&mut self, r: Run) -> Option<Change> {
        let key = (r.suite.to_string(), r.check.to_string());
        if self.removed.contains(&key) {
            return None;
        }
        let first = !self.checks.contains_key(&key);
        let s = self.checks.entry(key).or_insert_with(|| CheckState::new(r.suite, r.check, r.environment, r.at));
        s.environment = r.environment.to_string();
        let up = r.outcome.is_up();
        if first || s.up != up {
            s.since = r.at;
        }
        s.up = up;
        s.last_run = r.at;
        s.last_seconds = r.seconds;
        if let Some(i) = Outcome::ALL.iter().position(|o| *o == r.outcome) {
            s.runs[i] += 1;
        }
        for (i, b) in BUCKETS.iter().enumerate() {
            if r.seconds <= *b {
                s.buckets[i] += 1;
            }
        }
        s.seconds_sum += r.seconds;
        s.history.push_back(Sample { at: r.at, outcome: r.outcome, seconds: r.seconds });
        while s.history.len() > self.history_len {
            s.history.pop_front();
        }
        if let Some(p) = r.problem {
            s.last_problem = Some((r.at, p));
        }
        if up {
            s.last_success = Some(r.at);
            s.consecutive_failures = 0;
            if s.firing_since.is_some() {
                let change = Change::Resolved(s.alert(Some(r.at)));
                s.firing_since = None;
                return Some(change);
            }
            return None;
        }
        s.consecutive_failures += 1;
        if s.firing_since.is_none() && s.consecutive_failures >= self.threshold {
            s.firing_since = Some(r.at);
            return Some(Change::Firing(s.alert(None)));
        }
        None
    }

    /// Forgets the checks of suites no longer monitored (after a reload, or a state file from
    /// an older set); a firing one is resolved.
    pub fn retain(&mut self, keep: impl Fn(&CheckKey) -> bool, now: f64) -> Vec<Change> {
        let gone: Vec<CheckKey> = self.checks.keys().filter(|k| !keep(k)).cloned().collect();
        self.removed = gone.iter().cloned().collect();
        gone.into_iter()
            .filter_map(|k| self.checks.remove(&k))
            .filter(|s| s.firing_since.is_some())
            .map(|s| Change::Resolved(s.alert(Some(now))))
            .collect()
    }

    /// The alerts firing now.
    pub fn firing(&self) -> Vec<AlertInfo> {
        self.checks.values().filter(|s| s.firing_since.is_some()).map(|s| s.alert(None)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(outcome: Outcome, at: f64) -> Run<'static> {
        Run {
            suite: "s",
            check: "c",
            environment: "prod",
            outcome,
            seconds: 0.2,
            problem: (!outcome.is_up()).then(|| "status: expected 200, got 503".to_string()),
            at,
        }
    }

    #[test]
    fn an_alert_fires_at_the_threshold_once_and_resolves_on_the_first_pass() {
        let mut s = State::new(3, 2);
        assert!(s.record(run(Outcome::Passed, 1.0)).is_none());
        assert!(s.record(run(Outcome::Failed, 2.0)).is_none());
        let key = ("s".to_string(), "c".to_string());
        assert!(!s.checks[&key].up);
        assert_eq!(s.checks[&key].since, 2.0);
        match s.record(run(Outcome::Errored, 3.0)) {
            Some(Change::Firing(a)) => {
                assert_eq!(a.starts_at, 3.0);
                assert_eq!(a.consecutive_failures, 2);
                assert!(a.problem.contains("503"));
            }
            other => panic!("expected firing, got {other:?}"),
        }
        assert!(s.record(run(Outcome::Failed, 4.0)).is_none(), "fires once");
        assert_eq!(s.firing().len(), 1);
        match s.record(run(Outcome::Flaky, 5.0)) {
            Some(Change::Resolved(a)) => assert_eq!(a.ends_at, Some(5.0)),
            other => panic!("expected resolved, got {other:?}"),
        }
        let c = &s.checks[&key];
        assert!(c.up);
        assert_eq!((c.since, c.last_success, c.consecutive_failures), (5.0, Some(5.0), 0));
        assert_eq!(c.history.len(), 3, "history is bounded");
        assert_eq!(c.runs, [1, 1, 2, 1]);
        assert_eq!(c.buckets[2], 5, "0.2s is under 0.25s");
        assert_eq!(c.buckets[0], 0);
    }

    #[test]
    fn a_removed_check_that_fires_is_resolved() {
        let mut s = State::new(3, 1);
        assert!(matches!(s.record(run(Outcome::Failed, 1.0)), Some(Change::Firing(_))));
        let resolved = s.retain(|_| false, 9.0);
        assert!(matches!(resolved.as_slice(), [Change::Resolved(a)] if a.ends_at == Some(9.0)));
        assert!(s.checks.is_empty());
        // A run that was going when the reload removed the check does not bring it back.
        assert!(s.record(run(Outcome::Failed, 10.0)).is_none());
        assert!(s.checks.is_empty() && s.firing().is_empty());
        // Added again by a later reload, it counts again.
        s.retain(|_| true, 11.0);
        assert!(matches!(s.record(run(Outcome::Failed, 12.0)), Some(Change::Firing(_))));
    }
}
