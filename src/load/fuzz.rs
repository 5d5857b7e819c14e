//! A mutation fuzzer of the loader: it changes suite files (bit flips, inserted YAML and
//! template tokens, odd line breaks, long lines, deep nesting, deletions, splices between
//! files) and compiles each result, rendering any diagnostics, under `catch_unwind`. Any panic
//! is a bug: bad input must be an error with file:line:col.
//!
//! Used by the short run in `tests/fuzz_loader.rs` and the long run
//! `cargo run --release --example fuzz_loader -- --seconds 1200`.

use crate::load::{LoadContext, compile_source};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One file to mutate, and the folder its file references are relative to.
#[derive(Clone, Debug)]
pub struct Seed {
    pub name: String,
    pub text: Vec<u8>,
    pub dir: PathBuf,
}

impl Seed {
    /// Every `*.yaml` in the folders, in name order.
    pub fn from_dirs(dirs: &[&Path]) -> std::io::Result<Vec<Seed>> {
        let mut out = Vec::new();
        for dir in dirs {
            let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
                .collect();
            paths.sort();
            for p in paths {
                out.push(Seed { name: p.display().to_string(), text: std::fs::read(&p)?, dir: dir.to_path_buf() });
            }
        }
        Ok(out)
    }
}

/// When to stop.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    pub max_execs: u64,
    pub max_time: Duration,
}

/// An input that made the loader panic, with the panic's message.
#[derive(Clone, Debug)]
pub struct Crash {
    pub input: String,
    pub message: String,
    /// The seed file it was made from.
    pub seed: String,
}

/// What a run did.
#[derive(Debug, Default)]
pub struct Report {
    pub execs: u64,
    /// Inputs the loader accepted as a valid suite.
    pub valid: u64,
    pub elapsed: Duration,
    /// The slowest input and how long it took.
    pub slowest: (Duration, String),
    pub crashes: Vec<Crash>,
}

/// Tokens that YAML, templates, JSONPath and selectors give meaning to, and text that has
/// broken position arithmetic before.
const TOKENS: &[&str] = &[
    "${{",
    "}}",
    "${{ x }}",
    "${{ env.BASE_URL }}",
    "${{ secrets.A }}",
    "${{ vars.v }}",
    "$${{",
    "{",
    "}",
    "[",
    "]",
    ":",
    ": ",
    "-",
    "- ",
    "\n- ",
    ",",
    "&a ",
    "*a",
    "&a [1]",
    "!!",
    "!!str ",
    "!!binary ",
    "!!map ",
    "!!int ",
    "? ",
    "<<: ",
    "<<: *a",
    "|",
    "|-\n",
    ">",
    "#",
    "'",
    "\"",
    "\\",
    "~",
    "null",
    "true",
    "false",
    "1e999",
    "-0",
    "0x1F",
    "99999999999999999999999",
    "\u{2028}",
    "\u{2029}",
    "\u{85}",
    "\u{feff}",
    "€",
    "😀",
    "e\u{301}",
    "\u{200d}",
    "\r",
    "\r\n",
    "\t",
    "\n",
    "\u{b}",
    "\u{c}",
    "\0",
    "\u{1b}[31m",
    "%YAML 1.2\n",
    "---\n",
    "...\n",
    "$",
    "$.",
    "$..",
    "[?@.a == 1]",
    "[*]",
    "xpath=",
    "link=",
    "css=",
    "//",
    "(//",
    "2xx",
    "€xx",
    "status",
    "expect",
    "json",
    "html",
    "capture",
    "browser",
    "steps",
    "request",
    "eval",
    "script",
    "expression",
    "retry",
    "for",
    "every",
    "multipart",
    "filename",
    "path",
    "setup",
    "teardown",
    "secrets",
    "vars",
    "name",
    "checks",
    "base_url",
    "timeout",
    "see",
    "selector",
    "text",
    "attr",
    "count",
    "exists",
    "matches",
    "one_of",
    "length",
    "type",
    "sha256",
    "certificate",
    "days_left",
    "header",
    "body",
    "goto",
    "click",
    "fill",
    "upload",
    "wait_for",
    "state",
    "GET ",
    "POST ",
    "http://",
    "https://[::1",
    "3m",
    "5s",
    "0s",
    "-1s",
    "1e9h",
];

