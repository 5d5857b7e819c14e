//! `validate` and `list`: load the suites and say what is in them.

use super::discover::{load_all, select, shard};
use super::{err, out};
use crate::cli::{ListArgs, LoadArgs};
use crate::exit;
use crate::load::diagnostic::FileDiagnostics;
use std::io::Write;

/// Prints every problem of every file, then how many.
pub fn print_problems(problems: &[FileDiagnostics]) {
    let color = super::color_stderr();
    let mut n = 0;
    for p in problems {
        let _ = write!(std::io::stderr().lock(), "{}", p.render(color));
        n += p.diagnostics.len();
    }
    let files = problems.len();
    err(format_args!(
        "error: {n} problem{} in {files} suite file{}",
        if n == 1 { "" } else { "s" },
        if files == 1 { "" } else { "s" }
    ));
}

pub fn validate(args: &LoadArgs) -> i32 {
    let (suites, problems) = match load_all(args) {
        Ok(r) => r,
        Err(e) => return super::discover_failed(&e),
    };
    if !problems.is_empty() {
        print_problems(&problems);
        return exit::INVALID;
    }
    let checks: usize = suites.iter().map(|s| s.checks.len()).sum();
    out(format_args!("ok: {} suites, {checks} checks", suites.len()));
    exit::OK
}

pub fn list(args: &ListArgs) -> i32 {
    let (mut suites, problems) = match load_all(&args.load) {
        Ok(r) => r,
        Err(e) => return super::discover_failed(&e),
    };
    if !problems.is_empty() {
        print_problems(&problems);
        return exit::INVALID;
    }
    if let Err(e) = select(&mut suites, &args.select) {
        return super::discover_failed(&e);
    }
    shard(&mut suites, args.select.shard);
    if let (Some((k, n)), true) = (args.select.shard, suites.is_empty()) {
        err(format_args!("shard {k}/{n} holds none of the suites: nothing to run"));
    }
    for s in &suites {
        out(format_args!("{} ({})", s.name, s.file.display()));
        for c in &s.checks {
            let tags = if c.tags.is_empty() { String::new() } else { format!("  [{}]", c.tags.join(", ")) };
            let kind = if c.is_browser { "browser" } else { "http" };
            out(format_args!("  {}:{}  {}  ({kind}){tags}", s.file.display(), c.pos.line, c.name));
        }
    }
    exit::OK
}
