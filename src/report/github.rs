//! GitHub Actions: workflow-command annotations on the suite lines (`::error` for a failing or
//! erroring check, `::warning` for a flaky one, `::notice` for what did not run) and a Markdown
//! step summary appended to `$GITHUB_STEP_SUMMARY`. On by default when `GITHUB_ACTIONS=true`.
//!
//! Everything the run printed before the annotations (check names, messages, response excerpts
//! on the terminal) could hold text that looks like a workflow command (`::add-mask::`,
//! `::error::`…). So at the start of the run the reporter stops the runner's command
//! processing with a token nobody can guess, and resumes it only to write its own annotations.

use super::Reporter;
use super::details;
use super::gather::{Gathered, SuiteResult};
use super::{ReportError, ReportOptions};
use crate::event::Event;
use crate::redact::Redactor;
use crate::result::{CaseKind, CaseResult, Problem, Status};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Where GitHub wants to be told, from the environment at the command line's boundary.
#[derive(Clone, Debug, Default)]
pub struct GithubOptions {
    /// `$GITHUB_WORKSPACE` (else the working directory): annotation paths are relative to it.
    pub workspace: Option<PathBuf>,
    /// `$GITHUB_STEP_SUMMARY`: the Markdown summary is appended to it.
    pub step_summary: Option<PathBuf>,
}

/// At most this many annotations of each level; GitHub shows only the first few of a step
/// anyway, and the step summary lists every problem.
const MAX_ANNOTATIONS: usize = 50;
/// The step summary's size bound: GitHub refuses a step's summary over 1 MiB.
pub const MAX_SUMMARY: usize = 512 * 1024;
/// How much of one annotation message (details included) is shown.
const MAX_MESSAGE: usize = 4000;
/// How much of one value a summary table cell shows.
const MAX_CELL: usize = 200;
/// How many of the slowest checks the summary lists.
const SLOWEST: usize = 5;

/// Gathers the run; annotates and writes the summary at its end.
pub struct GithubReporter {
    redactor: Redactor,
    opts: GithubOptions,
    /// The run's name (`shakedown (shard 1/3)`).
    title: String,
    reports: Vec<(&'static str, PathBuf)>,
    gathered: Gathered,
    /// The token that resumes workflow commands, once they were stopped.
    stop_token: Option<String>,
}

impl GithubReporter {
    pub fn new(opts: &ReportOptions, github: GithubOptions, redactor: Redactor) -> GithubReporter {
        let mut reports = Vec::new();
        if let Some(p) = &opts.junit {
            reports.push(("JUnit", p.clone()));
        }
        if let Some(p) = &opts.json {
            reports.push(("JSON", p.clone()));
        }
        GithubReporter {
            redactor,
            opts: github,
            title: opts.run_name(),
            reports,
            gathered: Gathered::default(),
            stop_token: None,
        }
    }

    fn print(&self, text: &str) {
        // After the terminal's lines held so far, so that nothing printed before a workflow
        // command comes after it.
        super::out::now(text);
    }
}

impl Reporter for GithubReporter {
    fn on_event(&mut self, event: &Event) {
        if self.stop_token.is_none() {
            let token = stop_token();
            self.print(&format!("::stop-commands::{token}"));
            self.stop_token = Some(token);
        }
        self.gathered.on_event(event);
    }

    fn finish(&mut self) -> Result<(), ReportError> {
        if let Some(token) = self.stop_token.take() {
            self.print(&format!("::{token}::"));
        }
        let workspace = self.opts.workspace.clone().or_else(|| std::env::current_dir().ok()).unwrap_or_default();
        for line in annotations(&self.gathered, &self.redactor, &workspace) {
            self.print(&line);
        }
        if let Some(path) = &self.opts.step_summary {
            let text = summary(&self.gathered, &self.redactor, &self.title, &self.reports, &workspace);
            append(path, &text).map_err(|source| ReportError::Write {
                what: "GitHub step summary",
                path: path.clone(),
                source,
            })?;
        }
        Ok(())
    }
}

/// A token for `::stop-commands::` that nothing the target sent can know in advance.
fn stop_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
    h.write_u32(std::process::id());
    format!("shakedown-{:016x}", h.finish())
}

fn append(path: &Path, text: &str) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    f.write_all(text.as_bytes())?;
    f.flush()
}

