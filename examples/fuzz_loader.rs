//! The long run of the loader's fuzzer (`shakedown::load::fuzz`): mutates the bundled suites
//! and compiles each result until the time is up, saving every input that panics.
//!
//! `cargo run --release --example fuzz_loader -- --seconds 1200 [--seed N] [--out DIR]`
//!
//! Exits 1 if any input panicked (each saved as `DIR/panic-<n>.yaml`, default
//! `target/fuzz-loader`), else 0. The slowest input is saved as `DIR/slowest.yaml`.

use shakedown::load::fuzz::{self, Budget, Seed};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn main() {
    let mut seconds = 60u64;
    let mut seed = SystemTime::now().duration_since(UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64);
    let mut out = PathBuf::from("target/fuzz-loader");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let value = args.next();
        match (a.as_str(), value) {
            ("--seconds", Some(v)) => seconds = v.parse().unwrap_or_else(|_| usage(&format!("bad --seconds `{v}`"))),
            ("--seed", Some(v)) => seed = v.parse().unwrap_or_else(|_| usage(&format!("bad --seed `{v}`"))),
            ("--out", Some(v)) => out = PathBuf::from(v),
            (other, _) => usage(&format!("unknown argument `{other}`")),
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let seeds = Seed::from_dirs(&[&root.join("suites"), &root.join("tests/suites")])
        .unwrap_or_else(|e| usage(&format!("cannot read the bundled suites: {e}")));
    eprintln!("fuzzing the loader for {seconds}s from {} seed files, seed {seed}", seeds.len());
    let budget = Budget { max_execs: u64::MAX, max_time: Duration::from_secs(seconds) };
    let report = fuzz::run(seeds, seed, budget, |r| {
        eprintln!(
            "{:>6.0}s {:>9} execs ({} valid) {} panics",
            r.elapsed.as_secs_f64(),
            r.execs,
            r.valid,
            r.crashes.len()
        )
    });
    let rate = report.execs as f64 / report.elapsed.as_secs_f64().max(0.001);
    println!(
        "{} executions in {:.1}s ({rate:.0}/s), {} valid suites, {} panics; slowest input {:?}",
        report.execs,
        report.elapsed.as_secs_f64(),
        report.valid,
        report.crashes.len(),
        report.slowest.0
    );
    let _ = std::fs::create_dir_all(&out);
    let _ = std::fs::write(out.join("slowest.yaml"), &report.slowest.1);
    if report.crashes.is_empty() {
        return;
    }
    for (i, c) in report.crashes.iter().enumerate() {
        let path = out.join(format!("panic-{i}.yaml"));
        let _ = std::fs::write(&path, &c.input);
        println!("panic: {} (from {}), input saved as {}", c.message, c.seed, path.display());
    }
    std::process::exit(1);
}

fn usage(problem: &str) -> ! {
    eprintln!("{problem}\nusage: fuzz_loader [--seconds N] [--seed N] [--out DIR]");
    std::process::exit(2);
}
