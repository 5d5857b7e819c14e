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
                let line = source_line(src, p.line)?;
                Some((p, line))
            });
            let title = Level::ERROR.primary_title(d.message.as_str());
            let group = match located {
                Some((p, line)) => {
                    let (shown, span, windowed) = excerpt(line, p.col, d.len);
                    let snippet = Snippet::source(shown).line_start(p.line as usize);
                    if windowed {
                        // The renderer would count the column in the window: give it in words.
                        title
                            .element(Level::NOTE.message(format!("in {path}:{}:{}", p.line, p.col)))
                            .element(snippet.annotation(AnnotationKind::Primary.span(span)))
                    } else {
                        title.element(snippet.path(path.as_str()).annotation(AnnotationKind::Primary.span(span)))
                    }
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

/// Line `n` (1-based) of a suite, with lines ended as YAML ends them: `\n`, `\r\n` or a lone
/// `\r`, so that the excerpt is the line the parser's position counts.
pub fn source_line(src: &str, n: u32) -> Option<&str> {
    source_lines(src).nth(n.checked_sub(1)? as usize)
}

/// The lines of a suite as YAML counts them (`\n`, `\r\n`, or a lone `\r`).
pub fn source_lines(src: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(src);
    std::iter::from_fn(move || {
        let text = rest?;
        match text.find(['\n', '\r']) {
            Some(i) => {
                let skip = if text[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = Some(&text[i + skip..]).filter(|r| !r.is_empty());
                Some(&text[..i])
            }
            None => {
                rest = None;
                Some(text)
            }
        }
    })
}

/// The line to show and the span to underline in it. Characters a terminal would take for a
/// line break (U+2028, U+2029, U+0085, vertical tab, form feed) are shown as `␤`, one
/// character for one, so the caret stays under the column; a column past the end of the line
/// points just after it; the span always lies on character boundaries. A line longer than
/// `MAX_EXCERPT_CHARS` is cut to a window around the span (`true`: the renderer's column
/// would be the window's, so the caller names the place itself).
fn excerpt(line: &str, col: u32, len: Option<usize>) -> (String, std::ops::Range<usize>, bool) {
    let start = char_col_to_byte(line, col);
    let len = len.unwrap_or_else(|| token_len(&line[start..])).max(1);
    let mut end = (start + len).min(line.len());
    while !line.is_char_boundary(end) {
        end += 1;
    }
    let (first, last) = (line[..start].chars().count(), line[..end].chars().count());
    let shown: String = line
        .chars()
        .map(|c| match c {
            '\u{2028}' | '\u{2029}' | '\u{85}' | '\u{b}' | '\u{c}' | '\r' | '\n' => '\u{2424}',
            c => c,
        })
        .collect();
    // A very long line is shown around the span only.
    let total = shown.chars().count();
    let windowed = total > MAX_EXCERPT_CHARS;
    let (shown, first, last) = if windowed {
        let from = first.saturating_sub(MAX_EXCERPT_CHARS / 4);
        let to = (from + MAX_EXCERPT_CHARS).min(total);
        let lead = if from > 0 { "…" } else { "" };
        let tail = if to < total { "…" } else { "" };
        let window: String = shown.chars().skip(from).take(to - from).collect();
        let off = lead.chars().count();
        (format!("{lead}{window}{tail}"), first - from + off, last.min(to) - from + off)
    } else {
        (shown, first, last)
    };
    let byte_at = |chars: usize| shown.char_indices().nth(chars).map_or(shown.len(), |(i, _)| i);
    let span = if start >= line.len() { shown.len()..shown.len() } else { byte_at(first)..byte_at(last) };
    (shown, span, windowed)
}

/// The longest excerpt shown, in characters.
const MAX_EXCERPT_CHARS: usize = 400;

/// Columns are counted in characters; the excerpt needs bytes. A column past the end of the
/// line is the end of the line.
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

    /// Every Unicode line terminator, wide and combining characters, and columns and lengths
    /// past the end of the line: the excerpt is shown, never a panic.
    #[test]
    fn odd_characters_and_columns_render() {
        let odd =
            ["\u{2028}", "\u{2029}", "\u{85}", "\r", "\r\n", "\u{b}", "\u{c}", "€", "😀", "\u{301}", "\u{0}", "\t"];
        for c in odd {
            for text in
                [format!("a: {c}\n"), format!("a: \"x{c}y\" z\n"), c.to_string(), format!("k: {c}{c}x{c}\nb: c\n")]
            {
                for line in 0..4 {
                    for col in 0..12 {
                        for len in [None, Some(1), Some(2), Some(100)] {
                            let fd = FileDiagnostics {
                                file: "a.yaml".into(),
                                source: Some(text.as_str().into()),
                                diagnostics: vec![Diagnostic {
                                    pos: Some(Pos::new(line, col)),
                                    len,
                                    message: "m".into(),
                                    help: None,
                                }],
                            };
                            assert!(fd.render(false).contains("a.yaml"), "{text:?} {line}:{col}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_very_long_line_is_shown_around_the_problem() {
        let line = format!("a: {}TARGET{}", "x".repeat(50_000), "€".repeat(50_000));
        for (col, len) in [(50_004, Some(6)), (1, None), (100_010, None), (200_000, Some(3)), (50_004, Some(1_000_000))]
        {
            let fd = FileDiagnostics {
                file: "a.yaml".into(),
                source: Some(line.as_str().into()),
                diagnostics: vec![Diagnostic { pos: Some(Pos::new(1, col)), len, message: "m".into(), help: None }],
            };
            let text = fd.render(false);
            assert!(text.len() < 4_000, "{} bytes for column {col}", text.len());
            if col == 50_004 && len == Some(6) {
                assert!(text.contains("a.yaml:1:50004"), "{text}");
                assert!(text.contains("xxxTARGET€€€"), "{text}");
                assert!(text.contains("^^^^^^"), "{text}");
            }
        }
    }

    #[test]
    fn lines_end_as_yaml_ends_them() {
        let lines: Vec<&str> = source_lines("a\nb\r\nc\rd\u{2028}e\n").collect();
        assert_eq!(lines, ["a", "b", "c", "d\u{2028}e"]);
        assert_eq!(source_line("a\rb", 2), Some("b"));
        assert_eq!(source_line("a", 0), None);
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("nme", &["name", "checks"]), Some("name"));
        assert_eq!(suggest("zzzzzz", &["name", "checks"]), None);
    }
}