/// The workflow commands for a run, in run order: errors, then warnings, then notices, each
/// bounded to [`MAX_ANNOTATIONS`].
pub fn annotations(run: &Gathered, r: &Redactor, workspace: &Path) -> Vec<String> {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut notices = Vec::new();
    for s in &run.suites {
        let file = relative_file(&s.info.file, workspace);
        for c in &s.cases {
            match c.status {
                Status::Failed | Status::Errored => {
                    let Some(p) = &c.problem else { continue };
                    let line = p.line.or(c.line);
                    let mut message = details::headline(p, r);
                    let d = details::details(p, r);
                    if !d.is_empty() {
                        message = format!("{message}\n\n{d}");
                    }
                    errors.push(command("error", &file, s, c, line, &message, r));
                }
                Status::Flaky => {
                    let first = c.earlier_attempts.first().map(|p| details::headline(p, r)).unwrap_or_default();
                    let n = c.earlier_attempts.len();
                    let message = format!("passed only after {n} failed attempt(s); the first: {first}");
                    warnings.push(command("warning", &file, s, c, c.line, &message, r));
                }
                Status::Passed | Status::Skipped => {}
            }
        }
        notices.extend(skip_notices(s, &file, r));
    }
    let mut out = Vec::new();
    for (level, list) in [("error", errors), ("warning", warnings), ("notice", notices)] {
        let more = list.len().saturating_sub(MAX_ANNOTATIONS);
        out.extend(list.into_iter().take(MAX_ANNOTATIONS));
        if more > 0 {
            out.push(format!(
                "::{level} title=shakedown::{}",
                data(&format!("{more} more {level}s: the step summary and the reports list them all"))
            ));
        }
    }
    out
}

/// A `::notice` for each reason checks of a suite did not run: one for the suite when they all
/// share it (its setup failed), else one per check.
fn skip_notices(s: &SuiteResult, file: &str, r: &Redactor) -> Vec<String> {
    let skipped: Vec<&CaseResult> = s.cases.iter().filter(|c| c.status == Status::Skipped).map(|c| &**c).collect();
    let why = |c: &CaseResult| c.problem.as_ref().map(|p| details::headline(p, r)).unwrap_or_default();
    let Some(first) = skipped.first() else { return Vec::new() };
    let checks = s.cases.iter().filter(|c| c.kind == CaseKind::Check).count();
    if skipped.len() > 1 && skipped.len() == checks && skipped.iter().all(|c| why(c) == why(first)) {
        let title = format!("{} (suite not run)", s.info.name);
        let reason = why(first);
        let message =
            format!("{} checks did not run: {}", skipped.len(), reason.strip_prefix("not run: ").unwrap_or(&reason));
        return vec![format!("::notice {}::{}", props(file, None, &title, r), data(&r.redact(&message)))];
    }
    skipped.into_iter().map(|c| command("notice", file, s, c, c.line, &why(c), r)).collect()
}

fn command(
    level: &str,
    file: &str,
    s: &SuiteResult,
    c: &CaseResult,
    line: Option<u32>,
    message: &str,
    r: &Redactor,
) -> String {
    let title = format!("{} › {}", s.info.name, c.name);
    let message = crate::judge::truncate(&clean(&r.redact(message)), MAX_MESSAGE);
    format!("::{level} {}::{}", props(file, line, &title, r), data(&message))
}

/// `file=…,line=…,title=…`, masked and escaped. A testcase with no place in a file (the deploy
/// gate) has no `file`.
fn props(file: &str, line: Option<u32>, title: &str, r: &Redactor) -> String {
    let mut out = Vec::new();
    if !file.is_empty() {
        out.push(format!("file={}", property(&r.redact(file))));
        if let Some(l) = line.filter(|l| *l > 0) {
            out.push(format!("line={l}"));
        }
    }
    out.push(format!("title={}", property(&clean(&r.redact(title)))));
    out.join(",")
}