/// A small deterministic PRNG (xorshift64*), so a run is reproducible from its seed.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`0` when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next_u64() % n as u64) as usize }
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
}

/// Makes one input from the seeds: a seed changed by one to four mutations.
pub fn mutate(rng: &mut Rng, seeds: &[Seed], index: usize) -> Vec<u8> {
    let mut data = seeds[index].text.clone();
    for _ in 0..1 + rng.below(4) {
        mutate_once(rng, seeds, &mut data);
    }
    data
}

fn mutate_once(rng: &mut Rng, seeds: &[Seed], data: &mut Vec<u8>) {
    let at = rng.below(data.len() + 1);
    match rng.below(12) {
        0 if !data.is_empty() => {
            let i = rng.below(data.len());
            data[i] ^= 1 << rng.below(8);
        }
        1 | 2 => {
            let token = TOKENS[rng.below(TOKENS.len())];
            data.splice(at..at, token.bytes());
        }
        3 if !data.is_empty() => {
            let from = rng.below(data.len());
            let len = 1 + rng.below(32);
            data.drain(from..(from + len).min(data.len()));
        }
        4 => splice_other_seed(rng, seeds, data, at),
        5 if !data.is_empty() => {
            // Repeat a piece of the file.
            let from = rng.below(data.len());
            let len = 1 + rng.below((data.len() - from).min(100));
            let piece: Vec<u8> = data[from..from + len].to_vec();
            for _ in 0..1 + rng.below(4) {
                data.splice(at..at, piece.iter().copied());
            }
        }
        6 => {
            // A very long line.
            let token = TOKENS[rng.below(TOKENS.len())];
            let most = if rng.chance(8) { 20_000 } else { 2_000 };
            let n = 100 + rng.below(most);
            data.splice(at..at, token.repeat(n).into_bytes());
        }
        7 => {
            let nest = deep_nesting(rng);
            data.splice(at..at, nest.into_bytes());
        }
        8 => {
            // Swap two lines.
            let mut lines: Vec<Vec<u8>> = data.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
            if lines.len() > 1 {
                let (a, b) = (rng.below(lines.len()), rng.below(lines.len()));
                lines.swap(a, b);
                *data = lines.join(&b'\n');
            }
        }
        10 => replace_a_value(rng, data),
        9 if !data.is_empty() => {
            // Replace a character with an odd one.
            let odd = ["\u{2028}", "\u{85}", "€", "\r", "\t", "\0", "😀", "\"", "'", ":", "#"];
            let i = rng.below(data.len());
            data.splice(i..i + 1, odd[rng.below(odd.len())].bytes());
        }
        _ => {
            // Cut the file short.
            data.truncate(at);
        }
    }
}

/// Splices a piece of another seed in, replacing a piece of this one.
fn splice_other_seed(rng: &mut Rng, seeds: &[Seed], data: &mut Vec<u8>, at: usize) {
    let other = &seeds[rng.below(seeds.len())].text;
    if other.is_empty() {
        return;
    }
    let from = rng.below(other.len());
    let len = 1 + rng.below((other.len() - from).min(200));
    let cut = (at + rng.below(40)).min(data.len());
    data.splice(at..cut, other[from..from + len].iter().copied());
}

/// Deep nesting, in flow or block style.
fn deep_nesting(rng: &mut Rng) -> String {
    let most = if rng.chance(4) { 3_000 } else { 200 };
    let depth = 10 + rng.below(most);
    match rng.below(4) {
        0 => format!("{}{}", "[".repeat(depth), "]".repeat(depth)),
        1 => format!("{}x{}", "{a: ".repeat(depth), "}".repeat(depth)),
        2 => (0..depth.min(400)).map(|i| format!("\n{}- ", "  ".repeat(i))).collect(),
        _ => (0..depth.min(400)).map(|i| format!("\n{}k{i}:", " ".repeat(i))).collect(),
    }
}

