//! Suite files to runnable suites: reads the YAML tree, checks every key, resolves every
//! interpolation, compiles JSONPath, regexes and CSS selectors, and checks file references.
//! It collects every problem in the file rather than stopping at the first.

use crate::load::diagnostic::{Diagnostic, FileDiagnostics};
use crate::load::yaml::{self, Pos};
use crate::suite::Suite;
use serde_json::Value as Json;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod browser;
mod browser_assert;
mod capture;
mod expect;
mod fields;
mod request;
mod step;
mod suite;
mod templates;

use fields::Fields;

/// What a suite may read besides its own file: the environment (with `--env-file` on top),
/// `--var` overrides, and run-wide settings.
#[derive(Clone, Debug, Default)]
pub struct LoadContext {
    pub env: HashMap<String, String>,
    pub vars: Vec<(String, String)>,
    /// `--environment`, which wins over the suite's `environment:`.
    pub environment: Option<String>,
}

/// The most problems shown for one file: a generated or mangled file can have tens of
/// thousands, and each is an excerpt of its line.
const MAX_DIAGNOSTICS: usize = 50;

/// Reads and compiles one suite file.
pub fn load_file(path: &Path, cx: &LoadContext) -> Result<Suite, FileDiagnostics> {
    let display = display_path(path);
    let fail = |message: String, source: Option<Arc<str>>, pos: Option<Pos>| FileDiagnostics {
        file: display.clone(),
        source,
        diagnostics: vec![Diagnostic { pos, len: None, message, help: None }],
    };
    let bytes = match read_suite_bytes(path) {
        Ok(b) => b,
        Err(message) => return Err(fail(message, None, None)),
    };
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            return Err(fail(
                format!("the file is not UTF-8 text (invalid byte at offset {at}); suites are YAML text"),
                None,
                None,
            ));
        }
    };
    // The text is shared (as an `Arc`) only with the diagnostics of a file that does not load.
    compile_text(&text, || Arc::from(text.as_str()), display, path.parent().unwrap_or(Path::new(".")), cx)
}

/// The bytes of a suite file, refusing what is not a regular file (a FIFO would block the
/// read forever, `/dev/zero` would never end) and what is over the size limit, before
/// reading. The file is opened without blocking and checked again through the open handle,
/// and read through a bounded reader in case it grows meanwhile.
fn read_suite_bytes(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let cap = yaml::MAX_SUITE_BYTES as u64;
    let check = |meta: &std::fs::Metadata| -> Result<(), String> {
        if !meta.is_file() {
            return Err(format!("the suite is not a regular file (it is {}); suites are YAML files", file_kind(meta)));
        }
        if meta.len() > cap {
            return Err(too_big(meta.len()));
        }
        Ok(())
    };
    let cannot = |e: std::io::Error| format!("cannot read the suite file: {e}");
    check(&std::fs::metadata(path).map_err(cannot)?)?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits());
    }
    let file = options.open(path).map_err(cannot)?;
    let meta = file.metadata().map_err(cannot)?;
    check(&meta)?;
    // Sized for the file as it is now, so it is read without growing (and if it grows, read on).
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(cap + 1).read_to_end(&mut bytes).map_err(cannot)?;
    if bytes.len() as u64 > cap {
        return Err(format!("the file grew past {cap} bytes while it was read; larger suites are refused"));
    }
    Ok(bytes)
}

fn too_big(len: u64) -> String {
    format!("the file is {len} bytes; suites larger than {} bytes are refused", yaml::MAX_SUITE_BYTES)
}

/// "a folder", "a FIFO", "a device", …: what a path that is not a regular file is.
fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() { "a folder" } else { "something other than a file" }
}

/// Compiles a suite from its text; `dir` is where relative file references point.
pub fn compile_source(
    source: Arc<str>,
    file: PathBuf,
    dir: &Path,
    lcx: &LoadContext,
) -> Result<Suite, FileDiagnostics> {
    compile_text(&source, || source.clone(), file, dir, lcx)
}