/// The suite file relative to the workspace, with `/` separators; as given when it is outside.
fn relative_file(file: &Path, workspace: &Path) -> String {
    // A `[gate]` suite has a URL, not a file.
    if file.to_string_lossy().contains("://") {
        return String::new();
    }
    let absolute = if file.is_absolute() {
        file.to_path_buf()
    } else {
        std::env::current_dir().map(|d| d.join(file)).unwrap_or_else(|_| file.to_path_buf())
    };
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let rel = canon(&absolute).strip_prefix(canon(workspace)).map(Path::to_path_buf).unwrap_or_else(|_| {
        absolute.strip_prefix(workspace).map(Path::to_path_buf).unwrap_or_else(|_| file.to_path_buf())
    });
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// Escapes a workflow command's message: `%`, `\r`, `\n`.
pub fn data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a workflow command's property value: as [`data`], and `:` and `,`.
pub fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

/// ANSI escapes and control characters (but newlines) removed.
fn clean(s: &str) -> String {
    super::junit::strip_ansi(s).chars().filter(|c| !c.is_control() || matches!(c, '\n' | '\t')).collect()
}

/// The Markdown step summary, at most [`MAX_SUMMARY`] bytes: the verdict and totals, the
/// problems (which get what is left of the budget), then flaky and slow checks and artifacts.
pub fn summary(run: &Gathered, r: &Redactor, title: &str, reports: &[(&str, PathBuf)], workspace: &Path) -> String {
    let mut out = totals_section(run, r, title);
    // The later sections are short; the problems table gets what is left of the budget.
    let mut tail = flaky_section(run, r, workspace);
    tail.push_str(&slowest_section(run, r));
    tail.push_str(&artifacts_section(run, r, reports));
    let tail = bounded(tail, MAX_SUMMARY / 4);
    problems_section(&mut out, run, r, workspace, tail.len());
    out.push_str(&tail);
    bounded(out, MAX_SUMMARY)
}

/// The heading with the verdict, the totals table, and whether the run was stopped early.
fn totals_section(run: &Gathered, r: &Redactor, title: &str) -> String {
    let mut out = String::new();
    let t = run.summary.map(|s| s.totals).unwrap_or_default();
    let gate_failed = run
        .suites
        .iter()
        .flat_map(|s| &s.cases)
        .any(|c| c.kind == CaseKind::Gate && matches!(c.status, Status::Failed | Status::Errored));
    let verdict = if gate_failed {
        "❌ the new version never went live"
    } else if t.failed + t.errors > 0 {
        "❌ failed"
    } else if t.tests == 0 {
        "⚠️ nothing ran"
    } else {
        "✅ passed"
    };
    let duration = run.summary.map(|s| crate::duration::human(s.duration)).unwrap_or_default();
    let _ = writeln!(out, "## {}: {verdict}\n", cell(title, r));
    let _ = writeln!(out, "| checks | passed | failed | errors | flaky | skipped | suites | time |");
    let _ = writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|---:|");
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} | {} | {duration} |\n",
        t.tests,
        t.passed,
        t.failed,
        t.errors,
        t.flaky,
        t.skipped,
        run.suites.len()
    );
    if let Some(why) = run.summary.and_then(|s| s.interrupted) {
        let _ = writeln!(out, "The run was stopped early ({why:?}): unfinished checks are errors.\n");
    }
    out
}

/// Checks that passed only after failed attempts, or whose steps needed retries.
fn flaky_section(run: &Gathered, r: &Redactor, workspace: &Path) -> String {
    let mut tail = String::new();
    let flaky: Vec<(&SuiteResult, &CaseResult)> =
        cases(run).filter(|(_, c)| c.status == Status::Flaky || !c.retried_steps.is_empty()).collect();
    if !flaky.is_empty() {
        let _ = writeln!(tail, "### Flaky\n");
        for (s, c) in flaky.iter().take(100) {
            let what = if c.status == Status::Flaky {
                format!("passed after {} failed attempt(s)", c.earlier_attempts.len())
            } else {
                c.retried_steps.iter().map(|x| x.to_string()).collect::<Vec<_>>().join("; ")
            };
            let place = place(s, c.line, workspace);
            let _ = writeln!(tail, "- {} › {}: {} ({place})", cell(&s.info.name, r), cell(&c.name, r), cell(&what, r));
        }
        tail.push('\n');
    }
    tail
}

/// The [`SLOWEST`] checks that ran, slowest first.
fn slowest_section(run: &Gathered, r: &Redactor) -> String {
    let mut tail = String::new();
    let mut slow: Vec<(&SuiteResult, &CaseResult)> = cases(run).filter(|(_, c)| c.status != Status::Skipped).collect();
    slow.sort_by_key(|(_, c)| std::cmp::Reverse(c.duration));
    if !slow.is_empty() {
        let _ = writeln!(tail, "### Slowest checks\n\n| check | time |\n|---|---:|");
        for (s, c) in slow.iter().take(SLOWEST) {
            let _ = writeln!(
                tail,
                "| {} › {} | {} |",
                cell(&s.info.name, r),
                cell(&c.name, r),
                crate::duration::human(c.duration)
            );
        }
        tail.push('\n');
    }
    tail
}

/// The report files and every check's artifacts (at most 200 listed).
fn artifacts_section(run: &Gathered, r: &Redactor, reports: &[(&str, PathBuf)]) -> String {
    let mut tail = String::new();
    let artifacts: Vec<(&SuiteResult, &CaseResult, &PathBuf)> =
        cases(run).flat_map(|(s, c)| c.attachments.iter().map(move |a| (s, c, a))).collect();
    if !artifacts.is_empty() || !reports.is_empty() {
        let _ = writeln!(tail, "### Reports and artifacts\n");
        for (what, p) in reports {
            let _ = writeln!(tail, "- {what} report: {}", cell(&p.display().to_string(), r));
        }
        for (s, c, a) in artifacts.iter().take(200) {
            let _ = writeln!(
                tail,
                "- {} › {}: {}",
                cell(&s.info.name, r),
                cell(&c.name, r),
                cell(&a.display().to_string(), r)
            );
        }
        if artifacts.len() > 200 {
            let _ = writeln!(tail, "- … and {} more", artifacts.len() - 200);
        }
        tail.push('\n');
    }
    tail
}

