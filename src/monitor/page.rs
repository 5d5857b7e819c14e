//! `/`: the status page. One HTML document with its CSS inline, no script and no external
//! asset, so it loads behind any proxy and reads well in a screenshot: failing checks first,
//! each with its state and since when, a strip of its last results, a sparkline of its
//! response times (inline SVG) and its last problem (masked before it reached the state).

use super::state::{CheckState, Outcome, State};
use std::fmt::Write as _;

const STYLE: &str = r#"
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f5f7;color:#1d2430}
header{background:#1d2430;color:#fff;padding:14px 24px;display:flex;gap:24px;align-items:baseline;flex-wrap:wrap}
header h1{font-size:18px;margin:0}
header .meta{color:#b8c0cc;font-size:13px}
.summary{display:flex;gap:12px;padding:16px 24px 0}
.pill{border-radius:16px;padding:4px 12px;font-weight:600;background:#fff;border:1px solid #d8dce3}
.pill.down{background:#fdecec;border-color:#f3b4b4;color:#9b1c1c}
.pill.up{background:#e9f7ef;border-color:#a9dcbc;color:#17603a}
main{padding:16px 24px 32px}
table{width:100%;border-collapse:collapse;background:#fff;border:1px solid #d8dce3;border-radius:6px;overflow:hidden}
th{text-align:left;font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:#5b6472;background:#fafbfc;padding:8px 10px;border-bottom:1px solid #d8dce3}
td{padding:8px 10px;border-bottom:1px solid #eceef2;vertical-align:middle}
tr:last-child td{border-bottom:0}
.state{display:inline-block;min-width:64px;text-align:center;border-radius:4px;padding:2px 8px;font-weight:700;font-size:12px;color:#fff}
.state.up{background:#1f9d55}.state.down{background:#d64545}.state.firing{background:#9b1c1c}
.name{font-weight:600}.suite{color:#5b6472;font-weight:400}
.since{white-space:nowrap;color:#3c4450}
.strip{display:flex;gap:2px}
.strip i{display:block;width:8px;height:18px;border-radius:2px}
.passed{background:#1f9d55}.flaky{background:#e3a008}.failed{background:#d64545}.errored{background:#6b4bbd}
.problem{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px;color:#9b1c1c;max-width:520px;word-break:break-word}
.ok{color:#5b6472}
svg{display:block}
.errors{background:#fdecec;border:1px solid #f3b4b4;border-radius:6px;padding:10px 14px;margin-bottom:16px;color:#9b1c1c}
.errors code{font-size:12px}
footer{padding:0 24px 24px;color:#5b6472;font-size:12px}
"#;

/// The page, as of `now` (unix seconds).
pub fn render(state: &State, location: &str, now: f64) -> String {
    let mut checks: Vec<&CheckState> = state.checks.values().collect();
    // Down first, then by name: the page answers "what is wrong" before anything else.
    checks.sort_by(|a, b| (a.up, &a.suite, &a.check).cmp(&(b.up, &b.suite, &b.check)));
    let down = checks.iter().filter(|c| !c.up).count();
    let firing = checks.iter().filter(|c| c.firing_since.is_some()).count();
    let mut out = String::with_capacity(4096 + checks.len() * 2048);
    let title = if down == 0 { "all checks pass".to_string() } else { format!("{down} failing") };
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta http-equiv=\"refresh\" content=\"15\"><link rel=\"icon\" href=\"data:,\"><title>{} · shakedown monitor</title><style>{STYLE}</style></head><body>\
         <header><h1>shakedown monitor</h1><span class=\"meta\">location <b>{}</b></span>\
         <span class=\"meta\">as of {} UTC</span></header>",
        esc(&title),
        esc(location),
        esc(&clock(now))
    );
    let _ = write!(
        out,
        "<div class=\"summary\"><span class=\"pill up\" id=\"count-up\">{} up</span>\
         <span class=\"pill down\" id=\"count-down\">{down} down</span>\
         <span class=\"pill\" id=\"count-firing\">{firing} alerting</span></div><main>",
        checks.len() - down
    );
    if !state.load_errors.is_empty() {
        out.push_str("<div class=\"errors\" id=\"load-errors\"><b>Suite files that could not be loaded</b><ul>");
        for e in &state.load_errors {
            let _ = write!(out, "<li><code>{}</code>: {}</li>", esc(&e.file), esc(&e.message));
        }
        out.push_str("</ul></div>");
    }
    if checks.is_empty() {
        out.push_str("<p>No check has run yet.</p>");
    } else {
        out.push_str(
            "<table><thead><tr><th>State</th><th>Check</th><th>Since</th><th>Last results</th>\
             <th>Response time</th><th>Last problem</th></tr></thead><tbody>",
        );
        for c in &checks {
            row(&mut out, c, now);
        }
        out.push_str("</tbody></table>");
    }
    let _ = write!(
        out,
        "</main><footer>Alerts fire after {} consecutive failed runs. \
         <a href=\"metrics\">metrics</a> · <a href=\"api/status\">JSON</a></footer></body></html>",
        state.threshold
    );
    out
}

fn row(out: &mut String, c: &CheckState, now: f64) {
    let (class, word) = match (c.up, c.firing_since.is_some()) {
        (true, _) => ("up", "UP"),
        (false, true) => ("firing", "ALERT"),
        (false, false) => ("down", "DOWN"),
    };
    let _ = write!(
        out,
        "<tr class=\"check {class}\" data-suite=\"{}\" data-check=\"{}\"><td><span class=\"state {class}\">{word}</span></td>\
         <td><span class=\"name\">{}</span><br><span class=\"suite\">{} · {}</span></td>\
         <td class=\"since\" title=\"{} UTC\">{}</td><td><div class=\"strip\">",
        esc(&c.suite),
        esc(&c.check),
        esc(&c.check),
        esc(&c.suite),
        esc(&c.environment),
        esc(&clock(c.since)),
        esc(&ago(now - c.since))
    );
    for s in &c.history {
        let _ = write!(
            out,
            "<i class=\"{}\" title=\"{} at {} UTC, {}\"></i>",
            s.outcome.name(),
            s.outcome.name(),
            esc(&clock(s.at)),
            esc(&seconds(s.seconds))
        );
    }
    let _ = write!(
        out,
        "</div></td><td>{} <span class=\"ok\">{}</span></td><td>",
        sparkline(c),
        esc(&seconds(c.last_seconds))
    );
    match &c.last_problem {
        Some((at, p)) => {
            let _ =
                write!(out, "<div class=\"problem\">{}</div><span class=\"ok\">{}</span>", esc(p), esc(&ago(now - at)));
        }
        None => out.push_str("<span class=\"ok\">none</span>"),
    }
    out.push_str("</td></tr>");
}

/// Response times of the last results as a line, failed runs as red dots.
fn sparkline(c: &CheckState) -> String {
    const W: f64 = 120.0;
    const H: f64 = 24.0;
    let n = c.history.len();
    if n == 0 {
        return String::new();
    }
    let max = c.history.iter().map(|s| s.seconds).fold(0.001, f64::max);
    let x = |i: usize| if n == 1 { W / 2.0 } else { 2.0 + i as f64 * (W - 4.0) / (n - 1) as f64 };
    let y = |v: f64| H - 2.0 - (v / max) * (H - 4.0);
    let points: Vec<String> =
        c.history.iter().enumerate().map(|(i, s)| format!("{:.1},{:.1}", x(i), y(s.seconds))).collect();
    let mut svg = format!(
        "<svg class=\"spark\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"response times\">\
         <polyline fill=\"none\" stroke=\"#3b6fd4\" stroke-width=\"1.5\" points=\"{}\"/>",
        points.join(" ")
    );
    for (i, s) in c.history.iter().enumerate().filter(|(_, s)| !s.outcome.is_up()) {
        let color = if s.outcome == Outcome::Failed { "#d64545" } else { "#6b4bbd" };
        let _ = write!(svg, "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.2\" fill=\"{color}\"/>", x(i), y(s.seconds));
    }
    svg.push_str("</svg>");
    svg
}

/// HTML text and attribute escaping.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `2026-12-07 12:00:05`
fn clock(unix: f64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs_f64(unix.max(0.0));
    let dt: chrono::DateTime<chrono::Utc> = t.into();
    dt.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// `42s ago`, `5m ago`, `3h12m ago`, `2d ago`.
fn ago(secs: f64) -> String {
    let s = secs.max(0.0) as u64;
    match s {
        0..60 => format!("{s}s ago"),
        60..3600 => format!("{}m ago", s / 60),
        3600..86400 => format!("{}h{:02}m ago", s / 3600, (s % 3600) / 60),
        _ => format!("{}d ago", s / 86400),
    }
}

fn seconds(s: f64) -> String {
    crate::duration::human(std::time::Duration::from_secs_f64(s.max(0.0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::state::Run;

    #[test]
    fn the_page_escapes_what_it_shows_and_puts_failing_checks_first() {
        let mut s = State::new(5, 1);
        let mut run = |check, outcome, problem: Option<&str>| {
            s.record(Run {
                suite: "shop",
                check,
                environment: "prod",
                outcome,
                seconds: 0.12,
                problem: problem.map(str::to_string),
                at: 100.0,
            })
        };
        run("a healthy <check>", Outcome::Passed, None);
        run("z broken", Outcome::Failed, Some("body: expected <ok>, got \"nope\""));
        let html = render(&s, "eu", 160.0);
        assert!(html.contains("a healthy &lt;check&gt;"));
        assert!(html.contains("body: expected &lt;ok&gt;, got &quot;nope&quot;"));
        assert!(!html.contains("<check>"));
        let broken = html.find("z broken").unwrap_or(usize::MAX);
        let healthy = html.find("a healthy").unwrap_or(0);
        assert!(broken < healthy, "failing checks come first");
        assert!(html.contains("1m ago") && html.contains("<svg") && html.contains("class=\"failed\""));
        assert!(!html.contains("http://") && !html.contains("https://"), "no external asset");
    }
}