/// Replaces a value (after `: `) with a token: `status: €`, `for: 1e9h`, `json: [`.
fn replace_a_value(rng: &mut Rng, data: &mut Vec<u8>) {
    let starts: Vec<usize> = data.windows(2).enumerate().filter(|(_, w)| w == b": ").map(|(i, _)| i + 2).collect();
    if starts.is_empty() {
        return;
    }
    let from = starts[rng.below(starts.len())];
    let end = data[from..].iter().position(|b| matches!(b, b'\n' | b',' | b'}')).map_or(data.len(), |e| from + e);
    let token = TOKENS[rng.below(TOKENS.len())];
    let value = if rng.chance(2) { format!("\"{token}\"") } else { token.to_string() };
    data.splice(from..end, value.into_bytes());
}

/// Compiles one input and renders its diagnostics; `Err` with the panic's message if any of
/// it panicked.
pub fn check(text: &str, seed: &Seed, cx: &LoadContext) -> Result<bool, String> {
    let source: Arc<str> = Arc::from(text);
    let file = PathBuf::from("fuzz.yaml");
    let outcome = catch_unwind(AssertUnwindSafe(|| match compile_source(source, file, &seed.dir, cx) {
        Ok(_) => true,
        Err(diags) => {
            let _ = diags.render(false);
            let _ = diags.render(true);
            let _ = diags.one_line_each();
            false
        }
    }));
    outcome.map_err(|payload| {
        LAST_PANIC.lock().ok().and_then(|mut m| m.take()).unwrap_or_else(|| {
            payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into())
        })
    })
}

static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

/// The context inputs compile in: the environment names the bundled suites use.
pub fn context() -> LoadContext {
    let env = [("BASE_URL", "http://127.0.0.1:1"), ("GIT_SHA", "c0ffee"), ("SMOKE_PASSWORD", "pw"), ("X", "x")];
    LoadContext {
        env: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        vars: vec![("v".into(), "1".into())],
        environment: None,
    }
}

/// Mutates and compiles until the budget is spent. Runs on a thread with the stack the
/// application loads suites with (8 MiB). Panics are caught, recorded with their message
/// (the panic hook is quiet meanwhile), and the run goes on.
pub fn run(seeds: Vec<Seed>, seed: u64, budget: Budget, mut progress: impl FnMut(&Report) + Send) -> Report {
    if seeds.is_empty() {
        return Report::default();
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|info| {
        let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".into());
        if let Ok(mut m) = LAST_PANIC.lock() {
            *m = Some(format!("{message}{at}"));
        }
    }));
    let report = std::thread::scope(|s| {
        let worker = std::thread::Builder::new().stack_size(8 * 1024 * 1024).spawn_scoped(s, || {
            let cx = context();
            let mut rng = Rng::new(seed);
            let mut report = Report::default();
            let started = Instant::now();
            let mut last_progress = Instant::now();
            while report.execs < budget.max_execs && started.elapsed() < budget.max_time {
                let index = rng.below(seeds.len());
                let input = String::from_utf8_lossy(&mutate(&mut rng, &seeds, index)).into_owned();
                let t = Instant::now();
                let result = check(&input, &seeds[index], &cx);
                let took = t.elapsed();
                report.execs += 1;
                if took > report.slowest.0 {
                    report.slowest = (took, input.clone());
                }
                match result {
                    Ok(true) => report.valid += 1,
                    Ok(false) => {}
                    Err(message) => report.crashes.push(Crash { input, message, seed: seeds[index].name.clone() }),
                }
                if last_progress.elapsed() > Duration::from_secs(10) {
                    report.elapsed = started.elapsed();
                    progress(&report);
                    last_progress = Instant::now();
                }
            }
            report.elapsed = started.elapsed();
            report
        });
        worker.ok().and_then(|w| w.join().ok())
    });
    std::panic::set_hook(previous);
    report.unwrap_or_default()
}
