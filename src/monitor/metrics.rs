//! `/metrics`: the state in the Prometheus text exposition format (version 0.0.4), which
//! `promtool check metrics` accepts. Label values are escaped as the format says; every text
//! in them was masked before it reached the state.

use super::state::{BUCKETS, CheckState, Outcome, State};
use std::fmt::Write as _;

/// The content type Prometheus expects for this format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The whole exposition.
pub fn render(state: &State, location: &str) -> String {
    let mut out = String::with_capacity(256 + state.checks.len() * 1500);
    let checks: Vec<&CheckState> = state.checks.values().collect();
    let labels = |c: &CheckState| {
        format!(
            "suite=\"{}\",check=\"{}\",environment=\"{}\",location=\"{}\"",
            escape(&c.suite),
            escape(&c.check),
            escape(&c.environment),
            escape(location)
        )
    };
    let gauge = |out: &mut String, name: &str, help: &str, value: &dyn Fn(&CheckState) -> Option<f64>| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
        for c in &checks {
            if let Some(v) = value(c) {
                let _ = writeln!(out, "{name}{{{}}} {}", labels(c), number(v));
            }
        }
    };
    gauge(&mut out, "shakedown_check_up", "Whether the check passed on its last run (1) or not (0).", &|c| {
        Some(if c.up { 1.0 } else { 0.0 })
    });
    gauge(&mut out, "shakedown_check_duration_seconds", "How long the check's last run took.", &|c| {
        Some(c.last_seconds)
    });
    gauge(&mut out, "shakedown_check_last_run_timestamp_seconds", "When the check last ran (Unix time).", &|c| {
        Some(c.last_run)
    });
    gauge(
        &mut out,
        "shakedown_check_last_success_timestamp_seconds",
        "When the check last passed (Unix time); absent if it never has.",
        &|c| c.last_success,
    );
    gauge(
        &mut out,
        "shakedown_check_consecutive_failures",
        "Failed or errored runs of the check since it last passed.",
        &|c| Some(c.consecutive_failures as f64),
    );

    let name = "shakedown_check_runs_total";
    let _ = writeln!(out, "# HELP {name} Runs of the check by result: passed, flaky, failed, errored.");
    let _ = writeln!(out, "# TYPE {name} counter");
    for c in &checks {
        for o in Outcome::ALL {
            let _ = writeln!(out, "{name}{{{},result=\"{}\"}} {}", labels(c), o.name(), c.runs_of(o));
        }
    }

    let name = "shakedown_check_run_duration_seconds";
    let _ = writeln!(out, "# HELP {name} How long the check's runs took (histogram).");
    let _ = writeln!(out, "# TYPE {name} histogram");
    for c in &checks {
        let l = labels(c);
        for (b, n) in BUCKETS.iter().zip(c.buckets) {
            let _ = writeln!(out, "{name}_bucket{{{l},le=\"{}\"}} {n}", number(*b));
        }
        let _ = writeln!(out, "{name}_bucket{{{l},le=\"+Inf\"}} {}", c.run_count());
        let _ = writeln!(out, "{name}_sum{{{l}}} {}", number(c.seconds_sum));
        let _ = writeln!(out, "{name}_count{{{l}}} {}", c.run_count());
    }

    let name = "shakedown_tls_certificate_expiry_timestamp_seconds";
    let _ = writeln!(out, "# HELP {name} When the TLS certificate a host last showed a check expires (Unix time).");
    let _ = writeln!(out, "# TYPE {name} gauge");
    for (host, t) in &state.certificates {
        let _ = writeln!(out, "{name}{{host=\"{}\",location=\"{}\"}} {t}", escape(host), escape(location));
    }

    let name = "shakedown_suite_load_errors";
    let _ = writeln!(out, "# HELP {name} Suite files that could not be loaded at the last (re)load.");
    let _ = writeln!(out, "# TYPE {name} gauge");
    let _ = writeln!(out, "{name}{{location=\"{}\"}} {}", escape(location), state.load_errors.len());
    out
}

/// A label value as the exposition format writes it: `\`, `"` and line feeds escaped.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A sample value: integers without a fraction, others as Rust prints them (both are Go
/// `ParseFloat` syntax).
fn number(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 { format!("{}", v as i64) } else { format!("{v}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::state::Run;

    #[test]
    fn labels_are_escaped_and_every_family_is_typed() {
        let mut s = State::new(5, 2);
        s.record(Run {
            suite: "a \"quoted\" suite",
            check: "back\\slash\nnew line",
            environment: "prod",
            outcome: Outcome::Failed,
            seconds: 0.3,
            problem: None,
            at: 1_700_000_000.5,
        });
        s.certificates.insert("shop.example".into(), 1_800_000_000);
        let text = render(&s, "eu-west");
        assert!(text.contains(
            "shakedown_tls_certificate_expiry_timestamp_seconds{host=\"shop.example\",location=\"eu-west\"} 1800000000"
        ));
        assert!(text.contains(
            "shakedown_check_up{suite=\"a \\\"quoted\\\" suite\",check=\"back\\\\slash\\nnew line\",environment=\"prod\",location=\"eu-west\"} 0"
        ), "{text}");
        assert!(text.contains("shakedown_check_last_run_timestamp_seconds{") && text.contains("} 1700000000.5"));
        assert!(!text.contains("shakedown_check_last_success_timestamp_seconds{"), "never passed: no sample");
        assert!(text.contains("result=\"failed\"} 1"));
        assert!(text.contains("le=\"0.25\"} 0") && text.contains("le=\"0.5\"} 1") && text.contains("le=\"+Inf\"} 1"));
        assert!(text.contains("shakedown_suite_load_errors{location=\"eu-west\"} 0"));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let family = line.split(['{', ' ']).next().unwrap_or_default();
            let base = family.trim_end_matches("_bucket").trim_end_matches("_sum").trim_end_matches("_count");
            assert!(text.contains(&format!("# TYPE {base} ")), "untyped: {line}");
        }
    }
}