/// Compiles a suite from its text; `shared` makes the text the diagnostics show, only
/// called for a file that does not load.
fn compile_text(
    source: &str,
    shared: impl Fn() -> Arc<str>,
    file: PathBuf,
    dir: &Path,
    lcx: &LoadContext,
) -> Result<Suite, FileDiagnostics> {
    let root = match yaml::parse(source) {
        Ok(n) => n,
        Err(e) => {
            return Err(FileDiagnostics {
                file,
                source: Some(shared()),
                diagnostics: vec![Diagnostic {
                    pos: e.pos,
                    len: None,
                    message: format!("invalid YAML: {}", e.message),
                    help: None,
                }],
            });
        }
    };
    let mut cx = Compiler {
        diags: Vec::new(),
        source,
        lines: std::cell::OnceCell::new(),
        env: &lcx.env,
        secrets: HashMap::new(),
        vars: HashMap::new(),
        captures: HashSet::new(),
        dir: dir.to_path_buf(),
        json_paths: HashMap::new(),
    };
    let suite = cx.suite(root, &file, lcx);
    match suite {
        Some(s) if cx.diags.is_empty() => Ok(s),
        _ => {
            // A message may quote a value made from a secret (e.g. a URL that is one): mask
            // them here, as nothing downstream knows the secrets of a suite that did not load.
            let masks = crate::redact::Redactor::new();
            cx.secrets.values().flatten().for_each(|v| masks.add(v));
            let mut diagnostics = cx.diags;
            for d in &mut diagnostics {
                d.message = masks.redact(&d.message);
                d.help = d.help.as_deref().map(|h| masks.redact(h));
            }
            diagnostics.sort_by_key(|d| d.pos);
            if diagnostics.len() > MAX_DIAGNOSTICS {
                let more = diagnostics.len() - MAX_DIAGNOSTICS;
                diagnostics.truncate(MAX_DIAGNOSTICS);
                diagnostics.push(Diagnostic {
                    pos: None,
                    len: None,
                    message: format!("{more} more problems in this file are not shown"),
                    help: Some("fix these first: later problems are often caused by earlier ones".into()),
                });
            }
            if diagnostics.is_empty() {
                diagnostics.push(Diagnostic {
                    pos: None,
                    len: None,
                    message: "the suite is invalid".into(),
                    help: None,
                });
            }
            Err(FileDiagnostics { file, source: Some(shared()), diagnostics })
        }
    }
}

/// Shows paths relative to the working directory when they are below it.
pub fn display_path(path: &Path) -> PathBuf {
    if let Ok(cwd) = std::env::current_dir()
        && let Ok(abs) = std::path::absolute(path)
        && let Ok(rel) = abs.strip_prefix(&cwd)
    {
        return rel.to_path_buf();
    }
    path.to_path_buf()
}

struct Compiler<'a> {
    diags: Vec<Diagnostic>,
    source: &'a str,
    /// The source's lines as YAML counts them, to find expressions in: split when the first
    /// expression with a problem is looked for.
    lines: std::cell::OnceCell<Vec<&'a str>>,
    env: &'a HashMap<String, String>,
    /// Declared secret names, with their values when set.
    secrets: HashMap<String, Option<String>>,
    /// Variables known at load time.
    vars: HashMap<String, Json>,
    /// Names captured by steps seen so far, in file order.
    captures: HashSet<String>,
    dir: PathBuf,
    /// JSONPaths parsed so far, by their text: a suite asks for the same few paths in many
    /// checks, and each is parsed once and shared.
    json_paths: HashMap<String, Arc<serde_json_path::JsonPath>>,
}

impl<'a> Compiler<'a> {
    fn lines(&self) -> &[&'a str] {
        self.lines.get_or_init(|| crate::load::diagnostic::source_lines(self.source).collect())
    }

    fn err(&mut self, pos: Pos, message: impl Into<String>) {
        self.diags.push(Diagnostic::new(pos, message));
    }

    fn err_help(&mut self, pos: Pos, message: impl Into<String>, help: impl Into<String>) {
        self.diags.push(Diagnostic::new(pos, message).help(help));
    }

    /// Reports a name (of the suite, a check or a step) or a tag that names a secret: reports
    /// show names as they are, so a name must never carry a secret.
    fn no_secret_in_name(&mut self, text: &str, at: Pos, what: &str) {
        // Without `${{` it names nothing (and most names have none: no parse for them).
        let names_secret = text.contains("${{")
            && crate::suite::template::parse(text)
            .map(|pieces| {
                pieces.iter().any(|p| {
                    matches!(p, crate::suite::template::Piece::Expr(e) if e.scope == crate::suite::template::Scope::Secret)
                })
            })
            .unwrap_or(false);
        if names_secret {
            self.err_help(
                at,
                format!("{what} cannot hold a secret: names and tags are shown as written in every report"),
                "name it after what it checks, and use the secret only in the request",
            );
        }
    }
}

fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}
