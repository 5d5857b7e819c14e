//! Problems found in suite files, with the file, line and column and an excerpt of the line.

use crate::load::yaml::Pos;
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use std::path::PathBuf;
use std::sync::Arc;

/// One problem at one place.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub pos: Option<Pos>,
    /// Length of the underlined text in bytes; `None` underlines the token at `pos`.
    pub len: Option<usize>,
    pub message: String,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(pos: Pos, message: impl Into<String>) -> Self {
        Diagnostic { pos: Some(pos), len: None, message: message.into(), help: None }
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// Every problem found in one file.
#[derive(Clone, Debug)]
pub struct FileDiagnostics {
    pub file: PathBuf,
    pub source: Option<Arc<str>>,
    pub diagnostics: Vec<Diagnostic>,
}

impl FileDiagnostics {
    /// `file:line:col: message` for each problem, one a line (for logs and JUnit).
    pub fn one_line_each(&self) -> Vec<String> {
        self.diagnostics
            .iter()
            .map(|d| match d.pos {
                Some(p) => format!("{}:{}:{}: {}", self.file.display(), p.line, p.col, d.message),
                None => format!("{}: {}", self.file.display(), d.message),
            })
            .collect()
    }

    /// rustc-style excerpts with a caret under the offending text.
    pub fn render(&self, color: bool) -> String {
        let renderer = if color { Renderer::styled() } else { Renderer::plain() };
        let path = self.file.display().to_string();
        let mut out = String::new();
        for d in &self.diagnostics {
            let located = d.pos.and_then(|p| {
                let src = self.source.as_deref()?;
                let line = src.lines().nth(p.line.checked_sub(1)? as usize)?;
                Some((p, line))
            });
            let title = Level::ERROR.primary_title(d.message.as_str());
            let group = match located {
                Some((p, line)) => {
                    let start = char_col_to_byte(line, p.col);
                    let len = d.len.unwrap_or_else(|| token_len(&line[start..])).max(1);
                    let end = (start + len).min(line.len()).max(start);
                    let span = if start >= line.len() { line.len()..line.len() } else { start..end };
                    title.element(
                        Snippet::source(line)
                            .line_start(p.line as usize)
                            .path(path.as_str())
                            .annotation(AnnotationKind::Primary.span(span)),
                    )
                }
                None => {
                    let at = match d.pos {
                        Some(p) => format!("{path}:{}:{}", p.line, p.col),
                        None => path.clone(),
                    };
                    title.element(Level::NOTE.message(format!("in {at}")))
                }
            };
            let mut report: Vec<Group> = vec![group];
            if let Some(help) = &d.help {
                report.push(Group::with_title(Level::HELP.secondary_title(help.as_str())));
            }
            out.push_str(&renderer.render(&report));
            out.push_str("\n\n");
        }
        out
    }
}

/// Columns are counted in characters; the excerpt needs bytes.
fn char_col_to_byte(line: &str, col: u32) -> usize {
    line.char_indices().nth(col.saturating_sub(1) as usize).map_or(line.len(), |(i, _)| i)
}

/// The length of the YAML token starting here: a quoted string, a key, or a plain scalar.
fn token_len(rest: &str) -> usize {
    let mut chars = rest.char_indices();
    match chars.next() {
        Some((_, q @ ('"' | '\''))) => chars.find(|&(_, c)| c == q).map_or(rest.len(), |(i, c)| i + c.len_utf8()),
        Some(_) => rest.find(": ").or_else(|| rest.find(" #")).unwrap_or(rest.trim_end().len()),
        None => 1,
    }
}

/// "did you mean" for a misspelt key.
pub fn suggest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::levenshtein(word, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_file_line_col_and_caret() {
        let fd = FileDiagnostics {
            file: "suites/a.yaml".into(),
            source: Some("name: a\nchecks:\n  - nme: x\n".into()),
            diagnostics: vec![Diagnostic::new(Pos::new(3, 5), "unknown key `nme`").help("did you mean `name`?")],
        };
        let text = fd.render(false);
        assert!(text.contains("suites/a.yaml:3:5"), "{text}");
        assert!(text.contains("- nme: x"), "{text}");
        assert!(text.contains("^^^"), "{text}");
        assert!(text.contains("did you mean `name`?"), "{text}");
        assert_eq!(fd.one_line_each(), vec!["suites/a.yaml:3:5: unknown key `nme`"]);
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("nme", &["name", "checks"]), Some("name"));
        assert_eq!(suggest("zzzzzz", &["name", "checks"]), None);
    }
}