/// The table of failed and errored checks, as many rows as fit beside a tail of `tail_len`
/// bytes, and how many were left out.
fn problems_section(out: &mut String, run: &Gathered, r: &Redactor, workspace: &Path, tail_len: usize) {
    let problems: Vec<(&SuiteResult, &CaseResult, &Problem)> = cases(run)
        .filter(|(_, c)| matches!(c.status, Status::Failed | Status::Errored))
        .filter_map(|(s, c)| c.problem.as_deref().map(|p| (s, c, p)))
        .collect();
    if problems.is_empty() {
        return;
    }
    let _ = writeln!(out, "### Problems\n\n| check | kind | expected | actual | where |\n|---|---|---|---|---|");
    let budget = MAX_SUMMARY.saturating_sub(out.len() + tail_len + 200);
    let mut shown = 0;
    for (s, c, p) in &problems {
        let (expected, actual) = match p.findings.first() {
            Some(f) => (f.expected.as_str(), f.actual.as_str()),
            None => ("", ""),
        };
        let what = if p.findings.is_empty() { details::headline(p, r) } else { String::new() };
        let actual = if what.is_empty() { cell(actual, r) } else { cell(&what, r) };
        let kind = format!("{} ({})", if c.status == Status::Failed { "failure" } else { "error" }, p.type_);
        let row = format!(
            "| {} › {} | {kind} | {} | {actual} | {} |\n",
            cell(&s.info.name, r),
            cell(&c.name, r),
            cell(expected, r),
            place(s, p.line.or(c.line), workspace)
        );
        if out.len() + row.len() > budget {
            break;
        }
        out.push_str(&row);
        shown += 1;
    }
    if shown < problems.len() {
        let _ = writeln!(
            out,
            "\n… {} more problems not shown (the summary is kept under {} KiB; the JUnit and JSON reports hold them all).",
            problems.len() - shown,
            MAX_SUMMARY / 1024
        );
    }
    out.push('\n');
}

fn cases(run: &Gathered) -> impl Iterator<Item = (&SuiteResult, &CaseResult)> {
    run.suites.iter().flat_map(|s| s.cases.iter().map(move |c| (s, &**c)))
}

/// `suites/shop.yaml:12`, relative to the workspace.
fn place(s: &SuiteResult, line: Option<u32>, workspace: &Path) -> String {
    let file = relative_file(&s.info.file, workspace);
    let file = if file.is_empty() { s.info.file.display().to_string() } else { file };
    let text = match line {
        Some(l) if l > 0 => format!("{file}:{l}"),
        _ => file,
    };
    escape_markdown(&text)
}

/// A value for a Markdown table cell: masked, cut, and escaped so that it stays one cell of one
/// row and shows as the text it is.
pub fn cell(s: &str, r: &Redactor) -> String {
    escape_markdown(&crate::judge::truncate(&clean(&r.redact(s)), MAX_CELL))
}

/// Markdown and HTML made literal; a line break becomes `<br>`, a `|` no longer ends a cell.
pub fn escape_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' => out.push_str("&#124;"),
            '`' => out.push_str("&#96;"),
            '\\' => out.push_str("&#92;"),
            '\n' => out.push_str("<br>"),
            '\r' => {}
            '*' | '_' | '[' | ']' | '~' | '#' | '!' | '$' => {
                out.push('\\');
                out.push(ch);
            }
            c => out.push(c),
        }
    }
    out
}

/// At most `max` bytes, cut at a line with a note.
fn bounded(s: String, max: usize) -> String {
    if s.len() <= max {
        return s;
    }
    let note = "\n… (cut: the summary is kept small; the reports hold everything)\n";
    let mut end = max.saturating_sub(note.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let end = s[..end].rfind('\n').unwrap_or(end);
    format!("{}{note}", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_command_escaping() {
        assert_eq!(data("100% done\r\nnext::x, y: z"), "100%25 done%0D%0Anext::x, y: z");
        assert_eq!(property("a,b:c%\n"), "a%2Cb%3Ac%25%0A");
    }

    #[test]
    fn markdown_cells_stay_one_cell() {
        assert_eq!(escape_markdown("a|b\nc `d` <i>"), "a&#124;b<br>c &#96;d&#96; &lt;i&gt;");
    }

    #[test]
    fn a_long_text_is_cut_at_a_line_with_a_note() {
        let s = "line\n".repeat(1000);
        let b = bounded(s, 1000);
        assert!(b.len() <= 1000, "{}", b.len());
        assert!(b.ends_with("the reports hold everything)\n"));
    }
}
