//! A short run of the loader's fuzzer (`shakedown::load::fuzz`): a few thousand mutations of
//! the bundled suites, each compiled with its diagnostics rendered, and not one may panic.
//! The long run is `cargo run --release --example fuzz_loader -- --seconds 1200`.

use shakedown::load::fuzz::{self, Budget, Seed};
use std::path::Path;
use std::time::Duration;

#[test]
fn mutated_suites_never_panic_the_loader() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let seeds = Seed::from_dirs(&[&root.join("suites"), &root.join("tests/suites")]).expect("the bundled suites");
    assert!(seeds.len() >= 3, "too few seed files: {}", seeds.len());
    let budget = Budget { max_execs: 3_000, max_time: Duration::from_secs(15) };
    // A fixed seed: the same inputs every time, so a failure can be reproduced.
    let report = fuzz::run(seeds, 0x005E_ED0F_5A4E, budget, |_| {});
    eprintln!(
        "{} executions in {:?}, {} valid, slowest {:?}",
        report.execs, report.elapsed, report.valid, report.slowest.0
    );
    assert!(report.execs >= 500, "only {} executions in {:?}", report.execs, report.elapsed);
    if let Some(c) = report.crashes.first() {
        let dir = root.join("target/fuzz-loader");
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join("panic-test.yaml"), &c.input);
        panic!(
            "{} of {} inputs panicked the loader; the first (from {}, saved in target/fuzz-loader/panic-test.yaml):\n{}\ninput: {:?}",
            report.crashes.len(),
            report.execs,
            c.seed,
            c.message,
            c.input
        );
    }
}
